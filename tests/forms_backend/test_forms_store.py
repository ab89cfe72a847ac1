"""The SQLite store: pragmas, migrations, references, grouped commits, refusal of a damaged file."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlite_utils import Database

from forms_backend.db import situations
from forms_backend.db import store as database
from forms_backend.db.connection import schema_version
from forms_backend.db.migrations import LATEST_VERSION, MIGRATIONS
from forms_backend.errors import DatabaseError
from tests.forms_backend.conftest import valid_orientation

NOW = datetime(2026, 3, 4, 10, 0, tzinfo=UTC)


def cleaned_orientation(**changes: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        **valid_orientation(),
        "jeune_informe": 1,
        "accord_representant_legal": 0,
        **changes,
    }
    data["sexe"] = data["sexe"] or None
    data["telephone"] = data["telephone"] or None
    return data


def insert_report(
    db: Database, source: str, data: dict[str, Any], key: str, now: datetime, year: int
) -> situations.Receipt:
    """Store one validated report, as the writer would among others."""
    return situations.insert_reports(db, [situations.NewReport(source, data, key, now, year)])[0]


def count_rows(db: Database, table: str) -> int:
    return int(db.execute(f"SELECT count(*) FROM [{table}]").fetchone()[0])


@pytest.fixture
def opened(tmp_path: Path) -> Any:
    db = database.Store(tmp_path / "partaj.db")
    db.open()
    yield db
    db.close()


def test_writer_connection_has_wal_full_sync_foreign_keys_and_busy_timeout(opened: database.Store) -> None:
    def pragmas(db: Database) -> tuple[Any, ...]:
        return tuple(
            db.execute(f"PRAGMA {name}").fetchone()[0]
            for name in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")
        )

    assert opened.submit(pragmas).result() == ("wal", 2, 1, 5000)


def test_migrations_apply_once(tmp_path: Path, opened: database.Store) -> None:
    assert opened.migrations_applied == [m.version for m in MIGRATIONS]
    opened.close()
    again = database.Store(tmp_path / "partaj.db")
    again.open()
    try:
        assert again.migrations_applied == []
        assert again.read_sync(schema_version) == LATEST_VERSION
    finally:
        again.close()


def test_references_follow_one_sequence_per_source_and_year(opened: database.Store) -> None:
    def insert(source: str, year: int, key: str) -> str:
        data = cleaned_orientation() if source == "orientation" else _rupture()
        return opened.submit(lambda db: insert_report(db, source, data, key, NOW, year)).result().reference

    assert insert("rupture", 2026, "a") == "RUP-2026-000001"
    assert insert("rupture", 2026, "b") == "RUP-2026-000002"
    assert insert("orientation", 2026, "c") == "ORI-2026-000001"
    assert insert("rupture", 2027, "d") == "RUP-2027-000001"


def _rupture() -> dict[str, Any]:
    from tests.forms_backend.conftest import valid_rupture

    data: dict[str, Any] = {**valid_rupture(), "jeune_informe": 1}
    for key in ("courriel", "declarant_telephone"):
        data[key] = None
    return data


def test_new_situation_is_nouveau_with_its_source_territory_and_dates(opened: database.Store) -> None:
    receipt = opened.submit(
        lambda db: insert_report(db, "orientation", cleaned_orientation(), "k", NOW, 2026)
    ).result()

    row = opened.read_sync(
        lambda db: db.execute(
            "SELECT statut, source, territoire, nom, prenom, created_at, updated_at FROM situations "
            "WHERE reference = ?",
            [receipt.reference],
        ).fetchone()
    )
    assert row == (
        "nouveau",
        "orientation",
        "roubaix-tourcoing",
        "Bernard",
        "Yanis",
        "2026-03-04T10:00:00.000000Z",
        "2026-03-04T10:00:00.000000Z",
    )


def test_failing_job_in_a_group_does_not_undo_the_others(opened: database.Store) -> None:
    release = threading.Event()
    blocker = opened.submit(lambda db: release.wait(5))

    def insert(key: str) -> Any:
        return opened.submit(
            lambda db: insert_report(db, "orientation", cleaned_orientation(), key, NOW, 2026)
        )

    def failing(db: Database) -> None:
        insert_report(db, "orientation", cleaned_orientation(), "echec", NOW, 2026)
        raise RuntimeError("échec au milieu du groupe")

    before, broken, after = insert("avant"), opened.submit(failing), insert("apres")
    release.set()

    assert blocker.result() is True
    assert before.result().reference == "ORI-2026-000001"
    with pytest.raises(RuntimeError):
        broken.result()
    assert after.result().reference == "ORI-2026-000002"
    assert opened.read_sync(lambda db: count_rows(db, "situations")) == 2
    assert opened.read_sync(lambda db: situations.find_submission(db, "echec")) is None


def test_writes_from_the_event_loop_run_in_the_writer_thread(opened: database.Store) -> None:
    async def main() -> set[str]:
        names = await asyncio.gather(
            *(opened.write(lambda db: threading.current_thread().name) for _ in range(20))
        )
        return set(names)

    # A thread of its own: Playwright's sync API may have left an event loop running in this one.
    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(lambda: asyncio.run(main())).result() == {"partaj-ecriture"}


def test_garbage_file_is_refused_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "partaj.db"
    path.write_bytes(b"ceci n'est pas une base SQLite" * 200)

    with pytest.raises(DatabaseError, match="base de données endommagée ou qui n'est pas une base SQLite"):
        database.Store(path).open()


def test_damaged_pages_are_caught_by_quick_check(tmp_path: Path) -> None:
    path = tmp_path / "partaj.db"
    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA page_size = 1024")
        conn.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT)")
        conn.execute("CREATE INDEX t_v ON t(v)")
        conn.executemany("INSERT INTO t (v) VALUES (?)", [(f"valeur {i}" * 5,) for i in range(2000)])
    raw = bytearray(path.read_bytes())
    for offset in range(20 * 1024, 40 * 1024, 1024):
        raw[offset + 8 : offset + 100] = b"\xff" * 92
    path.write_bytes(bytes(raw))

    with pytest.raises(DatabaseError, match="restaurez la dernière sauvegarde"):
        database.Store(path).open()


def test_schema_newer_than_the_software_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "partaj.db"
    with sqlite3.connect(path) as conn:
        conn.execute(f"PRAGMA user_version = {LATEST_VERSION + 1}")

    with pytest.raises(DatabaseError, match="plus récente que celle de ce logiciel"):
        database.Store(path).open()


def test_insert_reports_stores_a_mixed_list_in_order_and_recognises_replays(opened: database.Store) -> None:
    first = opened.submit(lambda db: insert_report(db, "rupture", _rupture(), "deja", NOW, 2026)).result()
    reports = [
        situations.NewReport("orientation", cleaned_orientation(), "o1", NOW, 2026),
        situations.NewReport("rupture", _rupture(), "r1", NOW, 2026),
        situations.NewReport("rupture", _rupture(), "deja", NOW, 2026),
        situations.NewReport("orientation", cleaned_orientation(nom="Autre"), "o2", NOW, 2026),
        situations.NewReport("orientation", cleaned_orientation(), "o1", NOW, 2026),
    ]

    receipts = opened.submit(lambda db: situations.insert_reports(db, reports)).result()

    assert [(r.reference, r.replayed) for r in receipts] == [
        ("ORI-2026-000001", False),
        ("RUP-2026-000002", False),
        (first.reference, True),
        ("ORI-2026-000002", False),
        ("ORI-2026-000001", True),
    ]
    counts = opened.read_sync(
        lambda db: [count_rows(db, t) for t in ("situations", "orientations", "orientation_besoins")]
    )
    assert counts == [4, 2, 4]


def test_concurrent_grouped_writes_get_consecutive_references_and_a_bad_one_fails_alone(
    opened: database.Store,
) -> None:
    release = threading.Event()
    opened.submit(lambda db: release.wait(5))
    broken = cleaned_orientation()
    del broken["territoire"]

    async def main() -> list[Any]:
        calls = [
            opened.write_grouped(
                situations.insert_reports, situations.NewReport("orientation", data, f"k{i}", NOW, 2026)
            )
            for i, data in enumerate([cleaned_orientation()] * 3 + [broken] + [cleaned_orientation()] * 3)
        ]
        tasks = [asyncio.ensure_future(call) for call in calls]
        await asyncio.sleep(0.05)
        release.set()
        return await asyncio.gather(*tasks, return_exceptions=True)

    with ThreadPoolExecutor(1) as pool:
        results = pool.submit(lambda: asyncio.run(main())).result()

    assert isinstance(results[3], KeyError)
    references = sorted(r.reference for r in results if isinstance(r, situations.Receipt))
    assert references == [f"ORI-2026-{n:06d}" for n in range(1, 7)]
    assert opened.read_sync(lambda db: count_rows(db, "situations")) == 6
