"""Benchmark of the tracking table and its exports on 100 000 clearly fictional situations.

Writes the situations (names `FICTIF-000123`, `Prénom-fictif`, `example.invalid` addresses) into a temporary
SQLite file through the real migrations, then measures, in the same run:
- the table's filtered first page through the real server (`python -m forms_backend serve`, uvicorn, loopback,
  logged in: session check and audit entry included), against a bare `SELECT … LIMIT 50` with sqlite3;
- the CSV export of every row through the server (streamed download), against a bare `csv.writer` over a cursor;
- the peak memory growth of each export format (CSV, XLSX, ODS) at 10 000 and 100 000 rows, each in its own
  process (`VmHWM` − `VmRSS` before the export, from /proc/self/status), through the same `export_chunks`.

    .venv/bin/python bench/coordination.py [--rows 100000] [--repeat 30]
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402

from forms_backend.accounts import rules as accounts  # noqa: E402
from forms_backend.clock import timestamp  # noqa: E402
from forms_backend.db.connection import connect, migrate  # noqa: E402
from forms_backend.db.store import Store  # noqa: E402
from tests.loopback import free_port  # noqa: E402

SECRET = "cle-de-banc-d-essai-" + "c" * 40
PASSWORD = "mot de passe du banc d'essai"
TERRITOIRES = tuple(
    t["id"] for t in yaml.safe_load((ROOT / "data" / "territoires.yaml").read_text("utf-8"))["territoires"]
)
STATUTS = ("nouveau", "a-examiner-en-ctl", "solution-proposee", "accompagnement", "sortie", "sans-suite")
MOTIFS = ("orientation", "relation-employeur", "conditions-travail", "mobilite", "logement", "autre")
BESOINS = ("orientation", "formation", "alternance", "emploi", "mobilite", "logement")
COORDINATOR = "coordination.banc@example.invalid"
REGIONAL = "regional.banc@example.invalid"
SITUATION_SQL = (
    "INSERT INTO situations (reference, source, territoire, statut, nom, prenom, date_naissance, sexe, "
    "code_postal, commune, telephone, courriel, suivi_structure, created_at, updated_at, prochaine_ctl, sortie, "
    "motif_sans_suite) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
RUPTURE_SQL = (
    "INSERT INTO rapports_rupture (situation_id, cfa_nom, diplome_prepare, niveau, secteur, entreprise_nom, "
    "date_debut_contrat, date_fin_prevue, date_rupture, cadre_rupture, motif_precision, situation_actuelle, "
    "declarant_nom, declarant_courriel, jeune_informe) VALUES (?, 'CFA fictif', 'CAP fictif', '3', 'industrie', "
    "'Entreprise fictive', '2024-09-01', '2026-06-30', ?, 'commun-accord', ?, 'sans-solution', 'Déclarant fictif', "
    "'declarant@example.invalid', 1)"
)
ORIENTATION_SQL = (
    "INSERT INTO orientations (situation_id, statut_jeune, niveau, description, orienteur_structure, "
    "orienteur_type, orienteur_nom, orienteur_courriel, jeune_informe) VALUES (?, 'sans-activite', 'infra-3', ?, "
    "'Structure fictive', 'association', 'Orienteur fictif', 'orienteur@example.invalid', 1)"
)


def generate(path: Path, count: int, seed: int = 7) -> None:
    """`count` fictional situations (with their report rows) in a migrated database at `path`."""
    db = connect(path)
    migrate(db, path)
    rng = random.Random(seed)
    start = datetime(2024, 1, 1, tzinfo=UTC)
    conn = db.conn
    conn.execute("BEGIN")
    for first in range(1, count + 1, 5000):
        situations, ruptures, orientations, motifs, besoins = [], [], [], [], []
        for n in range(first, min(first + 5000, count + 1)):
            source = "rupture" if n % 3 else "orientation"
            created = start + timedelta(minutes=n * 7 + rng.randrange(5))
            statut = rng.choice(STATUTS)
            ctl = (
                (date(2026, 1, 6) + timedelta(days=28 * rng.randrange(12))).isoformat()
                if n % 4 == 0
                else None
            )
            situations.append(
                (
                    f"{'RUP' if source == 'rupture' else 'ORI'}-{created.year}-{n:06d}",
                    source,
                    TERRITOIRES[n % len(TERRITOIRES)],
                    statut,
                    f"FICTIF-{n:06d}",
                    "Prénom-fictif",
                    f"{2000 + n % 8}-0{1 + n % 9}-1{n % 10}",
                    rng.choice(("f", "m", None)),
                    "59000",
                    "Commune fictive",
                    "01 02 03 04 05",
                    f"jeune{n}@example.invalid",
                    "aucune",
                    timestamp(created),
                    timestamp(created + timedelta(days=rng.randrange(60))),
                    ctl,
                    "alternance" if statut == "sortie" else None,
                    "injoignable" if statut == "sans-suite" else None,
                )
            )
            if source == "rupture":
                ruptures.append((n, "2025-03-03", "=Texte fictif, avec une formule neutralisée"))
                motifs += [(n, m) for m in rng.sample(MOTIFS, 2)]
            else:
                orientations.append((n, "Présentation fictive d'une situation de banc d'essai."))
                besoins += [(n, b) for b in rng.sample(BESOINS, 2)]
        conn.executemany(SITUATION_SQL, situations)
        conn.executemany(RUPTURE_SQL, ruptures)
        conn.executemany(ORIENTATION_SQL, orientations)
        conn.executemany("INSERT INTO rupture_motifs VALUES (?, ?)", motifs)
        conn.executemany("INSERT INTO orientation_besoins VALUES (?, ?)", besoins)
    conn.execute("COMMIT")
    db.close()
    accounts_db = Store(path, readers=1)
    accounts_db.open()
    password_hash = accounts.hash_password(PASSWORD)
    now = datetime.now(UTC)
    for email, role, territoires in (
        (COORDINATOR, "coordinateur", [TERRITOIRES[1]]),
        (REGIONAL, "regional", []),
    ):
        job = lambda conn, e=email, r=role, t=territoires: accounts.add_account(  # noqa: E731
            conn, email=e, password_hash=password_hash, role=r, territoires=t, now=now
        )
        accounts_db.submit(job).result()
    accounts_db.close()


def median_ms(samples: list[float]) -> tuple[float, float]:
    """Median and 95th percentile, in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(0.95 * (len(ordered) - 1))] * 1000


