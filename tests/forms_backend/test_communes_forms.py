"""The young person's commune in the public forms (issue 9): the postal code must belong to the commune, the
INSEE code and the commune's territory are stored, an empty territory is derived from the commune, the receipt
names the CTL, and the completion list is served compact."""

from __future__ import annotations

import html
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.forms_backend.conftest import VALID, count, field_error, post_form

LILLE = "Le code postal 59300 ne correspond pas à Lille (59000, 59160, 59260, 59777, 59800)"
OUTSIDE = (
    "{commune} n'est pas dans le Nord ni le Pas-de-Calais : choisissez le territoire de la CTL qui suivra le "
    "jeune (celui de votre structure, par exemple)."
)

# (id, postal code, commune typed, hidden INSEE code sent by the completion list, territory chosen,
#  expected row (commune, commune_insee, territoire_commune, territoire) or (field, message) of the 422)
CASES: list[tuple[str, str, str, str, str, tuple[Any, ...]]] = [
    ("lille-59300", "59300", "Lille", "", "", ("commune", LILLE)),
    ("lille-59300-territoire-choisi", "59300", "Lille", "", "arras", ("commune", LILLE)),
    ("lille-59800", "59800", "Lille", "", "", ("Lille", "59350", "hors-territoires", "hors-territoires")),
    ("minuscules", "59000", "lille", "", "", ("Lille", "59350", "hors-territoires", "hors-territoires")),
    (
        "saint-omer-sans-tiret",
        "62500",
        "saint omer",
        "",
        "",
        ("Saint-Omer", "62765", "hors-territoires", "hors-territoires"),
    ),
    (
        "st-omer-abrege",
        "62500",
        "St-Omer",
        "",
        "",
        ("Saint-Omer", "62765", "hors-territoires", "hors-territoires"),
    ),
    (
        "accents-omis",
        "62110",
        "henin beaumont",
        "",
        "",
        ("Hénin-Beaumont", "62427", "lens-lievin-henin-carvin", "lens-lievin-henin-carvin"),
    ),
    (
        "homonyme-nord",
        "59440",
        "Saint-Aubin",
        "",
        "",
        ("Saint-Aubin", "59529", "sambre-avesnois", "sambre-avesnois"),
    ),
    (
        "homonyme-pas-de-calais",
        "62170",
        "saint aubin",
        "",
        "",
        ("Saint-Aubin", "62742", "hors-territoires", "hors-territoires"),
    ),
    (
        "homonyme-mauvais-code",
        "59300",
        "Saint-Aubin",
        "",
        "",
        ("commune", "Le code postal 59300 ne correspond pas à Saint-Aubin (59440) ni à Saint-Aubin (62170)"),
    ),
    # The completion list's code settles nothing against the postal code: 62742 is not in 59440.
    (
        "code-insee-contredit",
        "59440",
        "Saint-Aubin",
        "62742",
        "",
        ("Saint-Aubin", "59529", "sambre-avesnois", "sambre-avesnois"),
    ),
    (
        "ancienne-commune",
        "59160",
        "Lomme",
        "",
        "",
        ("Lomme", "59350", "hors-territoires", "hors-territoires"),
    ),
    (
        "ancienne-commune-mauvais-code",
        "59300",
        "lomme",
        "",
        "",
        (
            "commune",
            "Le code postal 59300 ne correspond pas à Lomme, aujourd'hui Lille (59000, 59160, 59260, 59777, 59800)",
        ),
    ),
    (
        "nom-inconnu",
        "59000",
        "Lile",
        "",
        "",
        (
            "commune",
            "Aucune commune « Lile » n'a le code postal 59000 (Lille) : vérifiez l'orthographe ou le code postal.",
        ),
    ),
    ("code-inexistant", "59999", "Lille", "", "", ("commune", LILLE.replace("59300", "59999"))),
    (
        "code-inexistant-nom-inconnu",
        "62999",
        "Nulle-Part",
        "",
        "",
        ("commune", "Aucune commune du département 62 n'a le code postal 62999 : vérifiez-le."),
    ),
    (
        "hors-nord-pas-de-calais-territoire-choisi",
        "80000",
        "Amiens",
        "",
        "arras",
        ("Amiens", None, None, "arras"),
    ),
    (
        "hors-nord-pas-de-calais-sans-territoire",
        "80000",
        "Amiens",
        "",
        "",
        ("territoire", OUTSIDE.format(commune="Amiens")),
    ),
    # A homonym outside the covered départements is another commune, kept as typed.
    (
        "homonyme-hors-nord-pas-de-calais",
        "76000",
        "Saint-Aubin",
        "",
        "valenciennes",
        ("Saint-Aubin", None, None, "valenciennes"),
    ),
    (
        "autre-territoire-choisi",
        "62300",
        "Lens",
        "",
        "arras",
        ("Lens", "62498", "lens-lievin-henin-carvin", "arras"),
    ),
]


def stored(db_path: Path) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(
            "SELECT commune, commune_insee, territoire_commune, territoire FROM situations ORDER BY id"
        ).fetchall()


