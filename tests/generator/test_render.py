"""Rendering of sheets to Markdown: banners, escaping, filters for the search index."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

from generator.catalogue import load_catalogue
from generator.render import Renderer, read_front
from tests.generator.conftest import VALID_FICHE


def render(data_dir: Path, tmp_path: Path) -> Path:
    catalogue = load_catalogue(data_dir, None, today=date(2026, 11, 29))
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
    assert "Exemple" not in text and "Action terminée" not in text


def test_render_ended_action_says_so(
    write_yaml: Callable[[str, str], Path], data_dir: Path, tmp_path: Path
) -> None:
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE + "active: false\nperiode: 2010–2011\n")
    text = (render(data_dir, tmp_path) / "fiches" / "ma-fiche.md").read_text(encoding="utf-8")
    assert '!!! info "Action terminée"\n    Cette action a eu lieu (2010–2011)' in text


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
    }
