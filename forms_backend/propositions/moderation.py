"""Moderating partners' proposals in the back office: `/coordination/propositions` and one page per proposal.

Regional accounts moderate every proposal, a coordinator those of their territories' actions (a national
dispositif's correction is for regional accounts). Accepting writes the sheet through the same models as
`generator check` (never when the catalogue would get an error), commits it when the data folder is a git work
tree, rebuilds the guide in the background; refusing or asking a question sends the proposer the moderator's
message. Every step is in the audit journal.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from functools import partial
from pathlib import Path
from typing import Any

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms_backend import mail
from forms_backend.accounts.auth import back_office
from forms_backend.clock import today_in
from forms_backend.coordination.table import common_context, params_of, user_of
from forms_backend.db import propositions as db
from forms_backend.errors import TrackingError
from forms_backend.propositions import publish
from forms_backend.propositions.forms import FIELDS, apply, check_model, form, json_ready, values_of
from forms_backend.propositions.public import current_sheet
from forms_backend.services import Services, services
from forms_backend.vocabulary import PROPOSITION_GENRES, PROPOSITION_STATUTS, AuditAction, AuditResult
from forms_backend.web.audit import log as log_audit
from forms_backend.web.forms import Formulaire, clean_text, validate
from forms_backend.web.pages import render

log = logging.getLogger("partaj.propositions")
MESSAGE_MAX = 2000
MESSAGE_REQUIRED = "Écrivez le message envoyé au proposeur."
CANNOT_ACCEPT = "Cette proposition ne peut pas être acceptée telle quelle : corrigez les champs signalés."
DONE = {
    "acceptee": "Proposition acceptée : la fiche est écrite et le guide est en cours de publication.",
    "refusee": "Proposition refusée : le proposeur en est informé.",
    "question": "Question envoyée au proposeur.",
}
SUBJECTS = {
    "acceptee": "PARTAJ : votre proposition {ref} est acceptée",
    "refusee": "PARTAJ : votre proposition {ref} n'est pas retenue",
    "question": "PARTAJ : une question sur votre proposition {ref}",
}
BODIES = {
    "acceptee": "Bonjour,\n\nVotre proposition {ref} a été relue et acceptée : elle est publiée dans le guide PARTAJ.\n"
    "{message}\nMerci de faire vivre le guide.\n\n— PARTAJ (message automatique)\n",
    "refusee": "Bonjour,\n\nVotre proposition {ref} n'a pas été retenue. Le message du modérateur :\n\n{message}\n\n"
    "— PARTAJ (message automatique)\n",
    "question": "Bonjour,\n\nLe modérateur du guide PARTAJ a une question sur votre proposition {ref} :\n\n{message}\n\n"
    "Vous pouvez répondre en envoyant une nouvelle proposition qui la cite.\n\n— PARTAJ (message automatique)\n",
}


def _kind(proposition: dict[str, Any]) -> str:
    return str(proposition["cible_type"] or "fiche")


def _sheet_form(svc: Services, kind: str) -> Formulaire:
    full = form(svc.catalogue, kind, correction=False)
    return replace(full, sections=full.sections[:1])


def _base(svc: Services, proposition: dict[str, Any]) -> dict[str, Any]:
    """What the proposal changes: the sheet's current file (a correction), or nothing (a new action)."""
    if proposition["genre"] == "nouvelle":
        return {}
    return current_sheet(svc, _kind(proposition), str(proposition["cible"]))


def _text(value: Any, choices: dict[str, str]) -> str:
    """A form value as the moderator reads it: labels of the choices, lists joined."""
    if isinstance(value, list):
        return ", ".join(str(choices.get(v, v)) for v in value)
    return choices.get(value, value) if choices else str(value)


def _comparable(value: Any) -> Any:
    return sorted(value) if isinstance(value, list) else value


def _comparison(svc: Services, proposition: dict[str, Any], proposed: dict[str, Any]) -> list[dict[str, Any]]:
    """Field by field: label, current value, proposed value, changed or not (a correction)."""
    kind = _kind(proposition)
    current = values_of(_base(svc, proposition), kind, svc.catalogue)
    shown = values_of(proposed, kind, svc.catalogue)
    if proposed.get("porteur_nom"):
        shown["porteur"] = str(proposed["porteur_nom"])
    champs = {c.name: c for c in _sheet_form(svc, kind).champs}
    rows = []
    for name in FIELDS[kind]:
        champ = champs[name]
        choices = dict(champ.choices)
        rows.append(
            {
                "label": champ.label,
                "actuel": _text(current.get(name, ""), choices),
                "propose": _text(shown.get(name, ""), choices),
                "change": _comparable(current.get(name, "")) != _comparable(shown.get(name, "")),
            }
        )
    return rows


