"""Benchmark of the data·inclusion import and of the guide built from it, against baselines of the same run.

Usage: python bench/import_data_inclusion.py [--services 10000 20000] [--repeat 2] [--gros-fichier-mo 0]

For each size N, writes a fictional feed of N services (a third located in the Nord and the Pas-de-Calais,
a quarter kept, the rest elsewhere in France, 1 % invalid) and N/5 structures, in the real data·inclusion v1
schema: every valid record is checked by `data-inclusion-schema`. Names are « Structure fictive 12 », addresses
and links under example.org; nothing is written under data/. Then, in a copy of data/:
- the import (the real command, in a child process): cold, then again with nothing changed; peak memory of
  the child against a child that only imports the same modules;
- the full guide build (check + render + MkDocs + Pagefind + exports) against a bare `mkdocs build` of the
  same rendered pages; the largest page and what the first search query downloads.
With --gros-fichier-mo M, also the import's memory on a services file of about M MB (long descriptions).
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from data_inclusion.schema import v1 as di  # noqa: E402

from generator.build import build_site, render_docs, run_mkdocs, write_mkdocs_config  # noqa: E402
from generator.catalogue import load_catalogue  # noqa: E402

# Real INSEE codes of communes outside the Nord and the Pas-de-Calais (Paris, Lyon, Marseille, Toulouse…).
AILLEURS = ["75056", "69123", "13055", "31555", "33063", "44109", "67482", "34172", "35238", "06088"]
THEMATIQUES = [
    "remobilisation--bien-etre-confiance-en-soi",
    "choisir-un-metier--decouvrir-un-metier-ou-un-secteur-dactivite",
    "se-former--trouver-sa-formation",
    "trouver-un-emploi--repondre-a-des-offres-demploi",
    "preparer-sa-candidature--realiser-un-cv-et-ou-une-lettre-de-motivation",
    "mobilite--preparer-un-permis",
    "logement-hebergement--louer-un-logement",
    "numerique--acquerir-un-equipement",
]
PUBLICS = ["jeunes", "demandeurs-emploi", "tous-publics", "seniors"]


def communes() -> list[dict[str, Any]]:
    raw = json.loads((ROOT / "data" / "communes.json").read_text(encoding="utf-8"))
    columns = raw["colonnes"]["communes"]
    return [dict(zip(columns, row, strict=True)) for row in raw["communes"]]


def structure(i: int) -> dict[str, Any]:
    return {
        "source": "bench",
        "id": f"bench--structure-{i}",
        "nom": f"Structure fictive {i}",
        "date_maj": "2026-09-01",
        "adresse": f"{i} rue de l'Exemple",
        "courriel": f"structure-{i}@example.org",
        "site_web": f"https://structure-{i}.example.org/",
        "horaires_accueil": "Mo-Fr 09:00-12:00",
    }


def service(
    i: int, n_structures: int, places: list[dict[str, Any]], rng: random.Random, pad: int, local: float
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "source": "bench",
        "structure_id": f"bench--structure-{i % n_structures}",
        "id": f"bench--service-{i}",
        "nom": f"Service fictif {i} d'accompagnement",
        "description": "Service fictif écrit par le banc d'essai pour mesurer l'import. " + "Texte. " * pad,
        "date_maj": f"2026-{rng.randint(1, 11):02d}-{rng.randint(1, 28):02d}",
        "type": rng.choice(["accompagnement", "atelier", "formation", "information"]),
        "thematiques": rng.sample(THEMATIQUES, 2),
        "publics": [rng.choice(PUBLICS)],
        "lien_source": f"https://fiches.example.org/services/{i}",
    }
    where = rng.random()
    commune = rng.choice(places)
    if where < local * 0.63:
        record["code_insee"] = commune["insee"]
    elif where < local * 0.81:
        record["code_postal"] = commune["codes_postaux"][0]
    elif where < local:
        record["zone_eligibilite"] = [commune["epci"] or commune["departement"]]
    elif where < 0.95:
        record["code_insee"] = rng.choice(AILLEURS)
    else:
        record["zone_eligibilite"] = ["france"]
    return record


def write_feed(
    folder: Path, n: int, pad: int = 0, validate: bool = True, local: float = 0.33
) -> tuple[Path, Path]:
    """The services (JSON array) and structures (JSON Lines) of a fictional feed of n services."""
    rng = random.Random(n)
    places = communes()
    n_structures = max(1, n // 5)
    folder.mkdir(parents=True, exist_ok=True)
    services_path, structures_path = folder / "services.json", folder / "structures.jsonl"
    with structures_path.open("w", encoding="utf-8") as out:
        for i in range(n_structures):
            record = structure(i)
            if validate:
                di.Structure.model_validate(record)
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
    with services_path.open("w", encoding="utf-8") as out:
        out.write("[\n")
        for i in range(n):
            record = service(i, n_structures, places, rng, pad, local)
            if i % 100 == 99:
                record["nom"] = "X"  # invalid: the import must report it and go on
            elif validate:
                di.Service.model_validate(record)
            out.write(("," if i else "") + json.dumps(record, ensure_ascii=False) + "\n")
        out.write("]\n")
    return services_path, structures_path


# The child reports its own peak (VmHWM, reset at exec): the rusage of a forked child counts the parent too.
_PEAK = """
import sys
from generator.cli import main
code = main(sys.argv[1:]) if len(sys.argv) > 1 else 0
peak = next(l for l in open("/proc/self/status") if l.startswith("VmHWM"))
print("pic", int(peak.split()[1]))
sys.exit(code)
"""


def child(args: list[str]) -> tuple[float, int, str]:
    """(seconds, peak resident memory in KB, summary line) of the CLI run in a child process."""
    started = time.perf_counter()
    proc = subprocess.run([sys.executable, "-c", _PEAK, *args], cwd=ROOT, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    if proc.returncode != 0:
        raise SystemExit(f"échec de {' '.join(args)} :\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
    lines = proc.stdout.strip().splitlines()
    return elapsed, int(lines[-1].split()[1]), (lines[:-1] or [""])[-1]


def import_cmd(data: Path, services: Path, structures: Path) -> list[str]:
    return [
        "import-data-inclusion",
        "--data",
        str(data),
        "--services",
        str(services),
        "--structures",
        str(structures),
    ]


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def first_query_bytes(site: Path) -> int:
    """What the browser downloads for a first query: the library, entry, wasm, metadata, filters, the largest
    index chunk and ten result fragments."""
    pagefind = site / "pagefind"
    fixed = ["pagefind.js", "pagefind-worker.js", "pagefind-entry.json", "wasm.fr.pagefind"]
    total = sum((pagefind / name).stat().st_size for name in fixed if (pagefind / name).is_file())
    total += sum(p.stat().st_size for p in pagefind.glob("*.pf_meta"))
    total += size(pagefind / "filter")
    total += max((p.stat().st_size for p in (pagefind / "index").glob("*")), default=0)
    fragments = sorted(p.stat().st_size for p in (pagefind / "fragment").glob("*"))
    total += sum(fragments[-10:])
    return total


def measure(n: int, workdir: Path, repeat: int) -> dict[str, Any]:
    """Import then build a feed of n services; builds are the best of `repeat` runs."""
    feed = workdir / f"flux-{n}"
    started = time.perf_counter()
    services, structures = write_feed(feed, n)
    generated = time.perf_counter() - started
    data = workdir / f"data-{n}"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("importes"))
    baseline = child([])
    cold = child(import_cmd(data, services, structures))
    again = child(import_cmd(data, services, structures))
    checks, full, bare = [], [], []
    site = workdir / f"site-{n}"
    for run in range(repeat):  # full build and bare MkDocs interleaved: both see the same machine load
        started = time.perf_counter()
        catalogue = load_catalogue(data, ROOT / "content")
        checks.append(time.perf_counter() - started)
        if catalogue.errors:
            raise SystemExit("\n".join(p.format() for p in catalogue.errors[:20]))
        build_site(catalogue, ROOT / "content", site)
        full.append(time.perf_counter() - started)
        docs = workdir / f"docs-{n}-{run}"
        render_docs(catalogue, ROOT / "content", docs)
        config = write_mkdocs_config(docs, workdir / f"bare-{n}", workdir)
        started = time.perf_counter()
        run_mkdocs(config)
        bare.append(time.perf_counter() - started)
    check_s, full_s, bare_s = min(checks), min(full), min(bare)
    pages = [p for p in site.rglob("index.html")]
    largest = max(pages, key=lambda p: p.stat().st_size)
    fiches = [p for p in (site / "fiches").glob("*/index.html")]
    return {
        "n": n,
        "feed_mb": services.stat().st_size / 1e6,
        "generated_s": generated,
        "cold_s": cold[0],
        "rerun_s": again[0],
        "cold_line": cold[2],
        "rerun_line": again[2],
        "rss_mb": (cold[1] - baseline[1]) / 1024,
        "baseline_rss_mb": baseline[1] / 1024,
        "sheets": len(catalogue.fiches),
        "check_s": check_s,
        "full_s": full_s,
        "bare_s": bare_s,
        "largest": f"{largest.parent.relative_to(site)} ({largest.stat().st_size / 1024:.0f} Ko)",
        "largest_fiche_kb": max(p.stat().st_size for p in fiches) / 1024,
        "first_query_kb": first_query_bytes(site) / 1024,
    }


def big_file(workdir: Path, megabytes: int) -> None:
    """Peak memory of the import on a services file of about `megabytes` MB (records of ~10 KB)."""
    n = megabytes * 100  # about 10 KB per record with pad=1400
    # The national feed: about one service in twenty is in the Nord or the Pas-de-Calais.
    services, structures = write_feed(workdir / "gros", n, pad=1400, validate=False, local=0.05)
    data = workdir / "data-gros"
    shutil.copytree(ROOT / "data", data, ignore=shutil.ignore_patterns("importes"))
    baseline = child([])
    elapsed, rss, line = child(import_cmd(data, services, structures))
    print(
        f"\nGros fichier : {services.stat().st_size / 1e6:.0f} Mo de services ({n} services) : import en "
        f"{elapsed:.1f} s, pic de mémoire +{(rss - baseline[1]) / 1024:.0f} Mo ; {line}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--services", type=int, nargs="*", default=[10000, 20000])
    parser.add_argument(
        "--repeat", type=int, default=2, help="constructions par taille ; la meilleure compte"
    )
    parser.add_argument("--gros-fichier-mo", type=int, default=0, help="taille du gros fichier (0 : sans)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="partaj-bench-di-") as tmp:
        results = [measure(n, Path(tmp), args.repeat) for n in args.services]
        print(
            "| services du flux | Mo | import à froid (s) | relance (s) | mémoire (Mo) | fiches | check (s) "
            "| build complet (s) | mkdocs nu (s) | ratio | plus grosse fiche (Ko) | 1re requête (Ko) |"
        )
        print("|---|---|---|---|---|---|---|---|---|---|---|---|")
        for r in results:
            print(
                f"| {r['n']} | {r['feed_mb']:.1f} | {r['cold_s']:.1f} | {r['rerun_s']:.1f} | +{r['rss_mb']:.0f} "
                f"| {r['sheets']} | {r['check_s']:.1f} | {r['full_s']:.1f} | {r['bare_s']:.1f} "
                f"| {r['full_s'] / r['bare_s']:.2f} | {r['largest_fiche_kb']:.1f} | {r['first_query_kb']:.0f} |"
            )
        for r in results:
            print(
                f"\nN = {r['n']} : flux écrit et validé en {r['generated_s']:.1f} s ; plus grosse page : {r['largest']}"
            )
            print(f"  import : {r['cold_line']}\n  relance : {r['rerun_line']}")
            print(f"  processus de référence (imports seuls) : {r['baseline_rss_mb']:.0f} Mo")
        if len(results) >= 2:
            first, last = results[0], results[-1]
            print(
                f"\n{last['sheets']} / {first['sheets']} fiches : build × {last['full_s'] / first['full_s']:.2f}, "
                f"import × {last['cold_s'] / first['cold_s']:.2f}"
            )
        if args.gros_fichier_mo:
            big_file(Path(tmp), args.gros_fichier_mo)


if __name__ == "__main__":
    main()
