"""The observatory in Debian's headless Chromium against the real server: axe-core finds no serious or critical
violation, the page holds on a phone without scrolling sideways, and printed (Chromium's PDF) it is an A4
annual bilan whose content fits the page's width."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from forms_backend.db.store import Store
from tests.conftest import axe_violations
from tests.forms_backend.conftest import live_server
from tests.forms_backend.coordination import PASSWORD, create_account
from tests.forms_backend.test_observatoire import populate
from tests.forms_backend.tracking import REGIONAL

# A4 is 210 mm wide; the print stylesheet keeps 12 mm margins each side: 186 mm at 96 CSS pixels per inch.
A4_CONTENT_PX = int(186 / 25.4 * 96)


def log_in(page: Any, url: str) -> None:
    page.goto(f"{url}/coordination/connexion?suite=/coordination/observatoire")
    page.fill("#champ-email", REGIONAL)
    page.fill("#champ-mot_de_passe", PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Se connecter").click()


def test_observatoire_is_accessible_fits_a_phone_and_prints_on_a4(tmp_path: Path, browser: Any) -> None:
    store = Store(tmp_path / "partaj.db")
    store.open()
    create_account(store, REGIONAL, "regional")
    populate(store)
    store.close()
    context = browser.new_context(locale="fr-FR")
    page = context.new_page()
    try:
        with live_server(tmp_path) as server:
            log_in(page, server.url)
            page.goto(f"{server.url}/coordination/observatoire?annee=2026")
            assert page.locator("h1").inner_text() == "Observatoire — année 2026"
            assert page.locator("svg[role=img]").count() == 10
            assert page.locator("#sorties tbody tr.total td").first.inner_text() == "4"
            assert axe_violations(page) == []

            page.select_option("#champ-territoire", "roubaix-tourcoing")
            with page.expect_navigation():
                page.get_by_role("button", name="Afficher").click()
            assert page.url.endswith(
                "/coordination/observatoire?annee=2026&du=&au=&territoire=roubaix-tourcoing"
            )
            assert page.locator("#sorties tbody tr.total td").first.inner_text() == "2"

            page.goto(f"{server.url}/coordination/observatoire?annee=2026&du=2026-05-01&au=2026-01-01")
            assert page.locator("#resume-erreurs").is_visible()
            assert axe_violations(page) == []

            page.set_viewport_size({"width": 375, "height": 740})
            page.goto(f"{server.url}/coordination/observatoire?annee=2026")
            assert page.evaluate("document.documentElement.scrollWidth") <= 375

            page.set_viewport_size({"width": A4_CONTENT_PX, "height": 1000})
            page.emulate_media(media="print")
            assert page.evaluate("document.documentElement.scrollWidth") <= A4_CONTENT_PX
            widest = page.evaluate(
                "Math.max(...[...document.querySelectorAll('table, svg')].map(e => e.getBoundingClientRect().right))"
            )
            assert widest <= A4_CONTENT_PX
            assert page.locator("form.filtres-observatoire").is_hidden()
            pdf = page.pdf(format="A4", print_background=True)
    finally:
        context.close()
    boxes = re.findall(rb"/MediaBox\s*\[\s*0 0 ([\d.]+) ([\d.]+)\s*\]", pdf)
    assert boxes and all(abs(float(w) - 595.9) < 1 and abs(float(h) - 842.9) < 1 for w, h in boxes)
    pages = len(re.findall(rb"/Type\s*/Page\b", pdf))
    assert 2 <= pages <= 12, pages
