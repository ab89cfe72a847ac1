"""Fixtures of the guide's tests: a scratch data folder with a `write_yaml` factory, and the real built site."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from generator.build import build_site
from generator.catalogue import load_catalogue
from tests.conftest import ROOT

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
    """A data folder holding the real nomenclatures and territories and one valid structure."""
    data = tmp_path / "data"
    data.mkdir()
    for name in ("nomenclatures.yaml", "territoires.yaml"):
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


@pytest.fixture(scope="session")
def built_site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The real guide, built once from data/ and content/."""
    out = tmp_path_factory.mktemp("site") / "site"
    catalogue = load_catalogue(ROOT / "data", ROOT / "content")
    build_site(catalogue, ROOT / "content", out)
    return out


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
