"""Benchmark of the guide build with N clearly fictional fiches, against a bare `mkdocs build` baseline.

Usage: python bench/guide_build.py --fiches 1000 5000
Prints, for each N (best of --repeat runs): check time, full build time (check + render + MkDocs + Pagefind + exports), the bare MkDocs
build of the same pre-rendered pages measured in the same run, site size, largest fiche page, search payload.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.build import build_site, render_docs, run_mkdocs, write_mkdocs_config  # noqa: E402
from generator.catalogue import load_catalogue  # noqa: E402

TERRITOIRES = [
    t["id"] for t in yaml.safe_load((ROOT / "data" / "territoires.yaml").read_text("utf-8"))["territoires"]
]
THEMES = [
    "remobilisation",
    "se-former",
    "choisir-un-metier",
    "trouver-un-emploi",
    "mobilite",
    "logement-hebergement",
]
FICTIVE_STRUCTURE = """\
# Structure fictive créée par bench/guide_build.py : elle n'existe pas.
id: structure-fictive
nom: Structure fictive de test
site_web: https://example.org
date_maj: 2026-11-01
exemple: true
"""


def fiche(i: int) -> str:
    """One clearly fictional fiche (exemple: true, example.org contacts)."""
    territoire = TERRITOIRES[i % len(TERRITOIRES)]
    theme = THEMES[i % len(THEMES)]
    return f"""\
id: fiche-fictive-{i:05d}
nom: Action fictive numéro {i} de remobilisation
description: >-
  Fiche fictive générée pour mesurer la construction du guide. Atelier collectif de remobilisation
  et de découverte des métiers pour des jeunes en décrochage, avec un accompagnement individuel.
type: atelier
thematiques: [{theme}, remobilisation]
publics: [jeunes]
date_maj: 2026-11-01
famille_solution: remobilisation
territoires: [{territoire}]
volet: [{"prevention" if i % 2 else "reparation"}]
porteur: structure-fictive
age_min: 16
age_max: 25
statuts: [sans-activite, demandeur-emploi]
niveaux: [infra-3, "3"]
prescripteurs: [mission-locale, mlds]
courriel: contact-{i}@example.org
mobilisation_precisions: Orientation par un professionnel, puis entretien d'accueil.
beneficiaires: {{min: 10, max: 20}}
exemple: true
"""


def make_data(n: int, workdir: Path) -> Path:
    """A copy of data/ plus N fictional fiches, in a temporary folder (never in data/)."""
    data = workdir / "data"
    shutil.copytree(ROOT / "data", data)
    (data / "structures" / "structure-fictive.yaml").write_text(FICTIVE_STRUCTURE, encoding="utf-8")
    for i in range(n):
        (data / "fiches" / f"fiche-fictive-{i:05d}.yaml").write_text(fiche(i), encoding="utf-8")
    return data


def size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def measure(n: int, content: Path, repeat: int) -> dict[str, float]:
    """Best of `repeat` runs, full build and bare MkDocs interleaved so both see the same machine load."""
    with tempfile.TemporaryDirectory(prefix="partaj-bench-") as tmp:
        workdir = Path(tmp)
        data = make_data(n, workdir)
        full, bare, checks = [], [], []
        for run in range(repeat):
            started = time.perf_counter()
            catalogue = load_catalogue(data, content)
            checks.append(time.perf_counter() - started)
            if catalogue.errors:
                raise SystemExit("\n".join(p.format() for p in catalogue.errors[:20]))
            site = workdir / "site"
            build_site(catalogue, content, site)
            full.append(time.perf_counter() - started)
            # Baseline: the same pre-rendered pages through a bare `mkdocs build`.
            docs = workdir / f"docs-{run}"
            render_docs(catalogue, content, docs)
            config = write_mkdocs_config(docs, workdir / "bare-site", workdir)
            started = time.perf_counter()
            run_mkdocs(config)
            bare.append(time.perf_counter() - started)
        fiche_pages = list((site / "fiches").glob("*/index.html"))
        largest = max(p.stat().st_size for p in fiche_pages)
        return {
            "n": n,
            "check_s": min(checks),
            "full_s": min(full),
            "bare_s": min(bare),
            "ratio": min(full) / min(bare),
            "site_mb": size(site) / 1e6,
            "largest_fiche_kb": largest / 1024,
            "search_mb": size(site / "pagefind") / 1e6,
        }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--fiches", type=int, nargs="+", default=[1000])
    parser.add_argument("--content", type=Path, default=ROOT / "content")
    parser.add_argument("--repeat", type=int, default=3, help="runs per size; the best run is kept")
    args = parser.parse_args()
    results = [measure(n, args.content, args.repeat) for n in args.fiches]
    print(
        "| N fiches | check (s) | build complet (s) | mkdocs nu (s) | ratio | site (Mo) | + grosse fiche (Ko) | index (Mo) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['n']:.0f} | {r['check_s']:.2f} | {r['full_s']:.1f} | {r['bare_s']:.1f} | {r['ratio']:.2f} "
            f"| {r['site_mb']:.1f} | {r['largest_fiche_kb']:.1f} | {r['search_mb']:.1f} |"
        )
    if len(results) >= 2:
        first, last = results[0], results[-1]
        print(f"\n{last['n']:.0f} / {first['n']:.0f} fiches : build × {last['full_s'] / first['full_s']:.2f}")


if __name__ == "__main__":
    main()
