"""In Debian's headless Chromium against the real server: a regional coordinator logs in, reads the journal,
logs out; axe-core on the login page (empty and with its error) and on the journal."""

from __future__ import annotations

from pathlib import Path
from typing import Any
from urllib.parse import unquote

from forms_backend.db.store import Store
from tests.conftest import axe_violations
from tests.forms_backend.conftest import live_server
from tests.forms_backend.coordination import PASSWORD, create_account


def test_coordinator_logs_in_with_the_keyboard_reads_the_journal_and_logs_out(
    tmp_path: Path, page: Any
) -> None:
    store = Store(tmp_path / "partaj.db")
    store.open()
    create_account(store, "reg@example.fr", "regional")
    store.close()

    with live_server(tmp_path) as server:
        page.goto(f"{server.url}/coordination/journal")
        assert unquote(page.url) == f"{server.url}/coordination/connexion?suite=/coordination/journal"
        assert page.locator("h1").inner_text() == "Connexion des coordinateurs"
        assert axe_violations(page) == []

        page.fill("#champ-email", "reg@example.fr")
        page.fill("#champ-mot_de_passe", "pas le bon mot de passe")
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert (
            page.locator("#message-connexion").inner_text()
            == "Adresse électronique ou mot de passe incorrect."
        )
        assert page.evaluate("document.activeElement.id") == "resume-erreurs"
        assert page.input_value("#champ-email") == "reg@example.fr"
        assert page.input_value("#champ-mot_de_passe") == ""
        assert axe_violations(page) == []

        page.fill("#champ-mot_de_passe", PASSWORD)
        with page.expect_navigation():
            page.keyboard.press("Enter")
        assert page.url == f"{server.url}/coordination/journal"
        assert page.locator("h1").inner_text() == "Journal d'audit"
        assert page.locator("tbody tr").first.locator("td").nth(2).inner_text() == "Journal consulté"
        assert axe_violations(page) == []
        (session,) = [c for c in page.context.cookies() if c["name"] == "partaj_session"]
        assert (session["httpOnly"], session["sameSite"]) == (True, "Strict")

        with page.expect_navigation():
            page.get_by_role("button", name="Se déconnecter").click()
        assert page.url == f"{server.url}/coordination/connexion?fin=1"
        assert "Vous êtes déconnecté." in page.locator(".information").inner_text()
        page.goto(f"{server.url}/coordination/journal")
        assert page.locator("h1").inner_text() == "Connexion des coordinateurs"
