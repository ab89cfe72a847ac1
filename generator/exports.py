"""Machine-readable catalogue: catalogue.json / catalogue.csv, and data·inclusion v1 services/structures."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

from data_inclusion.schema import v1 as di

from generator.catalogue import Catalogue
from generator.data_inclusion.model import ServiceImporte, StructureImportee
from generator.labels import SOUS_THEMATIQUES
from generator.periods import etat_offre
from generator.schema import Fiche, Offre

SOURCE = "partaj"
CSV_COLUMNS = (
    "nature",
    "id",
    "nom",
    "type",
    "famille_solution",
    "volet",
    "thematiques",
    "publics",
    "territoires",
    "age_min",
    "age_max",
    "statuts",
    "niveaux",
    "prescripteurs",
    "porteur",
    "operateur",
    "telephone",
    "courriel",
    "lien_source",
    "lien_mobilisation",
    "etat",
    "exemple",
    "date_maj",
    "url",
)


def _entries(catalogue: Catalogue) -> list[tuple[str, Offre]]:
    items: list[tuple[str, Offre]] = [("dispositif", d) for _, d in sorted(catalogue.dispositifs.items())]
    items += [("fiche", f) for _, f in sorted(catalogue.fiches.items())]
    return items


def catalogue_records(catalogue: Catalogue) -> list[dict[str, Any]]:
    """One JSON-ready record per fiche and dispositif, with its state on the build date and its page URL."""
    return [
        {
            "nature": nature,
            **offre.model_dump(mode="json"),
            "etat": etat_offre(offre, catalogue.today).value,
            "url": f"{nature}s/{offre.id}/",
        }
        for nature, offre in _entries(catalogue)
    ]


def _csv_value(value: Any) -> str:
    if isinstance(value, list):
        return " | ".join(str(v) for v in value)
    if value is None:
        return ""
    return str(value).lower() if isinstance(value, bool) else str(value)


def _expand(thematiques: list[str]) -> list[str]:
    """data·inclusion only knows sub-themes: a category stands for all of its sub-themes."""
    out: list[str] = []
    for t in thematiques:
        out += [t] if "--" in t else [s for s in SOUS_THEMATIQUES if s.startswith(f"{t}--")]
    return sorted(set(out))


def service_record(fiche: Fiche) -> dict[str, Any]:
    """A fiche action as a data·inclusion v1 service."""
    return {
        "source": SOURCE,
        "structure_id": f"{SOURCE}--{fiche.porteur}",
        "id": f"{SOURCE}--{fiche.id}",
        "nom": fiche.nom,
        "description": fiche.description,
        "lien_source": fiche.lien_source,
        "date_maj": fiche.date_maj.isoformat(),
        "type": fiche.type,
        "thematiques": _expand(fiche.thematiques),
        "frais": fiche.frais,
        "frais_precisions": fiche.frais_precisions,
        "publics": sorted(fiche.publics),
        "publics_precisions": fiche.publics_precisions,
        "conditions_acces": fiche.conditions_acces,
        "commune": fiche.commune,
        "code_postal": fiche.code_postal,
        "adresse": fiche.adresse,
        "telephone": fiche.telephone,
        "courriel": fiche.courriel,
        "modes_accueil": sorted(fiche.modes_accueil) or None,
        "zone_eligibilite": fiche.zone_eligibilite or None,
        "lien_mobilisation": fiche.lien_mobilisation,
        "modes_mobilisation": sorted(fiche.modes_mobilisation) or None,
        "mobilisable_par": sorted(fiche.mobilisable_par) or None,
        "mobilisation_precisions": _steps_text(fiche.mobilisation_precisions),
    }


def write_exports(catalogue: Catalogue, out: Path) -> None:
    """Write catalogue.json, catalogue.csv, services.json and structures.json into the site folder."""
    records = catalogue_records(catalogue)
    (out / "catalogue.json").write_text(json.dumps(records, ensure_ascii=False, indent=1), encoding="utf-8")
    with (out / "catalogue.csv").open("w", encoding="utf-8-sig", newline="") as handle:
        writer = csv.writer(handle, delimiter=";")
        writer.writerow(CSV_COLUMNS)
        for record in records:
            writer.writerow([_csv_value(record.get(column)) for column in CSV_COLUMNS])
    services = [
        di.Service.model_validate(service_record(f)).model_dump(mode="json") for f in _fiches(catalogue)
    ]
    structures = [
        di.Structure.model_validate(
            {
                "source": SOURCE,
                "id": f"{SOURCE}--{s.id}",
                "nom": s.nom,
                "date_maj": s.date_maj.isoformat(),
                "description": s.description,
                "siret": s.siret,
                "site_web": s.site_web,
                "telephone": s.telephone,
                "courriel": s.courriel,
                "adresse": s.adresse,
                "code_postal": s.code_postal,
                "commune": s.commune,
            }
        ).model_dump(mode="json")
        for _, s in sorted(catalogue.structures.items())
        if not isinstance(s, StructureImportee)
    ]
    for name, payload in (("services.json", services), ("structures.json", structures)):
        (out / name).write_text(
            json.dumps(payload, ensure_ascii=False, indent=1, default=str), encoding="utf-8"
        )


def _fiches(catalogue: Catalogue) -> list[Fiche]:
    # Imported services are data·inclusion's already: the guide does not republish them as its own.
    return [
        f for _, f in sorted(catalogue.fiches.items()) if not f.exemple and not isinstance(f, ServiceImporte)
    ]


def _steps_text(value: str | list[str] | None) -> str | None:
    """data·inclusion takes one text: a list of steps becomes a numbered Markdown list."""
    if value is None or isinstance(value, str):
        return value
    return "\n".join(f"{i}. {' '.join(step.split())}" for i, step in enumerate(value, 1))
