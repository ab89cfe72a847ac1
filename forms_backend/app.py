"""`create_app(settings)`: the Starlette application — forms, receipt, health check and the built guide."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware

from forms_backend.db.store import Store
from forms_backend.errors import CatalogueError
from forms_backend.public.handlers import routes
from forms_backend.public.layouts import build_forms
from forms_backend.services import Services
from forms_backend.settings import Settings
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


def create_app(settings: Settings, catalogue: Catalogue | None = None) -> Starlette:
    """Build the app: open (and migrate) the database, load the catalogue, hash the guide's inline scripts.

    Raises SettingsError, CatalogueError or DatabaseError before serving anything when something is wrong.
    """
    settings = settings.with_secret()
    settings.check()
    catalogue = catalogue or load_forms_catalogue(settings)
    guide = settings.site_dir if (settings.site_dir / "index.html").is_file() else None
    hashes = site_script_hashes(guide) if guide else []
    db = Store(settings.db_path)
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
            Middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes),
        ],
        exception_handlers=EXCEPTION_HANDLERS,
        lifespan=lifespan,
    )
    app.state.services = svc
    return app
