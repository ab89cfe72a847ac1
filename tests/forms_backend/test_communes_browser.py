"""The commune field's completion list in Debian's headless Chromium against the real server (issue 9): typed
and picked with the keyboard, tapped on a phone, absent without JavaScript; the receipt names the CTL."""

from __future__ import annotations

import re
import sqlite3
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import axe_violations
from tests.forms_backend.conftest import TODAY, LiveServer, live_server

Y = TODAY.year
OPTIONS = "#champ-commune-liste [role=option]"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    with live_server(tmp_path_factory.mktemp("communes"), PARTAJ_MIN_FILL_SECONDS="0.2") as running:
        yield running


def fill_rupture_except_the_commune(page: Any) -> None:
    """Every answer of the rupture form but the postal code, the commune and the territory."""
    for field, value in {
        "nom": "Martin",
        "prenom": "Léa",
        "date_naissance": f"{Y - 19}-05-05",
        "telephone": "06 12 34 56 78",
        "cfa_nom": "CFA de démonstration",
        "diplome_prepare": "CAP Cuisine",
        "entreprise_nom": "Restaurant de démonstration",
        "date_debut_contrat": f"{Y - 2}-09-09",
        "date_fin_prevue": f"{Y + 1}-06-06",
        "date_rupture": f"{Y - 1}-03-03",
        "declarant_nom": "Paul Durand",
        "declarant_courriel": "paul.durand@cfa.example.fr",
    }.items():
        page.fill(f"#champ-{field}", value)
    for field, value in {
        "niveau": "3",
        "secteur": "hotellerie-restauration",
        "cadre_rupture": "commun-accord",
        "situation_actuelle": "sans-solution",
    }.items():
        page.select_option(f"#champ-{field}", value)
    page.check("#champ-suivi_structure")
    page.check("#champ-motifs")
    page.check("#champ-jeune_informe")


def stored(server: LiveServer, reference: str) -> tuple[Any, ...]:
    with sqlite3.connect(server.db_path) as conn:
        row = conn.execute(
            "SELECT code_postal, commune, commune_insee, territoire_commune, territoire FROM situations "
            "WHERE reference = ?",
            [reference],
        ).fetchone()
    assert row is not None
    return tuple(row)


def test_type_the_first_letters_pick_with_the_keyboard_and_see_the_ctl_on_the_receipt(
    server: LiveServer, page: Any
) -> None:
    page.goto(f"{server.url}/formulaires/rupture")
    fill_rupture_except_the_commune(page)
    page.wait_for_selector("#champ-commune[data-pret]", state="attached")
    page.focus("#champ-commune")
    page.keyboard.type("valenc")
    page.wait_for_selector(OPTIONS)

    combo = page.locator("#champ-commune")
    assert combo.get_attribute("role") == "combobox"
    assert combo.get_attribute("aria-expanded") == "true"
    assert page.locator(OPTIONS).first.inner_text() == "Valenciennes — 59300 (Nord)"
    assert axe_violations(page) == []  # with the list open

    page.keyboard.press("ArrowDown")
    assert combo.get_attribute("aria-activedescendant") == "champ-commune-liste-0"
    assert page.get_attribute("#champ-commune-liste-0", "aria-selected") == "true"
    page.keyboard.press("Enter")  # picks the option, does not send the form

    assert page.url == f"{server.url}/formulaires/rupture"
    assert combo.get_attribute("aria-expanded") == "false"
    assert page.input_value("#champ-commune") == "Valenciennes"
    assert page.input_value("#champ-code_postal") == "59300"
    assert page.input_value("#champ-commune_insee") == "59606"
    assert (
        page.inner_text("#champ-territoire-commune")
        == "D'après la commune : Bassin d'emploi de Valenciennes."
    )
    assert page.input_value("#champ-territoire") == ""
    assert axe_violations(page) == []

    with page.expect_navigation():
        page.click("button[type=submit]")

    assert page.url == f"{server.url}/formulaires/recu"
    assert page.inner_text(".recu-ctl") == (
        "Transmis à la cellule technique locale du territoire : Bassin d'emploi de Valenciennes"
    )
    reference = page.inner_text(".reference")
    assert stored(server, reference) == ("59300", "Valenciennes", "59606", "valenciennes", "valenciennes")


