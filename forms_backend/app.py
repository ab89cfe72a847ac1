"""`create_app(settings)` and the route table: the one module that imports every feature.

Every back-office endpoint is wrapped in `accounts.auth.back_office` where it is defined; a test walks this
table and fails on a `/coordination/` endpoint that is not (the login page excepted).
"""

from __future__ import annotations

import gc
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.responses import RedirectResponse
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles

from forms_backend.accounts import guard, login
from forms_backend.cfa import api as cfa_api
from forms_backend.cfa import pages as cfa_pages
from forms_backend.cfa.reading import MAX_FILE_BYTES
from forms_backend.coordination import agenda, journal, situation, table
from forms_backend.coordination.health import health_details
from forms_backend.db.store import Store
from forms_backend.errors import CatalogueError
from forms_backend.observatoire import handlers as observatoire
from forms_backend.propositions import moderation, reminders
from forms_backend.propositions import public as propositions_public
from forms_backend.propositions.publish import Publication
from forms_backend.public import handlers as public
from forms_backend.public.layouts import build_forms
from forms_backend.services import Services
from forms_backend.settings import RateLimit, Settings
from forms_backend.web import communes
from forms_backend.web.health import health
from forms_backend.web.middleware import (
    BodyLimitMiddleware,
    SecurityHeadersMiddleware,
    ServerErrorMiddleware,
    content_security_policy,
    site_script_hashes,
)
from forms_backend.web.pages import EXCEPTION_HANDLERS, make_templates, server_error
from forms_backend.web.security import RateLimiter
from generator.catalogue import Catalogue, load_catalogue

log = logging.getLogger("partaj")


def load_forms_catalogue(settings: Settings) -> Catalogue:
    """The guide's catalogue (territories, nomenclatures); CatalogueError when it has errors."""
    catalogue = load_catalogue(settings.data_dir)
    if catalogue.errors:
        shown = "\n".join(str(p) for p in catalogue.errors[:20])
        raise CatalogueError(f"le catalogue {settings.data_dir} contient des erreurs :\n{shown}")
    if not catalogue.territoires:
        raise CatalogueError(f"le catalogue {settings.data_dir} ne déclare aucun territoire")
    return catalogue


STATIC_DIR = Path(__file__).resolve().parent / "static"
SITUATION = "/coordination/situations/{id:int}"
PROPOSITION = "/coordination/propositions/{id:int}"


def routes(site_dir: Path | None) -> list[BaseRoute]:
    """Every route of the app; the static guide, when built, is mounted last at `/`."""
    listed: list[BaseRoute] = [
        Route("/sante", health, methods=["GET"], name="sante"),
        # Public forms
        Route("/formulaires", lambda request: RedirectResponse("/formulaires/", status_code=308)),
        Route("/formulaires/", public.forms_index, methods=["GET"], name="formulaires"),
        Route("/formulaires/recu", public.receipt_page, methods=["GET"], name="recu"),
        Route("/formulaires/communes.json", public.communes_list, methods=["GET"], name="communes"),
        Route("/formulaires/quelle-ctl.js", public.commune_normaliser, methods=["GET"]),
        Route("/formulaires/rupture", public.form_endpoint("rupture"), methods=["GET", "POST"]),
        Route("/formulaires/orientation", public.form_endpoint("orientation"), methods=["GET", "POST"]),
        Mount("/formulaires/static", StaticFiles(directory=STATIC_DIR), name="static"),
        # Accounts
        Route("/coordination/connexion", login.login, methods=["GET", "POST"], name="connexion"),
        Route("/coordination/deconnexion", login.logout, methods=["POST"], name="deconnexion"),
        # Coordination: the tracking table, its situations, the CTL agendas, the exports, the journal, the health
        # check's details
        Route("/coordination", table.redirect_home, methods=["GET"]),
        Route("/coordination/", table.table, methods=["GET", "POST"], name="tableau"),
        Route("/coordination/export.{format}", table.export_page, methods=["GET", "POST"], name="export"),
        Route("/coordination/situations/nouvelle", situation.saisie, methods=["GET", "POST"], name="saisie"),
        Route(SITUATION, situation.situation_page, methods=["GET"], name="situation"),
        Route(SITUATION + "/statut", situation.change_status, methods=["POST"]),
        Route(SITUATION + "/notes", situation.add_note, methods=["POST"]),
        Route(SITUATION + "/solutions", situation.add_solution, methods=["POST"]),
        Route(SITUATION + "/solutions/retirer", situation.remove_solution, methods=["POST"]),
        Route(SITUATION + "/referent", situation.set_referent, methods=["POST"]),
        Route(SITUATION + "/ctl", situation.set_next_ctl, methods=["POST"]),
        Route("/coordination/ctl/", agenda.agenda_index, methods=["GET"], name="agendas"),
        Route("/coordination/ctl/{jour}", agenda.agenda, methods=["GET"], name="agenda"),
        Route("/coordination/journal", journal.journal_page, methods=["GET"], name="journal"),
        Route("/coordination/observatoire", observatoire.page, methods=["GET"], name="observatoire"),
        Route("/coordination/observatoire/{table}.{format}", observatoire.export, methods=["GET"]),
        Route(
            "/contribuer/nouvelle", propositions_public.new_action, methods=["GET", "POST"], name="contribuer"
        ),
        Route("/contribuer/correction/{id}", propositions_public.correction, methods=["GET", "POST"]),
        Route("/contribuer/recu", propositions_public.receipt, methods=["GET"], name="contribuer-recu"),
        Route("/coordination/propositions", moderation.listing, methods=["GET"], name="propositions"),
        Route(PROPOSITION, moderation.page, methods=["GET"], name="proposition"),
        Route(PROPOSITION + "/accepter", moderation.accept, methods=["POST"]),
        Route(PROPOSITION + "/refuser", moderation.refuse, methods=["POST"]),
        Route(PROPOSITION + "/question", moderation.ask, methods=["POST"]),
        Route("/coordination/a-actualiser", reminders.page, methods=["GET"], name="a-actualiser"),
        Route("/coordination/sante", health_details, methods=["GET"], name="sante-details"),
        # The CFAs' area (issue 15): their reports, the file of several reports, the API of their software
        Route("/cfa", cfa_pages.redirect_home, methods=["GET"]),
        Route("/cfa/", cfa_pages.home, methods=["GET"], name="cfa"),
        Route("/cfa/modele.{format:str}", cfa_pages.template_file, methods=["GET"], name="cfa-modele"),
        Route("/cfa/fichier", cfa_pages.upload, methods=["POST"], name="cfa-fichier"),
        Route("/cfa/confirmer", cfa_pages.confirm, methods=["POST"], name="cfa-confirmer"),
        Route("/cfa/resume", cfa_pages.digest_choice, methods=["POST"], name="cfa-resume"),
        Route("/api/v1/", cfa_api.examples, methods=["GET"], name="api"),
        Route("/api/v1/openapi.json", cfa_api.openapi_json, methods=["GET"], name="openapi"),
        Route("/api/v1/ruptures", cfa_api.post_reports, methods=["POST"], name="api-ruptures"),
        Route("/api/v1/ruptures/{reference}", cfa_api.report_status, methods=["GET"], name="api-rupture"),
    ]
    if site_dir is not None:
        listed.append(Mount("/", StaticFiles(directory=site_dir, html=True), name="guide"))
    else:
        listed.append(Route("/", public.guide_missing, methods=["GET"], name="guide"))
    return listed


