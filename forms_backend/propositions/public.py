"""The public proposal forms: `/contribuer/nouvelle`, `/contribuer/correction/{id}` and their receipt.

Same protections as the situation forms (`public.handlers`): CSRF, display token (fill time, 24 hours), honeypot,
rate limit per client, body and field limits, 422 with every value kept, idempotent replay; the proposer's name
and e-mail are never logged nor put in a URL.
"""

from __future__ import annotations

import logging
import secrets
import time
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from forms_backend.clock import today_in
from forms_backend.db import propositions as db
from forms_backend.propositions.forms import (
    NOTHING_CHANGED,
    PROPOSEUR,
    apply,
    check_model,
    form,
    json_ready,
    values_of,
)
from forms_backend.services import Services, services
from forms_backend.vocabulary import AuditAction, AuditResult, proposition_reference
from forms_backend.web import csrf
from forms_backend.web.audit import log as log_audit
from forms_backend.web.forms import Formulaire, validate
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
from generator.schema import Offre

log = logging.getLogger("partaj.propositions")
NOTHING_TO_CHANGE = "rien_a_changer"
FOLDERS = {"fiche": "fiches", "dispositif": "dispositifs"}


def sheet_file(svc: Services, kind: str, sheet_id: str) -> Path:
    return Path(svc.settings.data_dir) / FOLDERS[kind] / f"{sheet_id}.yaml"


def current_sheet(svc: Services, kind: str, sheet_id: str) -> dict[str, Any]:
    """The sheet as its YAML file holds it (every key, including those the form does not show)."""
    loaded = yaml.safe_load(sheet_file(svc, kind, sheet_id).read_text(encoding="utf-8"))
    return dict(loaded) if isinstance(loaded, dict) else {}


def target(svc: Services, sheet_id: str) -> tuple[str, Offre] | None:
    """The kind and sheet a correction is about, if it is one of the guide's own sheets."""
    if sheet_id in svc.catalogue.fiches and sheet_file(svc, "fiche", sheet_id).is_file():
        return "fiche", svc.catalogue.fiches[sheet_id]
    if sheet_id in svc.catalogue.dispositifs and sheet_file(svc, "dispositif", sheet_id).is_file():
        return "dispositif", svc.catalogue.dispositifs[sheet_id]
    return None


RECEIPT_COOKIE = "partaj_proposition"


def _page(
    request: Request,
    formulaire: Formulaire,
    action: str,
    cookie: str,
    values: dict[str, Any],
    errors: dict[str, str] | None = None,
    status_code: int = 200,
    token: FormToken | None = None,
    extra: dict[str, Any] | None = None,
) -> Response:
    svc = services(request)
    context = {
        "form": formulaire,
        "action": action,
        "values": values,
        "errors": errors or {},
        **protections(svc.settings, cookie, token or FormToken.issue(formulaire.source)),
        "nothing_to_change": NOTHING_TO_CHANGE,
        "sheet": None,
        "kind": "fiche",
        "reminder": False,
        **(extra or {}),
    }
    response = render(request, "propositions/formulaire.html", context, status_code, headers=NO_STORE)
    csrf.keep_cookie(request, response, svc.settings, cookie)
    return response


async def new_action(request: Request) -> Response:
    """GET the form of a new action (`?territoire=ID` ticks a territory); POST a proposal."""
    svc = services(request)
    formulaire = form(svc.catalogue, "fiche", correction=False)
    cookie = csrf.cookie_of(request, svc.settings) or csrf.new_secret()
    if request.method in ("GET", "HEAD"):
        territoire = request.query_params.get("territoire", "")
        values = {"territoires": [territoire]} if territoire in svc.catalogue.territoires else {}
        return _page(request, formulaire, "/contribuer/nouvelle", cookie, values)
    return await _submit(request, formulaire, "/contribuer/nouvelle", None)


async def correction(request: Request) -> Response:
    """GET the correction form of a sheet, filled with its current values; POST a proposal. An imported sheet is
    corrected at its producer's; an unknown id is a 404."""
    svc = services(request)
    sheet_id = request.path_params["id"]
    found = target(svc, sheet_id)
    if found is None:
        imported = svc.catalogue.fiches.get(sheet_id)
        provenance = getattr(imported, "provenance", None)
        if imported is not None and provenance is not None:
            context = {"sheet": imported, "lien": str(provenance.lien_source or "")}
            return render(request, "propositions/importee.html", context, headers=NO_STORE)
        raise HTTPException(404)
    kind, sheet = found
    formulaire = form(svc.catalogue, kind, correction=True)
    action = f"/contribuer/correction/{sheet_id}"
    cookie = csrf.cookie_of(request, svc.settings) or csrf.new_secret()
    extra = {"sheet": sheet, "kind": kind, "reminder": request.query_params.get("rappel") == "1"}
    if request.method in ("GET", "HEAD"):
        values = values_of(current_sheet(svc, kind, sheet_id), kind, svc.catalogue)
        return _page(request, formulaire, action, cookie, values, extra=extra)
    return await _submit(request, formulaire, action, (kind, sheet_id), extra)


