"""Fixtures of the backend tests: an app on a temporary SQLite file, valid reports, live uvicorn servers."""

from __future__ import annotations

import email
import email.policy
import html
import os
import re
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from email.message import EmailMessage
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
from aiosmtpd.controller import Controller
from starlette.testclient import TestClient

from forms_backend.app import create_app, load_forms_catalogue
from forms_backend.settings import RateLimit, Settings
from forms_backend.web.security import FormToken
from generator.catalogue import Catalogue
from tests.conftest import ROOT
from tests.loopback import free_port, stop_process, wait_for_port

SECRET = "clé-de-test-" + "x" * 40
TODAY = date.today()


def valid_rupture() -> dict[str, Any]:
    """A CFA rupture report that passes every rule (dates relative to today)."""
    year = TODAY.year
    return {
        "nom": "Martin",
        "prenom": "Léa",
        "date_naissance": f"{year - 19}-05-05",
        "sexe": "f",
        "code_postal": "62300",
        "commune": "Lens",
        "telephone": "06 12 34 56 78",
        "courriel": "",
        "suivi_structure": "aucune",
        "cfa_nom": "CFA de démonstration",
        "cfa_uai": "0596789x",
        "diplome_prepare": "CAP Cuisine",
        "niveau": "3",
        "secteur": "hotellerie-restauration",
        "entreprise_nom": "Restaurant de démonstration",
        "entreprise_siret": "732 829 320 00074",
        "date_debut_contrat": f"{year - 2}-09-09",
        "date_fin_prevue": f"{year + 1}-06-06",
        "date_rupture": f"{year - 1}-03-03",
        "cadre_rupture": "commun-accord",
        "motifs": ["relation-employeur", "mobilite"],
        "motif_precision": "Trajets trop longs.",
        "situation_actuelle": "sans-solution",
        "territoire": "lens-lievin-henin-carvin",
        "declarant_nom": "Paul Durand",
        "declarant_fonction": "Développeur de l'apprentissage",
        "declarant_courriel": "paul.durand@cfa.example.fr",
        "declarant_telephone": "",
        "jeune_informe": "oui",
    }


def valid_orientation() -> dict[str, Any]:
    """A referral to the CTL that passes every rule (an adult: no guardian consent needed)."""
    return {
        "nom": "Bernard",
        "prenom": "Yanis",
        "date_naissance": f"{TODAY.year - 19}-01-01",
        "sexe": "m",
        "code_postal": "59100",
        "commune": "Roubaix",
        "telephone": "",
        "courriel": "yanis@example.fr",
        "statut": "sans-activite",
        "niveau": "infra-3",
        "dernier_etablissement": "Lycée professionnel",
        "suivi_structure": "inconnu",
        "besoins": ["orientation", "mobilite"],
        "situation": "A quitté le lycée en cours d'année, souhaite travailler dans la logistique.",
        "territoire": "roubaix-tourcoing",
        "orienteur_structure": "Centre social de démonstration",
        "orienteur_type": "centre-social",
        "orienteur_nom": "Awa Diallo",
        "orienteur_courriel": "awa@centre.example.fr",
        "orienteur_telephone": "03 20 00 00 00",
        "jeune_informe": "oui",
        "accord_representant_legal": "",
    }


VALID = {"rupture": valid_rupture, "orientation": valid_orientation}


def make_settings(tmp_path: Path, **changes: Any) -> Settings:
    """Settings for one test: a temporary database, fixed secret, the real catalogue, no guide."""
    base = Settings(
        db_path=tmp_path / "partaj.db",
        secret_key=SECRET,
        base_url="http://testserver",
        allowed_hosts=("testserver", "127.0.0.1"),
        site_dir=tmp_path / "pas-de-guide",
        data_dir=ROOT / "data",
        rate_limit=RateLimit(1000, 600),
    )
    return base.but(**changes)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path)


@pytest.fixture(scope="session")
def catalogue() -> Catalogue:
    """The real `data/` catalogue, loaded once."""
    return load_forms_catalogue(make_settings(ROOT))


@pytest.fixture
def client(settings: Settings, catalogue: Catalogue) -> Iterator[TestClient]:
    with TestClient(create_app(settings, catalogue), base_url="http://testserver") as test_client:
        yield test_client


def form_token(source: str, age_seconds: float = 10.0, secret: str = SECRET) -> str:
    """A signed display token as if the form had been shown `age_seconds` ago (negative: in the future)."""
    return FormToken.issue(source, time.time() - age_seconds).encode(secret)


def hidden(page_html: str, name: str) -> str:
    match = re.search(rf'name="{name}" value="([^"]*)"', page_html)
    assert match, f"champ caché {name} absent"
    return html.unescape(match.group(1))


