"""Partners' proposals (issue 13): the public forms and their protections, moderation (comparison, acceptance
through the catalogue's models, git commit, publication, refusal, question), scope, audit, XSS and YAML."""

from __future__ import annotations

import html
import json
import re
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import yaml

from forms_backend.db import propositions as propositions_db
from forms_backend.vocabulary import PROPOSITION_PREFIX
from generator.catalogue import load_catalogue
from tests.forms_backend.conftest import field_error
from tests.forms_backend.coordination import rows
from tests.forms_backend.propositions_support import (  # noqa: F401 (fixture)
    COORD_ARRAS,
    COORD_VAL,
    REGIONAL,
    Contrib,
    contrib_fixture,
    running,
    valid_new,
)

YEAR = date.today().year
REQUIRED = "Ce champ est obligatoire."
REQUIRED_MULTI = "Cochez au moins une réponse."


def test_new_action_form_is_public_in_french_and_ticks_the_territory(contrib: Contrib) -> None:
    page = contrib.client.get("/contribuer/nouvelle?territoire=arras")

    assert page.status_code == 200
    assert "<h1>Proposer une nouvelle action</h1>" in page.text
    assert (
        '<input type="checkbox" id="champ-territoires-6" name="territoires" value="arras" checked>'
        in page.text
    )
    assert 'name="proposeur_courriel"' in page.text
    assert page.headers["cache-control"] == "no-store"


def test_correction_form_starts_from_the_sheets_values_and_unknown_ids_are_404(contrib: Contrib) -> None:
    page = contrib.client.get("/contribuer/correction/ecole-2e-chance")

    assert page.status_code == 200
    assert 'id="champ-nom" name="nom" value="École de la 2e chance (E2C)"' in page.text
    assert "Rien à changer" in page.text
    assert contrib.client.get("/contribuer/correction/pas-une-fiche").status_code == 404
    assert contrib.client.get("/contribuer/correction/..%2F..%2Fetc").status_code == 404


INVALID: list[tuple[str, dict[str, Any], str, str]] = [
    ("nom-vide", {"nom": ""}, "nom", REQUIRED),
    (
        "description-courte",
        {"description": "Trop court."},
        "description",
        "« description » : texte trop court, au moins 20 caractères attendus",
    ),
    ("sans-territoire", {"territoires": []}, "territoires", REQUIRED_MULTI),
    (
        "territoire-inconnu",
        {"territoires": ["paris"]},
        "territoires",
        "Réponse non reconnue : choisissez une réponse dans la liste.",
    ),
    ("sans-thematique", {"thematiques": []}, "thematiques", REQUIRED_MULTI),
    (
        "age-lettres",
        {"age_min": "1a"},
        "age_min",
        "Âge invalide : attendu un nombre entier d'années, entre 0 et 99.",
    ),
    (
        "ages-inverses",
        {"age_min": "25", "age_max": "16"},
        "age_max",
        "L'âge maximal doit être supérieur ou égal à l'âge minimal.",
    ),
    (
        "periode-inversee",
        {"debut": "2027-06-01", "fin": "2027-01-01"},
        "fin",
        "La fin doit être postérieure au début.",
    ),
    (
        "telephone-faux",
        {"telephone": "12"},
        "telephone",
        "Numéro de téléphone invalide : attendu un numéro français à 10 chiffres (ex. 06 12 34 56 78) ou au format international +33.",
    ),
    (
        "courriel-public-faux",
        {"courriel": "pas-une-adresse"},
        "courriel",
        "Adresse électronique invalide : attendu une adresse de la forme nom@domaine.fr.",
    ),
    ("source-pas-une-adresse", {"lien_source": "example.org"}, "lien_source", None),
    ("sans-structure", {"porteur": ""}, "porteur", REQUIRED),
    ("proposeur-sans-courriel", {"proposeur_courriel": ""}, "proposeur_courriel", REQUIRED),
    ("nom-trop-long", {"nom": "x" * 151}, "nom", "150 caractères au maximum (vous en avez saisi 151)."),
    ("controle", {"nom": "Atelier\x07fictif"}, "nom", "Ce champ contient des caractères non permis."),
]


