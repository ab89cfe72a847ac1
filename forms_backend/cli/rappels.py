"""`python -m forms_backend rappels-actualisation [--dry-run]`: e-mail each stale sheet's public contact a link to
its correction form (at most once every 90 days per sheet) and record it (`propositions/reminders.py`)."""

from __future__ import annotations

import argparse
import sys
from functools import partial
from pathlib import Path

from sqlite_utils import Database

from forms_backend import clock, mail
from forms_backend.app import load_forms_catalogue
from forms_backend.cli.admin import opened, settings_of
from forms_backend.db import audit
from forms_backend.db import propositions as db
from forms_backend.propositions import reminders
from forms_backend.vocabulary import AuditAction


def _record(conn: Database, sent: list[tuple[str, str]], count: int) -> None:
    now = clock.now()
    db.record_reminders(conn, sent, now)
    audit.record_command(conn, AuditAction.RAPPELS_ACTUALISATION, now, details={"rappels": count})


def run(args: argparse.Namespace) -> int:
    settings = settings_of(args)
    catalogue = load_forms_catalogue(settings)
    now = clock.now()
    with opened(settings) as store:
        last = store.read_sync(db.last_reminders)
        planned = reminders.plan(catalogue, last, now, clock.today_in(settings.tz))
        for sheet in planned.sent:
            print(
                f"{'à envoyer' if args.dry_run else 'envoyé'} : {sheet.kind} {sheet.id} (vérifiée le {sheet.date_maj})"
            )
        for sheet in planned.without_email:
            print(
                f"sans adresse publique, à relancer autrement : {sheet.kind} {sheet.id} ({sheet.telephone or 'aucun contact'})"
            )
        for sheet in planned.too_soon:
            print(f"déjà relancée il y a moins de 90 jours : {sheet.kind} {sheet.id}")
        if args.dry_run or not planned.sent:
            print(f"{len(planned.sent)} rappel(s) {'à envoyer' if args.dry_run else 'envoyé(s)'}.")
            return 0
        if not settings.smtp_host:
            print("erreur : PARTAJ_SMTP_HOST n'est pas réglé : aucun rappel ne peut partir.", file=sys.stderr)
            return 1
        mail.send(settings, reminders.messages(settings, planned.sent))
        store.submit(
            partial(_record, sent=[(s.kind, s.id) for s in planned.sent], count=len(planned.sent))
        ).result()
    print(f"{len(planned.sent)} rappel(s) envoyé(s).")
    return 0


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    cmd = commands.add_parser(
        "rappels-actualisation", help="écrit au contact public des fiches vérifiées il y a plus de 12 mois"
    )
    cmd.add_argument("--dry-run", action="store_true", help="liste les rappels sans rien envoyer")
    cmd.add_argument("--db", type=Path, help="fichier SQLite (défaut : PARTAJ_DB)")
    cmd.set_defaults(run=run)
