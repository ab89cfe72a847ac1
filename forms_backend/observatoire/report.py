"""The observatory's tables, built from the counts of `db.observatoire`: labels, percentages, the link of every
figure to the tracking table, a one-sentence summary and a chart each. Pure: the page and the exports read it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from markupsafe import Markup

from forms_backend.coordination.spreadsheets import Cell
from forms_backend.db.observatoire import PageCounts
from forms_backend.observatoire import charts
from forms_backend.observatoire.rules import (
    AGES,
    INACTIVITY,
    NON_RENSEIGNE,
    OUTCOME_STATUT,
    OUTCOMES,
    SANS_NOUVELLES,
    STEPS,
    Choice,
    jour,
    nombre,
    normalised,
    percentile,
    pourcentage,
    tableau,
)
from forms_backend.vocabulary import SOURCES, STATUTS
from generator.periods import mois

Raw = Cell


@dataclass(frozen=True)
class Value:
    """One figure: as shown, as exported, and the tracking table's address that lists what it counts."""

    text: str
    raw: Raw
    href: str = ""


@dataclass(frozen=True)
class Row:
    label: str
    values: tuple[Value, ...]
    total: bool = False


@dataclass(frozen=True)
class Figure:
    """One table of the page (and one export): its rows, a sentence for screen readers, a chart."""

    ident: str
    title: str
    note: str
    head: tuple[str, ...]
    rows: tuple[Row, ...]
    summary: str
    chart: Markup | None = None
    # False for what counts today's open situations, whatever the period.
    periode: bool = True

    def export_rows(self) -> list[list[Raw]]:
        return [[row.label, *(v.raw for v in row.values)] for row in self.rows]


def _count(n: int, href: str) -> Value:
    return Value(nombre(n), n, href)


def _share(n: int, total: int) -> Value:
    shown = pourcentage(n, total)
    return Value(shown, shown.replace("\u00a0%", "") if total else None)


def situations(n: int) -> str:
    return f"{nombre(n)} situation{'s' if n > 1 else ''}"


