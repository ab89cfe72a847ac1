"""Fields that look valid but are not: a checkbox counts only with the value its box sends (`oui`), a single-valued
field sent twice is refused (400, nothing kept), a date is `AAAA-MM-JJ` or `JJ/MM/AAAA` and nothing else (no ISO
week date)."""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

import pytest
from starlette.testclient import TestClient

from tests.forms_backend.conftest import VALID, count, field_error, form_state, post_form, years_ago
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    TERRITOIRE_A,
    TERRITOIRE_B,
    Tracking,
    error_of,
    tracking_fixture,
)

BAD_DATE = "Date invalide : attendu une date au format JJ/MM/AAAA (ex. 15/09/2025)."
FIELD_TWICE = (
    "Le formulaire reçu contient deux valeurs pour un champ qui n'en attend qu'une : impossible de savoir "
    "laquelle garder. Rien n'a été enregistré. Rechargez la page du formulaire puis renvoyez-le."
)


def error_page(page_html: str) -> tuple[str, str]:
    match = re.search(r"<h1>(.*?)</h1>\s*<p>(.*?)</p>", page_html, re.DOTALL)
    assert match, "page d'erreur attendue"
    return html.unescape(match.group(1)), html.unescape(match.group(2))


# --- Checkboxes -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value", ["non", "0", "false", "Oui", " oui\u200b!"], ids=["non", "0", "false", "Oui", "autre"]
)
def test_informed_checkbox_counts_only_with_its_exact_value(
    client: TestClient, tmp_path: Path, value: str
) -> None:
    response = post_form(client, "rupture", {**VALID["rupture"](), "jeune_informe": value})

    assert response.status_code == 422
    assert field_error(response.text, "jeune_informe") == (
        "Confirmez que le jeune a été informé de ce signalement : c'est une obligation (RGPD, article 14)."
    )
    assert form_state(response.text)["jeune_informe"] == []
    assert count(tmp_path / "partaj.db") == 0


def test_guardian_consent_of_a_minor_counts_only_with_its_exact_value(
    client: TestClient, tmp_path: Path
) -> None:
    data = {
        **VALID["orientation"](),
        "date_naissance": years_ago(16).isoformat(),
        "accord_representant_legal": "non",
    }

    response = post_form(client, "orientation", data)

    assert response.status_code == 422
    assert field_error(response.text, "accord_representant_legal") == (
        "Le jeune a moins de 18 ans : confirmez l'accord de son représentant légal."
    )
    assert count(tmp_path / "partaj.db") == 0


def test_consent_sent_as_non_is_stored_as_no_consent(client: TestClient, tmp_path: Path) -> None:
    data = {**VALID["orientation"](), "accord_representant_legal": "non"}

    assert post_form(client, "orientation", data).status_code == 303
    with sqlite3.connect(tmp_path / "partaj.db") as conn:
        assert conn.execute(
            "SELECT jeune_informe, accord_representant_legal FROM orientations"
        ).fetchall() == [(1, 0)]


# --- A single-valued field sent twice ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "name", "values"),
    [
        ("rupture", "nom", ["A", "B"]),
        ("rupture", "nom", ["Martin", "Martin"]),
        ("rupture", "territoire", ["lens-lievin-henin-carvin", "roubaix-tourcoing"]),
        ("rupture", "jeune_informe", ["oui", "oui"]),
        ("orientation", "date_naissance", ["2005-01-01", ""]),
        ("orientation", "situation", ["Premier texte.", "Second texte."]),
    ],
    ids=["nom", "nom-identique", "territoires", "case", "date-et-vide", "zone-de-texte"],
)
def test_public_form_refuses_a_single_valued_field_sent_twice(
    client: TestClient, tmp_path: Path, source: str, name: str, values: list[str]
) -> None:
    response = post_form(client, source, {**VALID[source](), name: values})

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", FIELD_TWICE)
    assert count(tmp_path / "partaj.db") == 0


