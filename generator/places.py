"""Pure lookups over the communes referential extracted by `generator/communes.py` (`data/communes.json`).

A name typed by a young person is matched loosely (`normalise_name`): case, accents, hyphens, apostrophes,
spaces and the abbreviation "St"/"Ste" for "Saint"/"Sainte" do not matter. An old commune (déléguée or
associée) resolves to the current commune it belongs to.
"""

from __future__ import annotations

import functools
import json
import re
import unicodedata
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from generator.communes import DEFAULT_OUT
from generator.errors import ReferentialError

_SEPARATORS = re.compile(r"[^a-z0-9]+")
_ABBREVIATIONS = {"st": "saint", "ste": "sainte"}
_LIGATURES = str.maketrans({"œ": "oe", "Œ": "oe", "æ": "ae", "Æ": "ae"})
_POSTAL_CODE = re.compile(r"^\d{5}$")


@dataclass(frozen=True)
class Commune:
    insee: str
    nom: str
    codes_postaux: tuple[str, ...]
    departement: str
    arrondissement: str | None
    epci: str | None
    population: int | None


@dataclass(frozen=True)
class Epci:
    siren: str
    nom: str
    type: str


@dataclass(frozen=True)
class OldCommune:
    insee: str
    nom: str
    type: str
    commune_actuelle: str


@dataclass(frozen=True)
class Places:
    """The referential with its indexes; built once per file by `load_places`."""

    source: dict[str, Any]
    extrait_le: str
    departements: tuple[str, ...]
    communes: dict[str, Commune]
    epci: dict[str, Epci]
    arrondissements: dict[str, str]
    anciennes: tuple[OldCommune, ...]
    by_postal_code: dict[str, tuple[str, ...]]
    by_name: dict[str, tuple[str, ...]]


