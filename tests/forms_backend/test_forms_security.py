"""Public endpoints under attack or misuse: CSRF, origins, bots, rate limit, sizes, hosts, replays, escaping."""

from __future__ import annotations

import base64
import hashlib
import logging
import sqlite3
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from forms_backend.app import create_app
from forms_backend.db import situations
from forms_backend.settings import RateLimit, Settings
from forms_backend.web.middleware import inline_script_hashes
from forms_backend.web.security import FormToken, RateLimiter
from generator.catalogue import Catalogue
from tests.forms_backend.conftest import (
    SECRET,
    VALID,
    count,
    field_error,
    form_token,
    hidden,
    make_settings,
    post_form,
    receipt_reference,
)


def make_client(settings: Settings, catalogue: Catalogue) -> TestClient:
    return TestClient(create_app(settings, catalogue), base_url="http://testserver")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "partaj.db"


def test_csrf_missing_token_is_refused_with_french_page(client: TestClient, db: Path) -> None:
    client.get("/formulaires/rupture")
    data = {**VALID["rupture"](), "jeton_formulaire": form_token("rupture")}

    response = client.post("/formulaires/rupture", data=data)

    assert response.status_code == 403
    assert "<h1>Envoi refusé</h1>" in response.text
    assert count(db) == 0


def test_csrf_wrong_token_is_refused(client: TestClient, db: Path) -> None:
    response = post_form(client, "rupture", {**VALID["rupture"](), "csrf_token": "faux"})

    assert response.status_code == 403
    assert count(db) == 0


def test_csrf_token_from_another_session_is_refused(
    client: TestClient, settings: Settings, catalogue: Catalogue, db: Path
) -> None:
    other_token = hidden(client.get("/formulaires/rupture").text, "csrf_token")
    with make_client(settings, catalogue) as other:
        other.get("/formulaires/rupture")
        data = {**VALID["rupture"](), "csrf_token": other_token, "jeton_formulaire": form_token("rupture")}
        response = other.post("/formulaires/rupture", data=data)

    assert response.status_code == 403
    assert count(db) == 0


def test_csrf_without_cookie_is_refused(client: TestClient, db: Path) -> None:
    token = hidden(client.get("/formulaires/rupture").text, "csrf_token")
    client.cookies.clear()
    data = {**VALID["rupture"](), "csrf_token": token, "jeton_formulaire": form_token("rupture")}

    assert client.post("/formulaires/rupture", data=data).status_code == 403
    assert count(db) == 0


@pytest.mark.parametrize(
    ("headers", "status"),
    [
        ({"sec-fetch-site": "cross-site"}, 403),
        ({"sec-fetch-site": "same-site"}, 403),
        ({"origin": "https://malveillant.example"}, 403),
        ({"origin": "null"}, 403),
        ({"sec-fetch-site": "same-origin", "origin": "http://testserver"}, 303),
        ({}, 303),
    ],
    ids=["cross-site", "same-site", "origine-etrangere", "origine-null", "meme-origine", "sans-en-tete"],
)
def test_submit_checks_fetch_metadata_and_origin(
    client: TestClient, db: Path, headers: dict[str, str], status: int
) -> None:
    response = post_form(client, "orientation", VALID["orientation"](), headers=headers)

    assert response.status_code == status
    assert count(db) == (1 if status == 303 else 0)


def test_honeypot_filled_gets_a_receipt_and_nothing_is_stored(client: TestClient, db: Path) -> None:
    response = post_form(client, "rupture", {**VALID["rupture"](), "site_web": "http://spam.example"})

    reference = receipt_reference(response)
    assert reference.startswith("RUP-")
    page = client.get("/formulaires/recu")
    assert reference in page.text
    assert count(db) == 0


@pytest.mark.parametrize(
    ("age_seconds", "stored"),
    [(0.5, 0), (2.9, 0), (-60, 0), (3.5, 1), (3600, 1)],
    ids=["0,5-s", "2,9-s", "dans-le-futur", "3,5-s", "une-heure"],
)
def test_minimum_fill_time_of_three_seconds(
    client: TestClient, db: Path, age_seconds: float, stored: int
) -> None:
    response = post_form(client, "orientation", VALID["orientation"](), age_seconds=age_seconds)

    assert response.status_code == 303
    assert count(db) == stored


