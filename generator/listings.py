"""Listings: their front matter, and long ones over numbered pages. With the catalogue fed by data·inclusion a
territory lists thousands of actions, and one page for all would weigh a megabyte on a phone."""

from __future__ import annotations

import posixpath
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from generator.schema import Fiche, Offre

# Local actions per listing page; the next ones go to `<listing>/page/2/`, …
PAR_PAGE = 100


@dataclass(frozen=True)
class Page:
    """One page of a listing: where its Markdown goes, its actions, and its navigation (empty when the listing
    fits on one page): number, total, first and last rank, links by page number, numbers shown."""

    path: str
    fiches: list[Fiche]
    pager: dict[str, Any] = field(default_factory=dict)


def paginate(relative: str, fiches: list[Fiche]) -> list[Page]:
    """The pages of the listing written at `relative`: the first at `relative`, the next at
    `fiches/page/2.md` for `fiches/index.md`, `territoires/lille/page/2.md` for `territoires/lille.md`."""
    chunks = [fiches[start : start + PAR_PAGE] for start in range(0, len(fiches), PAR_PAGE)] or [[]]
    if len(chunks) == 1:
        return [Page(relative, chunks[0])]
    folder = relative.removesuffix("index.md") if relative.endswith("index.md") else relative[:-3] + "/"
    paths = [relative] + [f"{folder}page/{n}.md" for n in range(2, len(chunks) + 1)]
    pages = []
    for number, (path, chunk) in enumerate(zip(paths, chunks, strict=True), 1):
        here = posixpath.dirname(path)
        shown = shown_pages(number, len(chunks))
        linked = {n for n in (*shown, number - 1, number + 1) if n and 1 <= n <= len(chunks)}
        pager = {
            "numero": number,
            "total": len(chunks),
            "debut": (number - 1) * PAR_PAGE + 1,
            "fin": (number - 1) * PAR_PAGE + len(chunk),
            "liens": {n: posixpath.relpath(paths[n - 1], here) for n in linked},
            "montres": shown,
        }
        pages.append(Page(path, chunk, pager))
    return pages


def shown_pages(current: int, total: int) -> list[int | None]:
    """The page numbers a page's navigation shows: the first, the last and two either side of the current one;
    None where numbers are left out (« … »)."""
    wanted = sorted({1, total, *range(max(1, current - 2), min(total, current + 2) + 1)})
    shown: list[int | None] = []
    previous = 0
    for number in wanted:
        if number - previous > 1:
            shown.append(None)
        shown.append(number)
        previous = number
    return shown


def listing_front(title: str, items: Iterable[Offre]) -> dict[str, Any]:
    """Front matter of a generated listing: out of the search index, dated by its most recent sheet."""
    front: dict[str, Any] = {"title": title, "recherche": False}
    latest = max((item.date_maj for item in items), default=None)
    if latest is not None:
        front["date_maj"] = latest
    return front
