"""One situation: everything reported, status changes by the rules of docs/domaine.md, notes, solutions from the guide's
catalogue, référent tuteur, next CTL meeting, manual entry, CTL agenda — each change in the history and the
audit log, `updated_at` moved, a refusal answered 422 with the typed values kept and nothing stored."""

from __future__ import annotations

import html
import json
from functools import partial
from typing import Any

import pytest

from forms_backend.clock import now as real_now
from forms_backend.db import tracking as tracking_db
from forms_backend.db.tracking import Actor
from forms_backend.errors import TrackingError
from tests.forms_backend.conftest import form_state, valid_orientation
from tests.forms_backend.coordination import rows
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    TERRITOIRE_A,
    TERRITOIRE_B,
    Tracking,
    error_of,
    tracking_fixture,
)

CHAIN = ["a-examiner-en-ctl", "solution-proposee", "accompagnement"]


def test_situation_page_shows_the_report_with_catalogue_labels_and_is_audited(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    page = tracking.client.get(f"/coordination/situations/{tracking.situation_a}")
    assert page.status_code == 200
    text = html.unescape(page.text)
    assert "Martin Léa" in text
    assert "Hôtellerie, restauration" in text
    assert "D'un commun accord (L.6222-18)" in text
    assert "Bassin d'emploi de Lens-Liévin-Hénin-Carvin" in text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["x-robots-tag"] == "noindex"
    (reference,) = rows(
        tracking.db_path, "SELECT reference FROM situations WHERE id = ?", [tracking.situation_a]
    )[0]
    assert tracking.audit()[-1][:4] == (COORD_A, "situation-consultee", reference, "succes")


def test_status_follows_the_chain_to_an_outcome_with_history_and_audit(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    before = tracking.situation(sid)["updated_at"]
    for statut in CHAIN:
        response = tracking.post(f"/coordination/situations/{sid}/statut", {"statut": statut})
        assert response.status_code == 303
        assert response.headers["location"] == f"/coordination/situations/{sid}?fait=statut#historique"
    response = tracking.post(
        f"/coordination/situations/{sid}/statut", {"statut": "sortie", "sortie": "alternance"}
    )
    assert response.status_code == 303
    state = tracking.situation(sid)
    assert (state["statut"], state["sortie"]) == ("sortie", "alternance")
    assert state["updated_at"] > before
    assert [e[1:4] for e in tracking.events(sid)] == [
        ("statut", "a-examiner-en-ctl", None),
        ("statut", "solution-proposee", None),
        ("statut", "accompagnement", None),
        ("statut", "sortie", "alternance"),
    ]
    assert {e[0] for e in tracking.events(sid)} == {COORD_A}
    last = tracking.audit()[-1]
    assert last[:2] == (COORD_A, "statut-change")
    assert json.loads(last[4]) == {"ancien": "accompagnement", "nouveau": "sortie", "issue": "alternance"}
    page = tracking.client.get(f"/coordination/situations/{sid}?fait=statut")
    assert "Statut enregistré." in page.text
    assert "Situation close : son statut ne change plus." in html.unescape(page.text)


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({}, "statut", "Choisissez le nouveau statut."),
        ({"statut": "nouveau"}, "statut", "La situation est déjà au statut « Nouveau »."),
        (
            {"statut": "accompagnement"},
            "statut",
            "Passage impossible de « Nouveau » à « Accompagnement en cours » : depuis « Nouveau », choisissez "
            "« À examiner en CTL » ou « Sans suite ».",
        ),
        ({"statut": "clos"}, "statut", "Réponse non reconnue : choisissez une réponse dans la liste."),
        (
            {"statut": "sans-suite"},
            "motif_sans_suite",
            "Une situation classée sans suite doit avoir un motif : choisissez-le dans la liste.",
        ),
        (
            {"statut": "sans-suite", "motif_sans_suite": "lassitude"},
            "motif_sans_suite",
            "Réponse non reconnue : choisissez une réponse dans la liste.",
        ),
    ],
)
def test_status_change_refused_answers_422_with_its_message_and_changes_nothing(
    tracking: Tracking, data: dict[str, str], field: str, message: str
) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    before = tracking.situation(sid)
    response = tracking.post(f"/coordination/situations/{sid}/statut", data)
    assert response.status_code == 422
    assert error_of(response.text, field) == message
    assert tracking.situation(sid) == before
    assert tracking.events(sid) == []
    offered = ("a-examiner-en-ctl", "sans-suite")
    assert form_state(response.text).get("statut") == (
        [data["statut"]] if data.get("statut") in offered else []
    )


