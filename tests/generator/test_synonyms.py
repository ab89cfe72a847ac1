"""The search's synonym list: how terms are compared and expanded, what the index receives, and the check
that reports a malformed data/synonymes.yaml with PATH:LINE:COL."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from pathlib import Path

import pytest

from generator.catalogue import load_catalogue
from generator.search_index import SheetTerms, page_text, with_search_terms
from generator.synonyms import Groupe, Synonyms, normalize
from tests.conftest import ROOT

TODAY = date(2026, 11, 30)
SYNONYMES = "data/synonymes.yaml"
LIST = Synonyms(
    [
        Groupe(termes=["2e", "deuxième", "seconde"]),
        Groupe(termes=["E2C", "école de la 2e chance"], mots_courants=["école de la seconde chance"]),
        Groupe(termes=["ASE", "aide sociale à l'enfance"], mots_courants=["placé"]),
        Groupe(termes=["aide financière", "secours"], mots_courants=["argent"]),
    ]
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("École de la 2ème Chance", "ecole de la 2eme chance"),
        ("L'aide sociale à l'enfance (ASE)", "l aide sociale a l enfance ase"),
        ("Œuvre  d’art", "oeuvre d art"),
        ("—", ""),
    ],
)
def test_synonyms_normalize_drops_case_accents_and_punctuation(text: str, expected: str) -> None:
    assert normalize(text) == expected


def test_synonyms_expand_an_ordinal_and_an_abbreviation() -> None:
    words = LIST.expand("Les écoles de la 2e chance accueillent des jeunes")
    assert words == [
        "2e",
        "deuxième",
        "seconde",
        "E2C",
        "école de la 2e chance",
        "école de la seconde chance",
    ]


def test_synonyms_expand_whole_words_only() -> None:
    assert LIST.expand("remise à niveau des savoirs de base, phase 2") == []


def test_synonyms_everyday_words_do_not_bring_the_terms() -> None:
    assert LIST.expand("Un jeune placé qui manque d'argent") == []
    assert LIST.expand("des secours temporaires") == ["aide financière", "secours", "argent"]
    assert LIST.expand("Aides financières") == ["aide financière", "secours", "argent"]


def test_synonyms_index_gets_tier_summary_keywords_and_expansions() -> None:
    page = (
        "<html><body><div data-pagefind-body><h1>Fonds</h1><p>Des secours temporaires.</p>"
        '<h2 id="dispositifs-lies">Dispositifs liés</h2><p>École de la 2e chance</p>'
        '<p class="partaj-maj">Mis à jour</p></div></body></html>'
    )
    terms = SheetTerms(("coup de pouce", "dépannage"), 0, "Un fonds d'aide « urgent ».")
    indexed = with_search_terms(page, terms, LIST)
    block = (
        '<div data-pagefind-ignore><span data-pagefind-meta="rang:0"></span>'
        '<span data-pagefind-meta="resume">Un fonds d&#x27;aide « urgent ».</span></div>'
        '<p data-pagefind-weight="4">coup de pouce ; dépannage</p>'
        "<p>aide financière ; secours ; argent</p>"
    )
    assert indexed == page.replace('<p class="partaj-maj">', block + '<p class="partaj-maj">')
    assert "2e chance" not in " ".join(LIST.expand(page_text(page)))


def test_synonyms_editorial_page_gets_the_last_tier_and_its_description() -> None:
    page = "<div data-pagefind-body><p>La MLDS et l'ASE.</p></div>"
    indexed = with_search_terms(page, None, LIST, "Une page du guide.")
    assert indexed.startswith(
        '<div data-pagefind-body><div data-pagefind-ignore><span data-pagefind-meta="rang:2"></span>'
        '<span data-pagefind-meta="resume">Une page du guide.</span></div>'
        "<p>ASE ; aide sociale à l&#x27;enfance ; placé</p>"
    )


def test_synonyms_real_list_is_valid_and_every_group_finds_itself() -> None:
    catalogue = load_catalogue(ROOT / "data", None, today=TODAY)
    assert [p.format() for p in catalogue.problems if p.path.endswith("synonymes.yaml")] == []
    assert catalogue.synonymes is not None
    synonyms = Synonyms.of(catalogue.synonymes)
    for groupe in catalogue.synonymes.groupes:
        for terme in groupe.termes:
            assert set(groupe.termes) <= set(synonyms.expand(terme)), terme


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "date_maj: 2026-11-01\ngroupes:\n  - termes: [E2C, école de la 2e chance]\n"
            "  - termes: [FAJ]\n    mots_courants: [argent, e2c]\n",
            f"{SYNONYMES}:5:29: « groupes[1].mots_courants[1] » : « e2c » figure déjà en "
            "« groupes[0].termes[0] » (ligne 3, colonne 14) ; un mot n'appartient qu'à un groupe : fusionnez "
            "les deux groupes ou retirez ce doublon",
        ),
        (
            "date_maj: 2026-11-01\ngroupes:\n  - termes: [aide financière, aides financières]\n",
            f"{SYNONYMES}:3:31: « groupes[0].termes[1] » : « aides financières » figure déjà en "
            "« groupes[0].termes[0] » (ligne 3, colonne 14) ; un mot n'appartient qu'à un groupe : fusionnez "
            "les deux groupes ou retirez ce doublon",
        ),
        (
            "date_maj: 2026-11-01\ngroupes:\n  - termes: [« », FAJ]\n",
            f"{SYNONYMES}:3:14: « groupes[0].termes[0] » : « « » » ne contient ni lettre ni chiffre",
        ),
        (
            "date_maj: 2026-11-01\ngroupes:\n  - mots_courants: [argent]\n",
            f"{SYNONYMES}:3:5: champ obligatoire « groupes[0].termes » manquant (Termes équivalents : sigle, "
            "nom complet, autres graphies) : ajoutez « termes: … »",
        ),
        (
            "date_maj: 2026-11-01\ngroupes:\n  - termes: []\n",
            f"{SYNONYMES}:3:13: « groupes[0].termes » : au moins 1 élément(s) attendu(s), trouvé liste",
        ),
        (
            "date_maj: 2026-11-01\ngroupes:\n  - termes: [FAJ]\n    synonymes: [argent]\n",
            f"{SYNONYMES}:4:5: clé inconnue « groupes[0].synonymes » ; clés connues : termes, mots_courants",
        ),
        (
            "date_maj: 2026-11-01\ngroupes:\n  - termes: [FAJ\n",
            f"{SYNONYMES}:4:1: YAML invalide : « , » ou « ] » attendu : une liste entre crochets n'est pas fermée",
        ),
    ],
    ids=[
        "duplicate",
        "plural-duplicate",
        "no-letter",
        "missing-termes",
        "empty-termes",
        "unknown-key",
        "yaml-syntax",
    ],
)
def test_synonyms_check_reports_a_malformed_list(
    write_yaml: Callable[[str, str], Path],
    data_dir: Path,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
    expected: str,
) -> None:
    write_yaml("synonymes.yaml", text)
    monkeypatch.chdir(data_dir.parent)
    catalogue = load_catalogue(Path("data"), None, today=TODAY)
    assert [p.format() for p in catalogue.errors] == [expected]
