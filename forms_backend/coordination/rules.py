"""Rules of the tracking table (docs/domaine.md), pure: the follow-up forms, the table's filters, the labels.

Every function returns French messages keyed by field name; nothing here touches the database. The status chain
itself is defined in `vocabulary`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from forms_backend.db.table import Filters, default_order
from forms_backend.vocabulary import CLOSINGS, SOLUTION_KINDS, SOURCES, STATUTS, allowed_next
from forms_backend.web.forms import BAD_DATE, REQUIRED, TOO_LONG, clean_text, parse_date, single
from generator.catalogue import Catalogue
from generator.schema import Offre

NOTE_MAX = 2000
NAME_MAX = 100
SEARCH_MAX = 100

STATUS_REQUIRED = "Choisissez le nouveau statut."
STATUS_NOT_ALLOWED = "Passage impossible de « {old} » à « {new} » : depuis « {old} », choisissez {allowed}."
STATUS_UNCHANGED = "La situation est déjà au statut « {old} »."
SORTIE_REQUIRED = "Une sortie doit avoir une issue : choisissez-la dans la liste."
SANS_SUITE_REQUIRED = "Une situation classée sans suite doit avoir un motif : choisissez-le dans la liste."
CLOSING_REQUIRED = {"sortie": SORTIE_REQUIRED, "sans-suite": SANS_SUITE_REQUIRED}
UNKNOWN_CHOICE = "Réponse non reconnue : choisissez une réponse dans la liste."
OTHER_TERRITORY = (
    "La commune du jeune relève du territoire « {territoire} », que vous ne suivez pas : choisissez l'un de vos "
    "territoires, ou laissez la situation être signalée à cette CTL par ses partenaires."
)
UNKNOWN_SOLUTION = (
    "Solution inconnue du guide : choisissez un dispositif ou une fiche action dans la liste "
    "(« {value} » n'existe pas dans le catalogue)."
)
SOLUTION_REQUIRED = "Choisissez un dispositif ou une fiche action dans la liste."
SOLUTION_TWICE = "Cette solution est déjà proposée pour cette situation."
REFERENT_NAME_REQUIRED = "Indiquez le nom du référent tuteur, ou videz tous les champs pour le retirer."
FUTURE_DATE = "Cette date est dans le futur : attendu une date passée ou celle d'aujourd'hui."
PAST_CTL = "La prochaine réunion de la CTL ne peut pas être dans le passé."
RANGE_REVERSED = "La date de fin doit être postérieure ou égale à la date de début."


def offres(catalogue: Catalogue, kind: str) -> Mapping[str, Offre]:
    """The part of the catalogue a kind of solution names: `dispositif` → dispositifs, `fiche` → fiches."""
    parts: dict[str, Mapping[str, Offre]] = {"dispositif": catalogue.dispositifs, "fiche": catalogue.fiches}
    return parts[kind]


def _text(
    submitted: Mapping[str, Sequence[str]],
    name: str,
    values: dict[str, str],
    errors: dict[str, str],
    limit: int,
    multiline: bool = False,
) -> str:
    """One text of a form, cleaned by the form engine's rules (`web.forms.clean_text`); sent twice: 400."""
    value, error = clean_text(single(submitted, name), multiline)
    values[name] = value
    if error:
        errors[name] = error
    elif len(value) > limit:
        errors[name] = TOO_LONG.format(max=limit, count=len(value))
    return value


def _date(
    submitted: Mapping[str, Sequence[str]], name: str, values: dict[str, str], errors: dict[str, str]
) -> date | None:
    value = _text(submitted, name, values, errors, 10)
    if not value or name in errors:
        return None
    parsed = parse_date(value)
    if parsed is None:
        errors[name] = BAD_DATE
    return parsed


@dataclass
class Change:
    """A validated follow-up form: values as typed, errors by field, and what to store when there is none."""

    values: dict[str, str] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    data: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.errors


def status_change(catalogue: Catalogue, current: str, submitted: Mapping[str, Sequence[str]]) -> Change:
    """`statut` (+ `sortie` or `motif_sans_suite`) following the status chain (`vocabulary.allowed_next`)."""
    change = Change()
    new = _text(submitted, "statut", change.values, change.errors, 40)
    closing_values = {
        statut: _text(submitted, closing.field, change.values, change.errors, 40)
        for statut, closing in CLOSINGS.items()
    }
    label = dict(catalogue.choices("statuts_situation"))
    allowed = allowed_next(current)
    if not new:
        change.errors["statut"] = STATUS_REQUIRED
    elif new not in STATUTS:
        change.errors["statut"] = UNKNOWN_CHOICE
    elif new == current:
        change.errors["statut"] = STATUS_UNCHANGED.format(old=label.get(current, current))
    elif new not in allowed:
        shown = " ou ".join(f"« {label.get(s, s)} »" for s in allowed) or "aucun autre statut"
        change.errors["statut"] = STATUS_NOT_ALLOWED.format(
            old=label.get(current, current), new=label.get(new, new), allowed=shown
        )
    issue = None
    if new in CLOSINGS:
        closing, issue = CLOSINGS[new], closing_values[new]
        if not issue:
            change.errors[closing.field] = CLOSING_REQUIRED[new]
        elif issue not in dict(catalogue.choices(closing.nomenclature)):
            change.errors[closing.field] = UNKNOWN_CHOICE
    change.data = {"statut": new, "issue": issue}
    return change


