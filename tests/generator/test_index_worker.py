"""The search index is fed from a process of its own (`generator/index_worker.py`): pages and their synonyms reach
Pagefind, and a failure of the index fails the build with its message instead of hanging it."""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.catalogue import load_catalogue
from generator.errors import BuildError
from generator.index_worker import IndexWorker
from generator.search_index import PagefindService
from tests.conftest import ROOT

PAGE = (
    "<html><body><main><div data-pagefind-body><h1>{title}</h1><p>{text}</p>"
    '<p class="partaj-maj">Mis à jour</p></div></main></body></html>'
)


def test_pages_reach_the_index_with_their_synonyms(tmp_path: Path) -> None:
    worker = IndexWorker(load_catalogue(ROOT / "data"))
    try:
        worker.add(
            PAGE.format(title="École de la 2e chance", text="Une formation pour les jeunes."), "/a/", ""
        )
        worker.add(PAGE.format(title="Autre page", text="Rien à voir."), "/b/", "")
        worker.finish(tmp_path / "pagefind")
    finally:
        worker.close()

    assert (tmp_path / "pagefind" / "pagefind.js").is_file()
    assert any((tmp_path / "pagefind" / "fragment").iterdir())
    fragments = list((tmp_path / "pagefind" / "fragment").iterdir())
    assert len(fragments) == 2


def test_an_index_that_cannot_be_written_fails_the_build(tmp_path: Path) -> None:
    blocked = tmp_path / "fichier"
    blocked.write_text("pas un dossier", encoding="utf-8")
    worker = IndexWorker(None)
    try:
        worker.add(PAGE.format(title="Une page", text="Du texte."), "/a/", "")
        with pytest.raises(BuildError, match="Pagefind"):
            worker.finish(blocked / "pagefind")
    finally:
        worker.close()
    assert not worker.process.is_alive()


@pytest.mark.parametrize("path", ["../ailleurs.js", "/tmp/absolu.js", "fragment/../../ailleurs.js"])
def test_a_bundle_file_outside_its_folder_is_refused(tmp_path: Path, path: str) -> None:
    # The bundle's files come from Pagefind's answer and are written by the build: none may leave its folder.
    service = PagefindService.__new__(PagefindService)
    service.added, service.index_id = [], 0
    service.send = lambda payload: 1  # type: ignore[method-assign]
    answer = {"files": [{"path": "pagefind.js", "content": "eA=="}, {"path": path, "content": "eA=="}]}
    service.wait = lambda message_id: answer  # type: ignore[method-assign]
    with pytest.raises(BuildError, match="hors du dossier de l'index"):
        service.write(tmp_path / "pagefind")
    assert not (tmp_path / "ailleurs.js").exists()
    assert not (tmp_path / "pagefind").exists()
