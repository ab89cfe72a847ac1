"""Small things of the audit: `/sante` tells the public only "ok" (the details are for a regional coordinator),
and a production server warns when it trusts `X-Forwarded-For` from the default address while its public address
is not local."""

from __future__ import annotations

import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.testclient import TestClient

from forms_backend import __version__
from forms_backend.app import create_app
from forms_backend.db.migrations import LATEST_VERSION
from forms_backend.settings import Settings
from generator.catalogue import Catalogue
from tests.forms_backend.conftest import live_server
from tests.forms_backend.coordination import create_account, login

PRODUCTION = {
    "PARTAJ_ENV": "production",
    "PARTAJ_SECRET_KEY": "s" * 48,
    "PARTAJ_BASE_URL": "https://partaj.example.fr",
    "PARTAJ_ALLOWED_HOSTS": "partaj.example.fr,127.0.0.1",
    "PARTAJ_RESPONSABLE_TRAITEMENT": "l'association porteuse du plan (exemple)",
    "PARTAJ_CONTACT_RGPD": "dpo@partaj.example.fr",
}
DEFAULT_PROXY_WARNING = "PARTAJ_FORWARDED_ALLOW_IPS n'est pas renseigné"


# --- /sante ----------------------------------------------------------------------------------------------------


@pytest.fixture
def app_client(settings: Settings, catalogue: Catalogue) -> Iterator[tuple[TestClient, Any]]:
    app = create_app(settings, catalogue)
    store = app.state.services.store
    create_account(store, "reg@example.fr", "regional")
    create_account(store, "coord@example.fr", "coordinateur", ["arras"])
    with TestClient(app, base_url="http://testserver") as client:
        yield client, app


def test_public_health_check_says_ok_and_nothing_else(app_client: tuple[TestClient, Any]) -> None:
    client, _ = app_client

    response = client.get("/sante")

    assert response.status_code == 200
    assert response.json() == {"statut": "ok"}
    assert __version__ not in response.text


def test_public_health_check_says_erreur_when_the_base_is_unreadable(
    app_client: tuple[TestClient, Any], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    client, app = app_client

    async def unreadable(fn: Any) -> Any:
        raise OSError("disque débranché")

    monkeypatch.setattr(app.state.services.store, "read", unreadable)
    with caplog.at_level(logging.ERROR, logger="partaj"):
        response = client.get("/sante")

    assert response.status_code == 503
    assert response.json() == {"statut": "erreur"}
    assert "contrôle de santé : base illisible" in caplog.messages


def test_health_details_are_for_a_regional_coordinator_only(app_client: tuple[TestClient, Any]) -> None:
    client, _ = app_client

    anonymous = client.get("/coordination/sante", follow_redirects=False)
    assert anonymous.status_code == 303
    assert anonymous.headers["location"].startswith("/coordination/connexion")

    assert login(client, "coord@example.fr").status_code == 303
    assert client.get("/coordination/sante").status_code == 404

    client.cookies.clear()
    assert login(client, "reg@example.fr").status_code == 303
    details = client.get("/coordination/sante")
    assert details.status_code == 200
    assert details.json() == {
        "statut": "ok",
        "version": __version__,
        "base": "ok",
        "schema": LATEST_VERSION,
        "journal": "wal",
        "guide": False,
    }
    assert details.headers["cache-control"] == "no-store"


# --- X-Forwarded-For -------------------------------------------------------------------------------------------


def test_production_warns_when_the_proxy_is_the_default_and_the_address_is_public() -> None:
    (warning,) = Settings.from_env(PRODUCTION).startup_warnings()

    assert warning.startswith(DEFAULT_PROXY_WARNING)
    assert "l'adresse du mandataire inverse, et lui seul" in warning


@pytest.mark.parametrize(
    "env",
    [
        {**PRODUCTION, "PARTAJ_FORWARDED_ALLOW_IPS": "127.0.0.1"},
        {**PRODUCTION, "PARTAJ_FORWARDED_ALLOW_IPS": "10.0.0.5"},
        {},
        {"PARTAJ_BASE_URL": "https://partaj.example.fr"},
    ],
    ids=["production-mandataire-local-nomme", "production-mandataire-nomme", "developpement", "dev-publique"],
)
def test_no_proxy_warning_when_the_proxy_is_named_or_outside_production(env: dict[str, str]) -> None:
    assert Settings.from_env(env).startup_warnings() == []


def test_production_warns_when_any_peer_is_trusted() -> None:
    (warning,) = Settings.from_env(
        {**PRODUCTION, "PARTAJ_FORWARDED_ALLOW_IPS": "10.0.0.5, *"}
    ).startup_warnings()

    assert warning.startswith("PARTAJ_FORWARDED_ALLOW_IPS : « * »")


def test_local_public_address_gets_no_proxy_warning() -> None:
    local = Settings(env="production", base_url="https://127.0.0.1:8443")

    assert local.startup_warnings() == []
    assert local.trusted_proxies == "127.0.0.1"


def served_log(tmp_path: Path, **env: str) -> str:
    """What a real production `serve` writes once it listens."""
    with live_server(tmp_path, **env) as server:
        time.sleep(0.2)
        with httpx.Client(base_url=server.url) as client:
            assert client.get("/sante").json() == {"statut": "ok"}
        return server.log()


def test_real_serve_warns_at_start_up_about_the_default_proxy(tmp_path: Path) -> None:
    log = served_log(tmp_path, **PRODUCTION)

    assert f"WARNING partaj : {DEFAULT_PROXY_WARNING}" in log
    assert "Uvicorn running" in log


def test_real_serve_does_not_warn_when_the_proxy_is_named(tmp_path: Path) -> None:
    log = served_log(tmp_path, **PRODUCTION, PARTAJ_FORWARDED_ALLOW_IPS="127.0.0.1")

    assert "PARTAJ_FORWARDED_ALLOW_IPS" not in log
