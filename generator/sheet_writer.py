"""Writing a sheet (fiche, dispositif, structure) as a YAML file like the ones editors write, and checking it with
the whole catalogue before it is written: what the moderation of partners' proposals uses.

The file starts with its schema comment, keys come in the model's order, and every string is written by the safe
dumper (a value like `!!python/object` or `&ancre` is quoted text, never a tag or an anchor). `check_sheet` loads
the catalogue with the new file in place (a scratch folder of links to the real files) and returns the problems,
each with the top-level key it is about.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from generator.catalogue import load_catalogue
from generator.data_inclusion.write import SheetDumper, write_atomic
from generator.errors import Problem
from generator.loader import parse_text
from generator.schema import Dispositif, Fiche, Model, Structure

MODELS: dict[str, type[Model]] = {"fiches": Fiche, "dispositifs": Dispositif, "structures": Structure}
SCHEMAS = {"fiches": "fiche", "dispositifs": "dispositif", "structures": "structure"}


def ordered(folder: str, data: dict[str, Any]) -> dict[str, Any]:
    """The keys of `data` in the order of the model's fields (unknown keys last, as they came)."""
    fields = list(MODELS[folder].model_fields)
    known = {key: data[key] for key in fields if key in data and data[key] is not None}
    return known | {key: value for key, value in data.items() if key not in fields}


def dump_sheet(folder: str, data: dict[str, Any], comments: tuple[str, ...] = ()) -> str:
    """The text of one sheet file: schema comment, `comments` (one line each), keys in the model's order."""
    head = f"# yaml-language-server: $schema=../../schemas/{SCHEMAS[folder]}.schema.json\n"
    head += "".join(f"# {line.replace(chr(10), ' ')}\n" for line in comments)
    body = yaml.dump(
        ordered(folder, data), Dumper=SheetDumper, allow_unicode=True, sort_keys=False, width=110
    )
    return head + body


@dataclass(frozen=True)
class SheetProblem:
    """A problem of the checked file: the top-level key it is about ("" for the whole file) and its message."""

    field: str
    message: str


def _field_at(text: str, line: int) -> str:
    problems: list[Problem] = []
    doc = parse_text(text, "fiche", problems)
    if doc is None or not isinstance(doc.data, dict):
        return ""
    starts = sorted((doc.where((key,), key=True)[0], str(key)) for key in doc.data)
    found = ""
    for start, key in starts:
        if start <= line:
            found = key
    return found


def check_sheet(
    data_dir: Path, files: dict[tuple[str, str], str], today: date | None = None
) -> tuple[list[SheetProblem], list[str]]:
    """The problems the catalogue would have with `files` ((folder, id) → text) written in `data_dir`: those of
    these files (with their key) and, apart, the errors they would cause elsewhere."""
    with tempfile.TemporaryDirectory(prefix="partaj-proposition-") as tmp:
        scratch = Path(tmp) / "data"
        scratch.mkdir()
        folders = {folder for folder, _ in files}
        for entry in data_dir.iterdir():
            if entry.name not in folders:
                os.symlink(entry.resolve(), scratch / entry.name)
        for folder in folders:
            (scratch / folder).mkdir()
            if (data_dir / folder).is_dir():
                for entry in (data_dir / folder).iterdir():
                    os.symlink(entry.resolve(), scratch / folder / entry.name)
        for (folder, sheet_id), text in files.items():
            target = scratch / folder / f"{sheet_id}.yaml"
            if target.is_symlink():
                target.unlink()
            target.write_text(text, encoding="utf-8")
        catalogue = load_catalogue(scratch, today=today)
    own: list[SheetProblem] = []
    elsewhere: list[str] = []
    by_path = {f"{folder}/{sheet_id}.yaml": text for (folder, sheet_id), text in files.items()}
    for problem in catalogue.errors:
        path = problem.path.replace(os.sep, "/")
        match = next((p for p in by_path if path.endswith(p)), None)
        if match is None:
            elsewhere.append(problem.message)
        else:
            own.append(SheetProblem(_field_at(by_path[match], problem.line), problem.message))
    return own, elsewhere


def write_sheet(data_dir: Path, folder: str, sheet_id: str, text: str) -> Path:
    """Write the file atomically (a crash leaves the old file or the new one, never half of one)."""
    path = data_dir / folder / f"{sheet_id}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, text.encode("utf-8"))
    return path
