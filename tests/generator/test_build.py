"""The real site builds from data/ and content/: pages, language, sidebar, listings, coverage, exports."""

from __future__ import annotations

import csv
import json
import re
from html import unescape
from pathlib import Path

import pytest
from data_inclusion.schema import v1 as di

from generator.catalogue import Catalogue, load_catalogue
from tests.conftest import ROOT
from tests.generator.conftest import html


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "data", ROOT / "content")


def test_build_every_fiche_and_dispositif_has_its_page(built_site: Path, catalogue: Catalogue) -> None:
    for fiche in catalogue.fiches.values():
        page = html(built_site, f"fiches/{fiche.id}")
        titles = [unescape(t) for t in re.findall(r"<h1[^>]*>([^<]*)</h1>", page)]
        assert titles == [fiche.nom]
    for dispositif in catalogue.dispositifs.values():
        page = html(built_site, f"dispositifs/{dispositif.id}")
        assert "Mis à jour le" in page
        for source in dispositif.sources:
            assert source.url.replace("&", "&amp;") in page


def test_build_every_page_is_in_french(built_site: Path) -> None:
    pages = list(built_site.rglob("*.html"))
    assert len(pages) > 50
    for page in pages:
        assert '<html lang="fr"' in page.read_text(encoding="utf-8"), page


def test_build_fiches_stay_out_of_the_sidebar(built_site: Path, catalogue: Catalogue) -> None:
    home = html(built_site, ".")
    nav = home.split('<nav class="md-nav md-nav--primary"', 1)[1].split("</nav>\n</div>", 1)[0]
    assert "Trouver une solution" in nav
    for fiche_id in catalogue.fiches:
        assert f"fiches/{fiche_id}/" not in nav
    for dispositif_id in catalogue.dispositifs:
        assert f"dispositifs/{dispositif_id}/" not in nav


def test_build_listing_pages_link_every_sheet(built_site: Path, catalogue: Catalogue) -> None:
    for territoire_id in catalogue.territoires:
        page = html(built_site, f"territoires/{territoire_id}")
        for fiche in catalogue.fiches.values():
            assert (f"../../fiches/{fiche.id}/" in page) == (territoire_id in fiche.territoires)
    volets = html(built_site, "volets/reparation")
    assert any(
        f"../../fiches/{f.id}/" in volets for f in catalogue.fiches.values() if "reparation" in f.volet
    )
    assert (built_site / "thematiques" / "se-former" / "index.html").is_file()
    assert (built_site / "publics" / "jeunes" / "index.html").is_file()


def test_build_sheet_shows_contacts_sources_related_and_update(
    built_site: Path, catalogue: Catalogue
) -> None:
    dispositif = next(d for d in catalogue.dispositifs.values() if d.dispositifs_lies)
    page = html(built_site, f"dispositifs/{dispositif.id}")
    for section in ("Comment le mobiliser", "Contacts", "Sources", "Dispositifs liés", "Mis à jour le"):
        assert section in page
    related = catalogue.dispositifs[dispositif.dispositifs_lies[0]]
    assert f'href="../{related.id}/"' in page
    assert f'<time datetime="{dispositif.date_maj.isoformat()}">{dispositif.date_maj:%d/%m/%Y}</time>' in page


def test_build_coverage_page_marks_empty_cells(built_site: Path, catalogue: Catalogue) -> None:
    page = html(built_site, "manques")
    rows = re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", page)
    assert len(rows) == len(catalogue.territoires)
    # What each cell counts is tested on a controlled catalogue (test_render); here, the real one is shown.
    for territoire in catalogue.territoires.values():
        row = next(r for r in rows if f'href="../territoires/{territoire.id}/"' in r)
        assert row.count("<td") == 11, territoire.id
    assert '<td class="partaj-manque">aucune</td>' in page


def test_build_chart_pages_have_svg_and_table(built_site: Path) -> None:
    page = html(built_site, "chiffres")
    assert page.count('.svg" alt="') == 10
    assert "<td>2\u202f285</td>" in page
    svg = (built_site / "chiffres" / "ages.svg").read_text(encoding="utf-8")
    assert svg.startswith("<?xml") and "<svg" in svg


def test_build_writes_catalogue_json_and_csv(built_site: Path, catalogue: Catalogue) -> None:
    records = json.loads((built_site / "catalogue.json").read_text(encoding="utf-8"))
    assert len(records) == len(catalogue.fiches) + len(catalogue.dispositifs)
    assert {r["id"] for r in records} == set(catalogue.fiches) | set(catalogue.dispositifs)
    with (built_site / "catalogue.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.DictReader(handle, delimiter=";"))
    assert len(rows) == len(records)
    assert {r["nature"] for r in rows} == {"fiche", "dispositif"}


def test_build_data_inclusion_exports_validate(built_site: Path, catalogue: Catalogue) -> None:
    services = json.loads((built_site / "services.json").read_text(encoding="utf-8"))
    structures = json.loads((built_site / "structures.json").read_text(encoding="utf-8"))
    assert len(services) == len([f for f in catalogue.fiches.values() if not f.exemple])
    assert len(structures) == len(catalogue.structures)
    for service in services:
        di.Service.model_validate(service)
    for structure in structures:
        di.Structure.model_validate(structure)
    assert {s["structure_id"] for s in services} <= {s["id"] for s in structures}


def test_build_search_index_is_written(built_site: Path) -> None:
    assert (built_site / "pagefind" / "pagefind-ui.js").is_file()
    entry = json.loads((built_site / "pagefind" / "pagefind-entry.json").read_text(encoding="utf-8"))
    assert "fr" in entry["languages"]


def test_build_toolkit_templates_are_printable(built_site: Path) -> None:
    css = (built_site / "assets" / "partaj" / "partaj.css").read_text(encoding="utf-8")
    assert "@media print" in css
    for name in ("charte-de-confidentialite", "contrat-engagement", "fiche-de-suivi", "fiche-diagnostic"):
        page = html(built_site, f"boite-a-outils/{name}")
        assert "assets/partaj/partaj.css" in page


def test_build_every_content_page_shows_its_update_date(built_site: Path) -> None:
    pages = [p for p in built_site.rglob("index.html") if "pagefind" not in p.parts]
    undated = [
        str(p.relative_to(built_site)) for p in pages if "Mis à jour le <time" not in p.read_text("utf-8")
    ]
    assert undated == []
