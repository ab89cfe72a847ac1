"""CSRF protection, one helper for every form: a token derived from a secret the browser cannot read elsewhere.

Anonymous pages (the public forms, the login page) bind the token to an HttpOnly cookie of their own; back-office
pages bind it to the session's CSRF secret (kept in the `sessions` table). Either way the token is
`HMAC(secret key, "csrf", bound secret)` and is checked in constant time.
"""

from __future__ import annotations

import hmac
import secrets

from starlette.requests import Request
from starlette.responses import Response

from forms_backend.settings import Settings
from forms_backend.web.security import cookie_name, mac

CSRF_FIELD = "csrf_token"


def new_secret() -> str:
    """A fresh secret to bind tokens to (a browser's CSRF cookie, a session's CSRF secret)."""
    return secrets.token_urlsafe(32)


def token(settings: Settings, bound_to: str) -> str:
    """The token a form carries."""
    return mac(settings.secret_key, "csrf", bound_to)


def valid(settings: Settings, bound_to: str | None, sent: object) -> bool:
    """True when the token sent with a form matches the secret it must be bound to."""
    if not bound_to or not isinstance(sent, str) or not sent:
        return False
    return hmac.compare_digest(sent.encode(), token(settings, bound_to).encode())


def cookie_of(request: Request, settings: Settings) -> str | None:
    """The anonymous CSRF cookie this browser sent, if any."""
    return request.cookies.get(cookie_name("partaj_csrf", settings.secure_cookies))


def keep_cookie(request: Request, response: Response, settings: Settings, value: str) -> None:
    """Give the browser the anonymous CSRF cookie its page's token is bound to, unless it already has it."""
    name = cookie_name("partaj_csrf", settings.secure_cookies)
    if request.cookies.get(name) != value:
        response.set_cookie(name, value, httponly=True, samesite="lax", secure=settings.secure_cookies)
