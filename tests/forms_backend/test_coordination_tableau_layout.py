"""The tracking table page: the export title follows French plural; on a laptop screen (1366×768) the counts per
status stay on top and the first row of the table is visible without scrolling (Debian's headless Chromium)."""

from __future__ import annotations

import html
import re
from pathlib import Path
from typing import Any

import pytest

from forms_backend.coordination.table import export_label
from forms_backend.db.store import Store
from tests.conftest import axe_violations
from tests.forms_backend.conftest import live_server
from tests.forms_backend.coordination import PASSWORD, create_account
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    TERRITOIRE_A,
    Tracking,
    add_situation,
    tracking_fixture,
)


def export_title(page_html: str) -> str:
    found = re.search(r'<h3 id="titre-export">([^<]*)</h3>', page_html)
    assert found is not None
    return html.unescape(found.group(1))


@pytest.mark.parametrize(
    ("total", "label"),
    [
        (0, "Exporter le tableau (aucune situation)"),
        (1, "Exporter cette situation"),
        (2, "Exporter ces 2 situations"),
        (125, "Exporter ces 125 situations"),
    ],
)
def test_export_label_total_follows_french_plural(total: int, label: str) -> None:
    assert export_label(total) == label


def test_table_page_export_title_singular_then_plural(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    assert export_title(tracking.client.get("/coordination/").text) == "Exporter cette situation"
    add_situation(tracking.db, TERRITOIRE_A, nom="Petit", prenom="Hélène")
    assert export_title(tracking.client.get("/coordination/").text) == "Exporter ces 2 situations"


def test_table_first_row_visible_without_scrolling_on_a_laptop_screen(tmp_path: Path, browser: Any) -> None:
    store = Store(tmp_path / "partaj.db")
    store.open()
    create_account(store, COORD_A, "coordinateur", [TERRITOIRE_A])
    for nom in ("Martin", "Petit", "Durand"):
        add_situation(store, TERRITOIRE_A, nom=nom, prenom="Léa")
    store.close()

    context = browser.new_context(locale="fr-FR", viewport={"width": 1366, "height": 768})
    page = context.new_page()
    try:
        with live_server(tmp_path) as server:
            page.goto(f"{server.url}/coordination/")
            page.fill("#champ-email", COORD_A)
            page.fill("#champ-mot_de_passe", PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Se connecter").click()
            assert page.locator("h1").inner_text() == "Tableau de bord de la CTL"
            assert page.evaluate("window.scrollY") == 0
            first_row = page.locator("tbody tr").first.bounding_box()
            counts = page.locator("#titre-statuts").bounding_box()
            table = page.locator(".tableau--suivi").bounding_box()
            filters = page.locator("#titre-filtres").bounding_box()
            assert first_row is not None and counts is not None and table is not None and filters is not None
            assert first_row["y"] + first_row["height"] <= 768
            # The counts per status stay above the table; the filters sit beside it, not above it.
            assert counts["y"] < table["y"]
            assert filters["x"] > table["x"] + table["width"]
            assert page.locator("#champ-source").is_visible()
            assert axe_violations(page) == []
    finally:
        context.close()
