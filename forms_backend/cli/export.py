"""`python -m forms_backend export`: the tracking table's export for every territory or one, audited."""

from __future__ import annotations

import argparse
import os
import sys
from functools import partial
from pathlib import Path
from typing import Any

from forms_backend import clock
from forms_backend.app import load_forms_catalogue
from forms_backend.cli.admin import opened
from forms_backend.coordination.exports import FORMATS, Export, export_chunks
from forms_backend.db import audit
from forms_backend.db.table import Filters
from forms_backend.errors import BackendError
from forms_backend.settings import Settings
from forms_backend.vocabulary import STATUTS, AuditAction


def run_export(args: argparse.Namespace) -> int:
    """`export`: the same file as the web page, for every territory or one, audited (action export-cli)."""
    settings = Settings.from_env()
    if args.db is not None:
        settings = settings.but(db_path=args.db)
    catalogue = load_forms_catalogue(settings)
    if args.territoire and args.territoire not in catalogue.territoires:
        known = ", ".join(catalogue.territoires)
        raise BackendError(f"territoire inconnu : {args.territoire} (attendu l'un de : {known})")
    filters = Filters(territoire=args.territoire or "", statut=args.statut or "")
    export = Export(args.format, None, filters, args.pseudonymise)
    details = {**export.details(), "destination": str(args.out) if args.out else "sortie standard"}
    with opened(settings) as db:
        db.submit(
            partial(audit.record_command, action=AuditAction.EXPORT_CLI, at=clock.now(), details=details)
        ).result()
    chunks = export_chunks(settings.db_path, catalogue, settings.tz, export)
    size = 0
    if args.out:
        # The file holds personal data: readable by its owner only.
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += out.write(chunk)
        print(f"Export écrit : {args.out} ({size} octets).", file=sys.stderr)
    else:
        for chunk in chunks:
            size += sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    return 0


def register(commands: Any) -> None:
    """Add `export` to the main parser's sub-commands."""
    parser = commands.add_parser("export", help="exporte le tableau de suivi (CSV, XLSX ou ODS), journalisé")
    parser.add_argument("--format", required=True, choices=tuple(FORMATS), help="csv, xlsx ou ods")
    parser.add_argument("--territoire", metavar="ID", help="un seul territoire (défaut : tous)")
    parser.add_argument("--statut", choices=STATUTS, help="un seul statut (défaut : tous)")
    parser.add_argument(
        "--out", type=Path, metavar="FICHIER", help="fichier à écrire (défaut : sortie standard)"
    )
    parser.add_argument(
        "--pseudonymise", action="store_true", help="sans nom, contact ni texte libre (année, département)"
    )
    parser.add_argument("--db", type=Path, help="fichier SQLite (défaut : PARTAJ_DB ou var/partaj.db)")
    parser.set_defaults(run=run_export)