@pytest.mark.parametrize(
    ("changes", "field", "message"), [c[1:] for c in INVALID], ids=[c[0] for c in INVALID]
)
def test_an_invalid_proposal_is_refused_with_its_message_and_nothing_stored(
    contrib: Contrib, changes: dict[str, Any], field: str, message: str | None
) -> None:
    response = contrib.propose("/contribuer/nouvelle", {**valid_new(), **changes})

    assert response.status_code == 422
    shown = field_error(response.text, field)
    assert shown is not None
    if message is not None:
        assert shown == message
    assert contrib.propositions() == []
    assert 'value="Camille Test"' in response.text  # every answer kept


def test_a_valid_proposal_gets_a_receipt_once_even_when_sent_twice(contrib: Contrib) -> None:
    page = contrib.client.get("/contribuer/nouvelle")
    token = re.search(r'name="jeton_formulaire" value="([^"]*)"', page.text)
    assert token
    from tests.forms_backend.conftest import form_token, hidden

    data = {
        "csrf_token": hidden(page.text, "csrf_token"),
        "jeton_formulaire": form_token("proposition-nouvelle"),
        **valid_new(),
    }
    first = contrib.client.post("/contribuer/nouvelle", data=data, follow_redirects=False)
    again = contrib.client.post("/contribuer/nouvelle", data=data, follow_redirects=False)

    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == "/contribuer/recu"
    assert [p[1:4] for p in contrib.propositions()] == [
        (f"{PROPOSITION_PREFIX}-{YEAR}-000001", "nouvelle", "en-attente")
    ]
    receipt = contrib.client.get("/contribuer/recu")
    assert f"<strong>{PROPOSITION_PREFIX}-{YEAR}-000001</strong>" in receipt.text
    assert "camille@example.org" not in receipt.text
    assert rows(
        contrib.db_path, "SELECT action, cible, resultat FROM audit WHERE action = 'proposition-recue'"
    ) == [("proposition-recue", f"PRO-{YEAR}-000001", "succes")]
    assert rows(contrib.db_path, "SELECT territoire FROM proposition_territoires") == [("valenciennes",)]


def test_forms_refuse_a_missing_csrf_token_and_a_bot(contrib: Contrib) -> None:
    no_csrf = contrib.client.post("/contribuer/nouvelle", data=valid_new(), follow_redirects=False)
    bot = contrib.propose("/contribuer/nouvelle", valid_new(), age_seconds=0.1)

    assert no_csrf.status_code == 403
    assert bot.status_code == 303  # a decoy receipt
    assert contrib.propositions() == []


def test_moderator_sees_the_proposals_of_their_territories_only(contrib: Contrib) -> None:
    assert contrib.propose("/contribuer/nouvelle", valid_new()).status_code == 303
    ((pid, reference, *_),) = contrib.propositions()

    contrib.login_as(COORD_ARRAS)
    assert reference not in contrib.client.get("/coordination/propositions").text
    assert contrib.client.get(f"/coordination/propositions/{pid}").status_code == 404
    assert contrib.post(f"/coordination/propositions/{pid}/refuser", {"message": "Non."}).status_code == 404
    assert contrib.propositions()[0][3] == "en-attente"
    refusals = rows(contrib.db_path, "SELECT email, action, resultat FROM audit WHERE resultat = 'refuse'")
    assert (COORD_ARRAS, "proposition-consultee", "refuse") in refusals

    contrib.login_as(COORD_VAL)
    assert reference in contrib.client.get("/coordination/propositions").text
    assert contrib.client.get(f"/coordination/propositions/{pid}").status_code == 200


XSS = "<script>alert('x')</script>"
YAML_TRAPS = '!!python/object/apply:os.system ["echo pwned"]'


