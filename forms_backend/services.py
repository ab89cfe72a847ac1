"""What the request handlers share: settings, catalogue, forms, database, rate limiter, templates, clock."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import cast

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from forms_backend.clock import now
from forms_backend.db.store import Store
from forms_backend.settings import Settings
from forms_backend.web.communes import Asset
from forms_backend.web.forms import Formulaire
from forms_backend.web.security import RateLimiter
from generator.catalogue import Catalogue


@dataclass
class Services:
    """Built once by `create_app`, reached from a request as `services(request)`."""

    settings: Settings
    catalogue: Catalogue
    forms: dict[str, Formulaire]
    store: Store
    limiter: RateLimiter
    templates: Jinja2Templates
    guide_available: bool
    # The communes of the completion list (`/formulaires/communes.json`); None without referential.
    communes: Asset | None = None
    # Every handler reads the time here (reports, sessions, throttling, the audit log): tests replace it.
    clock: Callable[[], datetime] = now


def services(request: Request) -> Services:
    """The app's services, from inside a handler."""
    return cast(Services, request.app.state.services)
