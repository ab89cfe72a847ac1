"""`/coordination/journal`: the audit log, for regional coordinators only (a coordinator gets 404)."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from forms_backend.accounts.auth import back_office, require_regional
from forms_backend.db import audit
from forms_backend.services import services
from forms_backend.vocabulary import AuditAction, AuditResult
from forms_backend.web.audit import log as log_audit
from forms_backend.web.pages import render

PER_PAGE = 50
ACTION_LABELS = {action.value: action.label for action in AuditAction}
RESULT_LABELS = {result.value: result.label for result in AuditResult}


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < len(raw) < 7 else 1


@back_office
async def journal_page(request: Request) -> Response:
    """One page of the journal, newest first; viewing it is itself recorded."""
    require_regional(request.state.user)
    svc = services(request)
    number = _page_number(request.query_params.get("page"))
    await log_audit(request, AuditAction.JOURNAL_CONSULTE, None, AuditResult.SUCCES, {"page": number})
    found = await svc.store.read(partial(audit.entries, page=number, per_page=PER_PAGE))
    context = {"journal": found, "actions": ACTION_LABELS, "results": RESULT_LABELS, "tz": svc.settings.tz}
    return render(request, "coordination/journal.html", context)