def test_minimum_fill_time_in_real_time(tmp_path: Path, catalogue: Catalogue, db: Path) -> None:
    with make_client(make_settings(tmp_path, min_fill_seconds=0.2), catalogue) as client:
        page = client.get("/formulaires/rupture").text
        data = {
            **VALID["rupture"](),
            "csrf_token": hidden(page, "csrf_token"),
            "jeton_formulaire": hidden(page, "jeton_formulaire"),
        }
        too_fast = client.post("/formulaires/rupture", data=data, follow_redirects=False)
        assert (too_fast.status_code, count(db)) == (303, 0)
        time.sleep(0.2)
        in_time = client.post("/formulaires/rupture", data=data, follow_redirects=False)
        assert (in_time.status_code, count(db)) == (303, 1)


@pytest.mark.parametrize(
    "token",
    [
        "",
        "rupture~1~abc.faux",
        form_token("orientation"),
        form_token("rupture", secret="une-autre-clé-" + "y" * 40),
    ],
    ids=["absent", "altere", "autre-formulaire", "autre-cle"],
)
def test_invalid_form_token_is_refused(client: TestClient, db: Path, token: str) -> None:
    page = client.get("/formulaires/rupture").text
    data = {**VALID["rupture"](), "csrf_token": hidden(page, "csrf_token"), "jeton_formulaire": token}

    response = client.post("/formulaires/rupture", data=data)

    assert response.status_code == 400
    assert "<h1>Demande invalide</h1>" in response.text
    assert count(db) == 0


def test_rate_limit_refuses_the_next_report_with_429(tmp_path: Path, catalogue: Catalogue, db: Path) -> None:
    with make_client(make_settings(tmp_path, rate_limit=RateLimit(2, 600)), catalogue) as client:
        page = client.get("/formulaires/rupture").text
        first_data = {
            **VALID["rupture"](),
            "csrf_token": hidden(page, "csrf_token"),
            "jeton_formulaire": form_token("rupture"),
        }
        first = client.post("/formulaires/rupture", data=first_data, follow_redirects=False)
        second = post_form(client, "rupture", {**VALID["rupture"](), "nom": "Petit"})
        third = post_form(client, "orientation", VALID["orientation"]())
        replay_of_first = client.post("/formulaires/rupture", data=first_data, follow_redirects=False)

    assert (first.status_code, second.status_code, third.status_code) == (303, 303, 429)
    assert "<h1>Trop d&#39;envois</h1>" in third.text
    assert "Vous pourrez recommencer dans 10 minute(s)." in third.text
    assert 1 <= int(third.headers["retry-after"]) <= 600
    assert receipt_reference(replay_of_first) == receipt_reference(first)
    assert count(db) == 2


def test_rate_limiter_frees_a_slot_when_the_window_slides() -> None:
    now = [1000.0]
    limiter = RateLimiter(RateLimit(2, 600), clock=lambda: now[0])
    limiter.record("a")
    now[0] += 100
    limiter.record("a")

    assert limiter.retry_after("a") == 500
    assert limiter.retry_after("b") is None
    now[0] += 500
    assert limiter.retry_after("a") is None


def test_body_over_64_kib_gets_413(client: TestClient, db: Path) -> None:
    page = client.get("/formulaires/orientation").text
    data = {
        **VALID["orientation"](),
        "csrf_token": hidden(page, "csrf_token"),
        "jeton_formulaire": form_token("orientation"),
        "situation": "x" * (65 * 1024),
    }

    response = client.post("/formulaires/orientation", data=data)

    assert response.status_code == 413
    assert "<h1>Envoi trop volumineux</h1>" in response.text
    assert count(db) == 0


def test_chunked_body_over_the_limit_gets_413(client: TestClient, db: Path) -> None:
    def chunks() -> Iterator[bytes]:
        for _ in range(80):
            yield b"situation=" + b"x" * 1024 + b"&"

    response = client.post(
        "/formulaires/orientation",
        content=chunks(),
        headers={"content-type": "application/x-www-form-urlencoded"},
    )

    assert response.status_code == 413
    assert count(db) == 0


