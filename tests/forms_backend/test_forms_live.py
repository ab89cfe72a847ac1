"""Against the real server (`python -m forms_backend serve`, uvicorn) on loopback and a real SQLite file."""

from __future__ import annotations

import os
import signal
import sqlite3
import threading
import time
from pathlib import Path

import httpx

from tests.forms_backend.conftest import (
    form_token,
    hidden,
    live_server,
    receipt_reference,
    start_server,
    stop_server,
    valid_orientation,
    valid_rupture,
)

WORKERS = 8
KILL_AFTER = 150


def test_reports_that_got_their_303_survive_a_sigkill(tmp_path: Path) -> None:
    server = start_server(tmp_path)
    confirmed: dict[str, str] = {}
    lock = threading.Lock()
    enough = threading.Event()
    sent = [0]
    cut_off = [0]

    def send_stream(worker: int) -> None:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            csrf = hidden(client.get("/formulaires/rupture").text, "csrf_token")
            for n in range(2000):
                nom = f"Durable-{worker}-{n}"
                data = {
                    **valid_rupture(),
                    "nom": nom,
                    "csrf_token": csrf,
                    "jeton_formulaire": form_token("rupture"),
                }
                try:
                    response = client.post("/formulaires/rupture", data=data)
                except httpx.TransportError:
                    with lock:
                        cut_off[0] += 1
                    return
                with lock:
                    sent[0] += 1
                    if response.status_code == 303:
                        confirmed[receipt_reference(response)] = nom
                    if len(confirmed) >= KILL_AFTER:
                        enough.set()

    threads = [threading.Thread(target=send_stream, args=(w,)) for w in range(WORKERS)]
    for thread in threads:
        thread.start()
    try:
        assert enough.wait(60), "le flux d'envois n'a pas atteint le seuil"
        os.kill(server.process.pid, signal.SIGKILL)
        server.process.wait()
    finally:
        for thread in threads:
            thread.join(30)
        stop_server(server)
    assert cut_off[0] >= 1, "le serveur doit être tué pendant que des envois sont en cours"

    with live_server(tmp_path) as restarted:
        assert httpx.get(f"{restarted.url}/sante").json() == {"statut": "ok"}
    with sqlite3.connect(tmp_path / "partaj.db") as conn:
        stored = dict(conn.execute("SELECT reference, nom FROM situations").fetchall())
        integrity = conn.execute("PRAGMA integrity_check").fetchall()
    assert integrity == [("ok",)]
    missing = {ref: nom for ref, nom in confirmed.items() if stored.get(ref) != nom}
    assert not missing, f"{len(missing)} envois confirmés par un 303 absents de la base"
    assert len(confirmed) <= len(stored) <= len(confirmed) + WORKERS


def test_double_submission_at_the_same_instant_stores_one_report(tmp_path: Path) -> None:
    with live_server(tmp_path) as server, httpx.Client(base_url=server.url) as client:
        csrf = hidden(client.get("/formulaires/orientation").text, "csrf_token")
        references: list[str] = []
        for attempt in range(5):
            data = {**valid_orientation(), "nom": f"Double-{attempt}", "csrf_token": csrf}
            data["jeton_formulaire"] = form_token("orientation")
            barrier = threading.Barrier(3)
            answers: list[httpx.Response] = []

            def click(
                data: dict[str, object] = data,
                barrier: threading.Barrier = barrier,
                answers: list[httpx.Response] = answers,
            ) -> None:
                barrier.wait()
                answers.append(client.post("/formulaires/orientation", data=data))

            clicks = [threading.Thread(target=click) for _ in range(3)]
            for thread in clicks:
                thread.start()
            for thread in clicks:
                thread.join()
            assert len({receipt_reference(a) for a in answers}) == 1
            references.append(receipt_reference(answers[0]))

        with sqlite3.connect(server.db_path) as conn:
            assert conn.execute("SELECT count(*) FROM situations").fetchone()[0] == 5
        assert len(set(references)) == 5


def test_real_server_has_no_server_banner_and_logs_no_personal_data(tmp_path: Path) -> None:
    with live_server(tmp_path) as server, httpx.Client(base_url=server.url) as client:
        csrf = hidden(client.get("/formulaires/rupture").text, "csrf_token")
        data = {**valid_rupture(), "csrf_token": csrf, "jeton_formulaire": form_token("rupture")}
        stored = client.post("/formulaires/rupture", data=data)
        refused = client.post("/formulaires/rupture", data={**data, "nom": "", "jeton_formulaire": "x"})
        health = client.get("/sante")
        time.sleep(0.1)
        log = server.log()

    assert stored.status_code == 303
    assert refused.status_code == 400
    for response in (stored, refused, health):
        assert "server" not in response.headers
        assert response.headers["x-frame-options"] == "DENY"
    assert "rapport enregistré : RUP-" in log
    for personal in ("Martin", "Léa", "06 12 34 56 78", "paul.durand", "62300", "Lens"):
        assert personal not in log
