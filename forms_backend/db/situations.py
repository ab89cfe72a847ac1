"""All the queries of the backend, as functions taking the database explicitly.

They run in the threads of `database.Store` (one writer, a few readers), never on the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from forms_backend.db.migrations import LATEST_VERSION, MIGRATIONS
from forms_backend.errors import DatabaseError

T = TypeVar("T")
Item = TypeVar("Item")
Job = Callable[[Database], Any]

BUSY_TIMEOUT_MS = 5000
PREFIXES = {"rupture": "RUP", "orientation": "ORI", "saisie": "SAI"}
SITUATION_COLUMNS = (
    "nom",
    "prenom",
    "date_naissance",
    "sexe",
    "code_postal",
    "commune",
    "telephone",
    "courriel",
    "suivi_structure",
)


@dataclass(frozen=True)
class ReportTables:
    """Where one source's report goes: its table, its multi-valued field and the table holding its values."""

    table: str
    list_field: str
    list_table: str
    list_column: str
    renamed: tuple[tuple[str, str], ...] = ()


ORIENTATION_TABLES = ReportTables(
    "orientations",
    "besoins",
    "orientation_besoins",
    "besoin",
    renamed=(("statut", "statut_jeune"), ("situation", "description")),
)
# A situation entered by a coordinator (`saisie`) follows the referral form: same fields, same tables.
REPORT_TABLES = {
    "rupture": ReportTables("rapports_rupture", "motifs", "rupture_motifs", "motif"),
    "orientation": ORIENTATION_TABLES,
    "saisie": ORIENTATION_TABLES,
}


@dataclass(frozen=True)
class Receipt:
    """What the person who sent a report may see again: never personal data."""

    reference: str
    source: str
    territoire: str
    replayed: bool = False


def timestamp(now: datetime) -> str:
    """UTC timestamp as stored (ISO 8601, microseconds, `Z`): sorts as text."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def connect(path: Path, *, readonly: bool = False) -> Database:
    """Open the database with the pragmas every connection needs (WAL, synchronous=FULL, foreign keys)."""
    conn = sqlite3.connect(
        str(path), isolation_level=None, check_same_thread=not readonly, timeout=BUSY_TIMEOUT_MS / 1000
    )
    try:
        conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        if readonly:
            conn.execute("PRAGMA query_only = ON")
        else:
            conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
    except sqlite3.DatabaseError as exc:
        conn.close()
        raise damaged(path, str(exc)) from exc
    return Database(conn)


def damaged(path: Path, detail: str) -> DatabaseError:
    return DatabaseError(
        f"{path} : base de données endommagée ou qui n'est pas une base SQLite ({detail}). "
        "Le serveur ne démarre pas pour ne rien aggraver : restaurez la dernière sauvegarde "
        "(ou déplacez ce fichier) puis relancez."
    )


def quick_check(db: Database, path: Path) -> None:
    """Raise DatabaseError unless `PRAGMA quick_check` answers ok."""
    try:
        rows = [row[0] for row in db.execute("PRAGMA quick_check").fetchall()]
    except sqlite3.DatabaseError as exc:
        raise damaged(path, str(exc)) from exc
    if rows != ["ok"]:
        raise damaged(path, "; ".join(str(r) for r in rows[:5]))


def schema_version(db: Database) -> int:
    return int(db.execute("PRAGMA user_version").fetchone()[0])


def migrate(db: Database, path: Path) -> list[int]:
    """Apply the migrations not applied yet, each in its own transaction; return the versions applied."""
    current = schema_version(db)
    if current > LATEST_VERSION:
        raise DatabaseError(
            f"{path} : schéma en version {current}, plus récente que celle de ce logiciel "
            f"({LATEST_VERSION}) ; mettez le logiciel à jour"
        )
    applied = []
    for migration in MIGRATIONS:
        if migration.version <= current:
            continue
        db.execute("BEGIN IMMEDIATE")
        try:
            for statement in migration.statements:
                db.execute(statement)
            db.execute(f"PRAGMA user_version = {migration.version}")
            db.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
        applied.append(migration.version)
    return applied


def find_submission(db: Database, key: str) -> Receipt | None:
    """The receipt of a submission already stored under this key, if any."""
    row = db.execute(
        "SELECT reference, source, territoire FROM situations WHERE cle_envoi = ?",
        [key],
    ).fetchone()
    return Receipt(row[0], row[1], row[2], replayed=True) if row else None


def situation_id(db: Database, reference: str) -> int | None:
    """The id of the situation with this reference, if any."""
    row = db.execute("SELECT id FROM situations WHERE reference = ?", [reference]).fetchone()
    return int(row[0]) if row else None


@dataclass(frozen=True)
class NewReport:
    """A validated report waiting to be stored: its source, cleaned data, idempotency key, time and year."""

    source: str
    data: dict[str, Any]
    key: str
    now: datetime
    year: int


def _insert_many(db: Database, table: str, rows: list[dict[str, Any]], returning: str = "") -> list[Any]:
    """One multi-row INSERT; every row has the same keys, the backend's own column names (never user input)."""
    if not rows:
        return []
    columns = ", ".join(f"[{name}]" for name in rows[0])
    marks = ", ".join(["(" + ", ".join("?" * len(rows[0])) + ")"] * len(rows))
    sql = f"INSERT INTO [{table}] ({columns}) VALUES {marks}" + (
        f" RETURNING {returning}" if returning else ""
    )
    return db.conn.execute(sql, [value for row in rows for value in row.values()]).fetchall()


