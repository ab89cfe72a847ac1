"""Freshness (issue 13): « À actualiser » lists the sheets checked over 12 months ago with their public contact;
`rappels-actualisation` writes to that contact at most once every 90 days, with the correction form's link."""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest

from forms_backend.cli import main
from tests.forms_backend.coordination import rows
from tests.forms_backend.propositions_support import REGIONAL, running, scratch_repo


def make_stale(data_dir: Path) -> None:
    """EPIDE checked in January 2024, with a public contact address (a fictional one)."""
    path = data_dir / "dispositifs" / "epide.yaml"
    text = re.sub(
        r"^date_maj: .*$", "date_maj: 2024-01-15", path.read_text(encoding="utf-8"), flags=re.MULTILINE
    )
    path.write_text(text + "courriel: contact-epide@example.org\n", encoding="utf-8")


def run(monkeypatch: pytest.MonkeyPatch, data_dir: Path, db: Path, *argv: str, **env: str) -> int:
    for name in [n for n in os.environ if n.startswith("PARTAJ_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PARTAJ_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PARTAJ_BASE_URL", "https://partaj.example.org")
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return main(["rappels-actualisation", *argv, "--db", str(db)])


def test_reminders_go_once_every_90_days_with_the_prefilled_link(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], smtp: tuple[Any, int]
) -> None:
    inbox, port = smtp
    data_dir = scratch_repo(tmp_path)
    make_stale(data_dir)
    db = tmp_path / "cli.db"
    mail = {
        "PARTAJ_SMTP_HOST": "127.0.0.1",
        "PARTAJ_SMTP_PORT": str(port),
        "PARTAJ_SMTP_FROM": "partaj@example.org",
    }

    assert run(monkeypatch, data_dir, db, "--dry-run", **mail) == 0
    dry = capsys.readouterr().out
    assert "à envoyer : dispositif epide (vérifiée le 2024-01-15)" in dry
    assert inbox.messages == []

    assert run(monkeypatch, data_dir, db, **mail) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "1 rappel(s) envoyé(s)."
    (message,) = inbox.messages
    assert message["To"] == "contact-epide@example.org"
    assert message["Subject"].startswith("PARTAJ : la fiche « EPIDE")
    assert "https://partaj.example.org/contribuer/correction/epide?rappel=1" in message.get_content()
    assert rows(db, "SELECT fiche_type, fiche FROM rappels_actualisation") == [("dispositif", "epide")]
    assert rows(db, "SELECT action, details FROM audit WHERE action = 'rappels-actualisation'") == [
        ("rappels-actualisation", '{"rappels": 1}')
    ]

    assert run(monkeypatch, data_dir, db, **mail) == 0
    assert "déjà relancée il y a moins de 90 jours : dispositif epide" in capsys.readouterr().out
    assert len(inbox.messages) == 1


def test_without_smtp_nothing_is_recorded(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    data_dir = scratch_repo(tmp_path)
    make_stale(data_dir)
    db = tmp_path / "cli.db"

    assert run(monkeypatch, data_dir, db) == 1
    assert "PARTAJ_SMTP_HOST n'est pas réglé" in capsys.readouterr().err
    assert rows(db, "SELECT count(*) FROM rappels_actualisation") == [(0,)]


def test_the_page_lists_stale_sheets_with_their_contact(tmp_path: Path) -> None:
    with running(tmp_path) as app:
        make_stale(app.data_dir)
        app.app.state.reload_catalogue()
        app.login_as(REGIONAL)

        page = app.client.get("/coordination/a-actualiser")

    assert page.status_code == 200
    row = page.text.split('<tr data-id="epide">', 1)[1].split("</tr>", 1)[0]
    assert "15/01/2024" in row
    assert "contact-epide@example.org" in row
    assert "jamais" in row
    assert '<a href="/contribuer/correction/epide">' in row
