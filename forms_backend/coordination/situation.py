"""`/coordination/situations/…`: one situation (report, history, follow-up forms), its changes, manual entry.

Each change is a small POST form: refused, it comes back as the situation page with status 422, the message
beside the field and what was typed; accepted, a 303 back to the page (the change, its history event and its
audit entry in one transaction). A situation outside the user's territories answers 404 and changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from functools import partial
from typing import Any

from sqlite_utils import Database
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms_backend.accounts.auth import back_office
from forms_backend.clock import today_in
from forms_backend.coordination import rules, suggestions
from forms_backend.coordination.table import common_context, params_of, user_of, visible_territoires
from forms_backend.db import situations
from forms_backend.db import tracking as tracking_db
from forms_backend.db.tracking import Actor
from forms_backend.errors import TrackingError
from forms_backend.services import Services, services
from forms_backend.vocabulary import SOLUTION_KINDS, AuditAction, AuditResult, allowed_next
from forms_backend.web.audit import log as log_audit
from forms_backend.web.forms import Formulaire, validate
from forms_backend.web.pages import render

DONE = {
    "statut": "Statut enregistré.",
    "note": "Note ajoutée à la fiche de suivi.",
    "solution": "Solution proposée enregistrée.",
    "solution-retiree": "Solution retirée.",
    "referent": "Référent tuteur enregistré.",
    "ctl": "Prochaine réunion de la CTL enregistrée.",
    "saisie": "Situation enregistrée.",
}
SAISIE_TOKEN = "jeton_saisie"


def _situation_id(request: Request) -> int:
    return int(request.path_params["id"])


def _actor(request: Request) -> Actor:
    user = user_of(request)
    return Actor(user.id, user.email)


def solution_choices(svc: Services) -> dict[str, list[tuple[str, str]]]:
    """The guide's dispositifs and fiches, by name, for the solution select."""
    return {
        kind: sorted(((i, o.nom) for i, o in rules.offres(svc.catalogue, kind).items()), key=lambda x: x[1])
        for kind in SOLUTION_KINDS
    }


async def _page(
    request: Request, forms: dict[str, rules.Change] | None = None, status_code: int = 200
) -> Response:
    svc = services(request)
    user = user_of(request)
    # Outside the user's territories: SituationNotFound, a 404 recorded as a refusal (`web.pages.backend_error`).
    found = await svc.store.read(
        partial(tracking_db.situation, situation_id=_situation_id(request), scope=user.scope())
    )
    if status_code == 200:
        await log_audit(request, AuditAction.SITUATION_CONSULTEE, found.row["reference"], AuditResult.SUCCES)
    done = request.query_params.get("fait", "")
    context = {
        **common_context(request),
        "s": found,
        "forms": forms or {},
        "next_statuts": allowed_next(found.row["statut"]),
        "solution_choices": solution_choices(svc),
        "possibles": suggestions.possibles(found, svc.catalogue, svc.settings.tz, _today(svc)),
        "done": DONE.get(done, ""),
        "note_max": rules.NOTE_MAX,
    }
    return render(request, "coordination/situation.html", context, status_code)


@back_office
async def situation_page(request: Request) -> Response:
    """Everything reported, the history timeline and the follow-up forms."""
    return await _page(request)


Validator = Callable[[Services, str, dict[str, list[str]]], rules.Change]
Job = Callable[..., None]


async def _change(request: Request, form: str, validator: Validator, job: Job) -> Response:
    """Validate one follow-up form, then run its writer job; 422 with the page on a refusal."""
    svc = services(request)
    user = user_of(request)
    situation_id = _situation_id(request)
    row = await svc.store.read(partial(tracking_db.visible, situation_id=situation_id, scope=user.scope()))
    change = validator(svc, row["statut"], await params_of(request))
    if change.ok:
        try:
            await svc.store.write(
                partial(
                    job,
                    situation_id=situation_id,
                    scope=user.scope(),
                    actor=_actor(request),
                    now=svc.clock(),
                    **change.data,
                )
            )
        except TrackingError as exc:
            change.errors[exc.field] = REFUSED.get((form, exc.field), exc.message)
    if not change.ok:
        return await _page(request, {form: change}, 422)
    anchor = "historique" if form in ("note", "statut") else form
    return RedirectResponse(f"/coordination/situations/{situation_id}?fait={form}#{anchor}", status_code=303)


# Refusals found in the transaction (the situation changed since the page was shown).
REFUSED = {
    (
        "statut",
        "statut",
    ): "Le statut de cette situation vient de changer : rechargez la page puis recommencez.",
    ("solution", "solution"): rules.SOLUTION_TWICE,
    ("solution-retiree", "solution"): "Cette solution n'est plus proposée pour cette situation.",
}


def _today(svc: Services) -> Any:
    return today_in(svc.settings.tz)


