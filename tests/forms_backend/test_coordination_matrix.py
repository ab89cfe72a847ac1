"""Who may do what: a role × route × situation matrix (anonymous, coordinator of A, coordinator of B, regional),
exports holding no row of another territory, and the CSRF token required on every POST of the tracking table."""

from __future__ import annotations

from typing import Any

import pytest

from tests.forms_backend.coordination import rows
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    COORD_B,
    REGIONAL,
    Tracking,
    tracking_fixture,
)

ROLES = {"anonyme": None, "coordinateur A": COORD_A, "coordinateur B": COORD_B, "régional": REGIONAL}
# Expected status of each GET for each role; "A"/"B" stand for the situation of that territory.
GETS: dict[str, tuple[int, int, int, int]] = {
    "/coordination/": (303, 200, 200, 200),
    "/coordination/situations/{A}": (303, 200, 404, 200),
    "/coordination/situations/{B}": (303, 404, 200, 200),
    "/coordination/situations/nouvelle": (303, 200, 200, 200),
    "/coordination/ctl/": (303, 200, 200, 200),
    "/coordination/ctl/2099-01-15": (303, 200, 200, 200),
    "/coordination/export.csv": (303, 200, 200, 200),
    "/coordination/export.xlsx": (303, 200, 200, 200),
    "/coordination/export.ods": (303, 200, 200, 200),
    "/coordination/journal": (303, 404, 404, 200),
}
CHANGES: list[tuple[str, dict[str, str]]] = [
    ("statut", {"statut": "a-examiner-en-ctl"}),
    ("notes", {"texte": "Rendez-vous pris."}),
    ("solutions", {"solution": "dispositif:pmsmp"}),
    ("solutions/retirer", {"solution": "dispositif:pmsmp"}),
    ("referent", {"referent_nom": "Claire Dupont"}),
    ("ctl", {"prochaine_ctl": "2099-01-15"}),
]
OWNS = {"anonyme": "", "coordinateur A": "A", "coordinateur B": "B", "régional": "AB"}


def state(tracking: Tracking, situation_id: int) -> list[Any]:
    """Everything a change could touch, for one situation."""
    return [
        rows(tracking.db_path, "SELECT * FROM situations WHERE id = ?", [situation_id]),
        rows(tracking.db_path, "SELECT * FROM suivi_evenements WHERE situation_id = ?", [situation_id]),
        rows(tracking.db_path, "SELECT * FROM situation_solutions WHERE situation_id = ?", [situation_id]),
    ]


@pytest.mark.parametrize("role", list(ROLES))
def test_every_back_office_get_answers_by_role(tracking: Tracking, role: str) -> None:
    if ROLES[role]:
        tracking.login_as(ROLES[role])
    index = list(ROLES).index(role)
    found, expected = {}, {}
    for template, statuses in GETS.items():
        path = template.format(A=tracking.situation_a, B=tracking.situation_b)
        response = tracking.client.get(path, follow_redirects=False)
        found[template], expected[template] = response.status_code, statuses[index]
        if response.status_code == 303:
            assert response.headers["location"].startswith("/coordination/connexion")
        if path.startswith("/coordination/") and response.status_code in (200, 404) and ROLES[role]:
            assert response.headers["cache-control"] == "no-store"
    assert found == expected


@pytest.mark.parametrize("role", list(ROLES))
@pytest.mark.parametrize("territory", ["A", "B"])
def test_every_change_by_role_and_territory_is_done_or_404_changing_nothing(
    tracking: Tracking, role: str, territory: str
) -> None:
    situation_id = tracking.situation_a if territory == "A" else tracking.situation_b
    if ROLES[role]:
        tracking.login_as(ROLES[role])
        token = tracking.csrf()
    else:
        token = "sans-session"
    allowed = territory in OWNS[role]
    for path, data in CHANGES:
        before = state(tracking, situation_id)
        response = tracking.post(f"/coordination/situations/{situation_id}/{path}", data, token)
        if not ROLES[role]:
            assert (path, response.status_code) == (path, 303)
            assert response.headers["location"] == "/coordination/connexion"
        elif allowed:
            assert (path, response.status_code) == (path, 303)
            assert response.headers["location"].startswith(f"/coordination/situations/{situation_id}?fait=")
        else:
            assert (path, response.status_code) == (path, 404)
        if not allowed:
            assert state(tracking, situation_id) == before


@pytest.mark.parametrize("role", ["coordinateur A", "coordinateur B", "régional"])
def test_exports_hold_no_row_of_another_territory(tracking: Tracking, role: str) -> None:
    tracking.login_as(ROLES[role])
    body = tracking.client.get("/coordination/export.csv").content.decode("utf-8-sig")
    lines = body.strip().split("\r\n")[1:]
    references = {line.split(";", 1)[0] for line in lines}
    expected = {"coordinateur A": {"RUP-2026-000001"}, "coordinateur B": {"ORI-2026-000001"}}
    assert references == expected.get(role, {"RUP-2026-000001", "ORI-2026-000001"})


def test_every_post_without_a_valid_csrf_token_is_refused_and_changes_nothing(tracking: Tracking) -> None:
    tracking.login_as(REGIONAL)
    sid = tracking.situation_a
    posts = [(f"/coordination/situations/{sid}/{path}", data) for path, data in CHANGES]
    posts += [
        ("/coordination/", {"recherche": "martin"}),
        ("/coordination/export.csv", {"recherche": "martin"}),
        ("/coordination/situations/nouvelle", {"nom": "Martin"}),
    ]
    before = state(tracking, sid), rows(tracking.db_path, "SELECT count(*) FROM situations")
    for token in ("", "jeton-forgé"):
        for path, data in posts:
            response = tracking.post(path, data, token)
            assert (path, response.status_code) == (path, 403)
            assert "Action refusée" in response.text
    assert (state(tracking, sid), rows(tracking.db_path, "SELECT count(*) FROM situations")) == before
    refused = rows(
        tracking.db_path, "SELECT count(*) FROM audit WHERE action = 'csrf' AND resultat = 'refuse'"
    )
    assert refused == [(2 * len(posts),)]
