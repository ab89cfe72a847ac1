"""The HTML form engine shared by the public forms and the manual entry of the back office: fields,
validation rules of docs/domaine.md (dates, ages, phone, e-mail, SIRET, UAI) and their French messages. The
two public forms themselves are in `public.layouts`.

Validation is pure: `validate(form, submitted, today)` returns the values as typed, one French message per
field in error, and the cleaned data ready to store when there is no error. Every text goes through
`clean_text` first (NFC, no control or bidirectional override, invisible characters trimmed at the edges); a
body that no page of ours sends (a single-valued field twice, a body not in UTF-8) raises `FormRefused`.
"""

from __future__ import annotations

import functools
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from functools import cached_property
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.fr import siret

from forms_backend.errors import FormRefused

REQUIRED = "Ce champ est obligatoire."
REQUIRED_CHOICE = "Choisissez une réponse dans la liste."
UNKNOWN_CHOICE = "Réponse non reconnue : choisissez une réponse dans la liste."
REQUIRED_MULTI = "Cochez au moins une réponse."
TOO_LONG = "{max} caractères au maximum (vous en avez saisi {count})."
CONTROL_CHARS = "Ce champ contient des caractères non permis."
BIDI_CHARS = (
    "Ce champ contient des caractères invisibles qui changent le sens d'écriture du texte : "
    "retapez-le au lieu de le coller."
)
ONE_LINE = "Ce champ tient sur une seule ligne : retirez les retours à la ligne."
BAD_DATE = "Date invalide : attendu une date au format JJ/MM/AAAA (ex. 15/09/2025)."
FUTURE_DATE = "Cette date est dans le futur : attendu une date passée ou celle d'aujourd'hui."
BAD_POSTAL_CODE = "Code postal invalide : attendu 5 chiffres (ex. 59300)."
BAD_PHONE = (
    "Numéro de téléphone invalide : attendu un numéro français à 10 chiffres (ex. 06 12 34 56 78) "
    "ou au format international +33."
)
BAD_EMAIL = "Adresse électronique invalide : attendu une adresse de la forme nom@domaine.fr."
NO_CONTACT = "Indiquez au moins un moyen de contacter le jeune : un téléphone ou une adresse électronique."
BAD_UAI = "Numéro UAI invalide : attendu 7 chiffres suivis d'une lettre (ex. 0596789X)."
BAD_SIRET_FORMAT = "Numéro SIRET invalide : attendu 14 chiffres."
BAD_SIRET_KEY = "Numéro SIRET invalide : la clé de contrôle ne correspond pas, vérifiez les 14 chiffres."
AGE_RUPTURE = (
    "Âge du jeune à la date de rupture : {age} ans ; ce formulaire concerne les jeunes de 15 à 35 ans."
)
AGE_ORIENTATION = "Âge du jeune : {age} ans ; ce formulaire concerne les jeunes de 13 à 30 ans."
END_BEFORE_START = "La fin prévue doit être postérieure au début du contrat ({start})."
RUPTURE_BEFORE_START = "La rupture ne peut pas précéder le début du contrat ({start})."
NOT_INFORMED = "Confirmez que le jeune a été informé {what} : c'est une obligation (RGPD, article 14)."
NO_GUARDIAN_CONSENT = "Le jeune a moins de 18 ans : confirmez l'accord de son représentant légal."

BAD_ENCODING = (
    "Le formulaire reçu contient des caractères illisibles : il n'est pas encodé en UTF-8. "
    "Rien n'a été enregistré. Rechargez la page du formulaire puis renvoyez-le."
)
BAD_CHARSET = (
    "Le formulaire reçu annonce un autre encodage que l'UTF-8 : il ne peut pas être lu. "
    "Rien n'a été enregistré. Rechargez la page du formulaire puis renvoyez-le."
)
FIELD_TWICE = (
    "Le formulaire reçu contient deux valeurs pour un champ qui n'en attend qu'une : impossible de savoir "
    "laquelle garder. Rien n'a été enregistré. Rechargez la page du formulaire puis renvoyez-le."
)

RUPTURE_LEVELS = ("3", "4", "5", "6", "7")
# The value a browser sends for a ticked single checkbox (`_champs.html`): any other value is not a tick.
CHECKED = "oui"
# C0 and C1 controls and DEL; a tab is allowed (pasted from a spreadsheet), a line break in a textarea only.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
_LINE_BREAK = re.compile(r"\r\n|[\r\n\u2028\u2029]")
# Embeddings, overrides and isolates: they make a text read backwards, or hide what follows.
_BIDI = re.compile(r"[\u202a-\u202e\u2066-\u2069]")
# Zero-width and other invisible characters: trimmed at the edges, like spaces.
_INVISIBLE = "\u180e\u200b\u200c\u200d\u200e\u200f\u2060\ufeff"
_EDGES = re.compile(rf"^[\s{_INVISIBLE}]+|[\s{_INVISIBLE}]+$")
_ISO_DATE = re.compile(r"^([0-9]{4})-([0-9]{2})-([0-9]{2})$")
_POSTAL_CODE = re.compile(r"^[0-9]{5}$")
_UAI = re.compile(r"^[0-9]{7}[A-Z]$")
_FRENCH_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")


