"""Text that looks valid but is not: every text is normalised to NFC, bidirectional overrides and isolates, C0 and
C1 controls and (in a one-line field) line breaks are refused with a message beside the field, invisible
characters are trimmed at the edges and "required" is judged after that — on the public forms, the manual entry
(saisie) and the follow-up forms of the tracking table."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.forms_backend.conftest import VALID, count, field_error, form_state, post_form
from tests.forms_backend.coordination import rows
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    TERRITOIRE_A,
    Tracking,
    error_of,
    tracking_fixture,
)

REQUIRED = "Ce champ est obligatoire."
CONTROL = "Ce champ contient des caractères non permis."
BIDI = (
    "Ce champ contient des caractères invisibles qui changent le sens d'écriture du texte : "
    "retapez-le au lieu de le coller."
)
ONE_LINE = "Ce champ tient sur une seule ligne : retirez les retours à la ligne."

REFUSED: list[tuple[str, str, dict[str, Any], str, str]] = [
    # (case id, source, changes, field, message)
    ("rlo", "rupture", {"nom": "Martin\u202efdp.exe"}, "nom", BIDI),
    ("lre", "rupture", {"commune": "\u202aLens"}, "commune", BIDI),
    ("pdf", "rupture", {"cfa_nom": "CFA\u202c"}, "cfa_nom", BIDI),
    ("isolat-fsi", "rupture", {"prenom": "L\u2068éa\u2069"}, "prenom", BIDI),
    ("isolat-lri", "orientation", {"orienteur_nom": "\u2066Awa"}, "orienteur_nom", BIDI),
    ("courriel-rlo", "rupture", {"courriel": "lea\u202e@example.fr"}, "courriel", BIDI),
    ("zone-de-texte-rlo", "orientation", {"situation": "Parcours\u202e inversé"}, "situation", BIDI),
    ("c1-0080", "rupture", {"nom": "Ma\x80rtin"}, "nom", CONTROL),
    ("c1-0085-au-bord", "rupture", {"nom": "Martin\x85"}, "nom", CONTROL),
    ("c1-009f", "orientation", {"situation": "Texte\x9f libre"}, "situation", CONTROL),
    ("c0-au-bord", "rupture", {"prenom": "\x1cLéa"}, "prenom", CONTROL),
    ("crlf-une-ligne", "rupture", {"nom": "Martin\r\nDupont"}, "nom", ONE_LINE),
    ("lf-une-ligne", "rupture", {"declarant_nom": "Paul\nDurand"}, "declarant_nom", ONE_LINE),
    ("lf-au-bord", "rupture", {"commune": "Lens\n"}, "commune", ONE_LINE),
    ("u2028-une-ligne", "orientation", {"commune": "Roubaix\u2028Tourcoing"}, "commune", ONE_LINE),
    (
        "u2029-une-ligne",
        "orientation",
        {"orienteur_structure": "Centre\u2029social"},
        "orienteur_structure",
        ONE_LINE,
    ),
    ("espace-largeur-nulle", "rupture", {"nom": "\u200b"}, "nom", REQUIRED),
    ("invisibles-et-espaces", "rupture", {"prenom": " \u200b\u200d\ufeff\u2060 "}, "prenom", REQUIRED),
    ("marques-de-sens", "orientation", {"nom": "\u200e\u200f"}, "nom", REQUIRED),
    ("zone-de-texte-invisible", "orientation", {"situation": "\u200b\n\u200b"}, "situation", REQUIRED),
]


@pytest.mark.parametrize(
    ("source", "changes", "field", "message"), [c[1:] for c in REFUSED], ids=[c[0] for c in REFUSED]
)
def test_public_form_refuses_invisible_and_control_characters(
    client: TestClient, tmp_path: Path, source: str, changes: dict[str, Any], field: str, message: str
) -> None:
    response = post_form(client, source, {**VALID[source](), **changes})

    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert count(tmp_path / "partaj.db") == 0


def test_public_form_stores_nfc_text_trimmed_of_invisible_edges(client: TestClient, tmp_path: Path) -> None:
    data = {
        **VALID["orientation"](),
        "nom": "\u200bLe\u0301vy\ufeff",
        "prenom": "Zoe\u0301 \u200d",
        # Outside the Nord and the Pas-de-Calais a commune is free text (the young person may have moved).
        "commune": "e\u0301" * 100,
        "code_postal": "75011",
        "territoire": "arras",
        "situation": "\u200bPremière ligne\r\ndeuxième\u2028troisième\u2029quatrième\rcinquième\n\n",
    }

    assert post_form(client, "orientation", data).status_code == 303

    with sqlite3.connect(tmp_path / "partaj.db") as conn:
        stored = conn.execute(
            "SELECT s.nom, s.prenom, s.commune, o.description FROM situations s "
            "JOIN orientations o ON o.situation_id = s.id"
        ).fetchall()
    assert stored == [
        ("Lévy", "Zoé", "é" * 100, "Première ligne\ndeuxième\ntroisième\nquatrième\ncinquième"),
    ]


def test_textarea_length_counts_a_line_break_once(client: TestClient, tmp_path: Path) -> None:
    text = ("x" * 99 + "\r\n") * 20

    response = post_form(client, "orientation", {**VALID["orientation"](), "situation": text})

    assert response.status_code == 303
    assert count(tmp_path / "partaj.db") == 1


def test_refused_text_is_shown_back_as_typed(client: TestClient) -> None:
    response = post_form(client, "rupture", {**VALID["rupture"](), "nom": "Mar\u202etin"})

    assert response.status_code == 422
    assert form_state(response.text)["nom"] == ["Mar\u202etin"]


def saisie(tracking: Tracking, **changes: Any) -> Any:
    token = form_state(tracking.client.get("/coordination/situations/nouvelle").text)["jeton_saisie"][0]
    data = {**VALID["orientation"](), "territoire": TERRITOIRE_A, "jeton_saisie": token, **changes}
    return tracking.post("/coordination/situations/nouvelle", data)


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"nom": "Bernard\u202e"}, "nom", BIDI),
        ({"prenom": "\u200b"}, "prenom", REQUIRED),
        ({"commune": "Roubaix\x85"}, "commune", CONTROL),
        ({"orienteur_nom": "Awa\r\nDiallo"}, "orienteur_nom", ONE_LINE),
    ],
    ids=["rlo", "largeur-nulle", "c1", "crlf"],
)
def test_manual_entry_refuses_invisible_and_control_characters(
    tracking: Tracking, changes: dict[str, Any], field: str, message: str
) -> None:
    tracking.login_as(COORD_A)

    response = saisie(tracking, **changes)

    assert response.status_code == 422
    assert error_of(response.text, field) == message
    assert rows(tracking.db_path, "SELECT count(*) FROM situations WHERE source = 'saisie'") == [(0,)]


def test_manual_entry_stores_nfc_text_without_invisible_edges(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)

    response = saisie(tracking, nom="\u200bCe\u0301line\u200b")

    assert response.status_code == 303
    assert rows(tracking.db_path, "SELECT nom FROM situations WHERE source = 'saisie'") == [("Céline",)]


@pytest.mark.parametrize(
    ("path", "data", "field", "message"),
    [
        ("notes", {"texte": "Appel\u202e du jeune"}, "texte", BIDI),
        ("notes", {"texte": "Appel\x9b du jeune"}, "texte", CONTROL),
        ("notes", {"texte": "\u200b \u200b"}, "texte", REQUIRED),
        ("referent", {"referent_nom": "\u2067Dupont", "referent_structure": ""}, "referent_nom", BIDI),
        ("referent", {"referent_nom": "Dupont\nDurand", "referent_structure": ""}, "referent_nom", ONE_LINE),
        (
            "referent",
            {"referent_nom": "\u200b", "referent_structure": "Centre social"},
            "referent_nom",
            "Indiquez le nom du référent tuteur, ou videz tous les champs pour le retirer.",
        ),
        (
            "referent",
            {"referent_nom": "Dupont", "referent_structure": "Centre\x85"},
            "referent_structure",
            CONTROL,
        ),
    ],
    ids=[
        "note-rlo",
        "note-c1",
        "note-invisible",
        "referent-rli",
        "referent-lf",
        "referent-invisible",
        "structure-c1",
    ],
)
def test_follow_up_forms_refuse_invisible_and_control_characters(
    tracking: Tracking, path: str, data: dict[str, str], field: str, message: str
) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a

    response = tracking.post(f"/coordination/situations/{sid}/{path}", data)

    assert response.status_code == 422
    assert error_of(response.text, field) == message
    assert tracking.events(sid) == []


def test_follow_up_note_is_stored_in_nfc_with_plain_line_breaks(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a

    response = tracking.post(
        f"/coordination/situations/{sid}/notes", {"texte": "\u200bAppele\u0301\u2028rappel\r\nfin\u200b"}
    )

    assert response.status_code == 303
    assert [e[4] for e in tracking.events(sid)] == ["Appelé\nrappel\nfin"]
