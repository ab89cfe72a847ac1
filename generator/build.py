"""Build the static guide: render Markdown, run MkDocs-Material, index with Pagefind, write the exports.

The machine has two cores and MkDocs uses one: the rest of the work is arranged around it. The sheets are
rendered by two processes, and while MkDocs renders, the other core runs the Pagefind service (fed each page as
soon as its Markdown is converted, writing its bundle while MkDocs fills the templates), writes the catalogue
exports and draws the charts.
"""

from __future__ import annotations

import logging
import multiprocessing
import shutil
import tempfile
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path
from typing import Any

import yaml
from mkdocs.plugins import BasePlugin

from generator.catalogue import Catalogue, require_valid
from generator.charts import chiffres_markdown, draw_all
from generator.errors import BuildError
from generator.exports import write_exports
from generator.index_worker import IndexWorker, WorkerPlugin
from generator.paths import SITE_CONFIG
from generator.quelle_ctl import write_finder
from generator.reference import field_reference, outils_table
from generator.render import Renderer
from generator.trouver_page import write_questionnaire

# Set just before forking so that the child process shares the renderer instead of unpickling it.
_RENDERER: Renderer | None = None


def _fork_pool() -> ProcessPoolExecutor:
    return ProcessPoolExecutor(max_workers=1, mp_context=multiprocessing.get_context("fork"))


def _render_share(first: int, parts: int, count: int) -> None:
    assert _RENDERER is not None
    _RENDERER.render_sheets(first, parts, count)


def render_docs(catalogue: Catalogue, content_dir: Path, docs: Path, parallel: bool = True) -> None:
    """Write every page of the guide as Markdown under `docs`, with the theme's extra assets.

    In parallel, a forked process renders two sheets in three while this one renders the other pages (listings,
    coverage, finder, questionnaire: about a third of the work at any size, as they list every sheet) and the
    third sheet."""
    global _RENDERER
    extras = {
        "outils": outils_table(catalogue),
        "reference-champs": field_reference(catalogue),
        "chiffres": chiffres_markdown(catalogue.chiffres) if catalogue.chiffres else "",
    }
    renderer = Renderer(catalogue, docs)

    def other_pages() -> None:
        renderer.render_pages(content_dir, extras)
        write_finder(renderer, docs)
        write_questionnaire(renderer, docs)

    if parallel:
        docs.mkdir(parents=True, exist_ok=True)
        _RENDERER = renderer
        try:
            with _fork_pool() as pool:
                two_thirds = pool.submit(_render_share, 1, 3, 2)
                other_pages()
                renderer.render_sheets(0, 3, 1)
                two_thirds.result()
        finally:
            _RENDERER = None
    else:
        other_pages()
        renderer.render_sheets()
    shutil.copytree(SITE_CONFIG / "assets", docs / "assets" / "partaj", dirs_exist_ok=True)


def write_mkdocs_config(docs: Path, site: Path, workdir: Path) -> Path:
    """The MkDocs configuration of site_config/, pointed at the rendered docs and the output folder."""
    config: dict[str, Any] = yaml.safe_load((SITE_CONFIG / "mkdocs.yml").read_text(encoding="utf-8"))
    config["docs_dir"] = str(docs.resolve())
    config["site_dir"] = str(site.resolve())
    config["theme"]["custom_dir"] = str((SITE_CONFIG / "overrides").resolve())
    path = workdir / "mkdocs.yml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


class _Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


def run_mkdocs(config_file: Path, plugin: BasePlugin | None = None) -> None:  # type: ignore[type-arg]
    """Run `mkdocs build` (with an extra plugin instance); any MkDocs warning (a broken link, a missing page)
    fails the build."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        config = load_config(config_file=str(config_file))
        if plugin is not None:
            config.plugins["partaj-recherche"] = plugin
        build(config)
    except Exception as exc:  # MkDocs raises its own exception types for broken configs and templates.
        raise BuildError(f"MkDocs : {exc}") from exc
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise BuildError("MkDocs a signalé des problèmes :\n" + "\n".join(handler.messages))


def _exports_and_charts(catalogue: Catalogue, exports_dir: Path, charts_dir: Path) -> None:
    """The other core's share of the build while MkDocs runs: the catalogue exports, then the charts."""
    exports_dir.mkdir(parents=True)
    write_exports(catalogue, exports_dir)
    if catalogue.chiffres is not None:
        draw_all(catalogue.chiffres, charts_dir)


def build_site(catalogue: Catalogue, content_dir: Path, out: Path) -> None:
    """Build the whole guide into `out` from a catalogue without errors."""
    require_valid(catalogue)
    with tempfile.TemporaryDirectory(prefix="partaj-build-") as tmp:
        workdir = Path(tmp)
        docs, staging = workdir / "docs", workdir / "site"
        exports_dir, charts_dir = workdir / "exports", workdir / "chiffres"
        render_docs(catalogue, content_dir, docs)
        worker = IndexWorker(catalogue, "fr")
        try:
            with _fork_pool() as pool:
                # Exports and charts are written by a forked process into folders of their own (MkDocs empties
                # its site folder when it starts), and moved into the site once MkDocs is done.
                other_core = pool.submit(_exports_and_charts, catalogue, exports_dir, charts_dir)
                # Pagefind writes its bundle on the other core once MkDocs has converted every page's
                # Markdown (WorkerPlugin.on_env), while MkDocs fills the templates.
                run_mkdocs(write_mkdocs_config(docs, staging, workdir), WorkerPlugin(worker))
                worker.finish()
                other_core.result()
            for export in exports_dir.iterdir():
                export.replace(staging / export.name)
            if charts_dir.is_dir():
                shutil.copytree(charts_dir, staging / "chiffres", dirs_exist_ok=True)
        finally:
            worker.close()
        # Replace the previous site only once the new one is complete.
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), str(out))
