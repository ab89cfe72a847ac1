"""Benchmark of the observatory on 100 000 clearly fictional situations, all received in one year.

Writes the situations (names `FICTIF-000123`, `example.invalid` addresses), their report rows, motifs and
follow-up events (examination, solution, closing) into a temporary SQLite file through the real migrations,
then measures, in the same run:
- the page `/coordination/observatoire?annee=2025` through the real server (uvicorn, loopback, logged in:
  session check, audit entry, every table, chart and link), for a regional account and for a coordinator;
- as the baseline, the same SQL aggregates alone (`db.observatoire.gather`) on a plain connection, and the
  barest one (`SELECT territoire, statut, count(*) … GROUP BY`) with sqlite3;
- the `agregats` command (every open-data table, with its suppression) in its own process;
and prints the query plans, to show the counts come from indexes.

    .venv/bin/python bench/observatoire.py [--rows 100000] [--repeat 20]
"""

from __future__ import annotations

import argparse
import os
import random
import sqlite3
import subprocess
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import yaml  # noqa: E402
from coordination import login, median_ms, timed  # noqa: E402 (the coordination bench's helpers)

from forms_backend.accounts import rules as accounts  # noqa: E402
from forms_backend.clock import timestamp  # noqa: E402
from forms_backend.db import observatoire as observatoire_db  # noqa: E402
from forms_backend.db.connection import connect, migrate  # noqa: E402
from forms_backend.db.store import Store  # noqa: E402
from tests.loopback import free_port  # noqa: E402

SECRET = "cle-de-banc-d-essai-" + "o" * 40
PASSWORD = "mot de passe du banc d'essai"
TERRITOIRES = tuple(
    t["id"] for t in yaml.safe_load((ROOT / "data" / "territoires.yaml").read_text("utf-8"))["territoires"]
)
STATUTS = ("nouveau", "a-examiner-en-ctl", "solution-proposee", "accompagnement", "sortie", "sans-suite")
SORTIES = ("emploi", "alternance", "scolarite", "formation-qualifiante", "autre-solution")
MOTIFS = ("orientation", "relation-employeur", "conditions-travail", "mobilite", "logement", "autre")
NIVEAUX = ("infra-3", "3", "4", "5", "inconnu")
COORDINATOR = "coordination.banc@example.invalid"
REGIONAL = "regional.banc@example.invalid"
YEAR = 2025
SITUATION_SQL = (
    "INSERT INTO situations (id, reference, source, territoire, statut, nom, prenom, date_naissance, sexe, "
    "code_postal, commune, suivi_structure, created_at, updated_at, sortie, motif_sans_suite) "
    "VALUES (?, ?, ?, ?, ?, ?, 'Prénom-fictif', ?, ?, '59000', 'Commune fictive', 'aucune', ?, ?, ?, ?)"
)
RUPTURE_SQL = (
    "INSERT INTO rapports_rupture (situation_id, cfa_nom, diplome_prepare, niveau, secteur, entreprise_nom, "
    "date_debut_contrat, date_fin_prevue, date_rupture, cadre_rupture, situation_actuelle, declarant_nom, "
    "declarant_courriel, jeune_informe) VALUES (?, 'CFA fictif', 'CAP fictif', ?, 'industrie', 'Entreprise fictive', "
    "'2024-09-01', '2026-06-30', '2025-03-03', ?, ?, 'Déclarant fictif', 'declarant@example.invalid', 1)"
)
ORIENTATION_SQL = (
    "INSERT INTO orientations (situation_id, statut_jeune, niveau, description, orienteur_structure, "
    "orienteur_type, orienteur_nom, orienteur_courriel, jeune_informe) VALUES (?, ?, ?, 'Situation fictive.', "
    "'Structure fictive', 'association', 'Orienteur fictif', 'orienteur@example.invalid', 1)"
)
EVENT_SQL = (
    "INSERT INTO suivi_evenements (situation_id, at, auteur, genre, statut, issue, solution_type, solution_id) "
    "VALUES (?, ?, 'banc@example.invalid', ?, ?, ?, ?, ?)"
)


