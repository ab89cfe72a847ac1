"""Exports of the tracking table: `/coordination/export.csv|xlsx|ods` and `python -m forms_backend export`.

One code path for both: the same filters, the same columns (French headers, catalogue labels, dates as
JJ/MM/AAAA), the same writers (`spreadsheets`). Rows come from one SELECT on a read-only connection of the
export's own, read in chunks: constant memory, one consistent snapshot, and the readers of the app stay free.
The export is written to the audit log before its first byte goes out. The pseudonymised variant keeps the
reference (a pseudonym) and the categories, never a name, a contact or a free text.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from forms_backend.accounts.auth import back_office
from forms_backend.coordination import rules as tracking
from forms_backend.coordination import spreadsheets
from forms_backend.coordination.table import labels, params_of, read_filters, user_of
from forms_backend.db import audit
from forms_backend.db import situations as store
from forms_backend.db import tracking as tracking_store
from forms_backend.errors import BackendError
from forms_backend.public.forms import today_in
from forms_backend.services import services
from forms_backend.settings import Settings
from forms_backend.web.pages import error_page
from generator.catalogue import Catalogue

Writer = Callable[[list[str], Iterable[list[spreadsheets.Cell]]], Iterator[bytes]]
FORMATS: dict[str, tuple[str, Writer]] = {
    "csv": ("text/csv; charset=utf-8", spreadsheets.csv_chunks),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", spreadsheets.xlsx_chunks),
    "ods": ("application/vnd.oasis.opendocument.spreadsheet", spreadsheets.ods_chunks),
}
FETCH = 1000

# (header, column of tracking_store.EXPORT_COLUMNS, how to show it, personal: left out when pseudonymised)
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
    ("Date de rupture", "date_rupture", "jour", False),
    ("Cadre de la rupture", "cadre_rupture", "cadres_rupture", False),
    ("Motifs de rupture", "motifs", "motifs_rupture", False),
    ("Besoins repérés", "besoins", "besoins", False),
    ("Solutions proposées", "solutions", "solutions", False),
    ("Référent tuteur", "referent_nom", "texte", True),
    ("Structure du référent", "referent_structure", "texte", False),
    ("Contrat d'engagement signé le", "referent_contrat_signe", "jour", False),
    ("Présentation ou précisions", "texte", "texte", True),
)
NAMES = tuple(
    c.split(" AS ")[-1].removeprefix("s.").removeprefix("r.").removeprefix("o.")
    for c in tracking_store.EXPORT_COLUMNS
)
# Shown in the full export only as the exact values; the year and département are for the pseudonymised one.
FULL_ONLY_DERIVED = {"Année de naissance", "Département"}


@dataclass(frozen=True)
class Export:
    """What to export: format, whose territories (None: all), which filters, pseudonymised or not."""

    format: str
    scope: frozenset[str] | None
    filters: tracking.Filters
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
            day = datetime.fromisoformat(value).astimezone(self.tz).date()
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
    db = store.connect(db_path, readonly=True)
    try:
        sql, params = tracking_store.export_query(export.scope, export.filters, tz)
        cursor = db.conn.execute(sql, params)

        def rows() -> Iterator[list[spreadsheets.Cell]]:
            while batch := cursor.fetchmany(FETCH):
                for row in batch:
                    yield [convert(row[i]) for i, convert in converters]

        _, writer = FORMATS[export.format]
        yield from writer([c[0] for c in columns], rows())
    finally:
        db.close()


@back_office
async def export_page(request: Request) -> Response:
    """GET (filters in the query string) or POST (with a free search): the file, audited before it starts."""
    svc = services(request)
    user = user_of(request)
    fmt = str(request.path_params["format"])
    if fmt not in FORMATS:
        return error_page(request, 404)
    params = await params_of(request)
    filters, _, errors = read_filters(svc, user, params, search=request.method == "POST")
    if errors:
        await audit.log(request, "export", None, "refuse", {"format": fmt, "erreurs": sorted(errors)})
        return error_page(request, 400)
    export = Export(fmt, user.scope(), filters, (params.get("pseudonymise") or [""])[0] in ("1", "oui"))
    await audit.log(request, "export", None, "succes", export.details())
    media_type, _ = FORMATS[fmt]
    filename = export.filename(today_in(svc.settings.tz))
    return StreamingResponse(
        export_chunks(svc.settings.db_path, svc.catalogue, svc.settings.tz, export),
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )


def run_export(args: argparse.Namespace) -> int:
    """`export`: the same file as the web page, for every territory or one, audited (action export-cli)."""
    from forms_backend.app import load_forms_catalogue
    from forms_backend.cli.admin import opened

    settings = Settings.from_env()
    if args.db is not None:
        settings = settings.but(db_path=args.db)
    catalogue = load_forms_catalogue(settings)
    if args.territoire and args.territoire not in catalogue.territoires:
        known = ", ".join(catalogue.territoires)
        raise BackendError(f"territoire inconnu : {args.territoire} (attendu l'un de : {known})")
    filters = tracking.Filters(territoire=args.territoire or "", statut=args.statut or "")
    export = Export(args.format, None, filters, args.pseudonymise)
    details = {**export.details(), "destination": str(args.out) if args.out else "sortie standard"}
    with opened(settings) as db:
        db.submit(
            partial(
                audit.record,
                user_id=None,
                email=None,
                action="export-cli",
                target=None,
                result="succes",
                details=details,
                at=datetime.now(UTC),
            )
        ).result()
    chunks = export_chunks(settings.db_path, catalogue, settings.tz, export)
    size = 0
    if args.out:
        # The file holds personal data: readable by its owner only.
        fd = os.open(args.out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "wb") as out:
            for chunk in chunks:
                size += out.write(chunk)
        print(f"Export écrit : {args.out} ({size} octets).", file=sys.stderr)
    else:
        for chunk in chunks:
            size += sys.stdout.buffer.write(chunk)
        sys.stdout.buffer.flush()
    return 0


def register(commands: Any) -> None:
    """Add `export` to the main parser's sub-commands."""
    parser = commands.add_parser("export", help="exporte le tableau de suivi (CSV, XLSX ou ODS), journalisé")
    parser.add_argument("--format", required=True, choices=tuple(FORMATS), help="csv, xlsx ou ods")
    parser.add_argument("--territoire", metavar="ID", help="un seul territoire (défaut : tous)")
    parser.add_argument("--statut", choices=tracking.STATUTS, help="un seul statut (défaut : tous)")
    parser.add_argument(
        "--out", type=Path, metavar="FICHIER", help="fichier à écrire (défaut : sortie standard)"
    )
    parser.add_argument(
        "--pseudonymise", action="store_true", help="sans nom, contact ni texte libre (année, département)"
    )
    parser.add_argument("--db", type=Path, help="fichier SQLite (défaut : PARTAJ_DB ou var/partaj.db)")
    parser.set_defaults(run=run_export)
