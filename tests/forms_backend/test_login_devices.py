"""The device cookie: a stranger who knows a coordinator's address can neither lock nor slow them down on the
browser they log in from; failures made while an account is deactivated are forgotten when it comes back."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from forms_backend.accounts import rules as accounts
from forms_backend.app import create_app
from forms_backend.settings import Settings
from forms_backend.web.security import sign, unsign
from generator.catalogue import Catalogue
from tests.forms_backend.conftest import SECRET
from tests.forms_backend.coordination import (
    PASSWORD,
    START,
    FakeClock,
    audit_actions,
    create_account,
    login,
    login_message,
    rows,
)

REFUSED = "Adresse électronique ou mot de passe incorrect."
WAIT = "Trop de tentatives de connexion avec cette adresse. Réessayez dans {}."
YEAR = 365 * 24 * 3600


@pytest.fixture
def app(settings: Settings, catalogue: Catalogue, clock: FakeClock) -> Starlette:
    application = create_app(settings, catalogue)
    application.state.services.clock = clock
    return application


@pytest.fixture
def anne(app: Starlette) -> int:
    return create_account(app.state.services.store, "anne@example.fr", "coordinateur", ["arras"])


@pytest.fixture
def web(app: Starlette) -> Iterator[TestClient]:
    """The owner's browser."""
    with TestClient(app, base_url="http://testserver") as client:
        yield client


def browser(app: Starlette, address: str = "testclient") -> TestClient:
    """Another browser (no `with`: the app's lifespan belongs to `web`); by default on the owner's network."""
    return TestClient(app, base_url="http://testserver", client=(address, 50000))


def device_cookie_header(response: httpx.Response) -> str:
    return next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "partaj_appareil=" in v)


def test_login_gives_the_browser_a_long_lived_signed_device_cookie(
    web: TestClient, settings: Settings, anne: int, clock: FakeClock
) -> None:
    response = login(web, "anne@example.fr")

    assert response.status_code == 303
    cookie = device_cookie_header(response)
    name, _, value = cookie.split(";")[0].partition("=")
    assert name == "partaj_appareil"
    assert {part.strip().lower() for part in cookie.split(";")[1:]} == {
        "httponly",
        f"max-age={YEAR}",
        "path=/",
        "samesite=strict",
    }
    payload = unsign(SECRET, "appareil", value)
    assert payload is not None
    user_id, issued, nonce = payload.split("~")
    assert (int(user_id), int(issued)) == (anne, int(clock.now.timestamp()))
    assert len(nonce) >= 20
    assert audit_actions(settings.db_path)[-1] == (
        "anne@example.fr",
        "connexion",
        "succes",
        "{}",
    )


def test_device_cookie_is_secure_and_host_prefixed_over_https(
    settings: Settings, catalogue: Catalogue
) -> None:
    app = create_app(settings.but(base_url="https://testserver"), catalogue)
    create_account(app.state.services.store, "anne@example.fr", "coordinateur", ["arras"])
    with TestClient(app, base_url="https://testserver") as client:
        cookie = device_cookie_header(login(client, "anne@example.fr"))

    assert cookie.startswith("__Host-partaj_appareil=")
    assert {part.strip().lower() for part in cookie.split(";")[1:]} == {
        "httponly",
        f"max-age={YEAR}",
        "path=/",
        "samesite=strict",
        "secure",
    }


def test_a_strangers_failures_neither_lock_nor_slow_the_owner_on_their_browser(
    app: Starlette, web: TestClient, settings: Settings, anne: int, clock: FakeClock
) -> None:
    assert login(web, "anne@example.fr").status_code == 303
    stranger = browser(app)  # on the owner's network: its address's limit is reached too
    answers = []
    for _ in range(40):
        answers.append(login(stranger, "anne@example.fr", "mauvais mot de passe").status_code)
        clock.advance(seconds=20)
    assert answers[:5] == [403] * 5 and answers[-1] == 429
    network = login(browser(app), "anne@example.fr")  # the owner's network has reached its limit
    assert network.status_code == 429
    assert (
        login_message(network.text)
        == "Trop de tentatives de connexion depuis votre réseau. Réessayez dans 2 minutes."
    )
    elsewhere = login(browser(app, "198.51.100.9"), "anne@example.fr")  # unknown browsers stay slowed down
    assert elsewhere.status_code == 429
    assert str(login_message(elsewhere.text)).startswith(
        "Trop de tentatives de connexion avec cette adresse."
    )

    owner = login(web, "anne@example.fr")

    assert owner.status_code == 303
    assert login(web, "anne@example.fr", "mauvais mot de passe").status_code == 403
    assert login(web, "anne@example.fr").status_code == 303
    assert [a for a in audit_actions(settings.db_path) if a[0] == "anne@example.fr"][-3:] == [
        ("anne@example.fr", "connexion", "succes", '{"appareil": "connu"}'),
        ("anne@example.fr", "connexion", "echec", '{"appareil": "connu", "echecs": 1}'),
        ("anne@example.fr", "connexion", "succes", '{"appareil": "connu"}'),
    ]
    assert "verrouillage" not in [a[1] for a in audit_actions(settings.db_path)]


