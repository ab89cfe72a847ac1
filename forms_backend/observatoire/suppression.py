"""Statistical disclosure control of the published aggregates (README, « Données ouvertes »), pure.

A published table is a count table (rows: territories, columns: categories) with its row totals, column totals
and grand total. Rules:
1. territories with fewer than `MIN_ROW` situations are grouped into one row (at least two territories, and
   at least `MIN_ROW` situations, taking the smallest other territories if needed);
2. primary suppression: every cell under `THRESHOLD` (0 to 4), totals included, is written « < 5 »;
3. secondary suppression: more cells (written « secret ») until no suppressed cell can be recomputed from
   the published figures, totals included. The attacker is assumed to know that a « < 5 » cell holds 0 to 4
   and a « secret » cell at least 5.

Why it holds: in the table bordered by its totals (totals counted negatively, grand total positively), every
row and column sums to zero; the other tables with the same published figures differ from it by sums of
alternating ±1 cycles through suppressed cells. A suppressed cell is safe when a cycle through it can move by
one unit (both ways or one) without leaving any suppressed cell's known bounds: then at least two tables agree
with everything published, and they differ on that cell. `unprotected` checks exactly this.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

THRESHOLD = 5
MIN_ROW = 10
PRIMARY = "< 5"
SECONDARY = "secret"
GROUPED = "Territoires regroupés"
# The search for a cycle stops after this many steps for one cell: the cell then counts as unprotected.
SEARCH_BUDGET = 20_000

Cell = tuple[int, int]


@dataclass(frozen=True)
class Table:
    """Counts by row and column, with their labels."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    counts: tuple[tuple[int, ...], ...]

    def bordered(self) -> list[list[int]]:
        """The counts with a total column, a total row and the grand total."""
        grid = [[*row, sum(row)] for row in self.counts]
        totals = [sum(row[j] for row in grid) for j in range(len(self.columns) + 1)]
        return [*grid, totals]


@dataclass(frozen=True)
class Published:
    """A table as published: the bordered grid, the cells written « < 5 » and those written « secret »."""

    table: Table
    grid: list[list[int]]
    primary: frozenset[Cell]
    secondary: frozenset[Cell]

    def shown(self, cell: Cell) -> int | str:
        if cell in self.primary:
            return PRIMARY
        if cell in self.secondary:
            return SECONDARY
        return self.grid[cell[0]][cell[1]]

    def rows(self) -> list[list[int | str]]:
        """Each row (the total row last) as its published cells, totals last."""
        return [[self.shown((i, j)) for j in range(len(row))] for i, row in enumerate(self.grid)]


def group_small_rows(rows: dict[str, list[int]], minimum: int = MIN_ROW) -> dict[str, list[int]]:
    """Rows (territories) with fewer than `minimum` situations merged into `GROUPED`, named after them; the
    group takes the smallest other rows until it holds two rows and `minimum` situations, or holds them all."""
    small = [name for name, values in rows.items() if sum(values) < minimum]
    if not small:
        return dict(rows)
    others = sorted((n for n in rows if n not in small), key=lambda n: (sum(rows[n]), n))
    group = list(small)
    while others and (len(group) < 2 or sum(sum(rows[n]) for n in group) < minimum):
        group.append(others.pop(0))
    width = len(next(iter(rows.values())))
    merged = [sum(rows[n][j] for n in group) for j in range(width)]
    kept = {name: values for name, values in rows.items() if name not in group}
    kept[f"{GROUPED} ({', '.join(group)})"] = merged
    return kept


def _sign(cell: Cell, last_row: int, last_column: int) -> int:
    """+1 for inner cells and the grand total, -1 for totals: every row and column then sums to zero."""
    i, j = cell
    return -1 if (i == last_row) != (j == last_column) else 1


def _allowed(value: int, cell: Cell, primary: frozenset[Cell]) -> bool:
    return 0 <= value < THRESHOLD if cell in primary else value >= THRESHOLD


