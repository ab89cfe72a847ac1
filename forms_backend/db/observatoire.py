"""Queries of the observatory: every figure is a GROUP BY count done by SQLite, never rows counted in Python.

The page reads counts summed over the user's territories (`PAGE`, `page_situations`, `page_delays`), each
streaming through an index of migration 9; the open data reads territory × value tables (`DIMENSIONS`,
`crosstabs`). The situations counted are those the tracking table shows with the same filters (`table.where`:
scope, territory, reception period), so a figure's link opens exactly its rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlite_utils import Database

from forms_backend.clock import timestamp
from forms_backend.db import migrations_observatoire, table
from forms_backend.db.table import Filters, Scope
from forms_backend.vocabulary import CLOSED

# Age in whole years on the (UTC) date of reception, by bucket; a birth date reduced to its year (anonymised) is
# unknown. Written once, in the migration that indexes it: the page's query uses the very same expression.
AGE_BUCKET = migrations_observatoire.AGE_BUCKET
_RUPTURE = " JOIN rapports_rupture r ON r.situation_id = s.id"
_ORIENTATION = " JOIN orientations o ON o.situation_id = s.id"
_CLOSED = "('" + "', '".join(sorted(CLOSED)) + "')"

# dimension → (grouped columns, joins, extra condition): the territory × value tables of the open data.
DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "source": ("s.source", "", ""),
    "statut": ("s.statut", "", ""),
    "sexe": ("s.sexe", "", ""),
    "age": (AGE_BUCKET, "", ""),
    "niveau_rupture": ("r.niveau", _RUPTURE, ""),
    "niveau_orientation": ("o.niveau", _ORIENTATION, ""),
    "statut_jeune": ("o.statut_jeune", _ORIENTATION, ""),
    "situation_actuelle": ("r.situation_actuelle", _RUPTURE, ""),
    "cadre_rupture": ("r.cadre_rupture", _RUPTURE, ""),
    "motif": ("m.motif", " JOIN rupture_motifs m ON m.situation_id = s.id", ""),
    "issue": ("s.statut || '|' || coalesce(s.sortie, '')", "", f"s.statut IN {_CLOSED}"),
}


def _detail(table: str, alias: str, index: str) -> str:
    return f"{table} {alias} INDEXED BY {index} JOIN situations s INDEXED BY situations_obs_periode ON s.id = {alias}.situation_id"


# The same counts summed over the user's territories, for the page: each one streams through an index of
# migration 9 that starts with the counted value (no sort), the situations' period and territory read from
# the covering index `situations_obs_periode` (id, territory, reception).
PAGE: dict[str, tuple[tuple[str, ...], str, str]] = {
    "source": (("s.source",), "situations s INDEXED BY situations_obs_source", ""),
    "sexe": (("s.sexe",), "situations s INDEXED BY situations_obs_sexe", ""),
    "age": ((AGE_BUCKET,), "situations s INDEXED BY situations_obs_age", ""),
    "issue": (
        ("s.statut", "s.sortie"),
        "situations s INDEXED BY situations_obs_statut",
        f"s.statut IN {_CLOSED}",
    ),
    "niveau_rupture": (("r.niveau",), _detail("rapports_rupture", "r", "rapports_rupture_obs_niveau"), ""),
    "niveau_orientation": (("o.niveau",), _detail("orientations", "o", "orientations_obs_niveau"), ""),
    "statut_jeune": (("o.statut_jeune",), _detail("orientations", "o", "orientations_obs_statut"), ""),
    "situation_actuelle": (
        ("r.situation_actuelle",),
        _detail("rapports_rupture", "r", "rapports_rupture_obs_situation"),
        "",
    ),
    "cadre_rupture": (
        ("r.cadre_rupture",),
        _detail("rapports_rupture", "r", "rapports_rupture_obs_cadre"),
        "",
    ),
    "motif": (("m.motif",), _detail("rupture_motifs", "m", "rupture_motifs_obs"), ""),
}


@dataclass(frozen=True)
class Query:
    """Which situations the figures count: the user's scope, one territory or all, the reception period."""

    scope: Scope
    territoire: str
    du: date
    au: date
    tz: ZoneInfo

    def where(self, extra: str = "") -> tuple[str, list[Any]]:
        clause, params = table.where(
            self.scope, Filters(territoire=self.territoire, du=self.du, au=self.au), self.tz
        )
        if extra:
            clause = (clause + " AND " if clause else " WHERE ") + extra
        return clause, params