def test_public_form_still_takes_several_ticked_boxes(client: TestClient, tmp_path: Path) -> None:
    data = {**VALID["rupture"](), "motifs": ["mobilite", "logement", "mobilite"]}

    assert post_form(client, "rupture", data).status_code == 303
    with sqlite3.connect(tmp_path / "partaj.db") as conn:
        assert conn.execute("SELECT motif FROM rupture_motifs ORDER BY motif").fetchall() == [
            ("logement",),
            ("mobilite",),
        ]


def test_manual_entry_refuses_two_territories(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    token = form_state(tracking.client.get("/coordination/situations/nouvelle").text)["jeton_saisie"][0]
    data = {**VALID["orientation"](), "territoire": [TERRITOIRE_A, TERRITOIRE_B], "jeton_saisie": token}

    response = tracking.post("/coordination/situations/nouvelle", data)

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", FIELD_TWICE)
    assert response.headers["x-robots-tag"] == "noindex"


@pytest.mark.parametrize(
    ("path", "data"),
    [
        ("statut", {"statut": ["a-examiner-en-ctl", "sans-suite"]}),
        ("statut", {"statut": "sans-suite", "motif_sans_suite": ["doublon", "refus-du-jeune"]}),
        ("notes", {"texte": ["Premier appel.", "Second appel."]}),
        ("referent", {"referent_nom": ["Dupont", "Durand"]}),
        ("ctl", {"prochaine_ctl": ["2099-01-01", "2099-02-01"]}),
    ],
    ids=["statut", "motif", "note", "referent", "ctl"],
)
def test_follow_up_form_refuses_a_field_sent_twice(
    tracking: Tracking, path: str, data: dict[str, Any]
) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    before = tracking.situation(sid)

    response = tracking.post(f"/coordination/situations/{sid}/{path}", data)

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", FIELD_TWICE)
    assert tracking.situation(sid) == before
    assert tracking.events(sid) == []


def test_table_filter_sent_twice_is_refused(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)

    response = tracking.client.get(
        "/coordination/?" + urlencode({"statut": ["nouveau", "sortie"]}, doseq=True)
    )

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", FIELD_TWICE)


# --- Dates ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("value", ["2006-W01-1", "2006-W52-7"], ids=["semaine-1", "semaine-52"])
def test_public_form_refuses_an_iso_week_date(client: TestClient, tmp_path: Path, value: str) -> None:
    response = post_form(client, "orientation", {**VALID["orientation"](), "date_naissance": value})

    assert response.status_code == 422
    assert field_error(response.text, "date_naissance") == BAD_DATE
    assert count(tmp_path / "partaj.db") == 0


def test_both_date_formats_are_still_accepted(client: TestClient, tmp_path: Path) -> None:
    birth = years_ago(19)
    iso = post_form(client, "orientation", {**VALID["orientation"](), "date_naissance": birth.isoformat()})
    french = post_form(
        client,
        "orientation",
        {**VALID["orientation"](), "nom": "Autre", "date_naissance": birth.strftime("%d/%m/%Y")},
    )

    assert (iso.status_code, french.status_code) == (303, 303)
    with sqlite3.connect(tmp_path / "partaj.db") as conn:
        assert conn.execute("SELECT DISTINCT date_naissance FROM situations").fetchall() == [
            (birth.isoformat(),)
        ]


@pytest.mark.parametrize(
    ("path", "data", "field"),
    [
        ("notes", {"texte": "Appel.", "date_note": "2026-W09-1"}, "date_note"),
        (
            "referent",
            {"referent_nom": "Dupont", "referent_contrat_signe": "2026-W01-1"},
            "referent_contrat_signe",
        ),
        ("ctl", {"prochaine_ctl": "2099-W01-1"}, "prochaine_ctl"),
    ],
    ids=["note", "referent", "ctl"],
)
def test_follow_up_forms_refuse_an_iso_week_date(
    tracking: Tracking, path: str, data: dict[str, str], field: str
) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a

    response = tracking.post(f"/coordination/situations/{sid}/{path}", data)

    assert response.status_code == 422
    assert error_of(response.text, field) == BAD_DATE
    assert tracking.events(sid) == []


def test_agenda_of_an_iso_week_date_does_not_exist(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)

    assert tracking.client.get("/coordination/ctl/2099-W01-1").status_code == 404
    assert tracking.client.get("/coordination/ctl/2099-01-05").status_code == 200
