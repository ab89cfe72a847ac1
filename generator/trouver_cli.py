"""`python -m generator trouver`: the ranked schemes and actions for a young person's profile (generator/trouver.py)."""

from __future__ import annotations

import argparse
import json
import sys
from datetime import date
from pathlib import Path

from generator.catalogue import Catalogue, load_catalogue
from generator.labels import CATEGORIES
from generator.places import commune_by_insee, communes_by_name
from generator.trouver import BESOINS_THEMATIQUES, Profil, age_depuis, criteres, decrire, trouver

COMMAND = "trouver"
NO_MATCH = (
    "Aucune fiche ni aucun dispositif ne correspond à ce profil. Présentez la situation à la cellule technique "
    "locale de son territoire : /formulaires/orientation"
)


def _yes_no(value: str) -> bool:
    if value not in ("oui", "non"):
        raise argparse.ArgumentTypeError("attendu « oui » ou « non »")
    return value == "oui"


def add_parser(sub: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Declare the subcommand and its options."""
    cmd = sub.add_parser(
        COMMAND, help="les dispositifs et actions qui conviennent à un jeune, avec leurs raisons"
    )
    cmd.add_argument("--data", type=Path, default=Path("data"), help="dossier des fiches YAML")
    cmd.add_argument("--age", type=int, help="âge du jeune, en années")
    cmd.add_argument(
        "--naissance", type=date.fromisoformat, help="date de naissance (AAAA-MM-JJ), au lieu de --age"
    )
    cmd.add_argument(
        "--le", type=date.fromisoformat, help="date à laquelle compter l'âge (défaut : aujourd'hui)"
    )
    cmd.add_argument("--statut", help="statut du jeune (nomenclature « statuts », ex. apprenti-en-rupture)")
    cmd.add_argument("--niveau", help="niveau de formation (nomenclature « niveaux », ex. 3, infra-3)")
    cmd.add_argument("--commune", help="code INSEE de la commune du jeune (ou son nom)")
    cmd.add_argument("--territoire", help="territoire du plan, si la commune n'est pas connue")
    cmd.add_argument(
        "--besoin",
        action="append",
        default=[],
        help="besoin : catégorie de thématique (ex. se-former) ou besoin du formulaire (ex. logement) ; répétable",
    )
    cmd.add_argument("--handicap", type=_yes_no, help="reconnaissance de handicap (RQTH) : oui ou non")
    cmd.add_argument("--ase", type=_yes_no, help="accompagné par l'Aide sociale à l'enfance : oui ou non")
    cmd.add_argument(
        "--json", action="store_true", help="sortie JSON (id, score, raisons, points à vérifier)"
    )


class ProfileError(ValueError):
    """A profile option the catalogue does not know, with its French message."""


def _territory(catalogue: Catalogue, args: argparse.Namespace) -> str | None:
    if args.territoire:
        if args.territoire not in catalogue.territoires:
            known = ", ".join(catalogue.territoires)
            raise ProfileError(f"--territoire {args.territoire} : territoire inconnu (connus : {known})")
        return str(args.territoire)
    if not args.commune:
        return None
    places = catalogue.places
    if places is None:
        raise ProfileError(
            "--commune : pas de référentiel des communes dans ce catalogue ; donnez --territoire"
        )
    found = commune_by_insee(places, args.commune)
    matches = [found] if found else communes_by_name(places, args.commune)
    if len(matches) != 1:
        shown = ", ".join(f"{c.nom} ({c.insee})" for c in matches) or "aucune commune de ce nom ni de ce code"
        raise ProfileError(f"--commune {args.commune} : {shown} ; donnez le code INSEE, ou --territoire")
    return catalogue.territory_of(matches[0].insee)


def profile_of(catalogue: Catalogue, args: argparse.Namespace) -> Profil:
    """The profile the options describe; ProfileError on an unknown value."""
    for option, value, nomenclature in (
        ("--statut", args.statut, "statuts"),
        ("--niveau", args.niveau, "niveaux"),
    ):
        known = dict(catalogue.choices(nomenclature))
        if value is not None and value not in known:
            raise ProfileError(f"{option} {value} : valeur inconnue (connues : {', '.join(known)})")
    besoins: list[str] = []
    for besoin in args.besoin:
        categories = BESOINS_THEMATIQUES.get(besoin, (besoin,))
        if any(c not in CATEGORIES for c in categories):
            raise ProfileError(f"--besoin {besoin} : besoin inconnu")
        besoins += [c for c in categories if c not in besoins]
    age = args.age
    if age is None and args.naissance is not None:
        age = age_depuis(args.naissance, args.le or date.today())
    flags = {k: v for k, v in (("handicap", args.handicap), ("ase", args.ase)) if v is not None}
    return Profil(age, args.statut, args.niveau, _territory(catalogue, args), tuple(besoins), flags)


def run(args: argparse.Namespace) -> int:
    """Print the ranked list (or JSON); exit 2 on an unknown option value, 1 on an invalid catalogue."""
    catalogue = load_catalogue(args.data)
    if catalogue.errors:
        for problem in catalogue.errors:
            print(problem.format(), file=sys.stderr)
        return 1
    try:
        profil = profile_of(catalogue, args)
    except ProfileError as exc:
        print(exc, file=sys.stderr)
        return 2
    data = criteres(catalogue)
    results = trouver(data, profil)
    if args.json:
        # The ranked list itself (the profile is not repeated: the caller gave it).
        print(json.dumps([r.as_json() for r in results], ensure_ascii=False, indent=2))
        return 0
    print(f"Profil : {decrire(profil, data)}")
    if not results:
        print(NO_MATCH)
        return 0
    print(f"{len(results)} solution(s), de la plus adaptée à la moins adaptée :")
    for rank, result in enumerate(results, start=1):
        genre = "dispositif national" if result.genre == "dispositif" else "action locale"
        print(f"\n{rank}. {result.nom} ({genre}, score {result.score}) — {result.url}")
        for reason in result.raisons:
            print(f"   + {reason}")
        for check in result.a_verifier:
            print(f"   ? {check}")
    return 0
