"""What the request handlers share: settings, catalogue, forms, database, rate limiter, templates."""

from __future__ import annotations

from dataclasses import dataclass
from typing import cast

from starlette.requests import Request
from starlette.templating import Jinja2Templates

from forms_backend.database import Store
from forms_backend.forms import Formulaire
from forms_backend.security import RateLimiter
from forms_backend.settings import Settings
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


def services(request: Request) -> Services:
    """The app's services, from inside a handler."""
    return cast(Services, request.app.state.services)