def test_too_many_fields_gets_400_not_500(client: TestClient, db: Path) -> None:
    client.get("/formulaires/rupture")
    body = "&".join(f"champ{i}=x" for i in range(500))

    response = client.post(
        "/formulaires/rupture", content=body, headers={"content-type": "application/x-www-form-urlencoded"}
    )

    assert response.status_code == 400
    assert count(db) == 0


def test_unknown_host_gets_400_with_security_headers(client: TestClient) -> None:
    response = client.get("/formulaires/rupture", headers={"host": "malveillant.example"})

    assert response.status_code == 400
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]


def test_replay_of_the_same_form_stores_one_report_and_gives_the_same_receipt(
    client: TestClient, db: Path
) -> None:
    page = client.get("/formulaires/rupture").text
    data = {
        **VALID["rupture"](),
        "csrf_token": hidden(page, "csrf_token"),
        "jeton_formulaire": form_token("rupture"),
    }

    first = client.post("/formulaires/rupture", data=data, follow_redirects=False)
    second = client.post("/formulaires/rupture", data=data, follow_redirects=False)

    assert receipt_reference(first) == receipt_reference(second)
    assert count(db) == 1


def test_second_different_report_from_the_same_page_is_stored_too(client: TestClient, db: Path) -> None:
    page = client.get("/formulaires/rupture").text
    fields = {"csrf_token": hidden(page, "csrf_token"), "jeton_formulaire": form_token("rupture")}

    first = client.post("/formulaires/rupture", data={**fields, **VALID["rupture"]()}, follow_redirects=False)
    other = {**fields, **VALID["rupture"](), "nom": "Lefebvre"}
    second = client.post("/formulaires/rupture", data=other, follow_redirects=False)

    assert receipt_reference(first) != receipt_reference(second)
    assert count(db) == 2


def test_script_is_rendered_escaped_and_stored_as_typed(client: TestClient, db: Path) -> None:
    typed = '<script>alert("x")</script> & Fils'
    refused = post_form(
        client, "rupture", {**VALID["rupture"](), "entreprise_nom": typed, "code_postal": "1"}
    )

    assert refused.status_code == 422
    assert "<script>alert" not in refused.text
    assert 'value="&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; &amp; Fils"' in refused.text

    stored = post_form(client, "rupture", {**VALID["rupture"](), "entreprise_nom": typed, "nom": typed})
    assert stored.status_code == 303
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT nom FROM situations").fetchone()[0] == typed
        assert conn.execute("SELECT entreprise_nom FROM rapports_rupture").fetchone()[0] == typed


def test_receipt_shows_reference_and_next_steps_but_no_personal_data(client: TestClient) -> None:
    response = post_form(client, "orientation", VALID["orientation"]())
    reference = receipt_reference(response)

    page = client.get("/formulaires/recu")

    assert reference.startswith(f"ORI-{time.localtime().tm_year}-")
    assert reference in page.text
    assert "Bassin d&#39;emploi de Roubaix-Tourcoing" in page.text
    assert "Et maintenant ?" in page.text
    for personal in ("Bernard", "Yanis", "yanis@example.fr", "Awa Diallo"):
        assert personal not in page.text
    assert page.headers["cache-control"] == "no-store"


@pytest.mark.parametrize("cookie", [None, "RUP-2026-000001|rupture|arras.faux"], ids=["absent", "falsifie"])
def test_receipt_without_a_valid_cookie_says_nothing_was_sent(client: TestClient, cookie: str | None) -> None:
    if cookie:
        client.cookies.set("partaj_recu", cookie)

    page = client.get("/formulaires/recu")

    assert page.status_code == 200
    assert "<h1>Aucun envoi récent</h1>" in page.text
    assert "RUP-2026-000001" not in page.text


