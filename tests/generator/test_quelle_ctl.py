"""The page "Quelle CTL pour cette commune ?": its static asset, and the lookup in headless Chromium."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from generator.places import normalise_name
from tests.conftest import axe_violations
from tests.generator.conftest import html, served

GZIP_BUDGET = 30 * 1024


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    with served(built_site) as url:
        yield url


def test_asset_holds_every_commune_within_budget(built_site: Path) -> None:
    raw = (built_site / "quelle-ctl" / "communes.json").read_bytes()
    asset = json.loads(raw)
    assert len(asset["communes"]) == 1534
    assert asset["territoires"]["valenciennes"] == "Bassin d'emploi de Valenciennes"
    compressed = len(gzip.compress(raw, compresslevel=9))
    print(f"quelle-ctl/communes.json : {len(raw)} octets, {compressed} octets en gzip")
    assert compressed <= GZIP_BUDGET


def test_page_is_linked_and_says_something_without_javascript(built_site: Path) -> None:
    assert 'href="../quelle-ctl/"' in html(built_site, "territoires")
    page = html(built_site, "quelle-ctl")
    assert "<noscript>" in page and 'href="../territoires/"' in page
    assert 'aria-live="polite"' in page and '<label for="quelle-ctl-commune">' in page


def ask(page: Any, site_url: str, query: str) -> list[str]:
    """Type `query` on the page and press Enter; the text of each commune listed."""
    page.goto(f"{site_url}/quelle-ctl/")
    page.locator("#quelle-ctl[data-pret]").wait_for(state="attached")
    page.get_by_label("Code postal ou nom de la commune").fill(query)
    page.keyboard.press("Enter")
    page.locator("#quelle-ctl-resultats > *").first.wait_for()
    return [text for text in page.locator(".partaj-quelle-ctl__commune").all_inner_texts()]


def test_postal_code_gives_territory(page: Any, site_url: str) -> None:
    results = ask(page, site_url, "59300")
    valenciennes = [r for r in results if r.startswith("Valenciennes (")]
    assert len(valenciennes) == 1
    assert "Bassin d'emploi de Valenciennes" in valenciennes[0]
    link = page.get_by_role("link", name="Bassin d'emploi de Valenciennes").first
    link.click()
    page.wait_for_url("**/territoires/valenciennes/")


def test_name_without_hyphen_or_accent(page: Any, site_url: str, built_site: Path) -> None:
    from generator.catalogue import load_catalogue
    from tests.conftest import ROOT

    catalogue = load_catalogue(ROOT / "data", ROOT / "content")
    territory = catalogue.territoires[catalogue.territory_of("62765") or ""].nom
    results = ask(page, site_url, "saint omer")
    assert len(results) == 1
    assert results[0].startswith("Saint-Omer (Pas-de-Calais, 62)")
    assert territory in results[0] and "62500" in results[0]


def test_homonyms_are_listed_with_their_departement(page: Any, site_url: str) -> None:
    results = ask(page, site_url, "saint aubin")
    assert [r.split(")")[0] + ")" for r in results] == [
        "Saint-Aubin (Nord, 59)",
        "Saint-Aubin (Pas-de-Calais, 62)",
    ]


def test_old_commune_leads_to_current_one(page: Any, site_url: str) -> None:
    results = ask(page, site_url, "Lomme")
    assert len(results) == 1
    assert results[0].startswith("Lille (Nord, 59)")
    assert "Lomme" in results[0] and "Reste de la région Nord-Pas-de-Calais" in results[0]


NAMES = [
    "St-Omer",
    "SAINT OMER",
    "Œuf-en-Ternois",
    "Ste-Catherine",
    "L'Abbaye",
    "Hénin-Beaumont",
    "  ",
    "Straße 59",
]


def test_javascript_normalisation_matches_python(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/quelle-ctl/")
    in_browser = page.evaluate("names => names.map(window.PartajQuelleCtl.normalise)", NAMES)
    assert in_browser == [normalise_name(name) for name in NAMES]


def test_page_with_results_has_no_serious_accessibility_violation(page: Any, site_url: str) -> None:
    ask(page, site_url, "saint aubin")
    violations = axe_violations(page)
    assert [(v["id"], [n["target"] for n in v["nodes"]]) for v in violations] == []
