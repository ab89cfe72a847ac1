"""The communes referential: the committed `data/communes.json` is exactly what `python -m generator communes`
extracts from the npm package `@etalab/decoupage-administratif`, and the lookups over it (`generator.places`).

The byte-for-byte comparison needs the unpacked package (`npm pack @etalab/decoupage-administratif@6.0.0`,
`tar xzf`), found at $PARTAJ_DECOUPAGE_DIR or /tmp/dec/package; `.ci/run` unpacks it, and under CI=true its
absence fails; locally it is skipped with its reason (pytest `-ra` prints it). Every other test runs everywhere: the committed data, the lookups, and the
extraction itself on a small synthetic package.
"""

from __future__ import annotations

import json
import os
import re
from pathlib import Path

import pytest

from generator.cli import main
from generator.communes import PACKAGE_NAME, PACKAGE_URL
from generator.places import (
    Places,
    commune_by_insee,
    communes_by_name,
    communes_by_postal_code,
    load_places,
    normalise_name,
    postal_code_error,
)
from tests.conftest import ROOT

DATA = ROOT / "data" / "communes.json"
PACKAGE = Path(os.environ.get("PARTAJ_DECOUPAGE_DIR", "/tmp/dec/package"))


def need_package(path: Path) -> None:
    """Skip locally without the unpacked npm package; under CI=true (which unpacks it, see .ci/run) fail."""
    if path.is_file():
        return
    message = (
        f"paquet npm {PACKAGE_NAME} absent de {PACKAGE} : `npm pack {PACKAGE_NAME}@6.0.0` puis `tar xzf`, "
        "ou PARTAJ_DECOUPAGE_DIR=dossier"
    )
    if os.environ.get("CI") == "true":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="module")
def places() -> Places:
    return load_places(DATA)


def test_communes_file_is_exactly_what_the_extraction_writes(tmp_path: Path) -> None:
    need_package(PACKAGE / "package.json")
    stored = json.loads(DATA.read_text(encoding="utf-8"))
    out = tmp_path / "communes.json"
    argv = ["communes", "--from", str(PACKAGE), "--departements", ",".join(stored["departements"])]
    assert main([*argv, "--out", str(out), "--date", stored["extrait_le"]]) == 0
    assert out.read_bytes() == DATA.read_bytes()


def test_communes_file_states_its_source_and_stays_compact(places: Places) -> None:
    assert places.source == {
        "paquet": "@etalab/decoupage-administratif",
        "version": "6.0.0",
        "licence": "MIT",
        "auteur": "Etalab",
        "url": PACKAGE_URL,
    }
    assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", places.extrait_le)
    assert places.departements == ("59", "62")
    assert DATA.stat().st_size < 300_000


def test_communes_counts(places: Places) -> None:
    by_departement = {d: sum(c.departement == d for c in places.communes.values()) for d in ("59", "62")}
    assert by_departement == {"59": 647, "62": 887}
    assert len(places.communes) == 1534
    assert len(places.anciennes) == 23
    assert len(places.epci) == 36
    assert len(places.arrondissements) == 13


def test_every_commune_has_postal_codes_a_department_an_arrondissement_and_an_epci(places: Places) -> None:
    for commune in places.communes.values():
        assert commune.codes_postaux, commune
        assert all(re.fullmatch(r"\d{5}", code) for code in commune.codes_postaux), commune
        assert commune.departement in {"59", "62"}, commune
        assert commune.arrondissement in places.arrondissements, commune
        assert commune.epci in places.epci, commune
        assert commune.population is not None and commune.population > 0, commune


def test_every_epci_has_a_member_and_every_old_commune_a_current_one(places: Places) -> None:
    assert {c.epci for c in places.communes.values()} == set(places.epci)
    assert all(old.commune_actuelle in places.communes for old in places.anciennes)


def test_every_epci_member_in_the_package_is_a_known_commune_or_outside_the_departments(
    places: Places,
) -> None:
    """An EPCI may straddle a border: the CC du Ternois (62) has one member in the Somme, Vitz-sur-Authie."""
    need_package(PACKAGE / "data" / "epci.json")
    epcis = json.loads((PACKAGE / "data" / "epci.json").read_text(encoding="utf-8"))
    outside: list[tuple[str, str]] = []
    for epci in (e for e in epcis if e["code"] in places.epci):
        members = {m["code"] for m in epci["membres"]}
        assert {c.insee for c in places.communes.values() if c.epci == epci["code"]} == members & set(
            places.communes
        )
        outside += [(epci["nom"], code) for code in sorted(members - set(places.communes))]
    assert outside == [("CC du Ternois", "80810")]


def test_lille_has_its_five_postal_codes_and_59300_is_not_lille(places: Places) -> None:
    lille = commune_by_insee(places, "59350")
    assert lille is not None and lille.nom == "Lille"
    assert {"59000", "59160", "59260", "59777", "59800"} <= set(lille.codes_postaux)
    assert postal_code_error(lille, "59800") is None
    assert postal_code_error(lille, "59300") == (
        "Le code postal 59300 ne correspond pas à Lille (59000, 59160, 59260, 59777, 59800)"
    )
    assert "59350" not in {c.insee for c in communes_by_postal_code(places, "59300")}
    assert [c.nom for c in communes_by_postal_code(places, "59300")] == [
        "Aulnoy-lez-Valenciennes",
        "Famars",
        "Valenciennes",
    ]


