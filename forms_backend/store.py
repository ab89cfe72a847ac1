"""All SQL of the backend. One writer thread owns the only writing connection; reads use a small thread pool.

Writes are grouped: the writer takes every job waiting in its queue, runs them all in one `BEGIN IMMEDIATE`
transaction, commits once (one fsync for the group), and only then answers each caller. So a caller that got its
answer has its data on disk, and the event loop never touches SQLite. When a job fails, the group is rolled back
and run again with one savepoint per job, so that the failure undoes that job alone.
"""

from __future__ import annotations

import asyncio
import json
import queue
import sqlite3
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from forms_backend.errors import DatabaseError
from forms_backend.migrations import LATEST_VERSION, MIGRATIONS

T = TypeVar("T")
Job = Callable[[Database], Any]

BUSY_TIMEOUT_MS = 5000
MAX_BATCH = 64
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


REPORT_TABLES = {
    "rupture": ReportTables("rapports_rupture", "motifs", "rupture_motifs", "motif"),
    "orientation": ReportTables(
        "orientations",
        "besoins",
        "orientation_besoins",
        "besoin",
        renamed=(("statut", "statut_jeune"), ("situation", "description")),
    ),
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


def integrity_check(db: Database) -> list[str]:
    """Result of the full `PRAGMA integrity_check` (['ok'] when sound)."""
    return [str(row[0]) for row in db.execute("PRAGMA integrity_check").fetchall()]


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


def next_reference(db: Database, source: str, year: int) -> str:
    """Next reference of a source for a year (`RUP-2026-000123`); call inside the writing transaction."""
    prefix = PREFIXES[source]
    number = db.conn.execute(
        "INSERT INTO sequences (prefixe, annee, dernier) VALUES (?, ?, 1) "
        "ON CONFLICT (prefixe, annee) DO UPDATE SET dernier = dernier + 1 RETURNING dernier",
        [prefix, year],
    ).fetchone()[0]
    return f"{prefix}-{year}-{number:06d}"


def _insert(db: Database, table: str, row: dict[str, Any]) -> int:
    """INSERT one row; column names are the backend's own (form field names), never user input."""
    columns = ", ".join(f"[{name}]" for name in row)
    marks = ", ".join("?" for _ in row)
    cursor = db.conn.execute(f"INSERT INTO [{table}] ({columns}) VALUES ({marks})", list(row.values()))
    return int(cursor.lastrowid or 0)


def find_submission(db: Database, key: str) -> Receipt | None:
    """The receipt of a submission already stored under this key, if any."""
    row = db.execute(
        "SELECT reference, source, territoire FROM situations WHERE cle_envoi = ?",
        [key],
    ).fetchone()
    return Receipt(row[0], row[1], row[2], replayed=True) if row else None


def insert_report(
    db: Database, source: str, data: dict[str, Any], key: str, now: datetime, year: int
) -> Receipt:
    """Store one validated report and create its situation (status `nouveau`); idempotent on `key`."""
    if existing := find_submission(db, key):
        return existing
    tables = REPORT_TABLES[source]
    stamp = timestamp(now)
    situation = {column: data.get(column) for column in SITUATION_COLUMNS}
    situation.update(
        cle_envoi=key,
        reference=next_reference(db, source, year),
        source=source,
        territoire=data["territoire"],
        created_at=stamp,
        updated_at=stamp,
    )
    situation_id = _insert(db, "situations", situation)
    renamed = dict(tables.renamed)
    skipped = {*SITUATION_COLUMNS, "territoire", tables.list_field}
    details = {renamed.get(k, k): v for k, v in data.items() if k not in skipped}
    details["situation_id"] = situation_id
    _insert(db, tables.table, details)
    db.conn.executemany(
        f"INSERT INTO [{tables.list_table}] (situation_id, [{tables.list_column}]) VALUES (?, ?)",
        [(situation_id, value) for value in data[tables.list_field]],
    )
    return Receipt(str(situation["reference"]), source, data["territoire"])


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


def report_as_json(db: Database, reference: str) -> str | None:
    """One stored report with its situation, as JSON (tests and support; never logged)."""
    row = db.execute("SELECT * FROM situations WHERE reference = ?", [reference]).fetchone()
    if row is None:
        return None
    columns = [d[0] for d in db.execute("SELECT * FROM situations LIMIT 0").description]
    situation = dict(zip(columns, row, strict=True))
    tables = REPORT_TABLES[situation["source"]]
    details = next(db.table(tables.table).rows_where("situation_id = ?", [situation["id"]]), {})
    values = [
        r[tables.list_column]
        for r in db.table(tables.list_table).rows_where("situation_id = ?", [situation["id"]])
    ]
    return json.dumps(
        {"situation": situation, "rapport": details, tables.list_field: values}, ensure_ascii=False
    )


class _JobFailed(Exception):
    """A job of a group failed: the group is rolled back and run again, one savepoint per job."""


@dataclass
class _Job:
    """One queued write: a function, and who waits for it (a thread's future, or an event loop's)."""

    fn: Job
    future: Future[Any] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    waiter: asyncio.Future[Any] | None = None

    def wanted(self) -> bool:
        """False when nobody waits any more (the caller was cancelled before the job started)."""
        if self.future is not None:
            return self.future.set_running_or_notify_cancel()
        return self.waiter is not None and not self.waiter.cancelled()


def _resolve(outcomes: list[tuple[asyncio.Future[Any], Any, BaseException | None]]) -> None:
    """On the event loop: hand each waiting request its result."""
    for waiter, result, error in outcomes:
        if waiter.done():
            continue
        if error is None:
            waiter.set_result(result)
        else:
            waiter.set_exception(error)


class Store:
    """The database behind the app: open once, then `await store.write(fn)` / `await store.read(fn)`."""

    def __init__(self, path: Path, readers: int = 2) -> None:
        self.path = path
        self._queue: queue.Queue[_Job | None] = queue.Queue()
        self._ready = threading.Event()
        self._startup_error: BaseException | None = None
        self._writer = threading.Thread(target=self._run, name="partaj-ecriture", daemon=True)
        self._readers = ThreadPoolExecutor(max_workers=readers, thread_name_prefix="partaj-lecture")
        self._local = threading.local()
        self._reader_dbs: list[Database] = []
        self._lock = threading.Lock()
        self.migrations_applied: list[int] = []

    def open(self) -> None:
        """Open the writer connection, check the file, migrate; DatabaseError on a damaged file."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._writer.start()
        self._ready.wait()
        if self._startup_error is not None:
            self._writer.join()
            raise self._startup_error

    def close(self) -> None:
        """Finish queued writes, close every connection (readers first: the writer checkpoints last)."""
        self._readers.shutdown(wait=True)
        with self._lock:
            for db in self._reader_dbs:
                db.close()
            self._reader_dbs.clear()
        if self._writer.is_alive():
            self._queue.put(None)
            self._writer.join()

    def submit(self, fn: Callable[[Database], T]) -> Future[T]:
        """Queue a write; the future resolves once its transaction is committed."""
        future: Future[T] = Future()
        self._queue.put(_Job(fn, future=future))
        return future

    async def write(self, fn: Callable[[Database], T]) -> T:
        """Run `fn(db)` in the writer thread, inside a committed transaction."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._queue.put(_Job(fn, loop=loop, waiter=waiter))
        return await waiter

    async def read(self, fn: Callable[[Database], T]) -> T:
        """Run `fn(db)` on a read-only connection in the reader pool."""
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._readers, self._read, fn)

    def read_sync(self, fn: Callable[[Database], T]) -> T:
        """Same as `read`, for code that is not on the event loop (CLI, tests)."""
        return self._readers.submit(self._read, fn).result()

    def _read(self, fn: Callable[[Database], T]) -> T:
        db: Database | None = getattr(self._local, "db", None)
        if db is None:
            db = connect(self.path, readonly=True)
            self._local.db = db
            with self._lock:
                self._reader_dbs.append(db)
        return fn(db)

    def _run(self) -> None:
        try:
            db = connect(self.path)
            quick_check(db, self.path)
            self.migrations_applied = migrate(db, self.path)
        except BaseException as exc:
            self._startup_error = exc if isinstance(exc, DatabaseError) else damaged(self.path, str(exc))
            self._ready.set()
            return
        self._ready.set()
        try:
            stop = False
            while not stop:
                first = self._queue.get()
                if first is None:
                    break
                batch = [first]
                while len(batch) < MAX_BATCH:
                    try:
                        job = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if job is None:
                        stop = True
                        break
                    batch.append(job)
                self._run_batch(db, batch)
        finally:
            db.close()

    def _run_batch(self, db: Database, batch: list[_Job]) -> None:
        jobs = [job for job in batch if job.wanted()]
        if not jobs:
            return
        try:
            self._answer(self._transaction(db, jobs, isolated=False))
        except _JobFailed:
            # Rare: replay the group with one savepoint per job, so that only the failing one is undone.
            try:
                self._answer(self._transaction(db, jobs, isolated=True))
            except Exception as exc:
                self._answer([(job, None, exc) for job in jobs])
        except Exception as exc:
            self._answer([(job, None, exc) for job in jobs])

    @staticmethod
    def _transaction(
        db: Database, jobs: list[_Job], isolated: bool
    ) -> list[tuple[_Job, Any, BaseException | None]]:
        """Run the jobs in one `BEGIN IMMEDIATE` transaction and commit once (one fsync for the group).

        Not isolated, a failing job raises _JobFailed after a rollback of the whole group; isolated, each job runs
        in its own savepoint and a failure is undone alone. Jobs are functions of the database: running them
        again after a rollback is safe.
        """
        outcomes: list[tuple[_Job, Any, BaseException | None]] = []
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            for job in jobs:
                if not isolated:
                    try:
                        outcomes.append((job, job.fn(db), None))
                    except Exception as exc:
                        raise _JobFailed() from exc
                    continue
                db.conn.execute("SAVEPOINT travail")
                try:
                    outcomes.append((job, job.fn(db), None))
                except Exception as exc:
                    db.conn.execute("ROLLBACK TO travail")
                    outcomes.append((job, None, exc))
                db.conn.execute("RELEASE travail")
            db.conn.execute("COMMIT")
        except BaseException:
            db.rollback()
            raise
        return outcomes

    @staticmethod
    def _answer(outcomes: list[tuple[_Job, Any, BaseException | None]]) -> None:
        """Answer every caller of a committed (or failed) group; one wake-up per event loop, not per job."""
        by_loop: dict[
            asyncio.AbstractEventLoop, list[tuple[asyncio.Future[Any], Any, BaseException | None]]
        ] = {}
        for job, result, error in outcomes:
            if job.future is not None:
                if error is None:
                    job.future.set_result(result)
                else:
                    job.future.set_exception(error)
            elif job.loop is not None and job.waiter is not None:
                by_loop.setdefault(job.loop, []).append((job.waiter, result, error))
        for loop, answers in by_loop.items():
            if not loop.is_closed():
                loop.call_soon_threadsafe(_resolve, answers)
