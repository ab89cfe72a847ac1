"""The weekly e-mail digest of a CFA: the references of its reports whose status changed, in plain words; no
name, no detail of the CTL's work (an e-mail leaves the application)."""

from __future__ import annotations

from datetime import datetime
from email.message import EmailMessage
from zoneinfo import ZoneInfo

from forms_backend import mail
from forms_backend.settings import Settings
from forms_backend.vocabulary import CFA_STATUT_LABELS

SUBJECT = "PARTAJ — vos signalements : {count} changement(s) de statut cette semaine"


def digest_message(
    settings: Settings, recipient: str, changes: list[tuple[str, str, datetime]], tz: ZoneInfo
) -> EmailMessage:
    """The digest of one CFA account."""
    lines = [
        "Bonjour,",
        "",
        "Le statut de ces signalements de votre CFA a changé depuis le dernier résumé :",
        "",
    ]
    for reference, statut, at in changes:
        lines.append(
            f"- {reference} : {CFA_STATUT_LABELS[statut]} (le {at.astimezone(tz).strftime('%d/%m/%Y')})"
        )
    lines += [
        "",
        f"Le détail (noms des apprentis) est sur votre page « Mes signalements » : {settings.base_url.rstrip('/')}/cfa/",
        "Pour ne plus recevoir ce résumé, décochez-le sur cette même page.",
    ]
    return mail.message(settings, recipient, SUBJECT.format(count=len(changes)), "\n".join(lines))
