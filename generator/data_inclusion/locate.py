"""Where a service of the feed is: the territories of its commune (INSEE code, else postal code through the
communes referential), else of its eligibility zone (commune, EPCI or département codes).

A service is kept only when it lies in the covered départements; national zones (`france`, `99100`) are not
a location.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from generator.catalogue import Catalogue
from generator.errors import Problem, ReferentialError
from generator.loader import parse_file
from generator.places import Places, communes_by_name, communes_by_postal_code, load_places
from generator.schema import TerritoiresFile
from generator.territories import Routing, build_routing

HORS_DEPARTEMENTS = "hors des départements couverts"
NON_LOCALISE = "ni commune ni zone d'éligibilité locale"
SANS_TERRITOIRE = "commune rattachée à aucun territoire"


@dataclass(frozen=True)
class Location:
    """The territories of a kept service, and how they were found (for the report)."""

    territoires: tuple[str, ...]
    par: str  # "code_insee", "code_postal" or "zone_eligibilite"


@dataclass(frozen=True)
class Locator:
    """The referential and routing of a data folder, restricted to the covered `departements`."""

    places: Places
    routing: Routing
    departements: frozenset[str]
    by_departement: dict[str, tuple[str, ...]]
    by_epci: dict[str, tuple[str, ...]]

    def territories_of_commune(self, insee: str) -> tuple[str, ...]:
        """The territory of a commune by the routing (none outside the perimeters)."""
        territoire = self.routing.territory_of(insee)
        return (territoire,) if territoire else ()

    def departement_of(self, insee: str) -> str | None:
        """The département of a commune of the referential (an old commune: its current one's), or None."""
        code = self.routing.current_of_old.get(insee, insee)
        commune = self.places.communes.get(code)
        return commune.departement if commune else None

    def locate(
        self,
        code_insee: str | None,
        code_postal: str | None,
        commune: str | None,
        zone: list[str] | None,
    ) -> Location | str:
        """The location of a service, or the reason it is outside the guide's coverage."""
        if code_insee:
            departement = self.departement_of(code_insee)
            if departement not in self.departements:
                return HORS_DEPARTEMENTS
            found = self.territories_of_commune(code_insee)
            return Location(found, "code_insee") if found else SANS_TERRITOIRE
        if code_postal:
            communes = communes_by_postal_code(self.places, code_postal)
            if commune and len(communes) > 1:
                named = {c.insee for c in communes_by_name(self.places, commune)}
                communes = [c for c in communes if c.insee in named] or communes
            inside = [c for c in communes if c.departement in self.departements]
            if not inside:
                return HORS_DEPARTEMENTS
            found = tuple(sorted({t for c in inside for t in self.territories_of_commune(c.insee)}))
            return Location(found, "code_postal") if found else SANS_TERRITOIRE
        if zone:
            return self.locate_zone(zone)
        return NON_LOCALISE

    def locate_zone(self, zone: list[str]) -> Location | str:
        """The territories of an eligibility zone's local codes (communes, EPCI, départements)."""
        found: set[str] = set()
        local = False
        for code in zone:
            if code in self.by_departement or code in self.departements:
                local = True
                found.update(self.by_departement.get(code, ()))
            elif code in self.by_epci:
                local = True
                found.update(self.by_epci[code])
            elif len(code) == 5 and self.departement_of(code) in self.departements:
                local = True
                found.update(self.territories_of_commune(code))
        if not local:
            national = all(code in ("france", "99100") for code in zone)
            return NON_LOCALISE if national else HORS_DEPARTEMENTS
        return Location(tuple(sorted(found)), "zone_eligibilite") if found else SANS_TERRITOIRE


def build_locator(catalogue: Catalogue, departements: frozenset[str]) -> Locator:
    """The locator of a catalogue that has its referential and routing."""
    if catalogue.places is None or catalogue.routing is None:
        raise ReferentialError("référentiel des communes ou périmètres des territoires absents")
    places, routing = catalogue.places, catalogue.routing
    by_departement: defaultdict[str, set[str]] = defaultdict(set)
    by_epci: defaultdict[str, set[str]] = defaultdict(set)
    for insee, commune in places.communes.items():
        territoire = routing.by_insee.get(insee)
        if territoire is None or commune.departement not in departements:
            continue
        by_departement[commune.departement].add(territoire)
        if commune.epci:
            by_epci[commune.epci].add(territoire)
    return Locator(
        places,
        routing,
        departements,
        {k: tuple(sorted(v)) for k, v in by_departement.items()},
        {k: tuple(sorted(v)) for k, v in by_epci.items()},
    )


def load_locator(data_dir: Path, departements: frozenset[str], today: date) -> Locator:
    """Read the territories and the communes referential of `data_dir` (not the sheets) into a locator."""
    problems: list[Problem] = []
    doc = parse_file(data_dir / "territoires.yaml", str(data_dir / "territoires.yaml"), problems)
    if doc is None:
        raise ReferentialError("; ".join(p.format() for p in problems) or "territoires.yaml illisible")
    try:
        parsed = TerritoiresFile.model_validate(doc.data, context={"today": today, "nomenclatures": None})
        places = load_places(data_dir / "communes.json")
    except ValueError as exc:
        raise ReferentialError(
            f"territoires.yaml invalide : lancez « python -m generator check » ({exc})"
        ) from exc
    catalogue = Catalogue(
        territoires={t.id: t for t in parsed.territoires},
        places=places,
        routing=build_routing(parsed.territoires, places),
    )
    return build_locator(catalogue, departements)
