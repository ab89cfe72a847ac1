"""The observatory on a real SQLite file through the app: situations with known statuses, dates, ages, levels,
motifs and outcomes; every number of the page and of its exports is asserted exactly, for a regional account
and for a coordinator (who sees nothing of other territories)."""

from __future__ import annotations

import csv
import html
import io
import json
import re
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import openpyxl
import pytest
from python_calamine import CalamineWorkbook
from starlette.testclient import TestClient

from forms_backend.app import create_app
from forms_backend.db import tracking
from forms_backend.db.store import Store
from forms_backend.observatoire import charts
from forms_backend.observatoire.rules import OUTCOME_OF, percentile
from generator.catalogue import Catalogue
from tests.forms_backend.conftest import make_settings
from tests.forms_backend.coordination import FakeClock, audit_actions, create_account, login
from tests.forms_backend.tracking import COORD_A, REGIONAL, TERRITOIRE_A, TERRITOIRE_B, add_situation

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
ROBOT = tracking.Actor(None, "coordination@example.fr")


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=9, tzinfo=UTC)


# name → (territory, source, received, fields, follow-up: (days after reception, step, issue))
SITUATIONS: dict[str, tuple[str, str, str, dict[str, Any], list[tuple[int, str, str | None]]]] = {
    "Ar1": (
        TERRITOIRE_A,
        "rupture",
        "2026-01-10",
        {"date_naissance": "2008-03-01", "sexe": "f", "niveau": "3", "situation_actuelle": "sans-solution"},
        [
            *[(3, "a-examiner-en-ctl", None), (10, "solution", None), (12, "solution-proposee", None)],
            *[(20, "accompagnement", None), (40, "sortie", "alternance")],
        ],
    ),
    "Ar2": (
        TERRITOIRE_A,
        "rupture",
        "2026-02-05",
        {
            "date_naissance": "2005-06-15",
            "sexe": "m",
            "niveau": "4",
            "situation_actuelle": "stagiaire-cfa",
            "motifs": ["orientation"],
            "cadre_rupture": "periode-45-jours",
        },
        [(1, "a-examiner-en-ctl", None), (20, "sans-suite", "injoignable")],
    ),
    "Ao1": (
        TERRITOIRE_A,
        "orientation",
        "2026-02-20",
        {"date_naissance": "2011-01-01", "sexe": None, "statut": "collegien", "niveau": "infra-3"},
        [],
    ),
    "Ao2": (
        TERRITOIRE_A,
        "orientation",
        "2026-11-25",
        {"date_naissance": "1998-12-01", "sexe": "f", "statut": "demandeur-emploi", "niveau": "5"},
        [],
    ),
    "Ar3": (
        TERRITOIRE_A,
        "rupture",
        "2025-12-15",
        {"date_naissance": "2007-01-01"},
        [(309, "a-examiner-en-ctl", None)],
    ),
    "Bo1": (
        TERRITOIRE_B,
        "orientation",
        "2026-01-10",
        {"date_naissance": "2009-05-05", "sexe": "m", "statut": "lyceen-pro", "niveau": "3"},
        [
            *[(2, "a-examiner-en-ctl", None), (5, "solution", None), (6, "solution-proposee", None)],
            *[(8, "accompagnement", None), (30, "sortie", "emploi")],
        ],
    ),
    "Br1": (
        TERRITOIRE_B,
        "rupture",
        "2026-03-15",
        {
            "date_naissance": "2006-01-01",
            "sexe": "f",
            "niveau": "3",
            "motifs": ["relation-employeur"],
            "cadre_rupture": "licenciement",
        },
        [(7, "a-examiner-en-ctl", None), (14, "solution", None), (14, "solution-proposee", None)],
    ),
    "Bo2": (
        TERRITOIRE_B,
        "orientation",
        "2026-06-01",
        {"date_naissance": "2007", "sexe": "non-precise", "niveau": "inconnu"},
        [
            *[(4, "a-examiner-en-ctl", None), (4, "solution", None), (5, "solution-proposee", None)],
            *[(6, "accompagnement", None), (60, "sortie", "scolarite")],
        ],
    ),
}


def populate(store: Store) -> dict[str, int]:
    """The situations of `SITUATIONS`, followed as their steps say; returns their ids by name."""
    ids = {}
    for name, (territoire, source, received, fields, steps) in SITUATIONS.items():
        start = at(received)
        ids[name] = add_situation(store, territoire, source, start, nom=f"Nom{name}", prenom="Test", **fields)
        for days, step, issue in steps:
            when = start + timedelta(days=days, hours=1)
            if step == "solution":
                job: Any = lambda db, i=ids[name], w=when: tracking.add_solution(  # noqa: E731
                    db, i, None, ROBOT, w, "dispositif", "pmsmp"
                )
            else:
                job = lambda db, i=ids[name], w=when, s=step, x=issue: tracking.change_status(  # noqa: E731
                    db, i, None, ROBOT, w, s, x
                )
            store.submit(job).result()
    return ids


