"""Imported services in the built guide: checked and built by the real commands from a copy of data/, shown
with their source, listed on their territory, counted in the coverage page, left out of services.json, and
found by the search in Chromium."""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from generator.catalogue import load_catalogue
from generator.cli import main
from generator.coverage import COUVERTURE, coverage
from generator.data_inclusion.model import ServiceImporte
from tests.conftest import ROOT
from tests.generator.conftest import html, served
from tests.generator.test_data_inclusion import TODAY, feed, service, structure

NAME = "Atelier fictif Zéphyrine de remobilisation"


@pytest.fixture(scope="module")
def imported(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """A copy of data/ with three imported services, checked and built once by the real CLI."""
    root = tmp_path_factory.mktemp("di-site")
    data = root / "data"
    shutil.copytree(ROOT / "data", data)
    services = [
        service(1, nom=NAME),
        service(2, code_insee=None, code_postal="62300", commune="Lens", date_maj="2024-10-01"),
        service(3, code_insee=None, zone_eligibilite=["246200364"], lien_source=None),
    ]
    files = feed(root / "feed", services, [structure(0)])
    assert main(["import-data-inclusion", "--data", str(data), "--date", TODAY, *files]) == 0
    site = root / "site"
    assert main(["check", "--data", str(data), "--content", str(ROOT / "content")]) == 0
    assert main(["build", "--data", str(data), "--content", str(ROOT / "content"), "--out", str(site)]) == 0
    catalogue = load_catalogue(data, ROOT / "content")
    ids = {f.provenance.id: f.id for f in catalogue.fiches.values() if isinstance(f, ServiceImporte)}
    return {"data": data, "site": site, "catalogue": catalogue, "ids": ids}


def test_check_flags_an_imported_sheet_older_than_twelve_months(
    imported: dict[str, Any], capsys: pytest.CaptureFixture[str]
) -> None:
    main(["check", "--data", str(imported["data"]), "--content", str(ROOT / "content")])
    out = capsys.readouterr().out
    sheet = imported["ids"]["essai--service-2"]
    warning = next(line for line in out.splitlines() if f"{sheet}.yaml" in line)
    today = date.today()  # the check counts whole months from 1 October 2024 to the day it runs
    months = (today.year - 2024) * 12 + today.month - 10
    assert warning.endswith(
        f"avertissement : « date_maj » : dernière vérification le 01/10/2024, il y a {months} mois (limite : 12 mois) ; "
        "vérifiez les informations puis mettez la date à jour"
    )


def test_imported_page_shows_its_source_and_original_record(imported: dict[str, Any]) -> None:
    page = html(imported["site"], f"fiches/{imported['ids']['essai--service-1']}")
    text = re.sub(r"<[^>]+>", "", page)
    assert "Source : data·inclusion (essai), mis à jour le 15/10/2026 — voir la fiche d'origine." in text
    assert 'href="https://fiches.example.org/services/1"' in page
    assert "Service local (data·inclusion)" in text
    assert "Horaires de la structure : Mo-Fr 09:00-12:00" in text
    without_link = re.sub(
        r"<[^>]+>", "", html(imported["site"], f"fiches/{imported['ids']['essai--service-3']}")
    )
    assert "identifiant dans le flux : essai--service-3" in without_link


def test_imported_services_are_linked_from_their_territory(imported: dict[str, Any]) -> None:
    ids = imported["ids"]
    valenciennes = html(imported["site"], "territoires/valenciennes")
    lens = html(imported["site"], "territoires/lens-lievin-henin-carvin")
    assert f"../../fiches/{ids['essai--service-1']}/" in valenciennes
    assert f"../../fiches/{ids['essai--service-2']}/" in lens
    assert f"../../fiches/{ids['essai--service-3']}/" in lens
    assert f"../../fiches/{ids['essai--service-2']}/" not in valenciennes


def test_coverage_page_counts_imported_services(imported: dict[str, Any]) -> None:
    catalogue = imported["catalogue"]
    local = [f for f in catalogue.fiches.values() if not isinstance(f, ServiceImporte)]
    every = coverage(catalogue.fiches.values(), catalogue.territoires.values(), catalogue.today)
    before = coverage(local, catalogue.territoires.values(), catalogue.today)
    column = COUVERTURE.index("remobilisation")
    rows = {row["id"]: row for row in every["rows"]}
    old = {row["id"]: row for row in before["rows"]}
    assert (
        rows["lens-lievin-henin-carvin"]["counts"][column]
        == old["lens-lievin-henin-carvin"]["counts"][column] + 2
    )
    page = html(imported["site"], "manques")
    row = next(
        r for r in re.findall(r"<tr><th scope=\"row\">(.*?)</tr>", page) if "lens-lievin-henin-carvin" in r
    )
    cells = re.findall(r"<td[^>]*>([^<]*)</td>", row)
    assert cells[column] == str(rows["lens-lievin-henin-carvin"]["counts"][column])


def test_services_json_leaves_imported_services_out(imported: dict[str, Any]) -> None:
    site = imported["site"]
    services = json.loads((site / "services.json").read_text(encoding="utf-8"))
    structures = json.loads((site / "structures.json").read_text(encoding="utf-8"))
    assert services and all(s["source"] == "partaj" for s in services)
    assert all(s["source"] == "partaj" for s in structures)
    records = json.loads((site / "catalogue.json").read_text(encoding="utf-8"))
    origins = {r["provenance"]["id"] for r in records if "provenance" in r}
    assert origins == {"essai--service-1", "essai--service-2", "essai--service-3"}


@pytest.fixture(scope="module")
def site_url(imported: dict[str, Any]) -> Iterator[str]:
    with served(imported["site"]) as url:
        yield url


def test_search_finds_an_imported_service_without_accents(page: Any, site_url: str) -> None:
    page.goto(f"{site_url}/trouver-une-solution/")
    page.fill("#recherche-terme", "zephyrine")
    page.wait_for_function("t => document.getElementById('recherche').dataset.terme === t", arg="zephyrine")
    links = page.locator(".partaj-recherche__lien")
    assert links.count() == 1
    assert links.first.inner_text() == NAME
    links.first.click()
    page.wait_for_url("**/fiches/**")
    assert page.locator("h1").inner_text() == NAME
    assert "Source : data·inclusion (essai)" in page.locator("article").inner_text()