def post_form(
    client: TestClient | httpx.Client,
    source: str,
    data: dict[str, Any],
    *,
    age_seconds: float = 10.0,
    token: str | None = None,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """GET the form (CSRF cookie and token), then POST `data` with a display token `age_seconds` old."""
    page = client.get(f"/formulaires/{source}")
    assert page.status_code == 200
    fields = {
        "csrf_token": hidden(page.text, "csrf_token"),
        "jeton_formulaire": token or form_token(source, age_seconds),
    }
    return client.post(
        f"/formulaires/{source}", data={**fields, **data}, headers=headers or {}, follow_redirects=False
    )


def field_error(page_html: str, name: str) -> str | None:
    """The error message shown next to a field, as the user reads it."""
    match = re.search(rf'<p class="message-erreur" id="champ-{name}-erreur">(.*?)</p>', page_html, re.DOTALL)
    if not match:
        return None
    return html.unescape(re.sub(r"<[^>]+>", "", match.group(1))).removeprefix("Erreur : ")


def count(db_path: Path, table: str = "situations") -> int:
    """Rows of a table, read through a separate connection on the real file."""
    if not db_path.exists():
        return 0
    with sqlite3.connect(db_path) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


def receipt_reference(response: httpx.Response) -> str:
    """The reference a 303 carries in its signed receipt cookie."""
    assert response.status_code == 303, response.status_code
    assert response.headers["location"] == "/formulaires/recu"
    cookie = next(v for k, v in response.headers.multi_items() if k == "set-cookie" and "partaj_recu=" in v)
    value = cookie.split("partaj_recu=", 1)[1].split(";", 1)[0].strip('"')
    return value.split("|", 1)[0]


@dataclass
class LiveServer:
    """A `python -m forms_backend serve` process on a free loopback port, its database and its output."""

    url: str
    db_path: Path
    log_path: Path
    process: subprocess.Popen[bytes]

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")


def start_server(tmp_path: Path, port: int | None = None, **env: str) -> LiveServer:
    """Start the real server (uvicorn) on the real SQLite file `tmp_path/partaj.db`; wait until it listens.

    A free port can be taken by another process before the server binds it: then another port is tried."""
    for _ in range(3):
        try:
            return _start_server(tmp_path, port or free_port(), **env)
        except PortTaken:
            if port is not None:
                raise
    raise PortTaken("aucun port libre après trois essais")


class PortTaken(RuntimeError):
    """The chosen port was bound by someone else first."""


def _start_server(tmp_path: Path, port: int, **env: str) -> LiveServer:
    db_path = tmp_path / "partaj.db"
    log_path = tmp_path / f"serveur-{port}-{time.monotonic_ns()}.log"
    environment = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTAJ_")},
        "PARTAJ_SECRET_KEY": SECRET,
        "PARTAJ_SITE_DIR": str(tmp_path / "pas-de-guide"),
        "PARTAJ_RATE_LIMIT": "100000/600",
        "PYTHONUNBUFFERED": "1",
        **env,
    }
    cmd = [sys.executable, "-m", "forms_backend", "serve", "--port", str(port), "--db", str(db_path)]
    with log_path.open("wb") as log:
        process = subprocess.Popen(cmd, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
    server = LiveServer(f"http://127.0.0.1:{port}", db_path, log_path, process)
    try:
        wait_for_port(port, process)
    except BaseException as exc:
        stop_server(server)
        if "address already in use" in server.log():
            raise PortTaken(str(port)) from exc
        raise
    return server


def stop_server(server: LiveServer) -> None:
    stop_process(server.process)


@contextmanager
def live_server(tmp_path: Path, **env: str) -> Iterator[LiveServer]:
    """A running server for the duration of a `with` block."""
    server = start_server(tmp_path, None, **env)
    try:
        yield server
    finally:
        stop_server(server)


class _FormState(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.state: dict[str, list[str]] = {}
        self._select: str | None = None
        self._textarea: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        name = a.get("name", "")
        if tag == "input" and name:
            kind = a.get("type", "text")
            if kind in ("radio", "checkbox"):
                self.state.setdefault(name, [])
                if "checked" in a:
                    self.state[name].append(a.get("value", ""))
            else:
                self.state[name] = [a.get("value", "")]
        elif tag == "select":
            self._select = name
            self.state[name] = []
        elif tag == "option" and self._select and "selected" in a:
            self.state[self._select].append(a.get("value", ""))
        elif tag == "textarea":
            self._textarea = name
            self.state[name] = [""]

    def handle_endtag(self, tag: str) -> None:
        if tag == "select":
            self._select = None
        elif tag == "textarea":
            self._textarea = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.state[self._textarea][0] += data


def form_state(page_html: str) -> dict[str, list[str]]:
    """What a browser would send back: every field's current value(s), as the page shows them."""
    parser = _FormState()
    parser.feed(page_html)
    return parser.state


def years_ago(years: int, on: date = TODAY) -> date:
    """The same day `years` earlier (28 February for a 29 February)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:
        return on.replace(year=on.year - years, day=28)


class Inbox:
    """An aiosmtpd handler keeping what it receives: (sender, recipients, message)."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        self.received.append((envelope.mail_from, list(envelope.rcpt_tos), message))
        return "250 OK"

    @property
    def messages(self) -> list[EmailMessage]:
        return [message for _, _, message in self.received]


@pytest.fixture
def smtp() -> Iterator[tuple[Inbox, int]]:
    """A real SMTP server (aiosmtpd) on a free loopback port, and what it received."""
    inbox = Inbox()
    port = free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        yield inbox, port
    finally:
        controller.stop()


@pytest.fixture
def clock() -> Any:
    """The app's clock, moved by hand (`services.clock`): a `coordination.FakeClock`."""
    # coordination.py imports this conftest: its clock is imported when the fixture runs.
    from tests.forms_backend.coordination import FakeClock

    return FakeClock()
