"""What an anonymous client can make the login page do: no hash of an over-long password, two hashes at a time,
a bounded queue, a limit of attempts per client address (429 without audit entry, database write nor hash)."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from forms_backend.accounts import guard
from forms_backend.accounts import rules as accounts
from forms_backend.app import create_app
from forms_backend.settings import Settings
from generator.catalogue import Catalogue
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

REFUSED = "Adresse électronique ou mot de passe incorrect."
CLIENT_LIMITED = "Trop de tentatives de connexion depuis votre réseau. Réessayez dans {}."
BUSY = "Le service de connexion est très sollicité. Réessayez dans quelques secondes."


@pytest.fixture
def app(settings: Settings, catalogue: Catalogue, clock: FakeClock) -> Starlette:
    application = create_app(settings, catalogue)
    application.state.services.clock = clock
    create_account(application.state.services.store, "anne@example.fr", "coordinateur", ["arras"])
    return application


@pytest.fixture
def web(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver") as client:
        yield client


class HashSpy:
    """Stands for `check_login_password`: counts the calls and how many run at the same time."""

    def __init__(self, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.calls: list[int] = []
        self.running = 0
        self.most = 0
        self.threads: set[str] = set()
        self._lock = threading.Lock()

    def __call__(self, password_hash: str | None, password: str) -> bool:
        with self._lock:
            self.calls.append(len(password))
            self.running += 1
            self.most = max(self.most, self.running)
            self.threads.add(threading.current_thread().name)
        time.sleep(self.seconds)
        with self._lock:
            self.running -= 1
        return False


@pytest.fixture
def spy(monkeypatch: pytest.MonkeyPatch) -> HashSpy:
    hashes = HashSpy()
    monkeypatch.setattr(accounts, "check_login_password", hashes)
    return hashes


def test_login_password_over_256_characters_is_refused_like_a_wrong_one_without_any_hash(
    web: TestClient, settings: Settings, spy: HashSpy
) -> None:
    wrong = login(web, "anne@example.fr", "x" * 256)
    too_long = login(web, "anne@example.fr", "x" * 257)
    much_too_long = login(web, "inconnu@example.fr", "x" * 1024)

    assert spy.calls == [256]
    assert wrong.status_code == too_long.status_code == much_too_long.status_code == 403
    assert (
        login_message(wrong.text)
        == login_message(too_long.text)
        == login_message(much_too_long.text)
        == REFUSED
    )
    assert wrong.text == too_long.text
    assert audit_actions(settings.db_path)[-3:] == [
        ("anne@example.fr", "connexion", "echec", '{"echecs": 1}'),
        ("anne@example.fr", "connexion", "echec", '{"echecs": 2}'),
        (None, "connexion", "echec", '{"compte": "inconnu", "echecs": 1}'),
    ]


def test_a_new_password_over_256_characters_is_refused(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="mot de passe trop long : au plus 256 caractères"):
        accounts.check_password("x" * 257)
    accounts.check_password("x" * 256)


async def _attempts(app: Starlette, emails: list[str]) -> list[httpx.Response]:
    """One browser per address, each from its own client address, all posting at the same time."""

    async def one(n: int, email: str) -> httpx.Response:
        transport = httpx.ASGITransport(app=app, client=(f"203.0.113.{n + 1}", 40000))
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            token = csrf_of((await client.get("/coordination/connexion")).text)
            data = {"csrf_token": token, "email": email, "mot_de_passe": "mauvais mot de passe"}
            return await client.post("/coordination/connexion", data=data)

    return await asyncio.gather(*(one(n, email) for n, email in enumerate(emails)))


def run_attempts(app: Starlette, emails: list[str]) -> list[httpx.Response]:
    """`_attempts` on an event loop of its own thread (other tests may leave a loop running in this one)."""
    with ThreadPoolExecutor(max_workers=1) as thread:
        return thread.submit(asyncio.run, _attempts(app, emails)).result()


def test_login_hashes_run_two_at_a_time_and_the_others_wait_their_turn(
    app: Starlette, settings: Settings, spy: HashSpy
) -> None:
    spy.seconds = 0.05
    emails = ["anne@example.fr"] * 4 + [f"inconnu{n}@example.fr" for n in range(16)]

    answers = run_attempts(app, emails)

    assert [r.status_code for r in answers] == [403] * 20
    assert len(spy.calls) == 20
    assert spy.most == guard.HASH_WORKERS == 2
    assert all(name.startswith("partaj-argon2") for name in spy.threads)
    assert rows(settings.db_path, "SELECT count(*) FROM audit WHERE action = 'connexion'") == [(20,)]


def test_login_beyond_the_hash_queue_answers_503_at_once_without_any_work(
    app: Starlette, settings: Settings, spy: HashSpy, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "HASHES", guard.HashQueue(1, 1))
    spy.seconds = 0.2

    answers = run_attempts(app, [f"inconnu{n}@example.fr" for n in range(5)])

    assert sorted(r.status_code for r in answers) == [403, 403, 503, 503, 503]
    busy = [r for r in answers if r.status_code == 503]
    assert {login_message(r.text) for r in busy} == {BUSY}
    assert {r.headers["retry-after"] for r in busy} == {"10"}
    assert len(spy.calls) == 2
    assert rows(settings.db_path, "SELECT count(*) FROM audit") == [
        (3,)
    ]  # the account's creation, 2 failures
    assert rows(settings.db_path, "SELECT count(*) FROM connexion_echecs") == [(2,)]


def test_login_attempts_per_client_address_are_limited_without_audit_hash_nor_write(
    app: Starlette, web: TestClient, settings: Settings, clock: FakeClock, spy: HashSpy
) -> None:
    for n in range(10):
        assert login(web, f"inconnu{n}@example.fr", "mauvais mot de passe").status_code == 403
        clock.advance(seconds=10)

    limited = login(web, "anne@example.fr", PASSWORD)

    assert limited.status_code == 429
    assert limited.headers["retry-after"] == "200"
    assert login_message(limited.text) == CLIENT_LIMITED.format("4 minutes")
    assert limited.headers["cache-control"] == "no-store"
    assert len(spy.calls) == 10
    assert rows(settings.db_path, "SELECT count(*) FROM audit WHERE action = 'connexion'") == [(10,)]
    assert rows(settings.db_path, "SELECT count(*) FROM connexion_echecs") == [(10,)]
    elsewhere = TestClient(app, client=("198.51.100.7", 50000))  # no `with`: the app's lifespan is `web`'s
    assert login(elsewhere, "anne@example.fr", "mauvais mot de passe").status_code == 403
    clock.advance(seconds=199)
    assert login(web, "anne@example.fr", "mauvais mot de passe").status_code == 429
    clock.advance(seconds=1)
    assert login(web, "anne@example.fr", "mauvais mot de passe").status_code == 403


def test_login_successes_give_their_attempt_back(web: TestClient, settings: Settings) -> None:
    for n in range(9):
        assert login(web, f"inconnu{n}@example.fr", "mauvais mot de passe").status_code == 403
    for _ in range(3):
        web.cookies.clear()  # a browser that never logged in: the limit of its address applies
        assert login(web, "anne@example.fr").status_code == 303

    web.cookies.clear()
    assert login(web, "inconnu9@example.fr", "mauvais mot de passe").status_code == 403
    assert login(web, "anne@example.fr").status_code == 429
