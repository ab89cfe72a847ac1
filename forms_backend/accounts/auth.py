"""Who may see what in the back office, decided in one place: sessions, `back_office`, `User.sees`.

A coordinator sees the situations of their territories; a regional coordinator sees every territory. Every
endpoint under `/coordination/` (except the login page) is wrapped in `back_office`.
"""

from __future__ import annotations

import functools
import hashlib
import posixpath
import re
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from urllib.parse import urlencode, urlsplit

from sqlite_utils import Database
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms_backend.db import accounts as accounts_db
from forms_backend.db import audit
from forms_backend.db.accounts import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from forms_backend.services import services
from forms_backend.settings import Settings
from forms_backend.vocabulary import AuditAction, AuditResult
from forms_backend.web import csrf
from forms_backend.web.audit import log as log_audit
from forms_backend.web.pages import render
from forms_backend.web.security import cookie_name, cross_site

Endpoint = Callable[[Request], Awaitable[Response]]

LOGIN_PATH = "/coordination/connexion"
HOME_PATH = "/coordination/"
# A CFA's own area (issue 15): its reports, its file uploads; never the coordinators' pages.
CFA_HOME_PATH = "/cfa/"
# last_seen is written at most this often: one write per minute of activity, not one per page.
TOUCH_EVERY = timedelta(minutes=1)
BACK_OFFICE_HEADERS = {"cache-control": "no-store", "x-robots-tag": "noindex"}
NOT_FOR_CFA = (
    "Page réservée aux coordinateurs",
    "Votre compte est celui d'un CFA : il donne accès à vos signalements, pas au suivi des CTL. "
    "Retrouvez vos signalements sur la page « Mes signalements » (/cfa/).",
)
NOT_FOR_COORDINATORS = (
    "Page réservée aux CFA",
    "Cette page est celle des CFA qui signalent des ruptures. Votre compte de coordination n'y a pas accès.",
)
CSRF_REFUSED = (
    "Action refusée",
    "Cette action n'a pas pu être vérifiée : la page était peut-être trop ancienne, ouverte avant une "
    "déconnexion, ou la demande venait d'un autre site. Rechargez la page puis recommencez.",
)


@dataclass(frozen=True)
class User:
    """The logged-in coordinator, as every back-office handler sees them (`request.state.user`)."""

    id: int
    email: str
    role: str  # "coordinateur" | "regional" | "cfa"
    territoires: frozenset[str]  # the coordinator's territories; empty for a regional coordinator
    uais: frozenset[str] = frozenset()  # a CFA's UAIs; empty for the coordinators

    @property
    def cfa(self) -> bool:
        return self.role == "cfa"

    @property
    def regional(self) -> bool:
        return self.role == "regional"

    def sees(self, territoire: str) -> bool:
        """May this user see (and change, and export) the situations of this territory?"""
        return self.regional or territoire in self.territoires

    def scope(self) -> frozenset[str] | None:
        """The territories this user sees; None means every territory (regional coordinator)."""
        return None if self.regional else self.territoires


def require_regional(user: User) -> None:
    """404 for anyone but a regional coordinator: a coordinator is not told the page exists."""
    if not user.regional:
        raise HTTPException(404)


def session_cookie(settings: Settings) -> str:
    """Name of the session cookie (`__Host-` prefixed over HTTPS)."""
    return cookie_name("partaj_session", settings.secure_cookies)


def session_digest(session_id: str) -> str:
    """What the `sessions` table stores instead of the id the cookie carries."""
    return hashlib.sha256(session_id.encode()).hexdigest()


def new_session_id() -> str:
    return secrets.token_urlsafe(32)


def expired(session: accounts_db.SessionRow, now: datetime) -> bool:
    """Idle for 30 minutes, or opened 8 hours ago."""
    return now - session.last_seen >= IDLE_TIMEOUT or now - session.created_at >= ABSOLUTE_TIMEOUT


# Percent-encoded dot, slash or backslash in a path: a browser may read `%2e%2e` as `..`; no back-office link has them.
_ENCODED_SEPARATOR = re.compile("%(2e|2f|5c)", re.IGNORECASE)


def safe_next(value: str | None) -> str:
    """Where to go after login: a local back-office path only (never another site).

    The path is normalised first (`.` and `..` resolved, `//` collapsed, as a browser would resolve it), then
    checked: `/coordination/../..//evil.example` leaves `/coordination/` and is refused."""
    if not value or "\\" in value or any(ord(c) < 32 or ord(c) == 127 for c in value):
        return HOME_PATH
    parts = urlsplit(value)
    if parts.scheme or parts.netloc or not parts.path.startswith("/") or value.startswith("//"):
        return HOME_PATH
    if _ENCODED_SEPARATOR.search(parts.path):
        return HOME_PATH
    path = posixpath.normpath("/" + parts.path.lstrip("/"))
    if parts.path.endswith("/") and path != "/":
        path += "/"
    if not (path == "/coordination" or path.startswith(("/coordination/", CFA_HOME_PATH))):
        return HOME_PATH
    if path.startswith(LOGIN_PATH) or path.startswith("/coordination/deconnexion"):
        return HOME_PATH
    query = f"?{parts.query}" if parts.query else ""
    fragment = f"#{parts.fragment}" if parts.fragment else ""
    return path + query + fragment


def landing(role: str, suite: str) -> str:
    """Where a login leads: `suite` (from `safe_next`) in the user's own area, else the area's home page."""
    if role == "cfa":
        return suite if suite.startswith(CFA_HOME_PATH) else CFA_HOME_PATH
    return HOME_PATH if suite.startswith(CFA_HOME_PATH) else suite


