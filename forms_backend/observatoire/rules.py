"""Rules of the observatory (docs/domaine.md, « Observatoire »), pure: the period and territory filters, the
report's categories (ages, outcomes), percentiles, French number formats, the links to the tracking table.

The mapping from the nomenclature's `sortie` values to the report's outcome categories is written here, once.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from urllib.parse import urlencode

from forms_backend.db.table import Filters
from forms_backend.web.forms import BAD_DATE, clean_text, parse_date, single

MAX_MONTHS = 36
BAD_YEAR = "Année invalide : attendu une année à quatre chiffres, de 2010 à l'an prochain (ex. 2026)."
RANGE_REVERSED = "La date de fin doit être postérieure ou égale à la date de début."
RANGE_TOO_LONG = "Période trop longue : 36 mois au plus."
UNKNOWN_TERRITORY = "Territoire non reconnu : choisissez l'un de vos territoires dans la liste."

AGES = (
    ("moins-16", "Moins de 16 ans"),
    ("16-17", "16 ou 17 ans"),
    ("18-25", "De 18 à 25 ans"),
    ("plus-25", "Plus de 25 ans"),
    ("inconnu", "Âge inconnu"),
)
NON_RENSEIGNE = ("non-renseigne", "Non renseigné")

# The report's outcome categories (bilan: 29 % emploi, 34 % alternance, 31 % scolarité, 6 % formation).
OUTCOMES = (
    ("emploi", "Emploi (CDD, CDI, intérim, contrat aidé)"),
    ("alternance", "Contrat d'apprentissage ou de professionnalisation"),
    ("scolarite", "Maintien ou retour en scolarité"),
    ("formation-qualifiante", "Formation qualifiante"),
    ("autre", "Autre solution"),
    ("sans-suite", "Sans suite"),
)
# Nomenclature `sorties` value (or the `sans-suite` status) → report category; a test checks every value.
OUTCOME_OF = {
    "emploi": "emploi",
    "alternance": "alternance",
    "scolarite": "scolarite",
    "formation-qualifiante": "formation-qualifiante",
    "autre-solution": "autre",
    "sans-suite": "sans-suite",
}


def outcome(value: str) -> str:
    """The report's category of a closed situation counted as `statut|sortie`."""
    statut, _, sortie = value.partition("|")
    return "sans-suite" if statut == "sans-suite" else OUTCOME_OF.get(sortie or "autre-solution", "autre")


def normalised(dimension: str, value: str) -> str:
    """A counted value as the page and the open data list it: outcomes by category, no sex as « non renseigné »,
    both levels (ruptures, orientations) as one."""
    if dimension == "issue":
        return outcome(value)
    if dimension == "sexe" and not value:
        return NON_RENSEIGNE[0]
    return value


# Status of the tracking table that holds each category (its link).
OUTCOME_STATUT = {key: ("sans-suite" if key == "sans-suite" else "sortie") for key, _ in OUTCOMES}

STEPS = (
    ("examen", "Jusqu'au premier passage « à examiner en CTL »"),
    ("solution", "Jusqu'à la première solution proposée"),
    ("cloture", "Jusqu'à la sortie ou au classement sans suite"),
)
INACTIVITY = (
    ("moins-7", "Moins de 7 jours"),
    ("7-29", "De 7 à 29 jours"),
    ("30-89", "De 30 à 89 jours"),
    ("90-plus", "90 jours ou plus"),
)
SANS_NOUVELLES = ("30-89", "90-plus")


@dataclass(frozen=True)
class Period:
    """The reception period the figures count, and how the page names it."""

    du: date
    au: date
    annee: int | None

    @property
    def label(self) -> str:
        if self.annee is not None:
            return f"année {self.annee}"
        return f"du {jour(self.du)} au {jour(self.au)}"


@dataclass(frozen=True)
class Choice:
    """The page's filters: the period, one territory or all the user's, the values as typed and the errors."""

    period: Period
    territoire: str
    values: dict[str, str]
    errors: dict[str, str]


def _months(du: date, au: date) -> int:
    return (au.year - du.year) * 12 + au.month - du.month + 1


def choice(params: Mapping[str, Sequence[str]], visible: Sequence[str], today: date) -> Choice:
    """The filters of the query string: `annee` (the current year by default), or `du` and `au`; `territoire`.

    A refused filter falls back to its default, its message beside its field."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}
    for name in ("annee", "du", "au", "territoire"):
        value, error = clean_text(single(params, name))
        values[name] = value[:40]
        if error:
            errors[name] = error
    territoire = values["territoire"] if values["territoire"] in visible else ""
    if values["territoire"] and not territoire:
        errors["territoire"] = UNKNOWN_TERRITORY
    dates: dict[str, date | None] = {}
    for name in ("du", "au"):
        dates[name] = parse_date(values[name]) if values[name] else None
        if values[name] and dates[name] is None:
            errors[name] = BAD_DATE
    du, au = dates["du"], dates["au"]
    if du or au:
        du = du or (au or today).replace(month=1, day=1)
        au = au or max(du, today)
        if au < du:
            errors["au"] = RANGE_REVERSED
        elif _months(du, au) > MAX_MONTHS:
            errors["au"] = RANGE_TOO_LONG
        if "au" not in errors:
            return Choice(Period(du, au, None), territoire, values, errors)
    annee = today.year
    raw = values["annee"]
    if raw:
        if raw.isdigit() and 2010 <= int(raw) <= today.year + 1:
            annee = int(raw)
        else:
            errors["annee"] = BAD_YEAR
    return Choice(Period(date(annee, 1, 1), date(annee, 12, 31), annee), territoire, values, errors)


def query_of(c: Choice) -> dict[str, str]:
    """The filters as the page's own query string (for its export links)."""
    pairs = {"territoire": c.territoire}
    if c.period.annee is not None:
        pairs["annee"] = str(c.period.annee)
    else:
        pairs.update(du=c.period.du.isoformat(), au=c.period.au.isoformat())
    return {k: v for k, v in pairs.items() if v}


def tableau(
    territoire: str, du: date | None, au: date | None, statut: str = "", source: str = "", tri: str = ""
) -> str:
    """The address of the tracking table showing the situations a figure counts."""
    f = Filters(statut=statut, source=source, territoire=territoire, du=du, au=au)
    query = f.query()
    if tri == "activite":
        query.update(tri="activite", ordre="asc")
    return "/coordination/" + (f"?{urlencode(query)}" if query else "")


def percentile(histogram: Mapping[int, int], share: float) -> int | None:
    """The nearest-rank percentile of whole days: the smallest value v such that at least `share` of the
    situations took v days or fewer. None without any situation."""
    total = sum(histogram.values())
    if total == 0:
        return None
    rank = max(1, math.ceil(round(share * total, 6)))
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        if seen >= rank:
            return value
    return max(histogram)


def nombre(value: int) -> str:
    """12345 → « 12 345 » (narrow no-break space, as French typography wants)."""
    return f"{value:,}".replace(",", "\u202f")


def pourcentage(part: int, total: int) -> str:
    """29,0 % (one decimal, comma, no-break space); « — » when there is nothing to divide."""
    if total == 0:
        return "—"
    return f"{100 * part / total:.1f}".replace(".", ",") + "\u00a0%"


def jour(value: date) -> str:
    """JJ/MM/AAAA."""
    return value.strftime("%d/%m/%Y")
