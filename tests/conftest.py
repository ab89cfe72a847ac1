"""Shared fixtures: a real headless Chromium (Debian's), free loopback ports, background servers."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.loopback import stop_process, wait_for_port

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = os.environ.get("PARTAJ_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


@contextmanager
def running(
    cmd: list[str], port: int, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> Iterator[subprocess.Popen[bytes]]:
    """Start a server process, wait for its port, stop it at the end."""
    proc = subprocess.Popen(cmd, cwd=cwd, env={**os.environ, **(env or {})})
    try:
        wait_for_port(port, proc)
        yield proc
    finally:
        stop_process(proc)


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Debian's headless Chromium through Playwright; skipped locally when absent, failing under CI=true."""
    if not (Path(CHROMIUM).exists() or shutil.which(CHROMIUM)):
        message = f"Chromium introuvable ({CHROMIUM}) : installez le paquet Debian « chromium »"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        instance = pw.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield instance
        instance.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A fresh browser page (own context: no shared cookies), French locale."""
    context = browser.new_context(locale="fr-FR")
    yield context.new_page()
    context.close()


def axe_violations(page: Any) -> list[dict[str, Any]]:
    """Serious and critical axe-core violations of the current page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page)
    violations = results.response["violations"]
    return [v for v in violations if v.get("impact") in ("serious", "critical")]