def timed(fn: Callable[[], Any], repeat: int) -> list[float]:
    samples = []
    for _ in range(repeat):
        begin = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - begin)
    return samples


def rss_kb(pid: int | str, field: str) -> int:
    """`VmRSS` or `VmHWM` of a process, in kB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(field)


def fetch(client: httpx.Client, url: str) -> None:
    client.get(url).raise_for_status()


def login(client: httpx.Client, email: str) -> None:
    page = client.get("/coordination/connexion")
    token = page.text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/coordination/connexion", data={"csrf_token": token, "email": email, "mot_de_passe": PASSWORD}
    )
    if answer.status_code != 303:
        raise RuntimeError(f"connexion refusée pour {email} ({answer.status_code})")


def server_figures(path: Path, repeat: int) -> dict[str, Any]:
    """Pages and CSV download through the real server, and the server's peak memory growth during the download."""
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTAJ_")},
        "PARTAJ_SECRET_KEY": SECRET,
        "PARTAJ_SITE_DIR": str(path.parent / "pas-de-guide"),
    }
    command = [sys.executable, "-m", "forms_backend", "serve", "--port", str(port), "--db", str(path)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    figures: dict[str, Any] = {}
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(f"http://127.0.0.1:{port}/sante", timeout=1)
                break
            except httpx.TransportError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.1)
        base = f"http://127.0.0.1:{port}"
        with (
            httpx.Client(base_url=base, timeout=60) as coordinator,
            httpx.Client(base_url=base, timeout=120) as regional,
        ):
            login(coordinator, COORDINATOR)
            login(regional, REGIONAL)
            cases = {
                "coordinateur, statut « à examiner en CTL »": (
                    coordinator,
                    "/coordination/?statut=a-examiner-en-ctl",
                ),
                "régional, statut + source": (regional, "/coordination/?statut=nouveau&source=rupture"),
                "régional, prochaine CTL": (regional, "/coordination/?ctl=2026-03-03"),
                "régional, sans filtre, tri par nom": (regional, "/coordination/?tri=nom&ordre=asc"),
            }
            for label, (client, url) in cases.items():
                client.get(url).raise_for_status()
                figures[label] = median_ms(timed(partial(fetch, client, url), repeat))
            token = (
                regional.get("/coordination/").text.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
            )
            search = {"csrf_token": token, "recherche": "fictif-0421"}
            figures["régional, recherche « fictif-0421 » (POST)"] = median_ms(
                timed(lambda: regional.post("/coordination/", data=search).raise_for_status(), repeat)
            )
            Path(f"/proc/{process.pid}/clear_refs").write_text("5")
            before = rss_kb(process.pid, "VmRSS")
            begin = time.perf_counter()
            size = 0
            with regional.stream("GET", "/coordination/export.csv") as response:
                for chunk in response.iter_raw(65536):
                    size += len(chunk)
            figures["csv_http_s"] = time.perf_counter() - begin
            figures["csv_http_bytes"] = size
            figures["csv_http_growth_mb"] = (rss_kb(process.pid, "VmHWM") - before) / 1024
    finally:
        process.terminate()
        process.wait(timeout=10)
    return figures