class Builder:
    """Builds the figures for one user's choice of period and territories."""

    def __init__(
        self, data: PageCounts, c: Choice, labels: Mapping[str, Mapping[str, str]], territoires: Sequence[str]
    ) -> None:
        self.data, self.c, self.labels = data, c, labels
        self.territoires = [t for t in territoires if not c.territoire or t == c.territoire]
        self.period = c.period

    def link(self, statut: str = "", source: str = "", du: date | None = None, au: date | None = None) -> str:
        return tableau(self.c.territoire, du or self.period.du, au or self.period.au, statut, source)

    def distribution(
        self,
        ident: str,
        title: str,
        note: str,
        dimension: str,
        categories: Sequence[tuple[str, str]],
        unit: str = "situations",
        link: Mapping[str, str] | None = None,
        source: str = "",
    ) -> Figure:
        """A table of one dimension: count, share and link of each category, then the total."""
        counts: dict[str, int] = {}
        for part in dimension.split("+"):
            for value, n in self.data.marginals[part].items():
                key = normalised(part, value)
                counts[key] = counts.get(key, 0) + n
        known = [key for key, _ in categories]
        extra = [(v, v) for v in sorted(counts) if v not in known]
        total = sum(counts.values())
        rows = []
        items = []
        for key, label in [*categories, *extra]:
            n = counts.get(key, 0)
            href = self.link(statut=(link or {}).get(key, ""), source=source)
            rows.append(Row(label, (_count(n, href), _share(n, total))))
            items.append((label, n, f"{nombre(n)} ({pourcentage(n, total)})"))
        rows.append(Row("Total", (_count(total, self.link(source=source)), _share(total, total)), total=True))
        summary = self.summary(title, items, total, unit)
        chart = charts.bars(f"graphique-{ident}", title, summary, items)
        return Figure(
            ident, title, note, ("Catégorie", unit.capitalize(), "Part"), tuple(rows), summary, chart
        )

    def summary(self, title: str, items: Sequence[tuple[str, int, str]], total: int, unit: str) -> str:
        if total == 0:
            return f"{title} : aucune situation sur la période ({self.period.label})."
        label, n, _ = max(items, key=lambda item: item[1])
        return (
            f"{title} : {nombre(total)} {unit} ({self.period.label}) ; la plus fréquente est « {label} », "
            f"{nombre(n)} ({pourcentage(n, total)})."
        )

    def months(self, months: Sequence[tuple[date, date]]) -> Figure:
        """Situations received by month and by source."""
        sources = list(SOURCES)
        grid = {(m, s): 0 for m in range(len(months)) for s in sources}
        grid.update(self.data.months)
        rows = []
        for m, (first, last) in enumerate(months):
            values = [_count(grid[(m, s)], self.link(source=s, du=first, au=last)) for s in sources]
            month_total = sum(grid[(m, s)] for s in sources)
            values.append(_count(month_total, self.link(du=first, au=last)))
            rows.append(Row(mois(first), tuple(values)))
        totals = [sum(grid[(m, s)] for m in range(len(months))) for s in sources]
        values = [_count(n, self.link(source=s)) for n, s in zip(totals, sources, strict=True)]
        rows.append(Row("Total", (*values, _count(sum(totals), self.link())), total=True))
        busiest = max(range(len(months)), key=lambda m: sum(grid[(m, s)] for s in sources), default=0)
        summary = (
            f"{situations(sum(totals))} reçues ({self.period.label}) : "
            + ", ".join(
                f"{SOURCES[s].label.lower()} {nombre(n)}" for n, s in zip(totals, sources, strict=True)
            )
            + (f" ; le mois le plus chargé est {mois(months[busiest][0])}." if sum(totals) else ".")
        )
        series = [(SOURCES[s].label, [grid[(m, s)] for m in range(len(months))]) for s in sources]
        short = [f"{first.month:02d}" for first, _ in months]
        chart = charts.columns(
            "graphique-recues-mois", "Situations reçues par mois (numéro du mois)", summary, short, series
        )
        head = ("Mois", *(SOURCES[s].label for s in sources), "Total")
        note = "Par mois de réception et par source (formulaire des CFA, orientation, saisie par la coordination)."
        return Figure(
            "recues-mois", "Situations reçues par mois et par source", note, head, tuple(rows), summary, chart
        )

    def territories(self) -> Figure:
        """Situations received in the period by territory and current status; the total row sums them."""
        counts = self.data.statuts
        names = self.labels.get("territoires", {})
        statut_labels = self.labels.get("statuts_situation", {})
        rows = []
        for t in self.territoires:
            values = [
                _count(counts.get((t, s), 0), tableau(t, self.period.du, self.period.au, s)) for s in STATUTS
            ]
            total = sum(counts.get((t, s), 0) for s in STATUTS)
            rows.append(
                Row(names.get(t, t), (*values, _count(total, tableau(t, self.period.du, self.period.au))))
            )
        sums = [sum(counts.get((t, s), 0) for t in self.territoires) for s in STATUTS]
        values = [_count(n, self.link(statut=s)) for n, s in zip(sums, STATUTS, strict=True)]
        rows.append(Row("Ensemble", (*values, _count(sum(sums), self.link())), total=True))
        summary = (
            f"{situations(sum(sums))} reçues ({self.period.label}) sur {len(self.territoires)} territoire(s) ; "
            f"{nombre(sums[STATUTS.index('sortie')])} sorties et "
            f"{nombre(sums[STATUTS.index('sans-suite')])} sans suite à ce jour."
        )
        head = ("Territoire", *(statut_labels.get(s, s) for s in STATUTS), "Total")
        note = "Situations reçues sur la période, par territoire et statut actuel. La ligne « Ensemble » est leur somme."
        return Figure("territoires-statuts", "Par territoire et par statut", note, head, tuple(rows), summary)

    def inactivity(self) -> Figure:
        """Open situations by days since their last activity."""
        assert self.data.inactivity is not None
        counts = self.data.inactivity.buckets
        total = sum(counts.values())
        href = tableau(self.c.territoire, None, None, tri="activite")
        items = [(label, counts.get(key, 0), nombre(counts.get(key, 0))) for key, label in INACTIVITY]
        rows = [Row(label, (_count(n, href), _share(n, total))) for label, n, _ in items]
        rows.append(
            Row("Total des situations ouvertes", (_count(total, href), _share(total, total)), total=True)
        )
        quiet = sum(counts.get(k, 0) for k in SANS_NOUVELLES)
        summary = (
            f"{situations(total)} ouvertes ; {nombre(quiet)} sans aucune activité depuis 30 jours ou plus "
            f"({pourcentage(quiet, total)})."
        )
        chart = charts.bars(
            "graphique-inactivite", "Dernière activité des situations ouvertes", summary, items
        )
        note = (
            "Toutes les situations ouvertes (ni sortie ni sans suite), quelle que soit leur date de réception, "
            "par nombre de jours depuis leur dernière activité. Le lien ouvre le tableau trié de la plus ancienne "
            "activité à la plus récente."
        )
        head = ("Dernière activité", "Situations ouvertes", "Part")
        return Figure(
            "inactivite",
            "Situations ouvertes par dernière activité",
            note,
            head,
            tuple(rows),
            summary,
            chart,
            False,
        )

    def sans_nouvelles(self, now: datetime) -> Figure:
        """The open situations without any activity for 30 days, oldest first."""
        assert self.data.inactivity is not None
        names = self.labels.get("territoires", {})
        statut_labels = self.labels.get("statuts_situation", {})
        rows = []
        for item in self.data.inactivity.sans_nouvelles:
            last = datetime.fromisoformat(str(item["updated_at"]).replace("Z", "+00:00"))
            days = (now - last).days
            href = f"/coordination/situations/{item['id']}"
            rows.append(
                Row(
                    str(item["reference"]),
                    (
                        Value(
                            names.get(item["territoire"], item["territoire"]), names.get(item["territoire"])
                        ),
                        Value(
                            statut_labels.get(item["statut"], item["statut"]),
                            statut_labels.get(item["statut"]),
                        ),
                        Value(jour(last.date()), jour(last.date())),
                        Value(nombre(days), days, href),
                    ),
                )
            )
        summary = (
            f"{situations(len(rows))} sans nouvelles depuis 30 jours ou plus, la plus ancienne en premier."
        )
        head = ("Référence", "Territoire", "Statut", "Dernière activité", "Jours sans nouvelles")
        note = "Les situations ouvertes sans aucune action depuis 30 jours (200 au plus) : à reprendre en priorité."
        return Figure(
            "sans-nouvelles", "Sans nouvelles depuis 30 jours", note, head, tuple(rows), summary, None, False
        )

    def delays(self) -> Figure:
        """Median and 90th percentile of whole days from reception to each step."""
        rows = []
        parts = []
        for step, label in STEPS:
            histogram = self.data.delays.get(step, {})
            n = sum(histogram.values())
            median, p90 = percentile(histogram, 0.5), percentile(histogram, 0.9)
            rows.append(
                Row(
                    label,
                    (
                        _count(n, self.link()),
                        Value("—" if median is None else f"{nombre(median)} j", median),
                        Value("—" if p90 is None else f"{nombre(p90)} j", p90),
                    ),
                )
            )
            if median is not None:
                parts.append(
                    f"{label[0].lower()}{label[1:]} : médiane {median} jours, 90e centile {p90} jours"
                )
        summary = (
            "Délais depuis la réception : " + (" ; ".join(parts) if parts else "aucune étape atteinte") + "."
        )
        note = (
            "Jours pleins depuis la réception, pour les situations reçues sur la période qui ont atteint l'étape "
            "(historique du suivi). Médiane et 90e centile au rang le plus proche : la moitié (90 %) des "
            "situations ont attendu autant ou moins."
        )
        head = ("Étape", "Situations", "Médiane", "90e centile")
        return Figure("delais", "Délais de traitement", note, head, tuple(rows), summary)


