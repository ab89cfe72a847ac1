"""Shared parts of the proposals' tests: a scratch copy of the catalogue in its own git work tree, an app on it
with a regional account and coordinators of two territories, and a valid proposal."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from forms_backend.app import create_app
from tests.conftest import ROOT
from tests.forms_backend.conftest import form_token, hidden, make_settings
from tests.forms_backend.coordination import create_account, login, rows

REGIONAL = "regional@example.fr"
COORD_VAL = "coord.valenciennes@example.fr"
COORD_ARRAS = "coord.arras@example.fr"


def scratch_repo(root: Path) -> Path:
    """data/ and content/ copied under `root/depot`, committed in a new git repository; returns data/."""
    repo = root / "depot"
    shutil.copytree(ROOT / "data", repo / "data", ignore=shutil.ignore_patterns("importes"))
    shutil.copytree(ROOT / "content", repo / "content")
    for args in (
        ["init", "-q", "-b", "main"],
        ["config", "user.email", "tests@example.org"],
        ["config", "user.name", "Tests"],
        ["add", "-A"],
        ["commit", "-q", "-m", "catalogue de départ"],
    ):
        subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True)
    return repo / "data"


def valid_new() -> dict[str, Any]:
    """A new action that passes every rule (a clearly fictional structure)."""
    return {
        "nom": "Atelier fictif de remobilisation",
        "description": "Un atelier collectif fictif, écrit par les tests, pour reprendre confiance en soi.",
        "type": "atelier",
        "famille_solution": "remobilisation",
        "volet": ["reparation"],
        "thematiques": ["remobilisation"],
        "publics": ["jeunes"],
        "age_min": "16",
        "age_max": "25",
        "territoires": ["valenciennes"],
        "courriel": "contact@example.org",
        "lien_source": "https://example.org/atelier",
        "porteur": "Structure fictive 12",
        "proposeur_nom": "Camille Test",
        "proposeur_structure": "Structure fictive 12",
        "proposeur_courriel": "camille@example.org",
    }


@dataclass
class Contrib:
    client: TestClient
    app: Any
    data_dir: Path
    db_path: Path
    site_dir: Path

    def propose(self, path: str, data: dict[str, Any], age_seconds: float = 10.0) -> Any:
        page = self.client.get(path)
        assert page.status_code == 200, page.status_code
        source = "proposition-correction" if "/correction/" in path else "proposition-nouvelle"
        fields = {
            "csrf_token": hidden(page.text, "csrf_token"),
            "jeton_formulaire": form_token(source, age_seconds),
        }
        return self.client.post(path, data={**fields, **data}, follow_redirects=False)

    def login_as(self, email: str) -> None:
        self.client.cookies.clear()
        assert login(self.client, email).status_code == 303

    def csrf(self) -> str:
        match = re.search(
            r'name="csrf_token" value="([^"]*)"', self.client.get("/coordination/propositions").text
        )
        assert match
        return match.group(1)

    def post(self, path: str, data: dict[str, Any]) -> Any:
        return self.client.post(path, data={"csrf_token": self.csrf(), **data}, follow_redirects=False)

    def propositions(self) -> list[tuple[Any, ...]]:
        return rows(self.db_path, "SELECT id, reference, genre, statut, cible FROM propositions ORDER BY id")

    def wait_published(self, timeout: float = 120) -> str:
        publication = self.app.state.publication
        deadline = time.monotonic() + timeout
        while publication.state == "publication en cours" and time.monotonic() < deadline:
            time.sleep(0.2)
        return str(publication.label)


@contextmanager
def running(tmp_path: Path, **changes: Any) -> Iterator[Contrib]:
    """The app on a scratch catalogue (its own git work tree), with its three accounts."""
    data_dir = scratch_repo(tmp_path)
    site_dir = tmp_path / "site"
    app = create_app(make_settings(tmp_path, data_dir=data_dir, site_dir=site_dir, **changes))
    with TestClient(app, base_url="http://testserver") as client:
        store = app.state.services.store
        create_account(store, REGIONAL, "regional")
        create_account(store, COORD_VAL, "coordinateur", ["valenciennes"])
        create_account(store, COORD_ARRAS, "coordinateur", ["arras"])
        yield Contrib(client, app, data_dir, tmp_path / "partaj.db", site_dir)


@pytest.fixture(name="contrib")
def contrib_fixture(tmp_path: Path) -> Iterator[Contrib]:
    with running(tmp_path) as running_app:
        yield running_app