def note(submitted: Mapping[str, Sequence[str]], today: date) -> Change:
    """A dated follow-up note: `texte` (required, ≤ 2 000 characters) and `date_note` (today by default)."""
    change = Change()
    texte = _text(submitted, "texte", change.values, change.errors, NOTE_MAX, multiline=True)
    when = _date(submitted, "date_note", change.values, change.errors)
    if not texte and "texte" not in change.errors:
        change.errors["texte"] = REQUIRED
    if when and when > today:
        change.errors["date_note"] = FUTURE_DATE
    change.data = {"texte": texte, "day": (when or today).isoformat()}
    return change


def solution(catalogue: Catalogue, submitted: Mapping[str, Sequence[str]]) -> Change:
    """`solution` = `dispositif:ID` or `fiche:ID`, an id of the guide's own catalogue."""
    change = Change()
    value = _text(submitted, "solution", change.values, change.errors, 200)
    kind, _, ident = value.partition(":")
    known = {kind: set(offres(catalogue, kind)) for kind in SOLUTION_KINDS}
    if not value:
        change.errors["solution"] = SOLUTION_REQUIRED
    elif "solution" not in change.errors and (kind not in known or ident not in known[kind]):
        change.errors["solution"] = UNKNOWN_SOLUTION.format(value=value)
    change.data = {"kind": kind, "cible": ident}
    return change


def referent(submitted: Mapping[str, Sequence[str]], today: date) -> Change:
    """The référent tuteur: name and structure, and the date the contrat d'engagement was signed (optional).

    Every field empty removes the référent."""
    change = Change()
    nom = _text(submitted, "referent_nom", change.values, change.errors, NAME_MAX)
    structure = _text(submitted, "referent_structure", change.values, change.errors, 200)
    signed = _date(submitted, "referent_contrat_signe", change.values, change.errors)
    if (structure or signed) and not nom and "referent_nom" not in change.errors:
        change.errors["referent_nom"] = REFERENT_NAME_REQUIRED
    if signed and signed > today:
        change.errors["referent_contrat_signe"] = FUTURE_DATE
    change.data = {
        "nom": nom or None,
        "structure": structure or None,
        "signe": signed.isoformat() if signed else None,
    }
    return change


def next_ctl(submitted: Mapping[str, Sequence[str]], today: date) -> Change:
    """The next CTL meeting that will examine the situation (empty: none planned)."""
    change = Change()
    when = _date(submitted, "prochaine_ctl", change.values, change.errors)
    if when and when < today:
        change.errors["prochaine_ctl"] = PAST_CTL
    change.data = {"day": when.isoformat() if when else None}
    return change


# The columns the table sorts on, with their headers; `db.table.ORDER_BY` holds their SQL (a test checks both
# name the same columns).
SORTS = {
    "reference": "Référence",
    "recue": "Reçue le",
    "activite": "Dernière activité",
    "statut": "Statut",
    "territoire": "Territoire",
    "ctl": "Prochaine CTL",
    "nom": "Nom",
}


def filters(
    catalogue: Catalogue, params: Mapping[str, Sequence[str]], visible: Sequence[str]
) -> tuple[Filters, dict[str, str], dict[str, str]]:
    """Filters from a query string or a form, the values as typed, and an error for each refused one.

    A refused filter is left out (the table still shows), its message beside its field."""
    values: dict[str, str] = {}
    errors: dict[str, str] = {}

    def choice(name: str, allowed: Sequence[str]) -> str:
        value = _text(params, name, values, errors, 60)
        if value and value not in allowed:
            errors[name] = UNKNOWN_CHOICE
            return ""
        return value

    statut = choice("statut", STATUTS)
    source = choice("source", tuple(SOURCES))
    territoire = choice("territoire", visible)
    du = _date(params, "du", values, errors)
    au = _date(params, "au", values, errors)
    if du and au and au < du:
        errors["au"] = RANGE_REVERSED
        au = None
    ctl = _date(params, "ctl", values, errors)
    recherche = _text(params, "recherche", values, errors, SEARCH_MAX)
    tri = choice("tri", tuple(SORTS)) or "recue"
    ordre = choice("ordre", ("asc", "desc")) or default_order(tri)
    raw_page = _text(params, "page", values, errors, 6)
    page = int(raw_page) if raw_page.isdigit() and int(raw_page) > 0 else 1
    found = Filters(
        statut=statut,
        source=source,
        territoire=territoire,
        du=du,
        au=au,
        ctl=ctl,
        recherche="" if "recherche" in errors else recherche,
        tri=tri,
        ordre=ordre,
        page=page,
    )
    return found, values, errors


def labels(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """Every label a back-office page shows, by list."""
    found = {
        name: dict(catalogue.choices(name))
        for name in (
            "statuts_situation",
            "sorties",
            "motifs_sans_suite",
            "sexes",
            "suivi_structures",
            "niveaux",
            "secteurs",
            "cadres_rupture",
            "motifs_rupture",
            "situations_actuelles",
            "statuts",
            "besoins",
            "orienteurs",
        )
    }
    found["territoires"] = {t.id: t.nom for t in catalogue.territoires.values()}
    found["sources"] = {source: s.label for source, s in SOURCES.items()}
    for kind in SOLUTION_KINDS:
        found[kind] = {ident: offre.nom for ident, offre in offres(catalogue, kind).items()}
    return found
