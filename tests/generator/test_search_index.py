"""What Pagefind indexes is built as soon as MkDocs has converted a page's Markdown (`search_index.indexed_page`),
not read back from the finished page: on every page of the real guide, that early document must hold exactly the
indexed part the finished page holds — same text, same search filters, same title."""

from __future__ import annotations

import re
from html import unescape
from pathlib import Path
from typing import Any

from mkdocs.plugins import BasePlugin

from generator.build import render_docs, run_mkdocs, write_mkdocs_config
from generator.catalogue import load_catalogue
from generator.search_index import indexed_page
from tests.conftest import ROOT

_BODY = re.compile(r"<div data-pagefind-body>(.*)</div>", re.S)
_FILTER = re.compile(r'<span data-pagefind-filter="([^"]+)">([^<]*)</span>')
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)


class _Capture(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    def __init__(self) -> None:
        self.early: dict[str, str] = {}
        self.final: dict[str, str] = {}

    def on_page_content(self, html: str, page: Any, config: Any, files: Any) -> str:
        if page.meta.get("recherche", True):
            self.early[page.url] = indexed_page(html, page.meta, page.title or config["site_name"])
        return html

    def on_post_page(self, output: str, page: Any, config: Any) -> str:
        if "<div data-pagefind-body>" in output:
            self.final[page.url] = output
        return output


def _indexed(document: str) -> tuple[str, list[tuple[str, str]], str]:
    """The words of the indexed part, its filters and its first title, as Pagefind reads them."""
    body = document[document.index("<div data-pagefind-body>") :]
    # The finished page goes on after the indexed part: the last closing div of the theme's article ends it.
    article_end = body.find("</article>")
    body = body[:article_end] if article_end >= 0 else body
    filters = [(key, unescape(value)) for key, value in _FILTER.findall(body)]
    title = re.search(r"<h1[^>]*>(.*?)</h1>", body, re.S)
    words = " ".join(unescape(_TAG.sub(" ", body)).split())
    return words, filters, unescape(_TAG.sub("", title.group(1))).strip() if title else ""


def compare_early_and_final(data: Path, docs: Path, workdir: Path) -> tuple[int, int]:
    """Build the guide of `data` through MkDocs and assert, page by page, that the early index document holds
    the finished page's indexed part; returns how many pages were indexed and how many had search filters."""
    catalogue = load_catalogue(data, ROOT / "content")
    if not docs.exists():
        render_docs(catalogue, ROOT / "content", docs, parallel=False)
    capture = _Capture()
    run_mkdocs(write_mkdocs_config(docs, workdir / "site-index", workdir), capture)
    assert set(capture.early) == set(capture.final)
    with_filters = 0
    for url, early in capture.early.items():
        words, filters, title = _indexed(early)
        final_words, final_filters, final_title = _indexed(capture.final[url])
        assert (url, words) == (url, final_words)
        assert (url, filters) == (url, final_filters)
        assert (url, title) == (url, final_title)
        with_filters += bool(filters)
    # A page that opts out of search (a listing) is in neither.
    assert "fiches/" not in capture.early
    return len(capture.early), with_filters


def test_the_early_index_document_is_the_finished_pages_indexed_part(tmp_path: Path) -> None:
    pages, with_filters = compare_early_and_final(ROOT / "data", tmp_path / "docs", tmp_path)
    assert pages > 40
    assert with_filters > 10
