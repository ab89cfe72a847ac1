"""The API of CFA software: tokens (CLI), reports in JSON, per-field errors, idempotency, status endpoint."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from forms_backend.cli import main
from forms_backend.vocabulary import CFA_STATUT_LABELS
from tests.forms_backend.cfa_support import COORD, UAI_A, UAI_B, Area, area_fixture, report
from tests.forms_backend.conftest import SECRET
from tests.forms_backend.coordination import audit_actions, csrf_of, rows

__all__ = ["area_fixture"]


def _cli(db_path: Path, *args: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main([*args, "--db", str(db_path)])
    return code, capsys.readouterr().out


def _token(area: Area, uai: str, capsys: pytest.CaptureFixture[str]) -> str:
    code, out = _cli(area.db_path, "cfa", "token", "add", "--uai", uai, capsys=capsys)
    assert code == 0
    return out.strip().splitlines()[-1]


def _payload(**changes: Any) -> dict[str, Any]:
    data = report()
    data.update(motifs=["relation-employeur", "mobilite"], jeune_informe=True)
    data = {k: v for k, v in data.items() if v != ""}
    data.update(changes)
    return data


def _post(area: Area, token: str, body: Any, **headers: str) -> Any:
    content = body if isinstance(body, bytes) else json.dumps(body).encode()
    return area.client.post(
        "/api/v1/ruptures",
        content=content,
        headers={"authorization": f"Bearer {token}", "content-type": "application/json", **headers},
    )


@pytest.fixture(autouse=True)
def _settings_env(monkeypatch: pytest.MonkeyPatch) -> None:
    # The CLI reads its settings from the environment: the tests' secret and catalogue.
    monkeypatch.setenv("PARTAJ_SECRET_KEY", SECRET)


def test_cfa_api_token_is_shown_once_stored_hashed_and_listed(
    area: Area, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _token(area, UAI_A, capsys)

    assert token.startswith("partaj_") and len(token) > 40
    stored = rows(area.db_path, "SELECT uai, empreinte, debut FROM cfa_jetons")
    assert len(stored) == 1 and stored[0][0] == UAI_A and token not in stored[0][1]
    code, listing = _cli(area.db_path, "cfa", "token", "list", capsys=capsys)
    assert code == 0 and token not in listing
    assert listing.startswith(f"1\t{UAI_A}\t{token[:12]}…\tcréé le ")
    assert listing.rstrip().endswith("dernier usage : jamais\tactif")


def test_cfa_api_token_for_an_invalid_uai_is_refused(area: Area, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["cfa", "token", "add", "--uai", "0596789A", "--db", str(area.db_path)])

    assert code == 1
    assert capsys.readouterr().err == (
        "erreur : UAI invalide : « 0596789A » ; la lettre de contrôle ne correspond pas aux chiffres "
        "(attendu 0596789J) : vérifiez le numéro\n"
    )


def test_cfa_api_report_is_stored_and_its_status_shows_nothing_confidential(
    area: Area, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _token(area, UAI_A, capsys)
    payload = _payload()
    payload.pop("cfa_uai")
    response = _post(area, token, payload)

    assert response.status_code == 201
    reference = response.json()["reference"]
    assert response.json() == {"reference": reference}
    assert rows(
        area.db_path,
        "SELECT r.cfa_uai, c.canal, c.jeton_id FROM rapports_rupture r JOIN cfa_signalements c USING (situation_id)",
    ) == [(UAI_A, "api", 1)]
    # The coordinator examines it in CTL and writes a note: the CFA sees the step, never the note.
    area.login_as(COORD)
    (situation_id,) = rows(area.db_path, "SELECT id FROM situations")[0]
    token_csrf = csrf_of(area.client.get("/coordination/").text)
    for path, data in (
        ("statut", {"statut": "a-examiner-en-ctl"}),
        ("notes", {"texte": "Note confidentielle"}),
    ):
        answer = area.client.post(
            f"/coordination/situations/{situation_id}/{path}",
            data={"csrf_token": token_csrf, **data},
            follow_redirects=False,
        )
        assert answer.status_code == 303
    status = area.client.get(f"/api/v1/ruptures/{reference}", headers={"authorization": f"Bearer {token}"})

    assert status.status_code == 200
    assert set(status.json()) == {"reference", "statut", "mis_a_jour"}
    assert status.json()["statut"] == CFA_STATUT_LABELS["a-examiner-en-ctl"] == "Examiné en CTL"
    assert "Note" not in status.text and "Martin" not in status.text


def test_cfa_api_list_answers_a_list_of_references(area: Area, capsys: pytest.CaptureFixture[str]) -> None:
    token = _token(area, UAI_A, capsys)
    response = _post(area, token, [_payload(nom="Un"), _payload(nom="Deux")])

    assert response.status_code == 201
    assert [list(item) for item in response.json()] == [["reference"], ["reference"]]
    assert rows(area.db_path, "SELECT count(*) FROM cfa_signalements") == [(2,)]


@pytest.mark.parametrize(
    ("authorization", "message"),
    [
        ("", "Jeton d'API absent : envoyez l'en-tête « Authorization: Bearer VOTRE_JETON »."),
        (
            "Bearer partaj_inconnu",
            "Jeton d'API inconnu : vérifiez-le, ou demandez-en un nouveau à votre coordinateur.",
        ),
    ],
)
def test_cfa_api_bad_token_is_refused(area: Area, authorization: str, message: str) -> None:
    response = area.client.post("/api/v1/ruptures", json=_payload(), headers={"authorization": authorization})

    assert (response.status_code, response.json()) == (401, {"erreur": message})
    assert response.headers["www-authenticate"] == 'Bearer realm="partaj"'
    assert rows(area.db_path, "SELECT count(*) FROM situations") == [(0,)]


@pytest.mark.parametrize("by", ["id", "token"])
def test_cfa_api_revoked_token_is_refused(area: Area, capsys: pytest.CaptureFixture[str], by: str) -> None:
    token = _token(area, UAI_A, capsys)
    code, out = _cli(area.db_path, "cfa", "token", "revoke", "1" if by == "id" else token, capsys=capsys)

    assert (code, out) == (0, f"Jeton n° 1 (UAI {UAI_A}) révoqué : il ne donne plus accès à l'API.\n")
    response = _post(area, token, _payload())
    assert (response.status_code, response.json()) == (
        401,
        {"erreur": "Ce jeton d'API a été révoqué : demandez-en un nouveau à votre coordinateur."},
    )
    assert ("cfa-jeton-revoque", "succes") in [(a[1], a[2]) for a in audit_actions(area.db_path)]


def test_cfa_api_token_of_another_cfa_cannot_report_for_it_nor_read_its_status(
    area: Area, capsys: pytest.CaptureFixture[str]
) -> None:
    token_a = _token(area, UAI_A, capsys)
    token_b = _token(area, UAI_B, capsys)
    refused = _post(area, token_b, _payload(cfa_uai=UAI_A))

    assert refused.status_code == 422
    assert refused.json() == {
        "erreurs": {"cfa_uai": f"Ce numéro UAI n'est pas celui de votre CFA ({UAI_B})."}
    }
    reference = _post(area, token_a, _payload()).json()["reference"]
    hidden = area.client.get(f"/api/v1/ruptures/{reference}", headers={"authorization": f"Bearer {token_b}"})
    assert (hidden.status_code, hidden.json()) == (
        404,
        {"erreur": "Aucun signalement de votre CFA sous cette référence."},
    )


def test_cfa_api_invalid_json_is_refused(area: Area, capsys: pytest.CaptureFixture[str]) -> None:
    token = _token(area, UAI_A, capsys)
    response = _post(area, token, b'{"nom": "Martin",')

    assert response.status_code == 400
    assert response.json()["erreur"].startswith(
        "Corps de la requête illisible : attendu un objet JSON encodé en UTF-8 ("
    )
    shape = _post(area, token, [1, 2])
    assert (shape.status_code, shape.json()) == (
        422,
        {"erreur": "Attendu un objet JSON (un signalement) ou une liste d'objets (de 1 à 500 signalements)."},
    )


FUTURE = "2999-01-01"


@pytest.mark.parametrize(
    ("changes", "errors"),
    [
        ({"nom": ""}, {"nom": "Ce champ est obligatoire."}),
        (
            {"date_rupture": FUTURE},
            {
                "date_rupture": "Cette date est dans le futur : attendu une date passée ou celle d'aujourd'hui."
            },
        ),
        (
            {"date_rupture": "15.09.2025"},
            {"date_rupture": "Date invalide : attendu une date au format JJ/MM/AAAA (ex. 15/09/2025)."},
        ),
        (
            {"date_rupture": 45000},
            {"date_rupture": "Valeur attendue sous forme de texte (ex. « 2025-09-15 » pour une date)."},
        ),
        (
            {"secteur": "astronautique"},
            {"secteur": "Réponse non reconnue : choisissez une réponse dans la liste."},
        ),
        ({"motifs": ["ennui"]}, {"motifs": "Réponse non reconnue : choisissez une réponse dans la liste."}),
        ({"motifs": []}, {"motifs": "Cochez au moins une réponse."}),
        ({"nom": ["A", "B"]}, {"nom": "Une seule valeur attendue pour ce champ, pas une liste."}),
        ({"code_postal": "623"}, {"code_postal": "Code postal invalide : attendu 5 chiffres (ex. 59300)."}),
        (
            {"entreprise_siret": "73282932000075"},
            {
                "entreprise_siret": "Numéro SIRET invalide : la clé de contrôle ne correspond pas, vérifiez les 14 chiffres."
            },
        ),
        (
            {"cfa_uai": "12"},
            {"cfa_uai": "Numéro UAI invalide : attendu 7 chiffres suivis d'une lettre (ex. 0596789X)."},
        ),
        (
            {"jeune_informe": False},
            {
                "jeune_informe": "Confirmez que le jeune a été informé de ce signalement : c'est une obligation (RGPD, article 14)."
            },
        ),
        (
            {"couleur": "bleu"},
            {"couleur": "Champ inconnu : il ne fait pas partie du formulaire de signalement d'une rupture."},
        ),
    ],
)
def test_cfa_api_each_invalid_field_gets_its_french_message(
    area: Area, capsys: pytest.CaptureFixture[str], changes: dict[str, Any], errors: dict[str, str]
) -> None:
    token = _token(area, UAI_A, capsys)
    response = _post(area, token, _payload(**changes))

    assert (response.status_code, response.json()) == (422, {"erreurs": errors})
    assert rows(area.db_path, "SELECT count(*) FROM situations") == [(0,)]


def test_cfa_api_list_with_one_bad_item_stores_nothing(
    area: Area, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _token(area, UAI_A, capsys)
    response = _post(area, token, [_payload(), _payload(nom="B", niveau="9")])

    assert response.status_code == 422
    assert response.json() == {
        "erreurs": [
            {"index": 1, "champs": {"niveau": "Réponse non reconnue : choisissez une réponse dans la liste."}}
        ]
    }
    assert rows(area.db_path, "SELECT count(*) FROM situations") == [(0,)]


def test_cfa_api_replay_with_the_same_key_gives_the_same_answer(
    area: Area, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _token(area, UAI_A, capsys)
    first = _post(area, token, _payload(), **{"idempotency-key": "lot-42"})
    again = _post(area, token, _payload(), **{"idempotency-key": "lot-42"})

    assert (first.status_code, again.status_code) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true"
    other = _post(area, token, _payload(nom="Autre"), **{"idempotency-key": "lot-42"})
    assert (other.status_code, other.json()) == (
        422,
        {
            "erreur": "Cette clé Idempotency-Key a déjà servi pour un autre contenu : choisissez une nouvelle clé."
        },
    )
    # Without the key, the same apprentice and rupture date is the same report: its reference, nothing new.
    same = _post(area, token, _payload())
    assert (same.status_code, same.json()) == (200, first.json())
    assert rows(area.db_path, "SELECT count(*) FROM situations") == [(1,)]


def test_cfa_api_rate_limit_per_token(area: Area, capsys: pytest.CaptureFixture[str]) -> None:
    token = _token(area, UAI_A, capsys)
    headers = {"authorization": f"Bearer {token}"}
    answers = [
        area.client.get("/api/v1/ruptures/RUP-2026-000001", headers=headers).status_code for _ in range(121)
    ]

    assert answers[:120] == [404] * 120
    assert answers[120] == 429


def test_cfa_api_openapi_derives_from_the_form_fields(area: Area) -> None:
    document = area.client.get("/api/v1/openapi.json").json()
    schema = document["components"]["schemas"]["Rupture"]

    assert [c.name for c in area.form.champs if c.name != "commune_insee"] == list(schema["properties"])
    assert schema["properties"]["motifs"]["type"] == "array"
    assert "date_rupture" in schema["required"] and "cfa_uai" not in schema["required"]
    assert schema["properties"]["secteur"]["enum"][0] == area.form.champ("secteur").choices[0][0]
    page = area.client.get("/api/v1/")
    assert page.status_code == 200 and "curl -X POST http://testserver/api/v1/ruptures" in page.text


def test_cfa_api_audits_each_report(area: Area, capsys: pytest.CaptureFixture[str]) -> None:
    token = _token(area, UAI_A, capsys)
    _post(area, token, _payload())
    _post(area, token, _payload(nom=""))

    entries = [(a[1], a[2]) for a in audit_actions(area.db_path) if a[1].startswith("cfa-")]
    assert entries == [("cfa-jeton-cree", "succes"), ("cfa-api-envoi", "succes"), ("cfa-api-envoi", "refuse")]


def test_cfa_api_answers_an_oversized_or_unreadable_body_in_json(
    area: Area, capsys: pytest.CaptureFixture[str]
) -> None:
    token = _token(area, UAI_A, capsys)

    too_big = _post(area, token, b"[" + b" " * (3 * 1024 * 1024) + b"]")
    latin1 = _post(area, token, '{"nom": "Café"}'.encode("latin-1"))

    assert too_big.status_code == 413
    assert too_big.headers["content-type"] == "application/json"
    assert too_big.json() == {"erreur": "Envoi trop volumineux : découpez la liste en plusieurs envois."}
    assert latin1.status_code == 400
    assert latin1.headers["content-type"] == "application/json"
    assert "erreur" in latin1.json()
    assert rows(area.db_path, "SELECT count(*) FROM situations") == [(0,)]
