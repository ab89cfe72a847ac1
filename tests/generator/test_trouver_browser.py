"""« Trouver une solution pour un jeune » in Debian's headless Chromium against the built guide (issue 12): the
browser's ranking is the Python function's, case by case; the questionnaire works with the keyboard and on a
phone, keeps the criteria (never a name) in the URL, and says when nothing fits."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest

from generator.catalogue import load_catalogue
from generator.trouver import profil_depuis, trouver
from tests.conftest import ROOT, axe_violations
from tests.generator.conftest import served
from tests.generator.test_trouver import CASES, params_of

RESULTS = "#pj-liste > li"


@pytest.fixture(scope="module")
def site_url(built_site: Path) -> Iterator[str]:
    with served(built_site) as url:
        yield url


@pytest.fixture(scope="module")
def published(built_site: Path) -> dict[str, Any]:
    """The criteria the built guide publishes (the very data the page ranks)."""
    return dict(json.loads((built_site / "pour-un-jeune" / "criteres.json").read_text(encoding="utf-8")))


@pytest.fixture(scope="module")
def territoire_de() -> dict[str, str | None]:
    catalogue = load_catalogue(ROOT / "data")
    assert catalogue.places is not None
    return {insee: catalogue.territory_of(insee) for insee in catalogue.places.communes}


def query(profil: dict[str, Any]) -> str:
    return urlencode([(key, value) for key, values in params_of(profil).items() for value in values])


def shown_ids(page: Any) -> list[str]:
    return [str(item.get_attribute("data-id")) for item in page.locator(RESULTS).all()]


def test_the_browser_ranks_every_case_as_the_python_function_does(
    page: Any, site_url: str, published: dict[str, Any], territoire_de: dict[str, str | None]
) -> None:
    page.goto(f"{site_url}/pour-un-jeune/")
    page.wait_for_selector("#pour-un-jeune[data-pret]", state="attached")
    differences = {}
    for case in CASES:
        expected = [
            r.id
            for r in trouver(published, profil_depuis(params_of(case["profil"]), published, territoire_de))
        ]
        page.goto(f"{site_url}/pour-un-jeune/?{query(case['profil'])}")
        page.wait_for_selector("#pour-un-jeune[data-pret]", state="attached")
        ids = shown_ids(page)
        if ids != expected:
            differences[case["id"]] = (ids, expected)
        assert [i for i in case["attendus"] if i not in ids[: case["rang"]]] == [], case["id"]
    assert differences == {}


def test_reasons_and_checks_read_the_same_in_the_browser(
    page: Any, site_url: str, published: dict[str, Any], territoire_de: dict[str, str | None]
) -> None:
    profil = {"age": "26", "statut": "demandeur-emploi", "niveau": "infra-3", "handicap": "oui"}
    expected = trouver(published, profil_depuis(params_of(profil), published, territoire_de))

    page.goto(f"{site_url}/pour-un-jeune/?{query(profil)}")
    page.wait_for_selector("#pour-un-jeune[data-pret]", state="attached")

    for result in expected[:5]:
        item = page.locator(f"{RESULTS}[data-id='{result.id}']")
        assert item.locator(".partaj-pj-raisons li").all_inner_texts() == list(result.raisons)
        assert item.locator(".partaj-pj-verifier li").all_inner_texts() == list(result.a_verifier)
        assert item.locator("a").get_attribute("href") == f"../{result.url}"


def test_the_questionnaire_with_the_keyboard_keeps_the_criteria_in_the_url(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/pour-un-jeune/")
    page.wait_for_selector("#pour-un-jeune[data-pret]", state="attached")
    page.focus("#pj-age")
    page.keyboard.type("17")
    page.keyboard.press("Tab")
    page.keyboard.type("Apprenti en")  # a select is chosen by typing its label
    page.keyboard.press("Tab")
    page.keyboard.type("Niveau 3")
    page.keyboard.press("Tab")
    page.keyboard.type("valenciennes")
    page.focus("#pj-besoin-se-former")
    page.keyboard.press("Space")
    page.focus("#pj-formulaire button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector(RESULTS)

    assert page.url == (
        f"{site_url}/pour-un-jeune/?age=17&statut=apprenti-en-rupture&niveau=3&commune=59606&besoin=se-former"
    )
    assert (
        page.inner_text("#pj-commune-resultat")
        == "Valenciennes : territoire « Bassin d'emploi de Valenciennes »."
    )
    assert shown_ids(page)[:2] == ["obligation-formation-16-18", "stagiaire-cfa-apres-rupture"]
    assert page.inner_text("#pj-resultats h2").endswith(
        "solutions possibles, de la plus adaptée à la moins adaptée"
    )
    assert axe_violations(page) == []

    # A colleague opens the shared address: the same answers, the same results.
    page.goto(page.url)
    page.wait_for_selector(RESULTS)
    assert page.input_value("#pj-age") == "17"
    assert page.input_value("#pj-commune") == "Valenciennes"
    assert page.is_checked("#pj-besoin-se-former")
    assert shown_ids(page)[:2] == ["obligation-formation-16-18", "stagiaire-cfa-apres-rupture"]


def test_nothing_fits_points_to_the_ctl(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/pour-un-jeune/?age=45&statut=etudiant&niveau=8")
    page.wait_for_selector("#pour-un-jeune[data-pret]", state="attached")

    assert page.locator(RESULTS).count() == 0
    text = page.inner_text("#pj-resultats")
    assert "Aucun dispositif ni aucune action du guide ne correspond à ces critères." in text
    assert page.locator("#pj-resultats a").get_attribute("href") == "/formulaires/orientation"


def test_on_a_phone_the_page_fits_and_is_accessible(browser: Any, site_url: str) -> None:
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 375, "height": 667}, is_mobile=True, has_touch=True
    )
    page = context.new_page()
    try:
        page.goto(f"{site_url}/pour-un-jeune/?age=20&statut=sans-activite&niveau=infra-3&commune=62498")
        page.wait_for_selector(RESULTS)
        widest = page.evaluate(
            "Math.max(...Array.from(document.querySelectorAll('#pour-un-jeune *'))"
            ".map(e => e.getBoundingClientRect().right))"
        )
        assert widest <= 375
        assert axe_violations(page) == []
    finally:
        context.close()
