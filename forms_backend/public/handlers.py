"""Request handlers of the public forms, the receipt and the health check; `routes()` lists them."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path

from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from forms_backend import __version__
from forms_backend.accounts import login
from forms_backend.coordination import journal
from forms_backend.coordination import routes as coordination_routes
from forms_backend.db import situations as store
from forms_backend.public import notifications
from forms_backend.public.forms import Formulaire, Result, today_in, validate
from forms_backend.services import Services, services
from forms_backend.web.pages import error_page, render
from forms_backend.web.security import (
    CSRF_FIELD,
    FORM_TOKEN_FIELD,
    HONEYPOT_FIELD,
    FormToken,
    cookie_name,
    cross_site,
    csrf_cookie_name,
    csrf_ok,
    csrf_token,
    looks_like_a_bot,
    new_csrf_cookie,
    sign,
    submission_key,
    unsign,
)

log = logging.getLogger("partaj.formulaires")
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
MAX_FIELDS = 120
RECEIPT_MAX_AGE = 2 * 3600
NO_STORE = {"cache-control": "no-store"}


def _receipt_cookie_name(svc: Services) -> str:
    return cookie_name("partaj_recu", svc.settings.secure_cookies)


def _render_form(
    request: Request,
    form: Formulaire,
    token: FormToken,
    cookie: str,
    result: Result | None = None,
    status_code: int = 200,
) -> Response:
    svc = services(request)
    context = {
        "form": form,
        "values": result.values if result else {},
        "errors": result.errors if result else {},
        "csrf_field": CSRF_FIELD,
        "csrf_token": csrf_token(svc.settings.secret_key, cookie),
        "token_field": FORM_TOKEN_FIELD,
        "form_token": token.encode(svc.settings.secret_key),
        "honeypot_field": HONEYPOT_FIELD,
        "settings": svc.settings,
    }
    response = render(request, "formulaire.html", context, status_code, headers=NO_STORE)
    if request.cookies.get(csrf_cookie_name(svc.settings.secure_cookies)) != cookie:
        response.set_cookie(
            csrf_cookie_name(svc.settings.secure_cookies),
            cookie,
            httponly=True,
            samesite="lax",
            secure=svc.settings.secure_cookies,
        )
    return response


async def show_form(source: str, request: Request) -> Response:
    """GET: an empty form, with its CSRF token and a signed display time."""
    svc = services(request)
    cookie = request.cookies.get(csrf_cookie_name(svc.settings.secure_cookies)) or new_csrf_cookie()
    return _render_form(request, svc.forms[source], FormToken.issue(source), cookie)


def _to_receipt(svc: Services, receipt: store.Receipt) -> Response:
    response = RedirectResponse("/formulaires/recu", status_code=303, headers=NO_STORE)
    payload = "|".join((receipt.reference, receipt.source, receipt.territoire))
    response.set_cookie(
        _receipt_cookie_name(svc),
        sign(svc.settings.secret_key, "recu", payload),
        max_age=RECEIPT_MAX_AGE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=svc.settings.secure_cookies,
    )
    return response


def _decoy_receipt(source: str, territoire: str) -> store.Receipt:
    """What a bot is shown: the same page as a person, with a reference that matches no situation."""
    year = datetime.now(UTC).year
    reference = f"{store.PREFIXES[source]}-{year}-{secrets.randbelow(900_000) + 100_000:06d}"
    return store.Receipt(reference, source, territoire)


async def _read_form(request: Request) -> FormData:
    # A field may use the whole body limit: an over-long text gets its 422 message, not a bare 400.
    limit = services(request).settings.max_body_bytes
    return await request.form(max_files=0, max_fields=MAX_FIELDS, max_part_size=limit)


async def submit_form(source: str, request: Request) -> Response:
    """POST: checks (origin, CSRF, bots), validation (422), rate limit (429), one transaction, 303."""
    svc = services(request)
    form = svc.forms[source]
    if cross_site(request, svc.settings.base_url):
        raise HTTPException(403, "cross-site")
    data = await _read_form(request)
    cookie = request.cookies.get(csrf_cookie_name(svc.settings.secure_cookies))
    sent_csrf = data.get(CSRF_FIELD)
    if (
        cookie is None
        or not isinstance(sent_csrf, str)
        or not csrf_ok(svc.settings.secret_key, cookie, sent_csrf)
    ):
        raise HTTPException(403, "csrf")
    raw_token = data.get(FORM_TOKEN_FIELD)
    token = (
        FormToken.decode(svc.settings.secret_key, raw_token, source) if isinstance(raw_token, str) else None
    )
    if token is None:
        raise HTTPException(400, "jeton")
    submitted: dict[str, list[str]] = {}
    for name, value in data.multi_items():
        if isinstance(value, str):
            submitted.setdefault(name, []).append(value)
    result = validate(form, submitted, today_in(svc.settings.tz))
    if result.cleaned is None:
        # Before the bot checks: a person who sends the empty form at once must see what is missing.
        return _render_form(request, form, token, cookie, result, status_code=422)
    client = request.client.host if request.client else "inconnu"
    if looks_like_a_bot(data, token, svc.settings.min_fill_seconds, time.time()):
        log.warning("envoi écarté (pot de miel ou remplissage trop rapide) sur le formulaire %s", source)
        svc.limiter.record(client)
        return _to_receipt(svc, _decoy_receipt(source, result.cleaned["territoire"]))
    key = submission_key(token, result.cleaned)
    if retry := svc.limiter.retry_after(client):
        # Over the limit, a replay of a report already stored still gets its receipt.
        if existing := await svc.store.read(partial(store.find_submission, key=key)):
            return _to_receipt(svc, existing)
        log.warning("limite d'envois atteinte sur le formulaire %s", source)
        minutes = max(1, (retry + 59) // 60)
        return error_page(request, 429, headers={"retry-after": str(retry)}, retry_minutes=minutes)
    now = datetime.now(UTC)
    report = store.NewReport(source, result.cleaned, key, now, now.astimezone(svc.settings.tz).year)
    receipt = await svc.store.write_grouped(store.insert_reports, report)
    response = _to_receipt(svc, receipt)
    if receipt.replayed:
        log.info("envoi rejoué : %s déjà enregistré", receipt.reference)
    else:
        svc.limiter.record(client)
        log.info("rapport enregistré : %s (territoire %s)", receipt.reference, receipt.territoire)
        # After the response, once committed: the coordinators' e-mail never delays or fails a submission.
        response.background = notifications.task(svc, receipt.reference, receipt.source, receipt.territoire)
    return response


async def receipt_page(request: Request) -> Response:
    """The receipt: reference and next steps, read from a signed cookie (nothing personal in the URL)."""
    svc = services(request)
    raw = request.cookies.get(_receipt_cookie_name(svc), "")
    payload = unsign(svc.settings.secret_key, "recu", raw) if raw else None
    receipt = None
    if payload and payload.count("|") == 2:
        reference, source, territoire = payload.split("|")
        nom = svc.catalogue.territoires[territoire].nom if territoire in svc.catalogue.territoires else ""
        receipt = {"reference": reference, "source": source, "territoire": nom}
    return render(request, "recu.html", {"receipt": receipt}, headers=NO_STORE)


async def forms_index(request: Request) -> Response:
    """The list of public forms."""
    return render(request, "formulaires.html", {"forms": services(request).forms})


async def health(request: Request) -> Response:
    """`/sante`: is the app up and the database readable? No personal data."""
    svc = services(request)
    try:
        details = await svc.store.read(store.ping)
    except Exception:
        log.exception("contrôle de santé : base illisible")
        return JSONResponse({"statut": "erreur", "base": "illisible"}, status_code=503, headers=NO_STORE)
    return JSONResponse(
        {"statut": "ok", "version": __version__, "base": "ok", **details, "guide": svc.guide_available},
        headers=NO_STORE,
    )


async def guide_missing(request: Request) -> Response:
    """`/` when the guide has not been built yet."""
    return render(request, "guide_absent.html", {"forms": services(request).forms})


def _form_route(path: str, source: str) -> Route:
    async def endpoint(request: Request) -> Response:
        handler: Callable[[str, Request], Awaitable[Response]] = (
            show_form if request.method in ("GET", "HEAD") else submit_form
        )
        return await handler(source, request)

    return Route(path, endpoint, methods=["GET", "POST"], name=f"formulaire_{source}")


def routes(site_dir: Path | None) -> list[BaseRoute]:
    """Every route of the app; the static guide, when built, is mounted last at `/`."""
    listed: list[BaseRoute] = [
        Route("/sante", health, methods=["GET"], name="sante"),
        Route("/formulaires", lambda request: RedirectResponse("/formulaires/", status_code=308)),
        Route("/formulaires/", forms_index, methods=["GET"], name="formulaires"),
        Route("/formulaires/recu", receipt_page, methods=["GET"], name="recu"),
        _form_route("/formulaires/rupture", "rupture"),
        _form_route("/formulaires/orientation", "orientation"),
        Mount("/formulaires/static", StaticFiles(directory=STATIC_DIR), name="static"),
        Route("/coordination/connexion", login.login, methods=["GET", "POST"], name="connexion"),
        Route("/coordination/deconnexion", login.logout, methods=["POST"], name="deconnexion"),
        Route("/coordination/journal", journal.journal_page, methods=["GET"], name="journal"),
        *coordination_routes.routes(),
    ]
    if site_dir is not None:
        listed.append(Mount("/", StaticFiles(directory=site_dir, html=True), name="guide"))
    else:
        listed.append(Route("/", guide_missing, methods=["GET"], name="guide"))
    return listed
