"""The two public forms: their fields (built from the guide's catalogue) and every validation rule of DOMAIN.md.

Validation is pure: `validate(form, submitted, today)` returns the values as typed, one French message per field
in error, and the cleaned data ready to store when there is no error.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import phonenumbers
from email_validator import EmailNotValidError, validate_email
from stdnum.fr import siret

from generator.catalogue import Catalogue

REQUIRED = "Ce champ est obligatoire."
REQUIRED_CHOICE = "Choisissez une réponse dans la liste."
UNKNOWN_CHOICE = "Réponse non reconnue : choisissez une réponse dans la liste."
REQUIRED_MULTI = "Cochez au moins une réponse."
TOO_LONG = "{max} caractères au maximum (vous en avez saisi {count})."
CONTROL_CHARS = "Ce champ contient des caractères non permis."
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
AGE_RUPTURE = "Âge du jeune à la date de rupture : {age} ans ; ce formulaire concerne les jeunes de 15 à 35 ans."
AGE_ORIENTATION = "Âge du jeune : {age} ans ; ce formulaire concerne les jeunes de 13 à 30 ans."
END_BEFORE_START = "La fin prévue doit être postérieure au début du contrat ({start})."
RUPTURE_BEFORE_START = "La rupture ne peut pas précéder le début du contrat ({start})."
NOT_INFORMED = "Confirmez que le jeune a été informé de ce signalement : c'est une obligation (RGPD, article 14)."
NO_GUARDIAN_CONSENT = "Le jeune a moins de 18 ans : confirmez l'accord de son représentant légal."

RUPTURE_LEVELS = ("3", "4", "5", "6", "7")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_POSTAL_CODE = re.compile(r"^[0-9]{5}$")
_UAI = re.compile(r"^[0-9]{7}[A-Z]$")
_FRENCH_DATE = re.compile(r"^([0-9]{1,2})/([0-9]{1,2})/([0-9]{4})$")


@dataclass(frozen=True)
class Champ:
    """One form field: its HTML name, label, kind, and what the rules and the template need."""

    name: str
    label: str
    kind: str = "text"  # text, email, tel, date, postal, select, radio, checkboxes, checkbox, textarea
    required: bool = True
    max_length: int = 100
    choices: tuple[tuple[str, str], ...] = ()
    hint: str = ""
    autocomplete: str = "off"
    inputmode: str = ""

    @property
    def multiple(self) -> bool:
        return self.kind == "checkboxes"


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

    @property
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
    """A date as sent by `<input type=date>` (AAAA-MM-JJ) or typed by hand (JJ/MM/AAAA)."""
    try:
        if match := _FRENCH_DATE.match(raw):
            day, month, year = (int(g) for g in match.groups())
            value = date(year, month, day)
        else:
            value = date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None
    return value if value is not None and value.year >= 1900 else None


def age_on(birth: date, day: date) -> int:
    """Age in whole years on a given day."""
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _check_phone(value: str) -> str | None:
    try:
        number = phonenumbers.parse(value, "FR")
    except phonenumbers.NumberParseException:
        return BAD_PHONE
    return None if phonenumbers.is_valid_number(number) else BAD_PHONE


def _check_email(value: str) -> str | None:
    try:
        validate_email(value, check_deliverability=False)
    except EmailNotValidError:
        return BAD_EMAIL
    return None


def _check_text(champ: Champ, value: str) -> tuple[Any, str | None]:
    if len(value) > champ.max_length:
        return value, TOO_LONG.format(max=champ.max_length, count=len(value))
    if _CONTROL.search(value):
        return value, CONTROL_CHARS
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
        return value, None if value in dict(champ.choices) else UNKNOWN_CHOICE
    return value, None


def validate(form: Formulaire, submitted: Mapping[str, Sequence[str]], today: date) -> Result:
    """Check every field, then the form's cross-field rules; return all errors at once."""
    result = Result(values={})
    cleaned: dict[str, Any] = {}
    for champ in form.champs:
        raw = list(submitted.get(champ.name, ()))
        if champ.multiple:
            chosen = list(dict.fromkeys(v for v in raw if v))
            result.values[champ.name] = chosen
            allowed = dict(champ.choices)
            if any(v not in allowed for v in chosen):
                result.errors[champ.name] = UNKNOWN_CHOICE
            elif champ.required and not chosen:
                result.errors[champ.name] = REQUIRED_MULTI
            cleaned[champ.name] = sorted(chosen)
            continue
        value = raw[0].strip() if raw else ""
        result.values[champ.name] = value
        if champ.kind == "checkbox":
            cleaned[champ.name] = 1 if value else 0
            continue
        if not value:
            if champ.required:
                result.errors[champ.name] = REQUIRED_CHOICE if champ.kind in ("select", "radio") else REQUIRED
            cleaned[champ.name] = None
            continue
        cleaned[champ.name], error = _check_text(champ, value)
        if error:
            result.errors[champ.name] = error
    for rule in form.rules:
        rule(cleaned, result.errors, today)
    if not result.errors:
        result.cleaned = {k: v.isoformat() if isinstance(v, date) else v for k, v in cleaned.items()}
    return result


