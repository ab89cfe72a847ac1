"""The OpenAPI 3.1 description of the CFA API, derived from the rupture form's fields (`Champ`): the same names,
lists, lengths and required fields as the form, so that the form and the API cannot drift apart."""

from __future__ import annotations

import json
from typing import Any

from forms_backend.cfa.reading import MAX_ROWS
from forms_backend.cfa.rows import SKIPPED
from forms_backend.vocabulary import CFA_STATUT_LABELS
from forms_backend.web.forms import Champ, Formulaire

EXAMPLE = {
    "nom": "Martin",
    "prenom": "Léa",
    "date_naissance": "2006-05-05",
    "code_postal": "62300",
    "commune": "Lens",
    "telephone": "06 12 34 56 78",
    "suivi_structure": "aucune",
    "cfa_nom": "CFA de démonstration",
    "diplome_prepare": "CAP Cuisine",
    "niveau": "3",
    "secteur": "hotellerie-restauration",
    "entreprise_nom": "Restaurant de démonstration",
    "date_debut_contrat": "2025-09-01",
    "date_fin_prevue": "2027-06-30",
    "date_rupture": "2026-10-15",
    "cadre_rupture": "commun-accord",
    "motifs": ["relation-employeur", "mobilite"],
    "situation_actuelle": "sans-solution",
    "declarant_nom": "Paul Durand",
    "declarant_courriel": "paul.durand@cfa.example.fr",
    "jeune_informe": True,
}


def _schema(champ: Champ) -> dict[str, Any]:
    schema: dict[str, Any] = {"title": champ.label}
    if champ.hint:
        schema["description"] = champ.hint
    if champ.kind == "checkbox":
        schema["type"] = "boolean"
        schema["description"] = "true : " + champ.label
    elif champ.kind == "checkboxes":
        schema.update(type="array", minItems=1 if champ.required else 0, uniqueItems=True)
        schema["items"] = {"type": "string", "enum": [value for value, _ in champ.choices]}
    elif champ.choices:
        schema.update(type="string", enum=[value for value, _ in champ.choices])
    elif champ.kind == "date":
        schema.update(type="string", format="date")
    else:
        schema.update(type="string", maxLength=champ.max_length)
        if champ.kind == "email":
            schema["format"] = "email"
    return schema


def report_schema(form: Formulaire) -> dict[str, Any]:
    """The JSON Schema of one report: the rupture form's fields."""
    champs = [c for c in form.champs if c.name not in SKIPPED]
    return {
        "type": "object",
        "additionalProperties": False,
        "properties": {c.name: _schema(c) for c in champs},
        "required": [c.name for c in champs if c.required or c.kind == "checkbox"],
    }


def _error(description: str) -> dict[str, Any]:
    content = {"type": "object", "properties": {"erreur": {"type": "string"}}}
    return {"description": description, "content": {"application/json": {"schema": content}}}


def describe(form: Formulaire, base_url: str) -> dict[str, Any]:
    """The whole OpenAPI document."""
    reference = {"type": "object", "properties": {"reference": {"type": "string"}}, "required": ["reference"]}
    body = {
        "oneOf": [
            {"$ref": "#/components/schemas/Rupture"},
            {
                "type": "array",
                "minItems": 1,
                "maxItems": MAX_ROWS,
                "items": {"$ref": "#/components/schemas/Rupture"},
            },
        ]
    }
    statut = {
        "type": "object",
        "additionalProperties": False,
        "properties": {
            "reference": {"type": "string"},
            "statut": {"type": "string", "enum": list(CFA_STATUT_LABELS.values())},
            "mis_a_jour": {"type": "string", "format": "date-time"},
        },
        "required": ["reference", "statut", "mis_a_jour"],
    }
    unauthorised = _error("Jeton absent, inconnu ou révoqué")
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PARTAJ — API des CFA",
            "version": "1",
            "description": (
                "Signaler des ruptures de contrat d'apprentissage depuis le logiciel de gestion d'un CFA, et "
                "suivre leur statut. Mêmes champs et mêmes règles que le formulaire /formulaires/rupture. "
                "`cfa_uai` vaut par défaut l'UAI du jeton ; un autre UAI est refusé."
            ),
        },
        "servers": [{"url": base_url.rstrip("/")}],
        "security": [{"jeton": []}],
        "components": {
            "securitySchemes": {"jeton": {"type": "http", "scheme": "bearer"}},
            "schemas": {"Rupture": report_schema(form), "Statut": statut},
        },
        "paths": {
            "/api/v1/ruptures": {
                "post": {
                    "summary": "Signaler une ou plusieurs ruptures",
                    "parameters": [
                        {
                            "name": "Idempotency-Key",
                            "in": "header",
                            "required": False,
                            "schema": {"type": "string", "maxLength": 200},
                        }
                    ],
                    "requestBody": {"required": True, "content": {"application/json": {"schema": body}}},
                    "responses": {
                        "201": {
                            "description": "Enregistré : la référence de chaque signalement (un objet ou une liste)",
                            "content": {
                                "application/json": {
                                    "schema": {"oneOf": [reference, {"type": "array", "items": reference}]}
                                }
                            },
                        },
                        "200": {
                            "description": "Déjà enregistré (même UAI, même apprenti, même date de rupture) : les références existantes"
                        },
                        "400": _error("JSON illisible ou en-tête Idempotency-Key invalide"),
                        "401": unauthorised,
                        "422": {"description": "Erreurs par champ, en français ; rien n'est enregistré"},
                        "429": _error("Trop de requêtes"),
                    },
                }
            },
            "/api/v1/ruptures/{reference}": {
                "get": {
                    "summary": "Statut d'un signalement de votre CFA",
                    "parameters": [
                        {"name": "reference", "in": "path", "required": True, "schema": {"type": "string"}}
                    ],
                    "responses": {
                        "200": {
                            "description": "Statut",
                            "content": {
                                "application/json": {"schema": {"$ref": "#/components/schemas/Statut"}}
                            },
                        },
                        "401": unauthorised,
                        "404": _error("Aucun signalement de votre CFA sous cette référence"),
                    },
                }
            },
        },
    }


def example_json(form: Formulaire) -> str:
    """A valid report to copy, with the form's field names only."""
    names = {c.name for c in form.champs}
    return json.dumps({k: v for k, v in EXAMPLE.items() if k in names}, ensure_ascii=False, indent=2)