def _reserve_references(db: Database, reports: list[NewReport]) -> dict[str, str]:
    """Next references for these reports (key → reference), one statement per source and year."""
    groups: dict[tuple[str, int], list[NewReport]] = {}
    for report in reports:
        groups.setdefault((report.source, report.year), []).append(report)
    references = {}
    for (source, year), group in groups.items():
        prefix = PREFIXES[source]
        last = db.conn.execute(
            "INSERT INTO sequences (prefixe, annee, dernier) VALUES (?, ?, ?) ON CONFLICT (prefixe, annee) "
            "DO UPDATE SET dernier = dernier + excluded.dernier RETURNING dernier",
            [prefix, year, len(group)],
        ).fetchone()[0]
        for number, report in enumerate(group, start=last - len(group) + 1):
            references[report.key] = f"{prefix}-{year}-{number:06d}"
    return references


def insert_reports(db: Database, reports: list[NewReport]) -> list[Receipt]:
    """Store validated reports, each creating its situation (status `nouveau`); idempotent on each key.

    A handful of statements for the whole list: the writer hands over every report waiting at once.
    """
    keys = list(dict.fromkeys(r.key for r in reports))
    marks = ", ".join("?" * len(keys))
    sql = f"SELECT cle_envoi, reference, source, territoire FROM situations WHERE cle_envoi IN ({marks})"
    receipts = {row[0]: Receipt(row[1], row[2], row[3], replayed=True) for row in db.conn.execute(sql, keys)}
    new: list[NewReport] = []
    seen = set(receipts)
    for report in reports:
        if report.key not in seen:
            seen.add(report.key)
            new.append(report)
    references = _reserve_references(db, new)
    situations = []
    for report in new:
        stamp = timestamp(report.now)
        situation = {column: report.data.get(column) for column in SITUATION_COLUMNS}
        situation.update(
            cle_envoi=report.key,
            reference=references[report.key],
            source=report.source,
            territoire=report.data["territoire"],
            created_at=stamp,
            updated_at=stamp,
        )
        situations.append(situation)
    ids = dict(_insert_many(db, "situations", situations, returning="reference, id"))
    for source, tables in REPORT_TABLES.items():
        renamed = dict(tables.renamed)
        skipped = {*SITUATION_COLUMNS, "territoire", tables.list_field}
        details, values = [], []
        for report in (r for r in new if r.source == source):
            situation_id = ids[references[report.key]]
            row = {renamed.get(k, k): v for k, v in report.data.items() if k not in skipped}
            details.append({"situation_id": situation_id, **row})
            values += [
                {"situation_id": situation_id, tables.list_column: v} for v in report.data[tables.list_field]
            ]
        _insert_many(db, tables.table, details)
        _insert_many(db, tables.list_table, values)
    for report in new:
        receipts[report.key] = Receipt(references[report.key], report.source, report.data["territoire"])
    answers = []
    for report in reports:
        answers.append(receipts[report.key])
        # A second copy of the same submission in the list (a double click) is a replay of the first.
        receipts[report.key] = replace(receipts[report.key], replayed=True)
    return answers


def insert_report(
    db: Database, source: str, data: dict[str, Any], key: str, now: datetime, year: int
) -> Receipt:
    """Store one validated report (see `insert_reports`)."""
    return insert_reports(db, [NewReport(source, data, key, now, year)])[0]


def count_rows(db: Database, table: str) -> int:
    """Number of rows of one of the backend's tables."""
    if table not in db.table_names():
        raise ValueError(f"table inconnue : {table}")
    return int(db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])


def ping(db: Database) -> dict[str, Any]:
    """What the health check may show: schema version and journal mode, no personal data."""
    return {
        "schema": schema_version(db),
        "journal": str(db.execute("PRAGMA journal_mode").fetchone()[0]),
    }
