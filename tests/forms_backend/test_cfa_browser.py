"""In Debian's headless Chromium against the real server: a CFA logs in, downloads the template, uploads a file
with two bad rows, reads the preview, uploads the corrected file, confirms, sees its reports; a coordinator sees
them in the tracking table. axe-core on each CFA page; no sideways scrolling on a phone's width."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from forms_backend.cfa.rows import columns
from forms_backend.db.store import Store
from forms_backend.public.layouts import rupture_form
from generator.catalogue import Catalogue
from tests.conftest import axe_violations
from tests.forms_backend.cfa_support import CFA_A, COORD, TERRITOIRE, UAI_A, create_cfa, csv_bytes, report
from tests.forms_backend.conftest import TODAY, live_server
from tests.forms_backend.coordination import PASSWORD, create_account


def _rows(header: list[str], reports: list[dict[str, Any]], form_names: list[str]) -> list[list[Any]]:
    return [header] + [[data.get(name, "") for name in form_names] for data in reports]


def _log_in(page: Any, url: str, email: str) -> None:
    page.goto(f"{url}/coordination/connexion")
    page.fill("#champ-email", email)
    page.fill("#champ-mot_de_passe", PASSWORD)
    with page.expect_navigation():
        page.keyboard.press("Enter")


def test_cfa_uploads_corrects_confirms_and_the_coordinator_sees_the_reports(
    tmp_path: Path, page: Any, catalogue: Catalogue
) -> None:
    store = Store(tmp_path / "partaj.db")
    store.open()
    create_cfa(store, CFA_A, [UAI_A])
    create_account(store, COORD, "coordinateur", [TERRITOIRE])
    form_names = [champ.name for champ, _ in columns(rupture_form(catalogue))]
    store.close()
    future = (TODAY + timedelta(days=10)).isoformat()

    with live_server(tmp_path) as server:
        page.set_viewport_size({"width": 375, "height": 800})
        _log_in(page, server.url, CFA_A)
        assert page.url == f"{server.url}/cfa/"
        assert page.locator("h1").inner_text() == "Mes signalements"
        assert axe_violations(page) == []
        assert page.evaluate("document.documentElement.scrollWidth") <= 375

        with page.expect_download() as download:
            page.get_by_role("link", name="modèle CSV (séparateur « ; », UTF-8)").click()
        template = Path(download.value.path()).read_bytes().decode("utf-8-sig")
        header = template.strip().split(";")
        assert header[:2] == ["Nom du jeune", "Prénom du jeune"]

        good = [report(nom="Lefebvre", prenom="Jules"), report(nom="Petit", prenom="Inès")]
        bad = [
            report(nom="Lefebvre", prenom="Jules", date_rupture=future),
            report(nom="Petit", prenom="Inès", code_postal="6230"),
        ]
        first = tmp_path / "ruptures.csv"
        first.write_bytes(csv_bytes(_rows(header, bad, form_names)))
        page.set_input_files("#fichier", str(first))
        with page.expect_navigation():
            page.get_by_role("button", name="Voir l'aperçu").click()
        assert page.locator("h1").inner_text() == "Aperçu du fichier « ruptures.csv »"
        assert page.locator("#liste-problemes li").all_inner_texts() == [
            "Ligne 2, « Date de rupture » : Cette date est dans le futur : attendu une date passée ou celle "
            "d'aujourd'hui.",
            "Ligne 3, « Code postal de résidence » : Code postal invalide : attendu 5 chiffres (ex. 59300).",
        ]
        assert page.locator("form[action='/cfa/confirmer']").count() == 0
        assert axe_violations(page) == []

        corrected = tmp_path / "ruptures-corrige.csv"
        corrected.write_bytes(csv_bytes(_rows(header, good, form_names)))
        page.set_input_files("#fichier", str(corrected))
        with page.expect_navigation():
            page.get_by_role("button", name="Voir l'aperçu").click()
        assert page.locator("#liste-problemes").count() == 0
        assert page.locator("#bilan").inner_text() == "2 nouveaux signalements."
        assert axe_violations(page) == []
        with page.expect_navigation():
            page.get_by_role("button", name="Enregistrer les 2 signalements").click()

        assert page.url == f"{server.url}/cfa/?crees=2&deja=0"
        assert page.locator("#enregistrement").inner_text() == "2 signalements enregistrés."
        cells = page.locator("#mes-signalements tbody tr").all_inner_texts()
        assert len(cells) == 2
        assert all("Reçu" in row for row in cells)
        assert {"Jules Lefebvre", "Inès Petit"} <= {
            page.locator("#mes-signalements tbody tr").nth(i).locator("td").first.inner_text()
            for i in range(2)
        }
        assert axe_violations(page) == []

        with page.expect_navigation():
            page.get_by_role("button", name="Se déconnecter").click()
        _log_in(page, server.url, COORD)
        assert page.url == f"{server.url}/coordination/"
        table = page.locator("table").first.inner_text()
        assert "Lefebvre" in table and "Petit" in table