def generate(path: Path, count: int, seed: int = 14) -> None:
    """`count` fictional situations received in `YEAR`, followed along the status chain, at `path`."""
    db = connect(path)
    migrate(db, path)
    rng = random.Random(seed)
    start = datetime(YEAR, 1, 1, tzinfo=UTC)
    step = timedelta(days=365) / count
    conn = db.conn
    conn.execute("BEGIN")
    situations: list[tuple[Any, ...]] = []
    ruptures: list[tuple[Any, ...]] = []
    orientations: list[tuple[Any, ...]] = []
    motifs: list[tuple[Any, ...]] = []
    events: list[tuple[Any, ...]] = []
    for n in range(1, count + 1):
        created = start + step * n
        statut = rng.choice(STATUTS)
        reached = STATUTS.index(statut) if statut != "sans-suite" else rng.randrange(0, 4)
        when = created
        for k, s in enumerate(STATUTS[1 : reached + 1], start=1):
            when += timedelta(days=rng.randrange(1, 30), hours=1)
            if k == 2:
                events.append((n, timestamp(when), "solution", None, None, "dispositif", "pmsmp"))
            issue = rng.choice(SORTIES) if s == "sortie" else None
            events.append((n, timestamp(when), "statut", s, issue, None, None))
        sortie = events[-1][4] if statut == "sortie" else None
        if statut == "sans-suite":
            when += timedelta(days=rng.randrange(1, 60))
            events.append((n, timestamp(when), "statut", "sans-suite", "injoignable", None, None))
        source = "rupture" if n % 3 else "orientation"
        born = date(1996 + rng.randrange(15), 1 + rng.randrange(12), 1 + rng.randrange(28)).isoformat()
        situations.append(
            (
                n,
                f"{'RUP' if source == 'rupture' else 'ORI'}-{YEAR}-{n:06d}",
                source,
                TERRITOIRES[n % len(TERRITOIRES)],
                statut,
                f"FICTIF-{n:06d}",
                born if n % 50 else born[:4],
                rng.choice(("f", "m", None)),
                timestamp(created),
                timestamp(when),
                sortie,
                "injoignable" if statut == "sans-suite" else None,
            )
        )
        niveau = rng.choice(NIVEAUX)
        if source == "rupture":
            ruptures.append((n, niveau, rng.choice(("commun-accord", "licenciement")), "sans-solution"))
            motifs += [(n, m) for m in rng.sample(MOTIFS, 2)]
        else:
            orientations.append((n, rng.choice(("sans-activite", "lyceen-pro")), niveau))
        if n % 5000 == 0 or n == count:
            conn.executemany(SITUATION_SQL, situations)
            conn.executemany(RUPTURE_SQL, ruptures)
            conn.executemany(ORIENTATION_SQL, orientations)
            conn.executemany("INSERT INTO rupture_motifs VALUES (?, ?)", motifs)
            conn.executemany(EVENT_SQL, events)
            for batch in (situations, ruptures, orientations, motifs, events):
                batch.clear()
    conn.execute("COMMIT")
    conn.execute("ANALYZE")
    db.close()
    store = Store(path, readers=1)
    store.open()
    password_hash = accounts.hash_password(PASSWORD)
    now = datetime.now(UTC)
    for email, role, territoires in (
        (COORDINATOR, "coordinateur", [TERRITOIRES[1]]),
        (REGIONAL, "regional", []),
    ):
        job = partial(
            accounts.add_account,
            email=email,
            password_hash=password_hash,
            role=role,
            territoires=territoires,
            now=now,
        )
        store.submit(job).result()
    store.close()


def _get_page(client: httpx.Client, url: str) -> None:
    client.get(url).raise_for_status()


def environment(path: Path) -> dict[str, str]:
    return {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTAJ_")},
        "PARTAJ_SECRET_KEY": SECRET,
        "PARTAJ_SITE_DIR": str(path.parent / "pas-de-guide"),
        "PARTAJ_DB": str(path),
    }


