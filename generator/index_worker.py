"""Feeding Pagefind from a process of its own, so that MkDocs' core only renders pages.

MkDocs runs in the main process on one core; each page it converts is handed through a pipe to this worker (a
forked process), which adds the page's search terms (`search_index.with_search_terms`: tier, summary, keywords,
synonyms) and sends it to the Pagefind service. On two cores, the synonym expansion and the JSON encoding of every
page leave MkDocs' critical path (about 6 % of a build of 2,000 sheets, measured by `bench/guide_build.py`).
"""

from __future__ import annotations

import contextlib
import multiprocessing
import traceback
from multiprocessing.connection import Connection
from pathlib import Path
from typing import Any

from mkdocs.plugins import BasePlugin

from generator.catalogue import Catalogue
from generator.errors import BuildError
from generator.search_index import PagefindService, indexed_page, sheet_terms, with_search_terms
from generator.synonyms import Synonyms


def _serve(pages: Connection, answers: Connection, catalogue: Catalogue | None, language: str) -> None:
    """The worker: index every page received, then write the bundle; answer None or the error's message."""
    service: PagefindService | None = None
    error: str | None = None
    try:
        service = PagefindService(language)
        sheets = sheet_terms(catalogue) if catalogue else {}
        synonyms = Synonyms.of(catalogue.synonymes if catalogue else None)
        while True:
            kind, *args = pages.recv()
            if kind == "page":
                output, url, description = args
                service.add(with_search_terms(output, sheets.get(url), synonyms, description), url)
            elif kind == "write":
                service.write(Path(args[0]))
                break
            else:
                break
    except BuildError as exc:
        error = str(exc)
    except Exception:  # anything else is reported to the build, which fails with it
        error = "index de recherche : " + traceback.format_exc(limit=3)
    finally:
        if service is not None:
            service.close()
        answers.send(error)


class IndexWorker:
    """A forked process that indexes the pages MkDocs renders; `finish` writes the bundle or raises."""

    def __init__(self, catalogue: Catalogue | None, language: str = "fr") -> None:
        context = multiprocessing.get_context("fork")
        receive_pages, self.pages = context.Pipe(duplex=False)
        self.answers, send_answer = context.Pipe(duplex=False)
        self.process = context.Process(
            target=_serve,
            args=(receive_pages, send_answer, catalogue, language),
            name="partaj-index",
            daemon=True,
        )
        self.process.start()
        receive_pages.close()
        send_answer.close()
        self.finished = False

    def add(self, output: str, url: str, description: str) -> None:
        try:
            self.pages.send(("page", output, url, description))
        except (BrokenPipeError, OSError) as exc:
            raise BuildError(self._error() or "l'indexation de la recherche s'est arrêtée") from exc

    def _error(self) -> str | None:
        if self.answers.poll(5):
            answer: str | None = self.answers.recv()
            return answer
        return None

    def start_writing(self, bundle: Path) -> None:
        """Ask for the search bundle in `bundle` once every page is indexed (the caller works meanwhile)."""
        self.finished = True
        with contextlib.suppress(BrokenPipeError, OSError):
            self.pages.send(("write", str(bundle)))

    def finish(self, bundle: Path | None = None) -> None:
        """Wait for the bundle (asked by `start_writing`, or now into `bundle`); BuildError on any failure."""
        if not self.finished:
            assert bundle is not None
            self.start_writing(bundle)
        error = self.answers.recv() if self.answers.poll(600) else "l'indexation de la recherche n'a pas fini"
        self.process.join(timeout=30)
        if error:
            raise BuildError(error)

    def close(self) -> None:
        """Stop the worker (after `finish`, or when the build failed before it)."""
        if not self.finished:
            with contextlib.suppress(BrokenPipeError, OSError):
                self.pages.send(("stop",))
        self.pages.close()
        self.process.join(timeout=30)
        if self.process.is_alive():
            self.process.kill()
            self.process.join()


class WorkerPlugin(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    """MkDocs plugin handing each page that opts into search to the index worker, as soon as its Markdown is
    converted; once every page is converted (`on_env`), Pagefind writes its bundle while MkDocs fills the theme's
    templates — the longest part of MkDocs after Markdown — instead of after MkDocs."""

    def __init__(self, worker: IndexWorker) -> None:
        self.worker = worker

    def on_page_content(self, html: str, page: Any, config: Any, files: Any) -> str:
        if page.meta.get("recherche", True):
            document = indexed_page(html, page.meta, page.title or config["site_name"])
            self.worker.add(document, "/" + page.url, str(page.meta.get("description") or ""))
        return html

    def on_env(self, env: Any, config: Any, files: Any) -> Any:
        self.worker.start_writing(Path(config["site_dir"]) / "pagefind")
        return env
