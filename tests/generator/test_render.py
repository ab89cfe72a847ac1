"""Rendering of sheets to Markdown: banners, escaping, filters for the search index."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from generator.catalogue import load_catalogue
from generator.content import split_front_matter
from generator.coverage import COUVERTURE
from generator.escape import html as html_text
from generator.front_matter import front_matter
from generator.render import Renderer
from tests.generator.conftest import VALID_FICHE


def read_front(path: Path) -> dict[str, Any]:
    """Front matter of a rendered page."""
    front, _ = split_front_matter(path.read_text(encoding="utf-8"))
    loaded = yaml.safe_load(front or "") or {}
    assert isinstance(loaded, dict)
    return loaded


def render(data_dir: Path, tmp_path: Path) -> Path:
    catalogue = load_catalogue(data_dir, None, today=date(2026, 11, 30))
    assert catalogue.errors == []
    docs = tmp_path / "docs"
    Renderer(catalogue, docs).render_sheets(0, 1)
    return docs


def test_render_example_sheet_shows_banner(
    write_yaml: Callable[[str, str], Path], data_dir: Path, tmp_path: Path
) -> None:
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE + "exemple: true\n")
    text = (render(data_dir, tmp_path) / "fiches" / "ma-fiche.md").read_text(encoding="utf-8")
    assert '!!! warning "Exemple"\n    Cette fiche est une **illustration**' in text


def test_render_real_sheet_has_no_banner(
    write_yaml: Callable[[str, str], Path], data_dir: Path, tmp_path: Path
) -> None:
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE)
    text = (render(data_dir, tmp_path) / "fiches" / "ma-fiche.md").read_text(encoding="utf-8")
    assert "# Atelier de remobilisation\n" in text
    assert "Un atelier collectif pour reprendre confiance et construire un projet." in text
    assert "contact@example.org" in text
    assert "!!! warning" not in text and "!!! info" not in text
    assert "Exemple" not in text and "Action terminée" not in text


def test_render_coverage_counts_only_current_local_actions(
    write_yaml: Callable[[str, str], Path], data_dir: Path, tmp_path: Path
) -> None:
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE)
    ended = VALID_FICHE.replace("id: ma-fiche", "id: finie").replace("[valenciennes]", "[arras]")
    write_yaml("fiches/finie.yaml", ended + "periode: {debut: 2010-09-01, fin: 2011-12-31}\n")
    example = VALID_FICHE.replace("id: ma-fiche", "id: exemple").replace("[valenciennes]", "[arras]")
    write_yaml("fiches/exemple.yaml", example + "exemple: true\n")
    catalogue = load_catalogue(data_dir, None, today=date(2026, 11, 30))
    assert catalogue.errors == []
    docs = tmp_path / "docs"
    Renderer(catalogue, docs).render_coverage()
    text = (docs / "manques.md").read_text(encoding="utf-8")

    rows = {
        m.group(1): re.findall(r"<td(?: class=\"partaj-manque\")?>([^<]*)</td>", m.group(2))
        for m in re.finditer(
            r'<tr><th scope="row"><a href="../territoires/([a-z-]+)/">.*?</a></th>(.*?)</tr>', text
        )
    }
    columns = len(COUVERTURE)
    assert set(rows) == set(catalogue.territoires)
    expected = ["aucune"] * columns
    expected[COUVERTURE.index("remobilisation")] = "1"
    assert rows["valenciennes"] == [*expected, "1"]
    assert rows["arras"] == ["aucune"] * columns + ["0"]
    empty = len(catalogue.territoires) * columns - 1
    assert f"{empty} case(s) vide(s) sur {len(catalogue.territoires) * columns}." in text


def test_render_ended_action_says_so(
    write_yaml: Callable[[str, str], Path], data_dir: Path, tmp_path: Path
) -> None:
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE + "active: false\n")
    text = (render(data_dir, tmp_path) / "fiches" / "ma-fiche.md").read_text(encoding="utf-8")
    assert '!!! info "Action terminée"\n    Action terminée. Elle reste décrite ici pour mémoire' in text


def test_render_escapes_html_in_text(
    write_yaml: Callable[[str, str], Path], data_dir: Path, tmp_path: Path
) -> None:
    write_yaml(
        "fiches/ma-fiche.yaml", VALID_FICHE.replace("Un atelier collectif", "Un <script>x</script> atelier")
    )
    text = (render(data_dir, tmp_path) / "fiches" / "ma-fiche.md").read_text(encoding="utf-8")
    assert "<script>" not in text and "&lt;script&gt;x&lt;/script&gt;" in text


def test_render_front_matter_carries_search_filters(
    write_yaml: Callable[[str, str], Path], data_dir: Path, tmp_path: Path
) -> None:
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE)
    front = read_front(render(data_dir, tmp_path) / "fiches" / "ma-fiche.md")
    assert front["date_maj"] == date(2026, 11, 1)
    assert front["filtres"] == {
        "nature": ["Action locale"],
        "territoire": ["Bassin d'emploi de Valenciennes"],
        "thématique": ["Remobilisation"],
        "public": ["Jeunes"],
        "volet": ["Réparation"],
        "état": ["En cours"],
    }


@pytest.mark.parametrize(
    "value",
    [
        'Fiche <script>x</script> a | b *gras* "guillemets" \\ fin',
        "retour\u0085à la ligne, séparateurs\u2028de\u2029lignes, contrôle\x80, BOM\ufeff, tab\tulation",
        "a: b, c # pas un commentaire",
        "- pas une liste",
        "'apostrophes' et « guillemets » 😀",
        "",
    ],
)
def test_front_matter_reads_back_as_written(value: str) -> None:
    # The generated front matter is read by MkDocs with PyYAML: every value must come back as written (strings
    # escaped for HTML), dates as dates, nested filters as lists.
    front = {
        "title": value,
        "recherche": False,
        "date_maj": date(2026, 11, 1),
        "filtres": {"territoire": [value]},
    }
    text = str(front_matter(front))
    assert yaml.safe_load(text) == {
        "title": html_text(value),
        "recherche": False,
        "date_maj": date(2026, 11, 1),
        "filtres": {"territoire": [html_text(value)]},
    }
    assert text.count("\n") == 4
