"""The whole-catalogue check of a proposal (`publish.problems_of`) is kept for the same files on the same catalogue
the same day — a moderator going back to a proposal does not wait for it again — and done again as soon as a file
of the catalogue changes."""

from __future__ import annotations

import shutil
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from forms_backend.propositions import publish
from tests.conftest import ROOT
from tests.generator.conftest import VALID_FICHE, VALID_STRUCTURE

TODAY = date(2026, 12, 1)


@pytest.fixture
def counted(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    calls: list[Any] = []
    real = publish.check_sheet

    def check_sheet(*args: Any) -> Any:
        calls.append(args)
        return real(*args)

    monkeypatch.setattr(publish, "check_sheet", check_sheet)
    publish._CHECKS.clear()
    return calls


def test_the_check_is_kept_until_a_file_of_the_catalogue_changes(tmp_path: Path, counted: list[Any]) -> None:
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    prepared = publish.Prepared({("fiches", "ma-fiche"): VALID_FICHE}, "fiches", "ma-fiche")

    first = publish.problems_of(prepared, data, TODAY)
    assert first[0] == {"porteur": "« porteur » : structure « ma-structure » inconnue"}
    assert publish.problems_of(prepared, data, TODAY) == first
    assert len(counted) == 1

    # The structure it names arrives in the catalogue: checked again, and the problem is gone.
    (data / "structures" / "ma-structure.yaml").write_text(VALID_STRUCTURE, encoding="utf-8")
    assert publish.problems_of(prepared, data, TODAY) == ({}, [])
    assert len(counted) == 2

    # Another day, other files: checked again.
    publish.problems_of(prepared, data, TODAY + timedelta(days=1))
    other = publish.Prepared(
        {("fiches", "ma-fiche"): VALID_FICHE.replace("atelier", "stage")}, "fiches", "ma-fiche"
    )
    publish.problems_of(other, data, TODAY)
    assert len(counted) == 4


def test_only_the_last_checks_are_kept(
    tmp_path: Path, counted: list[Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(publish, "_CHECKS_KEPT", 2)
    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    sheets = [
        publish.Prepared(
            {("fiches", "ma-fiche"): VALID_FICHE.replace("Atelier", f"Atelier {n}")}, "fiches", "ma-fiche"
        )
        for n in range(3)
    ]
    for prepared in sheets:
        publish.problems_of(prepared, data, TODAY)
    assert len(publish._CHECKS) == 2
    publish.problems_of(sheets[0], data, TODAY)  # the oldest was let go: checked again
    assert len(counted) == 4
