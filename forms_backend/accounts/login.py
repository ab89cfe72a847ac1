"""Login and logout of the coordinators: argon2id check, throttling, server-side sessions, audit.

The answer never tells whether an address has an account: unknown address, wrong password and deactivated
account get the same message after the same work (a dummy hash is verified), and failures are counted per
typed address, so the throttling looks the same for every address. Failures from a browser that has logged in
to the account (device cookie, `guard`) are counted apart: a stranger cannot slow the owner down on it. No
lock: every back-off expires by itself (`rules.throttle_delay`). What an anonymous client can make the server
do is bounded in `guard`.
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from datetime import datetime
from functools import partial

from sqlite_utils import Database
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms_backend.accounts import alerts, guard
from forms_backend.accounts import rules as accounts
from forms_backend.accounts.auth import (
    BACK_OFFICE_HEADERS,
    LOGIN_PATH,
    csrf_refused,
    current_session,
    landing,
    new_session_id,
    safe_next,
    session_cookie,
    session_digest,
    signed_in,
)
from forms_backend.db import accounts as accounts_db
from forms_backend.db import audit
from forms_backend.db.accounts import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from forms_backend.services import Services, services
from forms_backend.vocabulary import AuditAction, AuditResult
from forms_backend.web import csrf
from forms_backend.web.forms import clean_text, single
from forms_backend.web.pages import render
from forms_backend.web.security import cross_site

log = logging.getLogger("partaj.connexion")
REFUSED = "Adresse électronique ou mot de passe incorrect."
THROTTLED = "Trop de tentatives de connexion avec cette adresse. Réessayez dans {attente}."
CLIENT_LIMITED = "Trop de tentatives de connexion depuis votre réseau. Réessayez dans {attente}."
BUSY = "Le service de connexion est très sollicité. Réessayez dans quelques secondes."
BUSY_RETRY_SECONDS = 10
EMPTY_EMAIL = "Saisissez votre adresse électronique."
EMPTY_PASSWORD = "Saisissez votre mot de passe."
EXPIRED = "Votre session a expiré. Reconnectez-vous pour continuer."
LOGGED_OUT = "Vous êtes déconnecté. Pensez à fermer le navigateur sur un poste partagé."


def spoken_wait(seconds: int) -> str:
    """`45 secondes`, `2 minutes` (rounded up)."""
    if seconds < 60:
        return f"{seconds} seconde{'s' if seconds > 1 else ''}"
    minutes = math.ceil(seconds / 60)
    return f"{minutes} minute{'s' if minutes > 1 else ''}"


@dataclass(frozen=True)
class LoginResult:
    """A new session id (and its account), or the message and status of a refusal; `alert`: the address to
    tell, after the response, about a run of failures from unknown browsers."""

    session_id: str | None = None
    user_id: int | None = None
    message: str = ""
    status_code: int = 200
    retry_after: int | None = None
    alert: str | None = None
    role: str = ""


@dataclass(frozen=True)
class Attempt:
    """One login attempt: what was typed, the browser's device cookie, the client's address."""

    email: str
    password: str
    device: guard.Device | None
    client: str
    previous: str | None = None  # digest of the session the browser had, ended by a successful login


def _audit_login(
    db: Database,
    account: accounts_db.Account | None,
    result: AuditResult,
    details: dict[str, object],
    now: datetime,
    known_device: bool,
    action: AuditAction = AuditAction.CONNEXION,
) -> None:
    user_id, email = (account.id, account.email) if account else (None, None)
    if account is None:
        details = {**details, "compte": "inconnu"}
    elif not account.actif:
        details = {**details, "compte": "desactive"}
    if known_device:
        details = {**details, "appareil": "connu"}
    audit.record(
        db, user_id=user_id, email=email, action=action, target=None, result=result, details=details, at=now
    )


def _start_attempt(
    db: Database, key: str, account: accounts_db.Account | None, now: datetime, known_device: bool
) -> LoginResult | int:
    """Refuse at once (too soon after the last failure), or count the attempt as a failure until the password
    is proven right: parallel attempts cannot slip between check and count."""
    until = accounts.throttled_until(accounts_db.failures(db, key), now)
    if until is not None:
        wait = math.ceil((until - now).total_seconds())
        details: dict[str, object] = {"motif": "attente", "attente_s": wait}
        _audit_login(db, account, AuditResult.REFUSE, details, now, known_device)
        return LoginResult(
            message=THROTTLED.format(attente=spoken_wait(wait)), status_code=429, retry_after=wait
        )
    return accounts_db.count_attempt(db, key, now, now - accounts.FORGET_AFTER)


def _refuse(
    db: Database, account: accounts_db.Account | None, echecs: int, now: datetime, known_device: bool
) -> LoginResult:
    """A failure; the one that starts the back-off is audited, and told to the owner of an active account
    when it came from an unknown browser (once per run of failures)."""
    _audit_login(db, account, AuditResult.ECHEC, {"echecs": echecs}, now, known_device)
    alert = None
    if echecs == accounts.THROTTLE_AFTER:
        wait = int(accounts.throttle_delay(echecs).total_seconds())
        details: dict[str, object] = {"echecs": echecs, "attente_s": wait}
        action = AuditAction.RALENTISSEMENT
        _audit_login(db, account, AuditResult.SUCCES, details, now, known_device, action=action)
        if account is not None and account.actif and not known_device:
            alert = account.email
    return LoginResult(message=REFUSED, status_code=403, alert=alert)


def _open_session(
    db: Database,
    key: str,
    account: accounts_db.Account,
    previous: str | None,
    new_hash: str | None,
    now: datetime,
    known_device: bool,
) -> LoginResult:
    accounts_db.clear_failures(db, key)
    accounts_db.delete_stale_failures(db, now - accounts.FORGET_AFTER)
    accounts_db.delete_expired_sessions(db, now - IDLE_TIMEOUT, now - ABSOLUTE_TIMEOUT)
    if previous is not None:
        accounts_db.delete_session(db, previous)
    if new_hash is not None:
        accounts_db.update_hash(db, account.id, new_hash)
    session_id = new_session_id()
    accounts_db.create_session(db, session_digest(session_id), account.id, csrf.new_secret(), now)
    _audit_login(db, account, AuditResult.SUCCES, {}, now, known_device)
    return LoginResult(session_id=session_id, user_id=account.id, role=account.role)


def _limited(limiter: guard.AttemptLimiter, client: str) -> LoginResult | None:
    """429 at once when this client address has made too many attempts (nothing written, nothing hashed)."""
    retry = limiter.take(client)
    if retry is None:
        return None
    guard.warn_limited()
    message = CLIENT_LIMITED.format(attente=spoken_wait(retry))
    return LoginResult(message=message, status_code=429, retry_after=retry)


async def authenticate(svc: Services, attempt: Attempt, limiter: guard.AttemptLimiter) -> LoginResult:
    """Check an address and a password; open a session (ending `attempt.previous`) or refuse."""
    if attempt.device is None and (limited := _limited(limiter, attempt.client)):
        return limited
    account = await svc.store.read(partial(accounts_db.find_account, email=attempt.email))
    usable = account if account is not None and account.actif else None
    known = attempt.device is not None and usable is not None and attempt.device.user_id == usable.id
    if attempt.device is not None and not known and (limited := _limited(limiter, attempt.client)):
        return limited
    key = (
        accounts.device_key(attempt.email, attempt.device.nonce)
        if known and attempt.device is not None
        else accounts.failure_key(attempt.email)
    )
    hashed = len(attempt.password) <= accounts.MAX_PASSWORD_LENGTH  # else refused without any hash
    with guard.HASHES.slot() as admitted:
        if hashed and not admitted:
            if not known:
                limiter.give_back(attempt.client)
            return LoginResult(message=BUSY, status_code=503, retry_after=BUSY_RETRY_SECONDS)
        result = await _check(svc, attempt, key, known, account, usable, hashed)
    if result.session_id is not None and not known:
        limiter.give_back(attempt.client)
    return result


async def _check(
    svc: Services,
    attempt: Attempt,
    key: str,
    known: bool,
    account: accounts_db.Account | None,
    usable: accounts_db.Account | None,
    hashed: bool,
) -> LoginResult:
    """Count the attempt in its bucket (`key`: the known browser's, or the typed address's), then verify;
    `hashed` is False for an over-long password, refused without any hash."""
    now = svc.clock()
    started = await svc.store.write(
        partial(_start_attempt, key=key, account=account, now=now, known_device=known)
    )
    if isinstance(started, LoginResult):
        return started
    stored = usable.password_hash if usable is not None else None
    valid = hashed and await guard.HASHES.run(
        partial(accounts.check_login_password, stored, attempt.password)
    )
    if not valid or usable is None:
        job = partial(_refuse, account=account, echecs=started, now=now, known_device=known)
        return await svc.store.write(job)
    new_hash = None
    if accounts.needs_rehash(usable.password_hash):
        new_hash = await guard.HASHES.run(partial(accounts.hash_password, attempt.password))
    return await svc.store.write(
        partial(
            _open_session,
            key=key,
            account=usable,
            previous=attempt.previous,
            new_hash=new_hash,
            now=now,
            known_device=known,
        )
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
            return RedirectResponse(
                landing(session.user.role, suite), status_code=303, headers=BACK_OFFICE_HEADERS
            )
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
    submitted = {name: [v for v in form.getlist(name) if isinstance(v, str)] for name in form}
    email, email_error = clean_text(single(submitted, "email")[:320])
    password = single(submitted, "mot_de_passe")[: accounts.MAX_PASSWORD_LENGTH + 1]
    suite = safe_next(single(submitted, "suite"))
    errors = {}
    if email_error:
        errors["email"] = email_error
    elif not email:
        errors["email"] = EMPTY_EMAIL
    if not password:
        errors["mot_de_passe"] = EMPTY_PASSWORD
    if errors:
        return _login_page(request, cookie=cookie, suite=suite, email=email, errors=errors, status_code=422)
    raw = request.cookies.get(session_cookie(svc.settings))
    device = guard.read_device(request, svc.settings, svc.clock())
    attempt = Attempt(
        email, password, device, guard.client_address(request), session_digest(raw) if raw else None
    )
    result = await authenticate(svc, attempt, guard.attempt_limiter(request))
    if result.session_id is None or result.user_id is None:
        headers = {"retry-after": str(result.retry_after)} if result.retry_after else None
        response = _login_page(
            request,
            cookie=cookie,
            suite=suite,
            email=email,
            message=result.message,
            status_code=result.status_code,
            headers=headers,
        )
        if result.alert is not None:
            response.background = alerts.login_alert_task(svc, result.alert, svc.clock())
        return response
    response = RedirectResponse(landing(result.role, suite), status_code=303, headers=BACK_OFFICE_HEADERS)
    response.set_cookie(
        session_cookie(svc.settings),
        result.session_id,
        path="/",
        httponly=True,
        samesite="strict",
        secure=svc.settings.secure_cookies,
    )
    guard.remember_device(response, svc.settings, result.user_id, svc.clock())
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


@signed_in
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
