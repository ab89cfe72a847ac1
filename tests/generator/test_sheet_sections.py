"""Sections of a sheet page: « Comment le mobiliser » as a numbered list of its steps, « En bref » without an
empty header row."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from generator.catalogue import Catalogue, load_catalogue
from generator.exports import service_record
from generator.render import Renderer
from tests.conftest import ROOT
from tests.generator.conftest import VALID_DISPOSITIF, VALID_FICHE, html

STEPS = """\
mobilisation_precisions:
  - >-
    Le jeune *prend* rendez-vous
    à la Mission locale.
  - Entretien <b>de</b> diagnostic.
  - Signature du contrat.
"""


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "data", ROOT / "content")


def section(page: str, heading_id: str) -> str:
    """The HTML between the `<h2 id=…>` of a section and the next `<h2`."""
    start = page.index(f'<h2 id="{heading_id}">')
    end = page.find("<h2", start + 1)
    return page[start : end if end > 0 else len(page)]


def rendered(data_dir: Path, tmp_path: Path, relative: str) -> str:
    catalogue = load_catalogue(data_dir, None, today=date(2026, 11, 30))
    assert catalogue.errors == []
    Renderer(catalogue, tmp_path / "docs").render_sheets(0, 1)
    return (tmp_path / "docs" / relative).read_text(encoding="utf-8")


def test_mobilisation_steps_render_as_numbered_markdown_list(
    write_yaml: Callable[[str, str], Path], data_dir: Path, tmp_path: Path
) -> None:
    write_yaml("dispositifs/mon-dispositif.yaml", VALID_DISPOSITIF + STEPS)
    text = rendered(data_dir, tmp_path, "dispositifs/mon-dispositif.md")
    assert (
        "## Comment le mobiliser\n\n"
        "1. Le jeune *prend* rendez-vous à la Mission locale.\n"
        "2. Entretien &lt;b&gt;de&lt;/b&gt; diagnostic.\n"
        "3. Signature du contrat.\n"
    ) in text


def test_mobilisation_text_stays_contributor_markdown(
    write_yaml: Callable[[str, str], Path], data_dir: Path, tmp_path: Path
) -> None:
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE + "mobilisation_precisions: Écrire à **l'association**.\n")
    text = rendered(data_dir, tmp_path, "fiches/ma-fiche.md")
    assert "## Comment le mobiliser\n\nÉcrire à **l'association**.\n" in text


def test_built_dispositif_mobilisation_is_an_ol_with_one_li_per_step(
    built_site: Path, catalogue: Catalogue
) -> None:
    steps = catalogue.dispositifs["epide"].mobilisation_precisions
    assert isinstance(steps, list) and len(steps) == 3
    part = section(html(built_site, "dispositifs/epide"), "comment-le-mobiliser")
    assert part.count("<ol>") == 1 and "<ul>" not in part
    items = re.findall(r"<li>(.*?)</li>", part, re.S)
    assert len(items) == 3
    assert items[1] == "Entretien de recrutement et visite médicale."
    assert not any(re.search(r"\s2\. ", item) for item in items)


def test_every_dispositif_lists_its_steps_one_per_item(built_site: Path, catalogue: Catalogue) -> None:
    for dispositif in catalogue.dispositifs.values():
        steps = dispositif.mobilisation_precisions
        part = section(html(built_site, f"dispositifs/{dispositif.id}"), "comment-le-mobiliser")
        if isinstance(steps, list):
            assert part.count("<li>") == len(steps), dispositif.id
        # No step is left inline in a paragraph or a list item (« … 2. … 3. … »).
        assert not re.search(r"[.;)] 2\. [A-ZÀ-Ý]", part), dispositif.id


def test_built_en_bref_has_row_headers_and_no_empty_header_row(built_site: Path) -> None:
    for page in ("dispositifs/epide", "fiches/ctl-valenciennes"):
        part = section(html(built_site, page), "en-bref")
        table = part[part.index("<table") : part.index("</table>")]
        assert "<thead>" not in table
        assert not re.search(r"<th[^>]*>\s*</th>", table)
        rows = re.findall(r"<tr>(.*?)</tr>", table, re.S)
        assert rows and all(row.startswith('<th scope="row">') for row in rows), page
    ctl = section(html(built_site, "fiches/ctl-valenciennes"), "en-bref")
    assert '<tr><th scope="row">Période</th><td>De septembre 2010 à décembre 2011</td></tr>' in ctl


def test_data_inclusion_export_writes_steps_as_one_numbered_text(
    write_yaml: Callable[[str, str], Path], data_dir: Path
) -> None:
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE + STEPS)
    catalogue = load_catalogue(data_dir, None, today=date(2026, 11, 30))
    assert service_record(catalogue.fiches["ma-fiche"])["mobilisation_precisions"] == (
        "1. Le jeune *prend* rendez-vous à la Mission locale.\n2. Entretien <b>de</b> diagnostic.\n"
        "3. Signature du contrat."
    )
