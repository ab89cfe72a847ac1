"""Pagefind index built while MkDocs renders.

Each page whose Markdown MkDocs has converted is handed to `pagefind --service` (another process), so the second
core indexes page N while MkDocs converts page N+1; the bundle is written while MkDocs fills the theme's
templates. The service protocol is base64 JSON messages separated by commas. (The `pagefind` Python package
speaks it too, but polls for every answer with a 0.1 s sleep: 100 s for 1 000 pages.)
"""

from __future__ import annotations

import base64
import html
import io
import json
import re
import subprocess
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Any

from pagefind_bin import get_executable

from generator.catalogue import Catalogue
from generator.errors import BuildError
from generator.periods import Etat, etat_offre
from generator.schema import Offre
from generator.synonyms import Synonyms

# Search tiers (the page's `rang` meta): dispositifs and current or planned local actions, then ended local
# actions, then every other page. site_config/assets/recherche.js weights Pagefind's scores by them.
RANG_OFFRE, RANG_PASSEE, RANG_PAGE = 0, 1, 2
# The weight of a sheet's own keywords: above body text (1), below its title (7).
POIDS_MOTS_CLES = 4
_BODY = re.compile(r"<div data-pagefind-body>(.*)", re.S)
_TAG = re.compile(r"<(script|style)\b.*?</\1>|<[^>]+>", re.S)
# A sheet's last sections name other sheets: their words would bring those sheets' synonyms.
_RELATED = re.compile(r'<h2 id="(?:dispositifs-lies|actions-locales[^"]*|sources)"')


