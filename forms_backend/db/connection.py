"""Opening the SQLite file: pragmas of every connection, integrity check, versioned migrations, health.

The database holds personal data: its file is created readable by its owner only (0600), and SQLite gives the
same mode to the `-wal` and `-shm` files it creates beside it; a file found readable by others is tightened when
opened for writing. This holds however the app is started (`serve`, or `uvicorn forms_backend.asgi:app`).
"""

from __future__ import annotations

import logging
import os
import sqlite3
import stat
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from forms_backend.db.migrations import LATEST_VERSION, MIGRATIONS
from forms_backend.errors import DatabaseError

BUSY_TIMEOUT_MS = 5000
# How long emptying the WAL waits for the writer lock and the readers: well under BUSY_TIMEOUT_MS, which is what
# a server's write waits for that lock meanwhile.
CHECKPOINT_WAIT_MS = 2000
PRIVATE = 0o600
log = logging.getLogger("partaj")


def private_files(path: Path, *, tighten: bool = True) -> None:
    """Create the database file 0600 if it does not exist; with `tighten`, bring it, its `-wal` and `-shm` to
    owner-only if others may read them (SQLite gives a new `-wal` or `-shm` the database file's mode)."""
    try:
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
        return
    except FileExistsError:
        pass
    except OSError:
        return  # no such folder, no right to write there: SQLite says it in its own words
    if not tighten:
        return
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        try:
            mode = stat.S_IMODE(file.stat().st_mode)
            if mode & 0o077:
                file.chmod(mode & 0o700)
                log.warning("%s était lisible par d'autres comptes : droits ramenés à %o", file, mode & 0o700)
        except FileNotFoundError:
            continue
        except OSError as exc:
            log.warning("%s : droits non resserrés (%s)", file, exc.strerror or exc)


def connect(path: Path, *, readonly: bool = False) -> Database:
    """Open the database with the pragmas every connection needs (WAL, synchronous=FULL, foreign keys)."""
    private_files(path, tighten=not readonly)
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


Backfills = Mapping[str, Callable[[Database], None]]


def migrate(db: Database, path: Path, backfills: Backfills | None = None) -> list[int]:
    """Apply the migrations not applied yet, each in its own transaction; return the versions applied.

    A migration's data step (`Migration.backfill`) runs from `backfills` in the same transaction; when it is
    not given (a bare `Store` in a test), the rows stay as the statements left them and a warning says so."""
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
            if migration.backfill:
                step = (backfills or {}).get(migration.backfill)
                if step is None:
                    log.warning(
                        "migration %s : étape « %s » non fournie, rien rempli",
                        migration.version,
                        migration.backfill,
                    )
                else:
                    step(db)
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
    """For a command's connection while the server may run: no automatic checkpoint from here (the server's
    writer does them), which keeps SQLite 3.40's WAL-reset race out of reach. `truncate_wal` is the exception."""
    db.execute("PRAGMA wal_autocheckpoint = 0")


def truncate_wal(db: Database) -> bool:
    """Copy the WAL into the database file and empty it (`wal_checkpoint(TRUNCATE)`), outside any transaction;
    False when a reader still used it or the writer lock stayed taken (then the WAL is left as it was).

    Safe while the server runs: this mode takes the writer lock before reading the WAL index, so no write can
    reset the WAL under it (the WAL-reset race needs a checkpoint that does not hold that lock). It waits at most
    CHECKPOINT_WAIT_MS for that lock and for the readers. Past that, SQLite falls back to a passive checkpoint
    (the one case where the race stays conceivable: a server writing without a pause for that long) and says
    busy, which the caller reports."""
    db.execute(f"PRAGMA busy_timeout = {CHECKPOINT_WAIT_MS}")
    try:
        busy, _, _ = db.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    finally:
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return int(busy) == 0
