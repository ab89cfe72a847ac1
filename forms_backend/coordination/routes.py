"""The routes of the tracking table, its situations, the CTL agendas and the exports (all `back_office`)."""

from __future__ import annotations

from starlette.routing import BaseRoute, Route

from forms_backend.coordination import exports
from forms_backend.coordination import situation as situation_views
from forms_backend.coordination import table as coordination

SITUATION = "/coordination/situations/{id:int}"


def routes() -> list[BaseRoute]:
    """The back-office routes of the tracking table, for `routes.routes()`."""
    return [
        Route("/coordination/", coordination.table, methods=["GET", "POST"], name="tableau"),
        Route("/coordination", coordination.redirect_home, methods=["GET"]),
        Route(
            "/coordination/situations/nouvelle",
            situation_views.saisie,
            methods=["GET", "POST"],
            name="saisie",
        ),
        Route(SITUATION, situation_views.situation_page, methods=["GET"], name="situation"),
        Route(SITUATION + "/statut", situation_views.change_status, methods=["POST"]),
        Route(SITUATION + "/notes", situation_views.add_note, methods=["POST"]),
        Route(SITUATION + "/solutions", situation_views.add_solution, methods=["POST"]),
        Route(SITUATION + "/solutions/retirer", situation_views.remove_solution, methods=["POST"]),
        Route(SITUATION + "/referent", situation_views.set_referent, methods=["POST"]),
        Route(SITUATION + "/ctl", situation_views.set_next_ctl, methods=["POST"]),
        Route("/coordination/ctl/", coordination.agenda_index, methods=["GET"], name="agendas"),
        Route("/coordination/ctl/{jour}", coordination.agenda, methods=["GET"], name="agenda"),
        Route("/coordination/export.{format}", exports.export_page, methods=["GET", "POST"], name="export"),
    ]
