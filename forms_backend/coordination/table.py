"""`/coordination/`: the tracking table of the user's territories, and the agenda of each CTL meeting.

Filters travel in the query string, except the free search: it may be a young person's name, so it is only
ever sent in the body of a POST (CSRF-checked) and the page is answered directly, with every link of the page
turned into a small POST form that carries it. No generated link contains a name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import partial
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms_backend.accounts.auth import User, back_office
from forms_backend.coordination import rules as tracking
from forms_backend.db import audit
from forms_backend.db import tracking as tracking_store
from forms_backend.public.forms import BAD_DATE, parse_date, today_in
from forms_backend.services import Services, services
from forms_backend.web.pages import error_page, render
from forms_backend.web.security import CSRF_FIELD
from generator.catalogue import Catalogue

PER_PAGE = 50


@dataclass(frozen=True)
class Formats:
    """Dates as French users read them, for the templates."""

    tz: ZoneInfo

    def jour(self, value: str | date | None) -> str:
        """`AAAA-MM-JJ` (or a date) as `JJ/MM/AAAA`; a year or year-month alone (anonymised) as it is."""
        if value is None or value == "":
            return "—"
        if isinstance(value, date):
            return value.strftime("%d/%m/%Y")
        parsed = parse_date(value) if len(value) == 10 else None
        return parsed.strftime("%d/%m/%Y") if parsed else value

    def moment(self, stamp: str | None) -> str:
        """A stored UTC timestamp as local `JJ/MM/AAAA à HH:MM`."""
        if not stamp:
            return "—"
        when = datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).astimezone(self.tz)
        return when.strftime("%d/%m/%Y à %H:%M")

    def iso(self, stamp: str) -> str:
        """A stored timestamp for `<time datetime>`."""
        return datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=UTC).isoformat()


def user_of(request: Request) -> User:
    user: User = request.state.user
    return user


def visible_territoires(catalogue: Catalogue, user: User) -> list[tuple[str, str]]:
    """(id, name) of the territories the user sees, in the catalogue's order."""
    return [(t.id, t.nom) for t in catalogue.territoires.values() if user.sees(t.id)]


def labels(catalogue: Catalogue) -> dict[str, dict[str, str]]:
    """Every label a back-office page shows, by list."""
    found = {
        name: dict(catalogue.choices(name))
        for name in (
            "statuts_situation",
            "sorties",
            "motifs_sans_suite",
            "sexes",
            "suivi_structures",
            "niveaux",
            "secteurs",
            "cadres_rupture",
            "motifs_rupture",
            "situations_actuelles",
            "statuts",
            "besoins",
            "orienteurs",
        )
    }
    found["territoires"] = {t.id: t.nom for t in catalogue.territoires.values()}
    found["sources"] = dict(tracking.SOURCE_LABELS)
    found["dispositif"] = {i: d.nom for i, d in catalogue.dispositifs.items()}
    found["fiche"] = {i: f.nom for i, f in catalogue.fiches.items()}
    return found


def common_context(request: Request) -> dict[str, Any]:
    """What every back-office page of the tracking table needs."""
    svc = services(request)
    return {
        "csrf_field": CSRF_FIELD,
        "fmt": Formats(svc.settings.tz),
        "labels": labels(svc.catalogue),
        "today": today_in(svc.settings.tz),
    }


async def params_of(request: Request) -> dict[str, list[str]]:
    """The query string of a GET, the form of a POST, as lists of strings."""
    found: dict[str, list[str]] = {}
    source = await request.form() if request.method == "POST" else request.query_params
    for name, value in source.multi_items():
        if isinstance(value, str):
            found.setdefault(name, []).append(value)
    return found


def read_filters(
    svc: Services, user: User, params: Mapping[str, Sequence[str]], *, search: bool
) -> tuple[tracking.Filters, dict[str, str], dict[str, str]]:
    """The table's filters for this user; the free search only when it came in a POST body."""
    visible = [t for t, _ in visible_territoires(svc.catalogue, user)]
    if not search:
        params = {k: v for k, v in params.items() if k != "recherche"}
    return tracking.filters(svc.catalogue, params, visible)


@back_office
async def table(request: Request) -> Response:
    """The tracking table: GET with filters in the query string; POST when a free search is typed."""
    svc = services(request)
    user = user_of(request)
    params = await params_of(request)
    filters, values, errors = read_filters(svc, user, params, search=request.method == "POST")
    if request.method == "POST" and not filters.recherche and not errors:
        # Without a search term, the filters belong in the address: it can be bookmarked and shared.
        query = urlencode(filters.query())
        return RedirectResponse("/coordination/" + (f"?{query}" if query else ""), status_code=303)
    found = await svc.store.read(
        partial(
            tracking_store.table_page, scope=user.scope(), f=filters, tz=svc.settings.tz, per_page=PER_PAGE
        )
    )
    await audit.log(request, "tableau-consulte", None, "succes", filters.described())
    context = {
        **common_context(request),
        "filters": filters,
        "values": values,
        "errors": errors,
        "found": found,
        "territoires": visible_territoires(svc.catalogue, user),
        "sorts": tracking.SORTS,
        "statuts": tracking.STATUTS,
        "sources": tracking.SOURCES,
    }
    return render(request, "coordination/tableau.html", context, 422 if errors else 200)


@back_office
async def agenda_index(request: Request) -> Response:
    """The coming CTL meetings of the user's territories, each with its number of situations."""
    svc = services(request)
    user = user_of(request)
    typed = request.query_params.get("jour", "").strip()[:10]
    if typed:
        day = parse_date(typed)
        if day is not None:
            return RedirectResponse(f"/coordination/ctl/{day.isoformat()}", status_code=303)
    today = today_in(svc.settings.tz)
    dates = await svc.store.read(partial(tracking_store.agenda_dates, scope=user.scope(), since=today))
    context = {
        **common_context(request),
        "dates": dates,
        "typed": typed,
        "error": BAD_DATE if typed else "",
    }
    return render(request, "coordination/agenda_index.html", context, 422 if typed else 200)


@back_office
async def agenda(request: Request) -> Response:
    """The agenda of one CTL meeting: the situations to examine that day, printable."""
    svc = services(request)
    user = user_of(request)
    raw = str(request.path_params["jour"])
    day = parse_date(raw) if len(raw) == 10 else None
    if day is None:
        return error_page(request, 404)
    items = await svc.store.read(partial(tracking_store.agenda, scope=user.scope(), day=day))
    await audit.log(request, "agenda-consulte", day.isoformat(), "succes", {"situations": len(items)})
    context = {**common_context(request), "day": day, "items": items}
    return render(request, "coordination/agenda.html", context)


async def redirect_home(request: Request) -> Response:
    """`/coordination` → `/coordination/`."""
    return RedirectResponse("/coordination/", status_code=308)
