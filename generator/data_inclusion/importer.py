"""The import itself: read the feed, validate, locate, filter, apply the local corrections, write the files.

Everything is read and decided before the first file is written: a feed that cannot be read changes nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from data_inclusion.schema import v1 as di
from pydantic import BaseModel, ValidationError

from generator.data_inclusion import convert
from generator.data_inclusion.corrections import apply, load_corrections, today_context
from generator.data_inclusion.errors import CorrectionsError
from generator.data_inclusion.locate import Location, load_locator
from generator.data_inclusion.model import (
    CORRECTIONS_FILE,
    SERVICES_DIR,
    STRUCTURES_DIR,
    ServiceImporte,
    StructureImportee,
)
from generator.data_inclusion.reader import read_records
from generator.data_inclusion.write import Plan, apply_plans, plan_folder
from generator.errors import Severity

MASQUE = "masqué par une correction locale"
HORS_PUBLICS = "publics hors du filtre --publics"
HORS_THEMATIQUES = "thématiques hors du filtre --thematiques"


@dataclass(frozen=True)
class Options:
    """What to import, from where, into which data folder."""

    services: Path
    structures: Path
    data_dir: Path
    departements: frozenset[str]
    publics: frozenset[str] | None
    thematiques: frozenset[str] | None
    today: date
    dry_run: bool = False


@dataclass
class Report:
    """The counts and the details printed at the end of an import."""

    lus: int = 0
    gardes: int = 0
    ajoutes: int = 0
    modifies: int = 0
    retires: int = 0
    rejets: list[tuple[str, str, str]] = field(default_factory=list)
    ecartes: Counter[str] = field(default_factory=Counter)
    retraits: list[str] = field(default_factory=list)
    par: Counter[str] = field(default_factory=Counter)

    def summary(self) -> str:
        """The last line printed: N lus, K gardés, A ajoutés, M modifiés, R retirés, E rejetés."""
        return (
            f"{self.lus} lus, {self.gardes} gardés, {self.ajoutes} ajoutés, {self.modifies} modifiés, "
            f"{self.retires} retirés, {len(self.rejets)} rejetés"
        )

    def details(self) -> list[str]:
        """One line per rejected record and removed file, then the counts of left-out services by reason."""
        lines = [f"rejeté : {source} / {ident} : {why}" for source, ident, why in self.rejets]
        lines += [f"retiré : {line}" for line in self.retraits]
        lines += [f"écarté : {n} {why}" for why, n in sorted(self.ecartes.items())]
        lines += [f"localisé par {how} : {n}" for how, n in sorted(self.par.items())]
        return lines

    def reject(self, record: Any, why: str) -> None:
        """Note a rejected record (a raw dict or a validated model) with its reason."""
        source = record.get("source") if isinstance(record, dict) else getattr(record, "source", None)
        ident = record.get("id") if isinstance(record, dict) else getattr(record, "id", None)
        self.rejets.append((str(source or "?"), str(ident or "?"), why))


def _guide_reason(data: dict[str, Any], model: type[BaseModel], today: date) -> str | None:
    try:
        model.model_validate(data, context=today_context(today))
    except ValidationError as exc:
        return f"refusé par le schéma du guide : {convert.reason(exc, model)}"
    return None


class _Import:
    def __init__(self, options: Options) -> None:
        self.o = options
        self.report = Report()
        self.locator = load_locator(options.data_dir, options.departements, options.today)
        shown = str(options.data_dir / CORRECTIONS_FILE)
        corrections = load_corrections(options.data_dir, shown, today_context(options.today))
        errors = [p for p in corrections.problems if p.severity is Severity.ERROR]
        if errors:
            raise CorrectionsError("\n".join(p.format() for p in errors))
        self.corrections = corrections.by_key
        self.candidates: dict[str, tuple[di.Service, Location]] = {}

    def read_services(self) -> None:
        for record in read_records(self.o.services):
            self.report.lus += 1
            service, why = convert.validate(record, di.Service)
            if why is not None:
                self.report.reject(record, why)
                continue
            if service.id in self.candidates:
                self.report.reject(record, "identifiant en double dans le fichier des services")
                continue
            self.consider(service)

    def consider(self, service: di.Service) -> None:
        where = self.locator.locate(
            service.code_insee, service.code_postal, service.commune, service.zone_eligibilite
        )
        if isinstance(where, str):
            self.report.ecartes[where] += 1
            return
        if not convert.matches(convert.values(service.publics), self.o.publics):
            self.report.ecartes[HORS_PUBLICS] += 1
            return
        if not convert.matches(convert.values(service.thematiques), self.o.thematiques):
            self.report.ecartes[HORS_THEMATIQUES] += 1
            return
        correction = self.corrections.get((service.source, service.id))
        if correction is not None and correction.masquer:
            self.report.ecartes[MASQUE] += 1
            return
        missing = convert.missing_for_guide(service)
        if missing:
            self.report.reject(service, missing)
            return
        self.candidates[service.id] = (service, where)

    def read_structures(self) -> tuple[dict[str, di.Structure], dict[str, str]]:
        needed = {service.structure_id for service, _ in self.candidates.values()}
        found: dict[str, di.Structure] = {}
        invalid: dict[str, str] = {}
        for record in read_records(self.o.structures):
            ident = record.get("id") if isinstance(record, dict) else None
            if ident not in needed or ident in found:
                continue
            structure, why = convert.validate(record, di.Structure)
            if why is not None:
                invalid[str(ident)] = why
            else:
                found[str(ident)] = structure
        return found, invalid

    def sheets(self) -> tuple[dict[str, dict[str, Any]], dict[str, dict[str, Any]]]:
        structures, invalid = self.read_structures()
        services_out: dict[str, dict[str, Any]] = {}
        structures_out: dict[str, dict[str, Any]] = {}
        today = self.o.today
        for feed_id in sorted(self.candidates):
            service, where = self.candidates[feed_id]
            structure = structures.get(service.structure_id)
            if structure is None:
                why = invalid.get(service.structure_id)
                message = (
                    f"structure {service.structure_id} {why}"
                    if why
                    else f"structure {service.structure_id} absente du fichier des structures"
                )
                self.report.reject(service, message)
                continue
            structure_data = convert.structure_sheet(structure, today)
            sheet = convert.service_sheet(service, where.territoires, structure_data["id"], today)
            sheet = apply(sheet, self.corrections.get((service.source, service.id)))
            why = _guide_reason(sheet, ServiceImporte, today)
            if (structure_why := _guide_reason(structure_data, StructureImportee, today)) is not None:
                why = f"structure {service.structure_id} {structure_why}"
            if why is None and sheet["id"] in services_out:
                why = f"même nom de fichier que {services_out[sheet['id']]['provenance']['id']}"
            if why is not None:
                self.report.reject(service, why)
                continue
            services_out[sheet["id"]] = sheet
            structures_out[structure_data["id"]] = structure_data
            self.report.par[where.par] += 1
        return services_out, structures_out

    def run(self) -> Report:
        self.read_services()
        services, structures = self.sheets()
        data = self.o.data_dir
        structures_plan = plan_folder(data / STRUCTURES_DIR, structures, "structure-importee", self.o.today)
        services_plan = plan_folder(data / SERVICES_DIR, services, "service-importe", self.o.today)
        self.count(services_plan, services)
        if not self.o.dry_run:
            apply_plans(structures_plan, services_plan)
        return self.report

    def count(self, plan: Plan, services: dict[str, dict[str, Any]]) -> None:
        report = self.report
        report.gardes = len(services)
        report.ajoutes, report.modifies, report.retires = (
            len(plan.added),
            len(plan.modified),
            len(plan.removed),
        )
        for path in plan.removed:
            report.retraits.append(f"{path} ({_origin(path)})")


def _origin(path: Path) -> str:
    """The feed id of a removed file, read from its provenance block, and why it goes."""
    text = path.read_text(encoding="utf-8", errors="replace")
    ident = next(
        (line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith("  id:")), "?"
    )
    return f"{ident} : absent du flux, hors filtres ou masqué"


def run_import(options: Options) -> Report:
    """Import the feed into `options.data_dir`; raises FeedError or CorrectionsError before writing anything."""
    return _Import(options).run()