def _movable(grid: list[list[int]], start: Cell, primary: frozenset[Cell], hidden: frozenset[Cell]) -> bool:
    """Whether a cycle of hidden cells through `start` can move by one unit within the known bounds."""
    last_row, last_column = len(grid) - 1, len(grid[0]) - 1
    by_row: dict[int, list[int]] = {}
    by_column: dict[int, list[int]] = {}
    for i, j in sorted(hidden):
        by_row.setdefault(i, []).append(j)
        by_column.setdefault(j, []).append(i)
    budget = [SEARCH_BUDGET]

    def fits(cell: Cell, parity: int, direction: int) -> bool:
        change = direction * parity * _sign(cell, last_row, last_column)
        return _allowed(grid[cell[0]][cell[1]] + change, cell, primary)

    def walk(
        node: int, on_row: bool, parity: int, rows: set[int], columns: set[int], ways: tuple[bool, bool]
    ) -> bool:
        # At a column node (on_row False) the path continues by a cell of that column to another row, etc.
        budget[0] -= 1
        if budget[0] < 0:
            return False
        neighbours = by_row.get(node, []) if on_row else by_column.get(node, [])
        for other in neighbours:
            cell = (node, other) if on_row else (other, node)
            if cell == start:
                continue
            moved = tuple(ok and fits(cell, parity, d) for ok, d in zip(ways, (1, -1), strict=True))
            if not any(moved):
                continue
            if not on_row and other == start[0]:
                return True
            seen = columns if on_row else rows
            if other in seen:
                continue
            seen.add(other)
            if walk(other, not on_row, -parity, rows, columns, (moved[0], moved[1])):
                return True
            seen.discard(other)
        return False

    ways = (fits(start, 1, 1), fits(start, 1, -1))
    if not any(ways):
        return False
    return walk(start[1], False, -1, {start[0]}, {start[1]}, ways)


def unprotected(grid: list[list[int]], primary: frozenset[Cell], secondary: frozenset[Cell]) -> list[Cell]:
    """The suppressed cells that the published figures determine exactly (see the module's docstring)."""
    hidden = primary | secondary
    return [cell for cell in sorted(hidden) if not _movable(grid, cell, primary, hidden)]


def _first_unprotected(
    grid: list[list[int]], primary: frozenset[Cell], hidden: frozenset[Cell]
) -> Cell | None:
    return next((c for c in sorted(hidden) if not _movable(grid, c, primary, hidden)), None)


def protect(table: Table) -> Published:
    """Primary then secondary suppression (module docstring). Each round takes the first cell still
    recomputable and hides more: a cell of its row or column that protects it at once, else any cell that does,
    else the cheapest pair that does, else the best cell of its row or column (a cycle over several rounds).
    Inner cells are tried first, totals only when no inner cell will do (a total is the same number in other
    tables of the same population); among equals, one whose row and column already hold a hidden cell, then
    the smallest."""
    grid = table.bordered()
    last_row, last_column = len(grid) - 1, len(grid[0]) - 1
    every = [(i, j) for i in range(last_row + 1) for j in range(last_column + 1)]
    primary = frozenset(c for c in every if grid[c[0]][c[1]] < THRESHOLD)
    secondary: frozenset[Cell] = frozenset()
    while (target := _first_unprotected(grid, primary, primary | secondary)) is not None:
        hidden = primary | secondary
        visible = [c for c in every if c not in hidden]
        inner = [c for c in visible if c[0] != last_row and c[1] != last_column]
        added = _next_hidden(grid, primary, hidden, target, inner) or _next_hidden(
            grid, primary, hidden, target, visible
        )
        if not added:
            break
        secondary = secondary | added
    return Published(table, grid, primary, secondary)


def _next_hidden(
    grid: list[list[int]], primary: frozenset[Cell], hidden: frozenset[Cell], target: Cell, pool: list[Cell]
) -> frozenset[Cell]:
    """The cells of `pool` to hide next for `target` (see `protect`); empty when the pool has none."""
    line = [c for c in pool if c[0] == target[0] or c[1] == target[1]]

    def rank(c: Cell) -> tuple[int, ...]:
        crossing = any(h[0] == c[0] for h in hidden) and any(h[1] == c[1] for h in hidden)
        return (0 if crossing else 1, grid[c[0]][c[1]], c[0], c[1])

    def fixes(*cells: Cell) -> bool:
        return _movable(grid, target, primary, hidden | set(cells))

    for candidates in (line, pool):
        choice = min((c for c in candidates if fixes(c)), key=rank, default=None)
        if choice is not None:
            return frozenset({choice})
    pairs = [
        (grid[a[0]][a[1]] + grid[b[0]][b[1]], a, b) for a in line for b in pool if b != a and fixes(a, b)
    ]
    if pairs:
        _, a, b = min(pairs)
        return frozenset({a, b})
    fallback = min(line, key=rank, default=None)
    return frozenset({fallback}) if fallback is not None else frozenset()


def table_of(rows: dict[str, list[int]], columns: Sequence[str]) -> Table:
    """A `Table` from rows of counts in the columns' order."""
    return Table(tuple(rows), tuple(columns), tuple(tuple(v) for v in rows.values()))