def baseline_page(path: Path, repeat: int) -> tuple[float, float]:
    """A bare sqlite3 SELECT of the same first page (coordinator, status filter)."""
    conn = sqlite3.connect(path)
    sql = (
        "SELECT id, reference, source, territoire, statut, nom, prenom, created_at, updated_at, prochaine_ctl "
        "FROM situations WHERE territoire = ? AND statut = ? ORDER BY created_at DESC LIMIT 50"
    )
    params = (TERRITOIRES[1], "a-examiner-en-ctl")
    figures = median_ms(timed(lambda: conn.execute(sql, params).fetchall(), repeat))
    conn.close()
    return figures


def measure_export(path: Path, fmt: str) -> dict[str, float]:
    """In this process: the app's export of every row to /dev/null; time and peak memory growth."""
    from forms_backend.app import load_forms_catalogue
    from forms_backend.coordination import exports
    from forms_backend.db.table import Filters
    from forms_backend.settings import Settings

    settings = Settings.from_env()
    catalogue = load_forms_catalogue(settings)
    export = exports.Export(fmt, None, Filters(), False)
    before = rss_kb("self", "VmRSS")
    begin = time.perf_counter()
    size = 0
    with open(os.devnull, "wb") as sink:
        for chunk in exports.export_chunks(path, catalogue, settings.tz, export):
            size += sink.write(chunk)
    return {"s": time.perf_counter() - begin, "mb": (rss_kb("self", "VmHWM") - before) / 1024, "bytes": size}


def measure_baseline_csv(path: Path) -> dict[str, float]:
    """In this process: a bare csv.writer over a cursor of every situation, to /dev/null."""
    before = rss_kb("self", "VmRSS")
    begin = time.perf_counter()
    conn = sqlite3.connect(path)
    with open(os.devnull, "w", encoding="utf-8", newline="") as sink:
        writer = csv.writer(sink, delimiter=";")
        cursor = conn.execute(
            "SELECT s.*, r.*, o.* FROM situations s LEFT JOIN rapports_rupture r ON r.situation_id = s.id "
            "LEFT JOIN orientations o ON o.situation_id = s.id ORDER BY s.created_at DESC"
        )
        while batch := cursor.fetchmany(1000):
            writer.writerows(batch)
    return {"s": time.perf_counter() - begin, "mb": (rss_kb("self", "VmHWM") - before) / 1024, "bytes": 0}


def in_subprocess(path: Path, what: str) -> dict[str, float]:
    """Run one export measurement in a fresh process (its own peak memory)."""
    done = subprocess.run(
        [sys.executable, __file__, "--mesure", what, "--db", str(path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(done.stdout)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--small", type=int, default=10_000, help="rows of the small base (constant memory)")
    parser.add_argument("--repeat", type=int, default=30)
    parser.add_argument("--mesure", help=argparse.SUPPRESS)
    parser.add_argument("--db", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.mesure:
        measured = (
            measure_baseline_csv(args.db)
            if args.mesure == "baseline"
            else measure_export(args.db, args.mesure)
        )
        print(json.dumps(measured))
        return
    with tempfile.TemporaryDirectory(prefix="partaj-banc-") as tmp:
        big, small = Path(tmp) / "grande.db", Path(tmp) / "petite.db"
        begin = time.perf_counter()
        generate(big, args.rows)
        generate(small, args.small)
        print(
            f"Bases fictives : {args.rows} et {args.small} situations en {time.perf_counter() - begin:.1f} s"
        )
        served = server_figures(big, args.repeat)
        bare = baseline_page(big, args.repeat)
        print(
            f"\nPremière page du tableau ({args.rows} situations, {args.repeat} requêtes, médiane / p95 en ms)"
        )
        print(f"  référence nue (sqlite3, territoire + statut, LIMIT 50) : {bare[0]:.2f} / {bare[1]:.2f}")
        for label, value in served.items():
            if isinstance(value, tuple):
                print(f"  {label} : {value[0]:.1f} / {value[1]:.1f}")
        print(
            f"\nExport CSV de toutes les lignes par le serveur : {served['csv_http_s']:.2f} s, "
            f"{served['csv_http_bytes'] / 1e6:.1f} Mo, pic de mémoire du serveur +{served['csv_http_growth_mb']:.1f} Mo"
        )
        print("\nExports dans un processus neuf (temps, croissance du pic de mémoire VmHWM − VmRSS)")
        for what in ("baseline", "csv", "xlsx", "ods"):
            cells = []
            for path, rows in ((small, args.small), (big, args.rows)):
                measured = in_subprocess(path, what)
                cells.append(f"{rows} lignes : {measured['s']:.2f} s, +{measured['mb']:.1f} Mo")
            name = "référence nue (csv.writer sur un curseur)" if what == "baseline" else what.upper()
            print(f"  {name} — " + " ; ".join(cells))


if __name__ == "__main__":
    main()