@dataclass
class Observatoire:
    client: TestClient
    db_path: Path
    ids: dict[str, int]

    def as_user(self, email: str) -> None:
        self.client.cookies.clear()
        assert login(self.client, email).status_code == 303


@pytest.fixture(name="obs")
def observatoire_fixture(tmp_path: Path, catalogue: Catalogue) -> Iterator[Observatoire]:
    app = create_app(make_settings(tmp_path), catalogue)
    with TestClient(app, base_url="http://testserver") as client:
        store: Store = app.state.services.store
        create_account(store, COORD_A, "coordinateur", [TERRITOIRE_A])
        create_account(store, REGIONAL, "regional")
        ids = populate(store)
        app.state.services.clock = FakeClock(NOW)
        yield Observatoire(client, tmp_path / "partaj.db", ids)


class Tables(HTMLParser):
    """Each figure's table as {row label: [cell texts]}, and the link of each cell."""

    def __init__(self) -> None:
        super().__init__()
        self.tables: dict[str, dict[str, list[str]]] = {}
        self.links: dict[str, dict[str, list[str]]] = {}
        self.summaries: dict[str, str] = {}
        self._figure = ""
        self._row: list[str] | None = None
        self._hrefs: list[str] = []
        self._text: list[str] | None = None
        self._summary = False
        self._head = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "section" and a.get("class") == "figure":
            self._figure = a.get("id") or ""
            self.tables[self._figure], self.links[self._figure] = {}, {}
        elif tag == "p" and a.get("class") == "figure__resume":
            self._summary, self._text = True, []
        elif tag == "thead":
            self._head = True
        elif tag == "tr" and self._figure and not self._head:
            self._row, self._hrefs = [], []
        elif tag in ("td", "th") and self._row is not None:
            self._text = []
        elif tag == "a" and self._row is not None:
            self._hrefs.append(html.unescape(a.get("href") or ""))

    def handle_data(self, data: str) -> None:
        if self._text is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "thead":
            self._head = False
        elif tag == "p" and self._summary and self._text is not None:
            self.summaries[self._figure] = "".join(self._text).strip()
            self._summary, self._text = False, None
        elif tag in ("td", "th") and self._row is not None and self._text is not None:
            self._row.append(" ".join("".join(self._text).split()))
            self._text = None
        elif tag == "tr" and self._row is not None:
            if self._row:
                self.tables[self._figure][self._row[0]] = self._row[1:]
                self.links[self._figure][self._row[0]] = self._hrefs
            self._row = None


def tables_of(page: str) -> Tables:
    parser = Tables()
    parser.feed(page)
    return parser


def unpacked(body: bytes) -> str:
    """The text of a CSV, or of every part of an XLSX or ODS file (ZIP archives)."""
    if not body.startswith(b"PK"):
        return body.decode("utf-8-sig")
    with zipfile.ZipFile(io.BytesIO(body)) as archive:
        return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())


def counts(table: dict[str, list[str]], column: int = 0) -> dict[str, str]:
    return {label: cells[column] for label, cells in table.items() if cells}


