"""`backup DEST`: a consistent copy of the live database (SQLite's online backup API), checked before it counts.

The copy is read in one read transaction (a snapshot: the server keeps writing meanwhile), written to a
temporary file beside DEST (created 0600: it holds personal data), checked with `PRAGMA integrity_check`, synced,
then linked to DEST — which must not exist: a backup never overwrites another one.

A backup leaves out what must not come back with a restore: the open sessions (a restore would revive them) and
the failed-login counters. They are deleted from the copy, their bytes overwritten, before its check.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass
from pathlib import Path

from forms_backend.db.connection import PRIVATE, connect, schema_version
from forms_backend.errors import BackupError

# Tables emptied in the copy: sessions (a restore must not log anyone back in) and login throttling state.
LEFT_OUT = ("sessions", "connexion_echecs")


@dataclass(frozen=True)
class BackupReport:
    """What was copied: the file, its size, its schema version and how many situations and accounts it holds."""

    path: Path
    size: int
    schema: int
    situations: int
    accounts: int


def _check(path: Path) -> tuple[int, int, int]:
    conn = sqlite3.connect(path)
    try:
        rows = [row[0] for row in conn.execute("PRAGMA integrity_check").fetchall()]
        if rows != ["ok"]:
            raise BackupError(
                f"copie invalide (integrity_check : {'; '.join(map(str, rows[:5]))}) ; rien n'est gardé"
            )
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
        tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        situations = (
            conn.execute("SELECT count(*) FROM situations").fetchone()[0] if "situations" in tables else 0
        )
        accounts = (
            conn.execute("SELECT count(*) FROM utilisateurs").fetchone()[0] if "utilisateurs" in tables else 0
        )
        return version, int(situations), int(accounts)
    finally:
        conn.close()


def _leave_out(copy: sqlite3.Connection) -> None:
    """Empty the LEFT_OUT tables of the copy, overwriting their bytes, with no journal file on disk."""
    tables = {row[0] for row in copy.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    copy.execute("PRAGMA journal_mode = MEMORY")
    copy.execute("PRAGMA secure_delete = ON")
    copy.execute("BEGIN IMMEDIATE")
    for table in LEFT_OUT:
        if table in tables:
            copy.execute(f"DELETE FROM [{table}]")
    copy.execute("COMMIT")


def backup(source: Path, dest: Path) -> BackupReport:
    """Copy `source` to `dest` (which must not exist); BackupError when it cannot be done or the copy is bad."""
    if dest.exists():
        raise BackupError(
            f"{dest} existe déjà : une sauvegarde n'en écrase jamais une autre ; choisissez un autre nom"
        )
    if not dest.parent.is_dir():
        raise BackupError(f"dossier introuvable : {dest.parent}")
    if not source.is_file():
        raise BackupError(f"base introuvable : {source}")
    partial = dest.with_name(f".{dest.name}.partiel")
    partial.unlink(missing_ok=True)
    try:
        origin = connect(source, readonly=True)
        try:
            os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE))
            copy = sqlite3.connect(partial, isolation_level=None)
            try:
                schema_version(origin)
                origin.conn.backup(copy)
                # A single self-contained file: the server turns WAL back on when it opens a restored copy.
                copy.execute("PRAGMA journal_mode = DELETE")
                _leave_out(copy)
            finally:
                copy.close()
        finally:
            origin.close()
        version, situations, accounts = _check(partial)
        with partial.open("rb") as handle:
            os.fsync(handle.fileno())
        try:
            os.link(partial, dest)
        except FileExistsError as exc:
            raise BackupError(f"{dest} existe déjà : une sauvegarde n'en écrase jamais une autre") from exc
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"sauvegarde impossible : {exc}") from exc
    except OSError as exc:
        raise BackupError(f"sauvegarde impossible : {exc.strerror or exc}") from exc
    finally:
        partial.unlink(missing_ok=True)
    directory = os.open(dest.parent, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return BackupReport(dest, dest.stat().st_size, version, situations, accounts)
