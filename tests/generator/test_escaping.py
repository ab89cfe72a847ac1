"""Escaping by policy: values written as Markdown or HTML syntax show as text on every page of the guide.

The escaping functions are checked through Python-Markdown with the site's extensions, in every place the
templates put a value. Then a copy of data/ renames a fiche, a dispositif, a territory, a structure, a volet, a
tool and a chart (title and one bar) to names holding HTML, a table pipe, emphasis and double quotes; the built
site must show each name literally wherever it appears: no script element, no emphasis, no broken table row or
attribute, in the pages, the search index and the search page.
"""

from __future__ import annotations

import gzip
import json
import re
import shutil
from collections.abc import Callable
from html import escape
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import markdown as python_markdown  # type: ignore[import-untyped]
import pytest
import yaml

from generator.build import SITE_CONFIG, render_docs
from generator.catalogue import load_catalogue
from generator.escape import Markdown, code, finalize, markdown, text, url
from tests.conftest import ROOT
from tests.generator.conftest import build_guide, html, search, served
from tests.generator.test_search_index import compare_early_and_final

HOSTILE = '<script>x</script> a | b *gras* "guillemets"'
FICHE = f"Fiche {HOSTILE}"
DISPOSITIF = f"Dispositif {HOSTILE}"
TERRITOIRE = f"Territoire {HOSTILE}"
STRUCTURE = f"Structure {HOSTILE}"
VOLET = f"Volet {HOSTILE}"
OUTIL = f"Outil {HOSTILE}"
GRAPHIQUE = f"Graphique {HOSTILE}"
BARRE = f"Barre {HOSTILE}"
SOURCE = f"Source {HOSTILE}"

# Where the templates and the Python code put a value: `{}` is the value.
PLACES = {
    "paragraphe": "Avant {} après",
    "début de ligne": "{}",
    "titre": "# {}",
    "cellule": "| A | B |\n|---|---|\n| {} | fin |",
    "texte de lien": "[{}](https://example.org/)",
    "liste": "- {}",
    "admonition": '!!! info "Titre"\n    Texte ({}) suite',
    "HTML brut": '<p class="partaj-nature">{}</p>',
    "attribut": '<figure><img src="a.svg" alt="{}"></figure>',
}
TRICKY = [
    HOSTILE,
    "- tiret",
    "---",
    "1. numéro",
    "!!! note",
    "# dièse ##",
    "=",
    '{: onclick="alert(1)" }',
    'Titre {: onclick="alert(1)" }',
    "Titre {#ancre .classe}",
    "a \\*b\\* c \\. \\- \\(d\\) \\!",
    "`code`",
    "[lien](javascript:alert(1))",
    "![image](x.png)",
    "<https://example.org>",
    "&lt;déjà échappé&gt; &amp;",
    "x_y_z __gras__ _em_",
    "ligne\ncoupée | en deux",
    "    bloc de code",
    "<img src=x onerror=alert(1)>",
]


def to_html(source: str) -> str:
    """Markdown to HTML with the extensions of the site's MkDocs configuration."""
    config = yaml.safe_load((SITE_CONFIG / "mkdocs.yml").read_text(encoding="utf-8"))
    extensions, configs = [], {}
    for entry in config["markdown_extensions"]:
        name = entry if isinstance(entry, str) else next(iter(entry))
        extensions.append(name)
        if isinstance(entry, dict):
            configs[name] = entry[name] or {}
    return str(python_markdown.markdown(source, extensions=extensions, extension_configs=configs))


def shape(page: str) -> tuple[list[tuple[str, list[str]]], str]:
    """The elements (with their attribute names) of an HTML fragment, and its text and attribute values
    (but heading ids, slugs of the text), whitespace collapsed."""
    parsed = parse(page)
    values = [value for _, name, value in parsed.attributes if name != "id"]
    return parsed.elements, " ".join(" ".join([*parsed.texts, *values]).split())


