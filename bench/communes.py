"""Benchmark of the commune field (issue 9): the completion list's payload and the server-side check.

Usage: python bench/communes.py [--repeat 5]
Prints the size of `/formulaires/communes.json` (raw and gzip, target ≤ 30 KB gzip for the 1,534 communes of the
Nord and the Pas-de-Calais) and the time of one server-side lookup (`resolve_commune`, then the whole
`commune_rule` with the territory), per call over every commune of the referential typed loosely (lower case,
no accents or hyphens) with one of its postal codes and over as many mismatched pairs; target ≤ 1 ms. The
baseline, measured in the same run, is a plain dict lookup of the normalised name (what any lookup costs).
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
import unicodedata
from collections.abc import Callable
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from forms_backend.web.communes import commune_rule, completion_asset  # noqa: E402
from generator.catalogue import load_catalogue  # noqa: E402
from generator.places import normalise_name, resolve_commune  # noqa: E402

TARGET_GZIP_BYTES = 30 * 1024
TARGET_LOOKUP_MS = 1.0


def loosely(name: str) -> str:
    """How a hurried person types it: lower case, no accents, spaces for hyphens."""
    plain = "".join(c for c in unicodedata.normalize("NFKD", name) if not unicodedata.combining(c))
    return plain.lower().replace("-", " ")


def per_call_ms(fn: Callable[[str, str], object], pairs: list[tuple[str, str]], repeat: int) -> list[float]:
    """Per-call times in ms of `fn` over `pairs`, best of `repeat` rounds for each pair."""
    best = [float("inf")] * len(pairs)
    for _ in range(repeat):
        for i, (name, code) in enumerate(pairs):
            start = time.perf_counter()
            fn(name, code)
            best[i] = min(best[i], (time.perf_counter() - start) * 1000)
    return best


def show(label: str, times: list[float], baseline: float) -> None:
    ordered = sorted(times)
    p99 = ordered[int(len(ordered) * 0.99) - 1]
    median = statistics.median(ordered)
    print(
        f"{label:<44} médiane {median * 1000:7.1f} µs  p99 {p99 * 1000:7.1f} µs  max {ordered[-1] * 1000:7.1f} µs"
        f"  ({median / baseline:5.1f} × la référence)  objectif ≤ {TARGET_LOOKUP_MS:.0f} ms : "
        + ("tenu" if p99 <= TARGET_LOOKUP_MS else "NON TENU")
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    catalogue = load_catalogue(ROOT / "data")
    places = catalogue.places
    asset = completion_asset(catalogue)
    if places is None or asset is None:
        print("pas de référentiel des communes dans data/")
        return 1
    print(f"communes : {len(places.communes)}, anciennes communes : {len(places.anciennes)}")
    print(
        f"liste de complétion : {len(asset.body) / 1024:.1f} Ko bruts, {len(asset.gzipped) / 1024:.1f} Ko gzip "
        f"(objectif ≤ {TARGET_GZIP_BYTES / 1024:.0f} Ko : "
        + ("tenu" if len(asset.gzipped) <= TARGET_GZIP_BYTES else "NON TENU")
        + ")"
    )
    good = [(loosely(c.nom), c.codes_postaux[-1]) for c in places.communes.values()]
    codes = sorted(places.by_postal_code)
    bad = [(name, codes[(i * 7 + 3) % len(codes)]) for i, (name, _) in enumerate(good)]
    bad = [(name, code) for name, code in bad if resolve_commune(places, name, code).error]
    index = places.by_name
    baseline = statistics.median(per_call_ms(lambda n, c: index.get(normalise_name(n)), good, args.repeat))
    print(f"{'référence : dict.get(normalise_name(nom))':<44} médiane {baseline * 1000:7.1f} µs")
    show(
        "resolve_commune, paires justes",
        per_call_ms(lambda n, c: resolve_commune(places, n, c), good, args.repeat),
        baseline,
    )
    show(
        "resolve_commune, code postal faux",
        per_call_ms(lambda n, c: resolve_commune(places, n, c), bad, args.repeat),
        baseline,
    )
    rule = commune_rule(catalogue)
    today = date.today()

    def whole_rule(name: str, code: str) -> None:
        rule({"commune": name, "code_postal": code, "territoire": None, "commune_insee": ""}, {}, today)

    show("commune_rule (contrôle + territoire)", per_call_ms(whole_rule, good, args.repeat), baseline)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
