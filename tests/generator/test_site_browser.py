"""The built guide in headless Chromium: accent-insensitive search, filters, opening a result, accessibility."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import axe_violations
from tests.generator.conftest import search, served


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    with served(built_site) as url:
        yield url


def test_search_without_accents_finds_accented_pages(page: Any, site_url: str) -> None:
    count = search(page, site_url, "decrochage")
    assert count >= 5
    first = page.locator(".partaj-recherche__resultat").first
    assert "décrochage" in first.inner_text().casefold()


def test_search_territory_filter_narrows_results(page: Any, site_url: str) -> None:
    before = search(page, site_url, "jeunes")
    page.get_by_label("Territoire", exact=True).select_option(label="Bassin d'emploi de Valenciennes")
    page.locator(".partaj-recherche__message").filter(has_not_text=f"{before} résultats").wait_for()
    after = int(page.locator(".partaj-recherche__message").inner_text().split()[0])
    assert 0 < after < before


def test_search_result_opens_its_fiche(page: Any, site_url: str) -> None:
    search(page, site_url, "cellule technique locale Valenciennes")
    link = page.locator(".partaj-recherche__lien", has_text="Valenciennes").first
    title = link.inner_text()
    link.click()
    page.wait_for_url("**/fiches/**")
    assert page.locator("h1").inner_text() == title


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/fiches/ctl-valenciennes/",
        "/trouver-une-solution/",
        "/boite-a-outils/charte-de-confidentialite/",
    ],
)
def test_page_has_no_serious_accessibility_violation(page: Any, site_url: str, path: str) -> None:
    page.goto(f"{site_url}{path}")
    if path == "/trouver-une-solution/":
        page.fill("#recherche-terme", "apprentissage")
        page.locator(".partaj-recherche__resultat").first.wait_for()
    violations = axe_violations(page)
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []


@pytest.mark.parametrize(
    "path", ["/dispositifs/contrat-apprentissage/", "/boite-a-outils/contrat-engagement/"]
)
def test_page_prints_without_navigation(page: Any, site_url: str, path: str) -> None:
    page.goto(f"{site_url}{path}")
    assert page.locator(".md-header").is_visible()
    page.emulate_media(media="print")
    for chrome in (".md-header", ".md-sidebar--primary", ".md-footer"):
        assert not page.locator(chrome).first.is_visible(), chrome
    assert page.locator("article h1").is_visible()
    pdf = page.pdf(format="A4")
    assert pdf.startswith(b"%PDF")
