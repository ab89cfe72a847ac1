"""The append-only audit log: who did what, when, on what, with which result. Regional coordinators read it.

SQLite triggers forbid changing an entry, and deleting one younger than 12 months (see `migrations`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from forms_backend.clock import parse_timestamp, timestamp
from forms_backend.vocabulary import AuditAction, AuditResult

# The complement of the delete trigger's condition (migration 2): the purge deletes exactly what the trigger
# lets it delete.
OLDER_THAN_12_MONTHS = "at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-12 months')"


def record(
    db: Database,
    *,
    user_id: int | None,
    email: str | None,
    action: AuditAction,
    target: str | None,
    result: AuditResult,
    at: datetime,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry; call it inside a writer job, in the transaction of the change it records."""
    db.execute(
        "INSERT INTO audit (at, utilisateur_id, email, action, cible, resultat, details) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            timestamp(at),
            user_id,
            email,
            action,
            target,
            result,
            json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
        ],
    )


def record_command(
    db: Database,
    action: AuditAction,
    at: datetime,
    target: str | None = None,
    details: dict[str, Any] | None = None,
) -> None:
    """Append the entry of a command-line command (no account): what it did, done."""
    record(
        db,
        user_id=None,
        email=None,
        action=action,
        target=target,
        result=AuditResult.SUCCES,
        at=at,
        details=details,
    )


@dataclass(frozen=True)
class Entry:
    """One audit entry as the journal page shows it."""

    id: int
    at: datetime
    email: str | None
    action: str
    cible: str | None
    resultat: str
    details: dict[str, Any]


@dataclass(frozen=True)
class Page:
    """One page of the journal, newest first."""

    entries: list[Entry]
    total: int
    page: int
    pages: int


def entries(db: Database, page: int, per_page: int) -> Page:
    """Page `page` (from 1) of the journal, newest first; a page past the end is the last one."""
    total = int(db.execute("SELECT count(*) FROM audit").fetchone()[0])
    pages = max(1, -(-total // per_page))
    page = min(max(1, page), pages)
    rows = db.execute(
        "SELECT id, at, email, action, cible, resultat, details FROM audit ORDER BY id DESC LIMIT ? OFFSET ?",
        [per_page, (page - 1) * per_page],
    ).fetchall()
    found = [
        Entry(
            row[0],
            parse_timestamp(row[1]),
            row[2],
            row[3],
            row[4],
            row[5],
            json.loads(row[6]),
        )
        for row in rows
    ]
    return Page(found, total, page, pages)


def count_old(db: Database) -> int:
    """Entries older than 12 months (what the purge deletes)."""
    return int(db.execute(f"SELECT count(*) FROM audit WHERE {OLDER_THAN_12_MONTHS}").fetchone()[0])


def delete_old(db: Database) -> int:
    """Delete the entries older than 12 months; the only deletion the triggers allow."""
    return int(db.execute(f"DELETE FROM audit WHERE {OLDER_THAN_12_MONTHS}").rowcount)
