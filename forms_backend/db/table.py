"""Queries of the tracking table: what its filters show (one WHERE clause for the page, the counts, the exports
and the CTL agendas), its sort orders, the free search on folded names and references.

Every query takes the user's `scope` (None: every territory); a situation outside it is never shown.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from forms_backend.clock import timestamp
from forms_backend.db.connection import fetch_row
from forms_backend.db.migrations import FOLDED_LETTERS
from forms_backend.vocabulary import STATUTS

Scope = frozenset[str] | None

_FOLD = str.maketrans({letter: plain for plain, letters in FOLDED_LETTERS.items() for letter in letters})


def fold(text: str) -> str:
    """Lower case without accents, as the `situations.recherche` column stores names and references."""
    return text.lower().translate(_FOLD)


def search_words(recherche: str) -> list[str]:
    """The folded words of a free search, each to be found in the name, first name or reference."""
    text = unicodedata.normalize("NFC", recherche)
    return [fold(word) for word in text.split() if word][:5]


def default_order(tri: str) -> str:
    """Names, references and meeting dates read A → Z; reception and activity dates newest first."""
    return "asc" if tri in ("nom", "reference", "ctl") else "desc"


@dataclass(frozen=True)
class Filters:
    """What the tracking table shows: filters, free search, sort and page (the user's scope is added apart)."""

    statut: str = ""
    source: str = ""
    territoire: str = ""
    du: date | None = None
    au: date | None = None
    ctl: date | None = None
    recherche: str = ""
    tri: str = "recue"
    ordre: str = "desc"
    page: int = 1

    def query(self, **changes: Any) -> dict[str, str]:
        """The filters as query parameters (never the search term: it may be a name); empty ones left out."""
        shown = replace(self, **changes)
        pairs = {
            "statut": shown.statut,
            "source": shown.source,
            "territoire": shown.territoire,
            "du": shown.du.isoformat() if shown.du else "",
            "au": shown.au.isoformat() if shown.au else "",
            "ctl": shown.ctl.isoformat() if shown.ctl else "",
            "tri": "" if shown.tri == "recue" else shown.tri,
            "ordre": "" if shown.ordre == default_order(shown.tri) else shown.ordre,
            "page": "" if shown.page == 1 else str(shown.page),
        }
        return {k: v for k, v in pairs.items() if v}

    def described(self) -> dict[str, Any]:
        """The filters as the audit log records them: without the search term, only whether there was one."""
        details: dict[str, Any] = dict(self.query(page=1, tri="recue", ordre=default_order("recue")))
        if self.recherche:
            details["recherche"] = "oui (terme non journalisé)"
        return details


TABLE_COLUMNS = (
    "id",
    "reference",
    "source",
    "territoire",
    "statut",
    "nom",
    "prenom",
    "created_at",
    "updated_at",
    "prochaine_ctl",
    "sortie",
    "motif_sans_suite",
    "referent_nom",
)
_STATUS_ORDER = "CASE s.statut " + " ".join(f"WHEN '{s}' THEN {i}" for i, s in enumerate(STATUTS)) + " END"
ORDER_BY = {
    "recue": ("s.created_at {o}, s.id {o}"),
    "activite": ("s.updated_at {o}, s.id {o}"),
    "reference": ("s.reference {o}"),
    "statut": (_STATUS_ORDER + " {o}, s.created_at DESC, s.id DESC"),
    "territoire": ("s.territoire {o}, s.created_at DESC, s.id DESC"),
    "ctl": ("s.prochaine_ctl IS NULL, s.prochaine_ctl {o}, s.id {o}"),
    "nom": ("s.nom COLLATE NOCASE {o}, s.prenom COLLATE NOCASE {o}, s.id {o}"),
}


def _utc_bound(day: date, tz: ZoneInfo) -> str:
    """The stored timestamp of local midnight at the start of `day`."""
    return timestamp(datetime.combine(day, time(), tzinfo=tz))


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def where(scope: Scope, f: Filters, tz: ZoneInfo, *, with_statut: bool = True) -> tuple[str, list[Any]]:
    """The WHERE clause of what the table shows (alias `s`), and its parameters."""
    clauses: list[str] = []
    params: list[Any] = []
    if scope is not None:
        if scope:
            clauses.append(f"s.territoire IN ({', '.join('?' * len(scope))})")
            params += sorted(scope)
        else:
            clauses.append("0")
    for column, value in (("territoire", f.territoire), ("source", f.source)):
        if value:
            clauses.append(f"s.{column} = ?")
            params.append(value)
    if with_statut and f.statut:
        clauses.append("s.statut = ?")
        params.append(f.statut)
    if f.du:
        clauses.append("s.created_at >= ?")
        params.append(_utc_bound(f.du, tz))
    if f.au:
        clauses.append("s.created_at < ?")
        params.append(_utc_bound(f.au + timedelta(days=1), tz))
    if f.ctl:
        clauses.append("s.prochaine_ctl = ?")
        params.append(f.ctl.isoformat())
    words = search_words(f.recherche)
    if words:
        # The index holds the folded text: scanning it is far cheaper than recomputing every row's column.
        likes = " AND ".join(["recherche LIKE ? ESCAPE '\\'"] * len(words))
        clauses.append(f"s.id IN (SELECT id FROM situations INDEXED BY situations_recherche WHERE {likes})")
        params += [_like(word) for word in words]
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", params


def order_by(f: Filters) -> str:
    """The ORDER BY clause of a sort (fixed expressions; the direction is asc or desc only)."""
    return " ORDER BY " + ORDER_BY[f.tri].format(o="ASC" if f.ordre == "asc" else "DESC")


@dataclass(frozen=True)
class TablePage:
    """One page of the tracking table and the counts per status of the filtered situations."""

    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    counts: dict[str, int]


def table_page(db: Database, scope: Scope, f: Filters, tz: ZoneInfo, per_page: int) -> TablePage:
    """The situations the filters show, page `f.page` (a page past the end is the last one)."""
    clause, params = where(scope, f, tz, with_statut=False)
    counts = {statut: 0 for statut in STATUTS}
    for statut, number in db.execute(
        f"SELECT s.statut, count(*) FROM situations s{clause} GROUP BY s.statut", params
    ).fetchall():
        counts[statut] = int(number)
    total = counts.get(f.statut, 0) if f.statut else sum(counts.values())
    pages = max(1, -(-total // per_page))
    page = min(max(1, f.page), pages)
    clause, params = where(scope, f, tz)
    columns = ", ".join(f"s.{c}" for c in TABLE_COLUMNS)
    cursor = db.execute(
        f"SELECT {columns} FROM situations s{clause}{order_by(f)} LIMIT ? OFFSET ?",
        [*params, per_page, (page - 1) * per_page],
    )
    rows = [dict(zip(TABLE_COLUMNS, row, strict=True)) for row in cursor.fetchall()]
    return TablePage(rows, total, page, pages, counts)


@dataclass(frozen=True)
class AgendaItem:
    """One situation on a CTL meeting's agenda."""

    row: dict[str, Any]
    details: dict[str, Any]
    motifs: list[str]
    besoins: list[str]
    solutions: list[tuple[str, str]]
    last_note: str | None


def agenda(db: Database, scope: Scope, day: date) -> list[AgendaItem]:
    """The situations to examine at the CTL meeting of `day`, by territory then reference."""
    f = Filters(ctl=day)
    clause, params = where(scope, f, ZoneInfo("UTC"))
    cursor = db.execute(
        f"SELECT s.* FROM situations s{clause} ORDER BY s.territoire, s.reference LIMIT 500", params
    )
    names = [d[0] for d in cursor.description]
    items = []
    for values in cursor.fetchall():
        row = dict(zip(names, values, strict=True))
        sid = row["id"]
        details = (
            fetch_row(db, "SELECT * FROM rapports_rupture WHERE situation_id = ?", [sid])
            or fetch_row(db, "SELECT * FROM orientations WHERE situation_id = ?", [sid])
            or {}
        )
        motifs = [r[0] for r in db.execute("SELECT motif FROM rupture_motifs WHERE situation_id = ?", [sid])]
        besoins = [
            r[0] for r in db.execute("SELECT besoin FROM orientation_besoins WHERE situation_id = ?", [sid])
        ]
        solutions = [
            (r[0], r[1])
            for r in db.execute(
                "SELECT type, cible FROM situation_solutions WHERE situation_id = ? ORDER BY proposee_at",
                [sid],
            )
        ]
        note = db.execute(
            "SELECT texte FROM suivi_evenements WHERE situation_id = ? AND genre = 'note' ORDER BY id DESC LIMIT 1",
            [sid],
        ).fetchone()
        items.append(AgendaItem(row, details, motifs, besoins, solutions, note[0] if note else None))
    return items


def agenda_dates(db: Database, scope: Scope, since: date) -> list[tuple[str, int]]:
    """The coming CTL meetings (from `since`) with the number of situations each will examine."""
    clause, params = where(scope, Filters(), ZoneInfo("UTC"))
    clause = (clause + " AND " if clause else " WHERE ") + "s.prochaine_ctl >= ?"
    rows = db.execute(
        f"SELECT s.prochaine_ctl, count(*) FROM situations s{clause} GROUP BY s.prochaine_ctl "
        "ORDER BY s.prochaine_ctl LIMIT 60",
        [*params, since.isoformat()],
    ).fetchall()
    return [(str(r[0]), int(r[1])) for r in rows]


EXPORT_COLUMNS = (
    "s.reference",
    "s.source",
    "s.territoire",
    "s.statut",
    "s.sortie",
    "s.motif_sans_suite",
    "s.created_at",
    "s.updated_at",
    "s.prochaine_ctl",
    "s.nom",
    "s.prenom",
    "s.date_naissance",
    "s.sexe",
    "s.code_postal",
    "s.commune",
    "s.telephone",
    "s.courriel",
    "s.suivi_structure",
    "coalesce(r.niveau, o.niveau) AS niveau",
    "o.statut_jeune",
    "r.diplome_prepare",
    "r.secteur",
    "r.date_rupture",
    "r.cadre_rupture",
    "(SELECT group_concat(m.motif, '|') FROM rupture_motifs m WHERE m.situation_id = s.id) AS motifs",
    "(SELECT group_concat(b.besoin, '|') FROM orientation_besoins b WHERE b.situation_id = s.id) AS besoins",
    "(SELECT group_concat(x.type || ':' || x.cible, '|') FROM situation_solutions x "
    "WHERE x.situation_id = s.id) AS solutions",
    "s.referent_nom",
    "s.referent_structure",
    "s.referent_contrat_signe",
    "coalesce(r.motif_precision, o.description) AS texte",
)


def export_query(scope: Scope, f: Filters, tz: ZoneInfo) -> tuple[str, list[Any]]:
    """One SELECT of every situation the filters show (no paging), in the table's order, for the exports."""
    clause, params = where(scope, f, tz)
    sql = (
        f"SELECT {', '.join(EXPORT_COLUMNS)} FROM situations s "
        "LEFT JOIN rapports_rupture r ON r.situation_id = s.id "
        f"LEFT JOIN orientations o ON o.situation_id = s.id{clause}{order_by(f)}"
    )
    return sql, params
