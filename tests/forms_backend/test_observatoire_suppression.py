"""Statistical disclosure control of the open-data aggregates, on constructed tables where the naive answer
(hiding only the cells under 5) leaks, attacked two ways: solving the published totals' equations one unknown at
a time, and enumerating every table consistent with everything published. Then the `agregats` command on a
real database file."""

from __future__ import annotations

import csv
import io
import json
import os
import random
import subprocess
import sys
from pathlib import Path

import pytest

from forms_backend.db.store import Store
from forms_backend.observatoire.suppression import (
    PRIMARY,
    SECONDARY,
    THRESHOLD,
    Published,
    Table,
    group_small_rows,
    protect,
    unprotected,
)
from tests.conftest import ROOT
from tests.forms_backend.conftest import SECRET
from tests.forms_backend.coordination import rows
from tests.forms_backend.test_observatoire import populate

Cell = tuple[int, int]


def equations(grid: list[list[int]]) -> list[list[tuple[Cell, int]]]:
    """Every published sum: each row's cells minus its total, each column's cells minus its total."""
    last_row, last_column = len(grid) - 1, len(grid[0]) - 1
    found = []
    for i in range(last_row + 1):
        found.append([((i, j), 1) for j in range(last_column)] + [((i, last_column), -1)])
    for j in range(last_column + 1):
        found.append([((i, j), 1) for i in range(last_row)] + [((last_row, j), -1)])
    return found


def naive(table: Table) -> Published:
    """Only the cells under 5 hidden: what a careless publication does."""
    grid = table.bordered()
    small = frozenset((i, j) for i, row in enumerate(grid) for j, v in enumerate(row) if v < THRESHOLD)
    return Published(table, grid, small, frozenset())


def known_values(published: Published) -> dict[Cell, int | None]:
    """What a reader of the file sees: a number, or None for a hidden cell."""
    shown = published.rows()
    return {
        (i, j): (v if isinstance(v, int) else None) for i, row in enumerate(shown) for j, v in enumerate(row)
    }


def propagate(published: Published) -> dict[Cell, int]:
    """The attack by elimination: any published sum with one hidden cell gives it; repeat until stuck."""
    values = known_values(published)
    found: dict[Cell, int] = {}
    progress = True
    while progress:
        progress = False
        for equation in equations(published.grid):
            unknown = [(c, k) for c, k in equation if values[c] is None]
            if len(unknown) == 1:
                (cell, coefficient), rest = unknown[0], [(c, k) for c, k in equation if values[c] is not None]
                value = -sum(k * (values[c] or 0) for c, k in rest) * coefficient
                values[cell] = found[cell] = value
                progress = True
    return found


def completions(published: Published, limit: int = 200_000) -> dict[Cell, set[int]]:
    """The attack by enumeration: every value each hidden cell takes over all the tables that agree with the
    file (margins, « < 5 » means 0 to 4, « secret » at least 5)."""
    values = known_values(published)
    hidden = [c for c, v in values.items() if v is None]
    ceiling = max(v for v in values.values() if v is not None) if any(values.values()) else 50
    domains = {
        c: range(0, THRESHOLD) if c in published.primary else range(THRESHOLD, max(ceiling, THRESHOLD) + 1)
        for c in hidden
    }
    seen: dict[Cell, set[int]] = {c: set() for c in hidden}
    eqs = equations(published.grid)
    count = [0]

    def consistent(assigned: dict[Cell, int | None]) -> bool:
        for equation in eqs:
            complete = all(assigned[c] is not None for c, _ in equation)
            if complete and sum(k * (assigned[c] or 0) for c, k in equation) != 0:
                return False
        return True

    def search(assigned: dict[Cell, int | None], todo: list[Cell]) -> None:
        count[0] += 1
        assert count[0] < limit, "enumeration too long for a test table"
        if not todo:
            for c in hidden:
                seen[c].add(assigned[c] or 0)
            return
        cell, rest = todo[0], todo[1:]
        for value in domains[cell]:
            assigned[cell] = value
            if consistent(assigned):
                search(assigned, rest)
        assigned[cell] = None

    search(dict(values), hidden)
    return seen


def table(*counts: list[int]) -> Table:
    return Table(
        tuple(f"T{i}" for i in range(len(counts))),
        tuple(f"C{j}" for j in range(len(counts[0]))),
        tuple(tuple(r) for r in counts),
    )


LEAKY = {
    "one small cell in a row": table([12, 3, 20], [15, 9, 11]),
    "a zero given away by its row total": table([0, 7, 9], [4, 9, 6], [8, 8, 8]),
    "two small cells in one column only": table([2, 10, 10], [3, 10, 12], [9, 11, 13]),
    "a small column total": table([1, 10, 10], [2, 10, 12], [0, 11, 13]),
}


