"""Load the whole catalogue from `data/` (and check `content/`), returning every problem found at once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator.checks import months_between, problem_at, show_loc, unknown_reference, validation_problems
from generator.content import check_pages
from generator.data_inclusion.corrections import check_corrections
from generator.data_inclusion.model import CORRECTIONS_FILE, IMPORTED_KINDS, ServiceImporte
from generator.errors import ContentError, Problem, ReferentialError, Severity
from generator.loader import Document, Loc, parse_file, parse_files
from generator.periods import Etat, check_periods, etat_offre
from generator.places import Places, load_places
from generator.schema import (
    KINDS,
    ChiffresFile,
    Dispositif,
    Entree,
    Fiche,
    Model,
    NomenclaturesFile,
    Offre,
    Outil,
    Structure,
    Territoire,
    TerritoiresFile,
)
from generator.synonyms import SynonymesFile, check_groups
from generator.territories import Routing, build_routing, check_perimeters

DEFAULT_FRESHNESS_MONTHS = 12


@dataclass
class Catalogue:
    """The validated catalogue, shared by the guide and the backend."""

    territoires: dict[str, Territoire] = field(default_factory=dict)
    nomenclatures: dict[str, list[Entree]] = field(default_factory=dict)
    dispositifs: dict[str, Dispositif] = field(default_factory=dict)
    fiches: dict[str, Fiche] = field(default_factory=dict)
    structures: dict[str, Structure] = field(default_factory=dict)
    outils: dict[str, Outil] = field(default_factory=dict)
    chiffres: ChiffresFile | None = None
    synonymes: SynonymesFile | None = None
    places: Places | None = None
    routing: Routing | None = None
    problems: list[Problem] = field(default_factory=list)
    # The reference date of the checks and of the states of the actions (the day of the build).
    today: date = field(default_factory=date.today)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.ERROR]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity is Severity.WARNING]

    def libelle(self, nomenclature: str, value: str) -> str:
        """Label of a nomenclature value (the id itself when unknown)."""
        for entry in self.nomenclatures.get(nomenclature, []):
            if entry.id == value:
                return entry.libelle
        return value

    def territory_of(self, insee: str) -> str | None:
        """Id of the territory of the commune `insee` by the perimeters, or None (see `territories.py`)."""
        return self.routing.territory_of(insee) if self.routing else None

    def choices(self, nomenclature: str) -> list[tuple[str, str]]:
        """(id, label) pairs of a nomenclature, in file order."""
        return [(e.id, e.libelle) for e in self.nomenclatures.get(nomenclature, [])]


def _shown(path: Path) -> str:
    try:
        return os.path.relpath(path)
    except ValueError:
        return str(path)


class _Loader:
    def __init__(self, data_dir: Path, content_dir: Path | None, today: date, freshness_months: int) -> None:
        self.data_dir = data_dir
        self.content_dir = content_dir
        self.today = today
        self.freshness = freshness_months
        self.cat = Catalogue(today=today)
        self.docs: dict[tuple[str, str], Document] = {}
        self.parsed: list[tuple[str, Document]] = []
        self._context: dict[str, Any] | None = None

    @property
    def problems(self) -> list[Problem]:
        return self.cat.problems

    def context(self) -> dict[str, Any]:
        """The validation context: today and the nomenclatures' identifiers (computed again once they are
        loaded, not for each of thousands of sheets)."""
        if self._context is None:
            noms = {name: [e.id for e in entries] for name, entries in self.cat.nomenclatures.items()}
            self._context = {"today": self.today, "nomenclatures": noms or None}
        return self._context

    def validate(self, doc: Document, model: type[Model]) -> Any:
        if not isinstance(doc.data, dict):
            self.problems.append(
                problem_at(doc, (), "ensemble de clés attendu (clé: valeur) au premier niveau")
            )
            return None
        try:
            return model.model_validate(doc.data, context=self.context())
        except ValidationError as exc:
            self.problems.extend(validation_problems(doc, exc, model))
            return None

    def load_nomenclatures(self) -> None:
        path = self.data_dir / "nomenclatures.yaml"
        doc = self.required(path)
        if doc and (parsed := self.validate(doc, NomenclaturesFile)):
            self.cat.nomenclatures = {name: getattr(parsed, name) for name in NomenclaturesFile.model_fields}
            self._context = None

    def load_territoires(self) -> None:
        doc = self.required(self.data_dir / "territoires.yaml")
        if not doc or not (parsed := self.validate(doc, TerritoiresFile)):
            return
        for i, territoire in enumerate(parsed.territoires):
            if territoire.id in self.cat.territoires:
                self.problems.append(
                    problem_at(doc, ("territoires", i, "id"), f"identifiant « {territoire.id} » en double")
                )
            self.cat.territoires[territoire.id] = territoire
            self.check_freshness(doc, ("territoires", i, "date_maj"), territoire.date_maj)
            if territoire.perimetre:
                loc = ("territoires", i, "perimetre", "date_maj")
                self.check_freshness(doc, loc, territoire.perimetre.date_maj)
        self.load_places(any(t.perimetre for t in parsed.territoires))
        if self.cat.places is not None:
            self.problems.extend(check_perimeters(doc, parsed.territoires, self.cat.places))
            self.cat.routing = build_routing(parsed.territoires, self.cat.places)

    def load_places(self, required: bool) -> None:
        """The communes referential beside the data (`communes.json`), required when a territory has a
        perimeter."""
        path = self.data_dir / "communes.json"
        if not path.is_file():
            if required:
                message = (
                    "fichier manquant : le référentiel des communes est obligatoire pour les « perimetre »"
                )
                self.problems.append(Problem(_shown(path), 1, 1, message))
            return
        try:
            self.cat.places = load_places(path)
        except ReferentialError as exc:
            self.problems.append(Problem(_shown(path), 1, 1, str(exc)))

    def load_chiffres(self) -> None:
        path = self.data_dir / "chiffres.yaml"
        doc = parse_file(path, _shown(path), self.problems) if path.is_file() else None
        if doc and (parsed := self.validate(doc, ChiffresFile)):
            self.cat.chiffres = parsed

    def load_synonymes(self) -> None:
        """The search's synonym list, optional: without it the guide is searched by its own words only."""
        path = self.data_dir / "synonymes.yaml"
        doc = parse_file(path, _shown(path), self.problems) if path.is_file() else None
        if doc and (parsed := self.validate(doc, SynonymesFile)):
            self.problems.extend(check_groups(doc, parsed))
            self.cat.synonymes = parsed

    def required(self, path: Path) -> Document | None:
        if not path.is_file():
            self.problems.append(Problem(_shown(path), 1, 1, "fichier manquant : il est obligatoire"))
            return None
        return parse_file(path, _shown(path), self.problems)

    def load_kind(self, kind: str, folder: Path | None = None, model: type[Model] | None = None) -> None:
        """The files of one kind, from `data/<kind>/` or from `folder` with another `model` (imported ones)."""
        model = model or KINDS[kind]
        target: dict[str, Any] = getattr(self.cat, kind)
        paths = sorted((folder or self.data_dir / kind).glob("*.y*ml"))
        for path, (doc, problems) in zip(paths, parse_files([(p, _shown(p)) for p in paths]), strict=True):
            self.problems.extend(problems)
            if doc is None:
                continue
            self.parsed.append((kind, doc))
            item = self.validate(doc, model)
            if item is None:
                continue
            if item.id != path.stem:
                self.problems.append(
                    problem_at(
                        doc,
                        ("id",),
                        f"« id » : « {item.id} » diffère du nom du fichier ; attendu « {path.stem} » "
                        "(renommez le fichier ou corrigez l'identifiant)",
                    )
                )
            if item.id in target:
                other = self.docs[(kind, item.id)].path
                self.problems.append(
                    problem_at(doc, ("id",), f"« id » : identifiant « {item.id} » déjà utilisé par {other}")
                )
                continue
            target[item.id] = item
            self.docs[(kind, item.id)] = doc
            self.check_freshness(doc, ("date_maj",), item.date_maj)

    def check_freshness(self, doc: Document, loc: tuple[str | int, ...], when: date) -> None:
        age = months_between(when, self.today)
        if age >= self.freshness:
            self.problems.append(
                problem_at(
                    doc,
                    loc,
                    f"« {show_loc(loc)} » : dernière vérification le {when:%d/%m/%Y}, il y a {age} mois "
                    f"(limite : {self.freshness} mois) ; vérifiez les informations puis mettez la date à jour",
                    Severity.WARNING,
                )
            )

    def cross_check(self) -> None:
        """References and ranges, read from the raw data so that files with other errors are checked too."""
        known = {
            "territoire": sorted(self.cat.territoires),
            "structure": sorted(self.cat.structures),
            "dispositif": sorted(self.cat.dispositifs),
        }
        fields = {"territoires": "territoire", "porteur": "structure", "dispositifs_lies": "dispositif"}
        for kind, doc in self.parsed:
            data = doc.data if isinstance(doc.data, dict) else {}
            for key, target in fields.items():
                values = data.get(key)
                refs = list(enumerate(values)) if isinstance(values, list) else [(None, values)]
                for i, ref in refs:
                    # Without a valid territory file every territory would look unknown: say it once, there.
                    skip = target == "territoire" and not known[target]
                    if isinstance(ref, str) and ref not in known[target] and not skip:
                        loc: tuple[str | int, ...] = (key,) if i is None else (key, i)
                        self.problems.append(unknown_reference(doc, loc, target, ref, known[target]))
            self.check_range(doc, data, ("age_min",), ("age_max",))
            beneficiaires = data.get("beneficiaires")
            if isinstance(beneficiaires, dict):
                self.check_range(doc, beneficiaires, ("beneficiaires", "min"), ("beneficiaires", "max"))
            if kind == "fiches" and data.get("id") in self.cat.dispositifs:
                message = f"« id » : « {data['id']} » est déjà l'identifiant d'un dispositif"
                self.problems.append(problem_at(doc, ("id",), message))
        for item_id, outil in self.cat.outils.items():
            if outil.page and self.content_dir and not (self.content_dir / outil.page).is_file():
                doc = self.docs[("outils", item_id)]
                message = f"« page » : page « {outil.page} » introuvable dans {self.content_dir}"
                self.problems.append(problem_at(doc, ("page",), message))
        for kind in ("dispositifs", "fiches"):
            for item_id, item in getattr(self.cat, kind).items():
                # An action that has ended has nobody left to contact: only live sheets must be reachable.
                ended = etat_offre(item, self.today) is Etat.TERMINEE
                if not self.reachable(item) and not ended:
                    self.problems.append(
                        problem_at(
                            self.docs[(kind, item_id)],
                            (),
                            "aucun moyen de contact : renseignez telephone, courriel ou lien_mobilisation "
                            "(ou ceux de la structure porteuse)",
                            Severity.WARNING,
                        )
                    )
        fiches = [(fiche, self.docs[("fiches", fiche_id)]) for fiche_id, fiche in self.cat.fiches.items()]
        self.problems.extend(check_periods(fiches, self.today))

    def check_range(self, doc: Document, data: dict[str, Any], low_loc: Loc, high_loc: Loc) -> None:
        low, high = data.get(str(low_loc[-1])), data.get(str(high_loc[-1]))
        if isinstance(low, int) and isinstance(high, int) and low > high:
            low_name, high_name = show_loc(low_loc), show_loc(high_loc)
            expected = f"{low_loc[-1]} ≤ {high_loc[-1]}" if len(low_loc) == 1 else "min ≤ max"
            message = f"« {low_name} » : {low} est supérieur à « {high_name} » ({high}) ; attendu {expected}"
            self.problems.append(problem_at(doc, low_loc, message))

    def reachable(self, item: Offre) -> bool:
        if item.telephone or item.courriel or item.lien_mobilisation:
            return True
        if isinstance(item, Dispositif):
            return bool(item.lien_source)
        porteur = self.cat.structures.get(item.porteur) if isinstance(item, Fiche) else None
        return bool(porteur and (porteur.telephone or porteur.courriel or porteur.site_web))

    def check_corrections(self) -> None:
        """The overrides of imported services (data/importes/data-inclusion-corrections.yaml), when present."""
        path = self.data_dir / CORRECTIONS_FILE
        imported = {
            (f.provenance.source, f.provenance.id)
            for f in self.cat.fiches.values()
            if isinstance(f, ServiceImporte)
        }
        self.problems.extend(check_corrections(self.data_dir, _shown(path), self.context(), imported))

    def check_content(self) -> None:
        if self.content_dir is not None:
            self.problems.extend(check_pages(self.content_dir, self.today, self.context()))


