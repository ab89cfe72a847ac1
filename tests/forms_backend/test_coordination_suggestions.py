"""« Solutions possibles » on a situation's page (issue 12): the guide's ranking applied to the situation, each
match with its reasons, proposed in one click (the existing, audited action), the ones proposed marked."""

from __future__ import annotations

import html
import re

from tests.forms_backend.coordination import rows
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    NOW,
    TERRITOIRE_A,
    Tracking,
    add_situation,
    tracking_fixture,
)


def possibles(page_html: str) -> list[str]:
    block = page_html.split('id="solutions-possibles"', 1)[1].split("</section>", 1)[0]
    return re.findall(r'<li data-id="([^"]+)">', block)


def item(page_html: str, solution_id: str) -> str:
    block = page_html.split(f'<li data-id="{solution_id}">', 1)[1].split('<li data-id="', 1)[0]
    return re.sub(r"\s+", " ", html.unescape(re.sub(r"<[^>]+>", " ", block))).strip()


def test_a_seventeen_year_old_apprentice_in_rupture_gets_the_schemes_made_for_them(
    tracking: Tracking,
) -> None:
    sid = add_situation(
        tracking.db, TERRITOIRE_A, nom="Petit", prenom="Lou", date_naissance=f"{NOW.year - 17}-01-01"
    )
    tracking.login_as(COORD_A)

    page = tracking.client.get(f"/coordination/situations/{sid}").text

    ids = possibles(page)
    assert ids[:2] == ["obligation-formation-16-18", "stagiaire-cfa-apres-rupture"]
    assert "ecole-2e-chance" not in ids  # a status it does not take
    assert "aide-permis-apprentis" not in ids  # for apprentices under contract, from 18
    profile = re.sub(r"\s+", " ", html.unescape(page.split('id="titre-possibles"', 1)[1].split("</p>", 1)[0]))
    assert (
        "D'après la situation (17 ans, Apprenti en rupture de contrat, Niveau 3 — CAP, BEP (ancien niveau V), "
        "Bassin d'emploi de Lens-Liévin-Hénin-Carvin, besoin : Se former, besoin : Mobilité)"
    ) in profile
    text = item(page, "obligation-formation-16-18")
    assert "Âge : 17 ans, la fiche s'adresse aux jeunes de 16 à 17 ans" in text
    assert "Statut : Apprenti en rupture de contrat, prévu par la fiche" in text
    assert "Proposer cette solution : Obligation de formation des 16-18 ans" in text


def test_proposing_a_possible_solution_in_one_click_is_recorded_and_marked(tracking: Tracking) -> None:
    sid = tracking.situation_a  # 18 on the day it was received: no obligation de formation
    tracking.login_as(COORD_A)
    page = tracking.client.get(f"/coordination/situations/{sid}").text
    assert "obligation-formation-16-18" not in possibles(page)
    assert "stagiaire-cfa-apres-rupture" in possibles(page)

    response = tracking.post(
        f"/coordination/situations/{sid}/solutions", {"solution": "dispositif:stagiaire-cfa-apres-rupture"}
    )

    assert response.status_code == 303
    assert rows(
        tracking.db_path, "SELECT type, cible FROM situation_solutions WHERE situation_id = ?", [sid]
    ) == [("dispositif", "stagiaire-cfa-apres-rupture")]
    assert tracking.events(sid)[-1] == (COORD_A, "solution", None, None, None, "stagiaire-cfa-apres-rupture")
    again = tracking.client.get(f"/coordination/situations/{sid}").text
    assert "Déjà proposée" in item(again, "stagiaire-cfa-apres-rupture")
    assert "Proposer cette solution : Poursuite" not in item(again, "stagiaire-cfa-apres-rupture")


def test_an_anonymised_birth_date_leaves_the_age_to_check(tracking: Tracking) -> None:
    sid = add_situation(tracking.db, TERRITOIRE_A, nom="Anonyme", prenom="X", date_naissance="2008")
    tracking.login_as(COORD_A)

    page = tracking.client.get(f"/coordination/situations/{sid}").text

    assert "(âge non renseigné, Apprenti en rupture de contrat" in html.unescape(page)
    ids = possibles(page)
    assert ids[0] == "stagiaire-cfa-apres-rupture"  # made for this status, whatever the age
    assert "Âge du jeune non renseigné : la fiche s'adresse aux jeunes de 15 à 29 ans — à vérifier" in item(
        page, "formation-cfa-sans-employeur"
    )
