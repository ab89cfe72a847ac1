"""Benchmark of « Quelle solution pour ce jeune ? » (issue 12): `generator.trouver.trouver` over N sheets.

Usage: python bench/trouver.py [--fiches 5000] [--repeat 20]
The real criteria of data/ (dispositifs and fiches) plus N clearly fictional local actions spread over the
territories, statuses, levels, ages and thematics; for each profile of tests/generator/trouver_cas.yaml, the best
of --repeat runs of the whole ranking, against a bare loop that only filters the same sheets by age (the
baseline, measured in the same run). Target: ≤ 50 ms for 5,000 sheets.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from generator.catalogue import load_catalogue  # noqa: E402
from generator.trouver import Profil, criteres, profil_depuis, trouver  # noqa: E402

TARGET_MS = 50.0


def fictional(n: int, data: dict[str, Any]) -> list[dict[str, Any]]:
    rng = random.Random(12)
    statuts, niveaux, territoires = list(data["statuts"]), list(data["niveaux"]), list(data["territoires"])
    thematiques = list(data["thematiques"])
    offres = []
    for i in range(n):
        low = rng.choice([None, 15, 16, 18])
        offres.append(
            {
                "id": f"action-fictive-{i}",
                "genre": "fiche",
                "nom": f"Action fictive {i}",
                "tri": f"actionfictive{i}",
                "url": f"fiches/action-fictive-{i}/",
                "age_min": low,
                "age_max": rng.choice([None, 25, 29]) if low is not None else None,
                "age_max_handicap": None,
                "statuts": rng.sample(statuts, rng.randint(0, 4)),
                "niveaux": rng.sample(niveaux, rng.randint(0, 4)),
                "territoires": rng.sample(territoires, rng.randint(1, 2)),
                "thematiques": rng.sample(thematiques, rng.randint(1, 3)),
                "reserve_a": [],
                "etat": rng.choice(["en cours"] * 8 + ["terminée", "à venir"]),
                "debut": None,
                "date_maj": rng.choice(["2026-06-01", "2024-01-01"]),
                "exemple": False,
            }
        )
    return offres


def best_ms(fn: Any, repeat: int) -> float:
    best = float("inf")
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        best = min(best, (time.perf_counter() - start) * 1000)
    return best


def bare(data: dict[str, Any], profil: Profil) -> list[str]:
    """The baseline: only the age filter, nothing else."""
    age = profil.age
    return [
        o["id"]
        for o in data["offres"]
        if age is None
        or ((o["age_min"] is None or age >= o["age_min"]) and (o["age_max"] is None or age <= o["age_max"]))
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fiches", type=int, nargs="+", default=[1000, 5000])
    parser.add_argument("--repeat", type=int, default=20)
    args = parser.parse_args()
    catalogue = load_catalogue(ROOT / "data")
    assert catalogue.places is not None
    territoire_de = {insee: catalogue.territory_of(insee) for insee in catalogue.places.communes}
    cases = yaml.safe_load((ROOT / "tests" / "generator" / "trouver_cas.yaml").read_text(encoding="utf-8"))
    real = criteres(catalogue)
    for n in args.fiches:
        data = {**real, "offres": real["offres"] + fictional(n, real)}
        ranked, baseline = [], []
        for case in cases:
            params = {k: v if isinstance(v, list) else [str(v)] for k, v in case["profil"].items()}
            profil = profil_depuis(params, data, territoire_de)
            ranked.append(best_ms(lambda p=profil, d=data: trouver(d, p), args.repeat))
            baseline.append(best_ms(lambda p=profil, d=data: bare(d, p), args.repeat))
        worst = max(ranked)
        print(
            f"{len(data['offres'])} fiches, {len(cases)} profils : classement médiane {statistics.median(ranked):.1f} ms, "
            f"pire {worst:.1f} ms ; boucle nue (âge seul) médiane {statistics.median(baseline):.2f} ms "
            f"({statistics.median(ranked) / statistics.median(baseline):.1f} ×) ; objectif ≤ {TARGET_MS:.0f} ms : "
            + ("tenu" if worst <= TARGET_MS else "NON TENU")
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