def server_figures(path: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """The page through the real server, for a regional account and for a coordinator."""
    port = free_port()
    command = [sys.executable, "-m", "forms_backend", "serve", "--port", str(port), "--db", str(path)]
    process = subprocess.Popen(
        command, cwd=ROOT, env=environment(path), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    figures = {}
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
        url = f"/coordination/observatoire?annee={YEAR}"
        for label, email in (("régional", REGIONAL), ("coordinateur (un territoire)", COORDINATOR)):
            with httpx.Client(base_url=base, timeout=60) as client:
                login(client, email)
                client.get(url).raise_for_status()
                figures[f"page, {label}"] = median_ms(timed(partial(_get_page, client, url), repeat))
    finally:
        process.terminate()
        process.wait(timeout=10)
    return figures


def baselines(path: Path, repeat: int) -> dict[str, tuple[float, float]]:
    """The page's SQL alone (every aggregate, one connection, one after the other), and the barest GROUP BY."""
    tz = ZoneInfo("Europe/Paris")
    q = observatoire_db.Query(None, "", date(YEAR, 1, 1), date(YEAR, 12, 31), tz)
    months = observatoire_db.month_bounds(q.du, q.au)
    db = connect(path, readonly=True)
    now = datetime.now(UTC)

    def every_aggregate() -> None:
        observatoire_db.page_situations(db, q, months, now)
        observatoire_db.page_delays(db, q)

    figures = {"toutes les agrégations SQL de la page, à la suite": median_ms(timed(every_aggregate, repeat))}
    conn = sqlite3.connect(path)
    bare = "SELECT territoire, statut, count(*) FROM situations WHERE created_at >= ? AND created_at < ? GROUP BY 1, 2"
    bounds = (f"{YEAR}-01-01", f"{YEAR + 1}-01-01")
    figures["un seul GROUP BY nu (sqlite3)"] = median_ms(
        timed(lambda: conn.execute(bare, bounds).fetchall(), repeat)
    )
    print("Plans des requêtes de la page :")
    for dimension, (columns, source, extra) in observatoire_db.PAGE.items():
        clause, params = q.where(extra)
        sql = f"SELECT {', '.join(columns)}, count(*) FROM {source}{clause} GROUP BY {', '.join(columns)}"
        plan = " | ".join(r[3] for r in db.conn.execute("EXPLAIN QUERY PLAN " + sql, params))
        print(f"  {dimension:20} {plan}")
    db.close()
    conn.close()
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="partaj-banc-observatoire-") as tmp:
        path = Path(tmp) / "partaj.db"
        begin = time.perf_counter()
        generate(path, args.rows)
        events = sqlite3.connect(path).execute("SELECT count(*) FROM suivi_evenements").fetchone()[0]
        print(
            f"{args.rows} situations reçues en {YEAR}, {events} événements de suivi : "
            f"{time.perf_counter() - begin:.1f} s"
        )
        figures = {**baselines(path, args.repeat), **server_figures(path, args.repeat)}
        begin = time.perf_counter()
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "forms_backend",
                "agregats",
                "--annee",
                str(YEAR),
                "--out",
                str(Path(tmp) / "ag"),
            ],
            cwd=ROOT,
            env=environment(path),
            capture_output=True,
            text=True,
        )
        if done.returncode:
            raise RuntimeError(done.stderr)
        agregats = time.perf_counter() - begin
    print(f"{'mesure':55} {'médiane (ms)':>13} {'95e centile (ms)':>17}")
    for label, (median, p95) in figures.items():
        print(f"{label:55} {median:13.1f} {p95:17.1f}")
    base = figures["toutes les agrégations SQL de la page, à la suite"][0]
    print(f"page régionale / agrégations SQL seules : {figures['page, régional'][0] / base:.2f}")
    print(f"commande agregats (processus complet, 11 fichiers) : {agregats:.2f} s")


if __name__ == "__main__":
    main()