def figures(
    data: PageCounts,
    c: Choice,
    labels: Mapping[str, Mapping[str, str]],
    territoires: Sequence[str],
    months: Sequence[tuple[date, date]],
    now: datetime,
) -> dict[str, Figure]:
    """Every table of the page, by id, in the page's order."""
    b = Builder(data, c, labels, territoires)

    def listed(name: str, *extra: tuple[str, str]) -> list[tuple[str, str]]:
        return [*labels.get(name, {}).items(), *extra]

    built = [
        b.months(months),
        b.territories(),
        b.inactivity(),
        b.sans_nouvelles(now),
        b.distribution(
            "ages",
            "Âge à la réception",
            "Âge révolu à la date de réception ; une date de naissance "
            "réduite à l'année (situation anonymisée) compte en « âge inconnu ».",
            "age",
            AGES,
        ),
        b.distribution(
            "statut-jeune",
            "Situation à l'entrée : orientations et saisies",
            "Le statut du jeune déclaré par la structure qui oriente (ou par la coordination).",
            "statut_jeune",
            listed("statuts"),
        ),
        b.distribution(
            "situation-actuelle",
            "Situation à l'entrée : ruptures de contrat",
            "La situation du jeune déclarée par le CFA au signalement.",
            "situation_actuelle",
            listed("situations_actuelles"),
            source="rupture",
        ),
        b.distribution(
            "niveaux",
            "Niveau de formation",
            "Niveau du diplôme préparé (ruptures) ou atteint "
            "(orientations), nomenclature de 2019 et anciens niveaux.",
            "niveau_rupture+niveau_orientation",
            listed("niveaux"),
        ),
        b.distribution(
            "sexes",
            "Sexe",
            "Tel que déclaré au signalement ; facultatif.",
            "sexe",
            listed("sexes", NON_RENSEIGNE),
        ),
        b.distribution(
            "motifs",
            "Motifs de rupture",
            "Un signalement peut citer plusieurs motifs : le total compte des mentions, pas des jeunes.",
            "motif",
            listed("motifs_rupture"),
            unit="mentions",
            source="rupture",
        ),
        b.distribution(
            "cadres",
            "Cadre légal de la rupture",
            "Article du Code du travail invoqué.",
            "cadre_rupture",
            listed("cadres_rupture"),
            source="rupture",
        ),
        b.distribution(
            "sorties",
            "Sorties des situations closes",
            "Situations reçues sur la période et closes à ce jour, dans les catégories du bilan.",
            "issue",
            OUTCOMES,
            link=OUTCOME_STATUT,
        ),
        b.delays(),
    ]
    return {figure.ident: figure for figure in built}
