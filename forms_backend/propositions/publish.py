"""Publishing an accepted proposal: the sheet file (and its new structure) written atomically through the same
models as `generator check`, a commit when the data folder is a git work tree, then the guide rebuilt in the
background with its state shown to the moderators (« en ligne », « publication en cours », « échec : … »)."""

from __future__ import annotations

import hashlib
import logging
import os
import shutil
import subprocess
import sys
import threading
from collections import OrderedDict
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any

from forms_backend.propositions.forms import slug
from generator.catalogue import Catalogue
from generator.places import normalise_name
from generator.sheet_writer import SheetProblem, check_sheet, dump_sheet, write_sheet

log = logging.getLogger("partaj.propositions")
FOLDERS = {"fiche": "fiches", "dispositif": "dispositifs"}
BUILD_TIMEOUT_SECONDS = 600


@dataclass(frozen=True)
class Prepared:
    """The files an acceptance would write ((folder, id) → text) and the sheet's own id and folder."""

    files: dict[tuple[str, str], str]
    folder: str
    sheet_id: str


def _new_id(catalogue: Catalogue, data_dir: Path, folder: str, name: str) -> str:
    base = slug(name)
    candidate, n = base, 2
    while (data_dir / folder / f"{candidate}.yaml").exists() or candidate in catalogue.fiches:
        candidate, n = f"{base}-{n}", n + 1
    return candidate


def _structure(catalogue: Catalogue, data_dir: Path, name: str) -> tuple[str, dict[str, Any] | None]:
    """The id of the structure called `name`, and the structure to create when the guide has none by that name."""
    key = normalise_name(name)
    for structure in catalogue.structures.values():
        if normalise_name(structure.nom) == key:
            return structure.id, None
    return _new_id(catalogue, data_dir, "structures", name), {"nom": name}


def prepare(
    proposition: dict[str, Any], sheet: dict[str, Any], catalogue: Catalogue, data_dir: Path, today: date
) -> Prepared:
    """The files accepting `proposition` with the (possibly edited) `sheet` would write."""
    genre, kind = proposition["genre"], proposition["cible_type"] or "fiche"
    folder = FOLDERS[kind]
    written = {k: v for k, v in sheet.items() if k != "porteur_nom"}
    files: dict[tuple[str, str], str] = {}
    when = today.strftime("%d/%m/%Y")
    structure = proposition["proposeur_structure"] or "un partenaire"
    comments = (
        f"Source : proposée par {structure} le {proposition['created_at'][:10]}, acceptée le {when} "
        f"({proposition['reference']}).",
    )
    if genre == "nouvelle":
        sheet_id = _new_id(catalogue, data_dir, folder, str(sheet.get("nom") or "action"))
        written = {"id": sheet_id, **written}
    else:
        sheet_id = str(proposition["cible"])
        written["id"] = sheet_id
    if kind == "fiche" and sheet.get("porteur_nom"):
        porteur, new = _structure(catalogue, data_dir, str(sheet["porteur_nom"]))
        written["porteur"] = porteur
        if new is not None:
            files[("structures", porteur)] = dump_sheet(
                "structures", {"id": porteur, **new, "date_maj": today}, comments
            )
    written["date_maj"] = today
    files[(folder, sheet_id)] = dump_sheet(folder, written, comments)
    return Prepared(files, folder, sheet_id)


# The whole-catalogue check of a proposal takes about half a second, two with thousands of imported sheets: a
# moderator going back to a proposal gets the answer kept for the same files on the same catalogue, that day.
_CHECKS: OrderedDict[tuple[Any, ...], tuple[list[SheetProblem], list[str]]] = OrderedDict()
_CHECKS_KEPT = 32
_CHECKS_LOCK = threading.Lock()


def catalogue_version(data_dir: Path) -> str:
    """What the check's answer depends on in the data folder, as a digest of each file's path, size and
    modification time (a key of a few bytes rather than thousands of entries kept 32 times)."""
    found = []
    folders = [data_dir]
    while folders:
        with os.scandir(folders.pop()) as entries:
            for entry in entries:
                if entry.name == ".git":
                    continue
                if entry.is_dir(follow_symlinks=False):
                    folders.append(Path(entry.path))
                elif entry.is_file():
                    stat = entry.stat()
                    found.append((entry.path, stat.st_size, stat.st_mtime_ns))
    return hashlib.sha256(repr(sorted(found)).encode("utf-8")).hexdigest()


