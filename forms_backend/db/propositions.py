"""Partners' proposals (new actions, corrections, « rien à changer »), their moderation and the freshness
reminders: the SQL. Functions take the database and run in `Store`'s threads (docs/domaine.md, « Propositions »)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from forms_backend.clock import timestamp
from forms_backend.db.connection import fetch_row
from forms_backend.db.table import Scope
from forms_backend.errors import PropositionNotFound, TrackingError
from forms_backend.vocabulary import PROPOSITION_PREFIX, proposition_reference

OPEN = ("en-attente", "question")


@dataclass(frozen=True)
class NewProposition:
    """A validated proposal waiting to be stored."""

    genre: str
    cible_type: str | None
    cible: str | None
    donnees: dict[str, Any]
    motif: str | None
    proposeur: dict[str, str]
    territoires: tuple[str, ...]
    key: str
    now: datetime
    year: int


@dataclass(frozen=True)
class Stored:
    """The reference of a stored proposal, and whether it was already there (a replay)."""

    reference: str
    replayed: bool


def insert(db: Database, proposition: NewProposition) -> Stored:
    """Store a proposal with its next reference; idempotent on its submission key."""
    existing = db.execute(
        "SELECT reference FROM propositions WHERE cle_envoi = ?", [proposition.key]
    ).fetchone()
    if existing:
        return Stored(existing[0], True)
    number = db.execute(
        "INSERT INTO sequences (prefixe, annee, dernier) VALUES (?, ?, 1) ON CONFLICT (prefixe, annee) "
        "DO UPDATE SET dernier = dernier + 1 RETURNING dernier",
        [PROPOSITION_PREFIX, proposition.year],
    ).fetchone()[0]
    reference = proposition_reference(proposition.year, number)
    stamp = timestamp(proposition.now)
    cursor = db.execute(
        "INSERT INTO propositions (reference, genre, cible_type, cible, donnees, motif, proposeur_nom, "
        "proposeur_structure, proposeur_courriel, cle_envoi, created_at, updated_at) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            reference,
            proposition.genre,
            proposition.cible_type,
            proposition.cible,
            json.dumps(proposition.donnees, ensure_ascii=False, sort_keys=True),
            proposition.motif,
            proposition.proposeur["nom"],
            proposition.proposeur["structure"],
            proposition.proposeur["courriel"],
            proposition.key,
            stamp,
            stamp,
        ],
    )
    db.conn.executemany(
        "INSERT INTO proposition_territoires (proposition_id, territoire) VALUES (?, ?)",
        [(cursor.lastrowid, t) for t in dict.fromkeys(proposition.territoires)],
    )
    return Stored(reference, False)


def _visible(scope: Scope) -> tuple[str, list[Any]]:
    """SQL condition (on `p`) of the proposals a scope moderates: all for a regional account (None), those
    of its territories for a coordinator."""
    if scope is None:
        return "1", []
    marks = ", ".join("?" * len(scope)) or "NULL"
    return (
        f"p.id IN (SELECT proposition_id FROM proposition_territoires WHERE territoire IN ({marks}))",
        list(scope),
    )


def _row(db: Database, sql: str, params: list[Any]) -> list[dict[str, Any]]:
    cursor = db.execute(sql, params)
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, r, strict=True)) for r in cursor.fetchall()]


def listing(db: Database, scope: Scope) -> list[dict[str, Any]]:
    """The proposals a scope moderates: open ones first (oldest first), then the decided ones (latest first)."""
    where, params = _visible(scope)
    return _row(
        db,
        "SELECT p.id, p.reference, p.genre, p.cible_type, p.cible, p.statut, p.proposeur_structure, p.created_at, "
        "p.decide_at, json_extract(p.donnees, '$.nom') AS nom, "
        "(SELECT group_concat(territoire, ' ') FROM proposition_territoires t WHERE t.proposition_id = p.id) "
        "AS territoires "
        f"FROM propositions p WHERE {where} "
        "ORDER BY p.statut NOT IN ('en-attente', 'question'), "
        "CASE WHEN p.statut IN ('en-attente', 'question') THEN p.created_at END, p.decide_at DESC, p.id",
        params,
    )


def get(db: Database, proposition_id: int, scope: Scope) -> dict[str, Any]:
    """One proposal with its data decoded; PropositionNotFound when absent or outside the scope."""
    where, params = _visible(scope)
    row = fetch_row(
        db, f"SELECT p.* FROM propositions p WHERE p.id = ? AND {where}", [proposition_id, *params]
    )
    if row is None:
        raise PropositionNotFound(proposition_id)
    row["donnees"] = json.loads(row["donnees"])
    row["territoires"] = [
        r[0]
        for r in db.execute(
            "SELECT territoire FROM proposition_territoires WHERE proposition_id = ? ORDER BY territoire",
            [proposition_id],
        )
    ]
    return row


def decide(
    db: Database,
    proposition_id: int,
    scope: Scope,
    statut: str,
    moderator: str,
    now: datetime,
    message: str | None = None,
    fichier: str | None = None,
    donnees: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Record a decision (acceptee, refusee) or a question on an open proposal; TrackingError when it was
    decided meanwhile. Returns the proposal as it was before."""
    before = get(db, proposition_id, scope)
    if before["statut"] not in OPEN:
        raise TrackingError("proposition", "Cette proposition a déjà été traitée.")
    stamp = timestamp(now)
    decided = statut in ("acceptee", "refusee")
    db.execute(
        "UPDATE propositions SET statut = ?, message = ?, decide_par = ?, decide_at = ?, fichier = ?, "
        "donnees = ?, updated_at = ? WHERE id = ?",
        [
            statut,
            message,
            moderator,
            stamp if decided else None,
            fichier,
            json.dumps(
                donnees if donnees is not None else before["donnees"], ensure_ascii=False, sort_keys=True
            ),
            stamp,
            proposition_id,
        ],
    )
    return before


