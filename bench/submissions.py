"""Benchmark of the public forms: valid reports at 32 concurrent connections against the real server.

In the same run, the same load goes to a bare baseline (a Starlette route that parses the form and inserts one
row with sqlite-utils, WAL, synchronous=FULL). Both run under uvicorn on loopback, in their own process, on a
fresh SQLite file. Prints throughput, latency percentiles, errors, and rows stored against 303 answers.

    .venv/bin/python bench/submissions.py [--duration 10] [--connections 32]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forms_backend.web.security import FormToken  # noqa: E402
from tests.forms_backend.conftest import valid_rupture  # noqa: E402
from tests.loopback import free_port, stop_process, wait_for_port  # noqa: E402

SECRET = "cle-de-banc-d-essai-" + "b" * 40
PARTAJ_SERVE = [sys.executable, "-m", "forms_backend", "serve"]
# Issue 7: throughput ≥ 60 % of the bare baseline and p99 ≤ 2 × its p99, in the same run; issue 3: p99 ≤ 100 ms.
TARGET_RATIO = 0.6
TARGET_P99_RATIO = 2.0
TARGET_P99_MS = 100.0


def report(n: int) -> dict[str, Any]:
    """A valid CFA rupture report (the tests' own), numbered so each one is distinct."""
    return {**valid_rupture(), "nom": f"Essai-{n}"}


# The baseline: the least a server can do for one report (parse the form, insert one row, answer 303).
BASELINE_APP = """
import sys
from sqlite_utils import Database
from starlette.applications import Starlette
from starlette.responses import RedirectResponse
from starlette.routing import Route

db = Database(sys.argv[2])
db.execute("PRAGMA journal_mode = WAL")
db.execute("PRAGMA synchronous = FULL")
db.execute("CREATE TABLE IF NOT EXISTS rapports (id INTEGER PRIMARY KEY, nom TEXT, prenom TEXT, donnees TEXT)")
table = db.table("rapports")


async def submit(request):
    form = await request.form()
    table.insert({"nom": form.get("nom"), "prenom": form.get("prenom"), "donnees": str(dict(form))})
    return RedirectResponse("/formulaires/recu", status_code=303)


app = Starlette(routes=[Route("/formulaires/rupture", submit, methods=["POST"])])

if __name__ == "__main__":
    import uvicorn

    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), access_log=False, server_header=False)
"""


@dataclass
class Run:
    """What one load run measured."""

    name: str
    latencies: list[float] = field(default_factory=list)
    redirects: int = 0
    errors: int = 0
    seconds: float = 0.0
    rows: int = 0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if len(self.latencies) < 2:
            return 0.0
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[int(p) - 1] * 1000


def start(cmd: list[str], port: int, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """Start a server, its output going to a file (a pipe nobody reads would block its logging)."""
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env={**os.environ, **env}, stdout=out, stderr=subprocess.STDOUT
        )
    wait_for_port(port, proc)
    return proc


def csrf_fields(url: str) -> tuple[dict[str, str], str]:
    """The CSRF token of a form and the cookie it belongs to (one browser session shared by all connections)."""
    with httpx.Client(base_url=url) as client:
        page = client.get("/formulaires/rupture")
        match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        assert match, "jeton CSRF introuvable"
        cookie = "; ".join(f"{name}={value}" for name, value in client.cookies.items())
    return {"csrf_token": match.group(1)}, cookie


def encode_request(port: int, n: int, hidden: dict[str, str], cookie: str) -> bytes:
    """One POST of a valid report, as raw HTTP/1.1 bytes (unique name and display token)."""
    token = FormToken.issue("rupture", time.time() - 10).encode(SECRET)
    body = urlencode({**report(n), **hidden, "jeton_formulaire": token}, doseq=True).encode()
    head = (
        f"POST /formulaires/rupture HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {len(body)}\r\n"
        + (f"Cookie: {cookie}\r\n" if cookie else "")
        + "\r\n"
    )
    return head.encode() + body


async def read_status(reader: asyncio.StreamReader) -> int:
    """Status code of one HTTP/1.1 response; its body is read and dropped."""
    status = int((await reader.readline()).split()[1])
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return status


async def load(run: Run, port: int, connections: int, duration: float, warmup: int, csrf: bool) -> None:
    """`connections` keep-alive connections posting valid reports back to back; the warmup is not timed.

    A small raw HTTP/1.1 client rather than httpx: on two cores shared with the server, httpx's own CPU time
    would be measured instead of the server's.
    """
    hidden, cookie = csrf_fields(f"http://127.0.0.1:{port}") if csrf else ({}, "")
    counter = iter(range(10**9))
    done = 0
    deadline = 0.0
    started = 0.0

    async def worker() -> None:
        nonlocal done
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            while not deadline or time.perf_counter() < deadline:
                request = encode_request(port, next(counter), hidden, cookie)
                begin = time.perf_counter()
                try:
                    writer.write(request)
                    ok = await asyncio.wait_for(read_status(reader), 30) == 303
                except (OSError, asyncio.IncompleteReadError, TimeoutError, ValueError, IndexError):
                    ok = False
                    writer.close()
                    reader, writer = await asyncio.open_connection("127.0.0.1", port)
                elapsed = time.perf_counter() - begin
                done += 1
                run.redirects += ok
                run.errors += not ok
                if started and begin >= started:
                    run.latencies.append(elapsed)
        finally:
            writer.close()

    async def clock() -> None:
        nonlocal deadline, started
        while done < warmup:
            await asyncio.sleep(0.01)
        started = time.perf_counter()
        deadline = started + duration

    await asyncio.gather(clock(), *(worker() for _ in range(connections)))
    run.seconds += time.perf_counter() - started


def count_rows(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return int(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0])


@dataclass
class Server:
    """One server under test: how to start it, where it stores, whether its form needs a CSRF token."""

    run: Run
    cmd: list[str]
    port: int
    env: dict[str, str]
    db: Path
    table: str
    csrf: bool


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--duration", type=float, default=10.0, help="secondes mesurées par tour (défaut 10)")
    parser.add_argument("--rounds", type=int, default=3, help="tours alternés référence / PARTAJ (défaut 3)")
    parser.add_argument("--connections", type=int, default=32, help="connexions simultanées (défaut 32)")
    parser.add_argument("--warmup", type=int, default=200, help="envois de chauffe par tour (défaut 200)")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="partaj-banc-") as tmp:
        work = Path(tmp)
        (work / "baseline.py").write_text(BASELINE_APP)
        base_port, partaj_port = free_port(), free_port()
        baseline = Server(
            Run("référence (Starlette + sqlite-utils)"),
            [sys.executable, str(work / "baseline.py"), str(base_port), str(work / "baseline.db")],
            base_port,
            {},
            work / "baseline.db",
            "rapports",
            csrf=False,
        )
        partaj = Server(
            Run("PARTAJ (forms_backend)"),
            [*PARTAJ_SERVE, "--port", str(partaj_port), "--db", str(work / "partaj.db")],
            partaj_port,
            {
                "PARTAJ_SECRET_KEY": SECRET,
                "PARTAJ_RATE_LIMIT": "100000000/600",
                "PARTAJ_SITE_DIR": str(work / "pas-de-guide"),
            },
            work / "partaj.db",
            "situations",
            csrf=True,
        )
        servers = (baseline, partaj)
        procs = [start(s.cmd, s.port, s.env, s.db.with_suffix(".log")) for s in servers]
        try:
            # Alternating short rounds, so that the rest of the machine's load weighs on both alike.
            for round_number in range(1, args.rounds + 1):
                for server in servers:
                    before = (len(server.run.latencies), server.run.seconds)
                    load_run = load(
                        server.run, server.port, args.connections, args.duration, args.warmup, server.csrf
                    )
                    asyncio.run(load_run)
                    rate = (len(server.run.latencies) - before[0]) / (server.run.seconds - before[1])
                    print(f"tour {round_number} : {server.run.name:<38} {rate:>6.0f} envois/s", flush=True)
        finally:
            for proc in procs:
                stop_process(proc)
        for server in servers:
            server.run.rows = count_rows(server.db, server.table)
        baseline_run, partaj_run = baseline.run, partaj.run

    print(
        f"{args.connections} connexions ; {args.rounds} tours alternés de {args.duration:g} s mesurées "
        f"(après {args.warmup} envois de chauffe chacun)"
    )
    print(
        f"{'serveur':<38} {'envois/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'erreurs':>8} {'303':>7} {'lignes':>7}"
    )
    for run in (baseline_run, partaj_run):
        print(
            f"{run.name:<38} {run.throughput:>9.0f} {run.percentile(50):>8.1f} {run.percentile(99):>8.1f} "
            f"{run.errors:>8} {run.redirects:>7} {run.rows:>7}"
        )
    ratio = partaj_run.throughput / baseline_run.throughput if baseline_run.throughput else 0.0
    base_p99 = baseline_run.percentile(99)
    p99_ratio = partaj_run.percentile(99) / base_p99 if base_p99 else float("inf")
    checks = {
        f"débit ≥ {TARGET_RATIO:.0%} de la référence ({ratio:.0%})": ratio >= TARGET_RATIO,
        f"p99 ≤ {TARGET_P99_RATIO:g} × celui de la référence (× {p99_ratio:.2f})": p99_ratio
        <= TARGET_P99_RATIO,
        f"p99 ≤ {TARGET_P99_MS:g} ms ({partaj_run.percentile(99):.1f} ms)": partaj_run.percentile(99)
        <= TARGET_P99_MS,
        f"zéro erreur ({partaj_run.errors})": partaj_run.errors == 0,
        f"lignes = réponses 303 ({partaj_run.rows} / {partaj_run.redirects})": partaj_run.rows
        == partaj_run.redirects,
    }
    for label, ok in checks.items():
        print(f"  [{'ok' if ok else 'ÉCHEC'}] {label}")
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
