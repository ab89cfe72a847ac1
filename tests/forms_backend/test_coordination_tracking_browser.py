"""In Debian's headless Chromium against the real server: a coordinator logs in, filters the tracking table,
opens a situation, adds a note, proposes a dispositif, follows it to an outcome and downloads the export;
axe-core finds no serious or critical violation on the table and the situation pages."""

from __future__ import annotations

import csv
import io
from pathlib import Path
from typing import Any

from forms_backend.db.store import Store
from tests.conftest import axe_violations
from tests.forms_backend.conftest import live_server
from tests.forms_backend.coordination import PASSWORD, create_account, rows
from tests.forms_backend.tracking import COORD_A, TERRITOIRE_A, TERRITOIRE_B, add_situation


def test_coordinator_follows_a_situation_to_its_outcome_and_exports_the_table(
    tmp_path: Path, page: Any
) -> None:
    store = Store(tmp_path / "partaj.db")
    store.open()
    create_account(store, COORD_A, "coordinateur", [TERRITOIRE_A])
    add_situation(store, TERRITOIRE_A, nom="Martin", prenom="Léa")
    add_situation(store, TERRITOIRE_A, "orientation", nom="Petit", prenom="Hélène")
    add_situation(store, TERRITOIRE_B, nom="Bernard", prenom="Yanis")
    store.close()

    with live_server(tmp_path) as server:
        page.goto(f"{server.url}/coordination/")
        page.fill("#champ-email", COORD_A)
        page.fill("#champ-mot_de_passe", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Se connecter").click()
        assert page.locator("h1").inner_text() == "Tableau de bord de la CTL"
        assert page.locator("tbody tr").count() == 2
        assert axe_violations(page) == []

        page.select_option("#champ-source", "rupture")
        with page.expect_navigation():
            page.get_by_role("button", name="Afficher").click()
        assert page.url == f"{server.url}/coordination/?source=rupture"
        assert page.locator("tbody tr").count() == 1

        page.fill("#champ-recherche", "helene")
        page.select_option("#champ-source", "")
        with page.expect_navigation():
            page.get_by_role("button", name="Afficher").click()
        assert page.url == f"{server.url}/coordination/"
        assert page.locator("tbody tr").count() == 1
        assert "Petit Hélène" in page.locator("tbody").inner_text()
        page.goto(f"{server.url}/coordination/")

        with page.expect_navigation():
            page.get_by_role("link", name="RUP-2026-000001").click()
        assert page.locator("h1").inner_text().startswith("Situation RUP-2026-000001")
        assert axe_violations(page) == []

        page.fill("#champ-texte", "Premier entretien : souhaite reprendre un CAP.")
        with page.expect_navigation():
            page.get_by_role("button", name="Ajouter la note").click()
        assert page.locator('[role="status"]').inner_text() == "Note ajoutée à la fiche de suivi."
        assert "souhaite reprendre un CAP" in page.locator("#historique").inner_text()

        page.select_option("#champ-solution", "dispositif:pmsmp")
        with page.expect_navigation():
            page.get_by_role("button", name="Proposer cette solution", exact=True).click()
        link = page.locator("#solution a", has_text="Période de mise en situation en milieu professionnel")
        assert link.get_attribute("href") == "/dispositifs/pmsmp/"

        for label in ("À examiner en CTL", "Solution proposée", "Accompagnement en cours"):
            page.get_by_label(label, exact=True).check()
            with page.expect_navigation():
                page.get_by_role("button", name="Enregistrer le statut").click()
        page.get_by_label("Sortie", exact=True).check()
        with page.expect_navigation():
            page.get_by_role("button", name="Enregistrer le statut").click()
        assert page.locator("#resume-erreurs").is_visible()
        assert axe_violations(page) == []
        page.select_option("#champ-sortie", "alternance")
        with page.expect_navigation():
            page.get_by_role("button", name="Enregistrer le statut").click()
        assert "Alternance" in page.locator("h1 + p").inner_text()
        assert rows(
            server.db_path, "SELECT statut, sortie FROM situations WHERE reference = 'RUP-2026-000001'"
        ) == [("sortie", "alternance")]

        page.goto(f"{server.url}/coordination/")
        with page.expect_download() as info:
            page.get_by_role("button", name="CSV (Excel)").click()
        download = info.value
        assert download.suggested_filename.endswith(".csv")
        content = Path(download.path()).read_bytes().decode("utf-8-sig")
        table = list(csv.reader(io.StringIO(content, newline=""), delimiter=";"))
        assert sorted(r[0] for r in table[1:]) == ["ORI-2026-000001", "RUP-2026-000001"]
        (row,) = [dict(zip(table[0], r, strict=True)) for r in table[1:] if r[0] == "RUP-2026-000001"]
        assert (row["Statut"], row["Issue de la sortie"]) == (
            "Sortie",
            "Alternance (apprentissage, professionnalisation)",
        )
        assert "Bernard" not in content


def test_tracking_table_collapses_into_cards_on_a_phone(tmp_path: Path, browser: Any) -> None:
    store = Store(tmp_path / "partaj.db")
    store.open()
    create_account(store, COORD_A, "coordinateur", [TERRITOIRE_A])
    add_situation(store, TERRITOIRE_A, nom="Martin", prenom="Léa")
    store.close()
    context = browser.new_context(locale="fr-FR", viewport={"width": 375, "height": 740})
    page = context.new_page()
    try:
        with live_server(tmp_path) as server:
            page.goto(f"{server.url}/coordination/connexion")
            page.fill("#champ-email", COORD_A)
            page.fill("#champ-mot_de_passe", PASSWORD)
            with page.expect_navigation():
                page.get_by_role("button", name="Se connecter").click()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= 375
            assert page.locator("thead").evaluate("e => getComputedStyle(e).position") == "absolute"
            assert axe_violations(page) == []
            page.screenshot(path=str(tmp_path / "telephone.png"), full_page=True)
    finally:
        context.close()
