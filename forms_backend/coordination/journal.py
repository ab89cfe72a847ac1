"""`/coordination/journal`: the audit log, for regional coordinators only (a coordinator gets 404)."""

from __future__ import annotations

from functools import partial

from starlette.requests import Request
from starlette.responses import Response

from forms_backend.accounts.auth import back_office, require_regional
from forms_backend.db import audit
from forms_backend.services import services
from forms_backend.web.pages import render

PER_PAGE = 50
ACTIONS = {
    "connexion": "Connexion",
    "deconnexion": "Déconnexion",
    "verrouillage": "Verrouillage après échecs",
    "session-expiree": "Session expirée",
    "csrf": "Action refusée (jeton CSRF)",
    "compte-cree": "Compte créé",
    "compte-desactive": "Compte désactivé",
    "compte-reactive": "Compte réactivé",
    "sauvegarde": "Sauvegarde de la base",
    "mot-de-passe-change": "Mot de passe changé",
    "purge": "Purge (durée de conservation)",
    "journal-consulte": "Journal consulté",
    "tableau-consulte": "Tableau de bord consulté",
    "situation-consultee": "Situation consultée",
    "modification": "Modification d'une situation",
    "statut-change": "Statut changé",
    "note-ajoutee": "Note ajoutée",
    "solution-proposee": "Solution proposée",
    "solution-retiree": "Solution retirée",
    "referent-modifie": "Référent tuteur modifié",
    "ctl-planifiee": "Prochaine CTL fixée",
    "situation-saisie": "Situation saisie",
    "agenda-consulte": "Ordre du jour de CTL consulté",
    "export": "Export du tableau de bord",
    "export-cli": "Export (ligne de commande)",
}
RESULTS = {"succes": "réussite", "echec": "échec", "refuse": "refusé"}


def _page_number(raw: str | None) -> int:
    return int(raw) if raw and raw.isdigit() and 0 < len(raw) < 7 else 1


@back_office
async def journal_page(request: Request) -> Response:
    """One page of the journal, newest first; viewing it is itself recorded."""
    require_regional(request.state.user)
    svc = services(request)
    number = _page_number(request.query_params.get("page"))
    await audit.log(request, "journal-consulte", None, "succes", {"page": number})
    found = await svc.store.read(partial(audit.entries, page=number, per_page=PER_PAGE))
    context = {"journal": found, "actions": ACTIONS, "results": RESULTS, "tz": svc.settings.tz}
    return render(request, "coordination/journal.html", context)