Counts = dict[tuple[str, str], int]


def crosstab(db: Database, q: Query, dimension: str) -> Counts:
    """(territory, value) → number of situations received in the period (of mentions, for motifs)."""
    expression, joins, extra = DIMENSIONS[dimension]
    clause, params = q.where(extra)
    sql = f"SELECT s.territoire, {expression}, count(*) FROM situations s{joins}{clause} GROUP BY 1, 2"
    return {(str(t), v or ""): int(n) for t, v, n in db.execute(sql, params).fetchall()}


def marginal(db: Database, q: Query, dimension: str) -> dict[str, int]:
    """value → number of situations (of mentions, for motifs) received in the period, over the scope."""
    columns, source, extra = PAGE[dimension]
    clause, params = q.where(extra)
    grouped = ", ".join(str(i) for i in range(1, len(columns) + 1))
    sql = f"SELECT {', '.join(columns)}, count(*) FROM {source}{clause} GROUP BY {grouped}"
    found: dict[str, int] = {}
    for *values, n in db.execute(sql, params).fetchall():
        key = "|".join(v or "" for v in values)
        found[key] = found.get(key, 0) + int(n)
    return found


def _utc_bound(day: date, tz: ZoneInfo) -> str:
    """The stored timestamp of local midnight at the start of `day` (as the tracking table's filters)."""
    return timestamp(datetime.combine(day, time(), tzinfo=tz))


def month_bounds(du: date, au: date) -> list[tuple[date, date]]:
    """The calendar months the period touches, each as (first day, last day) clipped to the period."""
    months = []
    start = du
    while start <= au:
        following = (start.replace(day=1) + timedelta(days=32)).replace(day=1)
        months.append((start, min(au, following - timedelta(days=1))))
        start = following
    return months


def by_month(db: Database, q: Query, months: Sequence[tuple[date, date]]) -> dict[tuple[str, int, str], int]:
    """(territory, month index, source) → situations received; months as `month_bounds` gives them."""
    cases = " ".join(f"WHEN s.created_at < ? THEN {i}" for i in range(len(months)))
    ends = [_utc_bound(end + timedelta(days=1), q.tz) for _, end in months]
    clause, params = q.where()
    sql = (
        f"SELECT s.territoire, CASE {cases} END AS mois, s.source, count(*) FROM situations s{clause} "
        "GROUP BY 1, 2, 3"
    )
    rows = db.execute(sql, [*ends, *params]).fetchall()
    return {(str(t), int(m), str(src)): int(n) for t, m, src, n in rows}


def page_months(db: Database, q: Query, months: Sequence[tuple[date, date]]) -> dict[tuple[int, str], int]:
    """(month index, source) → situations received, over the scope: one streaming count per month."""
    (expression,), source, _ = PAGE["source"]
    found: dict[tuple[int, str], int] = {}
    for i, (first, last) in enumerate(months):
        clause, params = replace(q, du=first, au=last).where()
        for value, n in db.execute(f"SELECT {expression}, count(*) FROM {source}{clause} GROUP BY 1", params):
            found[(i, str(value))] = int(n)
    return found


# The first event of each step, read from `suivi_evenements_etapes` (migration 9). The status chain only moves
# forward (`vocabulary.allowed_next`): a situation has at most one event entering `a-examiner-en-ctl` and one
# closing it, so those join directly; solutions may be several, the first one counts.
STEPS = {
    "examen": "e.genre = 'statut' AND e.statut = 'a-examiner-en-ctl'",
    "solution": "e.genre = 'solution' AND e.statut IS NULL",
    "cloture": f"e.genre = 'statut' AND e.statut IN {_CLOSED}",
}
_FIRST_SOLUTION = (
    "(SELECT e.situation_id, min(e.at) AS at FROM suivi_evenements e INDEXED BY suivi_evenements_etapes "
    f"WHERE {STEPS['solution']} GROUP BY e.situation_id) e"
)