def test_xss_and_yaml_tags_are_text_in_the_back_office_and_in_the_file(contrib: Contrib) -> None:
    proposal = {
        **valid_new(),
        "nom": f"Atelier {XSS}",
        "description": f"{YAML_TRAPS}\n&ancre *alias {XSS} — une description assez longue.",
        "conditions_acces": "!!binary aGVsbG8=",
        "porteur": f"Structure fictive {XSS}",
        "proposeur_nom": XSS,
    }
    assert contrib.propose("/contribuer/nouvelle", proposal).status_code == 303
    ((pid, *_),) = contrib.propositions()
    contrib.login_as(REGIONAL)

    listing = contrib.client.get("/coordination/propositions").text
    page = contrib.client.get(f"/coordination/propositions/{pid}").text
    for shown in (listing, page):
        assert "<script>" not in shown
    assert html.escape(XSS, quote=True) in page or "&lt;script&gt;" in page

    accepted = contrib.post(f"/coordination/propositions/{pid}/accepter", _edit_values(page))
    assert accepted.status_code == 303, field_error(accepted.text, "nom")
    written = next((contrib.data_dir / "fiches").glob("atelier-script-alert-x-script*.yaml"))
    data = yaml.safe_load(written.read_text(encoding="utf-8"))
    assert data["nom"] == f"Atelier {XSS}"
    assert data["description"].startswith(YAML_TRAPS)
    assert data["conditions_acces"] == "!!binary aGVsbG8="
    assert load_catalogue(contrib.data_dir).errors == []
    contrib.wait_published()


def _edit_values(page_html: str) -> dict[str, Any]:
    """What the moderator's form sends back unchanged (its fields as the page shows them)."""
    from tests.forms_backend.conftest import form_state

    form = page_html.split('action="/coordination/propositions/', 1)[1].split("</form>", 1)[0]
    state = form_state("<form " + form)
    state.pop("csrf_token", None)
    return state