@dataclass(frozen=True)
class Champ:
    """One form field: its HTML name, label, kind, and what the rules and the template need."""

    name: str
    label: str
    # text, email, tel, date, postal, commune (a text with the completion list), select, radio, checkboxes,
    # checkbox, textarea, hidden (set by a script, kept when the form is shown again)
    kind: str = "text"
    required: bool = True
    max_length: int = 100
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    autocomplete: str = "off"
    inputmode: str = ""
    # The first option of a select, with an empty value.
    empty_label: str = "— Choisir —"

    @property
    def multiple(self) -> bool:
        return self.kind == "checkboxes"

    @property
    def checked_value(self) -> str:
        """What a single checkbox sends when ticked; anything else is not a tick."""
        return CHECKED

    @cached_property
    def allowed(self) -> frozenset[str]:
        """The ids a choice field accepts."""
        return frozenset(value for value, _ in self.choices)


@dataclass(frozen=True)
class Section:
    """A fieldset of the form."""

    legend: str
    champs: tuple[Champ, ...]
    hint: str = ""


@dataclass(frozen=True)
class Formulaire:
    """One public form: its source (`rupture` or `orientation`), title, sections and cross-field rules."""

    source: str
    title: str
    intro: str
    sections: tuple[Section, ...]
    rules: tuple[Callable[[dict[str, Any], dict[str, str], date], None], ...] = ()

    @cached_property
    def champs(self) -> tuple[Champ, ...]:
        return tuple(c for s in self.sections for c in s.champs)

    def champ(self, name: str) -> Champ:
        return next(c for c in self.champs if c.name == name)


@dataclass
class Result:
    """What validation returns: values as typed, errors by field name, cleaned data (None when in error)."""

    values: dict[str, str | list[str]]
    errors: dict[str, str] = field(default_factory=dict)
    cleaned: dict[str, Any] | None = None


def parse_date(raw: str) -> date | None:
    """A date as sent by `<input type=date>` (AAAA-MM-JJ) or typed by hand (JJ/MM/AAAA), nothing else (no ISO
    week or ordinal date, no other digits than 0-9)."""
    value: date | None = None
    try:
        if match := _FRENCH_DATE.match(raw):
            day, month, year = (int(g) for g in match.groups())
            value = date(year, month, day)
        elif match := _ISO_DATE.match(raw):
            year, month, day = (int(g) for g in match.groups())
            value = date(year, month, day)
    except ValueError:
        return None
    return value if value is not None and value.year >= 1900 else None


def clean_text(raw: str, multiline: bool = False) -> tuple[str, str | None]:
    """A typed text as it is kept: NFC, line breaks as `\\n` (multi-line) or refused (one line), spaces and
    invisible characters trimmed at the edges; with the message of its refusal (controls, bidirectional
    overrides and isolates), or None. "Required" is judged on what this returns."""
    if raw.isascii() and raw.isprintable():
        # Most answers: already NFC, no control, no line break, no invisible character; only spaces to trim.
        return raw.strip(), None
    value = unicodedata.normalize("NFC", raw)
    if multiline:
        value = _LINE_BREAK.sub("\n", value)
    error = None
    if _CONTROL.search(value):
        error = CONTROL_CHARS
    elif _BIDI.search(value):
        error = BIDI_CHARS
    elif not multiline and _LINE_BREAK.search(value):
        error = ONE_LINE
    return _EDGES.sub("", value), error


def single(submitted: Mapping[str, Sequence[str]], name: str) -> str:
    """The one value of a single-valued field ("" when absent); FormRefused when it was sent twice."""
    values = submitted.get(name, ())
    if len(values) > 1:
        raise FormRefused(FIELD_TWICE)
    return values[0] if values else ""


