"""The page "Quelle CTL pour cette commune ?" (`quelle-ctl/`) and its compact asset of the communes.

The page answers in the browser, without the backend: `site_config/assets/quelle-ctl.js` loads the asset
written here and looks a commune up by postal code or by name (normalised like `places.normalise_name`).
"""

from __future__ import annotations

import contextlib
import json
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

from generator.catalogue import Catalogue
from generator.places import Places
from generator.territories import Routing

if TYPE_CHECKING:
    from generator.render import Renderer

PAGE = "quelle-ctl/index.md"
ASSET = "quelle-ctl/communes.json"
DEPARTEMENTS = {"59": "Nord", "62": "Pas-de-Calais"}


def finder_asset(catalogue: Catalogue, places: Places, routing: Routing) -> dict[str, Any]:
    """The asset: territories' names, communes [INSEE, name, postal codes, territory id or null], and the
    old communes [name, INSEE of the current commune]; the département is the INSEE code's first two digits."""
    return {
        "territoires": {t.id: t.nom for t in catalogue.territoires.values()},
        "departements": {code: DEPARTEMENTS.get(code, code) for code in places.departements},
        "communes": [
            [c.insee, c.nom, " ".join(c.codes_postaux), routing.by_insee.get(c.insee)]
            for c in sorted(places.communes.values(), key=lambda c: c.insee)
        ],
        "anciennes": [
            [old.nom, old.commune_actuelle]
            for old in places.anciennes
            if old.commune_actuelle in places.communes
        ],
    }


def write_finder(renderer: Renderer, docs: Path) -> None:
    """Write the page and its asset under `docs` (MkDocs copies the asset as is)."""
    catalogue = renderer.cat
    if catalogue.places is None or catalogue.routing is None:
        return
    asset = finder_asset(catalogue, catalogue.places, catalogue.routing)
    path = docs / ASSET
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(asset, ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    front: dict[str, Any] = {
        "title": "Quelle CTL pour cette commune ?",
        "description": "Le territoire du plan et sa cellule technique locale, d'après le code postal ou le nom "
        "de la commune.",
        "template": "quelle-ctl.html",
        "recherche": False,
        "hide": ["toc"],
    }
    with contextlib.suppress(ValueError):  # written by `generator/communes.py` as an ISO date
        front["date_maj"] = date.fromisoformat(catalogue.places.extrait_le)
    renderer.write(PAGE, "quelle-ctl.md.j2", front=front, communes=len(catalogue.places.communes))
