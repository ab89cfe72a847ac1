"""`/coordination/observatoire`: the regional view and the annual bilan, and the export of each of its tables.

A regional account sees every territory, a coordinator theirs: the counts are read with the user's scope, like
the tracking table. Viewing the page and every export are written to the audit journal (exports before their
first byte).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import date
from functools import partial
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse

from forms_backend.accounts.auth import User, back_office
from forms_backend.coordination.exports import FORMATS
from forms_backend.coordination.rules import labels
from forms_backend.coordination.table import params_of, user_of, visible_territoires
from forms_backend.db import observatoire as observatoire_db
from forms_backend.observatoire import rules
from forms_backend.observatoire.report import Figure, figures
from forms_backend.services import Services, services
from forms_backend.vocabulary import AuditAction, AuditResult
from forms_backend.web.audit import log as log_audit
from forms_backend.web.pages import error_page, render

SECTIONS = (
    ("activite", "Activité", ("recues-mois", "territoires-statuts", "inactivite", "sans-nouvelles")),
    (
        "publics",
        "Les jeunes repérés",
        ("ages", "statut-jeune", "situation-actuelle", "niveaux", "sexes", "motifs", "cadres"),
    ),
    ("sorties", "Sorties", ("sorties",)),
    ("delais", "Délais", ("delais",)),
)


async def _figures(request: Request, svc: Services, user: User) -> tuple[rules.Choice, dict[str, Figure]]:
    params = await params_of(request)
    visible = [t for t, _ in visible_territoires(svc.catalogue, user)]
    today = svc.clock().astimezone(svc.settings.tz).date()
    c = rules.choice(params, visible, today)
    q = observatoire_db.Query(user.scope(), c.territoire, c.period.du, c.period.au, svc.settings.tz)
    months = observatoire_db.month_bounds(c.period.du, c.period.au)
    now = svc.clock()
    # Two halves on the two readers at once: the history's delays, and everything else.
    counts, (found_delays, motifs) = await asyncio.gather(
        svc.store.read(partial(observatoire_db.page_situations, q=q, months=months, now=now)),
        svc.store.read(partial(observatoire_db.page_delays, q=q)),
    )
    data = replace(counts, delays=found_delays, marginals={**counts.marginals, **motifs})
    return c, figures(data, c, labels(svc.catalogue), visible, months, now)


def _years(today: date) -> list[int]:
    return list(range(today.year + 1, 2009, -1))


@back_office
async def page(request: Request) -> Response:
    """The observatory for the period and territory of the query string (the current year by default)."""
    svc = services(request)
    user = user_of(request)
    c, found = await _figures(request, svc, user)
    details: dict[str, Any] = rules.query_of(c)
    await log_audit(request, AuditAction.OBSERVATOIRE_CONSULTE, None, AuditResult.SUCCES, details)
    today = svc.clock().astimezone(svc.settings.tz).date()
    territoires = visible_territoires(svc.catalogue, user)
    names = dict(territoires)
    context = {
        "choice": c,
        "figures": found,
        "sections": SECTIONS,
        "territoires": territoires,
        "territoire_nom": names.get(c.territoire, ""),
        "years": _years(today),
        "query": rules.query_of(c),
        "formats": (("csv", "CSV (Excel)"), ("xlsx", "XLSX"), ("ods", "ODS")),
        "today": rules.jour(today),
    }
    return render(request, "observatoire/page.html", context, 422 if c.errors else 200)


@back_office
async def export(request: Request) -> Response:
    """One table of the page as CSV (Excel in French), XLSX or ODS, for the same period and territory."""
    svc = services(request)
    user = user_of(request)
    fmt = str(request.path_params["format"])
    ident = str(request.path_params["table"])
    c, found = await _figures(request, svc, user)
    if fmt not in FORMATS or ident not in found or c.errors:
        details = {"format": fmt, "tableau": ident[:40], "erreurs": sorted(c.errors)}
        await log_audit(request, AuditAction.EXPORT_OBSERVATOIRE, None, AuditResult.REFUSE, details)
        return error_page(request, 404 if not c.errors else 400)
    figure = found[ident]
    details = {"format": fmt, "tableau": ident, **rules.query_of(c)}
    await log_audit(request, AuditAction.EXPORT_OBSERVATOIRE, None, AuditResult.SUCCES, details)
    media_type, writer = FORMATS[fmt]
    period = str(c.period.annee) if c.period.annee else f"{c.period.du.isoformat()}-{c.period.au.isoformat()}"
    suffix = f"-{c.territoire}" if c.territoire else ""
    filename = f"partaj-observatoire-{ident}-{period}{suffix}.{fmt}"
    return StreamingResponse(
        writer(list(figure.head), figure.export_rows()),
        media_type=media_type,
        headers={"content-disposition": f'attachment; filename="{filename}"'},
    )
