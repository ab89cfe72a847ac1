"""Migration 6: the addresses an older version had locked for good are no longer locked."""

from __future__ import annotations

import sqlite3
from datetime import timedelta

from starlette.testclient import TestClient

from forms_backend.accounts import rules as accounts
from forms_backend.app import create_app
from forms_backend.clock import timestamp
from forms_backend.db.migrations import LATEST_VERSION, MIGRATIONS
from forms_backend.settings import Settings
from generator.catalogue import Catalogue
from tests.forms_backend.coordination import START, FakeClock, create_account, login, rows


def test_a_lock_made_before_migration_6_is_gone(settings: Settings, catalogue: Catalogue) -> None:
    locked_at = timestamp(START - timedelta(hours=2))
    with sqlite3.connect(settings.db_path) as conn:
        for migration in MIGRATIONS[:5]:
            for statement in migration.statements:
                conn.execute(statement)
        conn.execute("PRAGMA user_version = 5")
        conn.execute(
            "INSERT INTO connexion_echecs (cle, echecs, dernier_echec_at, verrouille_at) VALUES (?, 10, ?, ?)",
            [accounts.failure_key("anne@example.fr"), locked_at, locked_at],
        )
    conn.close()

    app = create_app(settings, catalogue)
    app.state.services.clock = FakeClock()
    create_account(app.state.services.store, "anne@example.fr", "coordinateur", ["arras"])

    assert [c[1] for c in rows(settings.db_path, "PRAGMA table_info(connexion_echecs)")] == [
        "cle",
        "echecs",
        "dernier_echec_at",
    ]
    assert rows(settings.db_path, "PRAGMA user_version") == [(LATEST_VERSION,)]
    with TestClient(app, base_url="http://testserver") as client:
        assert login(client, "anne@example.fr").status_code == 303