def login_url(suite: str | None = None, expired_session: bool = False) -> str:
    """The login page, with where to come back and why the user is sent there."""
    query: dict[str, str] = {}
    if expired_session:
        query["expiree"] = "1"
    if suite and suite != HOME_PATH:
        query["suite"] = suite
    return LOGIN_PATH + (f"?{urlencode(query)}" if query else "")


@dataclass(frozen=True)
class CurrentSession:
    """The session a request carries: its user, its CSRF secret and the digest of its id."""

    user: User
    csrf_secret: str
    id_hash: str


def to_user(account: accounts_db.Account) -> User:
    territoires = frozenset() if account.role in ("regional", "cfa") else frozenset(account.territoires)
    return User(account.id, account.email, account.role, territoires, frozenset(account.uais))


async def current_session(request: Request) -> tuple[CurrentSession | None, bool]:
    """The request's valid session (or None) and whether a session was there but had expired."""
    svc = services(request)
    raw = request.cookies.get(session_cookie(svc.settings))
    if not raw:
        return None, False
    id_hash = session_digest(raw)
    row = await svc.store.read(partial(accounts_db.find_session, id_hash=id_hash))
    if row is None:
        return None, False
    now = svc.clock()
    if expired(row, now):
        await svc.store.write(partial(_end_expired, id_hash=id_hash, account=row.account, now=now))
        return None, True
    if now - row.last_seen >= TOUCH_EVERY:
        await svc.store.write(partial(accounts_db.touch_session, id_hash=id_hash, now=now))
    return CurrentSession(to_user(row.account), row.csrf_secret, id_hash), False


def _end_expired(db: Database, id_hash: str, account: accounts_db.Account, now: datetime) -> None:
    if accounts_db.delete_session(db, id_hash):
        audit.record(
            db,
            user_id=account.id,
            email=account.email,
            action=AuditAction.SESSION_EXPIREE,
            target=None,
            result=AuditResult.SUCCES,
            at=now,
        )


def _with_headers(response: Response) -> Response:
    for name, value in BACK_OFFICE_HEADERS.items():
        response.headers[name] = value
    return response


def csrf_refused(request: Request) -> Response:
    """The French 403 page of a back-office POST without a valid CSRF token."""
    title, message = CSRF_REFUSED
    context = {"title": title, "message": message, "status_code": 403}
    return render(request, "erreur.html", context, 403, headers=BACK_OFFICE_HEADERS)


# Every endpoint wrapped by `back_office`, `signed_in` or `cfa_area`: a test walks the route table and fails on a
# `/coordination/` or `/cfa/` endpoint (the login page excepted) that is not in it.
GUARDED: set[Endpoint] = set()
COORDINATION_ROLES = frozenset({"coordinateur", "regional"})
EVERY_ROLE = frozenset({"coordinateur", "regional", "cfa"})
CFA_ROLES = frozenset({"cfa"})


def wrong_area(request: Request, refusal: tuple[str, str]) -> Response:
    """The French 403 page of a page outside the user's area (a CFA on a coordinators' page, or the reverse)."""
    title, message = refusal
    context = {"title": title, "message": message, "status_code": 403}
    return render(request, "erreur.html", context, 403, headers=BACK_OFFICE_HEADERS)


def _guard(endpoint: Endpoint, roles: frozenset[str], refusal: tuple[str, str]) -> Endpoint:
    @functools.wraps(endpoint)
    async def guarded(request: Request) -> Response:
        svc = services(request)
        session, was_expired = await current_session(request)
        if session is None:
            suite = None
            if request.method in ("GET", "HEAD"):
                suite = request.url.path + (f"?{request.url.query}" if request.url.query else "")
            return _with_headers(RedirectResponse(login_url(suite, was_expired), status_code=303))
        request.state.user = session.user
        request.state.csrf = csrf.token(svc.settings, session.csrf_secret)
        request.state.session_hash = session.id_hash
        if session.user.role not in roles:
            await log_audit(request, AuditAction.ACCES_HORS_ESPACE, request.url.path, AuditResult.REFUSE)
            return wrong_area(request, refusal)
        if request.method not in ("GET", "HEAD", "OPTIONS"):
            refused = cross_site(request, svc.settings.base_url)
            if not refused:
                # A CFA's file upload (`/cfa/fichier`) carries one file; every other guarded form none.
                form = await request.form(max_files=1 if roles == CFA_ROLES else 0)
                refused = not csrf.valid(svc.settings, session.csrf_secret, form.get(csrf.CSRF_FIELD))
            if refused:
                await log_audit(request, AuditAction.CSRF, request.url.path, AuditResult.REFUSE)
                return csrf_refused(request)
        return _with_headers(await endpoint(request))

    GUARDED.add(guarded)
    return guarded


def back_office(endpoint: Endpoint) -> Endpoint:
    """Requires a valid session of a coordinator (else 303 to the login page with `suite`; a CFA gets a French
    403), sets `request.state.user` and `request.state.csrf`, checks the CSRF token of every POST (403), marks
    the response no-store, noindex."""
    return _guard(endpoint, COORDINATION_ROLES, NOT_FOR_CFA)


def signed_in(endpoint: Endpoint) -> Endpoint:
    """Like `back_office`, for any account (the logout)."""
    return _guard(endpoint, EVERY_ROLE, NOT_FOR_CFA)


def cfa_area(endpoint: Endpoint) -> Endpoint:
    """Like `back_office`, for a CFA's pages: a coordinator gets a French 403; a POST may carry one file."""
    return _guard(endpoint, CFA_ROLES, NOT_FOR_COORDINATORS)
