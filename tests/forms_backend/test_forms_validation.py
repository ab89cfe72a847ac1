"""Every rule of docs/domaine.md on the server: 422, the exact French message beside its field, nothing stored."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from tests.forms_backend.conftest import (
    TODAY,
    VALID,
    count,
    field_error,
    form_state,
    post_form,
    years_ago,
)

Y = TODAY.year
TOMORROW = (TODAY + timedelta(days=1)).isoformat()
REQUIRED = "Ce champ est obligatoire."
REQUIRED_CHOICE = "Choisissez une réponse dans la liste."
UNKNOWN_CHOICE = "Réponse non reconnue : choisissez une réponse dans la liste."
REQUIRED_MULTI = "Cochez au moins une réponse."
BAD_DATE = "Date invalide : attendu une date au format JJ/MM/AAAA (ex. 15/09/2025)."
FUTURE = "Cette date est dans le futur : attendu une date passée ou celle d'aujourd'hui."
BAD_PHONE = (
    "Numéro de téléphone invalide : attendu un numéro français à 10 chiffres (ex. 06 12 34 56 78) "
    "ou au format international +33."
)
BAD_EMAIL = "Adresse électronique invalide : attendu une adresse de la forme nom@domaine.fr."
BAD_POSTAL = "Code postal invalide : attendu 5 chiffres (ex. 59300)."
NO_CONTACT = "Indiquez au moins un moyen de contacter le jeune : un téléphone ou une adresse électronique."
NOT_INFORMED = (
    "Confirmez que le jeune a été informé de ce signalement : c'est une obligation (RGPD, article 14)."
)

CASES: list[tuple[str, str, dict[str, Any], str, str]] = [
    # (case id, source, changes, field, message)
    ("nom-vide", "rupture", {"nom": ""}, "nom", REQUIRED),
    ("nom-espaces", "rupture", {"nom": "   "}, "nom", REQUIRED),
    (
        "nom-trop-long",
        "rupture",
        {"nom": "x" * 101},
        "nom",
        "100 caractères au maximum (vous en avez saisi 101).",
    ),
    ("nom-controle", "rupture", {"nom": "Ma\x07rtin"}, "nom", "Ce champ contient des caractères non permis."),
    ("prenom-vide", "rupture", {"prenom": ""}, "prenom", REQUIRED),
    ("naissance-vide", "rupture", {"date_naissance": ""}, "date_naissance", REQUIRED),
    ("naissance-31-fevrier", "rupture", {"date_naissance": "31/02/2005"}, "date_naissance", BAD_DATE),
    ("naissance-texte", "rupture", {"date_naissance": "hier"}, "date_naissance", BAD_DATE),
    ("naissance-1899", "rupture", {"date_naissance": "1899-12-31"}, "date_naissance", BAD_DATE),
    ("naissance-future", "rupture", {"date_naissance": TOMORROW}, "date_naissance", FUTURE),
    (
        "age-14-a-la-rupture",
        "rupture",
        {"date_naissance": f"{Y - 15}-03-03"},
        "date_naissance",
        "Âge du jeune à la date de rupture : 14 ans ; ce formulaire concerne les jeunes de 15 à 35 ans.",
    ),
    (
        "age-36-a-la-rupture",
        "rupture",
        {"date_naissance": f"{Y - 37}-03-03"},
        "date_naissance",
        "Âge du jeune à la date de rupture : 36 ans ; ce formulaire concerne les jeunes de 15 à 35 ans.",
    ),
    ("sexe-inconnu", "rupture", {"sexe": "x"}, "sexe", UNKNOWN_CHOICE),
    ("code-postal-4-chiffres", "rupture", {"code_postal": "5900"}, "code_postal", BAD_POSTAL),
    ("code-postal-lettre", "rupture", {"code_postal": "59A00"}, "code_postal", BAD_POSTAL),
    ("commune-vide", "rupture", {"commune": ""}, "commune", REQUIRED),
    ("aucun-contact", "rupture", {"telephone": "", "courriel": ""}, "telephone", NO_CONTACT),
    ("telephone-court", "rupture", {"telephone": "12345"}, "telephone", BAD_PHONE),
    ("telephone-lettres", "rupture", {"telephone": "zero six"}, "telephone", BAD_PHONE),
    ("courriel-invalide", "rupture", {"courriel": "pas-une-adresse"}, "courriel", BAD_EMAIL),
    ("suivi-vide", "rupture", {"suivi_structure": ""}, "suivi_structure", REQUIRED_CHOICE),
    ("suivi-inconnu", "rupture", {"suivi_structure": "pole-emploi"}, "suivi_structure", UNKNOWN_CHOICE),
    ("cfa-vide", "rupture", {"cfa_nom": ""}, "cfa_nom", REQUIRED),
    (
        "uai-invalide",
        "rupture",
        {"cfa_uai": "0596789"},
        "cfa_uai",
        "Numéro UAI invalide : attendu 7 chiffres suivis d'une lettre (ex. 0596789X).",
    ),
    ("diplome-vide", "rupture", {"diplome_prepare": ""}, "diplome_prepare", REQUIRED),
    (
        "diplome-trop-long",
        "rupture",
        {"diplome_prepare": "é" * 201},
        "diplome_prepare",
        "200 caractères au maximum (vous en avez saisi 201).",
    ),
    ("niveau-vide", "rupture", {"niveau": ""}, "niveau", REQUIRED_CHOICE),
    ("niveau-8", "rupture", {"niveau": "8"}, "niveau", UNKNOWN_CHOICE),
    ("niveau-infra-3", "rupture", {"niveau": "infra-3"}, "niveau", UNKNOWN_CHOICE),
    ("secteur-inconnu", "rupture", {"secteur": "peche"}, "secteur", UNKNOWN_CHOICE),
    ("entreprise-vide", "rupture", {"entreprise_nom": ""}, "entreprise_nom", REQUIRED),
    (
        "siret-court",
        "rupture",
        {"entreprise_siret": "7328293200007"},
        "entreprise_siret",
        "Numéro SIRET invalide : attendu 14 chiffres.",
    ),
    (
        "siret-cle",
        "rupture",
        {"entreprise_siret": "73282932000075"},
        "entreprise_siret",
        "Numéro SIRET invalide : la clé de contrôle ne correspond pas, vérifiez les 14 chiffres.",
    ),
    ("debut-vide", "rupture", {"date_debut_contrat": ""}, "date_debut_contrat", REQUIRED),
    (
        "fin-egale-debut",
        "rupture",
        {"date_fin_prevue": f"{Y - 2}-09-09"},
        "date_fin_prevue",
        f"La fin prévue doit être postérieure au début du contrat (09/09/{Y - 2}).",
    ),
    (
        "rupture-avant-debut",
        "rupture",
        {"date_rupture": f"{Y - 2}-09-08"},
        "date_rupture",
        f"La rupture ne peut pas précéder le début du contrat (09/09/{Y - 2}).",
    ),
    ("rupture-future", "rupture", {"date_rupture": TOMORROW}, "date_rupture", FUTURE),
    ("rupture-vide", "rupture", {"date_rupture": ""}, "date_rupture", REQUIRED),
    ("cadre-vide", "rupture", {"cadre_rupture": ""}, "cadre_rupture", REQUIRED_CHOICE),
    ("cadre-inconnu", "rupture", {"cadre_rupture": "faute-grave"}, "cadre_rupture", UNKNOWN_CHOICE),
    ("motifs-aucun", "rupture", {"motifs": []}, "motifs", REQUIRED_MULTI),
    ("motifs-inconnu", "rupture", {"motifs": ["orientation", "meteo"]}, "motifs", UNKNOWN_CHOICE),
    (
        "precision-trop-longue",
        "rupture",
        {"motif_precision": "x" * 1001},
        "motif_precision",
        "1000 caractères au maximum (vous en avez saisi 1001).",
    ),
    ("situation-vide", "rupture", {"situation_actuelle": ""}, "situation_actuelle", REQUIRED_CHOICE),
    (
        "territoire-vide-commune-hors-nord-pas-de-calais",
        "rupture",
        {"territoire": "", "commune": "Amiens", "code_postal": "80000"},
        "territoire",
        "Amiens n'est pas dans le Nord ni le Pas-de-Calais : choisissez le territoire de la CTL qui suivra le "
        "jeune (celui de votre structure, par exemple).",
    ),
    ("territoire-inconnu", "rupture", {"territoire": "paris"}, "territoire", UNKNOWN_CHOICE),
    ("declarant-vide", "rupture", {"declarant_nom": ""}, "declarant_nom", REQUIRED),
    ("declarant-courriel-vide", "rupture", {"declarant_courriel": ""}, "declarant_courriel", REQUIRED),
    ("declarant-courriel-invalide", "rupture", {"declarant_courriel": "a@"}, "declarant_courriel", BAD_EMAIL),
    ("declarant-telephone", "rupture", {"declarant_telephone": "01 23"}, "declarant_telephone", BAD_PHONE),
    ("rupture-non-informe", "rupture", {"jeune_informe": ""}, "jeune_informe", NOT_INFORMED),
    (
        "age-12",
        "orientation",
        {"date_naissance": years_ago(12).isoformat(), "accord_representant_legal": "oui"},
        "date_naissance",
        "Âge du jeune : 12 ans ; ce formulaire concerne les jeunes de 13 à 30 ans.",
    ),
    (
        "age-31",
        "orientation",
        {"date_naissance": years_ago(31).isoformat()},
        "date_naissance",
        "Âge du jeune : 31 ans ; ce formulaire concerne les jeunes de 13 à 30 ans.",
    ),
    ("orientation-naissance-vide", "orientation", {"date_naissance": ""}, "date_naissance", REQUIRED),
    ("orientation-aucun-contact", "orientation", {"telephone": "", "courriel": ""}, "telephone", NO_CONTACT),
    ("orientation-courriel", "orientation", {"courriel": "yanis@"}, "courriel", BAD_EMAIL),
    ("statut-vide", "orientation", {"statut": ""}, "statut", REQUIRED_CHOICE),
    ("statut-inconnu", "orientation", {"statut": "retraite"}, "statut", UNKNOWN_CHOICE),
    ("orientation-niveau-vide", "orientation", {"niveau": ""}, "niveau", REQUIRED_CHOICE),
    ("orientation-niveau-inconnu", "orientation", {"niveau": "9"}, "niveau", UNKNOWN_CHOICE),
    (
        "etablissement-trop-long",
        "orientation",
        {"dernier_etablissement": "x" * 201},
        "dernier_etablissement",
        "200 caractères au maximum (vous en avez saisi 201).",
    ),
    ("orientation-suivi-vide", "orientation", {"suivi_structure": ""}, "suivi_structure", REQUIRED_CHOICE),
    ("besoins-aucun", "orientation", {"besoins": []}, "besoins", REQUIRED_MULTI),
    ("besoins-inconnu", "orientation", {"besoins": ["argent"]}, "besoins", UNKNOWN_CHOICE),
    ("situation-texte-vide", "orientation", {"situation": ""}, "situation", REQUIRED),
    (
        "situation-trop-longue",
        "orientation",
        {"situation": "x" * 2001},
        "situation",
        "2000 caractères au maximum (vous en avez saisi 2001).",
    ),
    ("orientation-territoire", "orientation", {"territoire": "lille"}, "territoire", UNKNOWN_CHOICE),
    ("orienteur-structure-vide", "orientation", {"orienteur_structure": ""}, "orienteur_structure", REQUIRED),
    ("orienteur-type-vide", "orientation", {"orienteur_type": ""}, "orienteur_type", REQUIRED_CHOICE),
    ("orienteur-type-inconnu", "orientation", {"orienteur_type": "voisin"}, "orienteur_type", UNKNOWN_CHOICE),
    ("orienteur-nom-vide", "orientation", {"orienteur_nom": ""}, "orienteur_nom", REQUIRED),
    ("orienteur-courriel-vide", "orientation", {"orienteur_courriel": ""}, "orienteur_courriel", REQUIRED),
    ("orienteur-courriel", "orientation", {"orienteur_courriel": "awa.fr"}, "orienteur_courriel", BAD_EMAIL),
    ("orienteur-telephone", "orientation", {"orienteur_telephone": "0000"}, "orienteur_telephone", BAD_PHONE),
    (
        "orientation-non-informe",
        "orientation",
        {"jeune_informe": ""},
        "jeune_informe",
        "Confirmez que le jeune a été informé de cette orientation vers la CTL : c'est une obligation "
        "(RGPD, article 14).",
    ),
    (
        "mineur-sans-accord",
        "orientation",
        {"date_naissance": years_ago(16).isoformat()},
        "accord_representant_legal",
        "Le jeune a moins de 18 ans : confirmez l'accord de son représentant légal.",
    ),
]


@pytest.mark.parametrize(
    ("source", "changes", "field", "message"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_submit_invalid_field_is_refused_with_its_message(
    client: TestClient, tmp_path: Path, source: str, changes: dict[str, Any], field: str, message: str
) -> None:
    response = post_form(client, source, {**VALID[source](), **changes})

    assert response.status_code == 422
    assert field_error(response.text, field) == message
    assert f'href="#champ-{field}"' in response.text
    assert count(tmp_path / "partaj.db") == 0


@pytest.mark.parametrize("source", ["rupture", "orientation"])
def test_submit_invalid_form_keeps_every_typed_value(client: TestClient, tmp_path: Path, source: str) -> None:
    data = {**VALID[source](), "code_postal": "123"}
    if source == "orientation":
        data["accord_representant_legal"] = "oui"

    response = post_form(client, source, data)

    assert response.status_code == 422
    shown = form_state(response.text)
    for name, value in data.items():
        assert shown[name] == (value if isinstance(value, list) else [value]), name
    assert count(tmp_path / "partaj.db") == 0


def test_submit_empty_form_lists_every_error_in_the_summary(client: TestClient) -> None:
    response = post_form(client, "rupture", {})

    assert response.status_code == 422
    # The territory is not among them: left empty, it is derived from the commune.
    assert "Le formulaire contient 21 erreurs" in response.text
    assert response.text.count('<p class="message-erreur"') == 21
    assert (
        "<title>Erreur : Signaler une rupture de contrat d&#39;apprentissage — PARTAJ</title>"
        in response.text
    )


@pytest.mark.parametrize("source", ["rupture", "orientation"])
def test_submit_valid_form_stores_report_and_situation(
    client: TestClient, tmp_path: Path, source: str
) -> None:
    response = post_form(client, source, VALID[source]())

    assert response.status_code == 303
    assert response.headers["location"] == "/formulaires/recu"
    db = tmp_path / "partaj.db"
    assert count(db) == 1
    assert count(db, {"rupture": "rapports_rupture", "orientation": "orientations"}[source]) == 1
    assert count(db, {"rupture": "rupture_motifs", "orientation": "orientation_besoins"}[source]) == 2


def test_submit_accepts_french_dates_and_normalises_identifiers(client: TestClient, tmp_path: Path) -> None:
    data = {
        **VALID["rupture"](),
        "date_naissance": f"05/05/{Y - 19}",
        "entreprise_siret": "732 829 320 00074",
    }

    assert post_form(client, "rupture", data).status_code == 303

    with sqlite3.connect(tmp_path / "partaj.db") as conn:
        birth = conn.execute("SELECT date_naissance FROM situations").fetchone()[0]
        uai, siret = conn.execute("SELECT cfa_uai, entreprise_siret FROM rapports_rupture").fetchone()
    assert (birth, uai, siret) == (f"{Y - 19}-05-05", "0596789X", "73282932000074")


def test_submit_minor_with_guardian_consent_is_stored(client: TestClient, tmp_path: Path) -> None:
    data = {
        **VALID["orientation"](),
        "date_naissance": years_ago(16).isoformat(),
        "accord_representant_legal": "oui",
    }

    assert post_form(client, "orientation", data).status_code == 303
    with sqlite3.connect(tmp_path / "partaj.db") as conn:
        stored = conn.execute(
            "SELECT s.date_naissance, o.accord_representant_legal, o.jeune_informe "
            "FROM situations s JOIN orientations o ON o.situation_id = s.id"
        ).fetchall()
    assert stored == [(years_ago(16).isoformat(), 1, 1)]


def test_submit_adult_without_guardian_consent_stores_no_consent(client: TestClient, tmp_path: Path) -> None:
    data = {
        **VALID["orientation"](),
        "date_naissance": years_ago(19).isoformat(),
        "accord_representant_legal": "",
    }

    assert post_form(client, "orientation", data).status_code == 303
    with sqlite3.connect(tmp_path / "partaj.db") as conn:
        assert conn.execute("SELECT accord_representant_legal FROM orientations").fetchall() == [(0,)]


def test_long_accented_text_within_the_body_limit_gets_its_message(
    client: TestClient, tmp_path: Path
) -> None:
    response = post_form(client, "orientation", {**VALID["orientation"](), "situation": "é" * 5000})

    assert response.status_code == 422
    assert field_error(response.text, "situation") == "2000 caractères au maximum (vous en avez saisi 5000)."
    assert count(tmp_path / "partaj.db") == 0


def test_lists_come_from_the_catalogue_in_data(tmp_path: Path) -> None:
    import shutil

    from forms_backend.app import create_app
    from tests.conftest import ROOT
    from tests.forms_backend.conftest import make_settings

    data = tmp_path / "data"
    shutil.copytree(ROOT / "data", data)
    territoires = data / "territoires.yaml"
    territoires.write_text(
        territoires.read_text(encoding="utf-8")
        + "  - id: essai-ailleurs\n    nom: Territoire d'un autre déploiement\n    type: associe\n"
        + '    departements: ["80"]\n    date_maj: 2026-11-29\n',
        encoding="utf-8",
    )
    nomenclatures = data / "nomenclatures.yaml"
    nomenclatures.write_text(
        nomenclatures.read_text(encoding="utf-8").replace(
            "Hôtellerie, restauration", "Hôtellerie et restauration"
        ),
        encoding="utf-8",
    )

    with TestClient(create_app(make_settings(tmp_path, data_dir=data))) as client:
        page = client.get("/formulaires/rupture").text
        stored = post_form(client, "rupture", {**VALID["rupture"](), "territoire": "essai-ailleurs"})

    assert '<option value="essai-ailleurs">Territoire d&#39;un autre déploiement</option>' in page
    assert "Hôtellerie et restauration" in page
    assert stored.status_code == 303