def test_observatoire_regional_page_shows_every_figure_exactly(obs: Observatoire) -> None:
    obs.as_user(REGIONAL)
    response = obs.client.get("/coordination/observatoire")
    assert response.status_code == 200
    assert "<h1>Observatoire — année 2026</h1>" in response.text
    t = tables_of(response.text)

    months = t.tables["recues-mois"]
    assert months["janvier 2026"] == ["1", "1", "0", "2"]
    assert months["février 2026"] == ["1", "1", "0", "2"]
    assert months["mars 2026"] == ["1", "0", "0", "1"]
    assert months["juin 2026"] == ["0", "1", "0", "1"]
    assert months["novembre 2026"] == ["0", "1", "0", "1"]
    assert months["décembre 2026"] == ["0", "0", "0", "0"]
    assert months["Total"] == ["3", "4", "0", "7"]
    assert (
        t.links["recues-mois"]["février 2026"][0]
        == "/coordination/?source=rupture&du=2026-02-01&au=2026-02-28"
    )

    statuts = t.tables["territoires-statuts"]
    assert statuts["Bassin d'emploi de Lens-Liévin-Hénin-Carvin"] == ["2", "0", "0", "0", "1", "1", "4"]
    assert statuts["Bassin d'emploi de Roubaix-Tourcoing"] == ["0", "0", "1", "0", "2", "0", "3"]
    assert statuts["Bassin d'emploi de Valenciennes"] == ["0"] * 7
    assert statuts["Ensemble"] == ["2", "0", "1", "0", "3", "1", "7"]
    roubaix_sorties = t.links["territoires-statuts"]["Bassin d'emploi de Roubaix-Tourcoing"][4]
    assert (
        roubaix_sorties
        == "/coordination/?statut=sortie&territoire=roubaix-tourcoing&du=2026-01-01&au=2026-12-31"
    )

    assert counts(t.tables["inactivite"]) == {
        "Moins de 7 jours": "1",
        "De 7 à 29 jours": "0",
        "De 30 à 89 jours": "1",
        "90 jours ou plus": "2",
        "Total des situations ouvertes": "4",
    }
    quiet = t.tables["sans-nouvelles"]
    assert list(quiet) == ["ORI-2026-000001", "RUP-2026-000003", "RUP-2025-000001"]
    assert quiet["ORI-2026-000001"] == [
        "Bassin d'emploi de Lens-Liévin-Hénin-Carvin",
        "Nouveau",
        "20/02/2026",
        "283",
    ]
    assert quiet["RUP-2025-000001"][2:] == ["20/10/2026", "41"]
    assert t.links["sans-nouvelles"]["RUP-2025-000001"] == [f"/coordination/situations/{obs.ids['Ar3']}"]

    assert {k: v[:2] for k, v in t.tables["ages"].items()} == {
        "Moins de 16 ans": ["1", "14,3 %"],
        "16 ou 17 ans": ["2", "28,6 %"],
        "De 18 à 25 ans": ["2", "28,6 %"],
        "Plus de 25 ans": ["1", "14,3 %"],
        "Âge inconnu": ["1", "14,3 %"],
        "Total": ["7", "100,0 %"],
    }
    entry = counts(t.tables["statut-jeune"])
    assert (entry["Collégien ou collégienne"], entry["Lycéen en voie professionnelle"]) == ("1", "1")
    assert (entry["Demandeur d'emploi"], entry["Sans activité, sans solution"], entry["Total"]) == (
        "1",
        "1",
        "4",
    )
    rupture = counts(t.tables["situation-actuelle"])
    assert (rupture["Sans solution"], rupture["Total"]) == ("2", "3")
    assert (
        rupture["Stagiaire de la formation professionnelle au CFA (jusqu'à 6 mois après la rupture)"] == "1"
    )
    niveaux = counts(t.tables["niveaux"])
    assert niveaux["Niveau 3 — CAP, BEP (ancien niveau V)"] == "3"
    assert niveaux["Niveau 4 — baccalauréat (ancien niveau IV)"] == "1"
    assert niveaux["Niveau 5 — bac+2, BTS, DUT (ancien niveau III)"] == "1"
    assert niveaux["Sans diplôme (ancien niveau VI, V bis, infra V)"] == "1"
    assert (niveaux["Niveau inconnu"], niveaux["Niveau 6 — licence, BUT (ancien niveau II)"]) == ("1", "0")
    assert counts(t.tables["sexes"]) == {
        "Féminin": "3",
        "Masculin": "2",
        "Non précisé": "1",
        "Non renseigné": "1",
        "Total": "7",
    }
    motifs = counts(t.tables["motifs"])
    assert (
        motifs["Relation avec l'employeur ou le maître d'apprentissage"],
        motifs["Mobilité, transport"],
    ) == (
        "2",
        "1",
    )
    assert (motifs["Erreur ou changement d'orientation"], motifs["Total"]) == ("1", "4")
    cadres = counts(t.tables["cadres"])
    assert (cadres["D'un commun accord (L.6222-18)"], cadres["Licenciement par l'employeur (L.6222-18)"]) == (
        "1",
        "1",
    )
    assert cadres["Pendant les 45 premiers jours en entreprise (L.6222-18)"] == "1"

    assert t.tables["sorties"] == {
        "Emploi (CDD, CDI, intérim, contrat aidé)": ["1", "25,0 %"],
        "Contrat d'apprentissage ou de professionnalisation": ["1", "25,0 %"],
        "Maintien ou retour en scolarité": ["1", "25,0 %"],
        "Formation qualifiante": ["0", "0,0 %"],
        "Autre solution": ["0", "0,0 %"],
        "Sans suite": ["1", "25,0 %"],
        "Total": ["4", "100,0 %"],
    }
    assert (
        t.links["sorties"]["Sans suite"][0] == "/coordination/?statut=sans-suite&du=2026-01-01&au=2026-12-31"
    )

    assert t.tables["delais"] == {
        "Jusqu'au premier passage « à examiner en CTL »": ["5", "3 j", "7 j"],
        "Jusqu'à la première solution proposée": ["4", "5 j", "14 j"],
        "Jusqu'à la sortie ou au classement sans suite": ["4", "30 j", "60 j"],
    }
    assert t.summaries["sorties"] == (
        "Sorties des situations closes : 4 situations (année 2026) ; la plus fréquente est "
        "« Emploi (CDD, CDI, intérim, contrat aidé) », 1 (25,0\u00a0%)."
    )
    assert audit_actions(obs.db_path)[-1] == (
        REGIONAL,
        "observatoire-consulte",
        "succes",
        '{"annee": "2026"}',
    )


