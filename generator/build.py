"""Build the static guide: render Markdown, run MkDocs-Material, index with Pagefind, write the exports."""

from __future__ import annotations

import logging
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Any

import yaml

from generator.catalogue import Catalogue, require_valid
from generator.charts import render_chiffres
from generator.errors import BuildError
from generator.exports import write_exports
from generator.reference import field_reference, outils_table
from generator.render import Renderer

SITE_CONFIG = Path(__file__).resolve().parent.parent / "site_config"


def render_docs(catalogue: Catalogue, content_dir: Path, docs: Path) -> None:
    """Write every page of the guide as Markdown under `docs`, with the theme's extra assets."""
    extras = {
        "outils": outils_table(catalogue),
        "reference-champs": field_reference(catalogue),
        "chiffres": render_chiffres(catalogue.chiffres, docs) if catalogue.chiffres else "",
    }
    Renderer(catalogue, docs).render_all(content_dir, extras)
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


def run_mkdocs(config_file: Path) -> None:
    """Run `mkdocs build`; any MkDocs warning (a broken link, a missing page) fails the build."""
    from mkdocs.commands.build import build
    from mkdocs.config import load_config

    handler = _Collect()
    logger = logging.getLogger("mkdocs")
    logger.addHandler(handler)
    try:
        build(load_config(config_file=str(config_file)))
    except Exception as exc:  # MkDocs raises its own exception types for broken configs and templates.
        raise BuildError(f"MkDocs : {exc}") from exc
    finally:
        logger.removeHandler(handler)
    if handler.messages:
        raise BuildError("MkDocs a signalé des problèmes :\n" + "\n".join(handler.messages))


def run_pagefind(site: Path) -> None:
    """Index the built site with Pagefind (French; accent-insensitive search)."""
    from pagefind_bin import get_executable

    result = subprocess.run(
        [str(get_executable()), "--site", str(site), "--force-language", "fr", "--quiet"],
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise BuildError(f"Pagefind : {result.stderr or result.stdout}")


def build_site(catalogue: Catalogue, content_dir: Path, out: Path) -> None:
    """Build the whole guide into `out` from a catalogue without errors."""
    require_valid(catalogue)
    with tempfile.TemporaryDirectory(prefix="partaj-build-") as tmp:
        workdir = Path(tmp)
        docs = workdir / "docs"
        render_docs(catalogue, content_dir, docs)
        staging = workdir / "site"
        run_mkdocs(write_mkdocs_config(docs, staging, workdir))
        run_pagefind(staging)
        write_exports(catalogue, staging)
        # Replace the previous site only once the new one is complete.
        if out.exists():
            shutil.rmtree(out)
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.move(str(staging), str(out))
