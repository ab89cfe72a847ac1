"""`python -m generator import-data-inclusion`: arguments, the call, the report (French, exit codes)."""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

from generator.data_inclusion.convert import DEFAULT_PUBLICS, DEFAULT_THEMATIQUES
from generator.data_inclusion.errors import CorrectionsError, FeedError
from generator.data_inclusion.importer import Options, run_import
from generator.errors import ReferentialError

COMMAND = "import-data-inclusion"


def _codes(text: str) -> frozenset[str] | None:
    """A comma-separated list; empty means no filter."""
    codes = frozenset(c.strip() for c in text.split(",") if c.strip())
    return codes or None


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Declare the subcommand and its options."""
    cmd = sub.add_parser(COMMAND, help="importer les services du flux national data·inclusion v1")
    cmd.add_argument(
        "--structures", type=Path, required=True, help="fichier des structures (JSON ou JSON Lines)"
    )
    cmd.add_argument("--services", type=Path, required=True, help="fichier des services (JSON ou JSON Lines)")
    cmd.add_argument("--data", type=Path, default=Path("data"), help="dossier des données du guide")
    cmd.add_argument("--departements", default="59,62", help="départements couverts (59,62)")
    cmd.add_argument(
        "--publics",
        default=",".join(DEFAULT_PUBLICS),
        help=f"publics gardés, vide pour tous (défaut : {','.join(DEFAULT_PUBLICS)})",
    )
    cmd.add_argument(
        "--thematiques",
        default=",".join(DEFAULT_THEMATIQUES),
        help="catégories ou sous-thématiques gardées, vide pour toutes (défaut : celles des CTL)",
    )
    cmd.add_argument(
        "--date", type=datetime.date.fromisoformat, default=None, help="date d'import (AAAA-MM-JJ)"
    )
    cmd.add_argument("--dry-run", action="store_true", help="tout vérifier et compter, sans rien écrire")


def run(args: argparse.Namespace) -> int:
    """Run the import; exit 0 unless a file cannot be read (then nothing is written)."""
    departements = _codes(args.departements)
    if departements is None:
        print("--departements : au moins un code de département attendu (ex. 59,62)", file=sys.stderr)
        return 2
    options = Options(
        services=args.services,
        structures=args.structures,
        data_dir=args.data,
        departements=departements,
        publics=_codes(args.publics),
        thematiques=_codes(args.thematiques),
        today=args.date or datetime.date.today(),
        dry_run=args.dry_run,
    )
    started = time.perf_counter()
    try:
        report = run_import(options)
    except FeedError as exc:
        print(f"import impossible, rien n'a été écrit : {exc}", file=sys.stderr)
        return 1
    except CorrectionsError as exc:
        print(f"import impossible, corrigez d'abord les corrections locales :\n{exc}", file=sys.stderr)
        return 1
    except ReferentialError as exc:
        print(f"import impossible, rien n'a été écrit : {exc}", file=sys.stderr)
        return 1
    for line in report.details():
        print(line)
    print(f"durée : {time.perf_counter() - started:.1f} s")
    suffix = " (essai à blanc : rien n'a été écrit)" if args.dry_run else ""
    print(f"{report.summary()}{suffix}")
    return 0
