"""Login and logout of the coordinators: argon2id check, throttling and lock, server-side sessions, audit.

The answer never tells whether an address has an account: unknown address, wrong password and deactivated
account get the same message after the same work (a dummy hash is verified), and failures are counted per
typed address, so the throttling and the lock look the same for every address.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from sqlite_utils import Database
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms_backend.accounts import rules as accounts
from forms_backend.accounts.auth import (
    BACK_OFFICE_HEADERS,
    LOGIN_PATH,
    back_office,
    csrf_refused,
    current_session,
    new_session_id,
    safe_next,
    session_cookie,
    session_digest,
)
from forms_backend.db import accounts as accounts_db
from forms_backend.db import audit
from forms_backend.db.accounts import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from forms_backend.services import Services, services
from forms_backend.vocabulary import AuditAction, AuditResult
from forms_backend.web import csrf
from forms_backend.web.pages import render
from forms_backend.web.security import (
    cross_site,
)

THROTTLE_AFTER = 5
THROTTLE_BASE = timedelta(seconds=30)
REFUSED = "Adresse électronique ou mot de passe incorrect."
THROTTLED = "Trop de tentatives de connexion avec cette adresse. Réessayez dans {attente}."
LOCKED = (
    "Cette adresse est verrouillée après {n} échecs de connexion. Demandez à l'administrateur de PARTAJ "
    "de définir un nouveau mot de passe (commande « users passwd »)."
)
EMPTY_EMAIL = "Saisissez votre adresse électronique."
EMPTY_PASSWORD = "Saisissez votre mot de passe."
EXPIRED = "Votre session a expiré. Reconnectez-vous pour continuer."
LOGGED_OUT = "Vous êtes déconnecté. Pensez à fermer le navigateur sur un poste partagé."


def throttle_delay(echecs: int) -> timedelta:
    """Wait imposed after the n-th failure in a row: none before 5, then 30 s doubling (30 s … 8 min)."""
    if echecs < THROTTLE_AFTER:
        return timedelta(0)
    return THROTTLE_BASE * int(2 ** (echecs - THROTTLE_AFTER))


def spoken_wait(seconds: int) -> str:
    """`45 secondes`, `2 minutes` (rounded up)."""
    if seconds < 60:
        return f"{seconds} seconde{'s' if seconds > 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


@dataclass(frozen=True)
class LoginResult:
    """A new session id, or the message and status of a refusal."""

    session_id: str | None = None
    message: str = ""
    status_code: int = 200
    retry_after: int | None = None


def _audit_login(
    db: Database,
    account: accounts_db.Account | None,
    result: AuditResult,
    details: dict[str, object],
    now: datetime,
    action: AuditAction = AuditAction.CONNEXION,
) -> None:
    user_id, email = (account.id, account.email) if account else (None, None)
    if account is None:
        details = {**details, "compte": "inconnu"}
    elif not account.actif:
        details = {**details, "compte": "desactive"}
    audit.record(
        db, user_id=user_id, email=email, action=action, target=None, result=result, details=details, at=now
    )


def _start_attempt(
    db: Database, key: str, account: accounts_db.Account | None, now: datetime
) -> LoginResult | int:
    """Refuse at once (locked, or too soon after the last failure), or count the attempt as a failure
    until the password is proven right: parallel attempts cannot slip between check and count."""
    failures = accounts_db.failures(db, key)
    if failures is not None and failures.verrouille:
        _audit_login(db, account, AuditResult.REFUSE, {"motif": "verrouille"}, now)
        return LoginResult(message=LOCKED.format(n=accounts.LOCK_AFTER), status_code=403)
    if failures is not None:
        remaining = (failures.dernier_echec_at + throttle_delay(failures.echecs) - now).total_seconds()
        if remaining > 0:
            wait = math.ceil(remaining)
            _audit_login(db, account, AuditResult.REFUSE, {"motif": "attente", "attente_s": wait}, now)
            message = THROTTLED.format(attente=spoken_wait(wait))
            return LoginResult(message=message, status_code=429, retry_after=wait)
    return accounts_db.count_attempt(db, key, now)


def _refuse(
    db: Database, key: str, account: accounts_db.Account | None, echecs: int, now: datetime
) -> LoginResult:
    _audit_login(db, account, AuditResult.ECHEC, {"echecs": echecs}, now)
    if echecs >= accounts.LOCK_AFTER:
        accounts_db.lock(db, key, now)
        _audit_login(
            db, account, AuditResult.SUCCES, {"echecs": echecs}, now, action=AuditAction.VERROUILLAGE
        )
        return LoginResult(message=LOCKED.format(n=accounts.LOCK_AFTER), status_code=403)
    return LoginResult(message=REFUSED, status_code=403)


def _open_session(
    db: Database,
    key: str,
    account: accounts_db.Account,
    previous: str | None,
    new_hash: str | None,
    now: datetime,
) -> LoginResult:
    accounts_db.clear_failures(db, key)
    accounts_db.delete_expired_sessions(db, now - IDLE_TIMEOUT, now - ABSOLUTE_TIMEOUT)
    if previous is not None:
        accounts_db.delete_session(db, previous)
    if new_hash is not None:
        accounts_db.update_hash(db, account.id, new_hash)
    session_id = new_session_id()
    accounts_db.create_session(db, session_digest(session_id), account.id, csrf.new_secret(), now)
    _audit_login(db, account, AuditResult.SUCCES, {}, now)
    return LoginResult(session_id=session_id)


async def authenticate(svc: Services, email: str, password: str, previous: str | None) -> LoginResult:
    """Check an address and a password; open a session (ending `previous`, a session id digest) or refuse."""
    key = accounts.failure_key(email)
    account = await svc.store.read(partial(accounts_db.find_account, email=email))
    now = svc.clock()
    started = await svc.store.write(partial(_start_attempt, key=key, account=account, now=now))
    if isinstance(started, LoginResult):
        return started
    usable = account if account is not None and account.actif else None
    stored = usable.password_hash if usable is not None else None
    valid = await run_in_threadpool(accounts.check_login_password, stored, password)
    if not valid or usable is None:
        return await svc.store.write(partial(_refuse, key=key, account=account, echecs=started, now=now))
    new_hash = None
    if accounts.needs_rehash(usable.password_hash):
        new_hash = await run_in_threadpool(accounts.hash_password, password)
    return await svc.store.write(
        partial(_open_session, key=key, account=usable, previous=previous, new_hash=new_hash, now=now)
    )


def _login_page(
    request: Request,
    *,
    cookie: str,
    suite: str,
    email: str = "",
    errors: dict[str, str] | None = None,
    message: str = "",
    info: str = "",
    status_code: int = 200,
    headers: dict[str, str] | None = None,
) -> Response:
    svc = services(request)
    context = {
        "csrf_field": csrf.CSRF_FIELD,
        "csrf_token": csrf.token(svc.settings, cookie),
        "suite": suite,
        "email": email,
        "errors": errors or {},
        "message": message,
        "info": info,
    }
    response = render(
        request,
        "coordination/connexion.html",
        context,
        status_code,
        {**BACK_OFFICE_HEADERS, **(headers or {})},
    )
    csrf.keep_cookie(request, response, svc.settings, cookie)
    return response


async def login(request: Request) -> Response:
    """GET: the login form (or straight on when already logged in). POST: check, then 303 to `suite`."""
    svc = services(request)
    if request.method in ("GET", "HEAD"):
        suite = safe_next(request.query_params.get("suite"))
        session, _ = await current_session(request)
        if session is not None:
            return RedirectResponse(suite, status_code=303, headers=BACK_OFFICE_HEADERS)
        info = EXPIRED if request.query_params.get("expiree") else ""
        if request.query_params.get("fin"):
            info = LOGGED_OUT
        shown = csrf.cookie_of(request, svc.settings) or csrf.new_secret()
        return _login_page(request, cookie=shown, suite=suite, info=info)
    if cross_site(request, svc.settings.base_url):
        return csrf_refused(request)
    form = await request.form(max_files=0, max_fields=10)
    cookie = csrf.cookie_of(request, svc.settings)
    if cookie is None or not csrf.valid(svc.settings, cookie, form.get(csrf.CSRF_FIELD)):
        return csrf_refused(request)
    email = str(form.get("email", "")).strip()[:320]
    password = str(form.get("mot_de_passe", ""))[: accounts.MAX_PASSWORD_LENGTH + 1]
    suite = safe_next(str(form.get("suite", "")))
    errors = {}
    if not email:
        errors["email"] = EMPTY_EMAIL
    if not password:
        errors["mot_de_passe"] = EMPTY_PASSWORD
    if errors:
        return _login_page(request, cookie=cookie, suite=suite, email=email, errors=errors, status_code=422)
    raw = request.cookies.get(session_cookie(svc.settings))
    result = await authenticate(svc, email, password, session_digest(raw) if raw else None)
    if result.session_id is None:
        headers = {"retry-after": str(result.retry_after)} if result.retry_after else None
        return _login_page(
            request,
            cookie=cookie,
            suite=suite,
            email=email,
            message=result.message,
            status_code=result.status_code,
            headers=headers,
        )
    response = RedirectResponse(suite, status_code=303, headers=BACK_OFFICE_HEADERS)
    response.set_cookie(
        session_cookie(svc.settings),
        result.session_id,
        path="/",
        httponly=True,
        samesite="strict",
        secure=svc.settings.secure_cookies,
    )
    return response


def _end_session(db: Database, id_hash: str, user_id: int, email: str, now: datetime) -> None:
    accounts_db.delete_session(db, id_hash)
    audit.record(
        db,
        user_id=user_id,
        email=email,
        action=AuditAction.DECONNEXION,
        target=None,
        result=AuditResult.SUCCES,
        at=now,
    )


@back_office
async def logout(request: Request) -> Response:
    """POST (CSRF-checked by `back_office`): end the server-side session, forget the cookie."""
    svc = services(request)
    user = request.state.user
    await svc.store.write(
        partial(
            _end_session,
            id_hash=request.state.session_hash,
            user_id=user.id,
            email=user.email,
            now=svc.clock(),
        )
    )
    response = RedirectResponse(f"{LOGIN_PATH}?fin=1", status_code=303)
    response.delete_cookie(
        session_cookie(svc.settings),
        path="/",
        httponly=True,
        samesite="strict",
        secure=svc.settings.secure_cookies,
    )
    return response