@pytest.mark.parametrize("name", list(LEAKY))
def test_suppression_naive_answer_leaks_and_protected_table_does_not(name: str) -> None:
    leaky = naive(LEAKY[name])
    assert propagate(leaky), "the naive publication should leak on this table"

    published = protect(LEAKY[name])

    assert propagate(published) == {}
    assert unprotected(published.grid, published.primary, published.secondary) == []
    possible = completions(published)
    assert all(len(values) >= 2 for values in possible.values()), possible
    for cell in published.primary:
        assert published.shown(cell) == PRIMARY
        assert published.grid[cell[0]][cell[1]] < THRESHOLD
    for cell in published.secondary:
        assert published.shown(cell) == SECONDARY
    assert all(
        (isinstance(v, int) and v >= THRESHOLD) or v in (PRIMARY, SECONDARY)
        for row in published.rows()
        for v in row
    )


def test_suppression_hides_the_smallest_rectangle_around_small_cells() -> None:
    one = protect(LEAKY["one small cell in a row"])
    two = protect(LEAKY["two small cells in one column only"])

    assert one.rows() == [[SECONDARY, PRIMARY, 20, 35], [SECONDARY, SECONDARY, 11, 35], [27, 12, 31, 70]]
    assert two.rows() == [
        [PRIMARY, SECONDARY, 10, 22],
        [PRIMARY, SECONDARY, 12, 25],
        [9, 11, 13, 33],
        [14, 31, 35, 80],
    ]


def test_suppression_random_tables_resist_both_attacks() -> None:
    rng = random.Random(14)
    for _ in range(12):
        shape = rng.choice([(2, 3), (3, 3), (2, 4)])
        counts = [[rng.choice([0, 1, 2, 4, 6, 9, 13]) for _ in range(shape[1])] for _ in range(shape[0])]
        published = protect(table(*counts))
        assert propagate(published) == {}, counts
        possible = completions(published)
        assert all(len(values) >= 2 for values in possible.values()), (counts, possible)


def test_suppression_small_territories_are_grouped_by_two_at_least() -> None:
    rows_in = {"A": [20, 5], "B": [3, 1], "C": [12, 30], "D": [6, 6]}
    assert group_small_rows(rows_in) == {"A": [20, 5], "C": [12, 30], "Territoires regroupés (B, D)": [9, 7]}
    assert group_small_rows({"A": [20, 5], "B": [3, 1], "C": [30, 12]}) == {
        "C": [30, 12],
        "Territoires regroupés (B, A)": [23, 6],
    }
    assert group_small_rows({"A": [20, 5], "C": [12, 30]}) == {"A": [20, 5], "C": [12, 30]}


def test_agregats_command_writes_protected_csv_files_and_audits(tmp_path: Path) -> None:
    store = Store(tmp_path / "partaj.db")
    store.open()
    populate(store)
    store.close()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTAJ_")},
        "PARTAJ_SECRET_KEY": SECRET,
        "PARTAJ_DB": str(tmp_path / "partaj.db"),
    }
    out = tmp_path / "agregats"
    command = [sys.executable, "-m", "forms_backend", "agregats", "--annee", "2026", "--out", str(out)]
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr

    names = sorted(p.name for p in out.iterdir())
    assert len(names) == 11 and "partaj-2026-sorties.csv" in names and "partaj-2026-mois.csv" in names
    raw = (out / "partaj-2026-sorties.csv").read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    table_rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert table_rows[0][0] == "Territoire" and table_rows[0][-1] == "Total"
    # Eight territories, 7 situations in all: every territory is under 10, all grouped in one row.
    assert [r[0] for r in table_rows[1:]] == [
        "Territoires regroupés (" + ", ".join(territory_names()) + ")",
        "Ensemble",
    ]
    for r in table_rows[1:]:
        assert all(v in (PRIMARY, SECONDARY) or int(v) >= THRESHOLD for v in r[1:]), r
    for path in out.iterdir():
        text = path.read_bytes().decode("utf-8-sig")
        assert "Test" not in text and "RUP-" not in text
        for line in list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))[1:]:
            assert all(v in (PRIMARY, SECONDARY) or int(v) >= THRESHOLD for v in line[1:]), (path.name, line)
    ((details,),) = rows(tmp_path / "partaj.db", "SELECT details FROM audit WHERE action = 'agregats'")
    assert json.loads(details) == {"annee": 2026, "destination": str(out), "fichiers": 11}


def territory_names() -> list[str]:
    import yaml  # only this test reads the territories' file directly

    data = yaml.safe_load((ROOT / "data" / "territoires.yaml").read_text("utf-8"))
    return [t["nom"] for t in data["territoires"]]
