"""The e-mail to a territory's coordinators when a form creates a situation: a link, no personal data.

Sent after the response, once the report is committed (`mail`); a failure is logged without personal data and
never touches the submission.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from email.message import EmailMessage
from functools import partial

from sqlite_utils import Database
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from forms_backend import mail
from forms_backend.db import accounts as accounts_db
from forms_backend.db import situations
from forms_backend.services import Services
from forms_backend.settings import Settings

log = logging.getLogger("partaj.notifications")
SMTP_TIMEOUT_SECONDS = 15
SOURCES = {
    "rupture": "signalement d'une rupture de contrat d'apprentissage par un CFA",
    "orientation": "orientation d'un jeune par un partenaire",
}
BODY = """Bonjour,

Une nouvelle situation a été transmise à la cellule technique locale du territoire « {territoire} »
({source}).

Pour la consulter, connectez-vous à PARTAJ :
{lien}

Ce message ne contient volontairement aucune donnée personnelle : elles ne sont consultables qu'après
connexion.

— PARTAJ (message automatique, merci de ne pas y répondre)
"""


@dataclass(frozen=True)
class Notice:
    """Who to tell about which situation."""

    situation_id: int
    recipients: list[str]


def _notice(db: Database, reference: str, territoire: str) -> Notice | None:
    situation = situations.situation_id(db, reference)
    if situation is None:
        return None
    return Notice(situation, accounts_db.coordinator_emails(db, territoire))


def messages(settings: Settings, notice: Notice, source: str, territoire_nom: str) -> list[EmailMessage]:
    """One message per recipient (coordinators do not see each other's addresses)."""
    link = f"{settings.base_url.rstrip('/')}/coordination/situations/{notice.situation_id}"
    body = BODY.format(territoire=territoire_nom, source=SOURCES.get(source, source), lien=link)
    subject = f"PARTAJ : nouvelle situation à examiner ({territoire_nom})"
    return [mail.message(settings, recipient, subject, body) for recipient in notice.recipients]


async def notify_new_situation(svc: Services, reference: str, source: str, territoire: str) -> None:
    """Tell the territory's active coordinators; log (without personal data) instead of raising."""
    try:
        notice = await svc.store.read(partial(_notice, reference=reference, territoire=territoire))
        if notice is None or not notice.recipients:
            return
        nom = (
            svc.catalogue.territoires[territoire].nom
            if territoire in svc.catalogue.territoires
            else territoire
        )
        await run_in_threadpool(mail.send, svc.settings, messages(svc.settings, notice, source, nom))
        log.info("avis envoyé pour %s à %d coordinateur(s)", reference, len(notice.recipients))
    except Exception as exc:
        log.warning("avis non envoyé pour %s : %s", reference, type(exc).__name__)


def task(svc: Services, reference: str, source: str, territoire: str) -> BackgroundTask | None:
    """The background task to attach to the receipt's response, or None when e-mail is not configured."""
    if not svc.settings.smtp_host:
        return None
    return BackgroundTask(notify_new_situation, svc, reference, source, territoire)
