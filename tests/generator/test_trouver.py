"""« Quelle solution pour ce jeune ? » (issue 12): the ranking function, its table of cases and the command."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.catalogue import load_catalogue
from generator.cli import main
from generator.trouver import Profil, criteres, profil_depuis, trouver
from tests.conftest import ROOT

CASES = yaml.safe_load((Path(__file__).parent / "trouver_cas.yaml").read_text(encoding="utf-8"))


def params_of(profil: dict[str, Any]) -> dict[str, list[str]]:
    return {key: value if isinstance(value, list) else [str(value)] for key, value in profil.items()}


@pytest.fixture(scope="module")
def real() -> tuple[dict[str, Any], dict[str, str | None]]:
    catalogue = load_catalogue(ROOT / "data")
    assert catalogue.places is not None
    return criteres(catalogue), {insee: catalogue.territory_of(insee) for insee in catalogue.places.communes}


def test_the_table_has_the_profiles_the_issue_asks_for() -> None:
    assert len(CASES) >= 25
    ages = {case["profil"].get("age") for case in CASES}
    assert {"15", "16", "18", "25", "26", "30"} <= ages
    statuts = {case["profil"].get("statut") for case in CASES}
    nomenclature = yaml.safe_load((ROOT / "data" / "nomenclatures.yaml").read_text(encoding="utf-8"))
    assert {s["id"] for s in nomenclature["statuts"]} <= statuts
    catalogue = load_catalogue(ROOT / "data")
    territories = {
        catalogue.territory_of(case["profil"]["commune"]) for case in CASES if "commune" in case["profil"]
    }
    territories |= {case["profil"]["territoire"] for case in CASES if "territoire" in case["profil"]}
    assert set(catalogue.territoires) <= territories
    assert any(case.get("aucun") for case in CASES)


@pytest.mark.parametrize("case", CASES, ids=[case["id"] for case in CASES])
def test_case(case: dict[str, Any], real: tuple[dict[str, Any], dict[str, str | None]]) -> None:
    data, territoire_de = real
    ids = [r.id for r in trouver(data, profil_depuis(params_of(case["profil"]), data, territoire_de))]

    top = ids[: case["rang"]]
    assert [i for i in case["attendus"] if i not in top] == [], ids
    assert [i for i in case["exclus"] if i in ids] == [], ids
    if case.get("aucun"):
        assert ids == []


FICHE = """\
id: {id}
nom: {nom}
description: Une action d'essai pour le classement des solutions, qui n'existe pas.
type: accompagnement
thematiques: [{thematique}]
publics: [jeunes]
date_maj: {date_maj}
famille_solution: remobilisation
territoires: [{territoire}]
volet: reparation
porteur: ma-structure
courriel: contact@example.org
{extra}"""


def write_fiche(write_yaml: Callable[[str, str], Path], fiche_id: str, **fields: str) -> None:
    values = {
        "id": fiche_id,
        "nom": fields.pop("nom", f"Action d'essai {fiche_id}"),
        "thematique": fields.pop("thematique", "remobilisation"),
        "date_maj": fields.pop("date_maj", (date.today() - timedelta(days=30)).isoformat()),
        "territoire": fields.pop("territoire", "valenciennes"),
        "extra": fields.pop("extra", ""),
    }
    write_yaml(f"fiches/{fiche_id}.yaml", FICHE.format(**values))


def test_local_action_of_the_territory_comes_first_and_others_are_excluded_with_their_reasons(
    data_dir: Path, write_yaml: Callable[[str, str], Path]
) -> None:
    write_fiche(
        write_yaml, "ici", extra="age_min: 16\nage_max: 25\nstatuts: [sans-activite]\nniveaux: [infra-3]\n"
    )
    write_fiche(write_yaml, "ailleurs", territoire="arras")
    write_fiche(write_yaml, "finie", extra="periode: {debut: 2010-09-01, fin: 2011-12-31}\n")
    write_fiche(write_yaml, "trop-vieux", extra="age_min: 16\nage_max: 17\n")
    write_fiche(write_yaml, "sans-criteres", thematique="logement-hebergement", date_maj="2024-01-15")
    catalogue = load_catalogue(data_dir)
    assert catalogue.errors == []
    data = criteres(catalogue)

    results = trouver(
        data,
        Profil(
            age=20,
            statut="sans-activite",
            niveau="infra-3",
            territoire="valenciennes",
            besoins=("remobilisation",),
        ),
    )

    assert [r.id for r in results] == ["ici", "sans-criteres"]
    first = results[0]
    assert first.raisons == (
        "Âge : 20 ans, la fiche s'adresse aux jeunes de 16 à 25 ans",
        "Statut : Sans activité, sans solution, prévu par la fiche",
        "Niveau : Sans diplôme (ancien niveau VI, V bis, infra V), prévu par la fiche",
        "Action du territoire : Bassin d'emploi de Valenciennes",
        "Répond au besoin : Remobilisation",
    )
    assert first.a_verifier == ()
    assert first.score == 1 + 1 + 2 + 1 + 2 + 3 + 1
    assert results[1].a_verifier == (
        "Âge : critère non renseigné — à vérifier",
        "Statut : critère non renseigné — à vérifier",
        "Niveau : critère non renseigné — à vérifier",
        "Fiche vérifiée le 2024-01-15, il y a plus de 12 mois — à vérifier",
    )


def test_an_unknown_profile_excludes_nothing_and_says_what_to_check(
    data_dir: Path, write_yaml: Callable[[str, str], Path]
) -> None:
    write_fiche(write_yaml, "ici", extra="age_min: 16\nage_max: 25\nstatuts: [sans-activite]\n")
    data = criteres(load_catalogue(data_dir))

    (result,) = trouver(data, Profil())

    assert result.a_verifier == (
        "Âge du jeune non renseigné : la fiche s'adresse aux jeunes de 16 à 25 ans — à vérifier",
        "Statut du jeune non renseigné — à vérifier",
        "Niveau : critère non renseigné — à vérifier",
        "Territoire du jeune non renseigné : l'action est locale — à vérifier",
    )


def test_a_disability_recognition_lifts_the_age_limit_where_the_scheme_says_so(
    real: tuple[dict[str, Any], dict[str, str | None]],
) -> None:
    data, _ = real
    with_rqth = {
        r.id: r for r in trouver(data, Profil(age=28, statut="demandeur-emploi", drapeaux={"handicap": True}))
    }
    without = {
        r.id for r in trouver(data, Profil(age=28, statut="demandeur-emploi", drapeaux={"handicap": False}))
    }

    assert "contrat-engagement-jeune" in with_rqth and "contrat-engagement-jeune" not in without
    assert "cap-emploi" in with_rqth and "cap-emploi" not in without
    assert with_rqth["cap-emploi"].raisons[-1] == (
        "Réservé aux jeunes reconnus handicapés (RQTH ou demande en cours) : c'est le cas"
    )
    assert with_rqth["contrat-apprentissage"].raisons[0] == (
        "Âge : 28 ans, la fiche s'adresse aux jeunes dès 15 ans, sans limite d'âge"
    )


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(["trouver", "--data", str(ROOT / "data"), *argv])
    out, err = capsys.readouterr()
    return code, out, err


def test_command_prints_the_ranked_list_with_reasons(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys,
        "--age",
        "17",
        "--statut",
        "apprenti-en-rupture",
        "--niveau",
        "3",
        "--commune",
        "59606",
        "--besoin",
        "se-former",
    )

    assert code == 0
    lines = out.splitlines()
    assert lines[0] == (
        "Profil : 17 ans, Apprenti en rupture de contrat, Niveau 3 — CAP, BEP (ancien niveau V), "
        "Bassin d'emploi de Valenciennes, besoin : Se former"
    )
    assert lines[3].startswith("1. Obligation de formation des 16-18 ans (dispositif national, score ")
    assert "   + Âge : 17 ans, la fiche s'adresse aux jeunes de 16 à 17 ans" in lines


def test_command_json_gives_ids_scores_reasons_and_checks(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(
        capsys, "--naissance", "2008-03-01", "--le", "2026-11-30", "--statut", "apprenti-en-rupture", "--json"
    )

    assert code == 0
    payload = json.loads(out)
    first = payload[0]
    assert set(first) == {
        "id",
        "genre",
        "nom",
        "url",
        "score",
        "raisons",
        "a_verifier",
        "reasons",
        "warnings",
    }
    assert first["reasons"] == first["raisons"] and first["warnings"] == first["a_verifier"]
    ids = [r["id"] for r in payload]
    assert [r["score"] for r in payload] == sorted((r["score"] for r in payload), reverse=True)
    assert "obligation-formation-16-18" not in ids  # 18 on 2026-11-30
    assert "stagiaire-cfa-apres-rupture" in ids


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--statut", "chomeur"], "--statut chomeur : valeur inconnue (connues : collegien, "),
        (["--besoin", "bonheur"], "--besoin bonheur : besoin inconnu"),
        (
            ["--commune", "99999"],
            "--commune 99999 : aucune commune de ce nom ni de ce code ; donnez le code INSEE",
        ),
        (["--commune", "Saint-Aubin"], "--commune Saint-Aubin : Saint-Aubin (59529), Saint-Aubin (62742)"),
        (["--territoire", "paris"], "--territoire paris : territoire inconnu (connus : bethune-bruay, "),
    ],
)
def test_command_refuses_unknown_values_in_french(
    capsys: pytest.CaptureFixture[str], argv: list[str], message: str
) -> None:
    code, out, err = run(capsys, *argv)

    assert code == 2
    assert out == ""
    assert err.startswith(message)


def test_command_says_when_nothing_fits(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "--age", "45", "--statut", "etudiant", "--niveau", "8")

    assert code == 0
    assert out.splitlines()[1] == (
        "Aucune fiche ni aucun dispositif ne correspond à ce profil. Présentez la situation à la cellule technique "
        "locale de son territoire : /formulaires/orientation"
    )
