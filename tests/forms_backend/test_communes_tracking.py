"""The commune in the back office (issue 9): migration 7 fills the INSEE code of existing situations, the manual
entry checks and derives like the public forms, the situation page shows the commune and its territory."""

from __future__ import annotations

import html
import os
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from forms_backend.app import create_app
from forms_backend.cli import main
from forms_backend.db.migrations import LATEST_VERSION, MIGRATIONS
from forms_backend.settings import Settings
from generator.catalogue import Catalogue
from tests.conftest import ROOT
from tests.forms_backend.conftest import valid_orientation
from tests.forms_backend.coordination import rows
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    REGIONAL,
    TERRITOIRE_A,
    Tracking,
    error_of,
    tracking_fixture,
)

# (commune, postal code as stored by an older version) → (commune_insee, territoire_commune) after migration 7.
OLD_ROWS: list[tuple[str, str, str | None, str | None, str | None]] = [
    # commune, code postal, anonymised at, expected INSEE, expected territory of the commune
    ("Valenciennes", "59300", None, "59606", "valenciennes"),
    ("saint omer", "62500", None, "62765", "hors-territoires"),
    ("ST-AUBIN", "62170", None, "62742", "hors-territoires"),
    ("Lomme", "59160", None, "59350", "hors-territoires"),
    ("Lille", "59300", None, None, None),  # the postal code is not Lille's: left empty
    ("Amiens", "80000", None, None, None),  # outside the covered départements
    ("Lens 62", "62300", None, None, None),  # no such name
    ("", "62", "2026-01-01T00:00:00+00:00", None, None),  # anonymised: nothing left to find
]


def version_6_database(path: Path) -> None:
    """A database as version 6 left it, with situations whose commune is free text."""
    with sqlite3.connect(path) as conn:
        for migration in MIGRATIONS[:6]:
            for statement in migration.statements:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 6")
        for n, (commune, code, anonymised, _, _) in enumerate(OLD_ROWS, start=1):
            conn.execute(
                "INSERT INTO situations (reference, source, territoire, nom, prenom, date_naissance, code_postal, "
                "commune, suivi_structure, created_at, updated_at, anonymise_at) "
                "VALUES (?, 'orientation', 'valenciennes', 'Martin', 'Léa', '2008-01-01', ?, ?, 'aucune', "
                "'2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', ?)",
                [f"ORI-2026-{n:06d}", code, commune, anonymised],
            )
    conn.close()


def located(path: Path) -> list[tuple[Any, ...]]:
    return rows(
        path, "SELECT commune_insee, territoire_commune, commune, territoire FROM situations ORDER BY id"
    )


EXPECTED = [(insee, terr, commune, "valenciennes") for commune, _, _, insee, terr in OLD_ROWS]


def test_migration_7_fills_the_insee_code_where_name_and_postal_code_match_one_commune(
    settings: Settings, catalogue: Catalogue
) -> None:
    version_6_database(settings.db_path)

    create_app(settings, catalogue).state.services.store.close()

    assert rows(settings.db_path, "PRAGMA user_version") == [(LATEST_VERSION,)]
    assert located(settings.db_path) == EXPECTED


def test_migration_7_run_by_a_command_fills_the_codes_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    for name in [n for n in os.environ if n.startswith("PARTAJ_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PARTAJ_DATA_DIR", str(ROOT / "data"))
    db_path = tmp_path / "cli.db"
    version_6_database(db_path)

    assert main(["users", "list", "--db", str(db_path)]) == 0

    assert located(db_path) == EXPECTED


def test_manual_entry_derives_the_territory_from_the_commune_within_the_coordinators_territories(
    tracking: Tracking,
) -> None:
    tracking.login_as(COORD_A)
    token = re.search(
        r'name="jeton_saisie" value="([^"]*)"', tracking.client.get("/coordination/situations/nouvelle").text
    )
    assert token
    data = {**valid_orientation(), "jeton_saisie": token.group(1), "territoire": ""}

    elsewhere = tracking.post(
        "/coordination/situations/nouvelle", {**data, "commune": "Roubaix", "code_postal": "59100"}
    )
    assert elsewhere.status_code == 422
    assert error_of(elsewhere.text, "territoire") == (
        "La commune du jeune relève du territoire « Bassin d'emploi de Roubaix-Tourcoing », que vous ne suivez "
        "pas : choisissez l'un de vos territoires, ou laissez la situation être signalée à cette CTL par ses "
        "partenaires."
    )
    wrong = tracking.post(
        "/coordination/situations/nouvelle", {**data, "commune": "Lens", "code_postal": "59300"}
    )
    assert error_of(wrong.text, "commune") == "Le code postal 59300 ne correspond pas à Lens (62300)"

    created = tracking.post(
        "/coordination/situations/nouvelle", {**data, "commune": "lievin", "code_postal": "62800"}
    )
    assert created.status_code == 303
    sid = int(created.headers["location"].split("/")[-1].split("?")[0])
    assert rows(
        tracking.db_path,
        "SELECT commune, commune_insee, territoire_commune, territoire FROM situations WHERE id = ?",
        [sid],
    ) == [("Liévin", "62510", TERRITOIRE_A, TERRITOIRE_A)]
    page = html.unescape(re.sub(r"<[^>]+>", " ", tracking.client.get(f"/coordination/situations/{sid}").text))
    text = re.sub(r"\s+", " ", page)
    assert "Résidence 62800 Liévin (code INSEE 62510)" in text
    assert "Territoire de la commune Bassin d'emploi de Lens-Liévin-Hénin-Carvin" in text


def test_situation_page_says_when_the_chosen_territory_is_not_the_communes(tracking: Tracking) -> None:
    tracking.login_as(REGIONAL)
    token = re.search(
        r'name="jeton_saisie" value="([^"]*)"', tracking.client.get("/coordination/situations/nouvelle").text
    )
    assert token
    data = {**valid_orientation(), "jeton_saisie": token.group(1), "territoire": "arras"}
    created = tracking.post(
        "/coordination/situations/nouvelle", {**data, "commune": "Amiens", "code_postal": "80000"}
    )
    other = tracking.post(
        "/coordination/situations/nouvelle",
        {**data, "jeton_saisie": "autre", "commune": "Lens", "code_postal": "62300"},
    )
    texts = []
    for response in (created, other):
        assert response.status_code == 303
        page = tracking.client.get(response.headers["location"]).text
        texts.append(re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", page))))

    assert "Territoire de la commune hors du Nord et du Pas-de-Calais, ou commune non reconnue" in texts[0]
    assert (
        "Communauté urbaine d'Arras (choisi par l'expéditeur ; la commune du jeune relève du territoire "
        "Bassin d'emploi de Lens-Liévin-Hénin-Carvin)"
    ) in texts[1]