def pending_count(db: Database, scope: Scope) -> int:
    where, params = _visible(scope)
    sql = f"SELECT count(*) FROM propositions p WHERE p.statut IN ('en-attente', 'question') AND {where}"
    return int(db.execute(sql, params).fetchone()[0])


# --- Retention --------------------------------------------------------------------------------------------------

ANONYMISED = {
    "proposeur_nom": "'Anonymisé'",
    "proposeur_structure": "''",
    "proposeur_courriel": "''",
    "motif": "NULL",
    "message": "NULL",
    "cle_envoi": "NULL",
}
# A proposal's contact details go once decided for the retention period, or when left open for that long.
_EXPIRED = "anonymise_at IS NULL AND coalesce(decide_at, updated_at) < ?"


def count_expired(db: Database, cutoff: datetime) -> int:
    return int(
        db.execute(f"SELECT count(*) FROM propositions WHERE {_EXPIRED}", [timestamp(cutoff)]).fetchone()[0]
    )


def anonymise_expired(db: Database, cutoff: datetime, now: datetime) -> int:
    """Anonymise the proposer of the proposals decided (or left open) before `cutoff`; the number done."""
    count = count_expired(db, cutoff)
    assignments = ", ".join(f"[{column}] = {expression}" for column, expression in ANONYMISED.items())
    db.execute(
        f"UPDATE propositions SET {assignments}, anonymise_at = ? WHERE {_EXPIRED}",
        [timestamp(now), timestamp(cutoff)],
    )
    return count


# --- Freshness reminders ----------------------------------------------------------------------------------------


def last_reminders(db: Database) -> dict[tuple[str, str], str]:
    """(kind, sheet id) → when its last reminder was sent."""
    rows = db.execute(
        "SELECT fiche_type, fiche, max(envoye_at) FROM rappels_actualisation GROUP BY fiche_type, fiche"
    )
    return {(r[0], r[1]): r[2] for r in rows}


def record_reminders(db: Database, sent: list[tuple[str, str]], now: datetime) -> None:
    db.conn.executemany(
        "INSERT INTO rappels_actualisation (fiche_type, fiche, envoye_at) VALUES (?, ?, ?)",
        [(kind, sheet, timestamp(now)) for kind, sheet in sent],
    )