def test_observatoire_figure_links_open_the_same_number_of_situations(obs: Observatoire) -> None:
    obs.as_user(REGIONAL)
    t = tables_of(obs.client.get("/coordination/observatoire").text)
    checked = 0
    figures = [(f, label) for f in ("recues-mois", "territoires-statuts") for label in t.tables[f]]
    for figure, label in [*figures, ("sorties", "Sans suite"), ("ages", "Total"), ("motifs", "Total")]:
        cells = t.tables[figure][label]
        if figure == "motifs":
            cells = ["3"]  # four mentions, in three ruptures
        for text, href in zip(cells, t.links[figure][label], strict=False):
            table = obs.client.get(href).text
            shown = re.search(r'<h2 id="titre-resultats" tabindex="-1">(\d+) situation', table)
            assert shown and shown.group(1) == text, (figure, label, href)
            checked += 1
    assert checked > 40


def test_observatoire_regional_totals_are_the_sum_of_the_territories(obs: Observatoire) -> None:
    obs.as_user(REGIONAL)
    region = tables_of(obs.client.get("/coordination/observatoire").text).tables
    parts = [
        tables_of(obs.client.get(f"/coordination/observatoire?territoire={t}").text).tables
        for t in ("lens-lievin-henin-carvin", "roubaix-tourcoing")
    ]
    for figure in ("recues-mois", "ages", "statut-jeune", "situation-actuelle", "niveaux", "sexes", "motifs"):
        for label, cells in region[figure].items():
            assert int(cells[0]) == sum(int(p[figure][label][0]) for p in parts), (figure, label)
    assert region["sorties"]["Total"][0] == "4"
    assert [p["sorties"]["Total"][0] for p in parts] == ["2", "2"]


def test_observatoire_coordinator_sees_nothing_of_other_territories(obs: Observatoire) -> None:
    obs.as_user(COORD_A)
    page = obs.client.get("/coordination/observatoire").text
    t = tables_of(page)
    assert list(t.tables["territoires-statuts"]) == [
        "Bassin d'emploi de Lens-Liévin-Hénin-Carvin",
        "Ensemble",
    ]
    assert "Roubaix" not in page and "ORI-2026-000003" not in page
    assert t.tables["recues-mois"]["Total"] == ["2", "2", "0", "4"]
    assert counts(t.tables["sexes"])["Total"] == "4"
    assert t.tables["delais"]["Jusqu'au premier passage « à examiner en CTL »"] == ["2", "1 j", "3 j"]
    assert list(t.tables["sans-nouvelles"]) == ["ORI-2026-000001", "RUP-2025-000001"]
    refused = obs.client.get("/coordination/observatoire?territoire=roubaix-tourcoing")
    assert refused.status_code == 422
    assert "Territoire non reconnu" in refused.text
    assert "Roubaix" not in refused.text
    for figure in t.tables:
        for fmt in ("csv", "xlsx", "ods"):
            response = obs.client.get(f"/coordination/observatoire/{figure}.{fmt}")
            assert response.status_code == 200
            text = unpacked(response.content)
            assert "Roubaix" not in text and "ORI-2026-000003" not in text, (figure, fmt)
            if figure == "sans-nouvelles":
                assert "ORI-2026-000001" in text, fmt