async def _load(request: Request) -> tuple[Services, dict[str, Any]]:
    svc = services(request)
    proposition_id = int(request.path_params["id"])
    found = await svc.store.read(
        partial(db.get, proposition_id=proposition_id, scope=user_of(request).scope())
    )
    return svc, found


@back_office
async def listing(request: Request) -> Response:
    """The proposals the user moderates: open ones first."""
    svc = services(request)
    rows = await svc.store.read(partial(db.listing, scope=user_of(request).scope()))
    await log_audit(request, AuditAction.PROPOSITIONS_CONSULTEES, None, AuditResult.SUCCES)
    context = {
        **common_context(request),
        "rows": rows,
        "statuts": PROPOSITION_STATUTS,
        "genres": PROPOSITION_GENRES,
        "publication": request.app.state.publication,
    }
    return render(request, "propositions/liste.html", context)


def _render_page(
    request: Request,
    svc: Services,
    proposition: dict[str, Any],
    values: dict[str, Any] | None = None,
    errors: dict[str, str] | None = None,
    other: list[str] | None = None,
    status_code: int = 200,
    message_errors: dict[str, str] | None = None,
) -> Response:
    kind = _kind(proposition)
    proposed = proposition["donnees"]
    if values is None:
        values = values_of(proposed, kind, svc.catalogue)
        if proposed.get("porteur_nom"):
            values["porteur"] = str(proposed["porteur_nom"])
    open_ = proposition["statut"] in db.OPEN
    if errors is None and open_:
        errors, other = {}, []
        if proposition["genre"] != "rien-a-changer":
            errors = check_model(proposed, kind, svc.catalogue, today_in(svc.settings.tz))
        if not errors:
            sheet = (
                proposed
                if proposition["genre"] != "correction"
                else apply(_base(svc, proposition), _cleaned(values, kind, svc), kind, svc.catalogue)
            )
            prepared = publish.prepare(
                proposition, sheet, svc.catalogue, Path(svc.settings.data_dir), today_in(svc.settings.tz)
            )
            errors, other = publish.problems_of(
                prepared, Path(svc.settings.data_dir), today_in(svc.settings.tz)
            )
    context = {
        **common_context(request),
        "p": proposition,
        "kind": kind,
        "form": _sheet_form(svc, kind),
        "values": values,
        "errors": errors or {},
        "other": other or [],
        "message_errors": message_errors or {},
        "comparison": _comparison(svc, proposition, proposed) if proposition["genre"] == "correction" else [],
        "statuts": PROPOSITION_STATUTS,
        "genres": PROPOSITION_GENRES,
        "open": open_,
        "done": DONE.get(request.query_params.get("fait", ""), ""),
        "publication": request.app.state.publication,
        "cannot_accept": CANNOT_ACCEPT if (errors or other) else "",
    }
    return render(request, "propositions/proposition.html", context, status_code)


async def _page(
    request: Request, svc: Services, proposition: dict[str, Any], *args: Any, **kwargs: Any
) -> Response:
    """The proposal's page (`_render_page`), off the event loop: it checks the sheet with the whole catalogue
    (half a second, two with thousands of imported sheets), which would hold every other request meanwhile."""
    return await run_in_threadpool(_render_page, request, svc, proposition, *args, **kwargs)


def _cleaned(values: dict[str, Any], kind: str, svc: Services) -> dict[str, Any]:
    submitted = {k: v if isinstance(v, list) else [v] for k, v in values.items()}
    result = validate(_sheet_form(svc, kind), submitted, today_in(svc.settings.tz))
    return result.cleaned or {}


@back_office
async def page(request: Request) -> Response:
    """One proposal: the comparison (a correction) or the sheet as it will be published, with the problems
    `generator check` would find next to their fields; accept, refuse, ask."""
    svc, proposition = await _load(request)
    await log_audit(request, AuditAction.PROPOSITION_CONSULTEE, proposition["reference"], AuditResult.SUCCES)
    return await _page(request, svc, proposition)


def _notify(svc: Services, proposition: dict[str, Any], statut: str, message: str) -> BackgroundTask | None:
    if not svc.settings.smtp_host or not proposition["proposeur_courriel"]:
        return None
    ref = proposition["reference"]
    body = BODIES[statut].format(ref=ref, message=message)
    outgoing = [
        mail.message(svc.settings, proposition["proposeur_courriel"], SUBJECTS[statut].format(ref=ref), body)
    ]

    async def send() -> None:
        try:
            await run_in_threadpool(mail.send, svc.settings, outgoing)
        except Exception as exc:
            log.warning("courriel au proposeur de %s non envoyé : %s", ref, type(exc).__name__)

    return BackgroundTask(send)