def test_the_owners_failures_on_their_browser_are_throttled_apart(
    app: Starlette, web: TestClient, settings: Settings, anne: int
) -> None:
    assert login(web, "anne@example.fr").status_code == 303
    for _ in range(5):
        assert login(web, "anne@example.fr", "mauvais mot de passe").status_code == 403

    slowed = login(web, "anne@example.fr")

    assert slowed.status_code == 429
    assert login_message(slowed.text) == WAIT.format("30 secondes")
    assert audit_actions(settings.db_path)[-3:] == [
        ("anne@example.fr", "connexion", "echec", '{"appareil": "connu", "echecs": 5}'),
        (
            "anne@example.fr",
            "ralentissement",
            "succes",
            '{"appareil": "connu", "attente_s": 30, "echecs": 5}',
        ),
        (
            "anne@example.fr",
            "connexion",
            "refuse",
            '{"appareil": "connu", "attente_s": 30, "motif": "attente"}',
        ),
    ]
    assert login(browser(app, "198.51.100.9"), "anne@example.fr").status_code == 303


def forged_cookies(anne: int, reg: int) -> dict[str, str]:
    now = int(START.timestamp())
    return {
        "autre secret": sign("une-autre-cle-" + "y" * 40, "appareil", f"{anne}~{now}~abcdefabcdefabcdef"),
        "autre compte": sign(SECRET, "appareil", f"{reg}~{now}~abcdefabcdefabcdef"),
        "plus d'un an": sign(SECRET, "appareil", f"{anne}~{now - YEAR - 1}~abcdefabcdefabcdef"),
        "autre usage": sign(SECRET, "csrf", f"{anne}~{now}~abcdefabcdefabcdef"),
        "modifié": sign(SECRET, "appareil", f"{anne}~{now}~abcdefabcdefabcdef").replace("abc", "abd", 1),
        "mal formé": sign(SECRET, "appareil", f"{anne}~demain~abcdefabcdefabcdef"),
    }


@pytest.mark.parametrize(
    "kind", ["autre secret", "autre compte", "plus d'un an", "autre usage", "modifié", "mal formé"]
)
def test_a_device_cookie_forged_expired_or_for_another_account_counts_as_unknown(
    app: Starlette, web: TestClient, anne: int, kind: str
) -> None:
    reg = create_account(app.state.services.store, "reg@example.fr", "regional")
    stranger = browser(app, "198.51.100.9")
    for _ in range(5):
        login(stranger, "anne@example.fr", "mauvais mot de passe")
    web.cookies.set("partaj_appareil", forged_cookies(anne, reg)[kind])

    response = login(web, "anne@example.fr")

    assert response.status_code == 429
    assert login_message(response.text) == WAIT.format("30 secondes")


def test_a_valid_device_cookie_made_by_hand_is_known(app: Starlette, web: TestClient, anne: int) -> None:
    """The counterpart of the forged ones: the same cookie, signed by this server, lets the owner in."""
    stranger = browser(app, "198.51.100.9")
    for _ in range(5):
        login(stranger, "anne@example.fr", "mauvais mot de passe")
    issued = int((START - timedelta(days=364)).timestamp())
    web.cookies.set("partaj_appareil", sign(SECRET, "appareil", f"{anne}~{issued}~abcdefabcdefabcdef"))

    assert login(web, "anne@example.fr").status_code == 303


def test_failures_while_the_account_is_deactivated_do_not_count_once_it_is_reactivated(
    app: Starlette, web: TestClient, settings: Settings, anne: int, clock: FakeClock
) -> None:
    store = app.state.services.store
    store.submit(lambda db: accounts.set_active(db, "anne@example.fr", False, clock.now)).result()
    answers = []
    for _ in range(8):
        response = login(web, "anne@example.fr", PASSWORD)  # even the right password fails while deactivated
        answers.append((response.status_code, login_message(response.text)))
        clock.advance(seconds=20)
    assert answers[:5] == [(403, REFUSED)] * 5 and answers[5][0] == 429  # like any address
    key = accounts.failure_key("anne@example.fr")
    assert rows(settings.db_path, "SELECT echecs FROM connexion_echecs WHERE cle = ?", [key]) == [(6,)]

    store.submit(lambda db: accounts.set_active(db, "anne@example.fr", True, clock.now)).result()

    assert rows(settings.db_path, "SELECT count(*) FROM connexion_echecs") == [(0,)]
    assert login(web, "anne@example.fr", "mauvais mot de passe").status_code == 403
    assert login(web, "anne@example.fr").status_code == 303
    details = [json.loads(a[3]) for a in audit_actions(settings.db_path) if a[1] == "connexion"]
    assert details[0] == {"compte": "desactive", "echecs": 1}
    assert details[-2:] == [{"echecs": 1}, {}]


def test_users_passwd_forgets_the_failures_of_every_browser(
    app: Starlette, web: TestClient, settings: Settings, anne: int, clock: FakeClock, tmp_path: Path
) -> None:
    assert login(web, "anne@example.fr").status_code == 303
    for _ in range(3):
        login(web, "anne@example.fr", "mauvais mot de passe")
        login(browser(app, "198.51.100.9"), "anne@example.fr", "mauvais mot de passe")
    create_account(app.state.services.store, "bob@example.fr", "coordinateur", ["arras"])
    login(browser(app, "198.51.100.9"), "bob@example.fr", "mauvais mot de passe")
    assert rows(settings.db_path, "SELECT count(*) FROM connexion_echecs") == [(3,)]

    job = accounts.change_password
    new_hash = accounts.hash_password("une autre phrase de passe")
    app.state.services.store.submit(lambda db: job(db, "anne@example.fr", new_hash, clock.now)).result()

    assert rows(settings.db_path, "SELECT cle FROM connexion_echecs") == [
        (accounts.failure_key("bob@example.fr"),)
    ]
