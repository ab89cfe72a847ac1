"""The proposal forms: a sheet's fields in plain words, the proposer, and the conversions between a sheet (as
its YAML file holds it) and the form's values. The same models as `generator check` validate what is proposed."""

from __future__ import annotations

import re
import unicodedata
from datetime import date
from typing import Any

from pydantic import ValidationError

from forms_backend.web.forms import Champ, Formulaire, Section, parse_date
from generator import labels
from generator.catalogue import Catalogue
from generator.checks import translate
from generator.schema import Dispositif, Fiche, Model

TEXTS = (
    "nom",
    "description",
    "operateur",
    "conditions_acces",
    "mobilisation_precisions",
    "adresse",
    "code_postal",
    "commune",
    "telephone",
    "courriel",
    "lien_source",
)
LISTS = ("thematiques", "publics", "volet", "territoires", "statuts", "niveaux")
SINGLES = ("type", "famille_solution")
AGES = ("age_min", "age_max")
PERIOD = ("debut", "fin")
# What the proposer says of themselves: kept private, used only to answer.
PROPOSEUR = ("proposeur_nom", "proposeur_structure", "proposeur_courriel")
# The form fields of each kind of sheet, in the order shown (the rest of a sheet is kept as it is).
FIELDS = {
    "fiche": (
        *("nom", "description", "type", "famille_solution", "volet", "thematiques", "publics", *AGES),
        *("statuts", "niveaux", "conditions_acces", "territoires", "adresse", "code_postal", "commune"),
        *("mobilisation_precisions", "telephone", "courriel", "lien_source", "porteur", *PERIOD),
    ),
    "dispositif": (
        *("nom", "description", "operateur", "type", "famille_solution", "thematiques", "publics", *AGES),
        *("statuts", "niveaux", "conditions_acces", "mobilisation_precisions", "telephone", "courriel"),
        "lien_source",
    ),
}
MODELS: dict[str, type[Model]] = {"fiche": Fiche, "dispositif": Dispositif}
BAD_AGE = "Âge invalide : attendu un nombre entier d'années, entre 0 et 99."
AGES_REVERSED = "L'âge maximal doit être supérieur ou égal à l'âge minimal."
PERIOD_REVERSED = "La fin doit être postérieure au début."
NOTHING_CHANGED = "Vous n'avez rien changé : modifiez au moins un champ, ou choisissez « Rien à changer »."


def slug(text: str) -> str:
    """A sheet's id from its name: lower case, no accents, hyphens, at most 60 characters."""
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    return re.sub(r"[^a-z0-9]+", "-", plain).strip("-")[:60].strip("-") or "action"


