"""Rendering of French HTML pages, and the HTTP error handlers turning exceptions into those pages."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.templating import Jinja2Templates

from forms_backend.errors import (
    BackendError,
    BodyTooLarge,
    FormRefused,
    PropositionNotFound,
    SituationNotFound,
)
from forms_backend.vocabulary import AuditAction, AuditResult
from forms_backend.web.audit import log as log_audit

log = logging.getLogger("partaj.formulaires")
TEMPLATES_DIR = Path(__file__).resolve().parent.parent / "templates"

ERRORS: dict[int, tuple[str, str]] = {
    400: (
        "Demande invalide",
        "Le formulaire reçu est incomplet ou altéré. Rechargez la page du formulaire puis recommencez.",
    ),
    403: (
        "Envoi refusé",
        "Ce formulaire n'a pas pu être vérifié : il a peut-être été ouvert dans un autre navigateur, "
        "depuis un autre site, ou vos cookies ont été effacés. "
        "Rechargez la page du formulaire puis renvoyez-le.",
    ),
    404: (
        "Page introuvable",
        "Cette adresse ne correspond à aucune page. Vérifiez-la ou repartez de l'accueil.",
    ),
    405: ("Méthode non permise", "Cette adresse ne peut pas être utilisée de cette façon."),
    413: (
        "Envoi trop volumineux",
        "Le formulaire envoyé dépasse la taille permise. Raccourcissez les textes libres puis renvoyez-le.",
    ),
    429: (
        "Trop d'envois",
        "Vous avez envoyé beaucoup de formulaires en peu de temps. Vous pourrez recommencer dans "
        "{retry_minutes} minute(s). En cas d'urgence, contactez directement la cellule technique locale "
        "de votre territoire.",
    ),
    500: (
        "Erreur du serveur",
        "Une erreur inattendue s'est produite et votre envoi n'a pas été enregistré. "
        "Réessayez dans quelques minutes.",
    ),
}


def make_templates() -> Jinja2Templates:
    """Jinja2 templates, autoescaped, undefined variables refused."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    return Jinja2Templates(env=env)


def render(
    request: Request,
    template: str,
    context: Mapping[str, Any],
    status_code: int = 200,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """A French HTML page from a template."""
    templates: Jinja2Templates = request.app.state.services.templates
    return templates.TemplateResponse(
        request, template, dict(context), status_code=status_code, headers=headers
    )


def error_page(
    request: Request,
    status_code: int,
    headers: Mapping[str, str] | None = None,
    message: str | None = None,
    **values: Any,
) -> Response:
    """The French page of an HTTP error; `message` replaces the status's own (it says what was wrong)."""
    title, default = ERRORS.get(status_code, ERRORS[500] if status_code >= 500 else ERRORS[400])
    all_headers = {"cache-control": "no-store", **(headers or {})}
    shown = message if message is not None else default.format(**values)
    context = {"title": title, "message": shown, "status_code": status_code}
    return render(request, "erreur.html", context, status_code, all_headers)


async def http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    return error_page(request, exc.status_code, headers=exc.headers)


API_ERRORS = {
    400: "Requête illisible : le corps doit être du JSON en UTF-8.",
    413: "Envoi trop volumineux : découpez la liste en plusieurs envois.",
    404: "Ressource introuvable.",
}


async def backend_error(request: Request, exc: Exception) -> Response:
    """The page of a typed error that reached a handler's caller: its status, in French.

    A situation outside the user's territories (or that does not exist) is recorded as a refusal in the audit
    journal: reading it (GET) or changing it (POST)."""
    assert isinstance(exc, BackendError)
    if isinstance(exc, SituationNotFound) and getattr(request.state, "user", None) is not None:
        action = AuditAction.SITUATION_CONSULTEE if request.method == "GET" else AuditAction.MODIFICATION
        await log_audit(request, action, f"id {exc.situation_id}", AuditResult.REFUSE)
    if isinstance(exc, PropositionNotFound) and getattr(request.state, "user", None) is not None:
        action = AuditAction.PROPOSITION_CONSULTEE if request.method == "GET" else AuditAction.MODIFICATION
        await log_audit(request, action, f"proposition {exc.proposition_id}", AuditResult.REFUSE)
    headers = {"connection": "close"} if isinstance(exc, BodyTooLarge) else {}
    if request.url.path.startswith("/coordination/"):
        headers["x-robots-tag"] = "noindex"
    if exc.status_code >= 500:
        log.error("erreur sur %s %s : %s", request.method, request.url.path, type(exc).__name__)
    message = exc.message if isinstance(exc, FormRefused) else None
    if request.url.path.startswith("/api/"):
        # The API answers in JSON, errors included (a CFA's software reads them, not a person).
        text = message or API_ERRORS.get(exc.status_code, "Requête refusée.")
        return JSONResponse({"erreur": text}, status_code=exc.status_code, headers=headers)
    return error_page(request, exc.status_code, headers=headers, message=message)


async def server_error(request: Request, exc: Exception) -> Response:
    log.error("erreur inattendue sur %s %s : %s", request.method, request.url.path, type(exc).__name__)
    return error_page(request, 500)


EXCEPTION_HANDLERS = {HTTPException: http_error, BackendError: backend_error}
