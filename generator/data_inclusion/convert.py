"""From a record of the feed to the files of the guide: validation with the official models (reasons in
French), the filters on publics and thématiques, and the sheet and structure written for a kept service."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from typing import Any

from data_inclusion.schema import v1 as di
from pydantic import BaseModel, ValidationError

from generator.checks import translate
from generator.data_inclusion.model import FLUX, slug_of

# The publics and thématiques kept by default: what the young people of a CTL need (see the README).
DEFAULT_PUBLICS = ("jeunes", "tous-publics", "demandeurs-emploi")
DEFAULT_THEMATIQUES = (
    "choisir-un-metier",
    "se-former",
    "trouver-un-emploi",
    "preparer-sa-candidature",
    "remobilisation",
    "mobilite",
    "logement-hebergement",
    "sante",
    "difficultes-financieres",
    "famille",
)
# The guide files every sheet under a family of solution: an imported service gets the family of its first
# category in this order (a local correction can change it), else « accompagnement ».
FAMILLE_PAR_CATEGORIE = (
    ("remobilisation", "remobilisation"),
    ("choisir-un-metier", "validation-projet"),
    ("trouver-un-emploi", "emploi"),
    ("preparer-sa-candidature", "emploi"),
    ("creer-une-entreprise", "emploi"),
    ("se-former", "formation-qualifiante"),
    ("lecture-ecriture-calcul", "formation-qualifiante"),
    ("logement-hebergement", "vie-quotidienne"),
    ("mobilite", "vie-quotidienne"),
    ("sante", "vie-quotidienne"),
    ("difficultes-financieres", "vie-quotidienne"),
    ("famille", "vie-quotidienne"),
    ("equipement-et-alimentation", "vie-quotidienne"),
    ("difficultes-administratives-ou-juridiques", "vie-quotidienne"),
)
_CONTEXT = {"ignore_warnings": True}


def reason(exc: ValidationError, model: type[BaseModel]) -> str:
    """The French reasons of a validation error, joined on one line."""
    messages = []
    for err in exc.errors(include_url=False):
        kind, found = err["type"], err.get("input")
        if kind == "enum":
            msg = f"valeur « {found} » inconnue du schéma data·inclusion"
        elif kind.startswith("url_"):
            msg = f"adresse web invalide « {found} »"
        elif kind == "value_error" and "email" in str(err["msg"]):
            msg = f"adresse électronique invalide « {found} »"
        else:
            msg = str(err["msg"]).removeprefix("Value error, ")
        # `choix` is a kind that `translate` prints as « name » : msg.
        err = {**err, "msg": msg, "type": "choix" if msg != err["msg"] else kind}
        messages.append(translate(err, model)[2])
    return " ; ".join(messages)


def validate(record: Any, model: type[BaseModel]) -> tuple[Any, str | None]:
    """(validated model, None) or (None, the reason in French) for one record of the feed."""
    if not isinstance(record, dict):
        return None, "enregistrement qui n'est pas un objet JSON"
    try:
        return model.model_validate(record, context=_CONTEXT), None
    except ValidationError as exc:
        return None, f"invalide selon data-inclusion-schema v1 : {reason(exc, model)}"


def matches(values: Iterable[str] | None, wanted: frozenset[str] | None) -> bool:
    """Whether a service's publics (or thématiques) meet a filter; a category matches its sub-themes."""
    if wanted is None:
        return True
    return any(v in wanted or v.split("--")[0] in wanted for v in values or ())


def famille(thematiques: Iterable[str]) -> str:
    """The family of solution of a service: that of its first category in `FAMILLE_PAR_CATEGORIE`."""
    categories = {t.split("--")[0] for t in thematiques}
    return next((f for c, f in FAMILLE_PAR_CATEGORIE if c in categories), "accompagnement")


def values(items: Iterable[Any] | None) -> list[str]:
    """The string values of a set of enums, sorted."""
    return sorted(str(getattr(i, "value", i)) for i in items or ())


def _text(value: Any) -> str | None:
    return str(value) if value is not None else None


def _clean(data: dict[str, Any]) -> dict[str, Any]:
    """Without empty values: the written file holds only what the feed gives."""
    return {k: v for k, v in data.items() if v not in (None, [], {}, "")}


def provenance(record: Any, today: date) -> dict[str, Any]:
    """The provenance block of an imported file."""
    return _clean(
        {
            "flux": FLUX,
            "source": record.source,
            "id": record.id,
            "structure_id": getattr(record, "structure_id", None),
            "lien_source": _text(record.lien_source),
            "date_maj": record.date_maj,
            "importe_le": today,
        }
    )


def service_sheet(
    service: di.Service, territoires: Iterable[str], porteur: str, today: date
) -> dict[str, Any]:
    """The sheet (ServiceImporte) of a validated, located service, field order as in the guide's sheets."""
    adresse = ", ".join(x for x in (service.adresse, service.complement_adresse) if x) or None
    thematiques = values(service.thematiques)
    return _clean(
        {
            "id": slug_of(service.id),
            "nom": service.nom,
            "description": service.description,
            "type": _text(getattr(service.type, "value", service.type)),
            "thematiques": thematiques,
            "publics": values(service.publics),
            "frais": _text(getattr(service.frais, "value", service.frais)),
            "frais_precisions": service.frais_precisions,
            "conditions_acces": service.conditions_acces,
            "publics_precisions": service.publics_precisions,
            "modes_accueil": values(service.modes_accueil),
            "modes_mobilisation": values(service.modes_mobilisation),
            "mobilisable_par": values(service.mobilisable_par),
            "mobilisation_precisions": service.mobilisation_precisions,
            "lien_mobilisation": _text(service.lien_mobilisation),
            "zone_eligibilite": list(service.zone_eligibilite or []),
            "telephone": service.telephone,
            "courriel": service.courriel,
            "lien_source": _text(service.lien_source),
            "date_maj": service.date_maj,
            "territoires": sorted(territoires),
            "famille_solution": famille(thematiques),
            "porteur": porteur,
            "adresse": adresse,
            "code_postal": service.code_postal,
            "commune": service.commune,
            "code_insee": service.code_insee,
            "horaires_accueil": service.horaires_accueil,
            "provenance": provenance(service, today),
        }
    )


def structure_sheet(structure: di.Structure, today: date) -> dict[str, Any]:
    """The structure file (StructureImportee) of a validated structure: its fields as the feed gives them."""
    return _clean(
        {
            "id": slug_of(structure.id),
            "nom": structure.nom,
            "description": structure.description,
            "siret": structure.siret,
            "site_web": _text(structure.site_web),
            "telephone": structure.telephone,
            "courriel": structure.courriel,
            "adresse": structure.adresse,
            "complement_adresse": structure.complement_adresse,
            "code_postal": structure.code_postal,
            "commune": structure.commune,
            "code_insee": structure.code_insee,
            "horaires_accueil": structure.horaires_accueil,
            "lien_source": _text(structure.lien_source),
            "date_maj": structure.date_maj,
            "provenance": provenance(structure, today),
        }
    )


def missing_for_guide(service: di.Service) -> str | None:
    """Why a valid service cannot be a sheet of the guide (which classes every sheet), or None."""
    missing = [name for name in ("type", "thematiques", "publics") if not getattr(service, name)]
    if missing:
        return f"champ(s) {', '.join(missing)} absent(s) : le guide classe chaque fiche par type, thématique et public"
    return None
