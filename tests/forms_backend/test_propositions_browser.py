"""Issue 13 in Debian's headless Chromium against the real server and a real guide: a partner proposes a new
action from a territory page, fixes a mistake, gets the receipt; a moderator logs in, edits one field, accepts;
the YAML file is written and valid, the guide is rebuilt, shows the page and its search finds it."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import yaml

from forms_backend.db.store import Store
from generator.catalogue import load_catalogue
from tests.conftest import axe_violations
from tests.forms_backend.conftest import live_server
from tests.forms_backend.coordination import PASSWORD, create_account
from tests.forms_backend.propositions_support import COORD_VAL, scratch_repo


def build_guide(data_dir: Path, out: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "generator",
        "build",
        "--data",
        str(data_dir),
        "--content",
        str(data_dir.parent / "content"),
    ]
    subprocess.run([*cmd, "--out", str(out)], check=True, capture_output=True)


def test_a_partner_proposes_a_moderator_accepts_and_the_guide_shows_it(tmp_path: Path, page: Any) -> None:
    data_dir = scratch_repo(tmp_path)
    site = tmp_path / "site"
    build_guide(data_dir, site)
    store = Store(tmp_path / "partaj.db")
    store.open()
    create_account(store, COORD_VAL, "coordinateur", ["valenciennes"])
    store.close()

    with live_server(
        tmp_path, PARTAJ_DATA_DIR=str(data_dir), PARTAJ_SITE_DIR=str(site), PARTAJ_MIN_FILL_SECONDS="0.2"
    ) as server:
        page.goto(f"{server.url}/territoires/valenciennes/")
        with page.expect_navigation():
            page.get_by_role("link", name="Proposer une nouvelle action").click()
        assert page.url == f"{server.url}/contribuer/nouvelle?territoire=valenciennes"
        assert page.is_checked("input[name=territoires][value=valenciennes]")
        page.fill("#champ-nom", "Atelier fictif du mercredi")
        page.fill(
            "#champ-description",
            "Un atelier fictif, écrit par les tests, pour reprendre confiance le mercredi.",
        )
        page.select_option("#champ-type", "atelier")
        page.select_option("#champ-famille_solution", "remobilisation")
        page.check("input[name=volet][value=reparation]")
        page.check("input[name=thematiques][value=remobilisation]")
        page.check("input[name=publics][value=jeunes]")
        page.fill("#champ-courriel", "pas-une-adresse")  # the mistake
        page.fill("#champ-porteur", "Structure fictive 7")
        page.fill("#champ-proposeur_nom", "Camille Test")
        page.fill("#champ-proposeur_structure", "Structure fictive 7")
        page.fill("#champ-proposeur_courriel", "camille@example.org")
        page.wait_for_timeout(300)
        with page.expect_navigation():
            page.get_by_role("button", name="Envoyer ma proposition").click()

        assert page.title().startswith("Erreur : ")
        assert page.inner_text("#champ-courriel-erreur").endswith(
            "Adresse électronique invalide : attendu une adresse de la forme nom@domaine.fr."
        )
        assert page.input_value("#champ-nom") == "Atelier fictif du mercredi"
        assert axe_violations(page) == []
        page.fill("#champ-courriel", "contact@example.org")
        with page.expect_navigation():
            page.get_by_role("button", name="Envoyer ma proposition").click()
        assert page.url == f"{server.url}/contribuer/recu"
        reference = page.inner_text(".reference")
        assert reference.startswith("PRO-")

        page.goto(f"{server.url}/coordination/propositions")
        page.fill("#champ-email", COORD_VAL)
        page.fill("#champ-mot_de_passe", PASSWORD)
        with page.expect_navigation():
            page.get_by_role("button", name="Se connecter").click()
        with page.expect_navigation():
            page.get_by_role("link", name=reference).click()
        assert axe_violations(page) == []
        page.fill("#champ-nom", "Atelier fictif du mercredi après-midi")
        with page.expect_navigation():
            page.get_by_role("button", name="Accepter et publier").click()
        assert "Proposition acceptée" in page.inner_text("[role=status]")

        sheet = data_dir / "fiches" / "atelier-fictif-du-mercredi-apres-midi.yaml"
        assert (
            yaml.safe_load(sheet.read_text(encoding="utf-8"))["nom"]
            == "Atelier fictif du mercredi après-midi"
        )
        assert load_catalogue(data_dir).errors == []
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            page.reload()
            if "en ligne" in page.inner_text("#etat-publication"):
                break
            time.sleep(1)
        assert page.inner_text("#etat-publication") == "Publication du guide : en ligne"

        response = page.goto(f"{server.url}/fiches/atelier-fictif-du-mercredi-apres-midi/")
        assert response is not None and response.status == 200
        assert page.locator("h1").inner_text() == "Atelier fictif du mercredi après-midi"
        found = page.evaluate(
            """async () => {
                const pagefind = await import('/pagefind/pagefind.js');
                const search = await pagefind.search('mercredi');
                const data = await Promise.all(search.results.map(r => r.data()));
                return data.map(d => d.url);
            }"""
        )
        assert any("atelier-fictif-du-mercredi-apres-midi" in url for url in found), found
