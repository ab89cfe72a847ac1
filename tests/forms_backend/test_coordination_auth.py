"""Accounts, login, sessions, CSRF, throttling, audit log: the back office's front door."""

from __future__ import annotations

import html
import io
import json
import os
import sqlite3
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.testclient import TestClient

from forms_backend.accounts import rules as accounts
from forms_backend.accounts.auth import User, back_office, require_regional, session_digest
from forms_backend.app import create_app
from forms_backend.cli import main
from forms_backend.clock import now as real_now
from forms_backend.db import audit
from forms_backend.db.store import Store
from forms_backend.settings import Settings
from forms_backend.vocabulary import AuditAction, AuditResult
from forms_backend.web.audit import log as log_audit
from generator.catalogue import Catalogue
from tests.conftest import ROOT
from tests.forms_backend.coordination import (
    PASSWORD,
    FakeClock,
    audit_actions,
    create_account,
    csrf_of,
    login,
    login_message,
    rows,
)

LENS = "lens-lievin-henin-carvin"
REFUSED = "Adresse électronique ou mot de passe incorrect."
CSRF_REFUSED = (
    "Cette action n'a pas pu être vérifiée : la page était peut-être trop ancienne, ouverte avant une "
    "déconnexion, ou la demande venait d'un autre site. Rechargez la page puis recommencez."
)


async def probe(request: Request) -> Response:
    """A back-office endpoint of the tests: shows who is logged in, audits its POSTs."""
    if request.method == "POST":
        await log_audit(request, AuditAction.MODIFICATION, "cible-1", AuditResult.SUCCES, {"n": 1})
    return PlainTextResponse(f"{request.state.user.email} {request.state.csrf}")


@pytest.fixture
def app(settings: Settings, catalogue: Catalogue, clock: FakeClock) -> Starlette:
    application = create_app(settings, catalogue)
    application.state.services.clock = clock
    application.router.routes.insert(
        0, Route("/coordination/essai", back_office(probe), methods=["GET", "POST"])
    )
    return application


@pytest.fixture
def store(app: Starlette) -> Store:
    return app.state.services.store  # type: ignore[no-any-return]