@pytest.mark.parametrize("place", PLACES)
def test_escaping_text_shows_any_value_literally(place: str) -> None:
    neutral_tags, neutral_text = shape(to_html(Markdown(PLACES[place]).format("neutre")))
    for value in TRICKY:
        tags, shown = shape(to_html(Markdown(PLACES[place]).format(value)))
        assert tags == neutral_tags, value
        assert shown == " ".join(neutral_text.replace("neutre", value).split()), value


def test_escaping_text_is_not_applied_twice() -> None:
    once = text(HOSTILE)
    assert text(once) == once and finalize(once) == once
    assert Markdown("{} et {}").format(once, HOSTILE) == f"{once} et {once}"
    assert Markdown(", ").join([once, HOSTILE]) == f"{once}, {once}"
    assert Markdown("**") + HOSTILE == f"**{once}"
    assert finalize(HOSTILE) == once and finalize(3) == "3"


def test_escaping_markdown_keeps_formatting_but_not_html() -> None:
    page = to_html(markdown('Un **atelier** <b onclick="x">fort</b>\n\n- point\n\nFin {: onclick="x" }'))
    parsed = parse(page)
    tags = [tag for tag, _ in parsed.elements]
    assert "strong" in tags and "li" in tags and "b" not in tags
    assert not any(name == "onclick" for _, name, _ in parsed.attributes)
    assert '<b onclick="x">fort</b>' in "".join(parsed.texts)


def test_escaping_url_and_code_keep_their_place() -> None:
    target = 'https://example.org/a b(c)"<d>|e'
    page = to_html(Markdown("| A |\n|---|\n| [lien]({}) {} |").format(url(target), code("a|`b`")))
    parsed = parse(page)
    hrefs = [value for tag, name, value in parsed.attributes if tag == "a" and name == "href"]
    assert hrefs == ["https://example.org/a%20b%28c%29%22%3Cd%3E%7Ce"]
    assert parsed.tables == [[1, 1]]
    assert "a|`b`" in parsed.texts


# The renamed entries: fiche ctl-valenciennes (carried by c2rp, on valenciennes, linked to mlds).
FICHE_ID, DISPOSITIF_ID, TERRITOIRE_ID, STRUCTURE_ID, VOLET_ID = (
    "ctl-valenciennes",
    "mlds",
    "valenciennes",
    "c2rp",
    "prevention",
)

# Every page showing a renamed value, with the names it must show as text.
PAGES = {
    f"fiches/{FICHE_ID}": [FICHE, TERRITOIRE, STRUCTURE, DISPOSITIF, VOLET, SOURCE],
    f"dispositifs/{DISPOSITIF_ID}": [DISPOSITIF, FICHE, VOLET],
    "fiches": [FICHE, TERRITOIRE],
    "dispositifs": [DISPOSITIF],
    "territoires": [TERRITOIRE],
    f"territoires/{TERRITOIRE_ID}": [TERRITOIRE, FICHE, DISPOSITIF],
    "thematiques/remobilisation": [FICHE, TERRITOIRE],
    "publics/jeunes": [FICHE, TERRITOIRE, DISPOSITIF],
    "volets": [VOLET],
    f"volets/{VOLET_ID}": [VOLET, FICHE, DISPOSITIF],
    "manques": [TERRITOIRE],
    "chiffres": [GRAPHIQUE, BARRE],
    "boite-a-outils": [OUTIL],
}
# Pages whose <title> is the renamed value.
TITLES = {
    f"fiches/{FICHE_ID}": FICHE,
    f"dispositifs/{DISPOSITIF_ID}": DISPOSITIF,
    f"territoires/{TERRITOIRE_ID}": TERRITOIRE,
    f"volets/{VOLET_ID}": VOLET,
}


def _edit(path: Path, change: Callable[[Any], None]) -> None:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _set(key: str, value: str) -> Callable[[Any], None]:
    return lambda data: data.__setitem__(key, value)


def _rename_in(items: list[dict[str, Any]], item_id: str, key: str, value: str) -> None:
    next(item for item in items if item["id"] == item_id)[key] = value


