"""Retention: anonymise the situations without activity for `PARTAJ_RETENTION_MONTHS`, delete old audit entries.

Every column of `situations` and of each table keyed by `situation_id` is classified here: either kept
(categories, codes, counts, dates of the case) or replaced by an expression that keeps no personal data. Every
free text is personal, whoever typed it (a name can be written anywhere): anonymised here, left out of the
pseudonymised export (`coordination.exports.COLUMNS`), which a test keeps in agreement with this module. A table or
column added later must be classified too: `unclassified_columns` names the ones that are not, a test fails on
them and the purge command warns about them.

The purge overwrites what it frees (`secure_delete`) and, once committed, empties the WAL file
(`connection.truncate_wal`): the old versions of the rows it anonymised must not wait there for later writes.
"""

from __future__ import annotations

import calendar
import logging
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial

from sqlite_utils import Database

from forms_backend.clock import timestamp
from forms_backend.db import accounts as accounts_db
from forms_backend.db import audit
from forms_backend.db import propositions as propositions_db
from forms_backend.db.accounts import ABSOLUTE_TIMEOUT, IDLE_TIMEOUT
from forms_backend.db.connection import truncate_wal
from forms_backend.db.store import after_commit
from forms_backend.vocabulary import AuditAction

log = logging.getLogger("partaj")

# table → column → SQL expression of the anonymised value (evaluated on the row itself).
ANONYMISED: dict[str, dict[str, str]] = {
    "situations": {
        "nom": "'Anonymisé'",
        "prenom": "''",
        "date_naissance": "substr(date_naissance, 1, 4)",
        "code_postal": "substr(code_postal, 1, 2)",
        "commune": "''",
        # The commune's code names a place of a few hundred people: kept only as its département.
        "commune_insee": "substr(commune_insee, 1, 2)",
        "telephone": "NULL",
        "courriel": "NULL",
        "cle_envoi": "NULL",
        "referent_nom": "NULL",
        "referent_structure": "NULL",
    },
    "rapports_rupture": {
        "cfa_nom": "''",
        "diplome_prepare": "''",
        "entreprise_nom": "''",
        "entreprise_siret": "NULL",
        "date_debut_contrat": "substr(date_debut_contrat, 1, 7)",
        "date_fin_prevue": "substr(date_fin_prevue, 1, 7)",
        "date_rupture": "substr(date_rupture, 1, 7)",
        "motif_precision": "NULL",
        "declarant_nom": "''",
        "declarant_fonction": "NULL",
        "declarant_courriel": "''",
        "declarant_telephone": "NULL",
    },
    "orientations": {
        "dernier_etablissement": "NULL",
        "description": "''",
        "orienteur_structure": "''",
        "orienteur_nom": "''",
        "orienteur_courriel": "''",
        "orienteur_telephone": "NULL",
    },
    "suivi_evenements": {"texte": "NULL", "referent_nom": "NULL", "referent_structure": "NULL"},
}

# table → columns kept as they are: what the statistics count (categories, codes, dates), never a free text.
KEPT: dict[str, frozenset[str]] = {
    "situations": frozenset(
        {
            "id",
            "reference",
            "source",
            "territoire",
            "territoire_commune",
            "statut",
            "sexe",
            "suivi_structure",
            "created_at",
            "updated_at",
            "anonymise_at",
            "prochaine_ctl",
            "sortie",
            "motif_sans_suite",
            "referent_contrat_signe",
        }
    ),
    "rapports_rupture": frozenset(
        {
            "situation_id",
            "cfa_uai",
            "niveau",
            "secteur",
            "cadre_rupture",
            "situation_actuelle",
            "jeune_informe",
        }
    ),
    "rupture_motifs": frozenset({"situation_id", "motif"}),
    "orientations": frozenset(
        {"situation_id", "statut_jeune", "niveau", "orienteur_type"}
        | {"jeune_informe", "accord_representant_legal"}
    ),
    "orientation_besoins": frozenset({"situation_id", "besoin"}),
    "suivi_evenements": frozenset(
        {"id", "situation_id", "at", "auteur_id", "auteur", "genre", "statut", "ancien_statut", "issue"}
        | {"solution_type", "solution_id", "date_valeur"}
    ),
    "situation_solutions": frozenset({"situation_id", "type", "cible", "proposee_at", "auteur"}),
    # Which CFA sent the report and how: codes and dates only (the UAI is kept in `rapports_rupture` too).
    "cfa_signalements": frozenset(
        {"situation_id", "uai", "canal", "utilisateur_id", "jeton_id", "created_at"}
    ),
}


