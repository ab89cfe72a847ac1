"""Periods of local actions: the state on a reference date, the banner, the check warning, the coverage matrix
counting only current actions, and the « état » search filter of the built pages."""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from generator.catalogue import load_catalogue
from generator.coverage import COUVERTURE, coverage
from generator.periods import Etat, bandeau, etat, periode_texte
from generator.render import Renderer
from generator.schema import Periode
from tests.generator.conftest import VALID_FICHE, html, served

TODAY = date(2026, 11, 30)
PLAN = Periode(debut=date(2010, 9, 1), fin=date(2011, 12, 31), plan_partaj=True)
SUITE = " Elle reste décrite ici pour mémoire et comme source d'idées."


@pytest.mark.parametrize(
    ("periode", "today", "active", "expected"),
    [
        (PLAN, date(2010, 8, 31), None, Etat.A_VENIR),
        (PLAN, date(2010, 9, 1), None, Etat.EN_COURS),
        (PLAN, date(2011, 12, 31), None, Etat.EN_COURS),
        (PLAN, date(2012, 1, 1), None, Etat.TERMINEE),
        (PLAN, TODAY, None, Etat.TERMINEE),
        # `active: true` does not revive an ended period (the check warns instead).
        (PLAN, TODAY, True, Etat.TERMINEE),
        # `active: false` ends an action before its planned end.
        (PLAN, date(2011, 1, 1), False, Etat.TERMINEE),
        (None, TODAY, None, Etat.EN_COURS),
        (None, TODAY, False, Etat.TERMINEE),
        (Periode(debut=date(2026, 12, 1)), TODAY, None, Etat.A_VENIR),
        (Periode(debut=date(2026, 11, 30)), TODAY, None, Etat.EN_COURS),
        (Periode(fin=date(2026, 11, 29)), TODAY, None, Etat.TERMINEE),
        (Periode(fin=date(2026, 11, 30)), TODAY, None, Etat.EN_COURS),
    ],
)
def test_etat_on_reference_date_includes_both_ends(
    periode: Periode | None, today: date, active: bool | None, expected: Etat
) -> None:
    assert etat(periode, today, active) is expected


@pytest.mark.parametrize(
    ("periode", "state", "expected"),
    [
        (
            PLAN,
            Etat.TERMINEE,
            (
                "Action terminée",
                "Action menée de septembre 2010 à décembre 2011 dans le cadre du plan PARTAJ." + SUITE,
            ),
        ),
        (
            Periode(debut=date(2019, 4, 1), fin=date(2020, 10, 31)),
            Etat.TERMINEE,
            ("Action terminée", "Action menée d'avril 2019 à octobre 2020." + SUITE),
        ),
        (
            Periode(debut=date(2011, 3, 1), fin=date(2011, 3, 31)),
            Etat.TERMINEE,
            ("Action terminée", "Action menée en mars 2011." + SUITE),
        ),
        (
            Periode(fin=date(2011, 12, 31), plan_partaj=True),
            Etat.TERMINEE,
            ("Action terminée", "Action menée jusqu'en décembre 2011 dans le cadre du plan PARTAJ." + SUITE),
        ),
        (None, Etat.TERMINEE, ("Action terminée", "Action terminée." + SUITE)),
        (
            Periode(debut=date(2027, 8, 15)),
            Etat.A_VENIR,
            ("Action à venir", "Action prévue à partir d'août 2027."),
        ),
        (
            Periode(debut=date(2027, 1, 1), fin=date(2027, 6, 30)),
            Etat.A_VENIR,
            ("Action à venir", "Action prévue à partir de janvier 2027, jusqu'en juin 2027."),
        ),
        (
            Periode(debut=date(2025, 9, 1)),
            Etat.EN_COURS,
            ("Action en cours", "Action en cours depuis septembre 2025."),
        ),
        (
            Periode(debut=date(2025, 9, 1), fin=date(2027, 6, 30)),
            Etat.EN_COURS,
            ("Action en cours", "Action en cours depuis septembre 2025, jusqu'en juin 2027."),
        ),
        (None, Etat.EN_COURS, None),
    ],
)
def test_bandeau_wording_with_french_months(
    periode: Periode | None, state: Etat, expected: tuple[str, str] | None
) -> None:
    assert bandeau(periode, state) == expected


def test_periode_texte_for_the_en_bref_table() -> None:
    assert periode_texte(PLAN) == "De septembre 2010 à décembre 2011"
    assert periode_texte(Periode(debut=date(2027, 10, 1))) == "À partir d'octobre 2027"
    assert periode_texte(Periode(fin=date(2011, 12, 31))) == "Jusqu'en décembre 2011"


ENDED = "active: true\nperiode:\n  debut: 2010-09-01\n  fin: 2011-12-31\n"


def test_check_warns_current_sheet_whose_period_ended(
    write_yaml: Callable[[str, str], Path], data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE + ENDED)
    catalogue = load_catalogue(Path("data"), None, today=TODAY)
    assert catalogue.errors == []
    assert [p.format() for p in catalogue.warnings] == [
        "data/fiches/ma-fiche.yaml:13:9: avertissement : « active » : true, mais la période s'est terminée le "
        "31/12/2011 (« periode.fin ») ; si l'action continue, corrigez « periode.fin », sinon retirez "
        "« active » : l'état se déduit de la période"
    ]


