"""The guide's search answers partners' own words: each query of requetes.yaml, typed on « Trouver une
solution » in Chromium against the built index, returns its sheet in the first three results; the ranking puts
dispositifs and current actions first; the chosen territory is remembered until cleared."""

from __future__ import annotations

import gzip
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.catalogue import Catalogue, load_catalogue
from generator.periods import Etat, etat_offre
from tests.conftest import ROOT
from tests.generator.conftest import html, served

REQUETES: list[dict[str, str]] = yaml.safe_load(
    (Path(__file__).parent / "requetes.yaml").read_text(encoding="utf-8")
)
VALENCIENNES = "Bassin d'emploi de Valenciennes"


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "data", ROOT / "content")


@pytest.fixture(scope="module")
def search_page(built_site: Path, browser: Any) -> Iterator[Any]:
    """One browser page on the search page of the served guide, shared by every query of the table."""
    with served(built_site) as url:
        context = browser.new_context(locale="fr-FR")
        page = context.new_page()
        page.goto(f"{url}/trouver-une-solution/")
        page.locator("#recherche-terme").wait_for()
        yield page
        context.close()


def results(page: Any, terms: str) -> list[str]:
    """Type `terms` in the search field; the URLs of the results, in the order shown."""
    page.fill("#recherche-terme", terms)
    page.wait_for_function("t => document.getElementById('recherche').dataset.terme === t", arg=terms)
    links: list[str] = page.eval_on_selector_all(
        ".partaj-recherche__lien", "links => links.map(a => a.getAttribute('href'))"
    )
    return links


def test_search_queries_table_is_large_and_valid(catalogue: Catalogue) -> None:
    assert len(REQUETES) >= 40
    queries = [r["requete"] for r in REQUETES]
    assert len(set(queries)) == len(queries)
    for row in REQUETES:
        kind, _, sheet = row["attendu"].partition("/")
        assert sheet in getattr(catalogue, kind), row
        assert row.get("qui"), row


def test_search_index_holds_what_the_page_does_not_show(built_site: Path) -> None:
    fragments = {}
    for path in (built_site / "pagefind" / "fragment").glob("*.pf_fragment"):
        record = json.loads(gzip.decompress(path.read_bytes()).removeprefix(b"pagefind_dcd"))
        fragments[record["url"]] = record
    e2c = fragments["/dispositifs/ecole-2e-chance/"]
    assert "deuxième" in e2c["content"]
    assert e2c["meta"]["rang"] == "0"
    assert e2c["meta"]["resume"] and len(e2c["meta"]["resume"]) <= 241
    assert fragments["/ctl/"]["meta"]["rang"] == "2"
    assert "deuxième" not in html(built_site, "dispositifs/ecole-2e-chance")


@pytest.mark.parametrize("row", REQUETES, ids=[r["requete"] for r in REQUETES])
def test_search_query_finds_its_sheet_in_the_first_three(search_page: Any, row: dict[str, str]) -> None:
    found = results(search_page, row["requete"])
    assert f"/{row['attendu']}/" in found[:3], found[:5]


def test_search_ranking_weights_pagefind_scores_by_tier(search_page: Any) -> None:
    ranked = search_page.evaluate(
        """() => PartajRecherche.classer([
            {id: "page", score: 10, rang: 2},
            {id: "action terminée", score: 10, rang: 1},
            {id: "dispositif", score: 10, rang: 0},
            {id: "action terminée nommée", score: 30, rang: 1},
            {id: "dispositif lointain", score: 0.5, rang: 0},
        ]).map(r => r.id)"""
    )
    assert ranked == [
        "action terminée nommée",
        "dispositif",
        "action terminée",
        "page",
        "dispositif lointain",
    ]


def test_search_puts_the_current_dispositif_before_the_ended_action(
    search_page: Any, catalogue: Catalogue
) -> None:
    ended = [f for f in catalogue.fiches.values() if etat_offre(f, catalogue.today) is Etat.TERMINEE]
    assert any(f.id == "outil-reperage-cfa" for f in ended)
    found = results(search_page, "apprentis rupture CFA")
    assert found[0] == "/dispositifs/stagiaire-cfa-apres-rupture/"
    assert "/fiches/outil-reperage-cfa/" in found[1:]


def test_search_territory_is_remembered_until_cleared(browser: Any, built_site: Path) -> None:
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    with served(built_site) as url:
        page.goto(f"{url}/trouver-une-solution/")
        page.get_by_label("Territoire", exact=True).select_option(label=VALENCIENNES)
        found = results(page, "cellule technique locale")
        assert "/fiches/ctl-valenciennes/" in found
        assert not any(u.startswith("/fiches/ctl-") and "valenciennes" not in u for u in found), found
        assert "territoire=" in page.url
        page.goto(f"{url}/trouver-une-solution/?q=cellule")
        select = page.get_by_label("Territoire", exact=True)
        page.wait_for_function("() => document.getElementById('recherche').dataset.terme === 'cellule'")
        assert select.evaluate("s => s.options[s.selectedIndex].text") == VALENCIENNES
        assert page.get_by_text(f"Territoire retenu : {VALENCIENNES}.").is_visible()
        page.get_by_role("button", name="Effacer le territoire").click()
        assert select.input_value() == ""
        assert page.evaluate("() => localStorage.getItem('partaj.recherche.territoire')") is None
        assert "territoire=" not in page.url
        page.goto(f"{url}/trouver-une-solution/")
        page.locator("#recherche-terme").wait_for()
        assert page.get_by_label("Territoire", exact=True).input_value() == ""
    context.close()
