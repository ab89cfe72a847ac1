"""Fixtures of the guide's tests: a scratch data folder with a `write_yaml` factory, the real built site, and
helpers to build a guide from any data folder, read its pages and serve it to the browser."""

from __future__ import annotations

import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from generator.build import build_site
from generator.catalogue import load_catalogue
from tests.conftest import ROOT, running
from tests.loopback import free_port

VALID_FICHE = """\
id: ma-fiche
nom: Atelier de remobilisation
description: Un atelier collectif pour reprendre confiance et construire un projet.
type: atelier
thematiques: [remobilisation]
publics: [jeunes]
date_maj: 2026-11-01
famille_solution: remobilisation
territoires: [valenciennes]
volet: reparation
porteur: ma-structure
courriel: contact@example.org
"""

VALID_STRUCTURE = """\
id: ma-structure
nom: Structure d'essai
site_web: https://example.org
date_maj: 2026-11-01
"""


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    """A data folder holding the real nomenclatures, territories and communes referential and one valid
    structure."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("nomenclatures.yaml", "territoires.yaml", "communes.json"):
        shutil.copyfile(ROOT / "data" / name, data / name)
    (data / "structures").mkdir()
    (data / "structures" / "ma-structure.yaml").write_text(VALID_STRUCTURE, encoding="utf-8")
    return data


@pytest.fixture
def write_yaml(data_dir: Path) -> Callable[[str, str], Path]:
    """Write `text` at `relative` (e.g. "fiches/ma-fiche.yaml") under the scratch data folder."""

    def write(relative: str, text: str) -> Path:
        path = data_dir / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        return path

    return write


def build_guide(data: Path, out: Path) -> Path:
    """Build the guide from the data folder `data` and the real content/ into `out`."""
    catalogue = load_catalogue(data, ROOT / "content")
    build_site(catalogue, ROOT / "content", out)
    return out


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real guide, built once from data/ and content/."""
    return build_guide(ROOT / "data", tmp_path_factory.mktemp("site") / "site")


def html(site: Path, relative: str) -> str:
    """The HTML of the built page at `relative` (a directory URL, "." for the home page)."""
    return (site / relative / "index.html").read_text(encoding="utf-8")


@contextmanager
def served(site: Path) -> Iterator[str]:
    """Serve a built site on a free loopback port; yields its base URL."""
    port = free_port()
    cmd = [sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1", "--directory", str(site)]
    with running(cmd, port):
        yield f"http://127.0.0.1:{port}"


def search(page: Any, site_url: str, terms: str) -> int:
    """Type `terms` on the search page; the number of results announced."""
    page.goto(f"{site_url}/trouver-une-solution/")
    page.fill("#recherche-terme", terms)
    # Wait for the answer to these terms (recherche.js marks the results with the terms they answer).
    page.wait_for_function("t => document.getElementById('recherche').dataset.terme === t", arg=terms)
    message = page.locator(".partaj-recherche__message").inner_text()
    return int(message.split()[0]) if message[0].isdigit() else 0


VALID_DISPOSITIF = """\
id: mon-dispositif
nom: Dispositif d'essai
description: Un dispositif national d'essai, décrit en quelques phrases simples.
type: accompagnement
thematiques: [se-former]
publics: [jeunes]
date_maj: 2026-11-01
famille_solution: accompagnement
operateur: Un opérateur national
lien_source: https://example.org/dispositif
sources:
  - titre: Page officielle
    url: https://example.org/dispositif
"""
