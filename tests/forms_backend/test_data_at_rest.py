"""Data at rest, on the real files: after `purge`, no purged value is left in the database nor in its WAL (with
or without a server running); the database, its `-wal`, `-shm` and backups are readable by their owner only;
a backup carries neither sessions nor failed-login counters."""

from __future__ import annotations

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

import httpx
import pytest
from sqlite_utils import Database

from forms_backend.db.connection import connect
from forms_backend.db.purge import WAL_NOT_EMPTIED
from forms_backend.db.store import Store, after_commit
from tests.conftest import ROOT
from tests.forms_backend.conftest import (
    SECRET,
    LiveServer,
    live_server,
    post_form,
    receipt_reference,
    valid_orientation,
    valid_rupture,
)
from tests.forms_backend.coordination import PASSWORD, login, rows
from tests.loopback import free_port, stop_process, wait_for_port

OLD = "2020-01-15T10:00:00.000000Z"
# Values that only the situations to purge hold, as typed: names, e-mail addresses, free texts (ASCII: they are
# looked for in lower case too, as the search index stores the name).
RUPTURE = {
    "nom": "Quenneville",
    "prenom": "Eulalie",
    "courriel": "eulalie.quenneville@example.fr",
    "telephone": "",
    "cfa_nom": "CFA Sainte-Odile-des-Marais",
    "diplome_prepare": "CAP Ebenisterie marqueterie",
    "entreprise_nom": "Menuiserie Vandamme",
    "motif_precision": "Trajets vers Wattrelos trop longs",
    "declarant_nom": "Gontran Lefebvre",
    "declarant_courriel": "gontran@cfa-odile.example.fr",
}
ORIENTATION = {
    "nom": "Vanhoutte",
    "prenom": "Basile",
    "courriel": "basile.vanhoutte@example.fr",
    "dernier_etablissement": "Lycee Jean-Bart de Gravelines",
    "situation": "Souhaite devenir luthier a Bailleul",
    "orienteur_structure": "Maison de quartier des Hirondelles",
    "orienteur_nom": "Prudence Catteau",
    "orienteur_courriel": "prudence@hirondelles.example.fr",
}
TYPED_BY_COORDINATORS = {
    "referent_nom": "Hortense Delcourt",
    "referent_structure": "Association Les Cerisiers",
    "note": "Rendez-vous chez le garagiste Dufourmantelle",
}
PURGED = [*RUPTURE.values(), *ORIENTATION.values(), *TYPED_BY_COORDINATORS.values()]
PURGED = [value for value in PURGED if value]


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m forms_backend …` in its own process, as an administrator (or cron) runs it."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTAJ_")}
    return subprocess.run(
        [sys.executable, "-m", "forms_backend", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def on_disk(db: Path) -> dict[str, bytes]:
    """The database file and its WAL as they are on disk, in lower case."""
    files = {"base": db, "wal": db.with_name(db.name + "-wal")}
    return {name: path.read_bytes().lower() for name, path in files.items() if path.exists()}


def left_behind(db: Path) -> list[str]:
    """`fichier : valeur` for every purged value still in the database file or its WAL."""
    return [
        f"{name} : {value}"
        for name, raw in on_disk(db).items()
        for value in PURGED
        if value.lower().encode() in raw
    ]


def fill(server: LiveServer) -> None:
    """Two reports through the real server, a tutor and a note typed by a coordinator, all inactive since 2020."""
    with httpx.Client(base_url=server.url) as client:
        rupture = receipt_reference(post_form(client, "rupture", {**valid_rupture(), **RUPTURE}))
        orientation = receipt_reference(
            post_form(client, "orientation", {**valid_orientation(), **ORIENTATION})
        )
        recent = post_form(client, "rupture", valid_rupture())  # kept: it is recent
        assert recent.status_code == 303
    conn = sqlite3.connect(server.db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_autocheckpoint = 0")  # like the commands: the server checkpoints
        conn.execute("BEGIN IMMEDIATE")
        for reference in (rupture, orientation):
            (situation_id,) = conn.execute(
                "SELECT id FROM situations WHERE reference = ?", [reference]
            ).fetchone()
            conn.execute(
                "UPDATE situations SET referent_nom = ?, referent_structure = ? WHERE id = ?",
                [
                    TYPED_BY_COORDINATORS["referent_nom"],
                    TYPED_BY_COORDINATORS["referent_structure"],
                    situation_id,
                ],
            )
            conn.execute(
                "INSERT INTO suivi_evenements (situation_id, at, auteur, genre, referent_nom, referent_structure) "
                "VALUES (?, ?, 'coord@example.fr', 'referent', ?, ?)",
                [
                    situation_id,
                    OLD,
                    TYPED_BY_COORDINATORS["referent_nom"],
                    TYPED_BY_COORDINATORS["referent_structure"],
                ],
            )
            conn.execute(
                "INSERT INTO suivi_evenements (situation_id, at, auteur, genre, texte, date_valeur) "
                "VALUES (?, ?, 'coord@example.fr', 'note', ?, '2020-01-15')",
                [situation_id, OLD, TYPED_BY_COORDINATORS["note"]],
            )
            conn.execute("UPDATE situations SET updated_at = ? WHERE id = ?", [OLD, situation_id])
        conn.execute("COMMIT")
    finally:
        conn.close()


def purged(result: subprocess.CompletedProcess[str]) -> None:
    assert result.returncode == 0, result.stderr
    assert "anonymisées : 2\n" in result.stdout, result.stdout


def test_purge_leaves_no_purged_value_in_the_database_nor_its_wal_without_a_server(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        fill(server)
    db = tmp_path / "partaj.db"
    assert len(left_behind(db)) >= len(PURGED)  # everything is on disk before the purge

    purged(cli("purge", "--db", str(db)))

    assert left_behind(db) == []
    assert rows(db, "PRAGMA integrity_check") == [("ok",)]


def test_purge_empties_the_wal_of_a_running_server(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        fill(server)
        wal = server.db_path.with_name("partaj.db-wal")
        assert any(value.lower().encode() in on_disk(server.db_path)["wal"] for value in PURGED)

        result = cli("purge", "--db", str(server.db_path))

        purged(result)
        assert WAL_NOT_EMPTIED not in result.stderr
        assert left_behind(server.db_path) == []
        assert wal.stat().st_size == 0
        with httpx.Client(base_url=server.url) as client:  # the server goes on writing
            after = receipt_reference(post_form(client, "orientation", valid_orientation()))
    assert rows(server.db_path, "SELECT count(*) FROM situations WHERE reference = ?", [after]) == [(1,)]
    assert rows(server.db_path, "PRAGMA integrity_check") == [("ok",)]
    assert left_behind(server.db_path) == []


@contextmanager
def reading(db: Path) -> Iterator[None]:
    """A read transaction held open on the database (a long export, say)."""
    conn = sqlite3.connect(db, isolation_level=None)
    try:
        conn.execute("BEGIN")
        conn.execute("SELECT count(*) FROM situations").fetchone()
        yield
    finally:
        conn.close()


def test_purge_says_when_a_reader_keeps_the_wal_and_a_later_purge_empties_it(tmp_path: Path) -> None:
    with live_server(tmp_path) as server:
        fill(server)
        with reading(server.db_path):
            blocked = cli("purge", "--db", str(server.db_path))

        purged(blocked)
        assert WAL_NOT_EMPTIED in blocked.stderr
        assert rows(server.db_path, "SELECT count(*) FROM situations WHERE nom = 'Anonymisé'") == [(2,)]

        again = cli("purge", "--db", str(server.db_path))

        assert again.returncode == 0, again.stderr
        assert "anonymisées : 0\n" in again.stdout
        assert WAL_NOT_EMPTIED not in again.stderr
        assert left_behind(server.db_path) == []


# --- file modes ------------------------------------------------------------------------------------------------


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@contextmanager
def umask(value: int) -> Iterator[None]:
    """The usual umask of a shell (022) for the processes started meanwhile: what the app must not rely on."""
    previous = os.umask(value)
    try:
        yield
    finally:
        os.umask(previous)


def test_database_wal_shm_and_backup_are_readable_by_their_owner_only(tmp_path: Path) -> None:
    copy = tmp_path / "sauvegarde.db"
    with umask(0o022), live_server(tmp_path) as server:
        with httpx.Client(base_url=server.url) as client:
            receipt_reference(post_form(client, "rupture", valid_rupture()))
        db = server.db_path
        files = [db, db.with_name("partaj.db-wal"), db.with_name("partaj.db-shm")]
        modes = {path.name: oct(mode(path)) for path in files}

        saved = cli("backup", str(copy), "--db", str(db))

    assert modes == {name: "0o600" for name in ("partaj.db", "partaj.db-wal", "partaj.db-shm")}
    assert saved.returncode == 0, saved.stderr
    assert oct(mode(copy)) == "0o600"


def test_database_created_by_the_asgi_app_under_uvicorn_is_private(tmp_path: Path) -> None:
    port = free_port()
    db = tmp_path / "var" / "partaj.db"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTAJ_")},
        "PARTAJ_DB": str(db),
        "PARTAJ_SECRET_KEY": SECRET,
        "PARTAJ_SITE_DIR": str(tmp_path / "pas-de-guide"),
    }
    command = [sys.executable, "-m", "uvicorn", "forms_backend.asgi:app", "--port", str(port)]
    log = (tmp_path / "uvicorn.log").open("wb")
    with umask(0o022):
        process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_for_port(port, process)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}") as client:
            receipt_reference(post_form(client, "orientation", valid_orientation()))
        modes = {
            p.name: oct(mode(p)) for p in (db, db.with_name("partaj.db-wal"), db.with_name("partaj.db-shm"))
        }
    finally:
        stop_process(process)
        log.close()
    assert modes == {name: "0o600" for name in ("partaj.db", "partaj.db-wal", "partaj.db-shm")}
    assert oct(mode(db.parent)) == "0o700"


def test_a_database_readable_by_others_is_tightened_when_opened(tmp_path: Path) -> None:
    db = tmp_path / "partaj.db"
    with umask(0o022):
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("CREATE TABLE t (x)")
        conn.commit()
        files = [db, db.with_name("partaj.db-wal"), db.with_name("partaj.db-shm")]
        assert [mode(path) for path in files] == [0o644] * 3

        connect(db).close()

        assert [mode(path) for path in files] == [0o600] * 3
        conn.close()


# --- backups ---------------------------------------------------------------------------------------------------


def test_backup_carries_no_session_nor_failed_login_and_a_restore_revives_no_session(tmp_path: Path) -> None:
    (tmp_path / "live").mkdir()
    (tmp_path / "restaure").mkdir()
    copy = tmp_path / "sauvegarde.db"
    with live_server(tmp_path / "live") as server:
        add = cli(
            "users",
            "add",
            "reg@example.fr",
            "--role",
            "regional",
            "--password-stdin",
            "--db",
            str(server.db_path),
            stdin=PASSWORD,
        )
        assert add.returncode == 0, add.stderr
        with httpx.Client(base_url=server.url) as intruder:
            assert login(intruder, "inconnu@example.fr").status_code != 303
        client = httpx.Client(base_url=server.url)
        assert login(client, "reg@example.fr").status_code == 303
        assert client.get("/coordination/", follow_redirects=False).status_code == 200
        secrets = rows(server.db_path, "SELECT id_hash, csrf_secret FROM sessions")
        assert len(secrets) == 1
        assert rows(server.db_path, "SELECT count(*) FROM connexion_echecs")[0][0] >= 1

        saved = cli("backup", str(copy), "--db", str(server.db_path))

        assert saved.returncode == 0, saved.stderr
    assert rows(copy, "SELECT count(*) FROM sessions") == [(0,)]
    assert rows(copy, "SELECT count(*) FROM connexion_echecs") == [(0,)]
    assert rows(copy, "SELECT email FROM utilisateurs") == [("reg@example.fr",)]
    raw = copy.read_bytes()
    for secret in secrets[0]:
        assert secret.encode() not in raw
    assert not list(tmp_path.glob(".sauvegarde.db.partiel*"))

    shutil.copyfile(copy, tmp_path / "restaure" / "partaj.db")
    with live_server(tmp_path / "restaure") as restored:
        cookies = client.cookies
        with httpx.Client(base_url=restored.url, cookies=cookies) as returning:
            old_session = returning.get("/coordination/", follow_redirects=False)
            assert old_session.status_code == 303
            assert old_session.headers["location"].startswith("/coordination/connexion")
            assert login(returning, "reg@example.fr").status_code == 303
    client.close()


# --- the writer's after-commit work (how the purge empties the WAL) -------------------------------------------


def test_after_commit_runs_outside_the_transaction_and_only_for_jobs_that_stayed(tmp_path: Path) -> None:
    seen: list[tuple[str, bool]] = []

    def asking(name: str, fail: bool, db: Database) -> str:
        db.execute("CREATE TABLE IF NOT EXISTS t (x)")
        db.execute("INSERT INTO t VALUES (?)", [name])
        after_commit(lambda db: seen.append((name, db.conn.in_transaction)))
        if fail:
            raise ValueError(name)
        return name

    store = Store(tmp_path / "partaj.db", readers=1)
    store.open()
    try:
        assert store.submit(partial(asking, "seul", False)).result() == "seul"
        assert seen == [("seul", False)]
        seen.clear()
        kept = store.submit(partial(asking, "garde", False))
        failed = store.submit(partial(asking, "annule", True))
        assert kept.result() == "garde"
        with pytest.raises(ValueError):
            failed.result()
    finally:
        store.close()
    assert seen == [("garde", False)]
    assert rows(tmp_path / "partaj.db", "SELECT x FROM t ORDER BY x") == [("garde",), ("seul",)]
    with pytest.raises(RuntimeError):
        after_commit(lambda db: None)
