"""A form body is UTF-8 or it is refused: invalid bytes, a Latin-1 multipart part or a declared charset other than
UTF-8 get a French 400 page and nothing is stored — on every form (public, back office, login), and on the real
server (uvicorn), whose body parsing is what is tested."""

from __future__ import annotations

import html
import re
import sqlite3
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
import pytest
from starlette.testclient import TestClient

from forms_backend.web.formdata import url_encoded_fields
from forms_backend.web.forms import FIELD_TWICE
from tests.forms_backend.conftest import (
    VALID,
    count,
    form_token,
    hidden,
    live_server,
    receipt_reference,
)
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    Tracking,
    tracking_fixture,
)

URLENCODED = "application/x-www-form-urlencoded"
BAD_ENCODING = (
    "Le formulaire reçu contient des caractères illisibles : il n'est pas encodé en UTF-8. "
    "Rien n'a été enregistré. Rechargez la page du formulaire puis renvoyez-le."
)
BAD_CHARSET = (
    "Le formulaire reçu annonce un autre encodage que l'UTF-8 : il ne peut pas être lu. "
    "Rien n'a été enregistré. Rechargez la page du formulaire puis renvoyez-le."
)


def error_page(page_html: str) -> tuple[str, str]:
    """Title and message of the French error page, as the user reads them."""
    match = re.search(r"<h1>(.*?)</h1>\s*<p>(.*?)</p>", page_html, re.DOTALL)
    assert match, "page d'erreur attendue"
    return html.unescape(match.group(1)), html.unescape(match.group(2))


def form_fields(client: TestClient | httpx.Client, source: str) -> dict[str, Any]:
    """A valid report of `source` with the page's CSRF token and a display token 10 s old."""
    csrf = hidden(client.get(f"/formulaires/{source}").text, "csrf_token")
    return {**VALID[source](), "csrf_token": csrf, "jeton_formulaire": form_token(source)}


def encoded(data: dict[str, Any], *extra: bytes) -> bytes:
    """A URL-encoded body (UTF-8) with raw `name=value` pairs appended as given."""
    return b"&".join([urlencode(data, doseq=True).encode("ascii"), *extra])


def multipart(data: dict[str, Any], raw: dict[str, bytes], boundary: str = "frontiere") -> bytes:
    """A multipart/form-data body: `data` in UTF-8, `raw` values as the bytes given."""
    parts = []
    items = [(k, v) for k, vs in data.items() for v in (vs if isinstance(vs, list) else [vs])]
    for name, value in [*((k, str(v).encode()) for k, v in items), *raw.items()]:
        head = f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
        parts.append(head + value + b"\r\n")
    return b"".join(parts) + f"--{boundary}--\r\n".encode()


def post_raw(client: TestClient | httpx.Client, path: str, body: bytes, content_type: str) -> httpx.Response:
    return client.post(path, content=body, headers={"content-type": content_type}, follow_redirects=False)


@pytest.mark.parametrize(
    ("raw", "content_type", "message"),
    [
        (b"nom=Caf%E9", URLENCODED, BAD_ENCODING),
        (b"nom=Caf\xe9", URLENCODED, BAD_ENCODING),
        (b"nom=%C3", URLENCODED, BAD_ENCODING),
        (b"nom=Martin", URLENCODED + "; charset=iso-8859-1", BAD_CHARSET),
        (b"nom=Martin", URLENCODED + '; Charset="windows-1252"', BAD_CHARSET),
        (b"nom=Martin", URLENCODED + "; charset=pas-un-encodage", BAD_CHARSET),
    ],
    ids=["pourcent-latin1", "octet-brut-latin1", "utf8-tronque", "iso-8859-1", "windows-1252", "inconnu"],
)
def test_public_form_not_in_utf8_is_refused_with_a_french_400(
    client: TestClient, tmp_path: Path, raw: bytes, content_type: str, message: str
) -> None:
    data = form_fields(client, "rupture")
    del data["nom"]

    response = post_raw(client, "/formulaires/rupture", encoded(data, raw), content_type)

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", message)
    assert response.headers["content-security-policy"]
    assert count(tmp_path / "partaj.db") == 0


def test_multipart_part_in_latin1_is_refused(client: TestClient, tmp_path: Path) -> None:
    data = form_fields(client, "rupture")
    del data["nom"]
    body = multipart(data, {"nom": "Café".encode("latin-1")})

    response = post_raw(client, "/formulaires/rupture", body, "multipart/form-data; boundary=frontiere")

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", BAD_ENCODING)
    assert count(tmp_path / "partaj.db") == 0


def test_multipart_declaring_another_charset_is_refused(client: TestClient, tmp_path: Path) -> None:
    body = multipart(form_fields(client, "rupture"), {})

    response = post_raw(
        client, "/formulaires/rupture", body, "multipart/form-data; boundary=frontiere; charset=latin-1"
    )

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", BAD_CHARSET)
    assert count(tmp_path / "partaj.db") == 0