def _checked(
    data_dir: Path, files: dict[tuple[str, str], str], today: date
) -> tuple[list[SheetProblem], list[str]]:
    key = (str(data_dir), tuple(sorted(files.items())), today, catalogue_version(data_dir))
    with _CHECKS_LOCK:
        if key in _CHECKS:
            _CHECKS.move_to_end(key)
            return _CHECKS[key]
    answer = check_sheet(data_dir, files, today)
    with _CHECKS_LOCK:
        _CHECKS[key] = answer
        while len(_CHECKS) > _CHECKS_KEPT:
            _CHECKS.popitem(last=False)
    return answer


def problems_of(prepared: Prepared, data_dir: Path, today: date) -> tuple[dict[str, str], list[str]]:
    """What `generator check` would say with these files: by field of the sheet, and the rest."""
    own, elsewhere = _checked(data_dir, prepared.files, today)
    by_field: dict[str, str] = {}
    rest = list(elsewhere)
    for problem in own:
        if problem.field:
            by_field.setdefault(problem.field, problem.message)
        else:
            rest.append(problem.message)
    return by_field, rest


def write(prepared: Prepared, data_dir: Path) -> list[Path]:
    """Write every file, structures first (a sheet never names a structure not on disk yet)."""
    order = sorted(prepared.files, key=lambda item: item[0] != "structures")
    return [
        write_sheet(data_dir, folder, sheet_id, prepared.files[(folder, sheet_id)])
        for folder, sheet_id in order
    ]


def _git(repo: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["git", "-C", str(repo), *args], capture_output=True, text=True, timeout=60, env=env, check=False
    )


def commit(paths: list[Path], data_dir: Path, moderator: str, message: str) -> bool:
    """Commit `paths` with the moderator as author when the data folder is in a git work tree; False otherwise
    (or when git fails: the files are written all the same, the failure is logged)."""
    if shutil.which("git") is None:
        return False
    inside = _git(data_dir, "rev-parse", "--show-toplevel")
    if inside.returncode != 0:
        return False
    repo = Path(inside.stdout.strip())
    env = {
        **os.environ,
        "GIT_COMMITTER_NAME": "PARTAJ",
        "GIT_COMMITTER_EMAIL": "partaj@localhost",
        "GIT_AUTHOR_NAME": moderator,
        "GIT_AUTHOR_EMAIL": moderator,
    }
    added = _git(repo, "add", "--", *(str(p.resolve()) for p in paths), env=env)
    done = (
        added.returncode == 0
        and _git(
            repo, "commit", "-q", "-m", message, "--", *(str(p.resolve()) for p in paths), env=env
        ).returncode
        == 0
    )
    if not done:
        log.warning("fichiers écrits mais non commités (git a échoué)")
    return done


@dataclass
class Publication:
    """The state of the guide's publication, shown on the proposals' pages."""

    state: str = "en ligne"
    detail: str = ""
    since: datetime | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _again: bool = False

    @property
    def label(self) -> str:
        return f"échec : {self.detail}" if self.state == "échec" else self.state


def _build(data_dir: Path, site_dir: Path) -> str | None:
    """Build the guide next to `site_dir`, then swap it in; the error message, or None."""
    content = data_dir.resolve().parent / "content"
    fresh = site_dir.with_name(f".{site_dir.name}-nouveau")
    old = site_dir.with_name(f".{site_dir.name}-ancien")
    shutil.rmtree(fresh, ignore_errors=True)
    cmd = [sys.executable, "-m", "generator", "build", "--data", str(data_dir), "--content", str(content)]
    try:
        done = subprocess.run(
            [*cmd, "--out", str(fresh)],
            capture_output=True,
            text=True,
            timeout=BUILD_TIMEOUT_SECONDS,
            check=False,
        )
    except subprocess.TimeoutExpired:
        return "la construction du guide a dépassé 10 minutes"
    if done.returncode != 0:
        lines = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        return lines[-1] if lines else f"code de sortie {done.returncode}"
    shutil.rmtree(old, ignore_errors=True)
    if site_dir.exists():
        site_dir.rename(old)
    fresh.rename(site_dir)
    shutil.rmtree(old, ignore_errors=True)
    return None


def publish(publication: Publication, data_dir: Path, site_dir: Path, now: Any) -> None:
    """Rebuild the guide in a background thread; a request made while building runs once more after it."""
    with publication._lock:
        if publication.state == "publication en cours":
            publication._again = True
            return
        publication.state, publication.detail, publication.since = "publication en cours", "", now()

    def run() -> None:
        while True:
            error = _build(data_dir, site_dir)
            with publication._lock:
                if error is None and publication._again:
                    publication._again = False
                    continue
                publication.state = "échec" if error else "en ligne"
                publication.detail = error or ""
                publication.since = now()
                if error:
                    log.warning("publication du guide échouée : %s", error)
                return

    threading.Thread(target=run, name="partaj-publication", daemon=True).start()
