"""What every public form shares (situations, proposals): the hidden protections of the page, the checks of a POST
(origin, CSRF, signed display token) and the receipt carried by a signed cookie, never by the URL."""

from __future__ import annotations

from typing import Any

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse

from forms_backend.services import services
from forms_backend.settings import Settings
from forms_backend.web import csrf
from forms_backend.web.formdata import read_form
from forms_backend.web.security import (
    FORM_TOKEN_FIELD,
    HONEYPOT_FIELD,
    FormToken,
    cookie_name,
    cross_site,
    sign,
    unsign,
)

NO_STORE = {"cache-control": "no-store"}
RECEIPT_MAX_AGE = 2 * 3600


def protections(settings: Settings, cookie: str, token: FormToken) -> dict[str, Any]:
    """The template values of the page's hidden fields (`_protections.html`): CSRF token, display token, honeypot."""
    return {
        "csrf_field": csrf.CSRF_FIELD,
        "csrf_token": csrf.token(settings, cookie),
        "token_field": FORM_TOKEN_FIELD,
        "form_token": token.encode(settings.secret_key),
        "honeypot_field": HONEYPOT_FIELD,
    }


async def checked_post(request: Request, source: str) -> tuple[FormData, str, FormToken]:
    """A public form's POST once its origin (403), CSRF token (403) and display token (400) are checked: the
    fields, the CSRF cookie and the token. A body not in UTF-8 or a field sent twice: 400 (`read_form`)."""
    svc = services(request)
    if cross_site(request, svc.settings.base_url):
        raise HTTPException(403, "cross-site")
    data = await read_form(request)
    cookie = csrf.cookie_of(request, svc.settings)
    if cookie is None or not csrf.valid(svc.settings, cookie, data.get(csrf.CSRF_FIELD)):
        raise HTTPException(403, "csrf")
    raw_token = data.get(FORM_TOKEN_FIELD)
    token = (
        FormToken.decode(svc.settings.secret_key, raw_token, source) if isinstance(raw_token, str) else None
    )
    if token is None:
        raise HTTPException(400, "jeton")
    return data, cookie, token


def submitted(data: FormData) -> dict[str, list[str]]:
    """Every text field's values, by name (files are never accepted here)."""
    found: dict[str, list[str]] = {}
    for name, value in data.multi_items():
        if isinstance(value, str):
            found.setdefault(name, []).append(value)
    return found


def to_receipt(
    settings: Settings, location: str, cookie: str, purpose: str, payload: str
) -> RedirectResponse:
    """303 to the receipt page, the receipt signed in an HTTP-only cookie of two hours."""
    response = RedirectResponse(location, status_code=303, headers=NO_STORE)
    response.set_cookie(
        cookie_name(cookie, settings.secure_cookies),
        sign(settings.secret_key, purpose, payload),
        max_age=RECEIPT_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.secure_cookies,
    )
    return response


def receipt_of(request: Request, settings: Settings, cookie: str, purpose: str) -> str | None:
    """The receipt a signed cookie carries, or None (absent, expired, tampered with)."""
    raw = request.cookies.get(cookie_name(cookie, settings.secure_cookies), "")
    return unsign(settings.secret_key, purpose, raw) if raw else None