def create_app(settings: Settings, catalogue: Catalogue | None = None) -> Starlette:
    """Build the app: open (and migrate) the database, load the catalogue, hash the guide's inline scripts.

    Raises SettingsError, CatalogueError or DatabaseError before serving anything when something is wrong.
    """
    settings = settings.with_secret()
    settings.check()
    catalogue = catalogue or load_forms_catalogue(settings)
    guide = settings.site_dir if (settings.site_dir / "index.html").is_file() else None
    hashes = site_script_hashes(guide) if guide else []
    db = Store(settings.db_path, backfills=communes.backfills(catalogue))
    db.open()
    if db.migrations_applied:
        log.info("migrations appliquées : %s", ", ".join(map(str, db.migrations_applied)))
    svc = Services(
        settings=settings,
        catalogue=catalogue,
        forms=build_forms(catalogue),
        store=db,
        limiter=RateLimiter(settings.rate_limit),
        templates=make_templates(),
        guide_available=guide is not None,
        communes=communes.completion_asset(catalogue),
    )

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        db.close()

    app = Starlette(
        routes=routes(guide),
        middleware=[
            Middleware(
                SecurityHeadersMiddleware, csp=content_security_policy(hashes), hsts=settings.secure_cookies
            ),
            Middleware(ServerErrorMiddleware, handler=server_error),
            Middleware(TrustedHostMiddleware, allowed_hosts=list(settings.allowed_hosts), www_redirect=False),
            Middleware(
                BodyLimitMiddleware,
                max_bytes=settings.max_body_bytes,
                # A CFA's file (2 MB, with the multipart's own bytes) and a list of reports sent by its software.
                larger={"/cfa/fichier": MAX_FILE_BYTES + 64 * 1024, "/api/v1/ruptures": MAX_FILE_BYTES},
            ),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.services = svc
    # The previews of CFAs' files waiting for a confirmation, and the API's requests per token.
    app.state.cfa_previews = cfa_pages.Previews()
    app.state.cfa_api_limiter = RateLimiter(RateLimit(120, 60), clock=lambda: svc.clock().timestamp())
    # The guide's publication after an accepted proposal, and the catalogue read again once a sheet is written.
    app.state.publication = Publication()

    def reload_catalogue() -> None:
        fresh = load_forms_catalogue(settings)
        svc.catalogue, svc.forms, svc.communes = fresh, build_forms(fresh), communes.completion_asset(fresh)

    app.state.reload_catalogue = reload_catalogue
    # Login attempts per client address, counted on the app's clock (tests move it).
    app.state.login_limiter = guard.AttemptLimiter(
        guard.ATTEMPTS_PER_CLIENT, clock=lambda: svc.clock().timestamp()
    )
    return app


def settle_memory() -> None:
    """Once the app is built, before serving: move everything alive now (catalogue, templates, modules) out of
    the garbage collector's reach, so that each collection only walks what requests create (gc.freeze). On the
    submissions bench this cuts about a tenth of each request's time. For a server process, not for tests that
    build many apps."""
    gc.collect()
    gc.freeze()
