"""Each vocabulary is defined once (`vocabulary`); what repeats it elsewhere — the catalogue's labels, the
database's constraints, the journal's labels, the table's sorts — is checked against it here."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from forms_backend.coordination import rules
from forms_backend.coordination.journal import ACTION_LABELS, RESULT_LABELS
from forms_backend.db.connection import connect, migrate
from forms_backend.db.table import ORDER_BY
from forms_backend.vocabulary import (
    CHAIN,
    CLOSED,
    CLOSINGS,
    INITIAL_STATUT,
    SOLUTION_KINDS,
    SOURCES,
    STATUTS,
    AuditAction,
    AuditResult,
    allowed_next,
    reference,
    status_columns,
)
from generator.catalogue import Catalogue


@pytest.fixture
def base(tmp_path: Path) -> sqlite3.Connection:
    path = tmp_path / "vocabulaire.db"
    migrate(connect(path), path)
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute(
        "INSERT INTO situations (reference, source, territoire, nom, prenom, date_naissance, code_postal, "
        "commune, suivi_structure, created_at, updated_at) VALUES ('ORI-2026-000001', 'orientation', 'lens', "
        "'Nom', 'Prénom', '2008-01-01', '62300', 'Lens', 'aucune', 't', 't')"
    )
    return conn


def test_vocabulary_statuses_of_the_catalogue_are_exactly_the_chain(catalogue: Catalogue) -> None:
    assert [ident for ident, _ in catalogue.choices("statuts_situation")] == list(STATUTS)


def test_vocabulary_closing_lists_exist_in_the_catalogue(catalogue: Catalogue) -> None:
    for closing in CLOSINGS.values():
        assert catalogue.choices(closing.nomenclature), closing.nomenclature
    assert set(CLOSINGS) == set(CLOSED)


def test_vocabulary_chain_moves_one_step_or_ends_without_follow_up() -> None:
    assert STATUTS[0] == INITIAL_STATUT
    assert [allowed_next(s) for s in STATUTS] == [
        ("a-examiner-en-ctl", "sans-suite"),
        ("solution-proposee", "sans-suite"),
        ("accompagnement", "sans-suite"),
        ("sortie", "sans-suite"),
        (),
        (),
    ]
    assert CHAIN[-1] == "sortie"


def test_vocabulary_closing_clears_the_next_ctl_and_the_other_outcome() -> None:
    assert status_columns("sortie", "emploi") == {
        "statut": "sortie",
        "sortie": "emploi",
        "motif_sans_suite": None,
        "prochaine_ctl": None,
    }
    assert status_columns("sans-suite", "doublon") == {
        "statut": "sans-suite",
        "sortie": None,
        "motif_sans_suite": "doublon",
        "prochaine_ctl": None,
    }
    assert status_columns("accompagnement", None) == {"statut": "accompagnement"}


@pytest.mark.parametrize("statut", STATUTS)
def test_vocabulary_database_accepts_every_known_status(base: sqlite3.Connection, statut: str) -> None:
    base.execute("UPDATE situations SET statut = ?", [statut])
    assert base.execute("SELECT statut FROM situations").fetchone() == (statut,)


def test_vocabulary_database_refuses_an_unknown_status(base: sqlite3.Connection) -> None:
    with pytest.raises(sqlite3.IntegrityError, match="statut de situation inconnu"):
        base.execute("UPDATE situations SET statut = 'a-examiner'")
    with pytest.raises(sqlite3.IntegrityError, match="statut de situation inconnu"):
        base.execute(
            "INSERT INTO situations (reference, source, territoire, statut, nom, prenom, date_naissance, "
            "code_postal, commune, suivi_structure, created_at, updated_at) VALUES ('ORI-2026-000002', "
            "'orientation', 'lens', 'archive', 'N', 'P', '2008-01-01', '62300', 'Lens', 'aucune', 't', 't')"
        )
    assert base.execute("SELECT statut FROM situations").fetchall() == [(INITIAL_STATUT,)]


def test_vocabulary_database_takes_exactly_the_sources(base: sqlite3.Connection) -> None:
    for number, source in enumerate(SOURCES, start=10):
        base.execute(
            "INSERT INTO situations (reference, source, territoire, nom, prenom, date_naissance, code_postal, "
            "commune, suivi_structure, created_at, updated_at) VALUES (?, ?, 'lens', 'N', 'P', '2008-01-01', "
            "'62300', 'Lens', 'aucune', 't', 't')",
            [reference(source, 2026, number), source],
        )
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        base.execute(
            "INSERT INTO situations (reference, source, territoire, nom, prenom, date_naissance, code_postal, "
            "commune, suivi_structure, created_at, updated_at) VALUES ('X-1', 'courrier', 'lens', 'N', 'P', "
            "'2008-01-01', '62300', 'Lens', 'aucune', 't', 't')"
        )
    assert [r[0] for r in base.execute("SELECT reference FROM situations ORDER BY id")] == [
        "ORI-2026-000001",
        "RUP-2026-000010",
        "ORI-2026-000011",
        "SAI-2026-000012",
    ]


def test_vocabulary_database_takes_exactly_the_solution_kinds(base: sqlite3.Connection) -> None:
    for kind in SOLUTION_KINDS:
        base.execute(
            "INSERT INTO situation_solutions (situation_id, type, cible, proposee_at) VALUES (1, ?, 'x', 't')",
            [kind],
        )
    with pytest.raises(sqlite3.IntegrityError, match="CHECK constraint failed"):
        base.execute(
            "INSERT INTO situation_solutions (situation_id, type, cible, proposee_at) VALUES (1, 'outil', 'x', 't')"
        )


def test_vocabulary_solution_kinds_are_parts_of_the_catalogue(catalogue: Catalogue) -> None:
    for kind in SOLUTION_KINDS:
        assert isinstance(getattr(catalogue, f"{kind}s"), dict)


def test_vocabulary_every_audit_action_and_result_has_its_french_label() -> None:
    assert set(ACTION_LABELS) == {a.value for a in AuditAction}
    assert all(label and label[0].isupper() for label in ACTION_LABELS.values())
    assert RESULT_LABELS == {"succes": "réussite", "echec": "échec", "refuse": "refusé"}
    assert {r.value for r in AuditResult} == set(RESULT_LABELS)


def test_vocabulary_every_sort_of_the_table_has_its_sql_order() -> None:
    assert set(rules.SORTS) == set(ORDER_BY)
