"""`/sante`: is the app up and its database readable? JSON for monitoring, never personal data."""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forms_backend import __version__
from forms_backend.db.connection import ping
from forms_backend.services import services

log = logging.getLogger("partaj")
NO_STORE = {"cache-control": "no-store"}


async def health(request: Request) -> Response:
    """The schema version, the journal mode and whether the guide is served; 503 when the base is unreadable."""
    svc = services(request)
    try:
        details = await svc.store.read(ping)
    except Exception:
        log.exception("contrôle de santé : base illisible")
        return JSONResponse({"statut": "erreur", "base": "illisible"}, status_code=503, headers=NO_STORE)
    return JSONResponse(
        {"statut": "ok", "version": __version__, "base": "ok", **details, "guide": svc.guide_available},
        headers=NO_STORE,
    )
