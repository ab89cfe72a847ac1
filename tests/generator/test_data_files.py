"""One test case per real data file, so that a failure names the file; plus cross-file checks."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from generator.catalogue import Catalogue, load_catalogue
from generator.jsonschema import SCHEMA_FILES, schema_for
from tests.conftest import ROOT

DATA_FILES = sorted(p.relative_to(ROOT).as_posix() for p in (ROOT / "data").rglob("*.yaml"))


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "data", ROOT / "content")


@pytest.mark.parametrize("relative", DATA_FILES)
def test_data_file_has_no_problem(
    catalogue: Catalogue, relative: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    found = [p.format() for p in catalogue.problems if Path(p.path).resolve() == (ROOT / relative).resolve()]
    assert found == []


@pytest.mark.parametrize("relative", DATA_FILES)
def test_data_file_declares_its_editor_schema(relative: str) -> None:
    first = (ROOT / relative).read_text(encoding="utf-8").splitlines()[0:3]
    assert any(line.startswith("# yaml-language-server: $schema=") for line in first)


def test_data_has_the_eight_territories(catalogue: Catalogue) -> None:
    assert sorted(catalogue.territoires) == sorted(
        [
            "bethune-bruay",
            "lens-lievin-henin-carvin",
            "roubaix-tourcoing",
            "sambre-avesnois",
            "valenciennes",
            "arras",
            "dunkerque",
            "hors-territoires",
        ]
    )


def test_data_has_at_least_twenty_sourced_dispositifs(catalogue: Catalogue) -> None:
    assert len(catalogue.dispositifs) >= 20
    for dispositif in catalogue.dispositifs.values():
        assert dispositif.sources and all(s.url.startswith("https://") for s in dispositif.sources), (
            dispositif.id
        )


def test_data_keeps_the_seed_names_as_aliases(catalogue: Catalogue) -> None:
    aliases = " ".join(a for d in catalogue.dispositifs.values() for a in d.anciens_noms).casefold()
    for old_name in ("emt", "mgi", "pôle emploi", "garantie jeunes"):
        assert old_name in aliases, old_name


def test_data_ids_are_unique_across_fiches_and_dispositifs(catalogue: Catalogue) -> None:
    assert not set(catalogue.fiches) & set(catalogue.dispositifs)


def test_data_illustrative_sheets_are_marked(catalogue: Catalogue) -> None:
    for fiche in catalogue.fiches.values():
        porteur = catalogue.structures[fiche.porteur]
        assert not porteur.exemple or fiche.exemple, (
            f"{fiche.id} cite une structure d'exemple sans être un exemple"
        )


@pytest.mark.parametrize("name", sorted(SCHEMA_FILES))
def test_committed_json_schema_is_up_to_date(catalogue: Catalogue, name: str) -> None:
    nomenclatures = {n: [e.id for e in entries] for n, entries in catalogue.nomenclatures.items()}
    committed = json.loads((ROOT / "schemas" / f"{name}.schema.json").read_text(encoding="utf-8"))
    assert committed == schema_for(SCHEMA_FILES[name], nomenclatures), "lancez : python -m generator schemas"
