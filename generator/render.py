"""Render the catalogue and the editorial pages into a MkDocs docs folder (deterministic Markdown)."""

from __future__ import annotations

import shutil
from collections import defaultdict
from collections.abc import Callable, Iterable
from datetime import date
from pathlib import Path
from typing import Any

import jinja2

from generator import labels
from generator.catalogue import Catalogue
from generator.coverage import coverage
from generator.data_inclusion.page import nature_of, source_block
from generator.escape import Markdown, finalize, markdown, search_filter, text, url
from generator.front_matter import front_matter
from generator.listings import listing_front, paginate
from generator.periods import ORDRE, bandeau, etat_offre, periode_texte
from generator.schema import Dispositif, Fiche, Offre
from generator.territories import Summary, summary

TEMPLATES = Path(__file__).parent / "templates"
MARKER = "<!-- partaj:{} -->"


class Renderer:
    """Writes every page of the guide as Markdown under `docs`.

    Escaping is the templates' default: every `{{ … }}` goes through `escape.finalize`, which escapes it as
    text unless it is `Markdown` (what the generator built: contact lines, introductions, the front matter).
    Contributor Markdown is marked with the `markdown` filter, link targets with `url`.
    """

    def __init__(self, catalogue: Catalogue, docs: Path) -> None:
        self.cat = catalogue
        self.docs = docs
        self.env = jinja2.Environment(
            loader=jinja2.FileSystemLoader(TEMPLATES),
            # Jinja's autoescape is for HTML; `finalize` escapes every value for Markdown instead.
            autoescape=False,
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=True,
            undefined=jinja2.StrictUndefined,
            finalize=finalize,
        )
        self.env.filters.update(
            markdown=markdown,
            url=url,
            front_matter=front_matter,
            libelle=lambda value, name: catalogue.libelle(name, value),
            thematique=labels.thematique_label,
            territoire=self.territoire_nom,
            lookup=lambda value, table: table.get(value, value),
        )
        self.env.globals.update(
            cat=catalogue,
            types=labels.TYPES,
            frais=labels.FRAIS,
            modes_mobilisation=labels.MODES_MOBILISATION,
            mobilisateurs=labels.MOBILISATEURS,
            ages=self.pour_qui,
            nombre=lambda n: f"{n:,}".replace(",", "\u202f"),
            etat=lambda offre: etat_offre(offre, catalogue.today),
            periode_texte=periode_texte,
        )
        self.fiches = sorted(
            catalogue.fiches.values(),
            key=lambda f: (ORDRE[etat_offre(f, catalogue.today)], f.nom.casefold(), f.id),
        )
        self.dispositifs = sorted(catalogue.dispositifs.values(), key=lambda d: (d.nom.casefold(), d.id))
        self.fiches_par_dispositif: dict[str, list[Fiche]] = defaultdict(list)
        for fiche in self.fiches:
            for ref in fiche.dispositifs_lies:
                self.fiches_par_dispositif[ref].append(fiche)

    def territoire_nom(self, territoire_id: str) -> str:
        territoire = self.cat.territoires.get(territoire_id)
        return territoire.nom if territoire else territoire_id

    def pour_qui(self, offre: Offre) -> str:
        publics = ", ".join(labels.PUBLICS[p] for p in offre.publics)
        if offre.age_min is not None and offre.age_max is not None:
            return f"{publics}, {offre.age_min} à {offre.age_max} ans"
        if offre.age_min is not None:
            return f"{publics}, dès {offre.age_min} ans"
        if offre.age_max is not None:
            return f"{publics}, jusqu'à {offre.age_max} ans"
        return publics

    def write(self, relative: str, template: str, **context: Any) -> None:
        path = self.docs / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        depth = relative.count("/")
        context.setdefault("prefix", "../" * depth)
        path.write_text(self.env.get_template(template).render(**context), encoding="utf-8")

    def render_sheets(self, first: int = 0, parts: int = 1, count: int = 1) -> None:
        """The pages of the fiches and dispositifs whose rank modulo `parts` is in [first, first + count), so
        that processes can share them (in unequal shares: `render_docs`)."""
        sheets: list[tuple[Offre, str]] = [(f, "fiche") for f in self.fiches]
        sheets += [(d, "dispositif") for d in self.dispositifs]
        for rank, (offre, kind) in enumerate(sheets):
            if first <= rank % parts < first + count:
                self.render_offre(offre, kind)

    def render_pages(self, content_dir: Path, extra: dict[str, str]) -> None:
        """Every page except the sheets: editorial content, listings, search, coverage."""
        self.docs.mkdir(parents=True, exist_ok=True)
        self.copy_content(content_dir, extra)
        self.render_listings()
        self.render_search()
        self.render_coverage()

    def copy_content(self, content_dir: Path, extra: dict[str, str]) -> None:
        for path in sorted(content_dir.rglob("*")):
            target = self.docs / path.relative_to(content_dir)
            if path.is_dir():
                target.mkdir(parents=True, exist_ok=True)
            elif path.suffix == ".md":
                text = path.read_text(encoding="utf-8")
                for name, value in extra.items():
                    text = text.replace(MARKER.format(name), value)
                target.write_text(text, encoding="utf-8")
            else:
                shutil.copyfile(path, target)

    def filtres(self, offre: Offre, nature: str) -> dict[str, list[str]]:
        """The search filters of a sheet (in the front matter, a hidden element of the page lists them)."""
        territoires = offre.territoires or list(self.cat.territoires)
        filtres = {
            "nature": [nature],
            "territoire": [self.territoire_nom(t) for t in territoires],
            "thématique": sorted({labels.CATEGORIES[labels.categorie(t)] for t in offre.thematiques}),
            "public": [labels.PUBLICS[p] for p in offre.publics],
            "volet": [self.cat.libelle("volets", v) for v in offre.volet],
            "état": [etat_offre(offre, self.cat.today).libelle],
        }
        return {key: [search_filter(value) for value in values] for key, values in filtres.items()}

    def render_offre(self, offre: Offre, kind: str) -> None:
        nature = nature_of(offre, "Action locale" if kind == "fiche" else "Dispositif de droit commun")
        porteur = self.cat.structures[offre.porteur] if isinstance(offre, Fiche) else None
        territoires = (
            ", ".join(self.territoire_nom(t) for t in offre.territoires)
            if offre.territoires
            else "Tous les territoires (dispositif national)"
        )
        front = {
            "title": offre.nom,
            "description": _first_sentence(offre.description),
            "date_maj": offre.date_maj,
            "filtres": self.filtres(offre, nature),
        }
        self.write(
            f"{kind}s/{offre.id}.md",
            "offre.md.j2",
            front=front,
            o=offre,
            kind=kind,
            nature=nature,
            porteur=porteur,
            territoires=territoires,
            pour_qui=self.pour_qui(offre),
            contacts=self.contacts(offre, porteur),
            source=source_block(offre, porteur),
            correction=correction_link(offre, kind),
            bandeau=self.bandeau(offre),
            mobilisation=_mobilisation(offre.mobilisation_precisions),
            liees=[self.cat.dispositifs[d] for d in offre.dispositifs_lies],
            fiches_liees=self.fiches_par_dispositif.get(offre.id, [])
            if isinstance(offre, Dispositif)
            else [],
        )

    def bandeau(self, offre: Offre) -> tuple[str, str] | None:
        """The period banner of a fiche (a national dispositif has none)."""
        return bandeau(offre.periode, etat_offre(offre, self.cat.today)) if isinstance(offre, Fiche) else None

    def contacts(self, offre: Offre, porteur: Any) -> list[Markdown]:
        lines = []
        if offre.telephone:
            tel = url("tel:" + offre.telephone.replace(" ", ""))
            lines.append(Markdown("Téléphone : [{}]({})").format(offre.telephone, tel))
        if offre.courriel:
            lines.append(Markdown("Courriel : <{}>").format(url(offre.courriel)))
        if offre.lien_mobilisation:
            lines.append(Markdown("En ligne : <{}>").format(url(offre.lien_mobilisation)))
        if isinstance(offre, Fiche):
            if offre.adresse or offre.commune:
                where = (offre.adresse, offre.code_postal, offre.commune)
                lines.append(Markdown("Adresse : ") + Markdown(", ").join(x for x in where if x))
            if porteur is not None:
                lines.append(Markdown("Structure porteuse : ") + porteur.nom)
                if porteur.site_web:
                    lines.append(Markdown("Site de la structure : <{}>").format(url(porteur.site_web)))
                if porteur.telephone:
                    lines.append(Markdown("Téléphone de la structure : ") + porteur.telephone)
                if porteur.courriel:
                    lines.append(Markdown("Courriel de la structure : <{}>").format(url(porteur.courriel)))
        return lines

    def render_listings(self) -> None:
        self.write_listing(
            "fiches/index.md",
            "Toutes les actions locales",
            self.fiches,
            [],
            intro="Les actions menées par les partenaires des territoires, souvent des projets d'initiative locale.",
        )
        self.write_listing(
            "dispositifs/index.md",
            "Tous les dispositifs de droit commun",
            [],
            self.dispositifs,
            intro="Les dispositifs nationaux qu'une cellule technique locale peut proposer.",
        )
        territoires = [(t.id, t.nom, labels.TYPES_TERRITOIRE[t.type]) for t in self.cat.territoires.values()]
        self.group(
            "territoires",
            "Par territoire",
            "Territoire",
            [(tid, nom) for tid, nom, _ in territoires],
            lambda o: o.territoires or list(self.cat.territoires),
            "Les actions locales et les dispositifs mobilisables sur chaque territoire du plan.",
        )
        self.group(
            "thematiques",
            "Par thématique",
            "Thématique",
            list(labels.CATEGORIES.items()),
            lambda o: {labels.categorie(t) for t in o.thematiques},
            "Les thématiques de data·inclusion, le référentiel national de l'offre d'insertion.",
        )
        self.group(
            "publics",
            "Par public",
            "Public",
            list(labels.PUBLICS.items()),
            lambda o: o.publics,
            "Les publics visés, selon le référentiel data·inclusion.",
        )
        self.group(
            "volets",
            "Par volet",
            "Volet",
            self.cat.choices("volets"),
            lambda o: o.volet,
            "Prévention : agir avant que le décrochage ne s'installe. Réparation : le jeune a déjà quitté "
            "l'école ou la formation.",
        )

    def write_listing(
        self,
        relative: str,
        titre: str,
        fiches: list[Fiche],
        dispositifs: list[Dispositif],
        intro: str | Markdown = "",
        perimetre: Summary | None = None,
        proposer: str | None = None,
    ) -> None:
        """A listing at `relative`: its first local actions with the dispositifs and the introduction, the next
        ones on numbered pages (`generator/listings.py`), each with the same page navigation."""
        for number, page in enumerate(paginate(relative, fiches), 1):
            first = number == 1
            shown_dispositifs = dispositifs if first else []
            self.write(
                page.path,
                "liste.md.j2",
                front=listing_front(
                    titre if first else f"{titre} — page {number}", [*page.fiches, *shown_dispositifs]
                ),
                titre=titre if first else f"{titre} — page {number} sur {page.pager['total']}",
                intro=intro if first else "",
                perimetre=perimetre if first else None,
                proposer=proposer,
                fiches=page.fiches,
                nombre_fiches=len(fiches),
                dispositifs=shown_dispositifs,
                pages=page.pager or None,
            )

    def group(
        self,
        folder: str,
        titre: str,
        colonne: str,
        keys: list[tuple[str, str]],
        values_of: Callable[[Offre], Iterable[str]],
        intro: str,
    ) -> None:
        fiches: dict[str, list[Fiche]] = defaultdict(list)
        dispositifs: dict[str, list[Dispositif]] = defaultdict(list)
        for fiche in self.fiches:
            for key in values_of(fiche):
                fiches[key].append(fiche)
        for dispositif in self.dispositifs:
            for key in values_of(dispositif):
                dispositifs[key].append(dispositif)
        items = []
        for key, label in keys:
            if folder != "territoires" and not (fiches[key] or dispositifs[key]):
                continue
            items.append(
                {"id": key, "label": label, "fiches": len(fiches[key]), "dispositifs": len(dispositifs[key])}
            )
            self.write_listing(
                f"{folder}/{key}.md",
                label,
                fiches[key],
                dispositifs[key],
                intro=self.territory_intro(key) if folder == "territoires" else "",
                perimetre=self.perimeter(key) if folder == "territoires" else None,
                proposer=f"/contribuer/nouvelle?territoire={key}" if folder == "territoires" else None,
            )
        self.write(
            f"{folder}/index.md",
            "index_liste.md.j2",
            front=listing_front(titre, [*self.fiches, *self.dispositifs]),
            titre=titre,
            intro=intro,
            colonne=colonne,
            items=items,
            quelle_ctl=folder == "territoires" and self.cat.routing is not None,
        )

    def territory_intro(self, territoire_id: str) -> Markdown:
        territoire = self.cat.territoires[territoire_id]
        kind = labels.TYPES_TERRITOIRE[territoire.type]
        intro = text(f"{kind} du plan PARTAJ (départements : {', '.join(territoire.departements)}).")
        if territoire.description:
            intro = Markdown("{} {}").format(intro, markdown(territoire.description))
        for source in territoire.sources:
            cited = (
                Markdown("[{}]({})").format(source.titre, url(source.url))
                if source.url
                else text(source.titre)
            )
            intro = Markdown("{}\n\n*Source : {}.*").format(intro, cited)
        return intro

    def perimeter(self, territoire_id: str) -> Summary | None:
        if self.cat.routing is None or self.cat.places is None:
            return None
        return summary(self.cat.territoires[territoire_id], self.cat.routing, self.cat.places)

    def render_search(self) -> None:
        front = {
            "title": "Trouver une solution",
            "description": "Recherche dans les actions locales et les dispositifs, avec filtres.",
            "date_maj": max((o.date_maj for o in (*self.fiches, *self.dispositifs)), default=date.today()),
            "template": "recherche.html",
            "recherche": False,
            "hide": ["toc"],
        }
        self.write(
            "trouver-une-solution.md",
            "recherche.md.j2",
            front=front,
            nb_fiches=len(self.fiches),
            nb_dispositifs=len(self.dispositifs),
        )

    def render_coverage(self) -> None:
        self.write(
            "manques.md",
            "manques.md.j2",
            front=listing_front("Où sont les manques ?", self.fiches) | {"hide": ["toc"]},
            **coverage(self.fiches, self.cat.territoires.values(), self.cat.today),
        )


def correction_link(offre: Offre, kind: str) -> str | None:
    """Where a reader reports an error in a sheet: the backend's correction form, or, for a service imported
    from data·inclusion, its record at the producer's (corrected there, then imported again)."""
    provenance = getattr(offre, "provenance", None)
    if provenance is not None:
        return str(provenance.lien_source) if provenance.lien_source else None
    return f"/contribuer/correction/{offre.id}"


def _first_sentence(text: str) -> str:
    flat = " ".join(text.split())
    end = flat.find(". ")
    return flat[: end + 1] if 0 < end < 200 else flat[:200]


def _mobilisation(value: str | list[str] | None) -> Markdown | None:
    """« Comment le mobiliser »: a text is contributor Markdown; a list of steps becomes a numbered list."""
    if value is None or isinstance(value, str):
        return markdown(value) if value else None
    steps = [markdown(" ".join(step.split())) for step in value if step.strip()]
    return Markdown("\n").join(Markdown("{}. ").format(i) + step for i, step in enumerate(steps, 1))
