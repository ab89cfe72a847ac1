"""Generated parts of editorial pages: the contributors' field reference and the toolkit table."""

from __future__ import annotations

from typing import Any

from generator.catalogue import Catalogue
from generator.jsonschema import schema_for
from generator.schema import Dispositif, Fiche, Model, Structure


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "anyOf" in prop:
        kinds = [_type(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        return " ou ".join(kinds)
    if "$ref" in prop:
        return "ensemble de clés : " + ", ".join(
            f"`{k}`" for k in defs[prop["$ref"].split("/")[-1]]["properties"]
        )
    kind = prop.get("type")
    if kind == "array":
        return "liste de " + _type(prop.get("items", {}), defs)
    names = {"string": "texte", "integer": "nombre entier", "number": "nombre", "boolean": "true ou false"}
    text = names.get(str(kind), str(kind))
    if prop.get("format") == "date":
        text = "date AAAA-MM-JJ"
    if "enum" in prop:
        values = prop["enum"]
        shown = ", ".join(f"`{v}`" for v in values[:20]) + (" …" if len(values) > 20 else "")
        text += f" parmi {shown}"
    return text


def _table(model: type[Model], nomenclatures: dict[str, list[str]]) -> str:
    schema = schema_for(model, nomenclatures)
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    rows = ["| Champ | Obligatoire | Type | Description |", "|---|---|---|---|"]
    for name, prop in schema["properties"].items():
        description = str(prop.get("description", "")).replace("|", "\\|")
        kind = _type(prop, defs).replace("|", "\\|")
        rows.append(f"| `{name}` | {'oui' if name in required else 'non'} | {kind} | {description} |")
    return "\n".join(rows)


def field_reference(catalogue: Catalogue | None = None) -> str:
    """Markdown tables of every field of fiches, dispositifs and structures, derived from the models."""
    noms = {
        n: [e.id for e in entries] for n, entries in (catalogue.nomenclatures if catalogue else {}).items()
    }
    parts = []
    for title, model in (
        ("Fiche action", Fiche),
        ("Dispositif de droit commun", Dispositif),
        ("Structure", Structure),
    ):
        parts.append(f"### {title}\n\n{_table(model, noms)}\n")
    return "\n".join(parts)


def outils_table(catalogue: Catalogue) -> str:
    """The toolkit: one row per tool of annexe 3, linking to its printable template or online form."""
    rows = ["| N° | Outil | À quoi il sert | Pour qui | Format |", "|---|---|---|---|---|"]
    outils = sorted(catalogue.outils.values(), key=lambda o: (o.numero is None, o.numero or 0, o.nom))
    for outil in outils:
        name = outil.nom
        if outil.page:
            name = f"[{outil.nom}](../{outil.page})"
        elif outil.formulaire:
            name = f"[{outil.nom}]({outil.formulaire})"
        cells = [str(outil.numero or "—"), name, outil.fonction, outil.utilisateurs, outil.format]
        rows.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
    return "\n".join(rows)