def test_escape_closes_the_list_and_a_homonym_is_told_apart_by_its_departement(
    server: LiveServer, page: Any
) -> None:
    page.goto(f"{server.url}/formulaires/orientation")
    page.wait_for_selector("#champ-commune[data-pret]", state="attached")
    page.focus("#champ-commune")
    page.keyboard.type("st aubin")
    page.wait_for_selector(OPTIONS)

    assert page.locator(OPTIONS).all_inner_texts() == [
        "Saint-Aubin — 59440 (Nord)",
        "Saint-Aubin — 62170 (Pas-de-Calais)",
    ]
    page.keyboard.press("Escape")
    assert page.get_attribute("#champ-commune", "aria-expanded") == "false"
    assert page.is_hidden("#champ-commune-liste")
    assert page.input_value("#champ-commune") == "st aubin"

    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    assert page.input_value("#champ-commune") == "Saint-Aubin"
    assert page.input_value("#champ-commune_insee") == "62742"
    assert page.input_value("#champ-code_postal") == "62170"


def test_on_a_phone_an_old_commune_is_tapped_and_the_postal_code_typed_first_comes_first(
    browser: Any, server: LiveServer
) -> None:
    context = browser.new_context(
        locale="fr-FR", viewport={"width": 375, "height": 667}, has_touch=True, is_mobile=True
    )
    page = context.new_page()
    try:
        page.goto(f"{server.url}/formulaires/orientation")
        page.wait_for_selector("#champ-commune[data-pret]", state="attached")
        page.fill("#champ-code_postal", "59160")
        page.tap("#champ-commune")
        page.keyboard.type("lom")
        page.wait_for_selector(OPTIONS)
        first = page.locator(OPTIONS).first
        assert first.inner_text() == "Lomme, aujourd'hui Lille — 59000, 59160, 59260, 59777, 59800 (Nord)"
        box = first.bounding_box()
        assert box is not None and box["height"] >= 44 and box["x"] + box["width"] <= 375
        first.tap()
        assert page.input_value("#champ-commune") == "Lomme"
        assert page.input_value("#champ-commune_insee") == "59350"
        assert page.input_value("#champ-code_postal") == "59160"
    finally:
        context.close()


def test_without_javascript_the_server_routes_the_typed_commune(browser: Any, server: LiveServer) -> None:
    context = browser.new_context(locale="fr-FR", java_script_enabled=False)
    page = context.new_page()
    try:
        page.goto(f"{server.url}/formulaires/rupture")
        assert page.get_attribute("#champ-commune", "role") is None
        fill_rupture_except_the_commune(page)
        page.fill("#champ-code_postal", "62300")
        page.fill("#champ-commune", "lens")
        page.wait_for_timeout(300)  # the form's minimal fill time
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert re.sub(r"\s+", " ", page.inner_text(".recu-ctl")) == (
            "Transmis à la cellule technique locale du territoire : Bassin d'emploi de Lens-Liévin-Hénin-Carvin"
        )
        reference = page.inner_text(".reference")
        assert stored(server, reference) == (
            "62300",
            "Lens",
            "62498",
            "lens-lievin-henin-carvin",
            "lens-lievin-henin-carvin",
        )
    finally:
        context.close()


def test_a_mismatched_postal_code_is_shown_next_to_the_commune(server: LiveServer, page: Any) -> None:
    before = _count(server)
    page.goto(f"{server.url}/formulaires/rupture")
    fill_rupture_except_the_commune(page)
    page.fill("#champ-code_postal", "59300")
    page.fill("#champ-commune", "Lille")
    page.keyboard.press("Escape")
    page.wait_for_timeout(300)
    with page.expect_navigation():
        page.click("button[type=submit]")

    assert re.sub(r"\s+", " ", page.inner_text("#champ-commune-erreur")) == (
        "Erreur : Le code postal 59300 ne correspond pas à Lille (59000, 59160, 59260, 59777, 59800)"
    )
    assert page.get_attribute("#champ-commune", "aria-invalid") == "true"
    assert page.input_value("#champ-commune") == "Lille"
    assert axe_violations(page) == []
    assert _count(server) == before


def _count(server: LiveServer) -> int:
    with sqlite3.connect(server.db_path) as conn:
        return int(conn.execute("SELECT count(*) FROM situations").fetchone()[0])