@pytest.mark.parametrize(
    "extra",
    [
        "periode:\n  debut: 2010-09-01\n  fin: 2011-12-31\n",  # no `active`: the state follows the period
        "active: true\nperiode:\n  debut: 2025-09-01\n  fin: 2026-11-30\n",  # ends today: still current
        "active: false\nperiode:\n  debut: 2010-09-01\n  fin: 2011-12-31\n",
    ],
)
def test_check_no_warning_when_state_and_period_agree(
    write_yaml: Callable[[str, str], Path], data_dir: Path, extra: str
) -> None:
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE + extra)
    assert load_catalogue(data_dir, None, today=TODAY).problems == []


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        (
            "periode:\n  debut: 2012-01-01\n  fin: 2011-12-31\n",
            "data/fiches/ma-fiche.yaml:14:3: « periode » : « debut » (2012-01-01) est postérieur à « fin » "
            "(2011-12-31) ; attendu debut ≤ fin",
        ),
        (
            "periode: 2010–2011\n",
            "data/fiches/ma-fiche.yaml:13:10: « periode » : ensemble de clés attendu (clé: valeur), "
            "trouvé texte « 2010–2011 »",
        ),
        (
            "periode:\n  plan_partaj: true\n",
            "data/fiches/ma-fiche.yaml:14:3: « periode » : attendu « debut », « fin » ou les deux (AAAA-MM-JJ)",
        ),
    ],
)
def test_check_invalid_period_is_an_error(
    write_yaml: Callable[[str, str], Path],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    extra: str,
    expected: str,
) -> None:
    monkeypatch.chdir(data_dir.parent)
    write_yaml("fiches/ma-fiche.yaml", VALID_FICHE + extra)
    assert [p.format() for p in load_catalogue(Path("data"), None, today=TODAY).errors] == [expected]


def test_coverage_counts_only_current_actions(
    write_yaml: Callable[[str, str], Path], data_dir: Path, tmp_path: Path
) -> None:
    def fiche(fiche_id: str, territoire: str, extra: str) -> None:
        text = VALID_FICHE.replace("id: ma-fiche", f"id: {fiche_id}").replace(
            "[valenciennes]", f"[{territoire}]"
        )
        write_yaml(f"fiches/{fiche_id}.yaml", text + extra)

    fiche("courante", "valenciennes", "periode:\n  debut: 2025-09-01\n")
    fiche("sans-dates", "valenciennes", "")
    fiche("passee", "arras", "periode:\n  debut: 2010-09-01\n  fin: 2011-12-31\n  plan_partaj: true\n")
    fiche("arretee", "arras", "active: false\n")
    fiche("future", "arras", "periode:\n  debut: 2027-01-01\n")
    fiche("exemple", "arras", "exemple: true\n")
    catalogue = load_catalogue(data_dir, None, today=TODAY)
    assert catalogue.errors == []

    matrix = coverage(catalogue.fiches.values(), catalogue.territoires.values(), TODAY)
    rows = {row["id"]: row for row in matrix["rows"]}
    remobilisation = COUVERTURE.index("remobilisation")
    assert rows["valenciennes"]["total"] == 2
    assert rows["valenciennes"]["counts"][remobilisation] == 2
    assert rows["arras"]["total"] == 0
    assert rows["arras"]["counts"] == [0] * len(COUVERTURE)
    assert (matrix["terminees"], matrix["a_venir"]) == (2, 1)
    # Two years later, the planned action has started and counts.
    later = coverage(catalogue.fiches.values(), catalogue.territoires.values(), date(2028, 1, 1))
    assert {row["id"]: row["total"] for row in later["rows"]}["arras"] == 1

    docs = tmp_path / "docs"
    Renderer(catalogue, docs).render_coverage()
    page = (docs / "manques.md").read_text(encoding="utf-8")
    assert "Seules les actions en cours à la date de construction du guide sont comptées" in page
    assert "(2 action(s) terminée(s) et 1 à venir, consultables dans\n[toutes les actions locales]" in page
    assert re.search(
        r'<a href="../territoires/arras/">[^<]*</a></th>(<td class="partaj-manque">aucune</td>)+<td>0</td>',
        page,
    )


def test_built_sheet_has_state_filter_and_banner(built_site: Path) -> None:
    ctl = html(built_site, "fiches/ctl-valenciennes")
    assert '<span data-pagefind-filter="état">Terminée</span>' in ctl
    assert (
        "Action menée de septembre 2010 à décembre 2011 dans le cadre du plan PARTAJ. Elle reste décrite ici "
        "pour mémoire et comme source d'idées." in ctl
    )
    assert '<span data-pagefind-filter="état">En cours</span>' in html(built_site, "dispositifs/epide")
    # The filter is in the search index too, with its three states where the catalogue has them.
    assert "partaj-manque" in html(built_site, "manques")


def test_built_catalogue_exports_carry_the_state(built_site: Path) -> None:
    records = {r["id"]: r for r in json.loads((built_site / "catalogue.json").read_text(encoding="utf-8"))}
    assert records["ctl-valenciennes"]["etat"] == "terminée"
    assert records["ctl-valenciennes"]["periode"] == {
        "debut": "2010-09-01",
        "fin": "2011-12-31",
        "plan_partaj": True,
    }
    assert records["epide"]["etat"] == "en cours"
    with (built_site / "catalogue.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = {row["id"]: row for row in csv.DictReader(handle, delimiter=";")}
    assert rows["ctl-valenciennes"]["etat"] == "terminée"


def test_search_page_offers_the_state_filter(built_site: Path, page: Any) -> None:
    with served(built_site) as site_url:
        page.goto(f"{site_url}/trouver-une-solution/")
        label = page.get_by_text("État", exact=True)
        label.wait_for()
        select = page.get_by_label("État", exact=True)
        assert select.locator("option").all_inner_texts() == ["Tous", "En cours", "Terminée"]
