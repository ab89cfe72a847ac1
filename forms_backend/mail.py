"""Sending the backend's e-mails: one SMTP connection per batch (STARTTLS and login when configured).

Off when `PARTAJ_SMTP_HOST` is empty. Callers send after the response, off the request path, and log a failure
without personal data: an e-mail never delays nor fails what the user did.
"""

from __future__ import annotations

import smtplib
import ssl
from email.message import EmailMessage
from email.utils import formatdate, make_msgid

from forms_backend.settings import Settings

SMTP_TIMEOUT_SECONDS = 15


def message(settings: Settings, recipient: str, subject: str, body: str) -> EmailMessage:
    """One automatic French message to one recipient (no one sees another's address)."""
    message = EmailMessage()
    message["Subject"] = subject
    message["From"] = settings.smtp_from
    message["To"] = recipient
    message["Date"] = formatdate(localtime=False)
    message["Message-ID"] = make_msgid(domain=settings.smtp_from.rpartition("@")[2] or None)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(body)
    return message


def send(settings: Settings, outgoing: list[EmailMessage]) -> None:
    """Deliver the messages over one SMTP connection (STARTTLS and login when configured)."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS) as smtp:
        if settings.smtp_starttls:
            smtp.starttls(context=ssl.create_default_context())
        if settings.smtp_user:
            smtp.login(settings.smtp_user, settings.smtp_password)
        for message in outgoing:
            smtp.send_message(message)