def delays(db: Database, q: Query, step: str) -> dict[int, int]:
    """Whole days from reception to the step's first event → situations received in the period."""
    if step == "solution":
        events, condition = _FIRST_SOLUTION, "s.id = e.situation_id"
    else:
        events = "suivi_evenements e INDEXED BY suivi_evenements_etapes"
        condition = f"{STEPS[step]} AND s.id = e.situation_id"
    clause, params = q.where(condition)
    # CROSS JOIN: the events drive (one index range per step), each looking up its situation's period.
    sql = (
        "SELECT CAST(julianday(e.at) - julianday(s.created_at) AS INTEGER) AS jours, count(*) "
        f"FROM {events} CROSS JOIN situations s{clause} GROUP BY 1"
    )
    found: dict[int, int] = {}
    for days, n in db.execute(sql, params).fetchall():
        found[max(0, int(days))] = found.get(max(0, int(days)), 0) + int(n)
    return found


@dataclass(frozen=True)
class Inactivity:
    """Open situations by the age of their last activity, and the oldest of those without news."""

    buckets: dict[str, int]
    sans_nouvelles: list[dict[str, Any]]


INACTIVITY_DAYS = (("moins-7", 0, 7), ("7-29", 7, 30), ("30-89", 30, 90), ("90-plus", 90, None))


def inactivity(db: Database, scope: Scope, territoire: str, now: datetime, limit: int = 200) -> Inactivity:
    """Every open situation (whatever its reception date), by days since its last activity: under 7, 7 to 29,
    30 to 89, 90 and more (one index range each); and those without any activity for 30 days, oldest first
    (at most `limit`)."""
    clause, params = table.where(scope, Filters(territoire=territoire), ZoneInfo("UTC"))
    clause = (clause + " AND " if clause else " WHERE ") + f"s.statut NOT IN {_CLOSED}"
    buckets = {}
    for name, newest, oldest in INACTIVITY_DAYS:
        bounds = [timestamp(now - timedelta(days=newest))]
        condition = " AND s.updated_at < ?"
        if oldest is not None:
            condition += " AND s.updated_at >= ?"
            bounds.append(timestamp(now - timedelta(days=oldest)))
        sql = f"SELECT count(*) FROM situations s INDEXED BY situations_activite{clause}{condition}"
        buckets[name] = int(db.execute(sql, [*params, *bounds]).fetchone()[0])
    cursor = db.execute(
        "SELECT s.id, s.reference, s.territoire, s.statut, s.updated_at, s.prochaine_ctl FROM situations s"
        f"{clause} AND s.updated_at < ? ORDER BY s.updated_at, s.id LIMIT ?",
        [*params, timestamp(now - timedelta(days=30)), limit],
    )
    names = [d[0] for d in cursor.description]
    listed = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    return Inactivity(buckets, listed)


@dataclass(frozen=True)
class PageCounts:
    """Every count of the page: values over the scope, statuses by territory, months, delays, open situations."""

    marginals: dict[str, dict[str, int]]
    statuts: Counts
    months: dict[tuple[int, str], int]
    delays: dict[str, dict[int, int]]
    inactivity: Inactivity | None


def page_situations(db: Database, q: Query, months: Sequence[tuple[date, date]], now: datetime) -> PageCounts:
    """The page's counts read from `situations` and its details (half of the page, for one reader)."""
    marginals = {dimension: marginal(db, q, dimension) for dimension in PAGE if dimension not in _WITH_DELAYS}
    found_inactivity = inactivity(db, q.scope, q.territoire, now)
    return PageCounts(marginals, crosstab(db, q, "statut"), page_months(db, q, months), {}, found_inactivity)


# Read with the delays, so that both halves of the page take about as long.
_WITH_DELAYS = ("motif",)


def page_delays(db: Database, q: Query) -> tuple[dict[str, dict[int, int]], dict[str, dict[str, int]]]:
    """The page's delays, read from the follow-up history, and the motifs (the other half, another reader)."""
    return {step: delays(db, q, step) for step in STEPS}, {d: marginal(db, q, d) for d in _WITH_DELAYS}


@dataclass(frozen=True)
class Crosstabs:
    """Territory × value counts of every dimension, and territory × month × source: the open data."""

    crosstabs: dict[str, Counts]
    months: dict[tuple[str, int, str], int]


def crosstabs(db: Database, q: Query, months: Sequence[tuple[date, date]]) -> Crosstabs:
    """Every territory × value table of the period."""
    return Crosstabs({d: crosstab(db, q, d) for d in DIMENSIONS}, by_month(db, q, months))
