"""The facts corrected against the final report (FEJ AP1 261) and official pages, pinned so they cannot regress.

Each test names the fact; the exact strings are the ones the guide shows.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator.catalogue import Catalogue, load_catalogue
from generator.schema import Graphique
from tests.conftest import ROOT

CONTENT = ROOT / "content"
REPORT = "AP1 261"
# Whole-code Légifrance links are kept only where no article-level official page is cited yet.
WHOLE_CODE_LINK_ALLOWED = {"accompagnement-jeunes-majeurs-ase"}


@pytest.fixture(scope="module")
def catalogue() -> Catalogue:
    return load_catalogue(ROOT / "data", CONTENT)


def _page(relative: str) -> str:
    return (CONTENT / relative).read_text(encoding="utf-8")


def _chart(catalogue: Catalogue, chart_id: str) -> Graphique:
    assert catalogue.chiffres is not None
    return next(g for g in catalogue.chiffres.graphiques if g.id == chart_id)


def _values(graphique: Graphique) -> dict[str, float]:
    return {v.libelle: v.valeur for v in graphique.valeurs}


def _text(value: str | list[str] | None) -> str:
    return " ".join(value) if isinstance(value, list) else value or ""


def _editable_files() -> list[Path]:
    return sorted([*CONTENT.rglob("*.md"), *(ROOT / "data").rglob("*.yaml")])


@pytest.mark.parametrize(
    "wrong",
    [
        "structures retenues",
        "Structures retenues",
        "Infra V (sans diplôme)",
        "issu des outils",
        "alors qu'ailleurs les centres sociaux dominaient",
        "quitté le système scolaire depuis au moins un an",
        "De 4 à 18 mois",
        "Le bilan fixe les critères du public",
        "La CTL se réunit **au moins une fois par mois**",
        "Campagne « Reviens te former »",
        "toute personne en recherche d'emploi est inscrite",
    ],
)
def test_content_without_corrected_wording_has_none_left(wrong: str) -> None:
    found = [str(p.relative_to(ROOT)) for p in _editable_files() if wrong in p.read_text(encoding="utf-8")]
    assert found == []


def test_chiffres_fej_financing_shows_both_figures_of_the_report(catalogue: Catalogue) -> None:
    chart = _chart(catalogue, "financements")
    assert _values(chart) == {
        "FEJ, selon la fiche synthétique du rapport": 940000,
        "FEJ, selon le compte rendu financier (75,34 %)": 1833134,
        "Conseil régional Nord-Pas-de-Calais (24,66 %)": 600000,
    }
    assert chart.note is not None
    note = " ".join(chart.note.split())
    for fact in ("**940 000 €**", "**1 833 134 €**", "**75,34 %**", "**24,66 %**", "ne pas les additionner"):
        assert fact in note


def test_chiffres_pil_table_states_report_totals_and_row_sums(catalogue: Catalogue) -> None:
    chart = _chart(catalogue, "pil-territoires")
    assert sum(_values(chart).values()) == 65
    assert chart.note is not None
    note = " ".join(chart.note.split())
    assert "total **66 projets** et **4 434 à 4 660 bénéficiaires potentiels**" in note
    assert "ses lignes ne font pas ce total : elles additionnent **65 projets** et **4 394 à 4 620" in note
    pil = " ".join(_page("pil.md").split())
    assert "| **Total** | **66** | **4 434 à 4 660** |" in _page("pil.md")
    assert "elles additionnent **65 projets** et **4 394 à 4 620 bénéficiaires** potentiels" in pil


def test_chiffres_referents_column_is_structures_candidates(catalogue: Catalogue) -> None:
    note = " ".join((_chart(catalogue, "referents-tuteurs").note or "").split())
    assert (
        "« Nombre de structures candidates » : ses lignes font 33 structures, son total en indique 32" in note
    )
    assert "| Territoire | Structures candidates | Référents tuteurs | Jeunes potentiels |" in _page(
        "referent-tuteur.md"
    )


def test_chiffres_niveaux_use_the_report_label(catalogue: Catalogue) -> None:
    assert _values(_chart(catalogue, "niveaux"))["Infra V"] == 667


def test_chiffres_new_charts_hold_the_report_figures(catalogue: Catalogue) -> None:
    assert _values(_chart(catalogue, "depenses")) == {
        "Total des dépenses réalisées": 2150130,
        "dont conventions des projets d'initiative locale": 920761,
        "dont conventions des référents tuteurs": 107600,
    }
    assert _values(_chart(catalogue, "sexe")) == {"Garçons": 60, "Filles": 40}
    assert _values(_chart(catalogue, "adultes")) == {"Parents": 12, "Enseignants": 70}


@pytest.mark.parametrize(
    "figure",
    [
        "« entre 18 et 21 ans », majoritairement",
        "| Jeunes de moins de 18 ans en CTL | jusqu'à 45 % |",
        "| 63 % de niveau VI et V bis |",
        "| 60 % de garçons, 40 % de filles |",
        "| 12 parents et 70 enseignants |",
        "| Bénéficiaires au 31 décembre 2011 | plus de 4 500 |",
        "| Le jeu des métiers porteurs | environ 1 500 jeunes |",
        "| Dépenses réalisées | 2 150 130 € |",
        "dont 920 761 € de conventions des projets d'initiative locale et 107 600 € de conventions des référents",
    ],
)
def test_chiffres_page_shows_the_missing_report_figures(figure: str) -> None:
    assert figure in _page("chiffres.md")


def test_plan_public_has_no_age_limit() -> None:
    plan = " ".join(_page("plan.md").split())
    assert "**254 avaient plus de 25 ans** et **44 étaient élèves en élémentaire**" in plan
    assert "**16–25 ans**" not in plan
    assert "**16 à 25 ans**" not in _page("ctl.md")


def test_plan_seminar_keeps_postponement_and_held_date() -> None:
    plan = " ".join(_page("plan.md").split())
    assert "prévu initialement en avril 2011, a été **reporté en septembre**" in plan
    assert "**journée d'échanges techniques du 6 octobre 2011**" in plan


def test_fiches_ctl_monthly_meeting_is_a_recommendation(catalogue: Catalogue) -> None:
    ctl = [f for f in catalogue.fiches.values() if f.id.startswith("ctl-")]
    assert len(ctl) == 5
    for fiche in ctl:
        assert "(le bilan recommande au moins une fois par mois)" in fiche.description
        assert "(colonne « structures candidates » du tableau du rapport)" in " ".join(
            fiche.description.split()
        )


def test_fiche_jeu_des_metiers_regional_rollout_was_planned(catalogue: Catalogue) -> None:
    description = " ".join(catalogue.fiches["jeu-des-metiers-porteurs"].description.split())
    assert "devait l'être ensuite sur l'ensemble de la région" in description
    assert "Le rapport ne dit pas si ce déploiement régional a eu lieu." in description


@pytest.mark.parametrize(
    "model",
    ["charte-de-confidentialite.md", "contrat-engagement.md", "fiche-de-suivi.md", "fiche-diagnostic.md"],
)
def test_printable_model_is_designed_after_the_report(model: str) -> None:
    assert "*Modèle conçu d'après" in _page(f"boite-a-outils/{model}")


def test_livret_accompagnement_model_exists_and_is_linked() -> None:
    livret = " ".join(_page("boite-a-outils/livret-accompagnement.md").split())
    assert "*Modèle conçu d'après le bilan de PARTAJ" in livret
    assert "nomme le livret sans en donner le contenu" in livret
    assert "(livret-accompagnement.md)" in _page("boite-a-outils/index.md")
    assert "(boite-a-outils/livret-accompagnement.md)" in _page("referent-tuteur.md")
    nav = (ROOT / "site_config" / "mkdocs.yml").read_text(encoding="utf-8")
    assert "boite-a-outils/livret-accompagnement.md" in nav


def test_outils_and_territoires_cite_the_report(catalogue: Catalogue) -> None:
    assert catalogue.outils and catalogue.territoires
    for item in [*catalogue.outils.values(), *catalogue.territoires.values()]:
        assert item.sources, item.id
        assert all(REPORT in source.titre for source in item.sources), item.id


def test_referent_help_in_back_office_matches_the_report() -> None:
    template = (ROOT / "forms_backend" / "templates" / "coordination" / "situation.html").read_text(
        encoding="utf-8"
    )
    assert "Un salarié, professionnel de l'action sociale d'une structure volontaire" in template
    assert "six mois au minimum en moyenne" in template
    assert "bénévole" not in template


def test_dispositif_e2c_conditions_follow_service_public(catalogue: Catalogue) -> None:
    e2c = catalogue.dispositifs["ecole-2e-chance"]
    assert (e2c.conditions_acces or "").startswith(
        "Avoir entre 16 et 25 ans et être sans diplôme ni qualification (Service-Public.fr)."
    )
    assert "18 mois" not in (e2c.duree or "")


def test_dispositif_un_jeune_une_solution_dates(catalogue: Catalogue) -> None:
    description = " ".join(catalogue.dispositifs["un-jeune-une-solution"].description.split())
    assert (
        "annoncé en juillet 2020 ; la plateforme publique 1jeune1solution.gouv.fr, ouverte en novembre 2020"
        in (description)
    )


def test_dispositif_prepa_apprentissage_call_opened_november_2018(catalogue: Catalogue) -> None:
    description = " ".join(catalogue.dispositifs["prepa-apprentissage"].description.split())
    assert "l'appel à projets a été ouvert en novembre 2018" in description


def test_dispositif_faj_names_the_mel_exception(catalogue: Catalogue) -> None:
    faj = catalogue.dispositifs["fonds-aide-jeunes"]
    description = " ".join(faj.description.split())
    assert (
        "par la Métropole européenne de Lille : c'est le FAJeM, ouvert aux jeunes de 16 ans à la veille de"
        in (description)
    )
    assert faj.age_min == 16


def test_dispositif_yearly_amounts_are_dated_or_linked(catalogue: Catalogue) -> None:
    cej = " ".join(_text(catalogue.dispositifs["contrat-engagement-jeune"].remuneration).split())
    assert "561,68 € par mois au maximum au 1er avril 2025" in cej
    epide = " ".join(_text(catalogue.dispositifs["epide"].remuneration).split())
    assert "indexées chaque 1er avril : montant en vigueur sur la page Service-Public.fr" in epide
    assert "500 €" not in epide


def test_dispositif_apprentissage_keeps_the_two_age_rules_apart(catalogue: Catalogue) -> None:
    conditions = " ".join(_text(catalogue.dispositifs["contrat-apprentissage"].conditions_acces).split())
    assert "un jeune d'au moins 15 ans peut signer s'il a terminé la classe de 3e." in conditions
    assert (
        "Un jeune qui atteint 15 ans avant le 31 décembre peut seulement débuter sa formation sous statut"
        in (conditions)
    )


def test_dispositif_retour_formation_campaign_is_not_a_former_name(catalogue: Catalogue) -> None:
    retour = catalogue.dispositifs["droit-retour-formation"]
    assert retour.anciens_noms == []
    assert "campagne d'information, « Reviens te former »" in " ".join(retour.description.split())


def test_dispositif_france_travail_automatic_registration_is_limited(catalogue: Catalogue) -> None:
    description = " ".join(catalogue.dispositifs["france-travail"].description.split())
    assert (
        "sont inscrits automatiquement à France Travail les demandeurs du RSA, les jeunes suivis par une Mission "
        "locale et les personnes accompagnées par Cap emploi"
    ) in description


@pytest.mark.parametrize(
    "doubtful",
    [
        "monparcourshandicap.gouv.fr/emploi/le-pacea",
        "education.gouv.fr/bo/2011/",
        "://travail-emploi.gouv.fr/",
        "eduscol.education.fr/4165/",
        "legifrance.gouv.fr/codes/texte_lc/",
    ],
)
def test_dispositif_links_avoid_doubtful_pages(catalogue: Catalogue, doubtful: str) -> None:
    found = []
    for dispositif in catalogue.dispositifs.values():
        if doubtful.endswith("texte_lc/") and dispositif.id in WHOLE_CODE_LINK_ALLOWED:
            continue
        urls = [str(s.url) for s in dispositif.sources] + [str(dispositif.lien_source or "")]
        found += [f"{dispositif.id}: {u}" for u in urls if doubtful in u]
    assert found == []


def test_minor_referral_needs_the_legal_guardian_accord_everywhere(catalogue: Catalogue) -> None:
    layouts = (ROOT / "forms_backend" / "public" / "layouts.py").read_text(encoding="utf-8")
    assert "Le jeune a moins de 18 ans : son représentant légal a donné son accord." in layouts
    assert "l'**accord de son représentant légal** est obligatoire" in " ".join(
        _page("donnees-personnelles.md").split()
    )
    obligation = _text(catalogue.dispositifs["obligation-formation-16-18"].mobilisation_precisions)
    assert "son représentant légal donne son accord, comme le demande ce formulaire" in " ".join(
        obligation.split()
    )
