"""Optional e-mails, off when `PARTAJ_SMTP_HOST` is empty: to a territory's coordinators when a form creates a
situation (a link, no personal data), and to a coordinator when logins to their account failed several times in
a row from a browser they never logged in from (once per run of failures; neither password nor address).

Sent after the response, off the request path (a background task once the report or the failure is committed);
a failure is logged without personal data and never touches the submission or the login.
"""

from __future__ import annotations

import logging
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from functools import partial

from sqlite_utils import Database
from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

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
LOGIN_ALERT_SUBJECT = "PARTAJ : échecs de connexion à votre compte"
LOGIN_ALERT_BODY = """Bonjour,

Le {jour} à {heure}, plusieurs tentatives de connexion de suite à votre compte PARTAJ ({email}) ont échoué,
depuis un navigateur où vous ne vous êtes encore jamais connecté (ou dont les cookies ont été effacés). Les
essais suivants depuis un tel navigateur sont ralentis pendant quelques minutes.

Si c'était vous, il n'y a rien à faire. Sur le navigateur où vous vous connectez d'habitude, la connexion n'est
pas ralentie : votre compte n'est pas bloqué.

Si ce n'était pas vous, quelqu'un essaie peut-être de deviner votre mot de passe. Si vous pensez qu'il est
connu d'une autre personne, demandez à l'administrateur de PARTAJ d'en définir un nouveau.

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


def _message(settings: Settings, recipient: str, subject: str, body: str) -> EmailMessage:
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def messages(settings: Settings, notice: Notice, source: str, territoire_nom: str) -> list[EmailMessage]:
    """One message per recipient (coordinators do not see each other's addresses)."""
    link = f"{settings.base_url.rstrip('/')}/coordination/situations/{notice.situation_id}"
    body = BODY.format(territoire=territoire_nom, source=SOURCES.get(source, source), lien=link)
    subject = f"PARTAJ : nouvelle situation à examiner ({territoire_nom})"
    return [_message(settings, recipient, subject, body) for recipient in notice.recipients]


def login_alert(settings: Settings, email: str, at: datetime) -> EmailMessage:
    """The message telling a coordinator about a run of failed logins to their account (local date and time)."""
    local = at.astimezone(settings.tz)
    body = LOGIN_ALERT_BODY.format(
        jour=local.strftime("%d/%m/%Y"), heure=local.strftime("%H:%M"), email=email
    )
    return _message(settings, email, LOGIN_ALERT_SUBJECT, body)


def send(settings: Settings, outgoing: list[EmailMessage]) -> None:
    """Deliver the messages over one SMTP connection (STARTTLS and login when configured)."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for message in outgoing:
            smtp.send_message(message)


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
        await run_in_threadpool(send, svc.settings, messages(svc.settings, notice, source, nom))
        log.info("avis envoyé pour %s à %d coordinateur(s)", reference, len(notice.recipients))
    except Exception as exc:
        log.warning("avis non envoyé pour %s : %s", reference, type(exc).__name__)


async def notify_login_failures(svc: Services, email: str, at: datetime) -> None:
    """Tell a coordinator about failed logins to their account; log (without the address) instead of raising."""
    try:
        await run_in_threadpool(send, svc.settings, [login_alert(svc.settings, email, at)])
        log.info("avis d'échecs de connexion envoyé au titulaire du compte")
    except Exception as exc:
        log.warning("avis d'échecs de connexion non envoyé : %s", type(exc).__name__)


def login_alert_task(svc: Services, email: str, at: datetime) -> BackgroundTask | None:
    """The background task to attach to the refused login's response, or None when e-mail is not configured."""
    if not svc.settings.smtp_host:
        return None
    return BackgroundTask(notify_login_failures, svc, email, at)


def task(svc: Services, reference: str, source: str, territoire: str) -> BackgroundTask | None:
    """The background task to attach to the receipt's response, or None when e-mail is not configured."""
    if not svc.settings.smtp_host:
        return None
    return BackgroundTask(notify_new_situation, svc, reference, source, territoire)
