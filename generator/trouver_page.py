"""The guide's page « Trouver une solution pour un jeune » (`pour-un-jeune/`) and its criteria asset.

The questionnaire is answered in the browser by `site_config/assets/pour-un-jeune.js`, from
`pour-un-jeune/criteres.json` written here by `generator.trouver.criteres`: nothing about the young person
leaves the page, and the criteria (never a name) stay in the URL to share the search.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.labels import CATEGORIES
from generator.trouver import DRAPEAUX, criteres

if TYPE_CHECKING:
    from generator.render import Renderer

PAGE = "pour-un-jeune/index.md"
ASSET = "pour-un-jeune/criteres.json"


def write_questionnaire(renderer: Renderer, docs: Path) -> None:
    """Write the page and its asset under `docs` (MkDocs copies the asset as is)."""
    catalogue = renderer.cat
    data = criteres(catalogue)
    path = docs / ASSET
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    front: dict[str, Any] = {
        "title": "Trouver une solution pour un jeune",
        "description": "Quelques questions sur la situation d'un jeune, et les dispositifs et actions qui lui "
        "correspondent, avec leurs raisons.",
        "template": "pour-un-jeune.html",
        "recherche": False,
        "hide": ["toc"],
        # The criteria are those of the catalogue on the day of the build.
        "date_maj": catalogue.today,
    }
    renderer.write(
        PAGE,
        "pour-un-jeune.md.j2",
        front=front,
        statuts=catalogue.choices("statuts"),
        niveaux=catalogue.choices("niveaux"),
        territoires=[(t.id, t.nom) for t in catalogue.territoires.values()],
        besoins=sorted(CATEGORIES.items(), key=lambda item: item[1]),
        drapeaux=DRAPEAUX,
        communes=catalogue.places is not None,
    )