@pytest.mark.parametrize(
    ("postal_code", "typed", "insee", "territoire", "expected"),
    [c[1:] for c in CASES],
    ids=[c[0] for c in CASES],
)
@pytest.mark.parametrize("source", ["rupture", "orientation"])
def test_commune_and_postal_code_are_checked_and_routed(
    client: TestClient,
    tmp_path: Path,
    source: str,
    postal_code: str,
    typed: str,
    insee: str,
    territoire: str,
    expected: tuple[Any, ...],
) -> None:
    data = {**VALID[source](), "code_postal": postal_code, "commune": typed, "territoire": territoire}
    if insee:
        data["commune_insee"] = insee

    response = post_form(client, source, data)

    if len(expected) == 2:
        field, message = expected
        assert response.status_code == 422
        assert field_error(response.text, field) == message
        assert count(tmp_path / "partaj.db") == 0
        # Every answer is kept, the commune as typed.
        assert f'value="{html.escape(typed, quote=True)}"' in response.text
    else:
        assert response.status_code == 303, field_error(response.text, "commune")
        assert stored(tmp_path / "partaj.db") == [expected]


@pytest.mark.parametrize(
    ("commune", "postal_code", "territoire", "nom"),
    [
        ("Béthune", "62400", "bethune-bruay", "Bassin d'emploi de Béthune-Bruay"),
        ("Bruay-la-Buissière", "62700", "bethune-bruay", "Bassin d'emploi de Béthune-Bruay"),
        ("Liévin", "62800", "lens-lievin-henin-carvin", "Bassin d'emploi de Lens-Liévin-Hénin-Carvin"),
        ("Tourcoing", "59200", "roubaix-tourcoing", "Bassin d'emploi de Roubaix-Tourcoing"),
        ("Maubeuge", "59600", "sambre-avesnois", "Bassin d'emploi de la Sambre-Avesnois"),
        ("Valenciennes", "59300", "valenciennes", "Bassin d'emploi de Valenciennes"),
        ("Arras", "62000", "arras", "Communauté urbaine d'Arras"),
        ("Dunkerque", "59240", "dunkerque", "Communauté urbaine de Dunkerque"),
        ("Calais", "62100", "hors-territoires", "Reste de la région Nord-Pas-de-Calais"),
    ],
)
def test_an_empty_territory_sends_the_report_to_the_communes_ctl_named_on_the_receipt(
    client: TestClient, tmp_path: Path, commune: str, postal_code: str, territoire: str, nom: str
) -> None:
    data = {**VALID["rupture"](), "commune": commune, "code_postal": postal_code, "territoire": ""}

    response = post_form(client, "rupture", data)

    assert response.status_code == 303
    assert [row[2:] for row in stored(tmp_path / "partaj.db")] == [(territoire, territoire)]
    receipt = client.get("/formulaires/recu")
    text = html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", receipt.text)))
    assert f"Transmis à la cellule technique locale du territoire : {nom}" in text
    assert VALID["rupture"]()["nom"] not in text  # nothing personal on the receipt


def test_the_territory_select_offers_to_derive_it_from_the_commune(client: TestClient) -> None:
    page = client.get("/formulaires/orientation").text

    select = page.split('<select id="champ-territoire"', 1)[1].split("</select>", 1)[0]
    assert re.findall(r"<option[^>]*>([^<]*)</option>", select)[0] == "Déterminer d&#39;après la commune"
    assert '<option value="">' in select
    assert " required" not in select.split(">", 1)[0]
    assert 'data-communes="/formulaires/communes.json"' in page
    assert '<input type="hidden" id="champ-commune_insee" name="commune_insee" value="">' in page


def test_a_form_shown_again_keeps_the_chosen_insee_code(client: TestClient) -> None:
    data = {
        **VALID["orientation"](),
        "code_postal": "59440",
        "commune": "Saint-Aubin",
        "commune_insee": "59529",
    }

    response = post_form(client, "orientation", {**data, "nom": ""})

    assert response.status_code == 422
    assert (
        '<input type="hidden" id="champ-commune_insee" name="commune_insee" value="59529">' in response.text
    )


def test_the_completion_list_is_compact_gzipped_and_cached(client: TestClient) -> None:
    response = client.get("/formulaires/communes.json", headers={"accept-encoding": "gzip"})

    assert response.status_code == 200
    assert response.headers["content-encoding"] == "gzip"
    assert response.headers["content-type"] == "application/json"
    data = response.json()  # httpx decodes the gzip
    assert len(data["communes"]) == 1534
    assert ["59606", "Valenciennes", "59300", "valenciennes"] in data["communes"]
    assert data["territoires"]["valenciennes"] == "Bassin d'emploi de Valenciennes"
    assert ["Lomme", "59350"] in data["anciennes"]
    raw = client.get("/formulaires/communes.json", headers={"accept-encoding": "identity"})
    assert "content-encoding" not in raw.headers
    assert json.loads(raw.content) == data
    again = client.get("/formulaires/communes.json", headers={"if-none-match": response.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
