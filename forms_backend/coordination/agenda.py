"""`/coordination/ctl/`: the coming CTL meetings of the user's territories, and the printable agenda of each."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from forms_backend.accounts.auth import back_office
from forms_backend.clock import today_in
from forms_backend.coordination.table import common_context, user_of
from forms_backend.db import table as table_db
from forms_backend.services import services
from forms_backend.vocabulary import AuditAction, AuditResult
from forms_backend.web.audit import log as log_audit
from forms_backend.web.forms import BAD_DATE, parse_date
from forms_backend.web.pages import error_page, render


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
    dates = await svc.store.read(partial(table_db.agenda_dates, scope=user.scope(), since=today))
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
    items = await svc.store.read(partial(table_db.agenda, scope=user.scope(), day=day))
    await log_audit(
        request, AuditAction.AGENDA_CONSULTE, day.isoformat(), AuditResult.SUCCES, {"situations": len(items)}
    )
    context = {**common_context(request), "day": day, "items": items}
    return render(request, "coordination/agenda.html", context)
