"""Follow-up of one situation: reading it with its history, and every change the CTL makes to it.

Functions take the database explicitly and run in `Store`'s threads. Every one takes the user's `scope` (None:
every territory): a situation outside it is not found, whatever its id. Every change is checked against the
situation's current state in the transaction that writes it, updates `situations.updated_at` (the retention
period counts from it), and appends a history event and an audit entry, in the same transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from forms_backend.clock import timestamp
from forms_backend.db import audit
from forms_backend.db import situations as reports
from forms_backend.db.connection import fetch_row
from forms_backend.db.table import Scope
from forms_backend.errors import SituationNotFound, TrackingError
from forms_backend.vocabulary import INITIAL_STATUT, AuditAction, AuditResult, allowed_next, status_columns


@dataclass(frozen=True)
class Actor:
    """Who makes a change: the account's id and e-mail (None for the command line)."""

    id: int | None
    email: str | None


# The largest id SQLite can hold: a larger one in an address names no situation (and cannot be bound).
MAX_ID = 2**63 - 1


def visible(db: Database, situation_id: int, scope: Scope) -> dict[str, Any]:
    """The situation's own row; SituationNotFound when it does not exist or is outside the scope."""
    if not 0 < situation_id <= MAX_ID:
        raise SituationNotFound(situation_id)
    row = fetch_row(db, "SELECT * FROM situations WHERE id = ?", [situation_id])
    if row is None or (scope is not None and row["territoire"] not in scope):
        raise SituationNotFound(situation_id)
    return row


@dataclass(frozen=True)
class Situation:
    """Everything known about one situation: its row, its report, history and solutions."""

    row: dict[str, Any]
    rupture: dict[str, Any] | None
    orientation: dict[str, Any] | None
    motifs: list[str]
    besoins: list[str]
    events: list[dict[str, Any]]
    solutions: list[dict[str, Any]]


def situation(db: Database, situation_id: int, scope: Scope) -> Situation:
    """The whole situation; SituationNotFound outside the user's scope."""
    row = visible(db, situation_id, scope)
    rupture = fetch_row(db, "SELECT * FROM rapports_rupture WHERE situation_id = ?", [situation_id])
    orientation = fetch_row(db, "SELECT * FROM orientations WHERE situation_id = ?", [situation_id])
    motifs = [
        r[0]
        for r in db.execute(
            "SELECT motif FROM rupture_motifs WHERE situation_id = ? ORDER BY motif", [situation_id]
        )
    ]
    besoins = [
        r[0]
        for r in db.execute(
            "SELECT besoin FROM orientation_besoins WHERE situation_id = ? ORDER BY besoin", [situation_id]
        )
    ]
    cursor = db.execute("SELECT * FROM suivi_evenements WHERE situation_id = ? ORDER BY id", [situation_id])
    names = [d[0] for d in cursor.description]
    events = [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]
    cursor = db.execute(
        "SELECT type, cible, proposee_at, auteur FROM situation_solutions WHERE situation_id = ? "
        "ORDER BY proposee_at, type, cible",
        [situation_id],
    )
    solutions = [dict(zip(("type", "cible", "proposee_at", "auteur"), r, strict=True)) for r in cursor]
    return Situation(row, rupture, orientation, motifs, besoins, events, solutions)


def _event(db: Database, situation_id: int, actor: Actor, now: datetime, genre: str, **values: Any) -> None:
    row = {"situation_id": situation_id, "at": timestamp(now), "auteur_id": actor.id}
    row.update(auteur=actor.email, genre=genre, **values)
    columns = ", ".join(row)
    db.execute(
        f"INSERT INTO suivi_evenements ({columns}) VALUES ({', '.join('?' * len(row))})", list(row.values())
    )


def _touch(db: Database, situation_id: int, now: datetime, **columns: Any) -> None:
    assignments = "".join(f", {name} = ?" for name in columns)
    db.execute(
        f"UPDATE situations SET updated_at = ?{assignments} WHERE id = ?",
        [timestamp(now), *columns.values(), situation_id],
    )


def _audit(
    db: Database, actor: Actor, action: AuditAction, reference: str, now: datetime, **details: Any
) -> None:
    audit.record(
        db,
        user_id=actor.id,
        email=actor.email,
        action=action,
        target=reference,
        result=AuditResult.SUCCES,
        details=details,
        at=now,
    )


