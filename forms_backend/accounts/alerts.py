"""The e-mail telling a coordinator that logins to their account failed several times in a row from a browser
they never logged in from: once per run of failures, neither password nor address; after the response."""

from __future__ import annotations

import logging
from datetime import datetime
from email.message import EmailMessage

from starlette.background import BackgroundTask
from starlette.concurrency import run_in_threadpool

from forms_backend import mail
from forms_backend.services import Services
from forms_backend.settings import Settings

log = logging.getLogger("partaj.notifications")
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


def login_alert(settings: Settings, email: str, at: datetime) -> EmailMessage:
    """The message telling a coordinator about a run of failed logins to their account (local date and time)."""
    local = at.astimezone(settings.tz)
    body = LOGIN_ALERT_BODY.format(
        jour=local.strftime("%d/%m/%Y"), heure=local.strftime("%H:%M"), email=email
    )
    return mail.message(settings, email, LOGIN_ALERT_SUBJECT, body)


async def notify_login_failures(svc: Services, email: str, at: datetime) -> None:
    """Tell a coordinator about failed logins to their account; log (without the address) instead of raising."""
    try:
        await run_in_threadpool(mail.send, svc.settings, [login_alert(svc.settings, email, at)])
        log.info("avis d'échecs de connexion envoyé au titulaire du compte")
    except Exception as exc:
        log.warning("avis d'échecs de connexion non envoyé : %s", type(exc).__name__)


def login_alert_task(svc: Services, email: str, at: datetime) -> BackgroundTask | None:
    """The background task to attach to the refused login's response, or None when e-mail is not configured."""
    if not svc.settings.smtp_host:
        return None
    return BackgroundTask(notify_login_failures, svc, email, at)
