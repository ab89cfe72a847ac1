"""In Debian's headless Chromium against the real server: keyboard use, accessibility (axe-core), CSP."""

from __future__ import annotations

import os
import re
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import axe_violations
from tests.forms_backend.conftest import TODAY, LiveServer, live_server

Y = TODAY.year
MKDOCS_YML = """site_name: Guide d'essai
theme:
  name: material
  language: fr
  font: false
"""


def build_material_site(root: Path) -> Path:
    """A two-page MkDocs-Material site, built for real (its inline scripts are Material's own)."""
    docs = root / "docs"
    (docs / "sous").mkdir(parents=True)
    (docs / "index.md").write_text("# Accueil\n\n[Signaler une rupture](/formulaires/rupture)\n")
    (docs / "sous" / "page.md").write_text("# Une page plus profonde\n\nTexte.\n")
    (root / "mkdocs.yml").write_text(MKDOCS_YML)
    site = root / "site"
    subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "-q", "-f", str(root / "mkdocs.yml"), "-d", str(site)],
        check=True,
        env={**os.environ, "NO_MKDOCS_2_WARNING": "1"},
        capture_output=True,
    )
    return site


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    root = tmp_path_factory.mktemp("navigateur")
    site = build_material_site(root)
    with live_server(root, PARTAJ_MIN_FILL_SECONDS="0.2", PARTAJ_SITE_DIR=str(site)) as running:
        yield running


def active_id(page: Any) -> str:
    return str(page.evaluate("document.activeElement ? document.activeElement.id : ''"))


