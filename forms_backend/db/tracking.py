"""Queries of the tracking table: its page, a situation with its history, follow-up changes, the CTL agenda.

Functions take the database explicitly and run in `database.Store`'s threads. Every one takes the user's
`scope` (None: every territory): a situation outside it is not found, whatever its id. Every change updates
`situations.updated_at` (the retention period counts from it), appends a history event and an audit entry,
in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from forms_backend.coordination.rules import CLOSED, STATUTS, Filters, allowed_next, search_words
from forms_backend.db import audit
from forms_backend.db import situations as store
from forms_backend.errors import SituationNotFound, TrackingError

Scope = frozenset[str] | None

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


@dataclass(frozen=True)
class Actor:
    """Who makes a change: the account's id and e-mail (None for the command line)."""

    id: int | None
    email: str | None


def _utc_bound(day: date, tz: ZoneInfo) -> str:
    """The stored timestamp of local midnight at the start of `day`."""
    return store.timestamp(datetime.combine(day, time(), tzinfo=tz))


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


def _row(db: Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return {d[0]: value for d, value in zip(cursor.description, row, strict=True)}


def visible(db: Database, situation_id: int, scope: Scope) -> dict[str, Any]:
    """The situation's own row; SituationNotFound when it does not exist or is outside the scope."""
    row = _row(db, "SELECT * FROM situations WHERE id = ?", [situation_id])
    if row is None or (scope is not None and row["territoire"] not in scope):
        raise SituationNotFound(situation_id)
    return row


@dataclass(frozen=True)
class Situation:
    """Everything known about one situation: its row, its report, history and solutions."""

    row: dict[str, Any]
    rupture: dict[str, Any] | None
    orientation: dict[str, Any] | None
    motifs: list[str]
    besoins: list[str]
    events: list[dict[str, Any]]
    solutions: list[dict[str, Any]]


def situation(db: Database, situation_id: int, scope: Scope) -> Situation:
    """The whole situation; SituationNotFound outside the user's scope."""
    row = visible(db, situation_id, scope)
    rupture = _row(db, "SELECT * FROM rapports_rupture WHERE situation_id = ?", [situation_id])
    orientation = _row(db, "SELECT * FROM orientations WHERE situation_id = ?", [situation_id])
    motifs = [
        r[0]
        for r in db.execute(
            "SELECT motif FROM rupture_motifs WHERE situation_id = ? ORDER BY motif", [situation_id]
        )
    ]
    besoins = [
        r[0]
        for r in db.execute(
            "SELECT besoin FROM orientation_besoins WHERE situation_id = ? ORDER BY besoin", [situation_id]
        )
    ]
    cursor = db.execute("SELECT * FROM suivi_evenements WHERE situation_id = ? ORDER BY id", [situation_id])
    names = [d[0] for d in cursor.description]
    events = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    cursor = db.execute(
        "SELECT type, cible, proposee_at, auteur FROM situation_solutions WHERE situation_id = ? "
        "ORDER BY proposee_at, type, cible",
        [situation_id],
    )
    solutions = [dict(zip(("type", "cible", "proposee_at", "auteur"), r, strict=True)) for r in cursor]
    return Situation(row, rupture, orientation, motifs, besoins, events, solutions)


def _event(db: Database, situation_id: int, actor: Actor, now: datetime, genre: str, **values: Any) -> None:
    row = {"situation_id": situation_id, "at": store.timestamp(now), "auteur_id": actor.id}
    row.update(auteur=actor.email, genre=genre, **values)
    columns = ", ".join(row)
    db.execute(
        f"INSERT INTO suivi_evenements ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )


def _touch(db: Database, situation_id: int, now: datetime, **columns: Any) -> None:
    assignments = "".join(f", {name} = ?" for name in columns)
    db.execute(
        f"UPDATE situations SET updated_at = ?{assignments} WHERE id = ?",
        [store.timestamp(now), *columns.values(), situation_id],
    )


def _audit(db: Database, actor: Actor, action: str, reference: str, now: datetime, **details: Any) -> None:
    audit.record(
        db,
        user_id=actor.id,
        email=actor.email,
        action=action,
        target=reference,
        result="succes",
        details=details,
        at=now,
    )


def change_status(
    db: Database, situation_id: int, scope: Scope, actor: Actor, now: datetime, statut: str, issue: str | None
) -> None:
    """Move the situation along DOMAIN.md's chain (checked against its current status, in the transaction).

    Closing it (sortie, sans suite) records the outcome or reason and clears the next CTL meeting."""
    row = visible(db, situation_id, scope)
    old = row["statut"]
    if statut not in allowed_next(old):
        raise TrackingError("statut", f"passage impossible de {old} à {statut}")
    columns: dict[str, Any] = {"statut": statut}
    if statut == "sortie":
        columns.update(sortie=issue, motif_sans_suite=None)
    elif statut == "sans-suite":
        columns.update(motif_sans_suite=issue, sortie=None)
    if statut in CLOSED:
        columns["prochaine_ctl"] = None
    _touch(db, situation_id, now, **columns)
    _event(db, situation_id, actor, now, "statut", statut=statut, ancien_statut=old, issue=issue)
    details = {"ancien": old, "nouveau": statut, **({"issue": issue} if issue else {})}
    _audit(db, actor, "statut-change", row["reference"], now, **details)


def add_note(
    db: Database, situation_id: int, scope: Scope, actor: Actor, now: datetime, texte: str, day: str
) -> None:
    """A dated note of the fiche de suivi."""
    row = visible(db, situation_id, scope)
    _touch(db, situation_id, now)
    _event(db, situation_id, actor, now, "note", texte=texte, date_valeur=day)
    _audit(db, actor, "note-ajoutee", row["reference"], now)


def add_solution(
    db: Database, situation_id: int, scope: Scope, actor: Actor, now: datetime, kind: str, cible: str
) -> None:
    """Propose a dispositif or a fiche of the catalogue (the handler checked the id exists)."""
    row = visible(db, situation_id, scope)
    exists = db.execute(
        "SELECT 1 FROM situation_solutions WHERE situation_id = ? AND type = ? AND cible = ?",
        [situation_id, kind, cible],
    ).fetchone()
    if exists:
        raise TrackingError("solution", "déjà proposée")
    db.execute(
        "INSERT INTO situation_solutions (situation_id, type, cible, proposee_at, auteur) VALUES (?, ?, ?, ?, ?)",
        [situation_id, kind, cible, store.timestamp(now), actor.email],
    )
    _touch(db, situation_id, now)
    _event(db, situation_id, actor, now, "solution", solution_type=kind, solution_id=cible)
    _audit(db, actor, "solution-proposee", row["reference"], now, type=kind, id=cible)


def remove_solution(
    db: Database, situation_id: int, scope: Scope, actor: Actor, now: datetime, kind: str, cible: str
) -> None:
    """Withdraw a proposed solution (kept in the history)."""
    row = visible(db, situation_id, scope)
    deleted = db.execute(
        "DELETE FROM situation_solutions WHERE situation_id = ? AND type = ? AND cible = ?",
        [situation_id, kind, cible],
    ).rowcount
    if not deleted:
        raise TrackingError("solution", "pas proposée")
    _touch(db, situation_id, now)
    _event(db, situation_id, actor, now, "solution-retiree", solution_type=kind, solution_id=cible)
    _audit(db, actor, "solution-retiree", row["reference"], now, type=kind, id=cible)


def set_referent(
    db: Database,
    situation_id: int,
    scope: Scope,
    actor: Actor,
    now: datetime,
    nom: str | None,
    structure: str | None,
    signe: str | None,
) -> None:
    """Name, structure and contrat d'engagement date of the référent tuteur (all None: no référent)."""
    row = visible(db, situation_id, scope)
    _touch(
        db, situation_id, now, referent_nom=nom, referent_structure=structure, referent_contrat_signe=signe
    )
    _event(
        db,
        situation_id,
        actor,
        now,
        "referent",
        referent_nom=nom,
        referent_structure=structure,
        date_valeur=signe,
    )
    _audit(db, actor, "referent-modifie", row["reference"], now)


def set_next_ctl(
    db: Database, situation_id: int, scope: Scope, actor: Actor, now: datetime, day: str | None
) -> None:
    """The next CTL meeting that examines the situation (None: none planned)."""
    row = visible(db, situation_id, scope)
    _touch(db, situation_id, now, prochaine_ctl=day)
    _event(db, situation_id, actor, now, "ctl", date_valeur=day)
    _audit(db, actor, "ctl-planifiee", row["reference"], now, date=day or "")


def insert_saisie(db: Database, report: store.NewReport, actor: Actor) -> tuple[int, bool]:
    """Store a situation entered by a coordinator (source `saisie`); (id, replayed) — a double submission
    finds the situation the first one created."""
    receipt = store.insert_reports(db, [report])[0]
    situation_id = store.situation_id(db, receipt.reference)
    assert situation_id is not None
    if not receipt.replayed:
        _event(db, situation_id, actor, report.now, "creation", statut="nouveau")
        _audit(db, actor, "situation-saisie", receipt.reference, report.now, territoire=receipt.territoire)
    return situation_id, receipt.replayed


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
            _row(db, "SELECT * FROM rapports_rupture WHERE situation_id = ?", [sid])
            or _row(db, "SELECT * FROM orientations WHERE situation_id = ?", [sid])
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
