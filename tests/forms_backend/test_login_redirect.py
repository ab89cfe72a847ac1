"""Where the login page sends the user back: a back-office path, normalised before it is checked."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.testclient import TestClient

from forms_backend.accounts.auth import safe_next
from forms_backend.app import create_app
from forms_backend.settings import Settings
from generator.catalogue import Catalogue
from tests.forms_backend.coordination import create_account, login

HOSTILE = [
    ("/coordination/../..//evil.example", "/coordination/"),
    ("/coordination/..//evil.example", "/coordination/"),
    ("/coordination/../../evil.example/", "/coordination/"),
    ("/coordination/x/..//..//evil.example", "/coordination/"),
    ("/coordination/%2e%2e/%2E%2e//evil.example", "/coordination/"),
    ("/coordination/..%2f..%2f/evil.example", "/coordination/"),
    ("/coordination/%5c%5cevil.example", "/coordination/"),
    ("/coordination/./../formulaires/rupture", "/coordination/"),
    ("/coordination/..", "/coordination/"),
    ("/coordination/essai/../connexion", "/coordination/"),
    ("/coordination/essai/../deconnexion", "/coordination/"),
    ("/coordination/\x7f", "/coordination/"),
    ("coordination/essai", "/coordination/"),
    ("/coordination//evil.example", "/coordination/evil.example"),
    ("/coordination/situations/../journal?page=2", "/coordination/journal?page=2"),
    ("/coordination/./essai/", "/coordination/essai/"),
    ("/coordination/essai?suite=//evil.example", "/coordination/essai?suite=//evil.example"),
]


@pytest.mark.parametrize(("suite", "location"), HOSTILE)
def test_safe_next_normalises_the_path_before_checking_it(suite: str, location: str) -> None:
    assert safe_next(suite) == location


@pytest.fixture
def web(settings: Settings, catalogue: Catalogue) -> Iterator[TestClient]:
    app = create_app(settings, catalogue)
    create_account(app.state.services.store, "anne@example.fr", "coordinateur", ["arras"])
    with TestClient(app, base_url="http://testserver") as client:
        yield client


@pytest.mark.parametrize(("suite", "location"), HOSTILE[:6])
def test_login_sends_a_hostile_suite_back_home(web: TestClient, suite: str, location: str) -> None:
    response = login(web, "anne@example.fr", suite=suite)

    assert response.status_code == 303
    assert response.headers["location"] == location


def test_login_page_of_a_logged_in_user_normalises_suite_too(web: TestClient) -> None:
    login(web, "anne@example.fr")

    response = web.get(
        "/coordination/connexion?suite=/coordination/../..//evil.example", follow_redirects=False
    )

    assert response.status_code == 303
    assert response.headers["location"] == "/coordination/"
