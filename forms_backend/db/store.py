"""`Store`: the database behind the app. One writer thread owns the only writing connection; a few reader threads.

Writes are grouped: the writer takes every job waiting in its queue, runs them all in one `BEGIN IMMEDIATE`
transaction, commits once (one fsync for the group), and only then answers each caller. So a caller that got its
answer has its data on disk, and the event loop never touches SQLite. When a job fails, the group is rolled back
and run again with one savepoint per job, so that the failure undoes that job alone.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlite_utils import Database

from forms_backend.db.connection import Backfills, connect, damaged, migrate, quick_check
from forms_backend.errors import DatabaseError

T = TypeVar("T")
Item = TypeVar("Item")
Job = Callable[[Database], Any]
MAX_BATCH = 64
log = logging.getLogger("partaj")
# The writer thread's list of work asked for by the jobs of the group being run (see `after_commit`).
_writer = threading.local()


def after_commit(fn: Job) -> None:
    """From a job running in a Store's writer: run `fn(db)` once the group is committed, outside any transaction,
    before the callers are answered. Dropped when the job is rolled back; an error is logged, never raised (the
    group is committed)."""
    pending: list[Job] | None = getattr(_writer, "pending", None)
    if pending is None:
        raise RuntimeError("after_commit : seulement dans un travail du fil d'écriture d'un Store")
    pending.append(fn)


def _pending() -> list[Job]:
    pending: list[Job] = _writer.pending
    return pending


class _JobFailed(Exception):
    """A job of a group failed: the group is rolled back and run again, one savepoint per job."""


@dataclass
class _Job:
    """One queued write: a function, and who waits for it (a thread's future, or an event loop's)."""

    fn: Job
    future: Future[Any] | None = None
    loop: asyncio.AbstractEventLoop | None = None
    waiter: asyncio.Future[Any] | None = None
    group: Callable[[Database, list[Any]], list[Any]] | None = None
    item: Any = None

    def wanted(self) -> bool:
        """False when nobody waits any more (the caller was cancelled before the job started)."""
        if self.future is not None:
            return self.future.set_running_or_notify_cancel()
        return self.waiter is not None and not self.waiter.cancelled()


Outcome = tuple[_Job, Any, BaseException | None]


def _run_together(db: Database, jobs: list[_Job]) -> list[Outcome]:
    """Every job, grouped ones in one call per group; any failure raises _JobFailed (the caller rolls back)."""
    outcomes: list[Outcome] = []
    groups: dict[Callable[[Database, list[Any]], list[Any]], list[_Job]] = {}
    try:
        for job in jobs:
            if job.group is None:
                outcomes.append((job, job.fn(db), None))
            else:
                groups.setdefault(job.group, []).append(job)
        for group, members in groups.items():
            results = group(db, [job.item for job in members])
            outcomes.extend((job, result, None) for job, result in zip(members, results, strict=True))
    except Exception as exc:
        raise _JobFailed() from exc
    return outcomes


def _run_isolated(db: Database, jobs: list[_Job]) -> list[Outcome]:
    """Every job in its own savepoint: a failing one is undone alone, the others stay."""
    outcomes: list[Outcome] = []
    pending = _pending()
    for job in jobs:
        db.conn.execute("SAVEPOINT travail")
        asked = len(pending)
        try:
            outcomes.append((job, job.fn(db), None))
        except Exception as exc:
            db.conn.execute("ROLLBACK TO travail")
            del pending[asked:]
            outcomes.append((job, None, exc))
        db.conn.execute("RELEASE travail")
    return outcomes


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

    def __init__(self, path: Path, readers: int = 2, backfills: Backfills | None = None) -> None:
        self.path = path
        self._backfills = backfills
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
        self.path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)  # a new folder: the owner's only
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

    async def write_grouped(self, group: Callable[[Database, list[Item]], list[T]], item: Item) -> T:
        """Like `write(lambda db: group(db, [item])[0])`, but the writer hands every item of the same `group`
        waiting in its queue to one call: a handful of statements for many reports (each statement costs the
        writer a hand-over of the interpreter lock with the event loop)."""
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[T] = loop.create_future()
        self._queue.put(
            _Job(lambda db: group(db, [item])[0], loop=loop, waiter=waiter, group=group, item=item)
        )
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
        _writer.pending = []
        try:
            db = connect(self.path)
            quick_check(db, self.path)
            self.migrations_applied = migrate(db, self.path, self._backfills)
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
            outcomes = self._transaction(db, jobs, isolated=False)
        except _JobFailed:
            # Rare: replay the group with one savepoint per job, so that only the failing one is undone.
            try:
                outcomes = self._transaction(db, jobs, isolated=True)
            except Exception as exc:
                outcomes = [(job, None, exc) for job in jobs]
        except Exception as exc:
            outcomes = [(job, None, exc) for job in jobs]
        self._after_commit(db)
        self._answer(outcomes)

    @staticmethod
    def _after_commit(db: Database) -> None:
        """Run what the committed jobs asked for with `after_commit`, outside any transaction."""
        pending = _pending()
        asked, pending[:] = list(pending), []
        for fn in asked:
            try:
                fn(db)
            except Exception:
                log.exception("travail après validation en échec")

    @staticmethod
    def _transaction(db: Database, jobs: list[_Job], isolated: bool) -> list[Outcome]:
        """Run the jobs in one `BEGIN IMMEDIATE` transaction and commit once (one fsync for the group).

        Jobs are functions of the database: running them again after a rollback is safe.
        """
        pending = _pending()
        pending.clear()
        db.conn.execute("BEGIN IMMEDIATE")
        try:
            outcomes = _run_isolated(db, jobs) if isolated else _run_together(db, jobs)
            db.conn.execute("COMMIT")
        except BaseException:
            db.rollback()
            pending.clear()
            raise
        return outcomes

    @staticmethod
    def _answer(outcomes: list[Outcome]) -> None:
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
