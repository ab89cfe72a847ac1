"""The young person's commune in the forms: its check against the communes referential and the territory it
routes the report to (docs/domaine.md, section 6, « Communes et territoires »).

The public forms and the manual entry share `commune_rule`: the postal code must belong to the commune in the
covered départements (`generator.places.resolve_commune`), the commune's INSEE code and territory are kept, and
an empty `territoire` takes the commune's. `completion_asset` is what the completion list of the commune field
loads (`static/communes.js`), the same data as the guide's page « Quelle CTL pour cette commune ? ».
"""

from __future__ import annotations

import gzip
import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlite_utils import Database

from forms_backend.db import situations
from forms_backend.db.migrations import BACKFILL_COMMUNES
from generator.catalogue import Catalogue
from generator.places import Places, commune_by_insee, normalise_name, resolve_commune
from generator.quelle_ctl import finder_asset

NO_TERRITORY = (
    "{commune} n'est pas dans le Nord ni le Pas-de-Calais : choisissez le territoire de la CTL qui suivra le "
    "jeune (celui de votre structure, par exemple)."
)
NO_TERRITORY_WITHOUT_REFERENTIAL = "Choisissez le territoire de la CTL qui suivra le jeune."

log = logging.getLogger("partaj")

Rule = Callable[[dict[str, Any], dict[str, str], date], None]


def commune_rule(catalogue: Catalogue) -> Rule:
    """The cross-field rule of `code_postal`, `commune`, `commune_insee` and `territoire`.

    On success it sets `commune` (the official spelling for a commune of the referential, as typed outside),
    `commune_insee` and `territoire_commune` (None outside the covered départements), and `territoire` when it
    was left empty. Without a referential (a deployment whose territories have no perimeter) the commune stays
    free text and the territory must be chosen."""
    places = catalogue.places

    def rule(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
        chosen = data.get("territoire")
        hint = data.get("commune_insee") or ""
        data["commune_insee"] = None
        data["territoire_commune"] = None
        if (
            "code_postal" in errors
            or "commune" in errors
            or not data.get("code_postal")
            or not data.get("commune")
        ):
            return
        if places is None:
            if not chosen and "territoire" not in errors:
                errors["territoire"] = NO_TERRITORY_WITHOUT_REFERENTIAL
            return
        found = resolve_commune(places, data["commune"], data["code_postal"], hint)
        if found.error:
            errors["commune"] = found.error
            return
        data["commune"] = found.nom
        if found.commune is not None:
            data["commune_insee"] = found.commune.insee
            data["territoire_commune"] = catalogue.territory_of(found.commune.insee)
        if not chosen and "territoire" not in errors:
            if data["territoire_commune"]:
                data["territoire"] = data["territoire_commune"]
            else:
                errors["territoire"] = NO_TERRITORY.format(commune=found.nom)

    return rule


def resolver(places: Places) -> Callable[[str, str], str | None]:
    """For existing situations (migration 7): the INSEE code of the one commune that a stored name and postal
    code designate, or None when they match no commune or several."""

    def resolve(name: str, postal_code: str) -> str | None:
        key = normalise_name(name or "")
        code = (postal_code or "").strip()
        if not key or not code:
            return None
        matches = {
            c.insee
            for c in (commune_by_insee(places, insee) for insee in places.by_name.get(key, ()))
            if c is not None and code in c.codes_postaux
        }
        return matches.pop() if len(matches) == 1 else None

    return resolve


@dataclass(frozen=True)
class Asset:
    """The completion list's data, ready to send: JSON, its gzip, and an ETag."""

    body: bytes
    gzipped: bytes
    etag: str


def completion_asset(catalogue: Catalogue) -> Asset | None:
    """The communes with their postal codes and territory, for the commune field; None without referential."""
    if catalogue.places is None or catalogue.routing is None:
        return None
    data = finder_asset(catalogue, catalogue.places, catalogue.routing)
    body = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    etag = '"' + hashlib.sha256(body).hexdigest()[:20] + '"'
    return Asset(body, gzip.compress(body, compresslevel=9, mtime=0), etag)


def backfills(catalogue: Catalogue) -> dict[str, Callable[[Database], None]]:
    """The data steps of the migrations that need the referential (`Store(..., backfills=...)`)."""
    if catalogue.places is None:
        return {}
    resolve = resolver(catalogue.places)

    def locate(name: str, postal_code: str) -> tuple[str, str | None] | None:
        insee = resolve(name, postal_code)
        return (insee, catalogue.territory_of(insee)) if insee else None

    def fill(db: Database) -> None:
        filled = situations.fill_communes(db, locate)
        log.info("migration des communes : code INSEE retrouvé pour %s situation(s)", filled)

    return {BACKFILL_COMMUNES: fill}
