"""Write the imported files deterministically and atomically.

Each file is written to a temporary name in its folder, then renamed over the old one (`os.replace`): a
crash leaves every file either old or new, never half written. The order keeps the catalogue consistent at
every step: structures are written before the services that name them, services are removed before the
structures they named. A file whose content is unchanged keeps its bytes, its import date included.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import yaml

from generator.data_inclusion.model import CORRECTIONS_FILE

_Dumper: type[yaml.SafeDumper] = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
_IMPORTE_LE = re.compile(rb"^  importe_le: (\d{4}-\d{2}-\d{2})$", re.MULTILINE)
_TMP_SUFFIX = ".tmp"


def _represent_str(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value and value == value.strip(" ") and "\r" not in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


class SheetDumper(_Dumper):  # type: ignore[misc,valid-type]
    """YAML as editors write it: multi-line texts as blocks, no anchors (also `generator/sheet_writer.py`)."""

    def ignore_aliases(self, data: Any) -> bool:
        """A date shared by two keys is written twice, not as a YAML anchor."""
        return True


SheetDumper.add_representer(str, _represent_str)


def header(schema: str) -> str:
    """The first lines of an imported file: its JSON Schema for editors, and who writes it."""
    return (
        f"# yaml-language-server: $schema=../../../../schemas/{schema}.schema.json\n"
        "# Importé du flux data·inclusion (Licence Ouverte) par « python -m generator import-data-inclusion ».\n"
        f"# Ne pas modifier à la main : une correction locale va dans data/{CORRECTIONS_FILE.as_posix()}.\n"
    )


def dump(data: dict[str, Any], schema: str) -> bytes:
    """The bytes of one imported file (keys in the given order)."""
    body = yaml.dump(data, Dumper=SheetDumper, allow_unicode=True, sort_keys=False, width=100)
    return (header(schema) + body).encode("utf-8")


def write_atomic(path: Path, content: bytes) -> None:
    """Replace `path` by `content` in one rename; the data is on disk before the rename."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}{_TMP_SUFFIX}")
    with tmp.open("wb") as handle:
        handle.write(content)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def remove_leftovers(folder: Path) -> None:
    """Temporary files left by an interrupted import."""
    for path in folder.glob(f".*{_TMP_SUFFIX}"):
        path.unlink(missing_ok=True)


@dataclass
class Plan:
    """What one folder needs: files to write (new or changed), files to remove, files left as they are."""

    folder: Path
    writes: dict[Path, bytes] = field(default_factory=dict)
    added: list[Path] = field(default_factory=list)
    modified: list[Path] = field(default_factory=list)
    removed: list[Path] = field(default_factory=list)
    unchanged: int = 0


def plan_folder(folder: Path, wanted: dict[str, dict[str, Any]], schema: str, today: date) -> Plan:
    """Compare the wanted files (by id) with the folder: an unchanged file keeps its import date and bytes."""
    plan = Plan(folder)
    for slug, data in sorted(wanted.items()):
        path = folder / f"{slug}.yaml"
        try:
            existing: bytes | None = path.read_bytes()
        except FileNotFoundError:
            existing = None
        if existing is not None:
            found = _IMPORTE_LE.findall(existing)
            if found:  # the provenance block is the last one of the file
                previous = date.fromisoformat(found[-1].decode())
                same = dump({**data, "provenance": {**data["provenance"], "importe_le": previous}}, schema)
                if same == existing:
                    plan.unchanged += 1
                    continue
            plan.modified.append(path)
        else:
            plan.added.append(path)
        plan.writes[path] = dump(data, schema)
    if folder.is_dir():
        plan.removed = sorted(p for p in folder.glob("*.y*ml") if p.stem not in wanted)
    return plan


def apply_plans(structures: Plan, services: Plan) -> None:
    """Write and remove, in the order that keeps every intermediate catalogue consistent."""
    for plan in (structures, services):
        plan.folder.mkdir(parents=True, exist_ok=True)
        remove_leftovers(plan.folder)
    for plan in (structures, services):
        for path, content in plan.writes.items():
            write_atomic(path, content)
    for plan in (services, structures):
        for path in plan.removed:
            path.unlink(missing_ok=True)
