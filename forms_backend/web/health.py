"""`/sante`: is the app up and its database readable? Public, it says only that (`{"statut": "ok"}`, or 503
`{"statut": "erreur"}`): no version nor schema for whoever asks. The details are for a regional coordinator, at
`/coordination/sante` (`coordination.health`)."""

from __future__ import annotations

import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forms_backend import __version__
from forms_backend.db.connection import ping
from forms_backend.services import Services, services

log = logging.getLogger("partaj")
NO_STORE = {"cache-control": "no-store"}


async def details(svc: Services) -> dict[str, Any] | None:
    """Version, schema version, journal mode and whether the guide is served; None when the base is unreadable."""
    try:
        found = await svc.store.read(ping)
    except Exception:
        log.exception("contrôle de santé : base illisible")
        return None
    return {"statut": "ok", "version": __version__, "base": "ok", **found, "guide": svc.guide_available}


async def health(request: Request) -> Response:
    """`{"statut": "ok"}` when the database answers; 503 `{"statut": "erreur"}` when it does not."""
    if await details(services(request)) is None:
        return JSONResponse({"statut": "erreur"}, status_code=503, headers=NO_STORE)
    return JSONResponse({"statut": "ok"}, headers=NO_STORE)
