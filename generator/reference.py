"""Generated parts of editorial pages: the contributors' field reference and the toolkit table."""

from __future__ import annotations

from typing import Any

from generator.catalogue import Catalogue
from generator.escape import Markdown, code, text, url
from generator.jsonschema import schema_for
from generator.schema import Dispositif, Fiche, Model, Structure


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> Markdown:
    if "anyOf" in prop:
        kinds = [_type(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        return Markdown(" ou ").join(kinds)
    if "$ref" in prop:
        keys = defs[prop["$ref"].split("/")[-1]]["properties"]
        return Markdown("ensemble de clés : ") + Markdown(", ").join(code(k) for k in keys)
    kind = prop.get("type")
    if kind == "array":
        return Markdown("liste de ") + _type(prop.get("items", {}), defs)
    names = {"string": "texte", "integer": "nombre entier", "number": "nombre", "boolean": "true ou false"}
    shown = text("date AAAA-MM-JJ" if prop.get("format") == "date" else names.get(str(kind), str(kind)))
    if "enum" in prop:
        values = prop["enum"]
        listed = Markdown(", ").join(code(v) for v in values[:20])
        shown += Markdown(" parmi {}{}").format(listed, Markdown(" …") if len(values) > 20 else "")
    return shown


def _table(model: type[Model], nomenclatures: dict[str, list[str]]) -> Markdown:
    schema = schema_for(model, nomenclatures)
    defs = schema.get("$defs", {})
    required = set(schema.get("required", []))
    rows = [Markdown("| Champ | Obligatoire | Type | Description |\n|---|---|---|---|")]
    for name, prop in schema["properties"].items():
        rows.append(
            Markdown("| {} | {} | {} | {} |").format(
                code(name),
                "oui" if name in required else "non",
                _type(prop, defs),
                prop.get("description", ""),
            )
        )
    return Markdown("\n").join(rows)


def field_reference(catalogue: Catalogue | None = None) -> Markdown:
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
        parts.append(Markdown("### {}\n\n{}\n").format(title, _table(model, noms)))
    return Markdown("\n").join(parts)


def outils_table(catalogue: Catalogue) -> Markdown:
    """The toolkit: one row per tool of annexe 3, linking to its printable template or online form."""
    rows = [Markdown("| N° | Outil | À quoi il sert | Pour qui | Format |\n|---|---|---|---|---|")]
    outils = sorted(catalogue.outils.values(), key=lambda o: (o.numero is None, o.numero or 0, o.nom))
    for outil in outils:
        name = text(outil.nom)
        if outil.page:
            name = Markdown("[{}](../{})").format(outil.nom, url(outil.page))
        elif outil.formulaire:
            name = Markdown("[{}]({})").format(outil.nom, url(outil.formulaire))
        cells = (outil.numero or "—", name, outil.fonction, outil.utilisateurs, outil.format)
        rows.append(Markdown("| {} | {} | {} | {} | {} |").format(*cells))
    return Markdown("\n").join(rows)
