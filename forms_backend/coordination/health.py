"""`/coordination/sante`: the health check's details (version, schema, journal mode, guide), for regional
coordinators only (a coordinator gets 404, like the journal). The public `/sante` says only ok or erreur."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from forms_backend.accounts.auth import back_office, require_regional
from forms_backend.services import services
from forms_backend.web.health import NO_STORE, details


@back_office
async def health_details(request: Request) -> Response:
    """The details as JSON; 503 `{"statut": "erreur", "base": "illisible"}` when the base is unreadable."""
    require_regional(request.state.user)
    found = await details(services(request))
    if found is None:
        return JSONResponse({"statut": "erreur", "base": "illisible"}, status_code=503, headers=NO_STORE)
    return JSONResponse(found, headers=NO_STORE)
