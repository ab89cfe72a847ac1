"""Helpers of the tracking table's tests: an app with three accounts and situations of two territories."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from forms_backend.app import create_app
from forms_backend.db import situations
from forms_backend.db.store import Store
from generator.catalogue import Catalogue
from tests.forms_backend.conftest import make_settings, valid_orientation, valid_rupture
from tests.forms_backend.coordination import create_account, csrf_of, login, rows

TERRITOIRE_A = "lens-lievin-henin-carvin"
TERRITOIRE_B = "roubaix-tourcoing"
COORD_A = "coord.a@example.fr"
COORD_B = "coord.b@example.fr"
REGIONAL = "regional@example.fr"
NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def add_situation(
    db: Store,
    territoire: str,
    source: str = "rupture",
    now: datetime = NOW,
    **changes: Any,
) -> int:
    """A situation stored as the public form stores it; returns its id."""
    data = valid_rupture() if source == "rupture" else valid_orientation()
    data.update(territoire=territoire, **changes)
    for name in ("motifs", "besoins"):
        if name in data and isinstance(data[name], str):
            data[name] = [data[name]]
    data["jeune_informe"] = 1
    if source != "rupture":
        data["accord_representant_legal"] = 0
    for name, value in list(data.items()):
        if value == "":
            data[name] = None
    key = f"test-{territoire}-{now.isoformat()}-{data['nom']}-{data['prenom']}-{source}"
    report = situations.NewReport(source, data, key, now, now.year)
    receipt = db.submit(lambda conn: situations.insert_reports(conn, [report])[0]).result()
    found = db.read_sync(lambda conn: situations.situation_id(conn, receipt.reference))
    assert found is not None
    return found


@dataclass
class Tracking:
    """An app on a temporary database, its three accounts, and a situation in each of two territories."""

    client: TestClient
    db: Store
    db_path: Path
    situation_a: int
    situation_b: int

    def login_as(self, email: str) -> None:
        self.client.cookies.clear()
        response = login(self.client, email)
        assert response.status_code == 303, response.text

    def csrf(self) -> str:
        return csrf_of(self.client.get("/coordination/").text)

    def post(self, path: str, data: dict[str, Any], token: str | None = None) -> Any:
        token = self.csrf() if token is None else token
        return self.client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)

    def situation(self, situation_id: int) -> dict[str, Any]:
        (row,) = rows(
            self.db_path,
            "SELECT statut, sortie, motif_sans_suite, prochaine_ctl, referent_nom, referent_structure, "
            "referent_contrat_signe, updated_at FROM situations WHERE id = ?",
            [situation_id],
        )
        names = ("statut", "sortie", "motif_sans_suite", "prochaine_ctl", "referent_nom")
        names += ("referent_structure", "referent_contrat_signe", "updated_at")
        return dict(zip(names, row, strict=True))

    def events(self, situation_id: int) -> list[tuple[Any, ...]]:
        return rows(
            self.db_path,
            "SELECT auteur, genre, statut, issue, texte, solution_id FROM suivi_evenements "
            "WHERE situation_id = ? ORDER BY id",
            [situation_id],
        )

    def audit(self) -> list[tuple[Any, ...]]:
        return rows(self.db_path, "SELECT email, action, cible, resultat, details FROM audit ORDER BY id")


@pytest.fixture(name="tracking")
def tracking_fixture(tmp_path: Path, catalogue: Catalogue) -> Iterator[Tracking]:
    """The app with coordinators of A and of B, a regional coordinator, one situation in A and one in B."""
    app = create_app(make_settings(tmp_path), catalogue)
    with TestClient(app, base_url="http://testserver") as client:
        db: Store = app.state.services.store
        create_account(db, COORD_A, "coordinateur", [TERRITOIRE_A])
        create_account(db, COORD_B, "coordinateur", [TERRITOIRE_B])
        create_account(db, REGIONAL, "regional")
        situation_a = add_situation(db, TERRITOIRE_A, nom="Martin", prenom="Léa")
        situation_b = add_situation(db, TERRITOIRE_B, "orientation", nom="Bernard", prenom="Yanis")
        yield Tracking(client, db, tmp_path / "partaj.db", situation_a, situation_b)


def error_of(page_html: str, name: str) -> str | None:
    """The message beside a field, as the user reads it."""
    match = re.search(rf'<p class="message-erreur" id="champ-{name}-erreur">(.*?)</p>', page_html, re.DOTALL)
    if not match:
        return None
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).removeprefix("Erreur : ")
