"""Territories defined by places: routing of a commune, checks of the perimeters, the territory's page."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from generator.catalogue import load_catalogue
from generator.render import Renderer
from tests.conftest import ROOT

TODAY = date(2026, 11, 30)
PATH = "data/territoires.yaml"


def territoires(*entries: str) -> str:
    return "territoires:\n" + "".join(entries)


def territoire(tid: str, departements: str, perimetre: str) -> str:
    return (
        f"  - id: {tid}\n    nom: Territoire {tid}\n    type: associe\n    departements: [{departements}]\n"
        f"    perimetre:\n{perimetre}      source: une source officielle\n      date_maj: 2026-11-01\n"
        "    date_maj: 2026-11-01\n"
    )


RESTE = territoire("reste", '"59", "62"', "      reste: true\n")


def errors_of(data: Path) -> list[str]:
    return [p.format() for p in load_catalogue(data, None, today=TODAY).errors]


@pytest.mark.parametrize(
    ("insee", "nom", "expected"),
    [
        ("62119", "Béthune", "bethune-bruay"),
        ("62498", "Lens", "lens-lievin-henin-carvin"),
        ("62427", "Hénin-Beaumont", "lens-lievin-henin-carvin"),
        ("59512", "Roubaix", "roubaix-tourcoing"),
        ("59599", "Tourcoing", "roubaix-tourcoing"),
        ("59392", "Maubeuge", "sambre-avesnois"),
        ("59606", "Valenciennes", "valenciennes"),
        ("62041", "Arras", "arras"),
        ("59183", "Dunkerque", "dunkerque"),
        ("59350", "Lille", "hors-territoires"),
        ("62193", "Calais", "hors-territoires"),
    ],
)
def test_territory_of_routes_each_commune_of_the_real_catalogue(insee: str, nom: str, expected: str) -> None:
    catalogue = load_catalogue(ROOT / "data", None, today=TODAY)
    assert catalogue.places is not None
    assert catalogue.places.communes[insee].nom == nom
    assert catalogue.territory_of(insee) == expected


def test_territory_of_unknown_code_and_old_commune() -> None:
    catalogue = load_catalogue(ROOT / "data", None, today=TODAY)
    assert catalogue.places is not None
    old = catalogue.places.anciennes[0]
    assert catalogue.territory_of(old.insee) == catalogue.territory_of(old.commune_actuelle) is not None
    assert catalogue.territory_of("80021") is None


def test_real_catalogue_has_no_perimeter_problem() -> None:
    catalogue = load_catalogue(ROOT / "data", None, today=TODAY)
    assert [p.format() for p in catalogue.problems if "territoires.yaml" in p.path] == []
    assert catalogue.places is not None and catalogue.routing is not None
    assert set(catalogue.routing.by_insee) == set(catalogue.places.communes)


def test_check_two_territories_sharing_an_epci(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml(
        "territoires.yaml",
        territoires(
            territoire("essai-a", '"62"', '      epci: ["200033579"]\n'),
            territoire("essai-b", '"62"', '      epci: ["246200364", "200033579"]\n'),
            RESTE,
        ),
    )
    assert errors_of(Path("data")) == [
        f"{PATH}:16:27: « territoires[1].perimetre.epci[1] » : la commune Achicourt (62004) est à la fois "
        "dans le territoire « essai-a » et dans « essai-b » (avec 45 autre(s) commune(s)) ; une commune "
        "n'appartient qu'à un territoire"
    ]


def test_check_unknown_siren(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml(
        "territoires.yaml",
        territoires(territoire("essai-a", '"62"', '      epci: ["123456789"]\n'), RESTE),
    )
    assert errors_of(Path("data")) == [
        f"{PATH}:7:14: « territoires[0].perimetre.epci[0] » : EPCI (SIREN) « 123456789 » absent du "
        "référentiel des communes (départements 59, 62)"
    ]


def test_check_uncovered_commune_without_reste(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("territoires.yaml", territoires(territoire("essai-a", '"62"', '      epci: ["200033579"]\n')))
    assert errors_of(Path("data")) == [
        f"{PATH}:2:3: « territoires » : 1488 commune(s) du référentiel dans aucun territoire, dont "
        "Abancourt (59001) ; ajoutez-les à un périmètre ou donnez « reste: true » au périmètre du "
        "territoire qui prend le reste des départements"
    ]


def test_check_reste_with_lists_is_refused(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml(
        "territoires.yaml",
        territoires(territoire("essai-a", '"62"', '      reste: true\n      communes: ["62041"]\n')),
    )
    assert errors_of(Path("data")) == [
        f"{PATH}:7:7: « territoires[0].perimetre » : « reste: true » exclut les listes epci, "
        "arrondissements et communes"
    ]


def test_territory_page_shows_perimeter(data_dir: Path, tmp_path: Path) -> None:
    catalogue = load_catalogue(data_dir, None, today=TODAY)
    assert catalogue.errors == []
    docs = tmp_path / "docs"
    Renderer(catalogue, docs).render_listings()
    page = (docs / "territoires" / "arras.md").read_text(encoding="utf-8")
    assert "Périmètre indicatif, d'après : Communauté urbaine d'Arras (SIREN 200033579)" in page
    assert "**46 communes**, 109\u202f884 habitants" in page
    assert '??? info "EPCI et communes du territoire (46)"' in page
    assert "    **EPCI :** CU d'Arras.\n" in page
    assert "    | Arras | 62041 | 62000 |\n" in page
    roubaix = (docs / "territoires" / "roubaix-tourcoing.md").read_text(encoding="utf-8")
    assert "Métropole Européenne de Lille (en partie)" in roubaix
    assert "    | Tourcoing | 59599 | 59200 |\n" in roubaix
