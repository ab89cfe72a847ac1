"""The e-mail telling a coordinator that logins to their account failed in a row from an unknown browser: once
per run of failures, neither password nor client address in it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.testclient import TestClient

from forms_backend.accounts import rules as accounts
from forms_backend.app import create_app
from forms_backend.settings import Settings
from generator.catalogue import Catalogue
from tests.forms_backend.conftest import Inbox
from tests.forms_backend.coordination import FakeClock, audit_actions, create_account, login
from tests.loopback import free_port

WRONG = "mauvais mot de passe"
STRANGER = "198.51.100.9"


@pytest.fixture
def app(settings: Settings, catalogue: Catalogue, clock: FakeClock, smtp: tuple[Inbox, int]) -> Starlette:
    mailing = settings.but(smtp_host="127.0.0.1", smtp_port=smtp[1], smtp_from="partaj@example.fr")
    application = create_app(mailing, catalogue)
    application.state.services.clock = clock
    create_account(application.state.services.store, "anne@example.fr", "coordinateur", ["arras"])
    return application


@pytest.fixture
def stranger(app: Starlette) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://testserver", client=(STRANGER, 50000)) as client:
        yield client


def test_a_run_of_failures_from_an_unknown_browser_mails_the_owner_once(
    stranger: TestClient, smtp: tuple[Inbox, int], clock: FakeClock, settings: Settings
) -> None:
    inbox = smtp[0]
    for _ in range(4):
        login(stranger, "anne@example.fr", WRONG)
    assert inbox.messages == []

    login(stranger, "anne@example.fr", WRONG)

    assert len(inbox.messages) == 1
    message = inbox.messages[0]
    assert (message["From"], message["To"]) == ("partaj@example.fr", "anne@example.fr")
    assert message["Subject"] == "PARTAJ : échecs de connexion à votre compte"
    body = message.get_content().replace("\r\n", "\n")
    assert body.startswith(
        "Bonjour,\n\nLe 02/03/2026 à 10:00, plusieurs tentatives de connexion de suite à votre compte PARTAJ "
        "(anne@example.fr) ont échoué,\n"
    )
    assert "votre compte n'est pas bloqué" in body
    everything = message.as_string() + body
    for secret in (WRONG, STRANGER, "testclient", "127.0.0.1"):
        assert secret not in everything

    for _ in range(10):  # the same run goes on: no other mail
        clock.advance(minutes=16)
        login(stranger, "anne@example.fr", WRONG)
    assert len(inbox.messages) == 1
    clock.advance(hours=2)  # forgotten: a new run is told again
    for _ in range(5):
        login(stranger, "anne@example.fr", WRONG)
    assert len(inbox.messages) == 2
    assert [a[1] for a in audit_actions(settings.db_path)].count("ralentissement") == 2


def test_no_mail_for_an_unknown_address_a_deactivated_account_nor_the_owners_own_browser(
    app: Starlette, stranger: TestClient, smtp: tuple[Inbox, int], clock: FakeClock
) -> None:
    store = app.state.services.store
    create_account(store, "bob@example.fr", "coordinateur", ["arras"])
    store.submit(lambda db: accounts.set_active(db, "bob@example.fr", False, clock.now)).result()
    for address in ("personne@example.fr", "bob@example.fr"):
        for _ in range(5):
            login(stranger, address, WRONG)
    owner = TestClient(app, base_url="http://testserver")  # no `with`: the lifespan is the stranger's
    assert login(owner, "anne@example.fr").status_code == 303
    for _ in range(5):
        login(owner, "anne@example.fr", WRONG)

    assert smtp[0].received == []


def test_login_alert_failure_is_logged_without_the_address(
    settings: Settings, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    closed = settings.but(smtp_host="127.0.0.1", smtp_port=free_port(), smtp_from="partaj@example.fr")
    app = create_app(closed, catalogue)
    create_account(app.state.services.store, "anne@example.fr", "coordinateur", ["arras"])
    with caplog.at_level("INFO", logger="partaj"), TestClient(app, base_url="http://testserver") as client:
        answers = [login(client, "anne@example.fr", WRONG).status_code for _ in range(5)]

    assert answers == [403] * 5
    assert "avis d'échecs de connexion non envoyé : ConnectionRefusedError" in caplog.messages
    assert "anne@example.fr" not in caplog.text
