"""Long listings go on over numbered pages (`generator/listings.py`, PAR_PAGE actions each): every action is on
exactly one page, the navigation between pages works by link, keyboard and phone, and the first page keeps the
introduction and the dispositifs."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from generator.listings import PAR_PAGE, shown_pages
from tests.conftest import ROOT, axe_violations
from tests.generator.conftest import VALID_FICHE, VALID_STRUCTURE, build_guide, html, served

# 2.5 pages of fictional actions on Valenciennes, plus the real dispositifs.
NOMBRE = PAR_PAGE * 2 + PAR_PAGE // 2


def _fiche(i: int) -> str:
    """The scratch fiche of the guide's tests, renamed (the names sort as the numbers) and marked as an example."""
    renamed = VALID_FICHE.replace("id: ma-fiche", f"id: action-fictive-{i:03d}")
    return (
        renamed.replace("nom: Atelier de remobilisation", f"nom: Action fictive {i:03d}") + "exemple: true\n"
    )


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("listes")
    data = root / "data"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("fiches"))
    (data / "fiches").mkdir()
    (data / "structures" / "ma-structure.yaml").write_text(VALID_STRUCTURE, encoding="utf-8")
    for i in range(NOMBRE):
        (data / "fiches" / f"action-fictive-{i:03d}.yaml").write_text(_fiche(i), encoding="utf-8")
    return build_guide(data, root / "site")


def _actions(page: str) -> list[str]:
    return re.findall(r'<a href="[./]*(?:fiches/)?(action-fictive-\d{3})/">', page)


def _pager(page: str) -> str:
    found = re.search(r'<nav aria-label="Pages de la liste" class="partaj-pages">(.*?)</nav>', page, re.S)
    assert found, "pas de navigation entre les pages"
    return found.group(1)


def test_shown_page_numbers_keep_first_last_and_neighbours() -> None:
    assert shown_pages(1, 1) == [1]
    assert shown_pages(1, 3) == [1, 2, 3]
    assert shown_pages(3, 11) == [1, 2, 3, 4, 5, None, 11]
    assert shown_pages(6, 11) == [1, None, 4, 5, 6, 7, 8, None, 11]
    assert shown_pages(11, 11) == [1, None, 9, 10, 11]
    assert shown_pages(4, 7) == [1, 2, 3, 4, 5, 6, 7]


@pytest.mark.parametrize("listing", ["fiches", "territoires/valenciennes", "thematiques/remobilisation"])
def test_every_action_is_on_exactly_one_page(site: Path, listing: str) -> None:
    first = html(site, listing)
    pages = [first, html(site, f"{listing}/page/2"), html(site, f"{listing}/page/3")]
    assert not (site / listing / "page" / "4").exists()
    assert not (site / listing / "page" / "1").exists()
    seen = [action for page in pages for action in _actions(page)]
    assert [len(_actions(page)) for page in pages] == [PAR_PAGE, PAR_PAGE, NOMBRE - 2 * PAR_PAGE]
    assert sorted(seen) == [f"action-fictive-{i:03d}" for i in range(NOMBRE)]
    # In the listing's order (current actions first, then by name): here, by name.
    assert seen == sorted(seen)
    total = f"Actions locales ({NOMBRE})"
    assert all(total in page for page in pages)
    assert f"Actions 101 à 200 sur {NOMBRE}, page 2 sur 3" in pages[1]


def test_pages_link_to_each_other(site: Path) -> None:
    first = _pager(html(site, "fiches"))
    assert '<span aria-current="page"><span class="partaj-masque">Page </span>1</span>' in first
    assert '<a href="page/2/"><span class="partaj-masque">Page </span>2</a>' in first
    assert '<a href="page/2/" rel="next">Page suivante</a>' in first
    assert "Page précédente" not in first
    last = _pager(html(site, "territoires/valenciennes/page/3"))
    assert '<a href="../2/" rel="prev">Page précédente</a>' in last
    assert '<a href="../../"><span class="partaj-masque">Page </span>1</a>' in last
    assert "Page suivante" not in last
    # Every link of every navigation leads to a built page.
    for listing in ("fiches", "territoires/valenciennes"):
        for number in (1, 2, 3):
            folder = site / listing if number == 1 else site / listing / "page" / str(number)
            for href in re.findall(r'href="([^"]+)"', _pager((folder / "index.html").read_text("utf-8"))):
                assert (folder / href / "index.html").resolve().is_file(), (listing, number, href)


def test_first_page_keeps_the_introduction_and_dispositifs(site: Path) -> None:
    first, second = html(site, "territoires/valenciennes"), html(site, "territoires/valenciennes/page/2")
    assert "Dispositifs de droit commun (" in first
    assert "Dispositifs de droit commun (" not in second
    assert '<h2 id="perimetre">Périmètre</h2>' in first
    assert '<h2 id="perimetre">' not in second
    assert "<title>Bassin d'emploi de Valenciennes — page 2 - PARTAJ — Guide ressource</title>" in second
    assert ">Bassin d'emploi de Valenciennes — page 2 sur 3</h1>" in second
    # Proposing an action on the territory stays at hand on every page.
    assert 'href="/contribuer/nouvelle?territoire=valenciennes"' in second
    # The later pages stay out of the search index, like the first.
    assert "data-pagefind-body" not in second


def test_a_short_listing_has_no_page_navigation(site: Path) -> None:
    assert "partaj-pages" not in html(site, "dispositifs")
    assert not (site / "dispositifs" / "page").exists()


def test_phone_reader_goes_to_next_page_by_keyboard(site: Path, page: Any) -> None:
    page.set_viewport_size({"width": 390, "height": 844})
    with served(site) as url:
        page.goto(f"{url}/fiches/")
        suivante = page.get_by_role("link", name="Page suivante")
        box = suivante.bounding_box()
        assert box is not None and box["height"] >= 44 and box["width"] >= 44
        suivante.focus()
        page.keyboard.press("Enter")
        page.wait_for_url(f"{url}/fiches/page/2/")
        assert page.locator("[aria-current=page]").text_content() == "Page 2"
        assert page.get_by_role("link", name="Page 3").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        assert axe_violations(page) == []
