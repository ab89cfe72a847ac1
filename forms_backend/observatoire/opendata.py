"""The yearly aggregates published as open data: one CSV per table (territories × categories, counts only),
protected by `suppression` (small territories grouped, cells under 5 and enough others hidden).

Same counts as the page (`db.observatoire.gather`, every territory), same CSV as the exports (UTF-8 with BOM,
`;`): a hidden cell is written « < 5 » (under 5) or « secret » (hidden so that no « < 5 » can be recomputed).
No delays and no list of situations: only counts.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date

from forms_backend.coordination import spreadsheets
from forms_backend.db.observatoire import Crosstabs
from forms_backend.observatoire.rules import AGES, NON_RENSEIGNE, OUTCOMES, normalised
from forms_backend.observatoire.suppression import Published, group_small_rows, protect, table_of
from forms_backend.vocabulary import SOURCES, STATUTS
from generator.periods import mois

# file name → (title, dimension of `db.observatoire.DIMENSIONS`, nomenclature of its labels or None)
TABLES: tuple[tuple[str, str, str, str | None], ...] = (
    ("sources", "Situations reçues par source", "source", None),
    ("statuts", "Situations reçues par statut actuel", "statut", "statuts_situation"),
    ("ages", "Âge à la réception", "age", None),
    (
        "situation-entree-orientations",
        "Situation à l'entrée (orientations et saisies)",
        "statut_jeune",
        "statuts",
    ),
    (
        "situation-entree-ruptures",
        "Situation à l'entrée (ruptures)",
        "situation_actuelle",
        "situations_actuelles",
    ),
    ("niveaux", "Niveau de formation", "niveau_rupture+niveau_orientation", "niveaux"),
    ("sexes", "Sexe", "sexe", "sexes"),
    ("motifs-rupture", "Motifs de rupture (mentions)", "motif", "motifs_rupture"),
    ("cadres-rupture", "Cadre légal de la rupture", "cadre_rupture", "cadres_rupture"),
    ("sorties", "Sorties des situations closes", "issue", None),
)


@dataclass(frozen=True)
class Aggregate:
    """One published file: its name, its title, and the protected table."""

    name: str
    title: str
    published: Published

    def header(self) -> list[str]:
        return ["Territoire", *self.published.table.columns, "Total"]

    def rows(self) -> list[list[spreadsheets.Cell]]:
        labels = [*self.published.table.rows, "Ensemble"]
        return [[label, *cells] for label, cells in zip(labels, self.published.rows(), strict=True)]

    def csv(self) -> bytes:
        return b"".join(spreadsheets.csv_chunks(self.header(), self.rows()))


def _categories(
    name: str, dimension: str, nomenclature: str | None, labels: Mapping[str, Mapping[str, str]]
) -> list[tuple[str, str]]:
    if dimension == "source":
        return [(key, source.label) for key, source in SOURCES.items()]
    if dimension == "statut":
        return [(s, labels.get("statuts_situation", {}).get(s, s)) for s in STATUTS]
    if dimension == "age":
        return list(AGES)
    if dimension == "issue":
        return list(OUTCOMES)
    found = list(labels.get(nomenclature or "", {}).items())
    return [*found, NON_RENSEIGNE] if dimension == "sexe" else found


def aggregates(
    data: Crosstabs,
    labels: Mapping[str, Mapping[str, str]],
    territoires: Sequence[tuple[str, str]],
    months: Sequence[tuple[date, date]],
) -> Iterator[Aggregate]:
    """Every published table, protected, in the order of `TABLES`, then the months."""
    for name, title, dimension, nomenclature in TABLES:
        categories = _categories(name, dimension, nomenclature, labels)
        rows: dict[str, list[int]] = {}
        for ident, nom in territoires:
            values = {key: 0 for key, _ in categories}
            for part in dimension.split("+"):
                for (territoire, value), n in data.crosstabs[part].items():
                    if territoire == ident:
                        key = normalised(part, value)
                        values[key] = values.get(key, 0) + n
            rows[nom] = [values.get(key, 0) for key, _ in categories]
        table = table_of(group_small_rows(rows), [label for _, label in categories])
        yield Aggregate(name, title, protect(table))
    month_rows = {
        nom: [
            sum(n for (t, m, _), n in data.months.items() if t == ident and m == i)
            for i in range(len(months))
        ]
        for ident, nom in territoires
    }
    table = table_of(group_small_rows(month_rows), [mois(first) for first, _ in months])
    yield Aggregate("mois", "Situations reçues par mois", protect(table))