@pytest.mark.parametrize(
    "path",
    [
        "/formulaires/rupture",
        "/formulaires/recu",
        "/sante",
        "/absente",
        "/formulaires/static/formulaires.css",
        "/",
    ],
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    headers = client.get(path).headers

    csp = headers["content-security-policy"]
    script_src = next(d for d in csp.split("; ") if d.startswith("script-src"))
    assert "'unsafe-inline'" not in script_src
    assert "frame-ancestors 'none'" in csp
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert "server" not in headers


def test_guide_inline_scripts_are_allowed_by_hash_only(tmp_path: Path, catalogue: Catalogue) -> None:
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        "<html><body><script>var a=1;</script><script src='x.js'></script></body></html>"
    )
    (site / "page.html").write_text(
        '<script>var a=1;</script><script id="c" type="application/json">{}</script>'
    )
    expected = inline_script_hashes("<script>var a=1;</script>") | inline_script_hashes("<script>{}</script>")

    with make_client(make_settings(tmp_path, site_dir=site), catalogue) as client:
        response = client.get("/")

    assert response.status_code == 200
    script_src = next(d for d in response.headers["content-security-policy"].split("; ") if "script-src" in d)
    assert script_src.split() == ["script-src", "'self'", "'wasm-unsafe-eval'", *sorted(expected)]
    digest = base64.b64encode(hashlib.sha256(b"var a=1;").digest()).decode()
    assert f"'sha256-{digest}'" in expected
    assert len(expected) == 2


def test_health_check_answers_ok_and_nothing_else(client: TestClient) -> None:
    post_form(client, "rupture", VALID["rupture"]())

    response = client.get("/sante")

    assert response.status_code == 200
    assert response.json() == {"statut": "ok"}
    assert response.headers["cache-control"] == "no-store"


def test_unexpected_error_gets_a_french_500_page_and_stores_nothing(
    client: TestClient, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*args: object, **kwargs: object) -> list[situations.Receipt]:
        raise RuntimeError("panne simulée")

    monkeypatch.setattr(situations, "insert_reports", broken)

    response = post_form(client, "rupture", VALID["rupture"]())

    assert response.status_code == 500
    assert "<h1>Erreur du serveur</h1>" in response.text
    assert "content-security-policy" in response.headers
    assert count(db) == 0


def test_logs_hold_no_personal_data(client: TestClient, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    data = VALID["rupture"]()

    post_form(client, "rupture", {**data, "code_postal": "1"})
    post_form(client, "rupture", data)
    post_form(client, "rupture", data)
    post_form(client, "rupture", {**data, "site_web": "x"})

    logged = caplog.text
    assert "rapport enregistré : RUP-" in logged
    for value in ("Martin", "Léa", "06 12 34 56 78", "paul.durand", "Paul Durand", "Lens", "62300"):
        assert value not in logged


def test_form_token_round_trip() -> None:
    token = FormToken.issue("rupture", 1_700_000_000.123)

    assert FormToken.decode(SECRET, token.encode(SECRET), "rupture") == FormToken(
        "rupture", 1_700_000_000.123, token.nonce
    )


def test_forms_index_lists_both_forms(client: TestClient) -> None:
    response = client.get("/formulaires")

    assert response.status_code == 200
    assert str(response.url) == "http://testserver/formulaires/"
    assert 'href="/formulaires/rupture"' in response.text
    assert 'href="/formulaires/orientation"' in response.text


def test_head_on_a_form_answers_like_get(client: TestClient) -> None:
    response = client.head("/formulaires/orientation")

    assert response.status_code == 200
    assert response.headers["content-type"] == "text/html; charset=utf-8"


def test_https_deployment_uses_host_prefixed_secure_cookies_and_hsts(
    tmp_path: Path, catalogue: Catalogue, db: Path
) -> None:
    settings = make_settings(tmp_path, base_url="https://testserver")
    with TestClient(create_app(settings, catalogue), base_url="https://testserver") as client:
        page = client.get("/formulaires/rupture")
        response = post_form(client, "rupture", VALID["rupture"]())
        receipt = client.get("/formulaires/recu")

    cookie = page.headers["set-cookie"]
    assert cookie.startswith("__Host-partaj_csrf=")
    assert "Secure" in cookie and "HttpOnly" in cookie and "Path=/" in cookie
    assert page.headers["strict-transport-security"] == "max-age=31536000"
    assert receipt_reference(response) in receipt.text
    assert count(db) == 1


def test_empty_form_sent_at_once_shows_its_errors_not_a_receipt(client: TestClient, db: Path) -> None:
    response = post_form(client, "rupture", {}, age_seconds=0)

    assert response.status_code == 422
    assert field_error(response.text, "nom") == "Ce champ est obligatoire."
    assert count(db) == 0
