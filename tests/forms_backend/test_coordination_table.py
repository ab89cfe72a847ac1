"""The tracking table: the user's territories only, filters in the address, a free search that never goes into
an address (POST, answered directly), accent-insensitive search, sort, pages, counts per status."""

from __future__ import annotations

import html
import json
import re
from datetime import timedelta

from tests.forms_backend.coordination import rows
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    NOW,
    REGIONAL,
    TERRITOIRE_A,
    TERRITOIRE_B,
    Tracking,
    add_situation,
    error_of,
    tracking_fixture,
)


def references(page_html: str) -> list[str]:
    return re.findall(r'<a href="/coordination/situations/\d+">([A-Z]{3}-\d{4}-\d{6})</a>', page_html)


def counts(page_html: str) -> list[str]:
    block = page_html.split('id="titre-statuts"', 1)[1].split("</nav>", 1)[0]
    return [html.unescape(re.sub(r"\s+", " ", t)).strip() for t in re.findall(r">([^<>]+ : \d+)<", block)]


def test_coordinator_sees_only_their_territory_with_counts_per_status(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    page = tracking.client.get("/coordination/")
    assert page.status_code == 200
    assert references(page.text) == ["RUP-2026-000001"]
    assert "Bernard" not in page.text
    assert counts(page.text)[:3] == ["Tous les statuts : 1", "Nouveau : 1", "À examiner en CTL : 0"]
    assert tracking.audit()[-1][:4] == (COORD_A, "tableau-consulte", None, "succes")
    tracking.login_as(REGIONAL)
    assert sorted(references(tracking.client.get("/coordination/").text)) == [
        "ORI-2026-000001",
        "RUP-2026-000001",
    ]
    # A territory the coordinator does not see is refused, not silently shown.
    tracking.login_as(COORD_A)
    refused = tracking.client.get(f"/coordination/?territoire={TERRITOIRE_B}")
    assert refused.status_code == 422
    assert (
        error_of(refused.text, "territoire") is None
    )  # one territory: no select, the message is in the summary
    assert "Réponse non reconnue : choisissez une réponse dans la liste." in html.unescape(refused.text)
    assert references(refused.text) == ["RUP-2026-000001"]


def test_filters_in_the_address_status_source_dates_and_next_ctl(tracking: Tracking) -> None:
    db = tracking.db
    older = add_situation(db, TERRITOIRE_A, now=NOW - timedelta(days=40), nom="Petit", prenom="Hélène")
    add_situation(db, TERRITOIRE_A, "orientation", now=NOW - timedelta(days=10), nom="Durand", prenom="Zoé")
    tracking.login_as(COORD_A)
    tracking.post(f"/coordination/situations/{older}/statut", {"statut": "a-examiner-en-ctl"})
    tracking.post(f"/coordination/situations/{older}/ctl", {"prochaine_ctl": "2099-05-05"})
    get = tracking.client.get
    assert references(get("/coordination/?statut=a-examiner-en-ctl").text) == ["RUP-2026-000002"]
    assert references(get("/coordination/?source=orientation").text) == ["ORI-2026-000002"]
    assert references(get("/coordination/?du=2026-02-01&au=2026-02-28").text) == ["ORI-2026-000002"]
    assert references(get("/coordination/?ctl=2099-05-05").text) == ["RUP-2026-000002"]
    reversed_range = get("/coordination/?du=2026-03-01&au=2026-02-01")
    assert reversed_range.status_code == 422
    assert (
        error_of(reversed_range.text, "au")
        == "La date de fin doit être postérieure ou égale à la date de début."
    )
    bad = get("/coordination/?du=hier")
    assert (
        error_of(bad.text, "du") == "Date invalide : attendu une date au format JJ/MM/AAAA (ex. 15/09/2025)."
    )
    redirect = tracking.post("/coordination/", {"statut": "nouveau", "source": "rupture", "recherche": ""})
    assert redirect.status_code == 303
    assert redirect.headers["location"] == "/coordination/?statut=nouveau&source=rupture"


def test_sort_and_pages(tracking: Tracking) -> None:
    for day in range(60):
        add_situation(
            tracking.db, TERRITOIRE_A, now=NOW - timedelta(days=day + 1), nom=f"Nom{day:02d}", prenom="X"
        )
    tracking.login_as(COORD_A)
    first = tracking.client.get("/coordination/")
    assert "61 situations — page 1 sur 2" in first.text
    assert references(first.text)[0] == "RUP-2026-000001"
    assert len(references(first.text)) == 50
    second = tracking.client.get("/coordination/?page=2")
    assert len(references(second.text)) == 11
    assert references(second.text)[-1] == "RUP-2026-000061"
    assert tracking.client.get("/coordination/?page=99").text.count("page 2 sur 2") >= 1
    by_name = tracking.client.get("/coordination/?tri=nom&ordre=asc")
    assert 'aria-sort="ascending"' in by_name.text
    assert references(by_name.text)[:2] == ["RUP-2026-000001", "RUP-2026-000002"]  # Martin, then Nom00…
    by_name_desc = tracking.client.get("/coordination/?tri=nom&ordre=desc")
    assert references(by_name_desc.text)[0] == "RUP-2026-000061"
    assert '<a href="/coordination/?tri=nom&amp;ordre=desc&amp;page=2">Page suivante</a>' in by_name_desc.text
    assert (
        '<a href="/coordination/?tri=nom&amp;page=2">Page suivante</a>'
        in tracking.client.get("/coordination/?tri=nom").text
    )


def test_free_search_is_accent_insensitive_and_never_put_in_an_address(tracking: Tracking) -> None:
    add_situation(tracking.db, TERRITOIRE_A, nom="LEFÈVRE", prenom="Hélène")
    for i in range(55):
        add_situation(
            tracking.db, TERRITOIRE_A, nom="Lefebvre", prenom=f"Ami{i}", now=NOW + timedelta(minutes=i)
        )
    tracking.login_as(COORD_A)
    token = tracking.csrf()
    found = tracking.post("/coordination/", {"recherche": "helene lefevre"}, token)
    assert found.status_code == 200
    assert references(found.text) == ["RUP-2026-000002"]
    by_reference = tracking.post("/coordination/", {"recherche": "rup-2026-000001"}, token)
    assert references(by_reference.text) == ["RUP-2026-000001"]
    many = tracking.post("/coordination/", {"recherche": "lefebvre"}, token)
    assert "55 situations — page 1 sur 2" in many.text
    # Every link of the page is free of the term; the pages, sorts and exports carry it in POST bodies.
    hrefs = re.findall(r'(?:href|action|formaction)="([^"]*)"', many.text)
    assert hrefs and not [h for h in hrefs if "lefebvre" in h.lower()]
    assert '<input type="hidden" name="recherche" value="lefebvre">' in many.text
    second = tracking.post("/coordination/", {"recherche": "lefebvre", "page": "2"}, token)
    assert "page 2 sur 2" in second.text
    # A term put in the address by hand is ignored, not searched.
    assert len(references(tracking.client.get("/coordination/?recherche=lefebvre").text)) == 50
    details = [json.loads(d) for _, action, _, _, d in tracking.audit() if action == "tableau-consulte"]
    assert {"recherche": "oui (terme non journalisé)"} in details
    assert "lefebvre" not in json.dumps(details)
    assert rows(tracking.db_path, "SELECT count(*) FROM audit WHERE details LIKE '%lefebvre%'") == [(0,)]