def _champs(catalogue: Catalogue, kind: str) -> dict[str, Champ]:
    choices = catalogue.choices
    optional = "Facultatif."
    return {
        "nom": Champ("nom", "Nom de l'action" if kind == "fiche" else "Nom du dispositif", max_length=150),
        "description": Champ(
            "description",
            "Description",
            kind="textarea",
            max_length=4000,
            hint="Ce que propose l'action, pour qui, comment elle se déroule (20 caractères au moins).",
        ),
        "operateur": Champ(
            "operateur", "Qui le met en œuvre", max_length=200, hint="Par exemple « les missions locales »."
        ),
        "type": Champ("type", "Type de service", kind="select", choices=tuple(labels.TYPES.items())),
        "famille_solution": Champ(
            "famille_solution",
            "Famille de solution",
            kind="select",
            choices=tuple(choices("familles_solution")),
        ),
        "volet": Champ(
            "volet",
            "Volet du plan",
            kind="checkboxes",
            choices=tuple(choices("volets")),
            hint="Prévention : avant le décrochage ; réparation : après.",
        ),
        "thematiques": Champ(
            "thematiques", "Thématiques", kind="checkboxes", choices=tuple(labels.CATEGORIES.items())
        ),
        "publics": Champ("publics", "Publics", kind="checkboxes", choices=tuple(labels.PUBLICS.items())),
        "age_min": Champ(
            "age_min", "Âge minimal", required=False, max_length=2, inputmode="numeric", hint=optional
        ),
        "age_max": Champ(
            "age_max", "Âge maximal", required=False, max_length=2, inputmode="numeric", hint=optional
        ),
        "statuts": Champ(
            "statuts",
            "Situations des jeunes concernés",
            kind="checkboxes",
            required=False,
            choices=tuple(choices("statuts")),
            hint="Facultatif : ne cochez rien si l'action est ouverte à toutes.",
        ),
        "niveaux": Champ(
            "niveaux",
            "Niveaux de formation concernés",
            kind="checkboxes",
            required=False,
            choices=tuple(choices("niveaux")),
            hint="Facultatif.",
        ),
        "conditions_acces": Champ(
            "conditions_acces",
            "Conditions d'accès",
            kind="textarea",
            required=False,
            max_length=2000,
            hint=optional,
        ),
        "territoires": Champ(
            "territoires",
            "Territoires où l'action est proposée",
            kind="checkboxes",
            choices=tuple((t.id, t.nom) for t in catalogue.territoires.values()),
        ),
        "adresse": Champ(
            "adresse", "Adresse du lieu d'accueil", required=False, max_length=200, hint=optional
        ),
        "code_postal": Champ(
            "code_postal",
            "Code postal du lieu d'accueil",
            kind="postal",
            required=False,
            max_length=5,
            inputmode="numeric",
        ),
        "commune": Champ("commune", "Commune du lieu d'accueil", required=False, max_length=100),
        "mobilisation_precisions": Champ(
            "mobilisation_precisions",
            "Comment la mobiliser",
            kind="textarea",
            required=False,
            max_length=2000,
            hint="Qui contacter, comment orienter un jeune, pas à pas. Facultatif.",
        ),
        "telephone": Champ(
            "telephone",
            "Téléphone public de contact",
            kind="tel",
            required=False,
            max_length=30,
            hint=optional,
        ),
        "courriel": Champ(
            "courriel",
            "Adresse électronique publique de contact",
            kind="email",
            required=False,
            max_length=254,
        ),
        "lien_source": Champ(
            "lien_source",
            "Page publique qui décrit l'action (source)",
            required=False,
            max_length=500,
            hint="Une adresse commençant par https://, facultative.",
        ),
        "porteur": Champ(
            "porteur", "Structure qui porte l'action", max_length=150, autocomplete="organization"
        ),
        "debut": Champ(
            "debut", "Début de l'action", kind="date", required=False, max_length=10, hint=optional
        ),
        "fin": Champ(
            "fin",
            "Fin de l'action",
            kind="date",
            required=False,
            max_length=10,
            hint="Facultatif : vide si elle continue.",
        ),
        "motif": Champ(
            "motif",
            "Qu'avez-vous changé, et pourquoi ?",
            kind="textarea",
            max_length=1000,
            hint="Par exemple « le numéro a changé en septembre ». Le modérateur le lit avant de publier.",
        ),
        "proposeur_nom": Champ("proposeur_nom", "Votre nom", autocomplete="name"),
        "proposeur_structure": Champ(
            "proposeur_structure", "Votre structure", max_length=200, autocomplete="organization"
        ),
        "proposeur_courriel": Champ(
            "proposeur_courriel",
            "Votre adresse électronique",
            kind="email",
            max_length=254,
            autocomplete="email",
            hint="Pour vous répondre seulement : elle n'est jamais publiée.",
        ),
    }


