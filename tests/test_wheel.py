"""The wheel carries everything the generator and the backend read at run time, and works once installed.

The wheel is built from a copy of the sources (a `build/` folder left in the checkout could slip stale modules
into it), installed into a fresh virtual environment outside the repository, and used from a folder outside
the repository: it builds the guide, then serves the guide and the forms. The dependencies are not
installed again: a `.pth` file of the new environment appends this environment's site-packages to
`sys.path`. A `.pth` line only adds a folder; the `.pth` files inside it (this checkout's editable install)
are not read, so `generator` and `forms_backend` can only come from the wheel, which the test checks."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import sysconfig
import time
import venv
import zipfile
from pathlib import Path

import httpx
import pytest

from tests.conftest import ROOT, running
from tests.loopback import free_port

PACKAGES = ("generator", "forms_backend")
# Folders whose every file the wheel must carry: (folder of the checkout, its place in the wheel).
DATA_FOLDERS = (
    ("generator/templates", "generator/templates"),
    ("forms_backend/templates", "forms_backend/templates"),
    ("forms_backend/static", "forms_backend/static"),
    ("site_config", "generator/site_config"),
)
GUIDE_TITLE = "Guide ressource PARTAJ"


def _clean_env(**extra: str) -> dict[str, str]:
    """This process's environment without what would point Python or the backend at the checkout."""
    dropped = ("PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP", "VIRTUAL_ENV")
    env = {k: v for k, v in os.environ.items() if k not in dropped and not k.startswith("PARTAJ_")}
    return {**env, "PYTHONUNBUFFERED": "1", "PIP_DISABLE_PIP_VERSION_CHECK": "1", **extra}


def _run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    """Run a command to completion; fail the test with its output if it fails."""
    done = subprocess.run(cmd, cwd=cwd, env=env or _clean_env(), capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, f"{' '.join(cmd)} : code {done.returncode}\n{done.stdout}\n{done.stderr}"
    return done.stdout


def _source_files(folder: Path) -> list[Path]:
    return [p for p in folder.rglob("*") if p.is_file() and "__pycache__" not in p.parts]


def _build_wheel(tmp_path: Path) -> tuple[Path, Path]:
    """`pip wheel` on a copy of what the build reads (top-level files, packages, site configuration);
    returns the wheel and the copy."""
    src = tmp_path / "sources"
    src.mkdir()
    for path in ROOT.iterdir():
        if path.is_file():
            shutil.copy2(path, src / path.name)
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for name in (*PACKAGES, "site_config"):
        # symlinks=True keeps generator/site_config a link to the copy's own site_config/.
        shutil.copytree(ROOT / name, src / name, symlinks=True, ignore=ignore)
    dist = tmp_path / "dist"
    # Build isolation: pip installs the build backend of [build-system] (setuptools, from PyPI or its cache).
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(dist), str(src)], tmp_path)
    (wheel,) = dist.glob("partaj-*.whl")
    return wheel, src


def _install(wheel: Path, env_dir: Path) -> Path:
    """A fresh virtual environment holding the wheel, seeing (not re-installing) this one's dependencies."""
    venv.create(env_dir, with_pip=False, symlinks=os.name != "nt")
    python = env_dir / ("Scripts/python.exe" if os.name == "nt" else "bin/python")
    pip = [sys.executable, "-m", "pip", "--python", str(python)]
    _run([*pip, "install", "--no-deps", "--no-index", "--quiet", str(wheel)], env_dir)
    site_packages = Path(
        _run([str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"], env_dir).strip()
    )
    ours = dict.fromkeys(sysconfig.get_path(kind) for kind in ("purelib", "platlib"))
    (site_packages / "partaj_test_dependances.pth").write_text("\n".join(ours) + "\n", encoding="utf-8")
    return python


@pytest.mark.timeout(180)
def test_wheel_installs_builds_the_guide_and_serves_it(tmp_path: Path) -> None:
    started = time.perf_counter()
    wheel, src = _build_wheel(tmp_path)

    names = set(zipfile.ZipFile(wheel).namelist())
    for expected in (
        "forms_backend/templates/formulaire.html",
        "forms_backend/templates/base.html",
        "forms_backend/static/formulaires.css",
        "generator/templates/offre.md.j2",
        "generator/site_config/mkdocs.yml",
        "generator/site_config/overrides/main.html",
        "generator/site_config/assets/partaj.css",
    ):
        assert expected in names, f"{expected} manque dans {wheel.name}"
    for package in PACKAGES:  # every module of every subpackage (of the copy the wheel was built from)
        for path in _source_files(src / package):
            if path.suffix == ".py":
                assert path.relative_to(src).as_posix() in names, f"{path} manque dans {wheel.name}"
    for folder, place in DATA_FOLDERS:
        for path in _source_files(src / folder):
            inside = f"{place}/{path.relative_to(src / folder).as_posix()}"
            assert inside in names, f"{inside} manque dans {wheel.name}"
    top_level = {name.split("/", 1)[0] for name in names}
    assert top_level == {*PACKAGES, wheel.name.split("-py3")[0] + ".dist-info"}, top_level

    env_dir = tmp_path / "venv"
    python = _install(wheel, env_dir)
    work = tmp_path / "ailleurs"  # outside the repository: nothing there to import by accident
    work.mkdir()
    assert not work.resolve().is_relative_to(ROOT)
    where = _run(
        [
            str(python),
            "-c",
            "import forms_backend, generator, generator.build as b; "
            "print(forms_backend.__file__); print(generator.__file__); print(b.SITE_CONFIG)",
        ],
        work,
    ).splitlines()
    for location in where:
        assert Path(location).resolve().is_relative_to(env_dir.resolve()), where

    site = tmp_path / "site"
    _run(
        [
            str(python),
            "-m",
            "generator",
            "build",
            "--data",
            str(ROOT / "data"),
            "--content",
            str(ROOT / "content"),
            "--out",
            str(site),
        ],
        work,
    )
    assert (site / "index.html").is_file()
    assert (site / "assets" / "partaj" / "partaj.css").is_file()  # from the wheel's site configuration

    port = free_port()
    cmd = [str(python), "-m", "forms_backend", "serve", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--db", str(tmp_path / "partaj.db")]
    env = _clean_env(PARTAJ_DATA_DIR=str(ROOT / "data"), PARTAJ_SITE_DIR=str(site))
    # `running` adds these values to os.environ: empty values unset what must not leak from it.
    env |= {key: "" for key in os.environ if key not in env}
    with running(cmd, port, env=env, cwd=work), httpx.Client(base_url=f"http://127.0.0.1:{port}") as http:
        home = http.get("/")
        assert home.status_code == 200
        assert GUIDE_TITLE in home.text
        for source in ("rupture", "orientation"):
            page = http.get(f"/formulaires/{source}")
            assert page.status_code == 200, source
            assert "<form" in page.text, source
            stylesheets = re.findall(r'<link[^>]+rel="stylesheet"[^>]+href="([^"]+\.css[^"]*)"', page.text)
            assert stylesheets, f"aucune feuille de style dans /formulaires/{source}"
            for href in stylesheets:
                css = http.get(href)
                assert css.status_code == 200, href
                assert css.headers["content-type"].startswith("text/css"), href
        health = http.get("/sante")
        assert health.status_code == 200
        assert health.json() == {"statut": "ok"}  # the details (guide served…) are behind a regional login
    print(f"roue construite, installée et servie en {time.perf_counter() - started:.1f} s")
