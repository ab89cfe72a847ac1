"""JSON Schemas of the YAML files, derived from the models, for editors' completion and checking."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import yaml

from generator.data_inclusion.model import SCHEMAS as IMPORTED_SCHEMAS
from generator.schema import KINDS, ChiffresFile, Model, NomenclaturesFile, TerritoiresFile
from generator.synonyms import SynonymesFile

SCHEMA_FILES: dict[str, type[Model]] = {
    **{kind[:-1]: model for kind, model in KINDS.items()},
    "territoires": TerritoiresFile,
    "nomenclatures": NomenclaturesFile,
    "chiffres": ChiffresFile,
    "synonymes": SynonymesFile,
    **IMPORTED_SCHEMAS,
}


def _inject(node: Any, nomenclatures: dict[str, list[str]]) -> None:
    """Replace the `x-nomenclature` marker by the enum read from data/nomenclatures.yaml."""
    if isinstance(node, dict):
        name = node.pop("x-nomenclature", None)
        if name and name in nomenclatures:
            node["enum"] = nomenclatures[name]
        for value in node.values():
            _inject(value, nomenclatures)
    elif isinstance(node, list):
        for value in node:
            _inject(value, nomenclatures)


def schema_for(model: type[Model], nomenclatures: dict[str, list[str]]) -> dict[str, Any]:
    """The JSON Schema of one kind of file."""
    schema = model.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    _inject(schema, nomenclatures)
    return schema


def write_schemas(out: Path, data_dir: Path = Path("data")) -> list[Path]:
    """Write one `<kind>.schema.json` per kind of YAML file; returns the paths written."""
    raw = yaml.safe_load((data_dir / "nomenclatures.yaml").read_text(encoding="utf-8"))
    nomenclatures = {name: [str(e["id"]) for e in entries] for name, entries in raw.items()}
    out.mkdir(parents=True, exist_ok=True)
    written = []
    for name, model in SCHEMA_FILES.items():
        path = out / f"{name}.schema.json"
        text = (
            json.dumps(schema_for(model, nomenclatures), ensure_ascii=False, indent=2, sort_keys=True) + "\n"
        )
        path.write_text(text, encoding="utf-8")
        written.append(path)
    return written