def test_sortie_needs_an_outcome(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    for statut in CHAIN:
        tracking.post(f"/coordination/situations/{sid}/statut", {"statut": statut})
    response = tracking.post(f"/coordination/situations/{sid}/statut", {"statut": "sortie"})
    assert response.status_code == 422
    assert (
        error_of(response.text, "sortie") == "Une sortie doit avoir une issue : choisissez-la dans la liste."
    )
    assert tracking.situation(sid)["statut"] == "accompagnement"


def test_sans_suite_from_anywhere_records_the_reason_and_clears_the_next_ctl(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    assert (
        tracking.post(f"/coordination/situations/{sid}/ctl", {"prochaine_ctl": "2099-01-15"}).status_code
        == 303
    )
    response = tracking.post(
        f"/coordination/situations/{sid}/statut", {"statut": "sans-suite", "motif_sans_suite": "demenagement"}
    )
    assert response.status_code == 303
    state = tracking.situation(sid)
    assert (state["statut"], state["motif_sans_suite"], state["prochaine_ctl"]) == (
        "sans-suite",
        "demenagement",
        None,
    )


def test_note_is_dated_kept_in_the_history_and_refused_empty_with_values_kept(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    refused = tracking.post(
        f"/coordination/situations/{sid}/notes", {"texte": "  ", "date_note": "2026-02-30"}
    )
    assert refused.status_code == 422
    assert error_of(refused.text, "texte") == "Ce champ est obligatoire."
    assert error_of(refused.text, "date_note") == (
        "Date invalide : attendu une date au format JJ/MM/AAAA (ex. 15/09/2025)."
    )
    assert form_state(refused.text)["date_note"] == ["2026-02-30"]
    too_long = tracking.post(f"/coordination/situations/{sid}/notes", {"texte": "x" * 2001})
    assert error_of(too_long.text, "texte") == "2000 caractères au maximum (vous en avez saisi 2001)."
    assert form_state(too_long.text)["texte"] == ["x" * 2001]
    assert tracking.events(sid) == []
    done = tracking.post(
        f"/coordination/situations/{sid}/notes",
        {"texte": "Appel du jeune :\r\nrendez-vous pris.", "date_note": "01/03/2026"},
    )
    assert done.status_code == 303
    assert tracking.events(sid) == [
        (COORD_A, "note", None, None, "Appel du jeune :\nrendez-vous pris.", None)
    ]
    assert rows(tracking.db_path, "SELECT date_valeur FROM suivi_evenements")[0] == ("2026-03-01",)
    page = html.unescape(tracking.client.get(f"/coordination/situations/{sid}").text)
    assert "Note du 01/03/2026" in page
    assert "rendez-vous pris." in page


def test_solution_comes_from_the_guide_with_its_name_and_link_and_an_unknown_id_is_refused(
    tracking: Tracking,
) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    unknown = tracking.post(
        f"/coordination/situations/{sid}/solutions", {"solution": "dispositif:emplois-magiques"}
    )
    assert unknown.status_code == 422
    assert error_of(unknown.text, "solution") == (
        "Solution inconnue du guide : choisissez un dispositif ou une fiche action dans la liste "
        "(« dispositif:emplois-magiques » n'existe pas dans le catalogue)."
    )
    assert rows(tracking.db_path, "SELECT count(*) FROM situation_solutions") == [(0,)]
    assert (
        tracking.post(
            f"/coordination/situations/{sid}/solutions", {"solution": "dispositif:pmsmp"}
        ).status_code
        == 303
    )
    assert (
        tracking.post(
            f"/coordination/situations/{sid}/solutions", {"solution": "fiche:accompagnement-referent-tuteur"}
        ).status_code
        == 303
    )
    twice = tracking.post(f"/coordination/situations/{sid}/solutions", {"solution": "dispositif:pmsmp"})
    assert twice.status_code == 422
    assert error_of(twice.text, "solution") == "Cette solution est déjà proposée pour cette situation."
    page = tracking.client.get(f"/coordination/situations/{sid}").text
    assert (
        '<a href="/dispositifs/pmsmp/">Période de mise en situation en milieu professionnel (PMSMP)</a>'
        in page
    )
    assert '<a href="/fiches/accompagnement-referent-tuteur/">' in page
    removed = tracking.post(
        f"/coordination/situations/{sid}/solutions/retirer", {"solution": "dispositif:pmsmp"}
    )
    assert removed.status_code == 303
    assert rows(tracking.db_path, "SELECT type, cible FROM situation_solutions") == [
        ("fiche", "accompagnement-referent-tuteur")
    ]
    assert [e[1] for e in tracking.events(sid)] == ["solution", "solution", "solution-retiree"]


def test_referent_tuteur_and_next_ctl_are_stored_dated_and_checked(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    refused = tracking.post(
        f"/coordination/situations/{sid}/referent",
        {"referent_nom": "", "referent_structure": "Centre social", "referent_contrat_signe": "2999-01-01"},
    )
    assert refused.status_code == 422
    assert error_of(refused.text, "referent_nom") == (
        "Indiquez le nom du référent tuteur, ou videz tous les champs pour le retirer."
    )
    assert error_of(refused.text, "referent_contrat_signe") == (
        "Cette date est dans le futur : attendu une date passée ou celle d'aujourd'hui."
    )
    assert form_state(refused.text)["referent_structure"] == ["Centre social"]
    done = tracking.post(
        f"/coordination/situations/{sid}/referent",
        {
            "referent_nom": "Claire Dupont",
            "referent_structure": "Centre social",
            "referent_contrat_signe": "2026-01-05",
        },
    )
    assert done.status_code == 303
    state = tracking.situation(sid)
    assert (state["referent_nom"], state["referent_structure"], state["referent_contrat_signe"]) == (
        "Claire Dupont",
        "Centre social",
        "2026-01-05",
    )
    past = tracking.post(f"/coordination/situations/{sid}/ctl", {"prochaine_ctl": "2001-01-01"})
    assert (
        error_of(past.text, "prochaine_ctl")
        == "La prochaine réunion de la CTL ne peut pas être dans le passé."
    )
    assert (
        tracking.post(f"/coordination/situations/{sid}/ctl", {"prochaine_ctl": "2099-06-10"}).status_code
        == 303
    )
    assert tracking.situation(sid)["prochaine_ctl"] == "2099-06-10"
    page = html.unescape(tracking.client.get(f"/coordination/situations/{sid}").text)
    assert "Claire Dupont (Centre social), contrat d'engagement signé le 05/01/2026" in page
    assert "Prochaine CTL fixée au 10/06/2099" in page


def test_agenda_lists_the_situations_of_that_meeting_in_the_users_territories_only(
    tracking: Tracking,
) -> None:
    tracking.login_as(COORD_A)
    tracking.post(f"/coordination/situations/{tracking.situation_a}/ctl", {"prochaine_ctl": "2099-06-10"})
    tracking.login_as("regional@example.fr")
    tracking.post(f"/coordination/situations/{tracking.situation_b}/ctl", {"prochaine_ctl": "2099-06-10"})
    tracking.login_as(COORD_A)
    index = html.unescape(tracking.client.get("/coordination/ctl/").text)
    assert "Réunion du 10/06/2099</a> — 1 situation" in index
    agenda = tracking.client.get("/coordination/ctl/2099-06-10")
    assert agenda.status_code == 200
    assert "Martin Léa" in html.unescape(agenda.text)
    assert "Bernard" not in agenda.text
    assert "@media print" in tracking.client.get("/formulaires/static/suivi.css").text
    assert tracking.client.get("/coordination/ctl/pas-une-date").status_code == 404
    assert tracking.client.get("/coordination/ctl/?jour=2099-06-10", follow_redirects=False).headers[
        "location"
    ] == ("/coordination/ctl/2099-06-10")


def test_manual_entry_follows_the_referral_rules_keeps_values_and_is_idempotent(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    page = tracking.client.get("/coordination/situations/nouvelle")
    assert page.status_code == 200
    state = form_state(page.text)
    assert state["orienteur_courriel"] == [COORD_A]
    token = state["jeton_saisie"][0]
    data = {
        **valid_orientation(),
        "territoire": TERRITOIRE_A,
        "date_naissance": "31/02/2005",
        "jeton_saisie": token,
    }
    refused = tracking.post("/coordination/situations/nouvelle", data)
    assert refused.status_code == 422
    assert error_of(refused.text, "date_naissance") == (
        "Date invalide : attendu une date au format JJ/MM/AAAA (ex. 15/09/2025)."
    )
    assert form_state(refused.text)["nom"] == ["Bernard"]
    assert form_state(refused.text)["besoins"] == ["orientation", "mobilite"]
    other = tracking.post(
        "/coordination/situations/nouvelle",
        {**data, "territoire": TERRITOIRE_B, "date_naissance": "2005-01-01"},
    )
    assert other.status_code == 422
    assert (
        error_of(other.text, "territoire") == "Réponse non reconnue : choisissez une réponse dans la liste."
    )
    data["date_naissance"] = "2005-01-01"
    first = tracking.post("/coordination/situations/nouvelle", data)
    again = tracking.post("/coordination/situations/nouvelle", data)
    assert first.status_code == again.status_code == 303
    assert first.headers["location"] == again.headers["location"]
    sid = int(first.headers["location"].split("/")[-1].split("?")[0])
    ((source, territoire, reference),) = rows(
        tracking.db_path, "SELECT source, territoire, reference FROM situations WHERE id = ?", [sid]
    )
    assert (source, territoire, reference[:4]) == ("saisie", TERRITOIRE_A, "SAI-")
    assert rows(tracking.db_path, "SELECT count(*) FROM orientations WHERE situation_id = ?", [sid]) == [(1,)]
    assert tracking.events(sid) == [(COORD_A, "creation", "nouveau", None, None, None)]
    assert "Situation saisie par la coordination" in html.unescape(
        tracking.client.get(first.headers["location"]).text
    )


def test_status_change_overtaken_by_another_is_refused_in_the_transaction(tracking: Tracking) -> None:
    """The page showed `nouveau`; meanwhile someone moved the situation on. The writer job re-reads the status
    in its transaction and refuses the now-impossible step; nothing is written."""
    sid = tracking.situation_a
    actor = Actor(None, "autre@example.fr")
    move = partial(tracking_db.change_status, situation_id=sid, scope=None, actor=actor, now=real_now())
    tracking.db.submit(partial(move, statut="a-examiner-en-ctl", issue=None)).result()
    events = tracking.events(sid)

    with pytest.raises(TrackingError) as refused:
        tracking.db.submit(partial(move, statut="a-examiner-en-ctl", issue=None)).result()

    assert (refused.value.field, refused.value.message) == (
        "statut",
        "passage impossible de a-examiner-en-ctl à a-examiner-en-ctl",
    )
    assert tracking.situation(sid)["statut"] == "a-examiner-en-ctl"
    assert tracking.events(sid) == events


def test_status_change_page_says_the_status_changed_meanwhile(
    tracking: Tracking, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Through the page: the form is checked against the status read first; when the transaction finds another
    one, the page answers 422 with the message beside the status field."""
    tracking.login_as(COORD_A)
    sid = tracking.situation_a
    original = tracking_db.change_status

    def overtaken(db: Any, **kwargs: Any) -> None:
        db.execute("UPDATE situations SET statut = 'sans-suite' WHERE id = ?", [sid])
        original(db, **kwargs)

    monkeypatch.setattr(tracking_db, "change_status", overtaken)
    response = tracking.post(f"/coordination/situations/{sid}/statut", {"statut": "a-examiner-en-ctl"})

    assert response.status_code == 422
    assert error_of(response.text, "statut") == (
        "Le statut de cette situation vient de changer : rechargez la page puis recommencez."
    )
    assert tracking.situation(sid)["statut"] == "nouveau"