def change_status(
    db: Database, situation_id: int, scope: Scope, actor: Actor, now: datetime, statut: str, issue: str | None
) -> None:
    """Move the situation along the status chain (docs/domaine.md), checked against its current status in the
    transaction: a change overtaken by another one is refused (TrackingError on `statut`).

    Closing it (sortie, sans suite) records the outcome or reason and clears the next CTL meeting."""
    row = visible(db, situation_id, scope)
    old = row["statut"]
    if statut not in allowed_next(old):
        raise TrackingError("statut", f"passage impossible de {old} à {statut}")
    columns = status_columns(statut, issue)
    _touch(db, situation_id, now, **columns)
    _event(db, situation_id, actor, now, "statut", statut=statut, ancien_statut=old, issue=issue)
    details = {"ancien": old, "nouveau": statut, **({"issue": issue} if issue else {})}
    _audit(db, actor, AuditAction.STATUT_CHANGE, row["reference"], now, **details)


def add_note(
    db: Database, situation_id: int, scope: Scope, actor: Actor, now: datetime, texte: str, day: str
) -> None:
    """A dated note of the fiche de suivi."""
    row = visible(db, situation_id, scope)
    _touch(db, situation_id, now)
    _event(db, situation_id, actor, now, "note", texte=texte, date_valeur=day)
    _audit(db, actor, AuditAction.NOTE_AJOUTEE, row["reference"], now)


def add_solution(
    db: Database, situation_id: int, scope: Scope, actor: Actor, now: datetime, kind: str, cible: str
) -> None:
    """Propose a dispositif or a fiche of the catalogue (the handler checked the id exists)."""
    row = visible(db, situation_id, scope)
    exists = db.execute(
        "SELECT 1 FROM situation_solutions WHERE situation_id = ? AND type = ? AND cible = ?",
        [situation_id, kind, cible],
    ).fetchone()
    if exists:
        raise TrackingError("solution", "déjà proposée")
    db.execute(
        "INSERT INTO situation_solutions (situation_id, type, cible, proposee_at, auteur) VALUES (?, ?, ?, ?, ?)",
        [situation_id, kind, cible, timestamp(now), actor.email],
    )
    _touch(db, situation_id, now)
    _event(db, situation_id, actor, now, "solution", solution_type=kind, solution_id=cible)
    _audit(db, actor, AuditAction.SOLUTION_PROPOSEE, row["reference"], now, type=kind, id=cible)


def remove_solution(
    db: Database, situation_id: int, scope: Scope, actor: Actor, now: datetime, kind: str, cible: str
) -> None:
    """Withdraw a proposed solution (kept in the history)."""
    row = visible(db, situation_id, scope)
    deleted = db.execute(
        "DELETE FROM situation_solutions WHERE situation_id = ? AND type = ? AND cible = ?",
        [situation_id, kind, cible],
    ).rowcount
    if not deleted:
        raise TrackingError("solution", "pas proposée")
    _touch(db, situation_id, now)
    _event(db, situation_id, actor, now, "solution-retiree", solution_type=kind, solution_id=cible)
    _audit(db, actor, AuditAction.SOLUTION_RETIREE, row["reference"], now, type=kind, id=cible)


def set_referent(
    db: Database,
    situation_id: int,
    scope: Scope,
    actor: Actor,
    now: datetime,
    nom: str | None,
    structure: str | None,
    signe: str | None,
) -> None:
    """Name, structure and contrat d'engagement date of the référent tuteur (all None: no référent)."""
    row = visible(db, situation_id, scope)
    _touch(
        db, situation_id, now, referent_nom=nom, referent_structure=structure, referent_contrat_signe=signe
    )
    _event(
        db,
        situation_id,
        actor,
        now,
        "referent",
        referent_nom=nom,
        referent_structure=structure,
        date_valeur=signe,
    )
    _audit(db, actor, AuditAction.REFERENT_MODIFIE, row["reference"], now)


def set_next_ctl(
    db: Database, situation_id: int, scope: Scope, actor: Actor, now: datetime, day: str | None
) -> None:
    """The next CTL meeting that examines the situation (None: none planned)."""
    row = visible(db, situation_id, scope)
    _touch(db, situation_id, now, prochaine_ctl=day)
    _event(db, situation_id, actor, now, "ctl", date_valeur=day)
    _audit(db, actor, AuditAction.CTL_PLANIFIEE, row["reference"], now, date=day or "")


def insert_saisie(db: Database, report: reports.NewReport, actor: Actor) -> tuple[int, bool]:
    """Store a situation entered by a coordinator (source `saisie`); (id, replayed) — a double submission
    finds the situation the first one created."""
    receipt = reports.insert_reports(db, [report])[0]
    situation_id = reports.situation_id(db, receipt.reference)
    assert situation_id is not None
    if not receipt.replayed:
        _event(db, situation_id, actor, report.now, "creation", statut=INITIAL_STATUT)
        _audit(
            db,
            actor,
            AuditAction.SITUATION_SAISIE,
            receipt.reference,
            report.now,
            territoire=receipt.territoire,
        )
    return situation_id, receipt.replayed
