"""Territories defined by places: the communes of each territory's `perimetre` (EPCI, arrondissements,
communes of the referential `data/communes.json`, or `reste: true`), the routing of a commune to its
territory (`Routing.territory_of`), the checks of the perimeters and the summary shown on a territory's page.

A commune belongs to the territory whose perimeter names it (through its EPCI, its arrondissement or its
INSEE code); else to the territory with `reste: true` that lists its département; else to none.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass

from generator.checks import problem_at, show_loc
from generator.errors import Problem, Severity
from generator.loader import Document, Loc
from generator.places import Commune, Epci, Places, normalise_name
from generator.schema import Perimetre, Territoire

LISTS = ("epci", "arrondissements", "communes")
_WHAT = {"epci": "EPCI (SIREN)", "arrondissements": "arrondissement", "communes": "commune (code INSEE)"}


@dataclass(frozen=True)
class Routing:
    """Which territory each commune of the referential belongs to; built by `build_routing`."""

    by_insee: dict[str, str]
    current_of_old: dict[str, str]

    def territory_of(self, insee: str) -> str | None:
        """Id of the territory of the commune `insee` (an old commune counts as its current one), or None."""
        code = insee.strip()
        return self.by_insee.get(self.current_of_old.get(code, code))


@dataclass(frozen=True)
class Summary:
    """What a territory's page says of its perimeter."""

    perimetre: Perimetre
    communes: tuple[Commune, ...]
    population: int
    epci: tuple[tuple[Epci, bool], ...]  # each EPCI of its communes, and whether it lies wholly inside


def _entries(perimetre: Perimetre, places: Places) -> Iterator[tuple[str, int, str, tuple[str, ...] | None]]:
    """(list name, position, code, INSEE codes it covers or None when unknown) of each code of `perimetre`."""
    for kind in LISTS:
        for j, code in enumerate(getattr(perimetre, kind)):
            if kind == "communes":
                yield kind, j, code, (code,) if code in places.communes else None
                continue
            known = places.epci if kind == "epci" else places.arrondissements
            field = "epci" if kind == "epci" else "arrondissement"
            members = tuple(c.insee for c in places.communes.values() if getattr(c, field) == code)
            yield kind, j, code, members if code in known else None


def _reste_departements(territoires: Iterable[Territoire]) -> dict[str, str]:
    reste: dict[str, str] = {}
    for territoire in territoires:
        if territoire.perimetre and territoire.perimetre.reste:
            for departement in territoire.departements:
                reste.setdefault(departement, territoire.id)
    return reste


def build_routing(territoires: Iterable[Territoire], places: Places) -> Routing:
    """The routing of every commune of `places` by the perimeters of `territoires` (first one wins)."""
    territoires = list(territoires)
    by_insee: dict[str, str] = {}
    for territoire in territoires:
        if territoire.perimetre and not territoire.perimetre.reste:
            for _kind, _j, _code, members in _entries(territoire.perimetre, places):
                for insee in members or ():
                    by_insee.setdefault(insee, territoire.id)
    reste = _reste_departements(territoires)
    for commune in places.communes.values():
        if commune.insee not in by_insee and commune.departement in reste:
            by_insee[commune.insee] = reste[commune.departement]
    current_of_old = {old.insee: old.commune_actuelle for old in places.anciennes}
    return Routing(by_insee, current_of_old)


def _named(places: Places, insee: str) -> str:
    return f"{places.communes[insee].nom} ({insee})"


def check_perimeters(doc: Document, territoires: Sequence[Territoire], places: Places) -> list[Problem]:
    """Unknown codes, communes in two territories, communes in none; `territoires` in file order."""
    problems: list[Problem] = []
    owner: dict[str, str] = {}
    reste: dict[str, str] = {}
    for i, territoire in enumerate(territoires):
        perimetre = territoire.perimetre
        if perimetre is None:
            if set(territoire.departements) & set(places.departements):
                message = "territoire sans « perimetre » : aucune commune n'y est orientée"
                problems.append(problem_at(doc, ("territoires", i, "id"), message, Severity.WARNING))
            continue
        if perimetre.reste:
            loc: Loc = ("territoires", i, "perimetre", "reste")
            for departement in territoire.departements:
                if reste.setdefault(departement, territoire.id) != territoire.id:
                    message = (
                        f"« {show_loc(loc)} » : le reste du département {departement} est à la fois dans le "
                        f"territoire « {reste[departement]} » et dans « {territoire.id} » : gardez-en un"
                    )
                    problems.append(problem_at(doc, loc, message))
            continue
        for kind, j, code, members in _entries(perimetre, places):
            loc = ("territoires", i, "perimetre", kind, j)
            if members is None:
                message = (
                    f"« {show_loc(loc)} » : {_WHAT[kind]} « {code} » absent du référentiel des communes "
                    f"(départements {', '.join(places.departements)})"
                )
                problems.append(problem_at(doc, loc, message))
                continue
            clashes: defaultdict[str, list[str]] = defaultdict(list)
            for insee in members:
                other = owner.setdefault(insee, territoire.id)
                if other != territoire.id:
                    clashes[other].append(insee)
            for other, codes in clashes.items():
                more = f" (avec {len(codes) - 1} autre(s) commune(s))" if len(codes) > 1 else ""
                message = (
                    f"« {show_loc(loc)} » : la commune {_named(places, codes[0])} est à la fois dans le "
                    f"territoire « {other} » et dans « {territoire.id} »{more} ; "
                    "une commune n'appartient qu'à un territoire"
                )
                problems.append(problem_at(doc, loc, message))
    if any(t.perimetre for t in territoires):
        orphans = [
            insee
            for insee, commune in places.communes.items()
            if insee not in owner and commune.departement not in reste
        ]
        if orphans:
            message = (
                f"« territoires » : {len(orphans)} commune(s) du référentiel dans aucun territoire, dont "
                f"{_named(places, orphans[0])} ; ajoutez-les à un périmètre ou donnez « reste: true » au "
                "périmètre du territoire qui prend le reste des départements"
            )
            problems.append(problem_at(doc, ("territoires",), message))
    return problems


def summary(territoire: Territoire, routing: Routing, places: Places) -> Summary | None:
    """The communes, population and EPCI of `territoire`, or None when it has no perimeter."""
    if territoire.perimetre is None:
        return None
    communes = tuple(
        sorted(
            (c for c in places.communes.values() if routing.by_insee.get(c.insee) == territoire.id),
            key=lambda c: (normalise_name(c.nom), c.insee),
        )
    )
    inside: defaultdict[str, int] = defaultdict(int)
    for commune in communes:
        if commune.epci:
            inside[commune.epci] += 1
    whole = dict.fromkeys(inside, 0)
    for commune in places.communes.values():
        if commune.epci in whole:
            whole[commune.epci] += 1
    epci = tuple(
        (places.epci[siren], inside[siren] == whole[siren])
        for siren in sorted(inside, key=lambda s: places.epci[s].nom.casefold())
        if siren in places.epci
    )
    population = sum(c.population or 0 for c in communes)
    return Summary(territoire.perimetre, communes, population, epci)
