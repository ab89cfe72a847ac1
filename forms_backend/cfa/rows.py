"""From the rows of a CFA's file (or the objects of its API) to validated reports: the same rules as the
rupture form (`web.forms.validate`), each problem named by row and column.

The file's columns are the form's fields, titled in French (`COLUMN_TITLES`); a column is also recognised by its
field name (`date_rupture`). A choice is recognised by its id or its label, without case or accents; a date may
be a date cell, an Excel serial number, `JJ/MM/AAAA` or `AAAA-MM-JJ`. A report is the same report (its key) when
its UAI, its apprentice (name, first name, date of birth) and its rupture date match.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from forms_backend.web.forms import CHECKED, Champ, Formulaire, Result, validate

# A column per field of the rupture form but the INSEE code (filled from the commune).
SKIPPED = frozenset({"commune_insee"})
COLUMN_TITLES = {
    "nom": "Nom du jeune",
    "prenom": "Prénom du jeune",
    "telephone": "Téléphone du jeune",
    "courriel": "Courriel du jeune",
    "suivi_structure": "Suivi par une structure",
    "date_rupture": "Date de rupture",
    "motifs": "Motifs de la rupture",
    "territoire": "Territoire de la CTL",
    "declarant_nom": "Nom du déclarant",
    "declarant_fonction": "Fonction du déclarant",
    "declarant_courriel": "Courriel du déclarant",
    "declarant_telephone": "Téléphone du déclarant",
    "jeune_informe": "Jeune informé (oui/non)",
}
OTHER_UAI = "Ce numéro UAI n'est pas celui de votre CFA ({uais})."
UAI_NEEDED = "Votre compte couvre plusieurs CFA ({uais}) : indiquez l'UAI de celui qui signale."
MISSING_COLUMNS = "Colonnes absentes de la ligne d'en-tête : {columns}. Repartez du modèle à télécharger."
UNKNOWN_COLUMNS = "Colonnes ignorées (inconnues) : {columns}."
NO_HEADER = (
    "La première ligne remplie doit être la ligne d'en-tête du modèle (« Nom du jeune », « Prénom du jeune »…) : "
    "repartez du modèle à télécharger."
)
EMPTY_FILE = "Le fichier ne contient aucune ligne de signalement sous la ligne d'en-tête."
ONE_VALUE = "Une seule valeur attendue pour ce champ, pas une liste."
TEXT_EXPECTED = "Valeur attendue sous forme de texte (ex. « 2025-09-15 » pour une date)."
UNKNOWN_FIELD = "Champ inconnu : il ne fait pas partie du formulaire de signalement d'une rupture."
_SEPARATORS = re.compile(r"[;,\n|]+")
_YES = frozenset({"oui", "o", "x", "vrai", "true", "1", "yes"})
EXCEL_EPOCH = date(1899, 12, 30)


def fold(text: str) -> str:
    """Lower case, no accents, no apostrophes or dashes, single spaces: how titles and choices are compared."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return " ".join(re.sub(r"[’'`\-_/().]+", " ", plain).split())


def columns(form: Formulaire) -> list[tuple[Champ, str]]:
    """The file's columns: each field of the form with its column title, in the form's order."""
    return [(c, COLUMN_TITLES.get(c.name, c.label)) for c in form.champs if c.name not in SKIPPED]


def _choice(champ: Champ, raw: str) -> str:
    wanted = fold(raw)
    for value, label in champ.choices:
        if wanted in (fold(value), fold(label)):
            return value
    return raw


def _date_text(value: Any) -> str:
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float) and not isinstance(value, bool):
        # An Excel serial number (a date cell without its date format): days since 30/12/1899.
        if 1 <= value < 2_958_466:
            return (EXCEL_EPOCH + timedelta(days=int(value))).isoformat()
        return str(value)
    text = str(value).strip()
    # « 15/09/2025 00:00:00 » or « 2025-09-15T00:00:00 »: a date written with its midnight.
    return re.sub(r"[ T]00:00(:00)?$", "", text)


def _number_text(value: float, champ: Champ) -> str:
    text = str(int(value)) if float(value).is_integer() else str(value)
    if champ.kind == "postal":
        return text.zfill(5)
    if champ.kind == "tel" and len(text) == 9:
        return "0" + text  # a phone number typed in a number cell loses its leading 0
    return text


def cell_text(champ: Champ, value: Any) -> list[str]:
    """What a cell means for a field, as the form would have sent it (a list for a multi-valued field)."""
    if value is None or value == "":
        return []
    if champ.kind == "date":
        return [_date_text(value)]
    if isinstance(value, bool):
        text = "oui" if value else "non"
    elif isinstance(value, int | float):
        text = _number_text(value, champ)
    elif isinstance(value, datetime | date):
        text = value.strftime("%d/%m/%Y")
    elif isinstance(value, list):
        return [v for item in value for v in cell_text(champ, item)]
    else:
        text = str(value).strip()
    if not text:
        return []
    if champ.kind == "checkbox":
        return [CHECKED] if fold(text) in _YES else []
    if champ.kind == "checkboxes":
        return [_choice(champ, part.strip()) for part in _SEPARATORS.split(text) if part.strip()]
    if champ.kind in ("select", "radio"):
        return [_choice(champ, text)]
    return [text]


def report_key(uai: str, cleaned: dict[str, Any]) -> str:
    """The idempotency key of a CFA's report: same UAI, same apprentice, same rupture date, same report."""
    parts = (
        uai,
        fold(cleaned["nom"]),
        fold(cleaned["prenom"]),
        cleaned["date_naissance"],
        cleaned["date_rupture"],
    )
    return "cfa:" + hashlib.sha256("|".join(parts).encode()).hexdigest()


