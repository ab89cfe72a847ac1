"""Helpers of the back-office tests: accounts created in the database, login through the real form, a clock."""

from __future__ import annotations

import functools
import html
import re
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx
from starlette.testclient import TestClient

from forms_backend.accounts import rules as accounts
from forms_backend.db.store import Store
from forms_backend.web.security import mac
from tests.forms_backend.conftest import SECRET

PASSWORD = "correct cheval pile agrafe"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@dataclass
class FakeClock:
    """The app's clock in tests (`services.clock`): moved by hand, never by sleeping."""

    now: datetime = START

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@functools.cache
def password_hash(password: str = PASSWORD) -> str:
    """argon2id hash of a test password, computed once per test session."""
    return accounts.hash_password(password)


def create_account(
    store: Store,
    email: str,
    role: str = "coordinateur",
    territoires: Iterable[str] = (),
    password: str = PASSWORD,
    now: datetime = START,
) -> int:
    """An account written through the app's writer, as `users add` does."""
    job = partial(
        accounts.add_account,
        email=email,
        password_hash=password_hash(password),
        role=role,
        territoires=list(territoires),
        now=now,
    )
    return int(store.submit(job).result())


def csrf_of(page_html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]*)"', page_html)
    assert match, "jeton CSRF absent de la page"
    return html.unescape(match.group(1))


def login(
    client: TestClient | httpx.Client, email: str, password: str = PASSWORD, suite: str | None = None
) -> httpx.Response:
    """POST the credentials with the login form's CSRF token; the response is not followed.

    The token comes from the login page, or from the browser's CSRF cookie when a session is already open (the
    page then redirects)."""
    cookie = client.cookies.get("partaj_csrf")
    if cookie is None:
        page = client.get("/coordination/connexion")
        assert page.status_code == 200, page.status_code
        token = csrf_of(page.text)
    else:
        token = mac(SECRET, "csrf", cookie)
    data = {"csrf_token": token, "email": email, "mot_de_passe": password}
    if suite is not None:
        data["suite"] = suite
    return client.post("/coordination/connexion", data=data, follow_redirects=False)


def login_message(page_html: str) -> str | None:
    """The refusal message of the login page, as the user reads it."""
    match = re.search(r'<p id="message-connexion">(.*?)</p>', page_html, re.DOTALL)
    return html.unescape(match.group(1)) if match else None


def rows(db_path: Path, sql: str, params: Iterable[Any] = ()) -> list[tuple[Any, ...]]:
    """Rows read through a separate connection on the real file."""
    with sqlite3.connect(db_path) as conn:
        return [tuple(row) for row in conn.execute(sql, list(params)).fetchall()]


def audit_actions(db_path: Path) -> list[tuple[Any, ...]]:
    """(email, action, résultat, détails) of every audit entry, oldest first."""
    return rows(db_path, "SELECT email, action, resultat, details FROM audit ORDER BY id")
