"""Protection by construction: every `/coordination/` endpoint but the login page is wrapped in `back_office`,
and an anonymous request to any of them is sent to the login page, whatever its method."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.testclient import TestClient

from forms_backend.accounts.auth import GUARDED
from forms_backend.app import create_app
from forms_backend.settings import Settings
from generator.catalogue import Catalogue

OPEN = {"/coordination/connexion"}
SAMPLE = {"{id:int}": "1", "{jour}": "2026-03-02", "{format}": "csv", "{format:str}": "xlsx"}
# The CFAs' area (issue 15) is guarded the same way, by `cfa_area`.
AREAS = ("/coordination/", "/cfa/")


def routes_of(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, Route]]:
    for route in routes:
        if isinstance(route, Mount):
            yield from routes_of(list(route.routes), prefix + route.path)
        elif isinstance(route, Route):
            yield prefix + route.path, route


def unguarded(app: Starlette) -> list[str]:
    """Back-office paths whose endpoint is not wrapped in `back_office`."""
    return [
        path
        for path, route in routes_of(list(app.routes))
        if path.startswith(AREAS) and path not in OPEN and route.endpoint not in GUARDED
    ]


def concrete(path: str) -> str:
    for pattern, value in SAMPLE.items():
        path = path.replace(pattern, value)
    return path


@pytest.fixture
def app(settings: Settings, catalogue: Catalogue) -> Starlette:
    return create_app(settings, catalogue)


def test_routes_every_back_office_endpoint_is_guarded(app: Starlette) -> None:
    paths = [p for p, _ in routes_of(list(app.routes)) if p.startswith("/coordination/")]

    assert len(paths) >= 15
    assert unguarded(app) == []


def test_routes_an_endpoint_added_without_its_guard_is_found(app: Starlette) -> None:
    async def forgotten(request: object) -> Response:
        return PlainTextResponse("données")

    app.router.routes.insert(0, Route("/coordination/oubli", forgotten))

    assert unguarded(app) == ["/coordination/oubli"]


def test_routes_anonymous_requests_to_the_back_office_go_to_the_login_page(app: Starlette) -> None:
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        for path, route in routes_of(list(app.routes)):
            if not path.startswith(AREAS) or path in OPEN:
                continue
            for method in sorted(route.methods or ()):
                if method == "HEAD":
                    continue
                response = client.request(method, concrete(path), follow_redirects=False)
                assert (path, method, response.status_code) == (path, method, 303)
                assert response.headers["location"].startswith("/coordination/connexion")
                assert response.headers["cache-control"] == "no-store"


def test_routes_every_cfa_endpoint_is_guarded(app: Starlette) -> None:
    paths = [p for p, _ in routes_of(list(app.routes)) if p.startswith("/cfa/")]

    assert len(paths) >= 5
    assert [p for p in unguarded(app) if p.startswith("/cfa/")] == []
