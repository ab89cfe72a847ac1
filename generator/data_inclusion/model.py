"""The schema of the imported files: a service of the feed as a sheet, its structure as the feed gives it, and
the local overrides file. The catalogue loads them like the other kinds (`IMPORTED_KINDS`)."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from pydantic import Field

from generator.fields import Email, PastDate, Slug, Url, as_list
from generator.schema import Fiche, Model, Structure

if TYPE_CHECKING:
    Volet = str
else:
    from generator.schema import Volet

FLUX = "data·inclusion"
# Paths relative to the data folder.
IMPORT_DIR = Path("importes") / "data-inclusion"
SERVICES_DIR = IMPORT_DIR / "services"
STRUCTURES_DIR = IMPORT_DIR / "structures"
CORRECTIONS_FILE = Path("importes") / "data-inclusion-corrections.yaml"


class Provenance(Model):
    """Where an imported file comes from: the feed's record and the day its current content was imported."""

    flux: Annotated[str, Field(description="Flux d'origine (data·inclusion)")] = FLUX
    source: Annotated[str, Field(min_length=1, description="Producteur de la donnée dans le flux (ex. dora)")]
    id: Annotated[str, Field(min_length=1, description="Identifiant de l'enregistrement dans le flux")]
    structure_id: Annotated[str | None, Field(description="Identifiant de la structure dans le flux")] = None
    lien_source: Annotated[Url | None, Field(description="Page de l'enregistrement chez le producteur")] = (
        None
    )
    date_maj: Annotated[date, Field(description="Date de mise à jour de l'enregistrement dans le flux")]
    importe_le: Annotated[date, Field(description="Date d'import du contenu actuel de ce fichier")]
    corrige: Annotated[
        bool,
        Field(description="true quand une correction locale (data-inclusion-corrections.yaml) s'applique"),
    ] = False


class ServiceImporte(Fiche):
    """A service of the data·inclusion feed, located in a territory; written by the import, never by hand."""

    description: Annotated[str, Field(min_length=5, description="Description du service, telle que publiée")]
    volet: Annotated[
        list[Volet], as_list(), Field(description="prevention et/ou reparation (souvent vide)")
    ] = []
    # The feed's numbers, as published: some are not French numbers (a platform, a short number).
    telephone: Annotated[str | None, Field(description="Téléphone, tel que publié")] = None
    code_insee: Annotated[str | None, Field(description="Code INSEE de la commune du lieu d'accueil")] = None
    horaires_accueil: Annotated[str | None, Field(description="Horaires (format OpenStreetMap)")] = None
    provenance: Annotated[Provenance, Field(description="Origine de la fiche dans le flux data·inclusion")]


class StructureImportee(Structure):
    """A structure of the data·inclusion feed, as the feed gives it (never completed)."""

    nom: Annotated[str, Field(min_length=2, max_length=150, description="Nom de la structure")]
    telephone: Annotated[str | None, Field(description="Téléphone, tel que publié")] = None
    complement_adresse: Annotated[str | None, Field(description="Complément d'adresse")] = None
    code_insee: Annotated[str | None, Field(description="Code INSEE de la commune")] = None
    horaires_accueil: Annotated[str | None, Field(description="Horaires (format OpenStreetMap)")] = None
    lien_source: Annotated[Url | None, Field(description="Page de la structure chez le producteur")] = None
    provenance: Annotated[
        Provenance, Field(description="Origine de la structure dans le flux data·inclusion")
    ]


# The fields of an imported sheet that a local correction may change (never its id, provenance or dates).
CORRIGEABLES = (
    "nom",
    "description",
    "type",
    "thematiques",
    "publics",
    "publics_precisions",
    "conditions_acces",
    "frais",
    "frais_precisions",
    "telephone",
    "courriel",
    "lien_mobilisation",
    "mobilisation_precisions",
    "adresse",
    "code_postal",
    "commune",
    "horaires_accueil",
    "territoires",
    "famille_solution",
    "volet",
    "age_min",
    "age_max",
    "statuts",
    "niveaux",
    "prescripteurs",
)


class Correction(Model):
    """A local correction of one imported service, or the order to hide it."""

    source: Annotated[str, Field(min_length=1, description="Producteur dans le flux (ex. dora)")]
    id: Annotated[str, Field(min_length=1, description="Identifiant du service dans le flux")]
    masquer: Annotated[bool, Field(description="true pour ne pas publier ce service dans le guide")] = False
    raison: Annotated[
        str, Field(min_length=5, description="Pourquoi cette correction (qui, quand, quelle source)")
    ]
    champs: Annotated[
        dict[str, Any],
        Field(description=f"Champs remplacés dans la fiche importée, parmi : {', '.join(CORRIGEABLES)}"),
    ] = {}
    contact: Annotated[
        Email | None, Field(description="Courriel de la personne qui a fait la correction")
    ] = None


class CorrectionsFile(Model):
    """data/importes/data-inclusion-corrections.yaml: local corrections of the imported services."""

    date_maj: Annotated[PastDate, Field(description="Date de dernière modification du fichier")]
    corrections: Annotated[
        list[Correction], Field(description="Une entrée par service corrigé ou masqué")
    ] = []


# (catalogue kind, folder under the data folder, model) of the imported files.
IMPORTED_KINDS: tuple[tuple[str, Path, type[Model]], ...] = (
    ("structures", STRUCTURES_DIR, StructureImportee),
    ("fiches", SERVICES_DIR, ServiceImporte),
)

SCHEMAS: dict[str, type[Model]] = {
    "service-importe": ServiceImporte,
    "structure-importee": StructureImportee,
    "data-inclusion-corrections": CorrectionsFile,
}


def slug_of(feed_id: str) -> Slug:
    """The file name (and sheet id) of a feed id: readable, stable, unique (a short hash when not lossless)."""
    ascii_id = unicodedata.normalize("NFKD", feed_id).encode("ascii", "ignore").decode().lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_id).strip("-")[:90].strip("-")
    if slug == feed_id and len(slug) >= 2:
        return slug
    digest = hashlib.blake2b(feed_id.encode("utf-8"), digest_size=4).hexdigest()
    return f"{slug}-{digest}" if slug else f"di-{digest}"
