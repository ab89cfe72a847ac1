"""Pure validation helpers: model errors in French, cross-file references, freshness and contact warnings."""

from __future__ import annotations

import difflib
from datetime import date
from typing import Any

from pydantic import BaseModel, ValidationError

from generator.errors import Problem, Severity
from generator.fields import SLUG_PATTERN
from generator.loader import Document, Loc

_TYPE_NAMES = {
    str: "texte",
    int: "nombre entier",
    float: "nombre",
    bool: "booléen (true ou false)",
    list: "liste",
    dict: "ensemble de clés",
    date: "date",
    type(None): "valeur vide",
}

_EXPECTED = {
    "string_type": "texte attendu",
    "int_type": "nombre entier attendu",
    "int_parsing": "nombre entier attendu",
    "int_from_float": "nombre entier attendu",
    "float_type": "nombre attendu",
    "float_parsing": "nombre attendu",
    "bool_type": "true ou false attendu",
    "bool_parsing": "true ou false attendu",
    "list_type": "liste attendue (une valeur par ligne, précédée de « - »)",
    "model_type": "ensemble de clés attendu (clé: valeur)",
    "model_attributes_type": "ensemble de clés attendu (clé: valeur)",
    "dict_type": "ensemble de clés attendu (clé: valeur)",
    "date_type": "date attendue au format AAAA-MM-JJ",
    "date_parsing": "date attendue au format AAAA-MM-JJ",
    "date_from_datetime_parsing": "date attendue au format AAAA-MM-JJ",
    "date_from_datetime_inexact": "date attendue au format AAAA-MM-JJ, sans heure",
}


def show_loc(loc: Loc) -> str:
    """`sources[0].url` style display of a location."""
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _describe(value: Any) -> str:
    name = _TYPE_NAMES.get(type(value), type(value).__name__)
    if value is None or isinstance(value, dict | list):
        return name
    return f"{name} « {value} »"


def _known_fields(model: type[BaseModel], loc: Loc) -> list[str]:
    current: Any = model
    for part in loc:
        if isinstance(part, int):
            continue
        is_model = isinstance(current, type) and issubclass(current, BaseModel)
        field = current.model_fields.get(part) if is_model else None
        if field is None:
            return []
        current = _model_in(field.annotation)
    return list(current.model_fields) if isinstance(current, type) and issubclass(current, BaseModel) else []


def _model_in(annotation: Any) -> Any:
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return annotation
    for arg in getattr(annotation, "__args__", ()):
        found = _model_in(arg)
        if found is not None:
            return found
    return None


def translate(err: Any, model: type[BaseModel]) -> tuple[Loc, bool, str]:
    """French message for one pydantic error: (location, located on the key?, message)."""
    loc: Loc = tuple(p for p in err["loc"] if isinstance(p, str | int))
    kind = err["type"]
    ctx = err.get("ctx") or {}
    value = err.get("input")
    name = show_loc(loc)
    if kind == "missing":
        description = _field_description(model, loc)
        hint = f" ({description})" if description else ""
        return loc[:-1], True, f"champ obligatoire « {name} » manquant{hint} : ajoutez « {loc[-1]}: … »"
    if kind == "extra_forbidden":
        known = _known_fields(model, loc[:-1])
        close = difflib.get_close_matches(str(loc[-1]), known, n=1, cutoff=0.6)
        hint = f" ; vouliez-vous dire « {close[0]} » ?" if close else f" ; clés connues : {', '.join(known)}"
        return loc, True, f"clé inconnue « {name} »{hint}"
    if kind in ("choix", "telephone", "courriel", "url", "date_future"):
        return loc, False, f"« {name} » : {err['msg']}"
    if kind == "literal_error":
        return (
            loc,
            False,
            f"« {name} » : valeur {_describe(value)} non permise ; valeurs permises : {_expected(ctx)}",
        )
    if kind in _EXPECTED:
        return loc, False, f"« {name} » : {_EXPECTED[kind]}, trouvé {_describe(value)}"
    if kind == "string_pattern_mismatch":
        if ctx.get("pattern") == SLUG_PATTERN:
            expected = "identifiant en minuscules sans accent, chiffres et tirets (ex. ecole-2e-chance)"
        else:
            expected = f"format attendu {ctx.get('pattern')}"
        return loc, False, f"« {name} » : valeur « {value} » invalide : {expected}"
    if kind == "string_too_short":
        return (
            loc,
            False,
            f"« {name} » : texte trop court, au moins {ctx.get('min_length')} caractères attendus",
        )
    if kind == "string_too_long":
        return (
            loc,
            False,
            f"« {name} » : texte trop long, au plus {ctx.get('max_length')} caractères attendus",
        )
    if kind == "too_short":
        return (
            loc,
            False,
            f"« {name} » : au moins {ctx.get('min_length')} élément(s) attendu(s), trouvé {_describe(value)}",
        )
    if kind == "greater_than_equal":
        return (
            loc,
            False,
            f"« {name} » : nombre supérieur ou égal à {ctx.get('ge')} attendu, trouvé {_describe(value)}",
        )
    if kind == "less_than_equal":
        return (
            loc,
            False,
            f"« {name} » : nombre inférieur ou égal à {ctx.get('le')} attendu, trouvé {_describe(value)}",
        )
    return loc, False, f"« {name} » : {err['msg']}"


def _expected(ctx: dict[str, Any]) -> str:
    return str(ctx.get("expected", "")).replace("'", "").replace(" or ", ", ")


def _field_description(model: type[BaseModel], loc: Loc) -> str:
    current: Any = model
    field = None
    for part in loc:
        if isinstance(part, int) or current is None:
            continue
        field = current.model_fields.get(part)
        if field is None:
            return ""
        current = _model_in(field.annotation)
    return field.description or "" if field is not None else ""


def validation_problems(
    doc: Document, exc: ValidationError, model: type[BaseModel], base: Loc = ()
) -> list[Problem]:
    """Every pydantic error of one document, located in its file."""
    problems = []
    for err in exc.errors(include_url=False):
        loc, on_key, message = translate(err, model)
        line, col = doc.where((*base, *loc), key=on_key)
        problems.append(Problem(doc.path, line, col, message))
    return problems


def problem_at(doc: Document, loc: Loc, message: str, severity: Severity = Severity.ERROR) -> Problem:
    """A problem located at the value of `loc` in `doc`."""
    line, col = doc.where(loc)
    return Problem(doc.path, line, col, message, severity)


# The kinds of sheet whose name is feminine in French: « structure … inconnue », « dispositif … inconnu ».
FEMININE = frozenset({"structure", "fiche"})


def unknown_reference(doc: Document, loc: Loc, kind: str, value: str, known: list[str]) -> Problem:
    """Reference to an id that does not exist, with the closest existing ids as a hint."""
    close = difflib.get_close_matches(value, known, n=3, cutoff=0.5)
    hint = f" ; vouliez-vous dire {', '.join(f'« {c} »' for c in close)} ?" if close else ""
    agreed = "inconnue" if kind in FEMININE else "inconnu"
    return problem_at(doc, loc, f"« {show_loc(loc)} » : {kind} « {value} » {agreed}{hint}")


def months_between(older: date, newer: date) -> int:
    """Whole months from `older` to `newer`."""
    months = (newer.year - older.year) * 12 + newer.month - older.month
    return months - 1 if newer.day < older.day else months
