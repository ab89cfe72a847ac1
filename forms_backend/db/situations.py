"""Storing what the public forms and the manual entry send: one situation per report, its details, its
reference; idempotent on the submission's key. Functions take the database and run in `Store`'s threads.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from forms_backend.clock import timestamp
from forms_backend.vocabulary import INITIAL_STATUT, SOURCES, reference

SITUATION_COLUMNS = (
    "nom",
    "prenom",
    "date_naissance",
    "sexe",
    "code_postal",
    "commune",
    "commune_insee",
    "territoire_commune",
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
        last = db.conn.execute(
            "INSERT INTO sequences (prefixe, annee, dernier) VALUES (?, ?, ?) ON CONFLICT (prefixe, annee) "
            "DO UPDATE SET dernier = dernier + excluded.dernier RETURNING dernier",
            [SOURCES[source].prefix, year, len(group)],
        ).fetchone()[0]
        for number, report in enumerate(group, start=last - len(group) + 1):
            references[report.key] = reference(source, year, number)
    return references


def insert_reports(db: Database, reports: list[NewReport]) -> list[Receipt]:
    """Store validated reports, each creating its situation (the initial status); idempotent on each key.

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
            statut=INITIAL_STATUT,
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


def has_unlocated(db: Database) -> bool:
    """Whether some situation still waits for migration 7's data step (none in a new database)."""
    return db.execute("SELECT 1 FROM situations WHERE commune_insee IS NULL LIMIT 1").fetchone() is not None


def fill_communes(db: Database, locate: Callable[[str, str], tuple[str, str | None] | None]) -> int:
    """Migration 7's data step: the INSEE code and the commune's territory of the situations stored before,
    where `locate(commune, code_postal)` finds exactly one commune (left empty otherwise); the number filled.
    Anonymised situations are left alone (their commune is gone)."""
    rows = db.execute(
        "SELECT id, commune, code_postal FROM situations WHERE commune_insee IS NULL AND anonymise_at IS NULL"
    ).fetchall()
    updates = []
    for situation_id, commune, code_postal in rows:
        found = locate(commune or "", code_postal or "")
        if found is not None:
            updates.append((found[0], found[1], situation_id))
    db.conn.executemany(
        "UPDATE situations SET commune_insee = ?, territoire_commune = ? WHERE id = ?",
        updates,
    )
    return len(updates)
