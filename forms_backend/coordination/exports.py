"""Exports of the tracking table, one code path for the web page and the `export` command.

The same filters, the same columns (French headers, catalogue labels, dates as JJ/MM/AAAA), the same writers
(`spreadsheets`). Rows come from one SELECT on a read-only connection of the export's own, read in chunks:
constant memory, one consistent snapshot, and the readers of the app stay free. Callers write the export to the
audit log before its first byte goes out. The pseudonymised variant keeps the reference (a pseudonym) and the
categories, never a name, a contact or a free text.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from forms_backend.clock import parse_timestamp
from forms_backend.coordination import spreadsheets
from forms_backend.coordination.rules import labels
from forms_backend.db import table as table_db
from forms_backend.db.connection import connect
from forms_backend.db.table import Filters
from generator.catalogue import Catalogue

Writer = Callable[[list[str], Iterable[list[spreadsheets.Cell]]], Iterator[bytes]]
FORMATS: dict[str, tuple[str, Writer]] = {
    "csv": ("text/csv; charset=utf-8", spreadsheets.csv_chunks),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", spreadsheets.xlsx_chunks),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", spreadsheets.ods_chunks),
}
FETCH = 1000

# (header, column of table_db.EXPORT_COLUMNS, how to show it, personal: left out when pseudonymised)
COLUMNS: tuple[tuple[str, str, str, bool], ...] = (
    ("Référence", "reference", "texte", False),
    ("Source", "source", "sources", False),
    ("Territoire", "territoire", "territoires", False),
    ("Statut", "statut", "statuts_situation", False),
    ("Issue de la sortie", "sortie", "sorties", False),
    ("Motif sans suite", "motif_sans_suite", "motifs_sans_suite", False),
    ("Reçue le", "created_at", "moment", False),
    ("Dernière activité", "updated_at", "moment", False),
    ("Prochaine CTL", "prochaine_ctl", "jour", False),
    ("Nom", "nom", "texte", True),
    ("Prénom", "prenom", "texte", True),
    ("Date de naissance", "date_naissance", "jour", True),
    ("Année de naissance", "date_naissance", "annee", False),
    ("Sexe", "sexe", "sexes", False),
    ("Code postal", "code_postal", "texte", True),
    ("Département", "code_postal", "departement", False),
    ("Commune", "commune", "texte", True),
    ("Téléphone", "telephone", "texte", True),
    ("Adresse électronique", "courriel", "texte", True),
    ("Suivi par une structure", "suivi_structure", "suivi_structures", False),
    ("Niveau de formation", "niveau", "niveaux", False),
    ("Statut du jeune", "statut_jeune", "statuts", False),
    ("Diplôme préparé", "diplome_prepare", "texte", True),
    ("Secteur", "secteur", "secteurs", False),
    ("Date de rupture", "date_rupture", "jour", True),
    ("Cadre de la rupture", "cadre_rupture", "cadres_rupture", False),
    ("Motifs de rupture", "motifs", "motifs_rupture", False),
    ("Besoins repérés", "besoins", "besoins", False),
    ("Solutions proposées", "solutions", "solutions", False),
    ("Référent tuteur", "referent_nom", "texte", True),
    ("Structure du référent", "referent_structure", "texte", True),
    ("Contrat d'engagement signé le", "referent_contrat_signe", "jour", False),
    ("Présentation ou précisions", "texte", "texte", True),
)
NAMES = tuple(
    c.split(" AS ")[-1].removeprefix("s.").removeprefix("r.").removeprefix("o.")
    for c in table_db.EXPORT_COLUMNS
)
# Shown in the full export only as the exact values; the year and département are for the pseudonymised one.
FULL_ONLY_DERIVED = {"Année de naissance", "Département"}


@dataclass(frozen=True)
class Export:
    """What to export: format, whose territories (None: all), which filters, pseudonymised or not."""

    format: str
    scope: frozenset[str] | None
    filters: Filters
    pseudonymise: bool

    def columns(self) -> list[tuple[str, str, str, bool]]:
        if self.pseudonymise:
            return [c for c in COLUMNS if not c[3]]
        return [c for c in COLUMNS if c[0] not in FULL_ONLY_DERIVED]

    def details(self) -> dict[str, Any]:
        """What the audit log records of this export."""
        shown = "oui" if self.pseudonymise else "non"
        return {"format": self.format, "pseudonymise": shown, **self.filters.described()}

    def filename(self, today: date) -> str:
        suffix = "-pseudonymise" if self.pseudonymise else ""
        return f"partaj-situations-{today.isoformat()}{suffix}.{self.format}"


Convert = Callable[[Any], spreadsheets.Cell]


class _Shown:
    """Turns stored values into cells: labels of the catalogue, dates, years, départements."""

    def __init__(self, catalogue: Catalogue, tz: ZoneInfo) -> None:
        self.labels = labels(catalogue)
        self.tz = tz
        self._days: dict[str, date] = {}

    def moment(self, value: Any) -> spreadsheets.Cell:
        """A stored UTC timestamp as its local date (cached per UTC hour: offsets change on the hour)."""
        if not value:
            return None
        hour = value[:13]
        day = self._days.get(hour)
        if day is None:
            day = parse_timestamp(value).astimezone(self.tz).date()
            self._days[hour] = day
        return day

    def converter(self, kind: str) -> Convert:
        """How one column's stored value becomes a cell."""
        if kind == "texte":
            return lambda v: v if v != "" else None
        if kind == "jour":
            return _day
        if kind == "moment":
            return self.moment
        if kind == "annee":
            return lambda v: int(v[:4]) if v and v[:4].isdigit() else None
        if kind == "departement":
            return lambda v: (v[:3] if v.startswith("97") else v[:2]) if v else None
        if kind == "solutions":
            return self._solutions
        table = self.labels.get(kind, {})

        def label(value: Any) -> spreadsheets.Cell:
            if not value:
                return None
            if "|" not in value:
                return str(table.get(value, value))
            return " ; ".join(table.get(v, v) for v in value.split("|"))

        return label

    def _solutions(self, value: Any) -> spreadsheets.Cell:
        if not value:
            return None
        shown = []
        for item in value.split("|"):
            nature, _, ident = item.partition(":")
            shown.append(self.labels.get(nature, {}).get(ident, ident))
        return " ; ".join(shown)


def _day(value: Any) -> spreadsheets.Cell:
    """An ISO date as a date; a year or year-month alone (anonymised) as text."""
    if not value:
        return None
    if len(value) == 10:
        try:
            return date.fromisoformat(value)
        except ValueError:
            return str(value)
    return str(value)


def export_chunks(db_path: Path, catalogue: Catalogue, tz: ZoneInfo, export: Export) -> Iterator[bytes]:
    """The file, chunk by chunk; the connection opens at the first chunk (in the thread that asks for it)."""
    columns = export.columns()
    shown = _Shown(catalogue, tz)
    converters = [(NAMES.index(source), shown.converter(kind)) for _, source, kind, _ in columns]
    db = connect(db_path, readonly=True)
    try:
        sql, params = table_db.export_query(export.scope, export.filters, tz)
        cursor = db.conn.execute(sql, params)

        def rows() -> Iterator[list[spreadsheets.Cell]]:
            while batch := cursor.fetchmany(FETCH):
                for row in batch:
                    yield [convert(row[i]) for i, convert in converters]

        _, writer = FORMATS[export.format]
        yield from writer([c[0] for c in columns], rows())
    finally:
        db.close()
