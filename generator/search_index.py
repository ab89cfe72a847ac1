"""Pagefind index built while MkDocs renders.

Each page MkDocs writes is handed to `pagefind --service` (another process), so the second core indexes page N
while MkDocs renders page N+1; the bundle is written once MkDocs is done. The service protocol is base64 JSON
messages separated by commas. (The `pagefind` Python package speaks it too, but polls for every answer with a
0.1 s sleep: 100 s for 1 000 pages.)
"""

from __future__ import annotations

import base64
import io
import json
import subprocess
import threading
from pathlib import Path
from typing import Any

from mkdocs.plugins import BasePlugin
from pagefind_bin import get_executable

from generator.errors import BuildError


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
        """Wait for every page, then write the search bundle (index and UI scripts) into `bundle`."""
        for message_id in self.added:
            self.wait(message_id)
        self.wait(self.send({"type": "WriteFiles", "index_id": self.index_id, "output_path": str(bundle)}))

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


class IndexPlugin(BasePlugin):  # type: ignore[type-arg,no-untyped-call]
    """MkDocs plugin handing each rendered page that opts into search to the Pagefind service."""

    def __init__(self, service: PagefindService) -> None:
        self.service = service

    def on_post_page(self, output: str, page: Any, config: Any) -> str:
        if "data-pagefind-body" in output:
            self.service.add(output, "/" + page.url)
        return output