def _age_rule(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    for name in AGES:
        value = data.get(name)
        if value and name not in errors:
            if value.isdigit() and int(value) <= 99:
                data[name] = int(value)
            else:
                errors[name] = BAD_AGE
    low, high = data.get("age_min"), data.get("age_max")
    if isinstance(low, int) and isinstance(high, int) and high < low:
        errors["age_max"] = AGES_REVERSED


def _period_rule(data: dict[str, Any], errors: dict[str, str], today: date) -> None:
    start, end = data.get("debut"), data.get("fin")
    if start and end and "debut" not in errors and "fin" not in errors and end < start:
        errors["fin"] = PERIOD_REVERSED


def form(catalogue: Catalogue, kind: str, correction: bool) -> Formulaire:
    """The form of a new action (`kind` fiche) or of a correction of a fiche or a dispositif."""
    champs = _champs(catalogue, kind)
    sheet = tuple(champs[name] for name in FIELDS[kind])
    sections = [
        Section("La fiche" if correction else "L'action", sheet),
    ]
    if correction:
        sections.append(Section("Votre correction", (champs["motif"],)))
    sections.append(
        Section(
            "Vous",
            tuple(champs[name] for name in PROPOSEUR),
            hint="Ces informations restent privées : le modérateur s'en sert pour vous répondre.",
        )
    )
    return Formulaire(
        source=f"proposition-{'correction' if correction else 'nouvelle'}",
        title="Proposer une correction" if correction else "Proposer une nouvelle action",
        intro=(
            "Corrigez ce qui a changé : la fiche actuelle est déjà remplie. Un modérateur relit votre proposition "
            "avant qu'elle ne soit publiée dans le guide."
            if correction
            else "Décrivez une action que vous menez pour les jeunes en décrochage ou en rupture d'apprentissage. "
            "Un modérateur relit votre proposition avant qu'elle ne soit publiée dans le guide."
        ),
        sections=tuple(sections),
        rules=(_age_rule, _period_rule),
    )


def values_of(sheet: dict[str, Any], kind: str, catalogue: Catalogue) -> dict[str, str | list[str]]:
    """The form's values showing a sheet (as its YAML file holds it)."""
    values: dict[str, str | list[str]] = {}
    for name in FIELDS[kind]:
        if name == "thematiques":
            # The form offers the categories; a sheet's sub-themes show as their category.
            values[name] = list(dict.fromkeys(labels.categorie(str(v)) for v in sheet.get(name) or []))
        elif name in LISTS:
            values[name] = [str(v) for v in sheet.get(name) or []]
        elif name in PERIOD:
            period = sheet.get("periode") or {}
            day = period.get(name) if isinstance(period, dict) else None
            values[name] = day.isoformat() if isinstance(day, date) else str(day or "")
        elif name == "porteur":
            structure = catalogue.structures.get(str(sheet.get("porteur", "")))
            values[name] = structure.nom if structure else str(sheet.get("porteur") or "")
        else:
            value = sheet.get(name)
            if isinstance(value, list):  # steps (« Comment le mobiliser »): one per line
                values[name] = "\n".join(str(step) for step in value)
            else:
                values[name] = "" if value is None else str(value)
    return values


def apply(sheet: dict[str, Any], cleaned: dict[str, Any], kind: str, catalogue: Catalogue) -> dict[str, Any]:
    """The sheet with the form's fields set from `cleaned` (every other key kept); the structure's name stays a
    name here (`porteur_nom`) until the moderator accepts."""
    result = dict(sheet)
    for name in FIELDS[kind]:
        value = cleaned.get(name)
        if name in PERIOD or name == "porteur":
            continue
        if name == "thematiques" and value:
            # A sub-theme stays while its category stays ticked; a newly ticked category is added as such.
            kept = [t for t in sheet.get(name) or [] if labels.categorie(str(t)) in value]
            value = kept + [c for c in value if c not in {labels.categorie(str(t)) for t in kept}]
        if name in LISTS and isinstance(value, list) and set(value) == set(sheet.get(name) or []):
            value = sheet.get(name)  # the same choices: the file keeps its order
        if isinstance(sheet.get(name), list) and name not in LISTS and isinstance(value, str):
            steps = [line.strip() for line in value.split("\n") if line.strip()]
            value = sheet.get(name) if steps == [str(s).strip() for s in sheet[name]] else steps
        if value in (None, "", []):
            result.pop(name, None)
        else:
            result[name] = value
    if kind == "fiche":
        start, end = cleaned.get("debut"), cleaned.get("fin")
        period = dict(sheet.get("periode") or {}) if isinstance(sheet.get("periode"), dict) else {}
        period.pop("debut", None)
        period.pop("fin", None)
        if start:
            period["debut"] = parse_date(start)
        if end:
            period["fin"] = parse_date(end)
        if period.get("debut") or period.get("fin"):
            result["periode"] = period
        else:
            result.pop("periode", None)
        current = catalogue.structures.get(str(sheet.get("porteur", "")))
        if current is None or current.nom != cleaned.get("porteur"):
            result["porteur_nom"] = cleaned.get("porteur")
    return result


def check_model(sheet: dict[str, Any], kind: str, catalogue: Catalogue, today: date) -> dict[str, str]:
    """The model's problems of a sheet, by form field ("periode" errors go to "debut")."""
    data = {k: v for k, v in sheet.items() if k != "porteur_nom"}
    if kind == "fiche":
        data.setdefault("porteur", "structure-a-creer")
    data.setdefault("id", slug(str(sheet.get("nom") or "")))
    data.setdefault("date_maj", today)
    context = {
        "today": today,
        "nomenclatures": {n: [e.id for e in v] for n, v in catalogue.nomenclatures.items()},
    }
    try:
        MODELS[kind].model_validate(data, context=context)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        for err in exc.errors(include_url=False):
            _, _, message = translate(err, MODELS[kind])
            field = str(err["loc"][0]) if err["loc"] else "nom"
            field = "debut" if field == "periode" else field
            errors.setdefault(field if field in FIELDS[kind] else "nom", message)
        return errors
    return {}


def json_ready(value: Any) -> Any:
    """A sheet as JSON can hold it (dates as AAAA-MM-JJ)."""
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value