def test_utf8_forms_are_read_as_sent_urlencoded_raw_or_multipart(client: TestClient, tmp_path: Path) -> None:
    data = form_fields(client, "rupture")
    del data["nom"]
    declared = post_raw(
        client, "/formulaires/rupture", encoded(data, b"nom=%C3%89lo%C3%AFse"), URLENCODED + "; charset=UTF-8"
    )
    raw = post_raw(
        client, "/formulaires/rupture", encoded({**data, "prenom": "Zoé"}, "nom=Ñuñez".encode()), URLENCODED
    )
    parts = post_raw(
        client,
        "/formulaires/rupture",
        multipart({**data, "prenom": "Anaïs"}, {"nom": "Lefèvre".encode()}),
        "multipart/form-data; boundary=frontiere",
    )

    assert [r.status_code for r in (declared, raw, parts)] == [303, 303, 303]
    with sqlite3.connect(tmp_path / "partaj.db") as conn:
        names = conn.execute("SELECT nom, prenom FROM situations ORDER BY id").fetchall()
    assert names == [("Éloïse", "Léa"), ("Ñuñez", "Zoé"), ("Lefèvre", "Anaïs")]


def test_back_office_form_not_in_utf8_is_refused(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    body = encoded({"csrf_token": tracking.csrf(), "date_note": ""}, b"texte=Appel%E9")

    response = post_raw(tracking.client, f"/coordination/situations/{sid}/notes", body, URLENCODED)

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", BAD_ENCODING)
    assert response.headers["x-robots-tag"] == "noindex"
    assert tracking.events(sid) == []


def test_back_office_form_declaring_latin1_is_refused(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    body = encoded({"csrf_token": tracking.csrf(), "texte": "Appel", "date_note": ""})

    response = post_raw(
        tracking.client, f"/coordination/situations/{sid}/notes", body, URLENCODED + "; charset=iso-8859-1"
    )

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", BAD_CHARSET)
    assert tracking.events(sid) == []


def test_login_form_not_in_utf8_is_refused(tracking: Tracking) -> None:
    page = tracking.client.get("/coordination/connexion")
    body = encoded({"csrf_token": hidden(page.text, "csrf_token"), "mot_de_passe": "x"}, b"email=a%FF@b.fr")

    response = post_raw(tracking.client, "/coordination/connexion", body, URLENCODED)

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", BAD_ENCODING)


@pytest.mark.parametrize("field", ["email", "mot_de_passe", "suite"])
def test_login_field_sent_twice_is_refused(tracking: Tracking, field: str) -> None:
    page = tracking.client.get("/coordination/connexion")
    before = tracking.audit()
    pairs = [("csrf_token", hidden(page.text, "csrf_token")), ("email", COORD_A), ("mot_de_passe", "x" * 12)]
    pairs += [(field, "/coordination/" if field == "suite" else "autre")] * 2

    response = post_raw(tracking.client, "/coordination/connexion", urlencode(pairs).encode(), URLENCODED)

    assert response.status_code == 400
    assert error_page(response.text) == ("Demande invalide", FIELD_TWICE)
    assert tracking.audit() == before


def test_real_server_refuses_a_body_not_in_utf8_and_reads_a_utf8_one(tmp_path: Path) -> None:
    with live_server(tmp_path) as server, httpx.Client(base_url=server.url, timeout=10) as client:
        data = form_fields(client, "rupture")
        del data["nom"]
        latin1 = post_raw(client, "/formulaires/rupture", encoded(data, b"nom=Caf%E9"), URLENCODED)
        declared = post_raw(
            client, "/formulaires/rupture", encoded(data, b"nom=Martin"), URLENCODED + "; charset=iso-8859-1"
        )
        parts = post_raw(
            client,
            "/formulaires/rupture",
            multipart(data, {"nom": "Café".encode("latin-1")}),
            "multipart/form-data; boundary=frontiere",
        )
        utf8 = post_raw(client, "/formulaires/rupture", encoded(data, b"nom=Caf%C3%A9"), URLENCODED)

        assert (latin1.status_code, error_page(latin1.text)[1]) == (400, BAD_ENCODING)
        assert (declared.status_code, error_page(declared.text)[1]) == (400, BAD_CHARSET)
        assert (parts.status_code, error_page(parts.text)[1]) == (400, BAD_ENCODING)
        receipt_reference(utf8)
        with sqlite3.connect(server.db_path) as conn:
            assert conn.execute("SELECT nom FROM situations").fetchall() == [("Café",)]


@pytest.mark.parametrize("content_type", [URLENCODED, "multipart/form-data; boundary=frontiere"])
def test_public_form_with_too_many_fields_is_refused_and_stores_nothing(
    client: TestClient, tmp_path: Path, content_type: str
) -> None:
    data = form_fields(client, "rupture")
    extra = {f"champ{n}": "x" for n in range(130)}
    body = encoded({**data, **extra}) if content_type == URLENCODED else multipart({**data, **extra}, {})

    response = post_raw(client, "/formulaires/rupture", body, content_type)

    assert response.status_code == 400
    assert error_page(response.text)[0] == "Demande invalide"
    assert count(tmp_path / "partaj.db") == 0


@pytest.mark.parametrize(
    "text",
    [
        "nom=Martin&prenom=L%C3%A9a&motifs=a&motifs=b",
        "a=1&&b=&c&d=x%3Dy&e+f=g+h&%2B=%26",
        "commune=Saint-Omer&situation=Ligne+1%0D%0ALigne+2",
        "",
    ],
)
def test_url_encoded_fields_read_like_parse_qsl(text: str) -> None:
    assert url_encoded_fields(text) == parse_qsl(text, keep_blank_values=True)
