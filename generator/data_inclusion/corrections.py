"""The local overrides of imported services (`data/importes/data-inclusion-corrections.yaml`): hide a service
or replace some of its fields. The import applies them; `generator check` validates them like any file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Annotated, Any, cast

from pydantic import TypeAdapter, ValidationError

from generator.checks import problem_at, show_loc, translate, validation_problems
from generator.data_inclusion.model import (
    CORRECTIONS_FILE,
    CORRIGEABLES,
    Correction,
    CorrectionsFile,
    ServiceImporte,
)
from generator.errors import Problem, Severity
from generator.loader import Document, parse_file


@dataclass
class Corrections:
    """The valid corrections, keyed by (source, id) of the feed, and the problems of the file."""

    by_key: dict[tuple[str, str], Correction] = field(default_factory=dict)
    problems: list[Problem] = field(default_factory=list)
    doc: Document | None = None
    index: dict[tuple[str, str], int] = field(default_factory=dict)


def _field_problems(doc: Document, i: int, name: str, value: Any, context: dict[str, Any]) -> list[Problem]:
    base = ("corrections", i, "champs", name)
    if name not in CORRIGEABLES:
        message = f"« {show_loc(base)} » : champ non corrigeable ; champs permis : {', '.join(CORRIGEABLES)}"
        line, col = doc.where(base, key=True)
        return [Problem(doc.path, line, col, message)]
    info = ServiceImporte.model_fields[name]
    adapter: TypeAdapter[Any] = TypeAdapter(cast(Any, Annotated[info.annotation, info]))
    try:
        adapter.validate_python(value, context=context)
    except ValidationError as exc:
        problems = []
        for err in exc.errors(include_url=False):
            located = {**err, "loc": (*base, *err["loc"])}
            loc, _on_key, message = translate(located, CorrectionsFile)
            problems.append(problem_at(doc, loc, message))
        return problems
    return []


def load_corrections(data_dir: Path, shown: str, context: dict[str, Any]) -> Corrections:
    """Read and check the overrides file of `data_dir` (absent: no correction)."""
    path = data_dir / CORRECTIONS_FILE
    result = Corrections()
    if not path.is_file():
        return result
    doc = parse_file(path, shown, result.problems)
    if doc is None:
        return result
    result.doc = doc
    if not isinstance(doc.data, dict):
        result.problems.append(problem_at(doc, (), "ensemble de clés attendu (date_maj, corrections)"))
        return result
    try:
        parsed = CorrectionsFile.model_validate(doc.data, context=context)
    except ValidationError as exc:
        result.problems.extend(validation_problems(doc, exc, CorrectionsFile))
        return result
    for i, correction in enumerate(parsed.corrections):
        key = (correction.source, correction.id)
        if key in result.by_key:
            message = f"« corrections[{i}].id » : le service {correction.source} / {correction.id} est déjà corrigé plus haut"
            result.problems.append(problem_at(doc, ("corrections", i, "id"), message))
            continue
        if not correction.id.startswith(f"{correction.source}--") and "--" in correction.id:
            message = f"« corrections[{i}].source » : « {correction.source} » ne correspond pas à l'identifiant « {correction.id} »"
            result.problems.append(problem_at(doc, ("corrections", i, "source"), message))
        problems = [
            p
            for name, value in correction.champs.items()
            for p in _field_problems(doc, i, name, value, context)
        ]
        result.problems.extend(problems)
        if not problems:
            result.by_key[key] = correction
            result.index[key] = i
    return result


def check_corrections(
    data_dir: Path, shown: str, context: dict[str, Any], imported: set[tuple[str, str]]
) -> list[Problem]:
    """Problems of the overrides file for `generator check`, with a warning for a correction that matches no
    imported service (hidden services excepted: they are not written)."""
    corrections = load_corrections(data_dir, shown, context)
    problems = list(corrections.problems)
    if corrections.doc is not None:
        for key, correction in corrections.by_key.items():
            if not correction.masquer and key not in imported:
                i = corrections.index[key]
                message = (
                    f"« corrections[{i}] » : aucun service importé {key[0]} / {key[1]} ; le service a quitté le "
                    "flux ou n'est pas dans les départements couverts : supprimez cette correction"
                )
                problems.append(problem_at(corrections.doc, ("corrections", i), message, Severity.WARNING))
    return problems


def apply(sheet: dict[str, Any], correction: Correction | None) -> dict[str, Any]:
    """The sheet with the correction's fields replaced (and marked as corrected in its provenance)."""
    if correction is None or not correction.champs:
        return sheet
    corrected = {**sheet, **correction.champs}
    corrected["provenance"] = {**sheet["provenance"], "corrige": True}
    return corrected


def today_context(today: date) -> dict[str, Any]:
    """The validation context when the nomenclatures are not loaded (they are checked by `generator check`)."""
    return {"today": today, "nomenclatures": None}


__all__ = ["CORRECTIONS_FILE", "Corrections", "apply", "check_corrections", "load_corrections"]