def tab_to(page: Any, element_id: str, limit: int = 60) -> None:
    """Press Tab until the element has the focus, as a keyboard user would."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if active_id(page) == element_id:
            return
    raise AssertionError(f"#{element_id} jamais atteint avec Tab (focus sur #{active_id(page)})")


def type_into(page: Any, element_id: str, text: str) -> None:
    tab_to(page, element_id)
    page.keyboard.type(text)


def test_cfa_fills_the_rupture_form_with_the_keyboard_fixes_a_mistake_and_gets_a_receipt(
    server: LiveServer, page: Any
) -> None:
    page.goto(f"{server.url}/formulaires/rupture")
    # Day and month are equal in every date, so the order of the date fields of Chromium's locale does not matter.
    type_into(page, "champ-nom", "Martin")
    type_into(page, "champ-prenom", "Léa")
    type_into(page, "champ-date_naissance", f"0505{Y - 19}")
    tab_to(page, "champ-sexe")
    page.keyboard.press("Space")
    type_into(page, "champ-code_postal", "6230")
    type_into(page, "champ-commune", "Lens")
    type_into(page, "champ-telephone", "06 12 34 56 78")
    tab_to(page, "champ-suivi_structure")
    for _ in range(4):
        page.keyboard.press("ArrowDown")
    type_into(page, "champ-cfa_nom", "CFA de démonstration")
    type_into(page, "champ-diplome_prepare", "CAP Cuisine")
    type_into(page, "champ-niveau", "Niveau 3")
    type_into(page, "champ-secteur", "Hôtellerie")
    type_into(page, "champ-entreprise_nom", "Restaurant de démonstration")
    type_into(page, "champ-date_debut_contrat", f"0909{Y - 2}")
    type_into(page, "champ-date_fin_prevue", f"0606{Y + 1}")
    type_into(page, "champ-date_rupture", f"0303{Y - 1}")
    type_into(page, "champ-cadre_rupture", "D'un")
    tab_to(page, "champ-motifs-2")
    page.keyboard.press("Space")
    tab_to(page, "champ-motifs-5")
    page.keyboard.press("Space")
    type_into(page, "champ-situation_actuelle", "Sans")
    type_into(page, "champ-territoire", "Bassin d'emploi de L")
    type_into(page, "champ-declarant_nom", "Paul Durand")
    type_into(page, "champ-declarant_courriel", "paul.durand@cfa.example.fr")
    tab_to(page, "champ-jeune_informe")
    page.keyboard.press("Space")
    typed = {
        "champ-date_naissance": f"{Y - 19}-05-05",
        "champ-suivi_structure": "mission-locale",
        "champ-niveau": "3",
        "champ-secteur": "hotellerie-restauration",
        "champ-cadre_rupture": "commun-accord",
        "champ-situation_actuelle": "sans-solution",
        "champ-territoire": "lens-lievin-henin-carvin",
    }
    assert {key: page.input_value(f"#{key}") for key in typed} == typed
    assert page.is_checked("#champ-suivi_structure-5")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Envoyer à la CTL"
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.title().startswith("Erreur : ")
    assert active_id(page) == "resume-erreurs"
    message = "Erreur : Code postal invalide : attendu 5 chiffres (ex. 59300)."
    assert page.text_content("#champ-code_postal-erreur") == message
    assert page.locator(".message-erreur").count() == 1
    assert page.input_value("#champ-prenom") == "Léa"
    assert page.is_checked("#champ-motifs-5")

    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.getAttribute('href')") == "#champ-code_postal"
    page.keyboard.press("Enter")
    assert active_id(page) == "champ-code_postal"
    page.keyboard.press("Control+A")
    page.keyboard.type("62300")
    with page.expect_navigation():
        page.keyboard.press("Enter")

    assert page.url == f"{server.url}/formulaires/recu"
    reference = page.inner_text(".reference")
    assert re.fullmatch(rf"RUP-{Y}-\d{{6}}", reference)
    assert "Martin" not in page.content()
    with sqlite3.connect(server.db_path) as conn:
        row = conn.execute(
            "SELECT s.nom, s.prenom, s.code_postal, s.statut, s.suivi_structure, r.date_rupture, r.cfa_nom "
            "FROM situations s JOIN rapports_rupture r ON r.situation_id = s.id WHERE s.reference = ?",
            [reference],
        ).fetchone()
        motifs = conn.execute(
            "SELECT motif FROM rupture_motifs m JOIN situations s ON s.id = m.situation_id WHERE s.reference = ?",
            [reference],
        ).fetchall()
    assert row == ("Martin", "Léa", "62300", "nouveau", "aucune", f"{Y - 1}-03-03", "CFA de démonstration")
    assert motifs == [("mobilite",), ("relation-employeur",)]


@pytest.mark.parametrize("source", ["rupture", "orientation"])
@pytest.mark.parametrize("with_errors", [False, True], ids=["sans-erreur", "avec-erreurs"])
def test_forms_have_no_serious_accessibility_violation(
    server: LiveServer, page: Any, source: str, with_errors: bool
) -> None:
    page.goto(f"{server.url}/formulaires/{source}")
    if with_errors:
        page.fill("#champ-code_postal", "12")
        with page.expect_navigation():
            page.click("button[type=submit]")
        assert page.locator(".message-erreur").count() > 5

    assert axe_violations(page) == []


def test_receipt_and_error_pages_have_no_serious_accessibility_violation(
    server: LiveServer, page: Any
) -> None:
    for path in ("/formulaires/recu", "/formulaires/static/absent.css", "/formulaires/"):
        page.goto(f"{server.url}{path}")
        assert axe_violations(page) == [], path


def test_guide_inline_scripts_run_under_the_csp_and_injected_ones_do_not(
    server: LiveServer, page: Any
) -> None:
    refused: list[str] = []
    page.on("console", lambda m: refused.append(m.text) if "Content Security Policy" in m.text else None)

    for path in ("/", "/sous/page/"):
        response = page.goto(f"{server.url}{path}")
        assert response is not None and response.status == 200
        assert "'unsafe-inline'" not in response.headers["content-security-policy"].split("; ")[1]
        assert page.evaluate("typeof __md_scope") == "object"
        assert page.locator("[data-md-component=search]").count() == 1
    assert refused == []

    page.evaluate("document.body.insertAdjacentHTML('beforeend', '<img src=x onerror=\"window.injecte=1\">')")
    page.wait_for_timeout(100)
    assert page.evaluate("typeof window.injecte") == "undefined"
    assert any("Content Security Policy" in text for text in refused)
