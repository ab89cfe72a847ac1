"""Command line: `python -m generator check|build|schemas|communes|import-data-inclusion|trouver`."""

from __future__ import annotations

import argparse
import datetime
import sys
import time
from pathlib import Path

from generator import trouver_cli
from generator.catalogue import DEFAULT_FRESHNESS_MONTHS, load_catalogue
from generator.communes import DEFAULT_OUT, parse_departements, write_referential
from generator.data_inclusion import cli as data_inclusion_cli
from generator.errors import BuildError, ContentError, ReferentialError
from generator.jsonschema import write_schemas


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m generator", description="Guide ressource PARTAJ")
    sub = parser.add_subparsers(dest="command", required=True)
    for name, help_text in (("check", "valider le contenu"), ("build", "construire le site statique")):
        cmd = sub.add_parser(name, help=help_text)
        cmd.add_argument("--data", type=Path, default=Path("data"), help="dossier des fiches YAML")
        cmd.add_argument(
            "--content", type=Path, default=Path("content"), help="dossier des pages éditoriales"
        )
        cmd.add_argument("--strict", action="store_true", help="les avertissements deviennent des erreurs")
        cmd.add_argument(
            "--fraicheur", type=int, default=DEFAULT_FRESHNESS_MONTHS, help="âge maximal de date_maj, en mois"
        )
    sub.choices["build"].add_argument(
        "--out", type=Path, default=Path("site"), help="dossier du site produit"
    )
    sub.add_parser("schemas", help="régénérer les schémas JSON des fichiers YAML (dossier schemas/)")
    communes = sub.add_parser("communes", help="extraire le référentiel des communes du paquet npm déballé")
    communes.add_argument("--from", dest="source", type=Path, required=True, help="dossier du paquet déballé")
    communes.add_argument(
        "--departements", default="59,62", help="départements couverts, séparés par des virgules"
    )
    communes.add_argument("--out", type=Path, default=DEFAULT_OUT, help="fichier JSON produit")
    communes.add_argument(
        "--date", type=datetime.date.fromisoformat, default=None, help="date d'extraction (AAAA-MM-JJ)"
    )
    data_inclusion_cli.add_parser(sub)
    trouver_cli.add_parser(sub)
    return parser


def _communes(args: argparse.Namespace) -> int:
    try:
        written = write_referential(args.source, parse_departements(args.departements), args.out, args.date)
    except ReferentialError as exc:
        print(f"échec de l'extraction : {exc}", file=sys.stderr)
        return 1
    counts = ", ".join(
        f"{len(written[key])} {key}" for key in ("communes", "anciennes", "epci", "arrondissements")
    )
    print(f"écrit : {args.out} ({counts}, {args.out.stat().st_size} octets)", file=sys.stderr)
    return 0


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the process exit code."""
    args = _parser().parse_args(argv)
    if args.command == "schemas":
        for path in write_schemas(Path("schemas")):
            print(f"écrit : {path}")
        return 0
    if args.command == "communes":
        return _communes(args)
    if args.command == data_inclusion_cli.COMMAND:
        return data_inclusion_cli.run(args)
    if args.command == trouver_cli.COMMAND:
        return trouver_cli.run(args)
    catalogue = load_catalogue(args.data, args.content, freshness_months=args.fraicheur)
    for problem in catalogue.problems:
        print(problem.format())
    fatal = catalogue.problems if args.strict else catalogue.errors
    if fatal:
        print(
            f"{len(catalogue.errors)} erreur(s), {len(catalogue.warnings)} avertissement(s).", file=sys.stderr
        )
        return 1
    if args.command == "check":
        counts = f"{len(catalogue.fiches)} fiches, {len(catalogue.dispositifs)} dispositifs"
        print(f"Contenu valide : {counts}, {len(catalogue.warnings)} avertissement(s).", file=sys.stderr)
        return 0
    # MkDocs, Pagefind and matplotlib take a while to import: only `build` pays for them, not `check`.
    from generator.build import build_site

    started = time.perf_counter()
    try:
        build_site(catalogue, args.content, args.out)
    except (BuildError, ContentError) as exc:
        print(f"échec de la construction : {exc}", file=sys.stderr)
        return 1
    print(f"Site construit dans {args.out} en {time.perf_counter() - started:.1f} s.", file=sys.stderr)
    return 0
