"""`python -m forms_backend agregats --annee 2026 --out DIR`: the yearly aggregates for open data, audited."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import date
from functools import partial
from pathlib import Path
from typing import Any

from forms_backend import clock
from forms_backend.app import load_forms_catalogue
from forms_backend.cli.admin import opened
from forms_backend.coordination.rules import labels
from forms_backend.db import audit
from forms_backend.db import observatoire as observatoire_db
from forms_backend.errors import BackendError
from forms_backend.observatoire.opendata import aggregates
from forms_backend.settings import Settings
from forms_backend.vocabulary import AuditAction


def run_agregats(args: argparse.Namespace) -> int:
    """Write one CSV per table of the year into `--out` (created if needed), and say what was hidden."""
    settings = Settings.from_env()
    if args.db is not None:
        settings = settings.but(db_path=args.db)
    if not 2010 <= args.annee <= 2100:
        raise BackendError(f"année invalide : {args.annee} (attendu une année à quatre chiffres, ex. 2026)")
    catalogue = load_forms_catalogue(settings)
    territoires = [(t.id, t.nom) for t in catalogue.territoires.values()]
    du, au = date(args.annee, 1, 1), date(args.annee, 12, 31)
    q = observatoire_db.Query(None, "", du, au, settings.tz)
    months = observatoire_db.month_bounds(du, au)
    args.out.mkdir(parents=True, exist_ok=True)
    written = []
    with opened(settings) as db:
        data = db.read_sync(partial(observatoire_db.crosstabs, q=q, months=months))
        for aggregate in aggregates(data, labels(catalogue), territoires, months):
            path = args.out / f"partaj-{args.annee}-{aggregate.name}.csv"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o644)
            with os.fdopen(fd, "wb") as out:
                out.write(aggregate.csv())
            hidden = len(aggregate.published.primary), len(aggregate.published.secondary)
            written.append(path.name)
            print(
                f"{path} : {hidden[0]} case(s) « < 5 », {hidden[1]} secret(s) secondaire(s)", file=sys.stderr
            )
        details = {"annee": args.annee, "destination": str(args.out), "fichiers": len(written)}
        db.submit(
            partial(audit.record_command, action=AuditAction.AGREGATS, at=clock.now(), details=details)
        ).result()
    return 0


def register(commands: Any) -> None:
    """Add `agregats` to the main parser's sub-commands."""
    parser = commands.add_parser(
        "agregats", help="écrit les agrégats annuels publiables (CSV, secret statistique appliqué)"
    )
    parser.add_argument("--annee", type=int, required=True, help="année civile de réception (ex. 2026)")
    parser.add_argument(
        "--out", type=Path, required=True, metavar="DOSSIER", help="dossier où écrire les CSV"
    )
    parser.add_argument("--db", type=Path, help="fichier SQLite (défaut : PARTAJ_DB ou var/partaj.db)")
    parser.set_defaults(run=run_agregats)