def _rename_chart(data: dict[str, Any]) -> None:
    chart = next(g for g in data["graphiques"] if g["id"] == "ages")
    chart["titre"] = GRAPHIQUE
    chart["valeurs"][0]["libelle"] = BARRE


def _rename_fiche(data: dict[str, Any]) -> None:
    data["nom"] = FICHE
    data["sources"][0]["titre"] = SOURCE


@pytest.fixture(scope="module")
def hostile_data(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of data/ whose renamed entries carry Markdown and HTML syntax."""
    data = tmp_path_factory.mktemp("hostile") / "data"
    shutil.copytree(ROOT / "data", data)
    _edit(data / "fiches" / f"{FICHE_ID}.yaml", _rename_fiche)
    _edit(data / "dispositifs" / f"{DISPOSITIF_ID}.yaml", _set("nom", DISPOSITIF))
    _edit(data / "structures" / f"{STRUCTURE_ID}.yaml", _set("nom", STRUCTURE))
    _edit(data / "outils" / "fiche-de-suivi.yaml", _set("nom", OUTIL))
    _edit(data / "territoires.yaml", lambda d: _rename_in(d["territoires"], TERRITOIRE_ID, "nom", TERRITOIRE))
    _edit(data / "nomenclatures.yaml", lambda d: _rename_in(d["volets"], VOLET_ID, "libelle", VOLET))
    _edit(data / "chiffres.yaml", _rename_chart)
    return data


@pytest.fixture(scope="module")
def hostile_site(hostile_data: Path) -> Path:
    """The guide built from `hostile_data`."""
    return build_guide(hostile_data, hostile_data.parent / "site")


@pytest.fixture(scope="module")
def hostile_docs(hostile_data: Path) -> Path:
    """The Markdown pages rendered from `hostile_data`, before MkDocs."""
    docs = hostile_data.parent / "docs"
    render_docs(load_catalogue(hostile_data, ROOT / "content"), ROOT / "content", docs, parallel=False)
    return docs


def test_escaping_early_index_document_matches_the_finished_pages(
    hostile_data: Path, hostile_docs: Path
) -> None:
    # The index gets each page before MkDocs lays it in the theme: names with markup must read the same there.
    pages, with_filters = compare_early_and_final(hostile_data, hostile_docs, hostile_data.parent)
    assert pages > 40
    assert with_filters > 10


class _Page(HTMLParser):
    """What a browser would make of a page: text runs, script bodies, emphasis, table rows, attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.texts: list[str] = []
        self.scripts: list[str] = []
        self.emphasis: list[str] = []
        self.tables: list[list[int]] = []
        self.attributes: list[tuple[str, str, str]] = []
        self.elements: list[tuple[str, list[str]]] = []
        self.title = ""
        self._open: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.attributes += [(tag, name, value or "") for name, value in attrs]
        self.elements.append((tag, [name for name, _ in attrs]))
        if tag == "table":
            self.tables.append([])
        elif tag == "tr" and self.tables:
            self.tables[-1].append(0)
        elif tag in ("td", "th") and self.tables and self.tables[-1]:
            self.tables[-1][-1] += 1
        if tag not in ("img", "meta", "link", "br", "input", "hr"):
            self._open.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in self._open:
            while self._open.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        current = self._open[-1] if self._open else ""
        if current == "script":
            self.scripts.append(data)
        elif current in ("em", "strong"):
            self.emphasis.append(data)
        elif current == "title":
            self.title += data
        self.texts.append(data)


def parse(page: str) -> _Page:
    parsed = _Page()
    parsed.feed(page)
    parsed.close()
    return parsed


def test_escaping_catalogue_names_are_text_on_every_page(hostile_site: Path) -> None:
    for relative, names in PAGES.items():
        page = parse(html(hostile_site, relative))
        # Text runs are joined with a separator: a name cut by a tag (emphasis, a new cell) is not found.
        joined = "\0".join(page.texts)
        missing = [name for name in names if name not in joined]
        assert missing == [], relative
        assert "x" not in page.scripts, relative
        assert "gras" not in page.emphasis, relative


def markdown_tables(page: Path) -> list[list[int]]:
    """The Markdown tables of a page: for each, the number of cell separators (`|`) of each row."""
    tables: list[list[int]] = [[]]
    for line in page.read_text(encoding="utf-8").split("\n"):
        if line.startswith("|"):
            tables[-1].append(len(re.findall(r"(?<!\\)\|", line)))
        elif tables[-1]:
            tables.append([])
    return [table for table in tables if table]


def test_escaping_tables_keep_their_columns(hostile_docs: Path, hostile_site: Path) -> None:
    checked = 0
    for relative in PAGES:
        # In the Markdown, as Python-Markdown drops the cells a row has too many: count the separators.
        page = hostile_docs / f"{relative}.md"
        for table in markdown_tables(page if page.is_file() else hostile_docs / relative / "index.md"):
            assert set(table) == {table[0]}, relative
            checked += 1
        # In the built page: every row has the cells of the header.
        for table in parse(html(hostile_site, relative)).tables:
            assert set(table) == {table[0]}, relative
    assert checked >= len(PAGES) - 1


def test_escaping_page_titles_and_attributes_keep_the_names(hostile_site: Path) -> None:
    for relative, name in TITLES.items():
        assert parse(html(hostile_site, relative)).title.startswith(f"{name} - "), relative
    chart = parse(html(hostile_site, "chiffres"))
    alts = [value for tag, attr, value in chart.attributes if tag == "img" and attr == "alt"]
    assert f"{GRAPHIQUE} : graphique en barres, les valeurs sont dans le tableau qui suit" in alts
    for relative in PAGES:
        # A double quote that closed an attribute early would leave `guillemets"` as an attribute name.
        names = {attr for _, attr, _ in parse(html(hostile_site, relative)).attributes}
        assert not any("guillemets" in attr for attr in names), relative


def test_escaping_no_page_has_the_injected_element(hostile_site: Path) -> None:
    pages = [p for p in hostile_site.rglob("*.html") if "pagefind" not in p.parts]
    for path in pages:
        page = parse(path.read_text(encoding="utf-8"))
        assert "x" not in page.scripts, path
        assert "gras" not in page.emphasis, path


def _fragments(site: Path) -> dict[str, dict[str, Any]]:
    """The Pagefind records of the search index, by URL."""
    records = {}
    for path in (site / "pagefind" / "fragment").glob("*.pf_fragment"):
        raw = gzip.decompress(path.read_bytes())
        record = json.loads(raw.removeprefix(b"pagefind_dcd"))
        records[record["url"]] = record
    return records


def test_escaping_search_index_holds_the_names(hostile_site: Path) -> None:
    records = _fragments(hostile_site)
    fiche = records[f"/fiches/{FICHE_ID}/"]
    assert fiche["meta"]["title"] == FICHE
    # Pagefind's interface shows filter values as HTML: the index holds them escaped, once.
    assert fiche["filters"]["territoire"] == [escape(TERRITOIRE)]
    assert escape(VOLET) in fiche["filters"]["volet"]
    for name in (STRUCTURE, DISPOSITIF, SOURCE):
        assert name in fiche["content"]
    assert records[f"/dispositifs/{DISPOSITIF_ID}/"]["meta"]["title"] == DISPOSITIF
    territoires = {t for record in records.values() for t in record["filters"].get("territoire", [])}
    assert escape(TERRITOIRE) in territoires


def test_escaping_search_page_shows_the_names(page: Any, hostile_site: Path) -> None:
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    with served(hostile_site) as site_url:
        assert search(page, site_url, "Fiche guillemets") >= 1
        link = page.locator(".partaj-recherche__lien").first
        assert link.inner_text() == FICHE
        option = page.locator("#recherche-filtre-territoire option").filter(has_text=TERRITOIRE)
        assert option.text_content() == TERRITOIRE
        assert page.locator(".partaj-recherche script").count() == 0
        link.click()
        page.wait_for_url(f"**/fiches/{FICHE_ID}/")
        assert page.locator("article h1").inner_text() == FICHE
        assert page.locator("article script").count() == 0
    assert errors == []