@pytest.fixture
def web(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as test_client:
        yield test_client


@pytest.fixture
def db(settings: Settings) -> Path:
    return settings.db_path


@pytest.fixture
def anne(store: Store) -> int:
    """A coordinator of Lens and Arras."""
    return create_account(store, "anne@example.fr", "coordinateur", [LENS, "arras"])


def session_of(client: TestClient) -> str:
    value = client.cookies.get("partaj_session")
    assert value, "pas de cookie de session"
    return value


# --- command line -------------------------------------------------------------------------------------------


@pytest.fixture
def cli_env(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A clean `PARTAJ_*` environment for the commands; returns the database path."""
    for name in [n for n in os.environ if n.startswith("PARTAJ_")]:
        monkeypatch.delenv(name)
    monkeypatch.setenv("PARTAJ_DATA_DIR", str(ROOT / "data"))
    return tmp_path / "cli.db"


def run_cli(monkeypatch: pytest.MonkeyPatch, argv: list[str], stdin: str = "") -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    return main(argv)


def test_users_add_creates_a_coordinator_with_an_argon2id_hash_and_audits_it(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = ["users", "add", "anne@example.fr", "--role", "coordinateur", "--territoire", "dunkerque"]
    argv += ["--territoire", "arras", "--password-stdin", "--db", str(cli_env)]

    code = run_cli(monkeypatch, argv, PASSWORD + "\n")

    assert code == 0
    assert (
        capsys.readouterr().out
        == "Compte créé : anne@example.fr (coordinateur ; territoires : arras, dunkerque)\n"
    )
    ((user_id, email, role, actif, password_hash),) = rows(
        cli_env, "SELECT id, email, role, actif, mot_de_passe FROM utilisateurs"
    )
    assert (email, role, actif) == ("anne@example.fr", "coordinateur", 1)
    assert password_hash.startswith("$argon2id$") and PASSWORD not in password_hash
    assert accounts.verify_password(password_hash, PASSWORD)
    assert rows(
        cli_env, "SELECT territoire FROM utilisateur_territoires WHERE utilisateur_id = ?", [user_id]
    ) == [
        ("arras",),
        ("dunkerque",),
    ]
    ((action, target, result, details),) = rows(cli_env, "SELECT action, cible, resultat, details FROM audit")
    assert (action, target, result) == ("compte-cree", "anne@example.fr", "succes")
    assert json.loads(details) == {
        "par": "ligne de commande",
        "role": "coordinateur",
        "territoires": ["arras", "dunkerque"],
    }


@pytest.mark.parametrize(
    ("args", "password", "message"),
    [
        (
            ["x@example.fr", "--role", "coordinateur", "--territoire", "atlantide"],
            PASSWORD,
            "erreur : territoire inconnu : atlantide (territoires du catalogue : arras, bethune-bruay, dunkerque, "
            "hors-territoires, lens-lievin-henin-carvin, roubaix-tourcoing, sambre-avesnois, valenciennes)",
        ),
        (
            ["x@example.fr", "--role", "coordinateur", "--territoire", "arras"],
            "trop court",
            "erreur : mot de passe trop court : au moins 12 caractères "
            "(une phrase de passe de plusieurs mots convient bien)",
        ),
        (
            ["x@example.fr", "--role", "coordinateur"],
            PASSWORD,
            "erreur : un coordinateur doit avoir au moins un territoire : --territoire ID",
        ),
        (
            ["x@example.fr", "--role", "regional", "--territoire", "arras"],
            PASSWORD,
            "erreur : un coordinateur régional voit tous les territoires : n'indiquez pas --territoire",
        ),
    ],
)
def test_users_add_refuses_a_bad_account_and_stores_nothing(
    cli_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    args: list[str],
    password: str,
    message: str,
) -> None:
    code = run_cli(
        monkeypatch, ["users", "add", *args, "--password-stdin", "--db", str(cli_env)], password + "\n"
    )

    assert code == 1
    assert capsys.readouterr().err == message + "\n"
    assert not cli_env.exists() or rows(cli_env, "SELECT count(*) FROM utilisateurs") == [(0,)]


def test_users_add_refuses_an_address_already_taken_whatever_its_case(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    base = ["--role", "regional", "--password-stdin", "--db", str(cli_env)]
    assert run_cli(monkeypatch, ["users", "add", "reg@example.fr", *base], PASSWORD) == 0
    capsys.readouterr()

    assert run_cli(monkeypatch, ["users", "add", "REG@example.fr", *base], PASSWORD) == 1

    assert capsys.readouterr().err == "erreur : un compte existe déjà pour REG@example.fr\n"
    assert rows(cli_env, "SELECT count(*) FROM utilisateurs") == [(1,)]


def test_users_add_asks_the_password_twice_at_a_hidden_prompt(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    typed = iter([PASSWORD, PASSWORD + " autre"])
    prompts: list[str] = []

    def fake_getpass(prompt: str) -> str:
        prompts.append(prompt)
        return next(typed)

    monkeypatch.setattr("getpass.getpass", fake_getpass)

    code = main(["users", "add", "reg@example.fr", "--role", "regional", "--db", str(cli_env)])

    assert code == 1
    assert prompts == ["Mot de passe : ", "Confirmez le mot de passe : "]
    assert (
        capsys.readouterr().err
        == "erreur : les deux saisies du mot de passe diffèrent ; rien n'a été changé\n"
    )
    assert rows(cli_env, "SELECT count(*) FROM utilisateurs") == [(0,)]


def test_users_list_disable_enable_and_passwd(
    cli_env: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    db = ["--db", str(cli_env)]
    assert run_cli(monkeypatch, ["users", "list", *db]) == 0
    assert capsys.readouterr().out.startswith("Aucun compte de coordination n'existe encore.")
    run_cli(
        monkeypatch,
        ["users", "add", "reg@example.fr", "--role", "regional", "--password-stdin", *db],
        PASSWORD,
    )
    add = [
        "users",
        "add",
        "anne@example.fr",
        "--role",
        "coordinateur",
        "--territoire",
        "arras",
        "--password-stdin",
    ]
    run_cli(monkeypatch, [*add, *db], PASSWORD)
    capsys.readouterr()

    assert run_cli(monkeypatch, ["users", "disable", "Anne@example.fr", *db]) == 0
    assert capsys.readouterr().out == "Compte désactivé : anne@example.fr (ses sessions sont fermées)\n"
    run_cli(monkeypatch, ["users", "list", *db])
    assert capsys.readouterr().out == (
        "anne@example.fr\tcoordinateur\tarras\tdésactivé\nreg@example.fr\trégional\ttous les territoires\tactif\n"
    )
    assert run_cli(monkeypatch, ["users", "enable", "anne@example.fr", *db]) == 0
    assert capsys.readouterr().out == "Compte réactivé : anne@example.fr\n"

    new_password = "une toute nouvelle phrase"
    assert (
        run_cli(monkeypatch, ["users", "passwd", "anne@example.fr", "--password-stdin", *db], new_password)
        == 0
    )
    assert capsys.readouterr().out == (
        "Mot de passe changé pour anne@example.fr : échecs de connexion oubliés, sessions fermées.\n"
    )
    ((password_hash,),) = rows(
        cli_env, "SELECT mot_de_passe FROM utilisateurs WHERE email = 'anne@example.fr'"
    )
    assert accounts.verify_password(password_hash, new_password)
    assert run_cli(monkeypatch, ["users", "disable", "personne@example.fr", *db]) == 1
    assert capsys.readouterr().err == "erreur : aucun compte pour personne@example.fr\n"
    assert [r[1] for r in audit_actions(cli_env)] == [
        "compte-cree",
        "compte-cree",
        "compte-desactive",
        "compte-reactive",
        "mot-de-passe-change",
    ]


# --- login ----------------------------------------------------------------------------------------------------


def test_login_opens_a_server_side_session_with_a_strict_httponly_cookie(
    web: TestClient, db: Path, anne: int
) -> None:
    response = login(web, "anne@example.fr", suite="/coordination/essai")

    assert response.status_code == 303
    assert response.headers["location"] == "/coordination/essai"
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "partaj_session=" in v
    )
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert flags == {"httponly", "path=/", "samesite=strict"}
    session_id = session_of(web)
    assert rows(
        db, "SELECT utilisateur_id FROM sessions WHERE id_hash = ?", [session_digest(session_id)]
    ) == [(anne,)]
    assert rows(db, "SELECT count(*) FROM sessions WHERE id_hash = ?", [session_id]) == [(0,)]
    page = web.get("/coordination/essai")
    assert page.status_code == 200
    assert page.text.startswith("anne@example.fr ")
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-robots-tag"] == "noindex"
    assert audit_actions(db)[-1] == ("anne@example.fr", "connexion", "succes", "{}")


def test_login_cookie_is_secure_and_host_prefixed_over_https(
    tmp_path: Path, catalogue: Catalogue, settings: Settings
) -> None:
    https = settings.but(base_url="https://testserver")
    app = create_app(https, catalogue)
    create_account(app.state.services.store, "anne@example.fr", "coordinateur", [LENS])
    with TestClient(app, base_url="https://testserver") as client:
        response = login(client, "anne@example.fr")

    assert response.status_code == 303
    cookie = next(
        v for k, v in response.headers.multi_items() if k == "set-cookie" and "partaj_session=" in v
    )
    assert cookie.startswith("__Host-partaj_session=")
    assert {part.strip().lower() for part in cookie.split(";")[1:]} == {
        "httponly",
        "path=/",
        "samesite=strict",
        "secure",
    }


def test_unknown_address_and_wrong_password_get_the_same_answer_after_the_same_work(
    web: TestClient, db: Path, anne: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    verified: list[str] = []
    real_verify = accounts.verify_password

    def spy(password_hash: str, password: str) -> bool:
        verified.append(password_hash)
        return real_verify(password_hash, password)

    monkeypatch.setattr(accounts, "verify_password", spy)

    wrong = login(web, "anne@example.fr", "pas le bon mot de passe")
    unknown = login(web, "inconnu@example.fr", "pas le bon mot de passe")

    assert wrong.status_code == unknown.status_code == 403
    assert login_message(wrong.text) == login_message(unknown.text) == REFUSED
    assert wrong.text.replace("anne@example.fr", "ADRESSE") == unknown.text.replace(
        "inconnu@example.fr", "ADRESSE"
    )
    assert len(verified) == 2 and verified[1] == accounts.dummy_hash()
    assert web.cookies.get("partaj_session") is None
    assert audit_actions(db)[-2:] == [
        ("anne@example.fr", "connexion", "echec", '{"echecs": 1}'),
        (None, "connexion", "echec", '{"compte": "inconnu", "echecs": 1}'),
    ]


def test_deactivated_account_gets_the_same_refusal(
    web: TestClient, store: Store, db: Path, anne: int
) -> None:
    store.submit(lambda conn: accounts.set_active(conn, "anne@example.fr", False, datetime.now(UTC))).result()

    response = login(web, "anne@example.fr")

    assert response.status_code == 403
    assert login_message(response.text) == REFUSED
    assert audit_actions(db)[-1] == (
        "anne@example.fr",
        "connexion",
        "echec",
        '{"compte": "desactive", "echecs": 1}',
    )


def test_login_with_empty_fields_says_what_is_missing(web: TestClient) -> None:
    page = web.get("/coordination/connexion")

    response = web.post(
        "/coordination/connexion", data={"csrf_token": csrf_of(page.text), "email": " ", "mot_de_passe": ""}
    )

    assert response.status_code == 422
    assert (
        '<p class="message-erreur" id="champ-email-erreur"><span class="visuellement-cache">Erreur : </span>'
        "Saisissez votre adresse électronique.</p>" in response.text
    )
    assert "Saisissez votre mot de passe.</p>" in response.text
    assert "<title>Erreur : Connexion des coordinateurs — PARTAJ</title>" in response.text


def test_login_without_its_csrf_token_is_refused(web: TestClient, db: Path, anne: int) -> None:
    web.get("/coordination/connexion")

    response = web.post(
        "/coordination/connexion",
        data={"email": "anne@example.fr", "mot_de_passe": PASSWORD},
        follow_redirects=False,
    )

    assert response.status_code == 403
    assert CSRF_REFUSED in html.unescape(response.text)
    assert rows(db, "SELECT count(*) FROM sessions") == [(0,)]


@pytest.mark.parametrize(
    ("suite", "location"),
    [
        ("/coordination/essai?page=2", "/coordination/essai?page=2"),
        ("https://pirate.example/coordination/", "/coordination/"),
        ("//pirate.example/coordination/", "/coordination/"),
        ("/\\pirate.example", "/coordination/"),
        ("javascript:alert(1)", "/coordination/"),
        ("/formulaires/rupture", "/coordination/"),
        ("/coordination/connexion", "/coordination/"),
    ],
)
def test_login_goes_back_to_a_local_back_office_path_only(
    web: TestClient, anne: int, suite: str, location: str
) -> None:
    response = login(web, "anne@example.fr", suite=suite)

    assert response.status_code == 303
    assert response.headers["location"] == location


def test_anonymous_visitor_is_sent_to_the_login_page_with_the_way_back(web: TestClient) -> None:
    response = web.get("/coordination/essai?page=2", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/coordination/connexion?suite=%2Fcoordination%2Fessai%3Fpage%3D2"
    assert response.headers["cache-control"] == "no-store"
    page = web.get(response.headers["location"])
    assert 'name="suite" value="/coordination/essai?page=2"' in page.text


def test_session_id_is_renewed_at_login_and_the_old_one_ends(web: TestClient, db: Path, anne: int) -> None:
    login(web, "anne@example.fr")
    first = session_of(web)

    login(web, "anne@example.fr")
    second = session_of(web)

    assert second != first
    assert rows(db, "SELECT id_hash FROM sessions") == [(session_digest(second),)]
    web.cookies.set("partaj_session", first)
    assert web.get("/coordination/essai", follow_redirects=False).status_code == 303


# --- logout, CSRF ------------------------------------------------------------------------------------------


def test_logout_needs_the_csrf_token_then_a_replayed_cookie_is_refused(
    web: TestClient, db: Path, anne: int
) -> None:
    login(web, "anne@example.fr")
    session_id = session_of(web)
    token = web.get("/coordination/essai").text.split(" ", 1)[1]

    forged = web.post("/coordination/deconnexion", data={"csrf_token": "faux"}, follow_redirects=False)
    assert forged.status_code == 403
    assert CSRF_REFUSED in html.unescape(forged.text)
    assert web.get("/coordination/essai").status_code == 200

    response = web.post("/coordination/deconnexion", data={"csrf_token": token}, follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/coordination/connexion?fin=1"
    assert rows(db, "SELECT count(*) FROM sessions") == [(0,)]
    assert "Vous êtes déconnecté." in web.get("/coordination/connexion?fin=1").text
    web.cookies.set("partaj_session", session_id)
    replay = web.get("/coordination/essai", follow_redirects=False)
    assert replay.status_code == 303
    assert replay.headers["location"] == "/coordination/connexion?suite=%2Fcoordination%2Fessai"
    replayed_post = web.post("/coordination/essai", data={"csrf_token": token}, follow_redirects=False)
    assert replayed_post.status_code == 303
    assert replayed_post.headers["location"] == "/coordination/connexion"
    assert [a[:3] for a in audit_actions(db)[-2:]] == [
        ("anne@example.fr", "csrf", "refuse"),
        ("anne@example.fr", "deconnexion", "succes"),
    ]


@pytest.mark.parametrize(
    ("data", "headers"),
    [
        ({}, {}),
        ({"csrf_token": "faux"}, {}),
        ({"csrf_token": "JETON"}, {"origin": "https://pirate.example"}),
        ({"csrf_token": "JETON"}, {"sec-fetch-site": "cross-site"}),
    ],
)
def test_back_office_post_without_a_valid_csrf_token_is_refused_and_audited(
    web: TestClient, db: Path, anne: int, data: dict[str, str], headers: dict[str, str]
) -> None:
    login(web, "anne@example.fr")
    token = web.get("/coordination/essai").text.split(" ", 1)[1]
    sent = {k: (token if v == "JETON" else v) for k, v in data.items()}

    response = web.post("/coordination/essai", data=sent, headers=headers)

    assert response.status_code == 403
    assert CSRF_REFUSED in html.unescape(response.text)
    assert response.headers["cache-control"] == "no-store"
    assert audit_actions(db)[-1] == ("anne@example.fr", "csrf", "refuse", "{}")
    assert rows(db, "SELECT count(*) FROM audit WHERE action = 'modification'") == [(0,)]


def test_back_office_post_with_its_token_runs_and_audit_log_names_the_user(
    web: TestClient, db: Path, anne: int, clock: FakeClock
) -> None:
    login(web, "anne@example.fr")
    token = web.get("/coordination/essai").text.split(" ", 1)[1]

    response = web.post("/coordination/essai", data={"csrf_token": token})

    assert response.status_code == 200
    assert rows(
        db,
        "SELECT at, utilisateur_id, email, action, cible, resultat, details FROM audit WHERE action = 'modification'",
    ) == [
        (
            "2026-03-02T09:00:00.000000Z",
            anne,
            "anne@example.fr",
            "modification",
            "cible-1",
            "succes",
            '{"n": 1}',
        )
    ]


# --- timeouts ----------------------------------------------------------------------------------------------


def test_session_ends_after_30_minutes_without_activity(
    web: TestClient, db: Path, anne: int, clock: FakeClock
) -> None:
    login(web, "anne@example.fr")
    clock.advance(minutes=29)
    assert web.get("/coordination/essai").status_code == 200
    clock.advance(minutes=29)
    assert web.get("/coordination/essai").status_code == 200

    clock.advance(minutes=30)
    response = web.get("/coordination/essai", follow_redirects=False)

    assert response.status_code == 303
    assert response.headers["location"] == "/coordination/connexion?expiree=1&suite=%2Fcoordination%2Fessai"
    assert (
        "Votre session a expiré. Reconnectez-vous pour continuer."
        in web.get(response.headers["location"]).text
    )
    assert rows(db, "SELECT count(*) FROM sessions") == [(0,)]
    assert audit_actions(db)[-1] == ("anne@example.fr", "session-expiree", "succes", "{}")


def test_session_ends_8_hours_after_login_even_when_active(
    web: TestClient, anne: int, clock: FakeClock
) -> None:
    login(web, "anne@example.fr")
    for _ in range(23):
        clock.advance(minutes=20)
        assert web.get("/coordination/essai", follow_redirects=False).status_code == 200

    clock.advance(minutes=20)

    assert web.get("/coordination/essai", follow_redirects=False).status_code == 303


# --- throttling (no lock) ------------------------------------------------------------------------------------


def test_failures_after_the_fifth_impose_a_growing_wait(
    web: TestClient, db: Path, anne: int, clock: FakeClock
) -> None:
    for _ in range(5):
        assert login(web, "anne@example.fr", "mauvais mot de passe").status_code == 403

    too_soon = login(web, "anne@example.fr")  # even the right password waits, from a browser never logged in
    assert too_soon.status_code == 429
    assert too_soon.headers["retry-after"] == "30"
    assert login_message(too_soon.text) == (
        "Trop de tentatives de connexion avec cette adresse. Réessayez dans 30 secondes."
    )
    clock.advance(seconds=30)
    assert login(web, "anne@example.fr", "mauvais mot de passe").status_code == 403
    again = login(web, "anne@example.fr")
    assert again.status_code == 429
    assert again.headers["retry-after"] == "60"
    assert (
        login_message(again.text)
        == "Trop de tentatives de connexion avec cette adresse. Réessayez dans 1 minute."
    )
    clock.advance(seconds=59)
    assert login(web, "anne@example.fr").headers["retry-after"] == "1"
    clock.advance(seconds=1)

    assert login(web, "anne@example.fr").status_code == 303
    assert rows(db, "SELECT count(*) FROM connexion_echecs") == [(0,)]
    refused = [json.loads(a[3]) for a in audit_actions(db) if a[2] == "refuse"]
    assert [r["attente_s"] for r in refused] == [30, 60, 1]


def test_failures_never_lock_the_address_the_wait_ends_by_itself(
    web: TestClient,
    db: Path,
    anne: int,
    clock: FakeClock,
    settings: Settings,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    answers = []
    for _ in range(12):
        answers.append(login(web, "anne@example.fr", "mauvais mot de passe"))
        clock.advance(minutes=15)

    assert [r.status_code for r in answers] == [403] * 12
    assert [login_message(r.text) for r in answers] == [REFUSED] * 12
    still = login(web, "anne@example.fr")  # 15 minutes after the 12th failure, at most, then no more
    assert still.status_code == 303
    assert [a[1:3] for a in audit_actions(db)].count(("ralentissement", "succes")) == 1
    assert ("anne@example.fr", "ralentissement", "succes", '{"attente_s": 30, "echecs": 5}') in audit_actions(
        db
    )
    assert "verrouillage" not in [a[1] for a in audit_actions(db)]

    web.cookies.clear()  # another browser, never logged in
    for _ in range(6):
        clock.advance(minutes=1)
        login(web, "anne@example.fr", "mauvais mot de passe")
    slowed = login(web, "anne@example.fr")
    assert slowed.status_code == 429 and slowed.headers["retry-after"] == "60"
    assert login_message(slowed.text) == (
        "Trop de tentatives de connexion avec cette adresse. Réessayez dans 1 minute."
    )
    assert audit_actions(db)[-1] == (
        "anne@example.fr",
        "connexion",
        "refuse",
        '{"attente_s": 60, "motif": "attente"}',
    )

    monkeypatch.setenv("PARTAJ_DATA_DIR", str(ROOT / "data"))
    monkeypatch.setattr("forms_backend.clock.now", clock)
    assert main(["users", "list", "--db", str(settings.db_path)]) == 0
    assert capsys.readouterr().out == (
        f"anne@example.fr\tcoordinateur\tarras, {LENS}\tralenti jusqu'à 13:07 (navigateurs inconnus)\n"
    )
    clock.advance(seconds=60)
    assert main(["users", "list", "--db", str(settings.db_path)]) == 0
    assert capsys.readouterr().out == f"anne@example.fr\tcoordinateur\tarras, {LENS}\tactif\n"
    assert login(web, "anne@example.fr").status_code == 303


def test_unknown_address_is_throttled_like_a_real_one(web: TestClient, anne: int, clock: FakeClock) -> None:
    def attempts_every_50_seconds(email: str) -> list[tuple[int, str | None, str | None]]:
        seen = []
        for _ in range(14):
            response = login(web, email, "mauvais mot de passe")
            seen.append(
                (response.status_code, response.headers.get("retry-after"), login_message(response.text))
            )
            clock.advance(seconds=50)
        clock.advance(hours=2)
        return seen

    real, unknown = (
        attempts_every_50_seconds("anne@example.fr"),
        attempts_every_50_seconds("personne@example.fr"),
    )

    assert real == unknown
    wait = "Trop de tentatives de connexion avec cette adresse. Réessayez dans {}."
    assert real == [(403, None, REFUSED)] * 6 + [
        (429, "10", wait.format("10 secondes")),
        (403, None, REFUSED),
        (429, "70", wait.format("2 minutes")),
        (429, "20", wait.format("20 secondes")),
        (403, None, REFUSED),
        (429, "190", wait.format("4 minutes")),
        (429, "140", wait.format("3 minutes")),
        (429, "90", wait.format("2 minutes")),
    ]


# --- authorisation and audit log ---------------------------------------------------------------------------


def test_user_sees_its_territories_and_a_regional_coordinator_sees_all() -> None:
    coordinator = User(1, "anne@example.fr", "coordinateur", frozenset({LENS}))
    regional = User(2, "reg@example.fr", "regional", frozenset())

    assert coordinator.sees(LENS) and not coordinator.sees("arras")
    assert coordinator.scope() == frozenset({LENS})
    assert regional.sees("arras") and regional.scope() is None
    require_regional(regional)
    with pytest.raises(Exception) as refused:
        require_regional(coordinator)
    assert getattr(refused.value, "status_code", None) == 404


def test_audit_log_page_is_for_regional_coordinators_only(
    web: TestClient, store: Store, db: Path, anne: int
) -> None:
    assert web.get("/coordination/journal", follow_redirects=False).status_code == 303
    login(web, "anne@example.fr")
    assert web.get("/coordination/journal").status_code == 404
    create_account(store, "reg@example.fr", "regional")
    login(web, "reg@example.fr")

    page = web.get("/coordination/journal")

    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert "<h1>Journal d'audit</h1>" in page.text
    assert "<td>anne@example.fr</td>" in page.text and "<td>Connexion</td>" in page.text
    assert rows(db, "SELECT email, action FROM audit ORDER BY id DESC LIMIT 1") == [
        ("reg@example.fr", "journal-consulte")
    ]


def test_audit_log_page_is_paginated_newest_first(web: TestClient, store: Store, db: Path) -> None:
    create_account(store, "reg@example.fr", "regional")
    for n in range(120):
        store.submit(
            lambda conn, n=n: audit.record(
                conn,
                user_id=None,
                email=None,
                action=AuditAction.MODIFICATION,
                target=f"n{n:03d}",
                result=AuditResult.SUCCES,
                at=real_now(),
            )
        ).result()
    login(web, "reg@example.fr")

    last = html.unescape(web.get("/coordination/journal?page=3").text)

    assert "<title>Journal d'audit (page 3 sur 3) — PARTAJ</title>" in last
    assert "123 entrées — page 3 sur 3." in last
    assert "<td>n021</td>" in last and "<td>n022</td>" not in last
    assert 'href="/coordination/journal?page=2" rel="prev">Page précédente</a>' in last
    assert "<td>n119</td>" in web.get("/coordination/journal?page=abc").text


def test_audit_entries_cannot_be_changed_nor_deleted_before_12_months(store: Store, db: Path) -> None:
    store.submit(
        lambda conn: audit.record(
            conn,
            user_id=None,
            email=None,
            action=AuditAction.MODIFICATION,
            target=None,
            result=AuditResult.SUCCES,
            at=real_now(),
        )
    ).result()
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO audit (at, action, resultat) VALUES ('2020-01-01T00:00:00.000000Z', 'ancien', 'succes')"
        )
    with sqlite3.connect(db) as conn:
        with pytest.raises(sqlite3.IntegrityError, match="journal d'audit : modification interdite"):
            conn.execute("UPDATE audit SET resultat = 'echec'")
        with pytest.raises(
            sqlite3.IntegrityError, match="journal d'audit : suppression interdite avant 12 mois"
        ):
            conn.execute("DELETE FROM audit WHERE action = 'modification'")
        conn.execute("DELETE FROM audit WHERE action = 'ancien'")
    assert rows(db, "SELECT action, resultat FROM audit") == [("modification", "succes")]


def test_a_hash_made_with_older_argon2_parameters_is_replaced_at_login(
    web: TestClient, store: Store, db: Path
) -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PASSWORD)
    create_account(store, "anne@example.fr", "coordinateur", [LENS])
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE utilisateurs SET mot_de_passe = ?", [weak])

    assert login(web, "anne@example.fr").status_code == 303

    ((stored,),) = rows(db, "SELECT mot_de_passe FROM utilisateurs")
    assert stored != weak and not accounts.needs_rehash(stored) and accounts.verify_password(stored, PASSWORD)
