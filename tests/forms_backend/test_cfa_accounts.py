"""CFA accounts: created by `users add --role cfa --uai`, same login, their own area only, their own reports
only, statuses in plain words and nothing of the CTL's work; the weekly digest; migration 10 keeps accounts."""

from __future__ import annotations

import io
import json
import os
from pathlib import Path

import pytest

from forms_backend.cli import main
from forms_backend.db import connection
from forms_backend.db.migrations import MIGRATIONS
from forms_backend.db.purge import unclassified_columns
from tests.conftest import ROOT
from tests.forms_backend.cfa_support import (
    CFA_A,
    CFA_B,
    COORD,
    UAI_A,
    UAI_B,
    Area,
    area_fixture,
    csv_bytes,
    report,
    table,
)
from tests.forms_backend.conftest import Inbox
from tests.forms_backend.coordination import PASSWORD, audit_actions, csrf_of, login, rows

__all__ = ["area_fixture"]


@pytest.fixture
def cli_db(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    for name in [n for n in os.environ if n.startswith("PARTAJ_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PARTAJ_DATA_DIR", str(ROOT / "data"))
    return tmp_path / "cli.db"


def _users_add(monkeypatch: pytest.MonkeyPatch, db: Path, *args: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(PASSWORD + "\n"))
    return main(["users", "add", *args, "--password-stdin", "--db", str(db)])


def test_users_add_creates_a_cfa_account_with_its_uais(
    cli_db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = _users_add(
        monkeypatch, cli_db, "cfa@cfa.example.fr", "--role", "cfa", "--uai", "0596789j", "--uai", UAI_B
    )

    assert code == 0
    assert capsys.readouterr().out == f"Compte créé : cfa@cfa.example.fr (CFA ; UAI : {UAI_B}, {UAI_A})\n"
    assert rows(
        cli_db, "SELECT u.role, x.uai FROM utilisateurs u JOIN utilisateur_uai x ON x.utilisateur_id = u.id"
    ) == [
        ("cfa", UAI_B),
        ("cfa", UAI_A),
    ]
    (entry,) = rows(cli_db, "SELECT action, details FROM audit")
    assert entry[0] == "compte-cree" and json.loads(entry[1])["uai"] == [UAI_B, UAI_A]
    assert main(["users", "list", "--db", str(cli_db)]) == 0
    assert capsys.readouterr().out == f"cfa@cfa.example.fr\tCFA\tUAI {UAI_B}, {UAI_A}\tactif\n"


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (
            ["--role", "cfa", "--uai", "0590000A"],
            "UAI invalide : « 0590000A » ; la lettre de contrôle ne correspond pas aux chiffres (attendu 0590000E) : "
            "vérifiez le numéro",
        ),
        (
            ["--role", "cfa", "--uai", "59000E"],
            "UAI invalide : « 59000E » ; attendu 7 chiffres suivis d'une lettre (ex. 0596789J)",
        ),
        (["--role", "cfa"], "un compte de CFA doit avoir au moins un UAI : --uai 0596789J"),
        (
            ["--role", "coordinateur", "--territoire", "arras", "--uai", UAI_A],
            "--uai ne vaut que pour un compte de CFA (--role cfa)",
        ),
        (
            ["--role", "cfa", "--uai", UAI_A, "--territoire", "arras"],
            "un CFA ne suit pas de territoire : n'indiquez pas --territoire, mais --uai",
        ),
    ],
)
def test_users_add_cfa_refusals(
    cli_db: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    message: str,
) -> None:
    assert _users_add(monkeypatch, cli_db, "cfa@cfa.example.fr", *args) == 1
    assert capsys.readouterr().err == f"erreur : {message}\n"


def test_cfa_login_lands_on_its_own_area(area: Area) -> None:
    response = login(area.client, CFA_A)

    assert (response.status_code, response.headers["location"]) == (303, "/cfa/")
    assert area.client.get("/cfa/").status_code == 200
    area.client.cookies.clear()
    assert login(area.client, CFA_A, suite="/coordination/journal").headers["location"] == "/cfa/"


@pytest.mark.parametrize(
    "path",
    [
        "/coordination/",
        "/coordination/situations/1",
        "/coordination/journal",
        "/coordination/export.csv",
        "/coordination/ctl/",
    ],
)
def test_cfa_account_cannot_reach_the_coordinators_pages(area: Area, path: str) -> None:
    area.login_as(CFA_A)
    response = area.client.get(path, follow_redirects=False)

    assert response.status_code == 403
    assert "<h1>Page réservée aux coordinateurs</h1>" in response.text
    assert response.headers["cache-control"] == "no-store"
    assert rows(
        area.db_path, "SELECT email, action, cible, resultat FROM audit WHERE action = 'acces-hors-espace'"
    ) == [(CFA_A, "acces-hors-espace", path, "refuse")]


def test_coordinator_cannot_reach_the_cfa_area(area: Area) -> None:
    area.login_as(COORD)
    response = area.client.get("/cfa/")

    assert response.status_code == 403
    assert "<h1>Page réservée aux CFA</h1>" in response.text
    assert login(area.client, COORD, suite="/cfa/").headers["location"] == "/coordination/"


def test_cfa_logout_ends_its_session(area: Area) -> None:
    area.login_as(CFA_A)
    response = area.client.post(
        "/coordination/deconnexion", data={"csrf_token": area.csrf()}, follow_redirects=False
    )

    assert response.headers["location"] == "/coordination/connexion?fin=1"
    assert area.client.get("/cfa/", follow_redirects=False).status_code == 303


def test_cfa_sees_only_its_own_reports_with_plain_statuses_and_nothing_of_the_ctl(area: Area) -> None:
    for email, uai, nom in ((CFA_A, UAI_A, "Alpha"), (CFA_B, UAI_B, "Beta")):
        area.login_as(email)
        preview = area.upload("a.csv", csv_bytes(table([report(nom=nom, cfa_uai=uai)], area.form)))
        area.confirm(preview.text)
    area.login_as(COORD)
    (alpha,) = rows(area.db_path, "SELECT id FROM situations WHERE nom = 'Alpha'")[0]
    token = csrf_of(area.client.get("/coordination/").text)
    for path, data in (
        ("statut", {"statut": "a-examiner-en-ctl"}),
        ("notes", {"texte": "Note confidentielle de la CTL"}),
        ("solutions", {"solution": "dispositif:epide"}),
    ):
        area.client.post(f"/coordination/situations/{alpha}/{path}", data={"csrf_token": token, **data})
    assert rows(area.db_path, "SELECT count(*) FROM situation_solutions") == [(1,)]
    assert rows(area.db_path, "SELECT count(*) FROM suivi_evenements WHERE genre = 'note'") == [(1,)]
    area.login_as(CFA_A)
    page = area.client.get("/cfa/").text

    assert "Alpha" in page and "Beta" not in page
    assert "<td>Examiné en CTL</td>" in page
    for secret in ("Note confidentielle", "epide", "EPIDE", "coord@example.fr"):
        assert secret not in page
    assert ("cfa-signalements-consultes", "succes") in [(a[1], a[2]) for a in audit_actions(area.db_path)]


def test_cfa_weekly_digest_lists_status_changes_without_names(
    area: Area, smtp: tuple[Inbox, int], monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    inbox, port = smtp
    area.login_as(CFA_A)
    area.confirm(area.upload("a.csv", csv_bytes(table([report(nom="Alpha")], area.form))).text)
    area.client.post("/cfa/resume", data={"csrf_token": area.csrf(), "resume": "oui"})
    area.login_as(COORD)
    (alpha, reference) = rows(area.db_path, "SELECT id, reference FROM situations")[0]
    token = csrf_of(area.client.get("/coordination/").text)
    area.client.post(
        f"/coordination/situations/{alpha}/statut", data={"csrf_token": token, "statut": "a-examiner-en-ctl"}
    )
    for name, value in {
        "PARTAJ_SMTP_HOST": "127.0.0.1",
        "PARTAJ_SMTP_PORT": str(port),
        "PARTAJ_SMTP_FROM": "partaj@example.fr",
    }.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("PARTAJ_DATA_DIR", str(ROOT / "data"))

    assert main(["cfa", "resumes", "--db", str(area.db_path)]) == 0
    assert capsys.readouterr().out.endswith("1 résumé(s) envoyé(s).\n")
    (message,) = inbox.messages
    assert message["To"] == CFA_A
    body = message.get_content()
    assert f"- {reference} : Examiné en CTL (le " in body
    assert "Alpha" not in body
    assert main(["cfa", "resumes", "--db", str(area.db_path)]) == 0
    assert capsys.readouterr().out.endswith("0 résumé(s) envoyé(s).\n")


def test_migration_10_keeps_accounts_territories_and_sessions(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "v8.db"
    db = connection.connect(path)
    monkeypatch.setattr(connection, "MIGRATIONS", tuple(m for m in MIGRATIONS if m.version <= 8))
    connection.migrate(db, path)
    db.execute(
        "INSERT INTO utilisateurs (email, mot_de_passe, role, created_at, updated_at) "
        "VALUES ('a@example.fr', 'h', 'coordinateur', 't', 't')"
    )
    db.execute("INSERT INTO utilisateur_territoires VALUES (1, 'arras')")
    db.execute("INSERT INTO sessions VALUES ('empreinte', 1, 'secret', 't', 't')")
    monkeypatch.setattr(connection, "MIGRATIONS", MIGRATIONS)

    assert 10 in connection.migrate(db, path)
    assert db.execute("SELECT utilisateur_id, territoire FROM utilisateur_territoires").fetchall() == [
        (1, "arras")
    ]
    assert db.execute("SELECT id_hash FROM sessions").fetchall() == [("empreinte",)]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    db.execute(
        "INSERT INTO utilisateurs (email, mot_de_passe, role, created_at, updated_at) VALUES ('c@x.fr', 'h', 'cfa', 't', 't')"
    )
    assert unclassified_columns(db) == []
    db.close()