class PagefindService:
    """A Pagefind indexing service fed from MkDocs' thread; answers are read by a thread of their own."""

    def __init__(self, language: str = "fr") -> None:
        self.proc = subprocess.Popen(
            [str(get_executable()), "--service"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
        )
        self.answers: dict[int, dict[str, Any]] = {}
        self.arrived = threading.Condition()
        self.last_id = 0
        self.reader = threading.Thread(target=self._read, name="pagefind", daemon=True)
        self.reader.start()
        created = self.wait(self.send({"type": "NewIndex", "config": {"force_language": language}}))
        self.index_id = int(created["index_id"])
        self.added: list[int] = []

    def send(self, payload: dict[str, Any]) -> int:
        """Write one request; returns its message id."""
        assert self.proc.stdin is not None
        self.last_id += 1
        message = {"message_id": self.last_id, "payload": payload}
        try:
            self.proc.stdin.write(base64.b64encode(json.dumps(message).encode("utf-8")) + b",")
            self.proc.stdin.flush()
        except BrokenPipeError as exc:
            raise BuildError("Pagefind s'est arrêté pendant l'indexation") from exc
        return self.last_id

    def _read(self) -> None:
        stdout = self.proc.stdout
        assert isinstance(stdout, io.BufferedReader)
        pending = b""
        while chunk := stdout.read1(1 << 16):
            *messages, pending = (pending + chunk).split(b",")
            with self.arrived:
                for raw in messages:
                    answer = json.loads(base64.b64decode(raw))
                    self.answers[int(answer.get("message_id") or 0)] = answer["payload"]
                self.arrived.notify_all()
        with self.arrived:
            self.arrived.notify_all()

    def wait(self, message_id: int) -> dict[str, Any]:
        """Block until the answer to `message_id` arrives; a Pagefind error fails the build."""
        with self.arrived:
            while message_id not in self.answers:
                if not self.reader.is_alive():
                    raise BuildError("Pagefind s'est arrêté sans répondre")
                self.arrived.wait(timeout=1)
            answer = self.answers.pop(message_id)
        if answer.get("type") == "Error":
            raise BuildError(f"Pagefind : {answer.get('message')}")
        return answer

    def add(self, html: str, url: str) -> None:
        """Queue one page without waiting for it to be indexed."""
        payload = {
            "type": "AddFile",
            "index_id": self.index_id,
            "url": url,
            "file_path": None,
            "file_contents": html,
        }
        self.added.append(self.send(payload))

    def write(self, bundle: Path) -> None:
        """Wait for every page, then write the search bundle (index and UI scripts) into `bundle`.

        The bundle is asked for in memory (`GetFiles`) and written here: the service's own `WriteFiles` may
        answer before its last files reach the disk (an empty `pagefind-entry.json` about once in a dozen
        builds), and the service is stopped right after."""
        for message_id in self.added:
            self.wait(message_id)
        answer = self.wait(self.send({"type": "GetFiles", "index_id": self.index_id}))
        files: dict[Path, str] = {}
        for item in answer["files"]:
            relative = PurePosixPath(item["path"])
            if relative.is_absolute() or ".." in relative.parts:
                raise BuildError(f"Pagefind : fichier hors du dossier de l'index ({relative})")
            files[bundle / relative] = item["content"]
        try:
            for folder in sorted({path.parent for path in files}):
                folder.mkdir(parents=True, exist_ok=True)
            for path, content in files.items():
                path.write_bytes(base64.b64decode(content))
        except OSError as exc:
            raise BuildError(
                f"Pagefind : l'index ne peut pas être écrit dans {bundle} ({exc.strerror})"
            ) from exc

    def close(self) -> None:
        """Stop the service."""
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.reader.join(timeout=10)


@dataclass(frozen=True)
class SheetTerms:
    """What the index holds about a sheet beside its page: its keywords, its tier and its summary."""

    mots_cles: tuple[str, ...]
    rang: int
    resume: str


def sheet_terms(catalogue: Catalogue) -> dict[str, SheetTerms]:
    """The search terms of every fiche and dispositif, by the URL of its page."""

    def terms(offre: Offre) -> SheetTerms:
        rang = RANG_PASSEE if etat_offre(offre, catalogue.today) is Etat.TERMINEE else RANG_OFFRE
        return SheetTerms(tuple(offre.mots_cles), rang, _first_sentence(offre.description))

    pages = {f"/fiches/{f.id}/": terms(f) for f in catalogue.fiches.values()}
    pages.update({f"/dispositifs/{d.id}/": terms(d) for d in catalogue.dispositifs.values()})
    return pages


def _first_sentence(text: str, longest: int = 240) -> str:
    """The summary shown under a result: the description's first sentence, cut at a word if too long."""
    flat = " ".join(text.replace("**", "").split())
    end = flat.find(". ")
    if 0 < end < longest:
        return flat[: end + 1]
    return flat if len(flat) <= longest else flat[:longest].rsplit(" ", 1)[0] + "…"


def indexed_page(content: str, meta: Mapping[str, Any], title: str) -> str:
    """The indexed part of a page as `site_config/overrides/main.html` lays it around MkDocs' content (hidden
    search filters, the title when the Markdown has none, the update date), built as soon as the Markdown is
    converted instead of read back from the finished page (`tests/generator/test_search_index.py` compares the
    two). Like the template, it writes the title and filters as the renderer escaped them in the front matter."""
    parts = ["<html><head><title>", title, "</title></head><body><div data-pagefind-body>"]
    filtres = meta.get("filtres")
    if filtres:
        parts.append("<div hidden data-pagefind-ignore>")
        for key, values in filtres.items():
            parts.extend(f'<span data-pagefind-filter="{key}">{value}</span>' for value in values)
        parts.append("</div>")
    if "<h1" not in content:
        parts.append(f"<h1>{title}</h1>")
    parts.append(content)
    date_maj = meta.get("date_maj")
    if date_maj:
        shown = date_maj.strftime("%d/%m/%Y") if hasattr(date_maj, "strftime") else date_maj
        parts.append(f'<p class="partaj-maj">Mis à jour le <time datetime="{date_maj}">{shown}</time></p>')
    parts.append("</div></body></html>")
    return "".join(parts)


def page_text(output: str) -> str:
    """The text of a page's indexed part (its search filters included), for the synonym list."""
    body = _BODY.search(output)
    indexed = body.group(1) if body else output
    related = _RELATED.search(indexed)
    return html.unescape(_TAG.sub(" ", indexed[: related.start()] if related else indexed))


def with_search_terms(
    output: str, terms: SheetTerms | None, synonyms: Synonyms, description: str = ""
) -> str:
    """The page as Pagefind indexes it: plus its tier, summary (else `description`) and keywords, and the
    synonyms of its words.

    Only the index gets them (the page served is `output` itself), at the end of the indexed part so that the
    excerpts Pagefind cuts keep to the page's own text.
    """
    mots_cles = terms.mots_cles if terms else ()
    expanded = synonyms.expand(page_text(output) + " " + " ; ".join(mots_cles))
    resume = terms.resume if terms else description
    parts = [
        f'<div data-pagefind-ignore><span data-pagefind-meta="rang:{terms.rang if terms else RANG_PAGE}">'
    ]
    if resume:
        parts.append(f'</span><span data-pagefind-meta="resume">{html.escape(resume)}')
    parts.append("</span></div>")
    if mots_cles:
        keywords = html.escape(" ; ".join(mots_cles))
        parts.append(f'<p data-pagefind-weight="{POIDS_MOTS_CLES}">{keywords}</p>')
    if expanded:
        parts.append(f"<p>{html.escape(' ; '.join(expanded))}</p>")
    block = "".join(parts)
    at = output.find('<p class="partaj-maj">')
    if at < 0:
        at = output.index("<div data-pagefind-body>") + len("<div data-pagefind-body>")
    return output[:at] + block + output[at:]
