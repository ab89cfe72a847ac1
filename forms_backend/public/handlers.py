"""Request handlers of the public forms: the list, each form (GET, POST), the receipt, the guide placeholder."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Awaitable, Callable
from functools import partial

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from forms_backend.clock import today_in
from forms_backend.db import situations
from forms_backend.public import notifications
from forms_backend.services import Services, services
from forms_backend.vocabulary import reference
from forms_backend.web import csrf
from forms_backend.web.forms import Formulaire, Result, validate
from forms_backend.web.pages import error_page, render
from forms_backend.web.security import (
    FormToken,
    looks_like_a_bot,
    submission_key,
)
from forms_backend.web.submission import (
    NO_STORE,
    checked_post,
    protections,
    receipt_of,
    submitted,
    to_receipt,
)
from generator.paths import COMMUNE_FINDER_JS

log = logging.getLogger("partaj.formulaires")
PAGE_TOO_OLD = (
    "Cette page est restée ouverte plus de 24 heures : par sécurité, votre envoi n'a pas été enregistré. "
    "Vos réponses sont conservées ci-dessous : vérifiez-les puis renvoyez le formulaire."
)


RECEIPT_COOKIE = "partaj_recu"


def _render_form(
    request: Request,
    form: Formulaire,
    token: FormToken,
    cookie: str,
    result: Result | None = None,
    status_code: int = 200,
    notice: str = "",
) -> Response:
    svc = services(request)
    context = {
        "form": form,
        "values": result.values if result else {},
        "errors": result.errors if result else {},
        "notice": notice,
        **protections(svc.settings, cookie, token),
        "settings": svc.settings,
    }
    response = render(request, "formulaire.html", context, status_code, headers=NO_STORE)
    csrf.keep_cookie(request, response, svc.settings, cookie)
    return response


async def show_form(source: str, request: Request) -> Response:
    """GET: an empty form, with its CSRF token and a signed display time."""
    svc = services(request)
    cookie = csrf.cookie_of(request, svc.settings) or csrf.new_secret()
    return _render_form(request, svc.forms[source], FormToken.issue(source), cookie)


def _to_receipt(svc: Services, receipt: situations.Receipt) -> Response:
    payload = "|".join((receipt.reference, receipt.source, receipt.territoire))
    return to_receipt(svc.settings, "/formulaires/recu", RECEIPT_COOKIE, "recu", payload)


def _decoy_receipt(svc: Services, source: str, territoire: str) -> situations.Receipt:
    """What a bot is shown: the same page as a person, with a reference that matches no situation."""
    year = svc.clock().astimezone(svc.settings.tz).year
    number = secrets.randbelow(900_000) + 100_000
    return situations.Receipt(reference(source, year, number), source, territoire)


async def submit_form(source: str, request: Request) -> Response:
    """POST: checks (origin, CSRF, display token), page shown over 24 hours ago or validation (422, every
    answer kept), bots, rate limit (429), one transaction, 303. A body not in UTF-8 or a field sent twice: 400."""
    svc = services(request)
    form = svc.forms[source]
    data, cookie, token = await checked_post(request, source)
    result = validate(form, submitted(data), today_in(svc.settings.tz))
    if token.expired(time.time()):
        # Shown again with every answer and a fresh token: nothing is lost, nothing is stored.
        fresh = token.renewed(svc.settings.min_fill_seconds)
        return _render_form(request, form, fresh, cookie, result, status_code=422, notice=PAGE_TOO_OLD)
    if result.cleaned is None:
        # Before the bot checks: a person who sends the empty form at once must see what is missing.
        return _render_form(request, form, token, cookie, result, status_code=422)
    client = request.client.host if request.client else "inconnu"
    if looks_like_a_bot(data, token, svc.settings.min_fill_seconds, time.time()):
        log.warning("envoi écarté (pot de miel ou remplissage trop rapide) sur le formulaire %s", source)
        svc.limiter.record(client)
        return _to_receipt(svc, _decoy_receipt(svc, source, result.cleaned["territoire"]))
    key = submission_key(token, result.cleaned)
    if retry := svc.limiter.retry_after(client):
        # Over the limit, a replay of a report already stored still gets its receipt.
        if existing := await svc.store.read(partial(situations.find_submission, key=key)):
            return _to_receipt(svc, existing)
        log.warning("limite d'envois atteinte sur le formulaire %s", source)
        minutes = max(1, (retry + 59) // 60)
        return error_page(request, 429, headers={"retry-after": str(retry)}, retry_minutes=minutes)
    now = svc.clock()
    report = situations.NewReport(source, result.cleaned, key, now, now.astimezone(svc.settings.tz).year)
    receipt = await svc.store.write_grouped(situations.insert_reports, report)
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
    payload = receipt_of(request, svc.settings, RECEIPT_COOKIE, "recu")
    receipt = None
    if payload and payload.count("|") == 2:
        reference, source, territoire = payload.split("|")
        nom = svc.catalogue.territoires[territoire].nom if territoire in svc.catalogue.territoires else ""
        receipt = {"reference": reference, "source": source, "territoire": nom}
    return render(request, "recu.html", {"receipt": receipt}, headers=NO_STORE)


async def communes_list(request: Request) -> Response:
    """The communes of the completion list (JSON, gzipped when the browser accepts it, revalidated by ETag)."""
    asset = services(request).communes
    if asset is None:
        raise HTTPException(404)
    headers = {"cache-control": "public, max-age=3600", "etag": asset.etag, "vary": "accept-encoding"}
    if asset.etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    if "gzip" in request.headers.get("accept-encoding", ""):
        headers["content-encoding"] = "gzip"
        return Response(asset.gzipped, media_type="application/json", headers=headers)
    return Response(asset.body, media_type="application/json", headers=headers)


async def commune_normaliser(request: Request) -> Response:
    """The guide's script that normalises commune names (one copy of it for the guide and the forms)."""
    return FileResponse(
        COMMUNE_FINDER_JS, media_type="text/javascript", headers={"cache-control": "public, max-age=3600"}
    )


async def forms_index(request: Request) -> Response:
    """The list of public forms."""
    return render(request, "formulaires.html", {"forms": services(request).forms})


async def guide_missing(request: Request) -> Response:
    """`/` when the guide has not been built yet."""
    return render(request, "guide_absent.html", {"forms": services(request).forms})


def form_endpoint(source: str) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint of one public form: GET shows it, POST submits it."""

    async def endpoint(request: Request) -> Response:
        handler: Callable[[str, Request], Awaitable[Response]] = (
            show_form if request.method in ("GET", "HEAD") else submit_form
        )
        return await handler(source, request)

    return endpoint