def check_uai(result: Result, uais: Sequence[str]) -> None:
    """The report's UAI must be one of the CFA's; an empty one is the CFA's own when it has only one."""
    if result.cleaned is None and "cfa_uai" in result.errors:
        return
    data = result.cleaned
    given = (data or {}).get("cfa_uai") or str(result.values.get("cfa_uai") or "").upper()
    shown = ", ".join(uais)
    error = None
    if not given:
        if len(uais) == 1:
            if data is not None:
                data["cfa_uai"] = uais[0]
            return
        error = UAI_NEEDED.format(uais=shown)
    elif given not in uais:
        error = OTHER_UAI.format(uais=shown)
    if error:
        result.errors["cfa_uai"] = error
        result.cleaned = None


def check_report(
    form: Formulaire, submitted: dict[str, list[str]], today: date, uais: Sequence[str]
) -> Result:
    """One report through the form's rules, then the CFA's UAI."""
    result = validate(form, submitted, today)
    check_uai(result, uais)
    return result


@dataclass(frozen=True)
class Problem:
    """One problem of a file: its line (0 for the whole file), its column title, the message."""

    line: int
    column: str
    message: str

    def __str__(self) -> str:
        if not self.line:
            return self.message
        return f"Ligne {self.line}, « {self.column} » : {self.message}"


@dataclass(frozen=True)
class ValidRow:
    """A row that passed every rule: its line, the cleaned report, its key."""

    line: int
    cleaned: dict[str, Any]
    key: str


@dataclass
class Preview:
    """What a file would create: its valid rows, every problem, the notes on how it was read."""

    valid: list[ValidRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    rows: int = 0

    @property
    def refused(self) -> bool:
        """No row can be stored: the file itself is wrong (line 0)."""
        return any(p.line == 0 for p in self.problems)

    @property
    def invalid_lines(self) -> list[int]:
        return sorted({p.line for p in self.problems if p.line})


def _header(rows: list[list[Any]]) -> tuple[int, list[Any]] | None:
    for index, row in enumerate(rows):
        if any(cell not in (None, "") for cell in row):
            return index, row
    return None


def check_rows(
    form: Formulaire, rows: list[list[Any]], today: date, uais: Sequence[str], max_rows: int, too_many: str
) -> Preview:
    """Every row of a file through the form's rules: the valid ones, and every problem by line and column."""
    preview = Preview()
    found = _header(rows)
    if found is None:
        preview.problems.append(Problem(0, "", NO_HEADER))
        return preview
    start, header = found
    by_title = {fold(title): champ for champ, title in columns(form)}
    by_title.update({fold(champ.name): champ for champ, _ in columns(form)})
    mapping: dict[int, Champ] = {}
    unknown = []
    for index, title in enumerate(header):
        champ = by_title.get(fold(str(title or "")))
        if champ is not None and champ not in mapping.values():
            mapping[index] = champ
        elif str(title or "").strip():
            unknown.append(f"« {str(title).strip()} »")
    if not mapping:
        preview.problems.append(Problem(0, "", NO_HEADER))
        return preview
    titles = dict(columns(form))
    required_missing = [
        f"« {titles[c]} »" for c, _ in columns(form) if c.required and c not in mapping.values()
    ]
    if required_missing:
        preview.problems.append(Problem(0, "", MISSING_COLUMNS.format(columns=", ".join(required_missing))))
        return preview
    if unknown:
        preview.notes.append(UNKNOWN_COLUMNS.format(columns=", ".join(unknown)))
    data_rows = [(start + offset + 2, row) for offset, row in enumerate(rows[start + 1 :])]
    data_rows = [(line, row) for line, row in data_rows if any(str(c).strip() for c in row if c is not None)]
    preview.rows = len(data_rows)
    if not data_rows:
        preview.problems.append(Problem(0, "", EMPTY_FILE))
        return preview
    if len(data_rows) > max_rows:
        preview.problems.append(Problem(0, "", too_many.format(count=len(data_rows), max=max_rows)))
        return preview
    for line, row in data_rows:
        submitted = {
            champ.name: cell_text(champ, row[index]) for index, champ in mapping.items() if index < len(row)
        }
        result = check_report(form, submitted, today, uais)
        if result.cleaned is None:
            for champ, title in columns(form):
                if champ.name in result.errors:
                    preview.problems.append(Problem(line, title, result.errors[champ.name]))
            continue
        preview.valid.append(
            ValidRow(line, result.cleaned, report_key(result.cleaned["cfa_uai"], result.cleaned))
        )
    return preview


def submitted_of(form: Formulaire, payload: dict[str, Any]) -> tuple[dict[str, list[str]], dict[str, str]]:
    """An API object as the form would have sent it, and the errors of its shape (unknown field, a list for a
    single-valued field, a date that is not a text) by field name."""
    known = {c.name: c for c in form.champs if c.name not in SKIPPED}
    errors = {name: UNKNOWN_FIELD for name in payload if name not in known}
    submitted = {}
    for name, champ in known.items():
        value = payload.get(name)
        if isinstance(value, list) and not champ.multiple:
            errors[name] = ONE_VALUE
        elif isinstance(value, dict) or (
            champ.kind == "date" and value is not None and not isinstance(value, str)
        ):
            errors[name] = TEXT_EXPECTED
        else:
            submitted[name] = cell_text(champ, value)
    return submitted, errors
