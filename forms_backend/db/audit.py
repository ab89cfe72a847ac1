"""The append-only audit log: who did what, when, on what, with which result. Regional coordinators read it.

SQLite triggers forbid changing an entry, and deleting one younger than 12 months (see `migrations`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from functools import partial
from typing import Any

from sqlite_utils import Database
from starlette.requests import Request

from forms_backend.db.situations import timestamp
from forms_backend.services import services

# The trigger's own expression: the purge deletes exactly what the trigger lets it delete.
OLDER_THAN_12_MONTHS = "at < strftime('%Y-%m-%dT%H:%M:%fZ', 'now', '-12 months')"


def record(
    db: Database,
    *,
    user_id: int | None,
    email: str | None,
    action: str,
    target: str | None,
    result: str,
    details: dict[str, Any] | None = None,
    at: datetime | None = None,
) -> None:
    """Append one entry; call it inside a writer job, in the transaction of the change it records."""
    db.execute(
        "INSERT INTO audit (at, utilisateur_id, email, action, cible, resultat, details) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        [
            timestamp(at or datetime.now(UTC)),
            user_id,
            email,
            action,
            target,
            result,
            json.dumps(details or {}, ensure_ascii=False, sort_keys=True),
        ],
    )


async def log(
    request: Request, action: str, target: str | None, result: str, details: dict[str, Any] | None = None
) -> None:
    """Append one entry through the app's writer, as `request.state.user`; returns once it is on disk."""
    svc = services(request)
    user = getattr(request.state, "user", None)
    await svc.store.write(
        partial(
            record,
            user_id=user.id if user else None,
            email=user.email if user else None,
            action=action,
            target=target,
            result=result,
            details=details,
            at=svc.clock(),
        )
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
            datetime.strptime(row[1], "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC),
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