def _done(proposition: dict[str, Any], statut: str) -> RedirectResponse:
    return RedirectResponse(f"/coordination/propositions/{proposition['id']}?fait={statut}", status_code=303)


@back_office
async def accept(request: Request) -> Response:
    """POST the sheet's fields (as the moderator left them): written, committed, published; 422 with the
    problems when the catalogue would not be valid."""
    svc, proposition = await _load(request)
    user = user_of(request)
    kind = _kind(proposition)
    params = await params_of(request)
    today = today_in(svc.settings.tz)
    data_dir = Path(svc.settings.data_dir)
    if proposition["statut"] not in db.OPEN:
        return await _page(request, svc, proposition, status_code=409)
    if proposition["genre"] == "rien-a-changer":
        sheet = _base(svc, proposition)
        values = None
    else:
        result = validate(_sheet_form(svc, kind), params, today)
        values = dict(result.values)
        errors = dict(result.errors)
        sheet = apply(_base(svc, proposition), result.cleaned or {}, kind, svc.catalogue)
        if result.cleaned is not None:
            errors.update(check_model(sheet, kind, svc.catalogue, today))
        if errors:
            return await _page(request, svc, proposition, values, errors, [], 422)
    prepared = publish.prepare(proposition, sheet, svc.catalogue, data_dir, today)
    errors, other = await run_in_threadpool(publish.problems_of, prepared, data_dir, today)
    if errors or other:
        await log_audit(
            request, AuditAction.PROPOSITION_ACCEPTEE, proposition["reference"], AuditResult.REFUSE
        )
        return await _page(request, svc, proposition, values, errors, other, 422)
    paths = await run_in_threadpool(publish.write, prepared, data_dir)
    relative = f"{prepared.folder}/{prepared.sheet_id}.yaml"
    try:
        await svc.store.write(
            partial(
                db.decide,
                proposition_id=proposition["id"],
                scope=user.scope(),
                statut="acceptee",
                moderator=user.email,
                now=svc.clock(),
                fichier=relative,
                donnees=json_ready(sheet),
            )
        )
    except TrackingError:
        return await _page(request, svc, proposition, status_code=409)
    message = f"{proposition['reference']} : {PROPOSITION_GENRES[proposition['genre']].lower()} acceptée ({relative})"
    await run_in_threadpool(publish.commit, paths, data_dir, user.email, message)
    await log_audit(
        request,
        AuditAction.PROPOSITION_ACCEPTEE,
        proposition["reference"],
        AuditResult.SUCCES,
        {"fichier": relative},
    )
    request.app.state.reload_catalogue()
    publish.publish(request.app.state.publication, data_dir, Path(svc.settings.site_dir), svc.clock)
    response = _done(proposition, "acceptee")
    response.background = _notify(svc, proposition, "acceptee", "")
    return response


async def _answer(request: Request, statut: str, action: AuditAction) -> Response:
    svc, proposition = await _load(request)
    user = user_of(request)
    params = await params_of(request)
    message, error = clean_text((params.get("message") or [""])[0], multiline=True)
    if error or not message or len(message) > MESSAGE_MAX:
        problem = error or (MESSAGE_REQUIRED if not message else f"{MESSAGE_MAX} caractères au maximum.")
        return await _page(request, svc, proposition, status_code=422, message_errors={statut: problem})
    try:
        await svc.store.write(
            partial(
                db.decide,
                proposition_id=proposition["id"],
                scope=user.scope(),
                statut=statut,
                moderator=user.email,
                now=svc.clock(),
                message=message,
            )
        )
    except TrackingError:
        return await _page(request, svc, proposition, status_code=409)
    await log_audit(request, action, proposition["reference"], AuditResult.SUCCES)
    response = _done(proposition, statut)
    response.background = _notify(svc, proposition, statut, message)
    return response


@back_office
async def refuse(request: Request) -> Response:
    """POST a refusal with its message to the proposer."""
    return await _answer(request, "refusee", AuditAction.PROPOSITION_REFUSEE)


@back_office
async def ask(request: Request) -> Response:
    """POST a question to the proposer; the proposal stays open."""
    return await _answer(request, "question", AuditAction.PROPOSITION_QUESTION)