@back_office
async def change_status(request: Request) -> Response:
    """POST statut (+ sortie or motif_sans_suite)."""

    def check(svc: Services, current: str, params: dict[str, list[str]]) -> rules.Change:
        return rules.status_change(svc.catalogue, current, params)

    return await _change(request, "statut", check, tracking_db.change_status)


@back_office
async def add_note(request: Request) -> Response:
    """POST a dated note of the fiche de suivi."""

    def check(svc: Services, current: str, params: dict[str, list[str]]) -> rules.Change:
        return rules.note(params, _today(svc))

    return await _change(request, "note", check, tracking_db.add_note)


def _solution(svc: Services, current: str, params: dict[str, list[str]]) -> rules.Change:
    return rules.solution(svc.catalogue, params)


@back_office
async def add_solution(request: Request) -> Response:
    """POST a dispositif or fiche of the guide's catalogue."""

    return await _change(request, "solution", _solution, tracking_db.add_solution)


@back_office
async def remove_solution(request: Request) -> Response:
    """POST the withdrawal of a proposed solution."""

    return await _change(request, "solution-retiree", _solution, tracking_db.remove_solution)


@back_office
async def set_referent(request: Request) -> Response:
    """POST the référent tuteur (every field empty: no référent)."""

    def check(svc: Services, current: str, params: dict[str, list[str]]) -> rules.Change:
        return rules.referent(params, _today(svc))

    return await _change(request, "referent", check, tracking_db.set_referent)


@back_office
async def set_next_ctl(request: Request) -> Response:
    """POST the date of the next CTL meeting that examines the situation."""

    def check(svc: Services, current: str, params: dict[str, list[str]]) -> rules.Change:
        return rules.next_ctl(params, _today(svc))

    return await _change(request, "ctl", check, tracking_db.set_next_ctl)


def saisie_form(svc: Services) -> Formulaire:
    """The referral form's fields and rules, for a coordinator entering a situation by hand."""
    orientation = svc.forms["orientation"]
    return Formulaire(
        source="saisie",
        title="Saisir une situation",
        intro=(
            "Pour une situation connue autrement que par les formulaires (appel, rencontre, réunion de la CTL) : "
            "les mêmes informations et les mêmes règles que l'orientation vers la CTL."
        ),
        sections=orientation.sections,
        rules=orientation.rules,
    )


def _saisie_page(
    request: Request,
    values: dict[str, Any],
    errors: dict[str, str],
    token: str,
    status_code: int = 200,
) -> Response:
    svc = services(request)
    form = saisie_form(svc)
    visible = {t for t, _ in visible_territoires(svc.catalogue, user_of(request))}
    # A coordinator enters situations of their own territories only.
    sections = tuple(
        replace(
            section,
            champs=tuple(
                replace(c, choices=tuple(x for x in c.choices if x[0] in visible))
                if c.name == "territoire"
                else c
                for c in section.champs
            ),
        )
        for section in form.sections
    )
    shown = replace(form, sections=sections)
    context = {
        **common_context(request),
        "form": shown,
        "values": values,
        "errors": errors,
        "token_field": SAISIE_TOKEN,
        "token": token,
    }
    return render(request, "coordination/saisie.html", context, status_code)


def saisie_key(user_id: int, token: str, cleaned: dict[str, Any]) -> str:
    """Idempotency key of a manual entry: a double click finds the situation the first click created."""
    payload = json.dumps(cleaned, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(f"saisie|{user_id}|{token}|{payload}".encode()).hexdigest()


@back_office
async def saisie(request: Request) -> Response:
    """GET the empty form; POST: validation (422 keeping every value), then a situation of source `saisie`."""
    svc = services(request)
    user = user_of(request)
    if request.method != "POST":
        return _saisie_page(request, {"orienteur_courriel": user.email}, {}, secrets.token_urlsafe(16))
    params = await params_of(request)
    token = (params.get(SAISIE_TOKEN) or [""])[0][:64] or secrets.token_urlsafe(16)
    result = validate(saisie_form(svc), params, today_in(svc.settings.tz))
    if result.cleaned is not None and not user.sees(result.cleaned["territoire"]):
        derived = not result.values.get("territoire")
        result.errors["territoire"] = (
            rules.OTHER_TERRITORY.format(
                territoire=svc.catalogue.territoires[result.cleaned["territoire"]].nom
            )
            if derived
            else rules.UNKNOWN_CHOICE
        )
        result.cleaned = None
    if result.cleaned is None:
        return _saisie_page(request, dict(result.values), result.errors, token, 422)
    now: datetime = svc.clock()
    report = situations.NewReport(
        "saisie",
        result.cleaned,
        saisie_key(user.id, token, result.cleaned),
        now,
        now.astimezone(svc.settings.tz).year,
    )
    situation_id, _ = await svc.store.write(partial(_insert, report=report, actor=_actor(request)))
    return RedirectResponse(f"/coordination/situations/{situation_id}?fait=saisie", status_code=303)


def _insert(db: Database, report: situations.NewReport, actor: Actor) -> tuple[int, bool]:
    return tracking_db.insert_saisie(db, report, actor)