def age_on(birth: date, day: date) -> int:
    """Age in whole years on a given day."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _check_phone(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return BAD_PHONE
    return None if phonenumbers.is_valid_number(number) else BAD_PHONE


# A pure check of a string, and the costliest of a report (the domain's IDNA rules): a CFA's or a partner's
# address comes back report after report, so the last few thousand answers are kept.
@functools.lru_cache(maxsize=4096)
def _check_email(value: str) -> str | None:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return BAD_EMAIL
    return None


def _check_text(champ: Champ, value: str) -> tuple[Any, str | None]:
    if len(value) > champ.max_length:
        return value, TOO_LONG.format(max=champ.max_length, count=len(value))
    if champ.kind == "tel":
        return value, _check_phone(value)
    if champ.kind == "email":
        return value, _check_email(value)
    if champ.kind == "postal":
        return value, None if _POSTAL_CODE.match(value) else BAD_POSTAL_CODE
    if champ.kind == "date":
        parsed = parse_date(value)
        return parsed, None if parsed else BAD_DATE
    if champ.kind in ("select", "radio"):
        return value, None if value in champ.allowed else UNKNOWN_CHOICE
    return value, None


def validate(form: Formulaire, submitted: Mapping[str, Sequence[str]], today: date) -> Result:
    """Check every field, then the form's cross-field rules; return all errors at once."""
    values: dict[str, str | list[str]] = {}
    errors: dict[str, str] = {}
    cleaned: dict[str, Any] = {}
    # The loop runs for every field of every submission: names and kinds are read once per field.
    for champ in form.champs:
        name, kind = champ.name, champ.kind
        if kind == "checkboxes":
            chosen = list(dict.fromkeys(v for v in submitted.get(name, ()) if v))
            values[name] = chosen
            if any(v not in champ.allowed for v in chosen):
                errors[name] = UNKNOWN_CHOICE
            elif champ.required and not chosen:
                errors[name] = REQUIRED_MULTI
            cleaned[name] = sorted(chosen)
            continue
        typed = single(submitted, name)
        value, error = clean_text(typed, multiline=kind == "textarea") if typed else ("", None)
        values[name] = value
        if kind == "checkbox":
            cleaned[name] = 1 if value == CHECKED else 0
            continue
        if error:
            errors[name] = error
            cleaned[name] = None
            continue
        if not value:
            if champ.required:
                errors[name] = REQUIRED_CHOICE if kind in ("select", "radio") else REQUIRED
            cleaned[name] = None
            continue
        cleaned[name], error = _check_text(champ, value)
        if error:
            errors[name] = error
    result = Result(values=values, errors=errors)
    for rule in form.rules:
        rule(cleaned, result.errors, today)
    if not result.errors:
        result.cleaned = {k: v.isoformat() if isinstance(v, date) else v for k, v in cleaned.items()}
    return result


def _ok(errors: dict[str, str], *names: str) -> bool:
    return not any(name in errors for name in names)


def contact_rule(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    if _ok(errors, "telephone", "courriel") and not data.get("telephone") and not data.get("courriel"):
        errors["telephone"] = NO_CONTACT


def birth_date_rule(
    low: int, high: int, message: str, on: str | None
) -> Callable[[dict[str, Any], dict[str, str], date], None]:
    def rule(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
        birth = data.get("date_naissance")
        if not _ok(errors, "date_naissance") or birth is None:
            return
        if birth > today:
            errors["date_naissance"] = FUTURE_DATE
            return
        day = data.get(on) if on else today
        if day is None or (on and not _ok(errors, on)):
            return
        age = age_on(birth, day)
        if not low <= age <= high:
            errors["date_naissance"] = message.format(age=age)

    return rule


def contract_dates_rule(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    start, end, rupture = (
        data.get("date_debut_contrat"),
        data.get("date_fin_prevue"),
        data.get("date_rupture"),
    )
    if rupture and _ok(errors, "date_rupture") and rupture > today:
        errors["date_rupture"] = FUTURE_DATE
    if not start or not _ok(errors, "date_debut_contrat"):
        return
    shown = start.strftime("%d/%m/%Y")
    if end and _ok(errors, "date_fin_prevue") and end <= start:
        errors["date_fin_prevue"] = END_BEFORE_START.format(start=shown)
    if rupture and _ok(errors, "date_rupture") and rupture < start:
        errors["date_rupture"] = RUPTURE_BEFORE_START.format(start=shown)


def informed_rule(what: str) -> Callable[[dict[str, Any], dict[str, str], date], None]:
    """`jeune_informe` must be ticked; `what` names the report in the message."""

    def rule(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
        if not data.get("jeune_informe"):
            errors["jeune_informe"] = NOT_INFORMED.format(what=what)

    return rule


def guardian_rule(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    birth = data.get("date_naissance")
    if (
        birth
        and _ok(errors, "date_naissance")
        and age_on(birth, today) < 18
        and not data.get("accord_representant_legal")
    ):
        errors["accord_representant_legal"] = NO_GUARDIAN_CONSENT


def siret_rule(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    value = data.get("entreprise_siret")
    if not value or not _ok(errors, "entreprise_siret"):
        return
    digits = siret.compact(value)
    if not (digits.isdigit() and len(digits) == 14):
        errors["entreprise_siret"] = BAD_SIRET_FORMAT
    elif not siret.is_valid(digits):
        errors["entreprise_siret"] = BAD_SIRET_KEY
    else:
        data["entreprise_siret"] = digits


def uai_rule(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    value = data.get("cfa_uai")
    if not value or not _ok(errors, "cfa_uai"):
        return
    if _UAI.match(value.upper()):
        data["cfa_uai"] = value.upper()
    else:
        errors["cfa_uai"] = BAD_UAI
