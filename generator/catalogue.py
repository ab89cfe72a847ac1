"""Load the whole catalogue from `data/` (and check `content/`), returning every problem found at once."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from generator.checks import months_between, problem_at, show_loc, unknown_reference, validation_problems
from generator.errors import ContentError, Problem, Severity
from generator.loader import Document, parse_file
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
    problems: list[Problem] = field(default_factory=list)

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
        self.cat = Catalogue()
        self.docs: dict[tuple[str, str], Document] = {}

    @property
    def problems(self) -> list[Problem]:
        return self.cat.problems

    def context(self) -> dict[str, Any]:
        noms = {name: [e.id for e in entries] for name, entries in self.cat.nomenclatures.items()}
        return {"today": self.today, "nomenclatures": noms or None}

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

    def load_chiffres(self) -> None:
        path = self.data_dir / "chiffres.yaml"
        doc = parse_file(path, _shown(path), self.problems) if path.is_file() else None
        if doc and (parsed := self.validate(doc, ChiffresFile)):
            self.cat.chiffres = parsed

    def required(self, path: Path) -> Document | None:
        if not path.is_file():
            self.problems.append(Problem(_shown(path), 1, 1, "fichier manquant : il est obligatoire"))
            return None
        return parse_file(path, _shown(path), self.problems)

    def load_kind(self, kind: str) -> None:
        model = KINDS[kind]
        target: dict[str, Any] = getattr(self.cat, kind)
        for path in sorted((self.data_dir / kind).glob("*.y*ml")):
            doc = parse_file(path, _shown(path), self.problems)
            if doc is None:
                continue
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
        territoires = sorted(self.cat.territoires)
        dispositifs = sorted(self.cat.dispositifs)
        structures = sorted(self.cat.structures)
        for kind in ("dispositifs", "fiches", "structures"):
            for item_id, item in getattr(self.cat, kind).items():
                doc = self.docs[(kind, item_id)]
                for i, ref in enumerate(item.territoires):
                    if territoires and ref not in self.cat.territoires:
                        self.problems.append(
                            unknown_reference(doc, ("territoires", i), "territoire", ref, territoires)
                        )
                if isinstance(item, Offre):
                    self.check_offre(doc, item, dispositifs, structures)
        for item_id, fiche in self.cat.fiches.items():
            if item_id in self.cat.dispositifs:
                doc = self.docs[("fiches", item_id)]
                self.problems.append(
                    problem_at(doc, ("id",), f"« id » : « {item_id} » est déjà l'identifiant d'un dispositif")
                )
            if fiche.porteur not in self.cat.structures:
                doc = self.docs[("fiches", item_id)]
                self.problems.append(
                    unknown_reference(doc, ("porteur",), "structure", fiche.porteur, structures)
                )
        for item_id, outil in self.cat.outils.items():
            if outil.page and self.content_dir and not (self.content_dir / outil.page).is_file():
                doc = self.docs[("outils", item_id)]
                self.problems.append(
                    problem_at(
                        doc,
                        ("page",),
                        f"« page » : page « {outil.page} » introuvable dans {self.content_dir}",
                    )
                )

    def check_offre(self, doc: Document, item: Offre, dispositifs: list[str], structures: list[str]) -> None:
        for i, ref in enumerate(item.dispositifs_lies):
            if ref not in self.cat.dispositifs:
                self.problems.append(
                    unknown_reference(doc, ("dispositifs_lies", i), "dispositif", ref, dispositifs)
                )
        if item.age_min is not None and item.age_max is not None and item.age_min > item.age_max:
            self.problems.append(
                problem_at(
                    doc,
                    ("age_min",),
                    f"« age_min » : {item.age_min} est supérieur à « age_max » ({item.age_max}) ; "
                    "attendu age_min ≤ age_max",
                )
            )
        if isinstance(item, Fiche) and item.beneficiaires and item.beneficiaires.max is not None:
            low, high = item.beneficiaires.min, item.beneficiaires.max
            if low > high:
                self.problems.append(
                    problem_at(
                        doc,
                        ("beneficiaires", "min"),
                        f"« beneficiaires.min » : {low} est supérieur à « beneficiaires.max » ({high}) ; "
                        "attendu min ≤ max",
                    )
                )
        # An action that has ended has nobody left to contact: only live sheets must be reachable.
        if not self.reachable(item) and not (isinstance(item, Fiche) and not item.active):
            self.problems.append(
                problem_at(
                    doc,
                    (),
                    "aucun moyen de contact : renseignez telephone, courriel ou lien_mobilisation "
                    "(ou ceux de la structure porteuse)",
                    Severity.WARNING,
                )
            )

    def reachable(self, item: Offre) -> bool:
        if item.telephone or item.courriel or item.lien_mobilisation:
            return True
        if isinstance(item, Dispositif):
            return bool(item.lien_source)
        porteur = self.cat.structures.get(item.porteur) if isinstance(item, Fiche) else None
        return bool(porteur and (porteur.telephone or porteur.courriel or porteur.site_web))

    def check_content(self) -> None:
        from generator.content import check_pages

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
    loader.load_chiffres()
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