def _ok(errors: dict[str, str], *names: str) -> bool:
    return not any(name in errors for name in names)


def _contact(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    if _ok(errors, "telephone", "courriel") and not data.get("telephone") and not data.get("courriel"):
        errors["telephone"] = NO_CONTACT


def _birth_date(low: int, high: int, message: str, on: str | None) -> Callable[[dict[str, Any], dict[str, str], date], None]:
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


def _contract_dates(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    start, end, rupture = data.get("date_debut_contrat"), data.get("date_fin_prevue"), data.get("date_rupture")
    if rupture and _ok(errors, "date_rupture") and rupture > today:
        errors["date_rupture"] = FUTURE_DATE
    if not start or not _ok(errors, "date_debut_contrat"):
        return
    shown = start.strftime("%d/%m/%Y")
    if end and _ok(errors, "date_fin_prevue") and end <= start:
        errors["date_fin_prevue"] = END_BEFORE_START.format(start=shown)
    if rupture and _ok(errors, "date_rupture") and rupture < start:
        errors["date_rupture"] = RUPTURE_BEFORE_START.format(start=shown)


def _informed(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    if not data.get("jeune_informe"):
        errors["jeune_informe"] = NOT_INFORMED


def _guardian(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    birth = data.get("date_naissance")
    if birth and _ok(errors, "date_naissance") and age_on(birth, today) < 18 and not data.get("accord_representant_legal"):
        errors["accord_representant_legal"] = NO_GUARDIAN_CONSENT


def _siret(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
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


def _uai(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    value = data.get("cfa_uai")
    if not value or not _ok(errors, "cfa_uai"):
        return
    if _UAI.match(value.upper()):
        data["cfa_uai"] = value.upper()
    else:
        errors["cfa_uai"] = BAD_UAI


def _identity(catalogue: Catalogue, hint_birth: str) -> Section:
    return Section(
        "Le jeune",
        (
            Champ("nom", "Nom", autocomplete="off"),
            Champ("prenom", "Prénom", autocomplete="off"),
            Champ("date_naissance", "Date de naissance", kind="date", max_length=10, hint=hint_birth),
            Champ("sexe", "Sexe", kind="radio", required=False, choices=tuple(catalogue.choices("sexes"))),
            Champ(
                "code_postal",
                "Code postal de résidence",
                kind="postal",
                max_length=5,
                hint="5 chiffres, par exemple 62300.",
                inputmode="numeric",
            ),
            Champ("commune", "Commune de résidence"),
        ),
    )


def _contact_section() -> Section:
    return Section(
        "Pour contacter le jeune",
        (
            Champ("telephone", "Téléphone", kind="tel", required=False, max_length=30, hint="Par exemple 06 12 34 56 78."),
            Champ("courriel", "Adresse électronique", kind="email", required=False, max_length=254),
        ),
        hint="Au moins un des deux.",
    )


def _territoire(catalogue: Catalogue) -> Champ:
    territoires = tuple((t.id, t.nom) for t in catalogue.territoires.values())
    return Champ(
        "territoire",
        "Territoire de la cellule technique locale (CTL)",
        kind="select",
        choices=territoires,
        hint="Le bassin d'emploi où vit le jeune ; « Reste de la région » s'il n'est dans aucun.",
    )


def rupture_form(catalogue: Catalogue) -> Formulaire:
    """The CFA's report of a broken apprenticeship contract."""
    niveaux = tuple((i, label) for i, label in catalogue.choices("niveaux") if i in RUPTURE_LEVELS)
    return Formulaire(
        source="rupture",
        title="Signaler une rupture de contrat d'apprentissage",
        intro=(
            "Pour les CFA : signalez à la cellule technique locale (CTL) un apprenti dont le contrat vient d'être "
            "rompu, pour qu'aucun jeune ne reste sans solution."
        ),
        sections=(
            _identity(catalogue, "Le jeune doit avoir entre 15 et 35 ans à la date de rupture."),
            _contact_section(),
            Section(
                "Suivi actuel",
                (
                    Champ(
                        "suivi_structure",
                        "Le jeune est-il suivi par une structure ?",
                        kind="radio",
                        choices=tuple(catalogue.choices("suivi_structures")),
                    ),
                ),
            ),
            Section(
                "La formation",
                (
                    Champ("cfa_nom", "Nom du CFA", autocomplete="organization"),
                    Champ(
                        "cfa_uai",
                        "Numéro UAI du CFA",
                        required=False,
                        max_length=8,
                        hint="Facultatif : 7 chiffres et une lettre, par exemple 0596789X.",
                    ),
                    Champ("diplome_prepare", "Diplôme préparé", max_length=200, hint="Par exemple « CAP Cuisine »."),
                    Champ("niveau", "Niveau du diplôme préparé", kind="select", choices=niveaux),
                    Champ("secteur", "Secteur", kind="select", choices=tuple(catalogue.choices("secteurs"))),
                ),
            ),
            Section(
                "Le contrat et sa rupture",
                (
                    Champ("entreprise_nom", "Nom de l'entreprise", max_length=200),
                    Champ(
                        "entreprise_siret",
                        "SIRET de l'entreprise",
                        required=False,
                        max_length=20,
                        hint="Facultatif : 14 chiffres.",
                        inputmode="numeric",
                    ),
                    Champ("date_debut_contrat", "Début du contrat", kind="date", max_length=10),
                    Champ("date_fin_prevue", "Fin prévue du contrat", kind="date", max_length=10),
                    Champ("date_rupture", "Date de la rupture", kind="date", max_length=10),
                    Champ(
                        "cadre_rupture",
                        "Cadre de la rupture",
                        kind="select",
                        choices=tuple(catalogue.choices("cadres_rupture")),
                        hint="Code du travail, articles L.6222-18 et L.6222-19.",
                    ),
                    Champ(
                        "motifs",
                        "Motifs de la rupture",
                        kind="checkboxes",
                        choices=tuple(catalogue.choices("motifs_rupture")),
                        hint="Cochez tous ceux qui s'appliquent.",
                    ),
                    Champ(
                        "motif_precision",
                        "Précisions sur les motifs",
                        kind="textarea",
                        required=False,
                        max_length=1000,
                        hint="Facultatif, 1 000 caractères au maximum. N'écrivez aucun détail de santé ni de justice.",
                    ),
                    Champ(
                        "situation_actuelle",
                        "Situation actuelle du jeune",
                        kind="select",
                        choices=tuple(catalogue.choices("situations_actuelles")),
                    ),
                    _territoire(catalogue),
                ),
            ),
            Section(
                "Vous, la personne qui signale",
                (
                    Champ("declarant_nom", "Votre nom", autocomplete="name"),
                    Champ("declarant_fonction", "Votre fonction", required=False, autocomplete="organization-title"),
                    Champ("declarant_courriel", "Votre adresse électronique", kind="email", max_length=254, autocomplete="email"),
                    Champ("declarant_telephone", "Votre téléphone", kind="tel", required=False, max_length=30, autocomplete="tel"),
                ),
            ),
            Section(
                "Information du jeune",
                (Champ("jeune_informe", "Le jeune a été informé de ce signalement à la CTL.", kind="checkbox"),),
            ),
        ),
        rules=(_contact, _uai, _siret, _contract_dates, _birth_date(15, 35, AGE_RUPTURE, "date_rupture"), _informed),
    )


def orientation_form(catalogue: Catalogue) -> Formulaire:
    """A partner's referral of a young person to the CTL."""
    return Formulaire(
        source="orientation",
        title="Orienter un jeune vers la cellule technique locale",
        intro=(
            "Pour les partenaires (établissements, Mission locale, CIO, centres sociaux, clubs de prévention…) : "
            "présentez à la CTL de son territoire un jeune sans solution ou en train de décrocher."
        ),
        sections=(
            _identity(catalogue, "Le jeune doit avoir entre 13 et 30 ans."),
            _contact_section(),
            Section(
                "Sa situation",
                (
                    Champ("statut", "Statut du jeune", kind="select", choices=tuple(catalogue.choices("statuts"))),
                    Champ("niveau", "Niveau de formation atteint", kind="select", choices=tuple(catalogue.choices("niveaux"))),
                    Champ("dernier_etablissement", "Dernier établissement fréquenté", required=False, max_length=200),
                    Champ(
                        "suivi_structure",
                        "Le jeune est-il suivi par une structure ?",
                        kind="radio",
                        choices=tuple(catalogue.choices("suivi_structures")),
                    ),
                    Champ(
                        "besoins",
                        "Besoins repérés",
                        kind="checkboxes",
                        choices=tuple(catalogue.choices("besoins")),
                        hint="Cochez tous ceux qui s'appliquent.",
                    ),
                    Champ(
                        "situation",
                        "Présentation de la situation",
                        kind="textarea",
                        max_length=2000,
                        hint=(
                            "2 000 caractères au maximum. Décrivez le parcours et ce que le jeune souhaite. "
                            "N'écrivez jamais de détail de santé ni de justice : la CTL n'en a pas besoin."
                        ),
                    ),
                    _territoire(catalogue),
                ),
            ),
            Section(
                "Vous, la personne qui oriente",
                (
                    Champ("orienteur_structure", "Votre structure", max_length=200, autocomplete="organization"),
                    Champ("orienteur_type", "Type de structure", kind="select", choices=tuple(catalogue.choices("orienteurs"))),
                    Champ("orienteur_nom", "Votre nom", autocomplete="name"),
                    Champ("orienteur_courriel", "Votre adresse électronique", kind="email", max_length=254, autocomplete="email"),
                    Champ("orienteur_telephone", "Votre téléphone", kind="tel", required=False, max_length=30, autocomplete="tel"),
                ),
            ),
            Section(
                "Information et accord",
                (
                    Champ("jeune_informe", "Le jeune a été informé de cette orientation vers la CTL.", kind="checkbox"),
                    Champ(
                        "accord_representant_legal",
                        "Le jeune a moins de 18 ans : son représentant légal a donné son accord.",
                        kind="checkbox",
                        required=False,
                        hint="Obligatoire pour un jeune mineur.",
                    ),
                ),
            ),
        ),
        rules=(_contact, _birth_date(13, 30, AGE_ORIENTATION, None), _informed, _guardian),
    )


def build_forms(catalogue: Catalogue) -> dict[str, Formulaire]:
    """Both forms, keyed by source, with every list taken from the catalogue."""
    return {"rupture": rupture_form(catalogue), "orientation": orientation_form(catalogue)}


def today_in(tz: Any) -> date:
    """Today's date in the deployment's time zone."""
    return datetime.now(tz).date()