def months_before(now: datetime, months: int) -> datetime:
    """The same instant `months` calendar months earlier (the last day of a shorter month)."""
    years, month_index = divmod(now.month - 1 - months, 12)
    year, month = now.year + years, month_index + 1
    return now.replace(year=year, month=month, day=min(now.day, calendar.monthrange(year, month)[1]))


def _columns(db: Database, table: str) -> list[str]:
    return [row[1] for row in db.execute(f"PRAGMA table_info([{table}])").fetchall()]


def situation_tables(db: Database) -> list[str]:
    """`situations` and every table with a `situation_id` column: where a situation's data live."""
    names = [
        row[0] for row in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
    ]
    return [t for t in names if t == "situations" or "situation_id" in _columns(db, t)]


def unclassified_columns(db: Database) -> list[str]:
    """`table.colonne` for every column of a situation table that is neither kept nor anonymised."""
    missing = []
    for table in situation_tables(db):
        known = KEPT.get(table, frozenset()) | ANONYMISED.get(table, {}).keys()
        missing += [f"{table}.{column}" for column in _columns(db, table) if column not in known]
    return missing


@dataclass
class WalWipe:
    """Whether the WAL file was emptied once the purge was committed (None: not tried, as in a dry run)."""

    emptied: bool | None = None


@dataclass(frozen=True)
class PurgeReport:
    """What the purge did (or, in a dry run, would do)."""

    cutoff: datetime
    situations: int
    audit_entries: int
    sessions: int
    dry_run: bool
    unclassified: list[str]
    wal: WalWipe = field(default_factory=WalWipe)


WAL_NOT_EMPTIED = (
    "purge : le journal WAL de la base n'a pas pu être vidé (une lecture en cours le retenait) ; des copies "
    "des données anonymisées peuvent y rester jusqu'à ce que le serveur le réutilise. Relancez la purge plus "
    "tard : elle vide alors le journal."
)


def _empty_wal(wipe: WalWipe, db: Database) -> None:
    """After the purge's commit: empty the WAL, which still holds the rows as they were before."""
    wipe.emptied = truncate_wal(db)
    if not wipe.emptied:
        log.warning(WAL_NOT_EMPTIED)


_INACTIVE = "anonymise_at IS NULL AND updated_at < ?"


def purge(db: Database, now: datetime, retention_months: int, dry_run: bool) -> PurgeReport:
    """Writer job: anonymise inactive situations, delete audit entries over 12 months old and dead sessions;
    once committed, empty the WAL (the report says whether it could)."""
    cutoff = months_before(now, retention_months)
    stamp = timestamp(cutoff)
    inactive = int(db.execute(f"SELECT count(*) FROM situations WHERE {_INACTIVE}", [stamp]).fetchone()[0])
    unclassified = unclassified_columns(db)
    if dry_run:
        return PurgeReport(cutoff, inactive, audit.count_old(db), 0, True, unclassified)
    # Overwrite the freed bytes too: an anonymised name must not stay readable in the file's free space.
    db.execute("PRAGMA secure_delete = ON")
    present = set(situation_tables(db))
    for table, columns in ANONYMISED.items():
        if table == "situations" or table not in present:
            continue
        assignments = ", ".join(f"[{column}] = {expression}" for column, expression in columns.items())
        db.execute(
            f"UPDATE [{table}] SET {assignments} WHERE situation_id IN (SELECT id FROM situations WHERE {_INACTIVE})",
            [stamp],
        )
    assignments = ", ".join(
        f"[{column}] = {expression}" for column, expression in ANONYMISED["situations"].items()
    )
    db.execute(
        f"UPDATE situations SET {assignments}, anonymise_at = ? WHERE {_INACTIVE}", [timestamp(now), stamp]
    )
    proposals = propositions_db.anonymise_expired(db, cutoff, now)
    deleted = audit.delete_old(db)
    sessions = accounts_db.delete_expired_sessions(db, now - IDLE_TIMEOUT, now - ABSOLUTE_TIMEOUT)
    accounts_db.delete_stale_failures(db, months_before(now, 12))
    details = {
        "situations_anonymisees": inactive,
        "propositions_anonymisees": proposals,
        "entrees_audit_supprimees": deleted,
        "conservation_mois": retention_months,
    }
    audit.record_command(db, AuditAction.PURGE, now, details=details)
    report = PurgeReport(cutoff, inactive, deleted, sessions, False, unclassified)
    after_commit(partial(_empty_wal, report.wal))
    return report