def normalise_name(text: str) -> str:
    """Matching key of a commune name: "St-Omer", "SAINT OMER", "saint omer" → "saintomer"."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_LIGATURES).casefold())
    ascii_text = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    words = [_ABBREVIATIONS.get(word, word) for word in _SEPARATORS.split(ascii_text) if word]
    return "".join(words)


def _rows(raw: dict[str, Any], key: str) -> list[dict[str, Any]]:
    columns = raw["colonnes"][key]
    return [dict(zip(columns, row, strict=True)) for row in raw[key]]


def _index(pairs: list[tuple[str, str]]) -> dict[str, tuple[str, ...]]:
    index: defaultdict[str, set[str]] = defaultdict(set)
    for key, insee in pairs:
        index[key].add(insee)
    return {key: tuple(sorted(codes)) for key, codes in index.items()}


def parse_places(raw: dict[str, Any]) -> Places:
    """Build the `Places` of an already decoded referential."""
    try:
        communes = {
            row["insee"]: Commune(**{**row, "codes_postaux": tuple(row["codes_postaux"])})
            for row in _rows(raw, "communes")
        }
        anciennes = tuple(OldCommune(**row) for row in _rows(raw, "anciennes"))
        epci = {row["siren"]: Epci(**row) for row in _rows(raw, "epci")}
        arrondissements = {row["code"]: row["nom"] for row in _rows(raw, "arrondissements")}
        source, extrait_le, departements = raw["source"], raw["extrait_le"], tuple(raw["departements"])
    except (KeyError, TypeError, ValueError) as exc:
        raise ReferentialError(f"référentiel des communes mal formé : {exc!r}") from exc
    names = [(normalise_name(c.nom), c.insee) for c in communes.values()]
    names += [(normalise_name(old.nom), old.commune_actuelle) for old in anciennes]
    postal = [(code, c.insee) for c in communes.values() for code in c.codes_postaux]
    return Places(
        source=source,
        extrait_le=extrait_le,
        departements=departements,
        communes=communes,
        epci=epci,
        arrondissements=arrondissements,
        anciennes=anciennes,
        by_postal_code=_index(postal),
        by_name=_index(names),
    )


@functools.cache
def _load(resolved: Path) -> Places:
    try:
        raw = json.loads(resolved.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise ReferentialError(f"lecture impossible de {resolved} : {exc}") from exc
    return parse_places(raw)


def load_places(path: Path = DEFAULT_OUT) -> Places:
    """Load the referential at `path` (relative to the working directory by default); cached per file."""
    return _load(path.resolve())


def commune_by_insee(places: Places, insee: str) -> Commune | None:
    """The current commune of INSEE code `insee`, or None."""
    return places.communes.get(insee.strip())


def communes_by_postal_code(places: Places, postal_code: str) -> list[Commune]:
    """The current communes served by `postal_code`, sorted by INSEE code (often several)."""
    return [places.communes[code] for code in places.by_postal_code.get(postal_code.strip(), ())]


def communes_by_name(places: Places, name: str) -> list[Commune]:
    """The current communes called `name`, or that an old commune called `name` now belongs to.

    Homonyms give several communes (Saint-Aubin in the Nord and in the Pas-de-Calais), sorted by INSEE code.
    """
    return [places.communes[code] for code in places.by_name.get(normalise_name(name), ())]


def _codes(commune: Commune) -> str:
    return f"{commune.nom} ({', '.join(commune.codes_postaux)})"


def postal_code_error(commune: Commune, postal_code: str) -> str | None:
    """None when `postal_code` belongs to `commune`, else the French message that lists its postal codes:
    "Le code postal 59300 ne correspond pas à Lille (59000, 59160, 59260, 59777, 59800)"."""
    code = postal_code.strip()
    if code in commune.codes_postaux:
        return None
    if not _POSTAL_CODE.match(code):
        return f"« {code} » n'est pas un code postal : il faut cinq chiffres."
    return f"Le code postal {code} ne correspond pas à {_codes(commune)}"


@dataclass(frozen=True)
class Resolution:
    """What a typed commune and postal code designate: a commune of the referential, a commune outside the
    covered départements (`commune` None, `error` None: kept as typed), or an error message in French."""

    commune: Commune | None
    nom: str
    error: str | None = None


MAX_LISTED = 8


def _official_name(places: Places, typed: str, commune: Commune) -> str:
    """The name to keep: the commune's own, or the old commune's when that is what was typed ("Lomme")."""
    key = normalise_name(typed)
    if key == normalise_name(commune.nom):
        return commune.nom
    old = next(
        (o for o in places.anciennes if o.commune_actuelle == commune.insee and normalise_name(o.nom) == key),
        None,
    )
    return old.nom if old else commune.nom


def resolve_commune(places: Places, typed: str, postal_code: str, insee_hint: str = "") -> Resolution:
    """The commune a person means by `typed` (a name, an old commune's name, any accents or hyphens) and
    `postal_code` (five digits, already checked). `insee_hint` (the code chosen in the completion list) only
    settles between homonyms; it is ignored when it names another commune.

    In a covered département the postal code must belong to the commune; outside them any name is accepted
    (a young person who moved away)."""
    name, code = typed.strip(), postal_code.strip()
    candidates = communes_by_name(places, name)
    matching = sorted(
        (c for c in candidates if code in c.codes_postaux), key=lambda c: c.insee != insee_hint.strip()
    )
    if matching:
        return Resolution(matching[0], _official_name(places, name, matching[0]))
    covered = code in places.by_postal_code or code[:2] in places.departements
    if not covered:
        return Resolution(None, name)
    if candidates:
        shown = []
        for commune in candidates:
            official = _official_name(places, name, commune)
            label = (
                _codes(commune) if official == commune.nom else f"{official}, aujourd'hui {_codes(commune)}"
            )
            shown.append(label)
        return Resolution(None, name, f"Le code postal {code} ne correspond pas à {' ni à '.join(shown)}")
    here = communes_by_postal_code(places, code)
    if not here:
        return Resolution(
            None, name, f"Aucune commune du département {code[:2]} n'a le code postal {code} : vérifiez-le."
        )
    names = sorted((c.nom for c in here), key=normalise_name)
    listed = ", ".join(names[:MAX_LISTED]) + (
        f" et {len(names) - MAX_LISTED} autres" if len(names) > MAX_LISTED else ""
    )
    return Resolution(
        None,
        name,
        f"Aucune commune « {name} » n'a le code postal {code} ({listed}) : vérifiez l'orthographe ou le code postal.",
    )