def test_accepting_writes_the_sheet_and_its_structure_commits_and_publishes(contrib: Contrib) -> None:
    assert contrib.propose("/contribuer/nouvelle", valid_new()).status_code == 303
    ((pid, reference, *_),) = contrib.propositions()
    contrib.login_as(COORD_VAL)
    page = contrib.client.get(f"/coordination/propositions/{pid}").text
    values = _edit_values(page)
    values["nom"] = ["Atelier fictif de remobilisation, corrigé"]

    response = contrib.post(f"/coordination/propositions/{pid}/accepter", values)

    assert response.status_code == 303
    assert response.headers["location"] == f"/coordination/propositions/{pid}?fait=acceptee"
    sheet = contrib.data_dir / "fiches" / "atelier-fictif-de-remobilisation-corrige.yaml"
    text = sheet.read_text(encoding="utf-8")
    today = date.today()
    assert text.splitlines()[:2] == [
        "# yaml-language-server: $schema=../../schemas/fiche.schema.json",
        f"# Source : proposée par Structure fictive 12 le {today.isoformat()}, acceptée le {today:%d/%m/%Y} ({reference}).",
    ]
    data = yaml.safe_load(text)
    assert list(data)[:3] == ["id", "nom", "description"]
    assert data["date_maj"] == today
    assert data["porteur"] == "structure-fictive-12"
    assert yaml.safe_load((contrib.data_dir / "structures" / "structure-fictive-12.yaml").read_text())[
        "nom"
    ] == ("Structure fictive 12")
    assert load_catalogue(contrib.data_dir).errors == []
    log = subprocess.run(
        ["git", "-C", str(contrib.data_dir), "log", "-1", "--format=%an|%s", "--name-only"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split("\n")
    assert (
        log[0]
        == f"{COORD_VAL}|{reference} : nouvelle action acceptée (fiches/atelier-fictif-de-remobilisation-corrige.yaml)"
    )
    assert set(filter(None, log[1:])) == {
        "data/fiches/atelier-fictif-de-remobilisation-corrige.yaml",
        "data/structures/structure-fictive-12.yaml",
    }
    assert contrib.propositions()[0][3] == "acceptee"
    assert rows(
        contrib.db_path, "SELECT email, action, cible FROM audit WHERE action = 'proposition-acceptee'"
    ) == [(COORD_VAL, "proposition-acceptee", reference)]
    assert contrib.wait_published() == "en ligne"
    assert (contrib.site_dir / "fiches" / "atelier-fictif-de-remobilisation-corrige" / "index.html").is_file()
    assert (
        "fiche" in contrib.client.get("/contribuer/correction/atelier-fictif-de-remobilisation-corrige").text
    )


def test_a_correction_shows_the_comparison_and_changes_only_the_fields_changed(contrib: Contrib) -> None:
    path = contrib.data_dir / "dispositifs" / "ecole-2e-chance.yaml"
    before = yaml.safe_load(path.read_text(encoding="utf-8"))
    page = contrib.client.get("/contribuer/correction/ecole-2e-chance")
    from tests.forms_backend.conftest import form_state

    values = form_state(page.text)
    for name in ("csrf_token", "jeton_formulaire", "site_web", "rien_a_changer"):
        values.pop(name, None)
    values |= {
        "telephone": ["03 20 00 00 00"],
        "motif": ["Le numéro a changé."],
        "proposeur_nom": ["Camille Test"],
        "proposeur_structure": ["Structure fictive 12"],
        "proposeur_courriel": ["camille@example.org"],
    }
    assert contrib.propose("/contribuer/correction/ecole-2e-chance", values).status_code == 303
    ((pid, *_),) = contrib.propositions()
    contrib.login_as(REGIONAL)

    page_html = contrib.client.get(f"/coordination/propositions/{pid}").text
    changed = re.findall(r'<tr class="change">\s*<th scope="row">([^<]+)', page_html)
    assert changed == ["Téléphone public de contact "]
    response = contrib.post(f"/coordination/propositions/{pid}/accepter", _edit_values(page_html))

    assert response.status_code == 303
    after = yaml.safe_load(path.read_text(encoding="utf-8"))
    differing = {k for k in before.keys() | after.keys() if before.get(k) != after.get(k)}
    assert differing <= {"telephone", "date_maj"}
    assert "telephone" in differing
    assert after["telephone"] == "03 20 00 00 00"
    contrib.wait_published()


def test_nothing_changed_is_said_next_to_the_reason(contrib: Contrib) -> None:
    from tests.forms_backend.conftest import form_state

    values = form_state(contrib.client.get("/contribuer/correction/epide").text)
    for name in ("csrf_token", "jeton_formulaire", "rien_a_changer"):
        values.pop(name, None)
    values |= {
        "motif": ["Rien."],
        "proposeur_nom": ["Camille Test"],
        "proposeur_structure": ["Structure fictive 12"],
        "proposeur_courriel": ["camille@example.org"],
    }
    response = contrib.propose("/contribuer/correction/epide", values)

    assert response.status_code == 422
    assert field_error(response.text, "motif") == (
        "Vous n'avez rien changé : modifiez au moins un champ, ou choisissez « Rien à changer »."
    )


def test_a_proposal_that_would_break_the_catalogue_cannot_be_accepted(contrib: Contrib) -> None:
    assert contrib.propose("/contribuer/nouvelle", valid_new()).status_code == 303
    ((pid, *_),) = contrib.propositions()
    # Meanwhile the territory it names left the catalogue.
    with __import__("sqlite3").connect(contrib.db_path) as conn:
        donnees = json.loads(conn.execute("SELECT donnees FROM propositions").fetchone()[0])
        donnees["territoires"] = ["ancien-territoire"]
        conn.execute("UPDATE propositions SET donnees = ?", [json.dumps(donnees)])
    contrib.login_as(REGIONAL)

    page = contrib.client.get(f"/coordination/propositions/{pid}").text
    assert "Cette proposition ne peut pas être acceptée telle quelle" in page
    emptied = {**_edit_values(page), "description": [""]}
    refused = contrib.post(f"/coordination/propositions/{pid}/accepter", emptied)

    assert refused.status_code == 422
    assert field_error(refused.text, "description") == REQUIRED
    assert contrib.propositions()[0][3] == "en-attente"
    assert sorted(p.name for p in (contrib.data_dir / "fiches").iterdir()) == sorted(
        p.name for p in (Path(__file__).parents[2] / "data" / "fiches").iterdir()
    )


def test_refusal_and_question_need_a_message_and_tell_the_proposer(
    tmp_path: Path, smtp: tuple[Any, int]
) -> None:
    inbox, port = smtp
    with running(tmp_path, smtp_host="127.0.0.1", smtp_port=port, smtp_from="partaj@example.org") as app:
        assert app.propose("/contribuer/nouvelle", valid_new()).status_code == 303
        ((pid, reference, *_),) = app.propositions()
        app.login_as(REGIONAL)

        empty = app.post(f"/coordination/propositions/{pid}/refuser", {"message": "  "})
        assert empty.status_code == 422
        assert "Écrivez le message envoyé au proposeur." in empty.text
        asked = app.post(f"/coordination/propositions/{pid}/question", {"message": "Quels horaires ?"})
        assert asked.status_code == 303
        assert app.propositions()[0][3] == "question"
        refused = app.post(
            f"/coordination/propositions/{pid}/refuser", {"message": "Action hors du champ du guide."}
        )
        assert refused.status_code == 303
        assert app.propositions()[0][3] == "refusee"
        again = app.post(f"/coordination/propositions/{pid}/refuser", {"message": "Encore."})
        assert again.status_code == 409

    subjects = [m["Subject"] for m in inbox.messages]
    assert subjects == [
        f"PARTAJ : une question sur votre proposition {reference}",
        f"PARTAJ : votre proposition {reference} n'est pas retenue",
    ]
    assert [r for _, r, _ in inbox.received] == [["camille@example.org"], ["camille@example.org"]]
    assert "Action hors du champ du guide." in inbox.messages[1].get_content()


def test_nothing_to_change_renews_the_date_once_accepted(contrib: Contrib) -> None:
    path = contrib.data_dir / "dispositifs" / "epide.yaml"
    before = path.read_text(encoding="utf-8")
    reminder = contrib.client.get("/contribuer/correction/epide?rappel=1").text
    assert "Vous avez reçu un rappel d'actualisation" in reminder
    answer = {
        "rien_a_changer": "oui",
        "proposeur_nom": "Camille Test",
        "proposeur_structure": "EPIDE fictif",
        "proposeur_courriel": "camille@example.org",
    }
    assert contrib.propose("/contribuer/correction/epide", answer).status_code == 303
    ((pid, _, genre, *_),) = contrib.propositions()
    assert genre == "rien-a-changer"
    contrib.login_as(REGIONAL)

    assert contrib.post(f"/coordination/propositions/{pid}/accepter", {}).status_code == 303

    after = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert after["date_maj"] == date.today()
    assert {k: v for k, v in after.items() if k != "date_maj"} == {
        k: v for k, v in yaml.safe_load(before).items() if k != "date_maj"
    }
    contrib.wait_published()


def test_the_purge_anonymises_the_proposer_after_the_retention_period(contrib: Contrib) -> None:
    from datetime import UTC, datetime, timedelta

    assert contrib.propose("/contribuer/nouvelle", valid_new()).status_code == 303
    store = contrib.app.state.services.store
    later = datetime.now(UTC) + timedelta(days=800)
    done = store.submit(
        lambda db: propositions_db.anonymise_expired(db, later - timedelta(days=730), later)
    ).result()

    assert done == 1
    assert rows(
        contrib.db_path,
        "SELECT proposeur_nom, proposeur_courriel, anonymise_at IS NOT NULL FROM propositions",
    ) == [("Anonymisé", "", 1)]