@pytest.mark.parametrize(
    ("insee", "code", "message"),
    [
        ("62765", "62500", None),
        ("62765", " 62500 ", None),
        (
            "62765",
            "59000",
            "Le code postal 59000 ne correspond pas à Saint-Omer (62500)",
        ),
        ("62765", "6250", "« 6250 » n'est pas un code postal : il faut cinq chiffres."),
    ],
)
def test_postal_code_error(places: Places, insee: str, code: str, message: str | None) -> None:
    commune = commune_by_insee(places, insee)
    assert commune is not None
    assert postal_code_error(commune, code) == message


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("saint omer", ["62765"]),
        ("SAINT-OMER", ["62765"]),
        ("Saint Omer", ["62765"]),
        ("St-Omer", ["62765"]),
        ("st omer", ["62765"]),
        ("  Saint-Omer ", ["62765"]),
        ("saint aubin", ["59529", "62742"]),
        ("Bethune", ["62119"]),
        ("BÉTHUNE", ["62119"]),
        ("Bruay la Buissiere", ["62178"]),
        ("Villeneuve d'Ascq", ["59009"]),
        ("villeneuve dascq", ["59009"]),
        ("Ste Austreberthe", ["62447"]),
        ("Huby-Saint-Leu", ["62447"]),
        ("Hesdin", ["62447"]),
        ("Lomme", ["59350"]),
        ("hellemmes lille", ["59350"]),
        ("Saint-Pol-sur-Mer", ["59183"]),
        ("Labuissière", ["62178"]),
        ("Paris", []),
        ("", []),
    ],
)
def test_communes_by_name(places: Places, typed: str, expected: list[str]) -> None:
    assert [c.insee for c in communes_by_name(places, typed)] == expected


def test_homonyms_saint_aubin_in_both_departments(places: Places) -> None:
    found = communes_by_name(places, "Saint-Aubin")
    assert [(c.nom, c.departement) for c in found] == [("Saint-Aubin", "59"), ("Saint-Aubin", "62")]


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("Saint-Omer", "saintomer"),
        ("st. omer", "saintomer"),
        ("Sainte-Catherine", "saintecatherine"),
        ("STE CATHERINE", "saintecatherine"),
        ("L'Œuvre", "loeuvre"),
        ("Estrée-Blanche", "estreeblanche"),
    ],
)
def test_normalise_name(typed: str, key: str) -> None:
    assert normalise_name(typed) == key


def test_unknown_codes(places: Places) -> None:
    assert commune_by_insee(places, "75056") is None
    assert communes_by_postal_code(places, "75001") == []


def _write_package(root: Path) -> None:
    (root / "data").mkdir(parents=True)
    (root / "package.json").write_text(
        json.dumps({"name": PACKAGE_NAME, "version": "9.9.9", "license": "MIT"})
    )
    communes = [
        {"code": "62002", "nom": "Zèbre", "type": "commune-actuelle", "departement": "62",
         "arrondissement": "621", "codesPostaux": ["62300", "62100"], "population": 10},
        {"code": "62001", "nom": "Ablain", "type": "commune-actuelle", "departement": "62",
         "arrondissement": "621", "codesPostaux": ["62153"], "population": 5},
        {"code": "62003", "nom": "Vieux", "type": "commune-deleguee", "departement": "62",
         "arrondissement": "621", "chefLieu": "62001"},
        {"code": "80001", "nom": "Ailleurs", "type": "commune-actuelle", "departement": "80",
         "arrondissement": "801", "codesPostaux": ["80000"], "population": 7},
    ]  # fmt: skip
    epci = [
        {"code": "200000002", "nom": "CA Hors champ", "type": "CA", "membres": [{"code": "80001"}]},
        {
            "code": "200000001",
            "nom": "CC d'Essai",
            "type": "CC",
            "membres": [{"code": "62002"}, {"code": "80001"}],
        },
    ]
    arrondissements = [{"code": "621", "nom": "Arras"}, {"code": "801", "nom": "Amiens"}]
    for name, value in (("communes", communes), ("epci", epci), ("arrondissements", arrondissements)):
        (root / "data" / f"{name}.json").write_text(json.dumps(value), encoding="utf-8")


def test_extraction_of_a_small_package_is_sorted_filtered_and_reproducible(tmp_path: Path) -> None:
    _write_package(tmp_path / "package")
    out = tmp_path / "out" / "communes.json"
    argv = ["communes", "--from", str(tmp_path / "package"), "--departements", "62", "--out", str(out)]
    assert main([*argv, "--date", "2026-01-02"]) == 0
    first = out.read_bytes()
    assert main([*argv, "--date", "2026-01-02"]) == 0
    assert out.read_bytes() == first
    raw = json.loads(first)
    assert raw["source"]["version"] == "9.9.9"
    assert raw["extrait_le"] == "2026-01-02"
    assert raw["communes"] == [
        ["62001", "Ablain", ["62153"], "62", "621", None, 5],
        ["62002", "Zèbre", ["62100", "62300"], "62", "621", "200000001", 10],
    ]
    assert raw["epci"] == [["200000001", "CC d'Essai", "CC"]]
    assert raw["arrondissements"] == [["621", "Arras"]]
    assert raw["anciennes"] == [["62003", "Vieux", "deleguee", "62001"]]
    places = load_places(out)
    assert [c.insee for c in communes_by_name(places, "VIEUX")] == ["62001"]


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        (["--departements", "6x"], "départements invalides"),
        (["--departements", "59"], "aucune commune pour le(s) département(s) 59"),
        (["--date", "2026-01-02", "--from", "/nonexistent"], "lecture impossible"),
    ],
)
def test_extraction_errors_are_french_and_exit_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], extra: list[str], message: str
) -> None:
    _write_package(tmp_path / "package")
    argv = ["communes", "--from", str(tmp_path / "package"), "--out", str(tmp_path / "x.json"), *extra]
    assert main(argv) == 1
    assert message in capsys.readouterr().err
    assert not (tmp_path / "x.json").exists()
