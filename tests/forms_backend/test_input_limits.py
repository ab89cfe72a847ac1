"""Limits of what a request may carry: a situation id too large for SQLite names no situation (404, not a 500),
and a form page shown more than 24 hours ago is shown again with every answer kept and a fresh token."""

from __future__ import annotations

import html
import re
import time
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from forms_backend.web.security import FormToken
from tests.forms_backend.conftest import (
    SECRET,
    VALID,
    count,
    field_error,
    form_state,
    hidden,
    post_form,
    receipt_reference,
)
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    REGIONAL,
    Tracking,
    tracking_fixture,
)

DAY = 24 * 3600
PAGE_TOO_OLD = (
    "Cette page est restée ouverte plus de 24 heures : par sécurité, votre envoi n'a pas été enregistré. "
    "Vos réponses sont conservées ci-dessous : vérifiez-les puis renvoyez le formulaire."
)
HUGE = "99999999999999999999999"


# --- Situation ids beyond SQLite's integers -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "ident", [HUGE, str(2**63), str(2**63 - 1)], ids=["23-chiffres", "2-puissance-63", "max"]
)
def test_situation_page_with_an_id_too_large_is_404(tracking: Tracking, ident: str) -> None:
    tracking.login_as(REGIONAL)

    response = tracking.client.get(f"/coordination/situations/{ident}")

    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.text
    assert tracking.audit()[-1][:4] == (REGIONAL, "situation-consultee", f"id {ident}", "refuse")


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("statut", {"statut": "a-examiner-en-ctl"}),
        ("notes", {"texte": "Appel."}),
        ("solutions", {"solution": "dispositif:x"}),
        ("solutions/retirer", {"solution": "dispositif:x"}),
        ("referent", {"referent_nom": "Dupont"}),
        ("ctl", {"prochaine_ctl": ""}),
    ],
)
def test_changes_to_an_id_too_large_are_404(tracking: Tracking, path: str, data: dict[str, str]) -> None:
    tracking.login_as(REGIONAL)

    response = tracking.post(f"/coordination/situations/{HUGE}/{path}", data)

    assert response.status_code == 404
    assert "<h1>Page introuvable</h1>" in response.text
    assert tracking.audit()[-1][:4] == (REGIONAL, "modification", f"id {HUGE}", "refuse")


# --- Form display token: 24 hours at most -------------------------------------------------------------------------


def notice(page_html: str) -> str | None:
    match = re.search(r'<div class="avis-page"[^>]*>\s*<p>(.*?)</p>', page_html, re.DOTALL)
    return html.unescape(match.group(1)) if match else None


@pytest.mark.parametrize("source", ["rupture", "orientation"])
def test_page_open_over_a_day_is_shown_again_with_every_answer_and_a_fresh_token(
    client: TestClient, tmp_path: Path, source: str
) -> None:
    data = VALID[source]()
    if source == "orientation":
        data["accord_representant_legal"] = "oui"

    response = post_form(client, source, data, age_seconds=DAY + 1)

    assert response.status_code == 422
    assert notice(response.text) == PAGE_TOO_OLD
    assert "<title>Erreur : " in response.text
    shown = form_state(response.text)
    for name, value in data.items():
        assert shown[name] == (value if isinstance(value, list) else [value]), name
    fresh = FormToken.decode(SECRET, hidden(response.text, "jeton_formulaire"), source)
    assert fresh is not None and abs(time.time() - fresh.issued_at) < 60
    assert count(tmp_path / "partaj.db") == 0


def test_page_shown_again_can_be_sent_at_once_and_is_stored(client: TestClient, tmp_path: Path) -> None:
    old = post_form(client, "rupture", VALID["rupture"](), age_seconds=DAY + 60)
    assert old.status_code == 422

    # The person checks and sends again straight away: not taken for a robot (no decoy receipt).
    again = client.post("/formulaires/rupture", data=form_state(old.text), follow_redirects=False)

    assert receipt_reference(again).startswith("RUP-")
    assert count(tmp_path / "partaj.db") == 1


def test_page_open_over_a_day_with_an_error_shows_both(client: TestClient, tmp_path: Path) -> None:
    data = {**VALID["rupture"](), "code_postal": "123"}

    response = post_form(client, "rupture", data, age_seconds=DAY + 1)

    assert response.status_code == 422
    assert notice(response.text) == PAGE_TOO_OLD
    assert (
        field_error(response.text, "code_postal") == "Code postal invalide : attendu 5 chiffres (ex. 59300)."
    )
    assert count(tmp_path / "partaj.db") == 0


def test_page_open_just_under_a_day_is_still_accepted(client: TestClient, tmp_path: Path) -> None:
    response = post_form(client, "orientation", VALID["orientation"](), age_seconds=DAY - 60)

    assert response.status_code == 303
    assert count(tmp_path / "partaj.db") == 1


def test_fresh_form_has_no_notice(client: TestClient) -> None:
    assert notice(client.get("/formulaires/rupture").text) is None