def test_observatoire_exports_hold_the_page_figures_and_are_audited(obs: Observatoire) -> None:
    obs.as_user(REGIONAL)
    response = obs.client.get("/coordination/observatoire/sorties.csv?annee=2026")
    assert response.status_code == 200
    assert (
        response.headers["content-disposition"]
        == 'attachment; filename="partaj-observatoire-sorties-2026.csv"'
    )
    assert response.content.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert rows[0] == ["Catégorie", "Situations", "Part"]
    assert rows[1:] == [
        ["Emploi (CDD, CDI, intérim, contrat aidé)", "1", "25,0"],
        ["Contrat d'apprentissage ou de professionnalisation", "1", "25,0"],
        ["Maintien ou retour en scolarité", "1", "25,0"],
        ["Formation qualifiante", "0", "0,0"],
        ["Autre solution", "0", "0,0"],
        ["Sans suite", "1", "25,0"],
        ["Total", "4", "100,0"],
    ]
    xlsx = obs.client.get("/coordination/observatoire/territoires-statuts.xlsx")
    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    assert sheet is not None
    values = [list(r) for r in sheet.iter_rows(values_only=True)]
    assert values[0] == [
        "Territoire",
        "Nouveau",
        "À examiner en CTL",
        "Solution proposée",
        "Accompagnement en cours",
        "Sortie",
        "Sans suite",
        "Total",
    ]
    assert values[-1] == ["Ensemble", 2, 0, 1, 0, 3, 1, 7]
    ods = obs.client.get("/coordination/observatoire/delais.ods")
    book = CalamineWorkbook.from_filelike(io.BytesIO(ods.content))
    delays = book.get_sheet_by_index(0).to_python()
    assert delays[1] == ["Jusqu'au premier passage « à examiner en CTL »", 5.0, 3.0, 7.0]
    assert obs.client.get("/coordination/observatoire/inconnu.csv").status_code == 404
    logged = [
        (a, r, json.loads(d)) for _, a, r, d in audit_actions(obs.db_path) if a == "export-observatoire"
    ]
    assert logged == [
        ("export-observatoire", "succes", {"format": "csv", "tableau": "sorties", "annee": "2026"}),
        (
            "export-observatoire",
            "succes",
            {"format": "xlsx", "tableau": "territoires-statuts", "annee": "2026"},
        ),
        ("export-observatoire", "succes", {"format": "ods", "tableau": "delais", "annee": "2026"}),
        ("export-observatoire", "refuse", {"format": "csv", "tableau": "inconnu", "erreurs": []}),
    ]


def test_observatoire_period_filters_count_what_was_received_between_the_dates(obs: Observatoire) -> None:
    obs.as_user(REGIONAL)
    t = tables_of(obs.client.get("/coordination/observatoire?du=2026-01-01&au=2026-02-28").text)
    assert t.tables["recues-mois"]["Total"] == ["2", "2", "0", "4"]
    assert list(t.tables["recues-mois"]) == ["janvier 2026", "février 2026", "Total"]
    previous = tables_of(obs.client.get("/coordination/observatoire?annee=2025").text)
    assert previous.tables["recues-mois"]["décembre 2025"] == ["1", "0", "0", "1"]
    wrong = obs.client.get("/coordination/observatoire?du=2026-03-01&au=2026-01-01&annee=20x6")
    assert wrong.status_code == 422
    assert "La date de fin doit être postérieure" in wrong.text and "Année invalide" in wrong.text


def test_observatoire_every_sortie_value_has_a_report_category(catalogue: Catalogue) -> None:
    assert {ident for ident, _ in catalogue.choices("sorties")} | {"sans-suite"} == set(OUTCOME_OF)


def test_observatoire_page_and_exports_need_an_account(client: TestClient) -> None:
    for path in ("/coordination/observatoire", "/coordination/observatoire/ages.csv"):
        response = client.get(path, follow_redirects=False)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/coordination/connexion")


def test_observatoire_charts_escape_labels_and_describe_themselves() -> None:
    svg = str(
        charts.bars("g", "Titre <b>", "Résumé & détail", [("<script>alert(1)</script>", 3, "3 (100 %)")])
    )

    assert svg.startswith('<svg xmlns="http://www.w3.org/2000/svg" class="graphique" role="img"')
    assert 'aria-labelledby="g-titre g-desc"' in svg
    assert '<title id="g-titre">Titre &lt;b&gt;</title>' in svg
    assert '<desc id="g-desc">Résumé &amp; détail</desc>' in svg
    assert "<script>" not in svg and "&lt;script&gt;alert(1)&lt;/scri…" in svg


@pytest.mark.parametrize(
    ("histogram", "median", "p90"),
    [
        ({}, None, None),
        ({4: 1}, 4, 4),
        ({1: 1, 2: 1, 3: 1, 4: 1, 7: 1}, 3, 7),
        ({4: 1, 5: 1, 10: 1, 14: 1}, 5, 14),
    ],
)
def test_observatoire_percentiles_are_nearest_rank(
    histogram: dict[int, int], median: int | None, p90: int | None
) -> None:
    assert (percentile(histogram, 0.5), percentile(histogram, 0.9)) == (median, p90)