def load_catalogue(
    data_dir: Path,
    content_dir: Path | None = None,
    *,
    today: date | None = None,
    freshness_months: int = DEFAULT_FRESHNESS_MONTHS,
) -> Catalogue:
    """Load and check everything; the returned catalogue lists every problem (errors and warnings)."""
    loader = _Loader(data_dir, content_dir, today or date.today(), freshness_months)
    if not data_dir.is_dir():
        loader.problems.append(Problem(_shown(data_dir), 1, 1, "dossier de données introuvable"))
        return loader.cat
    loader.load_nomenclatures()
    loader.load_territoires()
    for kind in ("structures", "dispositifs", "fiches", "outils"):
        loader.load_kind(kind)
        for imported_kind, folder, model in IMPORTED_KINDS:
            if imported_kind == kind:
                loader.load_kind(kind, data_dir / folder, model)
    loader.load_chiffres()
    loader.load_synonymes()
    loader.check_corrections()
    loader.cross_check()
    loader.check_content()
    loader.cat.problems.sort()
    return loader.cat


def require_valid(catalogue: Catalogue, strict: bool = False) -> Catalogue:
    """Raise ContentError when the catalogue has errors (or warnings, when strict)."""
    fatal = catalogue.problems if strict else catalogue.errors
    if fatal:
        raise ContentError(fatal)
    return catalogue
