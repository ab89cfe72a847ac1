"""Freshness: the sheets whose `date_maj` is over 12 months old (« À actualiser »), and the reminders e-mailed to
their public contact (`python -m forms_backend rappels-actualisation`), at most once every 90 days per sheet,
with a link to the correction form already filled and its « Rien à changer » answer."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from email.message import EmailMessage

from starlette.requests import Request
from starlette.responses import Response

from forms_backend import mail
from forms_backend.accounts.auth import back_office
from forms_backend.clock import parse_timestamp, today_in
from forms_backend.coordination.table import common_context, user_of
from forms_backend.db import propositions as db
from forms_backend.services import services
from forms_backend.settings import Settings
from forms_backend.web.pages import render
from generator.catalogue import Catalogue

STALE_DAYS = 365
EVERY_DAYS = 90
SUBJECT = "PARTAJ : la fiche « {nom} » est-elle encore à jour ?"
BODY = """Bonjour,

La fiche « {nom} » du guide PARTAJ, dont vous êtes le contact public, a été vérifiée pour la dernière fois le
{date_maj}. Les partenaires des cellules techniques locales s'en servent pour orienter des jeunes : pouvez-vous
nous dire si elle est encore exacte ?

Corriger la fiche, ou répondre « Rien à changer » :
{lien}

Un modérateur relit chaque réponse avant de la publier.

— PARTAJ (message automatique ; vous recevrez au plus un rappel tous les trois mois pour cette fiche)
"""


@dataclass(frozen=True)
class Stale:
    """A sheet to refresh: kind, id, name, last check, public contact."""

    kind: str
    id: str
    nom: str
    date_maj: date
    telephone: str | None
    courriel: str | None
    territoires: tuple[str, ...]


def stale_sheets(catalogue: Catalogue, today: date) -> list[Stale]:
    """The guide's own fiches and dispositifs checked more than 12 months ago, oldest first (imported sheets are
    refreshed by their import, past actions need no refreshing)."""
    found = []
    for kind, sheets in (("fiche", catalogue.fiches), ("dispositif", catalogue.dispositifs)):
        for sheet in sheets.values():
            if getattr(sheet, "exemple", False) or (today - sheet.date_maj).days <= STALE_DAYS:
                continue
            if kind == "fiche" and getattr(sheet, "active", True) is False:
                continue
            territoires = tuple(getattr(sheet, "territoires", ()) or ()) if kind == "fiche" else ()
            found.append(
                Stale(kind, sheet.id, sheet.nom, sheet.date_maj, sheet.telephone, sheet.courriel, territoires)
            )
    return sorted(found, key=lambda s: (s.date_maj, s.id))


@back_office
async def page(request: Request) -> Response:
    """« À actualiser »: the stale sheets the user moderates, with their public contact and last reminder."""
    svc = services(request)
    user = user_of(request)
    today = today_in(svc.settings.tz)
    sheets = [
        s
        for s in stale_sheets(svc.catalogue, today)
        if user.regional or any(user.sees(t) for t in s.territoires)
    ]
    reminders = await svc.store.read(db.last_reminders)
    context = {**common_context(request), "sheets": sheets, "reminders": reminders}
    return render(request, "propositions/a_actualiser.html", context)


@dataclass(frozen=True)
class Reminders:
    """What the command sent (or, in a dry run, would send), and what it left aside."""

    sent: list[Stale]
    without_email: list[Stale]
    too_soon: list[Stale]


def plan(catalogue: Catalogue, last: dict[tuple[str, str], str], now: datetime, today: date) -> Reminders:
    due, without, soon = [], [], []
    for sheet in stale_sheets(catalogue, today):
        previous = last.get((sheet.kind, sheet.id))
        if not sheet.courriel:
            without.append(sheet)
        elif previous is not None and now - parse_timestamp(previous) < timedelta(days=EVERY_DAYS):
            soon.append(sheet)
        else:
            due.append(sheet)
    return Reminders(due, without, soon)


def messages(settings: Settings, sheets: list[Stale]) -> list[EmailMessage]:
    base = settings.base_url.rstrip("/")
    return [
        mail.message(
            settings,
            str(sheet.courriel),
            SUBJECT.format(nom=sheet.nom),
            BODY.format(
                nom=sheet.nom,
                date_maj=sheet.date_maj.strftime("%d/%m/%Y"),
                lien=f"{base}/contribuer/correction/{sheet.id}?rappel=1",
            ),
        )
        for sheet in sheets
    ]
