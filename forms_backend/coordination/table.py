"""`/coordination/`: the tracking table of the user's territories, and its exports (`export.csv|xlsx|ods`).

Filters travel in the query string, except the free search: it may be a young person's name, so it is only
ever sent in the body of a POST (CSRF-checked) and the page is answered directly, with every link of the page
turned into a small POST form that carries it. No generated link contains a name.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from functools import partial
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response, StreamingResponse

from forms_backend.accounts.auth import User, back_office
from forms_backend.clock import parse_timestamp, today_in
from forms_backend.coordination import rules
from forms_backend.coordination.exports import FORMATS, Export, export_chunks
from forms_backend.coordination.rules import labels
from forms_backend.db import table as table_db
from forms_backend.db.table import Filters
from forms_backend.services import Services, services
from forms_backend.vocabulary import SOURCES, STATUTS, AuditAction, AuditResult
from forms_backend.web.audit import log as log_audit
from forms_backend.web.csrf import CSRF_FIELD
from forms_backend.web.forms import parse_date, single
from forms_backend.web.pages import error_page, render
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
        when = parse_timestamp(stamp).astimezone(self.tz)
        return when.strftime("%d/%m/%Y à %H:%M")

    def iso(self, stamp: str) -> str:
        """A stored timestamp for `<time datetime>`."""
        return parse_timestamp(stamp).isoformat()


def user_of(request: Request) -> User:
    user: User = request.state.user
    return user


def visible_territoires(catalogue: Catalogue, user: User) -> list[tuple[str, str]]:
    """(id, name) of the territories the user sees, in the catalogue's order."""
    return [(t.id, t.nom) for t in catalogue.territoires.values() if user.sees(t.id)]


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
) -> tuple[Filters, dict[str, str], dict[str, str]]:
    """The table's filters for this user; the free search only when it came in a POST body."""
    visible = [t for t, _ in visible_territoires(svc.catalogue, user)]
    if not search:
        params = {k: v for k, v in params.items() if k != "recherche"}
    return rules.filters(svc.catalogue, params, visible)


def export_label(total: int) -> str:
    """The title of the export block, in French singular or plural."""
    if total == 0:
        return "Exporter le tableau (aucune situation)"
    return "Exporter cette situation" if total == 1 else f"Exporter ces {total} situations"


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
        partial(table_db.table_page, scope=user.scope(), f=filters, tz=svc.settings.tz, per_page=PER_PAGE)
    )
    await log_audit(request, AuditAction.TABLEAU_CONSULTE, None, AuditResult.SUCCES, filters.described())
    context = {
        **common_context(request),
        "filters": filters,
        "values": values,
        "errors": errors,
        "found": found,
        "export_label": export_label(found.total),
        "territoires": visible_territoires(svc.catalogue, user),
        "sorts": rules.SORTS,
        "statuts": STATUTS,
        "sources": tuple(SOURCES),
    }
    return render(request, "coordination/tableau.html", context, 422 if errors else 200)


async def redirect_home(request: Request) -> Response:
    """`/coordination` → `/coordination/`."""
    return RedirectResponse("/coordination/", status_code=308)


@back_office
async def export_page(request: Request) -> Response:
    """GET (filters in the query string) or POST (with a free search): the file, audited before it starts."""
    svc = services(request)
    user = user_of(request)
    fmt = str(request.path_params["format"])
    if fmt not in FORMATS:
        return error_page(request, 404)
    params = await params_of(request)
    filters, _, errors = read_filters(svc, user, params, search=request.method == "POST")
    if errors:
        await log_audit(
            request, AuditAction.EXPORT, None, AuditResult.REFUSE, {"format": fmt, "erreurs": sorted(errors)}
        )
        return error_page(request, 400)
    export = Export(fmt, user.scope(), filters, single(params, "pseudonymise") in ("1", "oui"))
    await log_audit(request, AuditAction.EXPORT, None, AuditResult.SUCCES, export.details())
    media_type, _ = FORMATS[fmt]
    filename = export.filename(today_in(svc.settings.tz))
    return StreamingResponse(
        export_chunks(svc.settings.db_path, svc.catalogue, svc.settings.tz, export),
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