async def _submit(
    request: Request,
    formulaire: Formulaire,
    action: str,
    cible: tuple[str, str] | None,
    extra: dict[str, Any] | None = None,
) -> Response:
    svc = services(request)
    data, cookie, token = await checked_post(request, formulaire.source)
    submitted_values = submitted(data)
    today = today_in(svc.settings.tz)
    nothing = cible is not None and NOTHING_TO_CHANGE in submitted_values
    shown = formulaire
    if nothing:
        # « Rien à changer »: only who answers is needed.
        shown = Formulaire(formulaire.source, formulaire.title, formulaire.intro, formulaire.sections[-1:])
    result = validate(shown, submitted_values, today)
    base = current_sheet(svc, *cible) if cible else {}
    kind = cible[0] if cible else "fiche"
    sheet = base
    if result.cleaned is not None and not nothing:
        sheet = apply(base, result.cleaned, kind, svc.catalogue)
        result.errors.update(check_model(sheet, kind, svc.catalogue, today))
        if cible and sheet == base:
            result.errors["motif"] = NOTHING_CHANGED
    values = dict(result.values)
    if nothing:
        values = {**values_of(base, kind, svc.catalogue), **values}
    if token.expired(time.time()) or result.errors:
        fresh = token.renewed(svc.settings.min_fill_seconds) if token.expired(time.time()) else token
        return _page(request, formulaire, action, cookie, values, result.errors, 422, fresh, extra)
    assert result.cleaned is not None
    client = request.client.host if request.client else "inconnu"
    if looks_like_a_bot(data, token, svc.settings.min_fill_seconds, time.time()):
        log.warning("proposition écartée (pot de miel ou remplissage trop rapide)")
        svc.limiter.record(client)
        # What a bot is shown: the same page as a person, with a reference that matches no proposal.
        year = svc.clock().astimezone(svc.settings.tz).year
        return _to_receipt(svc, proposition_reference(year, secrets.randbelow(900_000) + 100_000))
    if retry := svc.limiter.retry_after(client):
        minutes = max(1, (retry + 59) // 60)
        return error_page(request, 429, headers={"retry-after": str(retry)}, retry_minutes=minutes)
    genre = "rien-a-changer" if nothing else ("correction" if cible else "nouvelle")
    territoires = tuple(sheet.get("territoires") or []) + tuple(base.get("territoires") or [])
    donnees = json_ready({k: v for k, v in sheet.items()})
    key = submission_key(token, {"genre": genre, "cible": cible, "donnees": donnees, **result.cleaned})
    now = svc.clock()
    proposition = db.NewProposition(
        genre=genre,
        cible_type=cible[0] if cible else None,
        cible=cible[1] if cible else None,
        donnees=donnees,
        motif=result.cleaned.get("motif"),
        proposeur={name.removeprefix("proposeur_"): result.cleaned[name] for name in PROPOSEUR},
        territoires=tuple(t for t in territoires if t in svc.catalogue.territoires),
        key=key,
        now=now,
        year=now.astimezone(svc.settings.tz).year,
    )
    stored = await svc.store.write(partial(db.insert, proposition=proposition))
    if not stored.replayed:
        svc.limiter.record(client)
        log.info("proposition enregistrée : %s", stored.reference)
        await log_audit(request, AuditAction.PROPOSITION_RECUE, stored.reference, AuditResult.SUCCES)
    return _to_receipt(svc, stored.reference)


def _to_receipt(svc: Services, reference: str) -> Response:
    return to_receipt(svc.settings, "/contribuer/recu", RECEIPT_COOKIE, "proposition", reference)


async def receipt(request: Request) -> Response:
    """The receipt: the proposal's reference, read from a signed cookie."""
    svc = services(request)
    reference = receipt_of(request, svc.settings, RECEIPT_COOKIE, "proposition")
    return render(request, "propositions/recu.html", {"reference": reference}, headers=NO_STORE)
