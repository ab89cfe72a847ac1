"""Recording an audit entry from a request handler, as the logged-in user (`request.state.user`, if any)."""

from __future__ import annotations

from functools import partial
from typing import Any

from starlette.requests import Request

from forms_backend.db import audit
from forms_backend.services import services
from forms_backend.vocabulary import AuditAction, AuditResult


async def log(
    request: Request,
    action: AuditAction,
    target: str | None,
    result: AuditResult,
    details: dict[str, Any] | None = None,
) -> None:
    """Append one entry through the app's writer; returns once it is on disk."""
    svc = services(request)
    user = getattr(request.state, "user", None)
    await svc.store.write(
        partial(
            audit.record,
            user_id=user.id if user else None,
            email=user.email if user else None,
            action=action,
            target=target,
            result=result,
            details=details,
            at=svc.clock(),
        )
    )
