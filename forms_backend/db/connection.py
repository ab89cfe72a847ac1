"""Opening the SQLite file: pragmas of every connection, integrity check, versioned migrations, health."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from forms_backend.db.migrations import LATEST_VERSION, MIGRATIONS
from forms_backend.errors import DatabaseError

BUSY_TIMEOUT_MS = 5000


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


def ping(db: Database) -> dict[str, Any]:
    """What the health check may show: schema version and journal mode, no personal data."""
    return {
        "schema": schema_version(db),
        "journal": str(db.execute("PRAGMA journal_mode").fetchone()[0]),
    }


def fetch_row(db: Database, sql: str, params: list[Any]) -> dict[str, Any] | None:
    """The first row of a query as a dict (column → value), or None."""
    cursor = db.execute(sql, params)
    row = cursor.fetchone()
    if row is None:
        return None
    return {d[0]: value for d, value in zip(cursor.description, row, strict=True)}


def leave_checkpoints_to_the_server(db: Database) -> None:
    """For a command's connection while the server may run: never checkpoint the WAL from here (the server's
    writer does), which keeps SQLite 3.40's WAL-reset race out of reach."""
    db.execute("PRAGMA wal_autocheckpoint = 0")
