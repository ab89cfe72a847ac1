"""« Solutions possibles » on a situation's page: the guide's ranking (`generator.trouver`) applied to the profile
the situation itself gives — age on the day it was received, status (a rupture: `apprenti-en-rupture`), level,
the territory of the young person's commune, the needs ticked on a referral or read from a rupture's motifs."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from typing import Any

from forms_backend.clock import parse_timestamp
from forms_backend.db.tracking import Situation
from forms_backend.web.forms import parse_date
from generator.catalogue import Catalogue
from generator.trouver import BESOINS_THEMATIQUES, Profil, Resultat, age_depuis, criteres, decrire, trouver

SHOWN = 8
# What a rupture's motifs say the young person needs besides going on training (thematic categories).
MOTIFS_THEMATIQUES = {
    "orientation": ("choisir-un-metier",),
    "nouveau-projet": ("choisir-un-metier",),
    "mobilite": ("mobilite",),
    "logement": ("logement-hebergement",),
    "sante": ("sante",),
    "situation-familiale": ("famille",),
    "difficultes-financieres": ("difficultes-financieres",),
}
RUPTURE_BESOINS = ("se-former",)


@dataclass(frozen=True)
class Suggestion:
    """One ranked match and whether the CTL already proposed it."""

    result: Resultat
    proposee: bool

    @property
    def value(self) -> str:
        """The value the solution form posts (`type:cible`)."""
        return f"{self.result.genre}:{self.result.id}"


def profile_of(found: Situation, tz: Any) -> Profil:
    """The profile the situation gives; what it does not say stays unknown (an anonymised birth date, …)."""
    row = found.row
    received = parse_timestamp(row["created_at"]).astimezone(tz).date()
    birth = parse_date(row["date_naissance"] or "")
    age = age_depuis(birth, received) if birth else None
    besoins: list[str] = []
    statut: str | None
    niveau: str | None
    wanted: list[tuple[str, ...]]
    if found.rupture is not None:
        statut, niveau = "apprenti-en-rupture", found.rupture["niveau"]
        wanted = [RUPTURE_BESOINS, *(MOTIFS_THEMATIQUES.get(m, ()) for m in found.motifs)]
    else:
        report = found.orientation or {}
        statut, niveau = report.get("statut_jeune"), report.get("niveau")
        wanted = [BESOINS_THEMATIQUES.get(b, ()) for b in found.besoins]
    for categories in wanted:
        besoins += [c for c in categories if c not in besoins]
    return Profil(
        age=age,
        statut=statut,
        niveau=niveau if niveau != "inconnu" else None,
        territoire=row.get("territoire_commune") or row["territoire"],
        besoins=tuple(besoins),
    )


_PUBLISHED: dict[tuple[int, date], dict[str, Any]] = {}


def published(catalogue: Catalogue, today: date) -> dict[str, Any]:
    """The catalogue's criteria on `today` (an action's state changes with the date), computed once a day."""
    key = (id(catalogue), today)
    if key not in _PUBLISHED:
        _PUBLISHED.clear()
        _PUBLISHED[key] = criteres(replace(catalogue, today=today))
    return _PUBLISHED[key]


@dataclass(frozen=True)
class Possibles:
    """What the page shows: the profile in words and the first matches."""

    profil: str
    suggestions: list[Suggestion]


def possibles(found: Situation, catalogue: Catalogue, tz: Any, today: date) -> Possibles:
    """The first matches for the situation, the ones already proposed marked."""
    data = published(catalogue, today)
    profil = profile_of(found, tz)
    proposed = {(s["type"], s["cible"]) for s in found.solutions}
    results = trouver(data, profil)[:SHOWN]
    return Possibles(decrire(profil, data), [Suggestion(r, (r.genre, r.id) in proposed) for r in results])
