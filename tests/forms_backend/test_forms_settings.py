"""Settings from the environment, and the refusal to start with unsafe or broken ones."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from forms_backend.errors import SettingsError
from forms_backend.settings import RateLimit, Settings
from tests.conftest import ROOT

PRODUCTION = {
    "PARTAJ_ENV": "production",
    "PARTAJ_SECRET_KEY": "s" * 48,
    "PARTAJ_BASE_URL": "https://partaj.example.fr",
    "PARTAJ_ALLOWED_HOSTS": "partaj.example.fr",
    "PARTAJ_RESPONSABLE_TRAITEMENT": "l'association porteuse du plan (exemple)",
    "PARTAJ_CONTACT_RGPD": "dpo@partaj.example.fr",
}


def test_local_defaults_are_safe() -> None:
    settings = Settings.from_env({})

    assert settings.env == "development"
    assert settings.db_path == Path("var/partaj.db")
    assert settings.allowed_hosts == ("127.0.0.1", "localhost")
    assert settings.rate_limit == RateLimit(10, 600)
    assert settings.min_fill_seconds == 3.0
    assert settings.max_body_bytes == 64 * 1024
    assert settings.secret_key == ""
    assert len(settings.with_secret().secret_key) >= 48


def test_environment_values_are_read() -> None:
    settings = Settings.from_env(
        {
            "PARTAJ_DB": "/tmp/x.db",
            "PARTAJ_RATE_LIMIT": "5/60",
            "PARTAJ_MIN_FILL_SECONDS": "0.2",
            "PARTAJ_ALLOWED_HOSTS": "A.example.fr, b.example.fr",
            "PARTAJ_SITE_DIR": "/srv/site",
        }
    )

    assert settings.db_path == Path("/tmp/x.db")
    assert settings.rate_limit == RateLimit(5, 60)
    assert settings.min_fill_seconds == 0.2
    assert settings.allowed_hosts == ("a.example.fr", "b.example.fr")
    assert settings.site_dir == Path("/srv/site")


def test_production_with_complete_settings_starts() -> None:
    assert Settings.from_env(PRODUCTION).production


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"PARTAJ_SECRET_KEY": ""}, "PARTAJ_SECRET_KEY : obligatoire en production, au moins 32 caractères"),
        (
            {"PARTAJ_SECRET_KEY": "court"},
            "PARTAJ_SECRET_KEY : obligatoire en production, au moins 32 caractères",
        ),
        (
            {"PARTAJ_BASE_URL": "http://partaj.example.fr"},
            "PARTAJ_BASE_URL : en production, l'adresse publique doit commencer par https://",
        ),
        (
            {"PARTAJ_ALLOWED_HOSTS": "*"},
            "PARTAJ_ALLOWED_HOSTS : « * » interdit en production ; listez les noms d'hôte servis",
        ),
        (
            {"PARTAJ_CONTACT_RGPD": ""},
            "PARTAJ_CONTACT_RGPD : obligatoire en production (affiché dans la notice d'information RGPD)",
        ),
    ],
    ids=["sans-cle", "cle-courte", "http", "tous-les-hotes", "sans-contact-rgpd"],
)
def test_production_refuses_unsafe_values(changes: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env({**PRODUCTION, **changes})

    assert any(problem.startswith(message) for problem in caught.value.problems), caught.value.problems


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"PARTAJ_MIN_FILL_SECONDS": "5"}, "PARTAJ_MIN_FILL_SECONDS : 5.0 ; attendu entre 0 et 3 secondes"),
        ({"PARTAJ_RATE_LIMIT": "beaucoup"}, "PARTAJ_RATE_LIMIT : « beaucoup » invalide"),
        ({"PARTAJ_MAX_BODY_BYTES": "64k"}, "PARTAJ_MAX_BODY_BYTES : « 64k » n'est pas un nombre"),
        ({"PARTAJ_ENV": "prod"}, "PARTAJ_ENV : « prod » inconnu"),
        ({"PARTAJ_TIMEZONE": "Europe/Lille"}, "PARTAJ_TIMEZONE : fuseau « Europe/Lille » inconnu"),
    ],
)
def test_invalid_values_are_refused(env: dict[str, str], message: str) -> None:
    with pytest.raises(SettingsError) as caught:
        Settings.from_env(env)

    assert caught.value.problems[0].startswith(message), caught.value.problems


def _serve(tmp_path: Path, db: Path, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("PARTAJ_")}
    return subprocess.run(
        [sys.executable, "-m", "forms_backend", "serve", "--port", "1", "--db", str(db)],
        cwd=ROOT,
        env={**environment, **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_serve_refuses_production_without_secret_key(tmp_path: Path) -> None:
    result = _serve(tmp_path, tmp_path / "p.db", **{**PRODUCTION, "PARTAJ_SECRET_KEY": ""})

    assert result.returncode == 1
    assert "erreur : réglages refusés :" in result.stderr
    assert "PARTAJ_SECRET_KEY : obligatoire en production" in result.stderr
    assert not (tmp_path / "p.db").exists()


def test_serve_refuses_a_damaged_database(tmp_path: Path) -> None:
    db = tmp_path / "abime.db"
    db.write_bytes(b"\x00garbage" * 1000)

    result = _serve(tmp_path, db)

    assert result.returncode == 1
    assert f"erreur : {db} : base de données endommagée" in result.stderr
    assert "Traceback" not in result.stderr


def test_asgi_module_builds_the_app_from_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import importlib

    from starlette.testclient import TestClient

    monkeypatch.setenv("PARTAJ_DB", str(tmp_path / "asgi.db"))
    monkeypatch.setenv("PARTAJ_SITE_DIR", str(tmp_path / "pas-de-guide"))
    monkeypatch.setenv("PARTAJ_ALLOWED_HOSTS", "testserver")
    sys.modules.pop("forms_backend.asgi", None)
    asgi = importlib.import_module("forms_backend.asgi")

    with TestClient(asgi.app) as client:
        assert client.get("/sante").json() == {"statut": "ok"}
    assert (tmp_path / "asgi.db").exists()
    sys.modules.pop("forms_backend.asgi", None)
