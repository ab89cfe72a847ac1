"""SQL of the CFAs' area (issue 15): which CFA sent which report, what a CFA may read of it (reference, status,
date of the last status change), its API tokens (SHA-256 only), the answers kept for an `Idempotency-Key`, the
weekly digest. Functions take the database and run in `Store`'s threads.
"""

from __future__ import annotations

import json
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from forms_backend.clock import parse_timestamp, timestamp
from forms_backend.db import audit, situations
from forms_backend.vocabulary import AuditAction, AuditResult


@dataclass(frozen=True)
class Sender:
    """Who sends a CFA's reports: through which channel, from which account or token."""

    canal: str  # "fichier" | "api"
    utilisateur_id: int | None
    email: str | None
    jeton_id: int | None = None


def _marks(values: Collection[Any]) -> str:
    return ", ".join("?" * len(values))


def known_keys(db: Database, keys: Collection[str]) -> dict[str, str]:
    """The references of the reports already stored under these keys (key → reference)."""
    if not keys:
        return {}
    rows = db.execute(
        f"SELECT cle_envoi, reference FROM situations WHERE cle_envoi IN ({_marks(keys)})", list(keys)
    ).fetchall()
    return {row[0]: row[1] for row in rows}


def store_reports(
    db: Database,
    reports: list[situations.NewReport],
    sender: Sender,
    action: AuditAction,
    details: dict[str, Any],
) -> list[situations.Receipt]:
    """Store a CFA's reports in one transaction (idempotent on each key), note which CFA sent each new one, and
    audit the whole in the same transaction."""
    if not reports:
        return []
    receipts = situations.insert_reports(db, reports)
    stamp = timestamp(reports[0].now)
    rows = [
        (
            report.data["cfa_uai"],
            sender.canal,
            sender.utilisateur_id,
            sender.jeton_id,
            stamp,
            receipt.reference,
        )
        for report, receipt in zip(reports, receipts, strict=True)
        if not receipt.replayed
    ]
    db.conn.executemany(
        "INSERT OR IGNORE INTO cfa_signalements (situation_id, uai, canal, utilisateur_id, jeton_id, created_at) "
        "SELECT id, ?, ?, ?, ?, ? FROM situations WHERE reference = ?",
        rows,
    )
    created = sum(1 for r in receipts if not r.replayed)
    audit.record(
        db,
        user_id=sender.utilisateur_id,
        email=sender.email,
        action=action,
        target=", ".join(sorted({r.data["cfa_uai"] for r in reports})),
        result=AuditResult.SUCCES,
        at=reports[0].now,
        details={**details, "crees": created, "deja_enregistres": len(receipts) - created},
    )
    return receipts


@dataclass(frozen=True)
class CfaReport:
    """One line of « Mes signalements »: what a CFA may see of a report it sent."""

    reference: str
    nom: str
    prenom: str
    date_rupture: str
    statut: str
    mis_a_jour: datetime
    canal: str


# The date of the last change a CFA is told of: the last status change, or the report's arrival. Notes,
# solutions and meetings are the CTL's work: they do not move it.
_LAST_CHANGE = (
    "COALESCE((SELECT max(e.at) FROM suivi_evenements e WHERE e.situation_id = s.id AND e.genre = 'statut'), "
    "s.created_at)"
)


def list_reports(db: Database, uais: Collection[str]) -> list[CfaReport]:
    """The reports these UAIs sent (by file or API), the most recent first."""
    if not uais:
        return []
    rows = db.execute(
        f"SELECT s.reference, s.nom, s.prenom, r.date_rupture, s.statut, {_LAST_CHANGE}, c.canal "
        "FROM cfa_signalements c JOIN situations s ON s.id = c.situation_id "
        "JOIN rapports_rupture r ON r.situation_id = s.id "
        f"WHERE c.uai IN ({_marks(uais)}) ORDER BY s.created_at DESC, s.id DESC",
        list(uais),
    ).fetchall()
    return [CfaReport(r[0], r[1], r[2], r[3] or "", r[4], parse_timestamp(r[5]), r[6]) for r in rows]


def report_status(db: Database, reference: str, uais: Collection[str]) -> tuple[str, datetime] | None:
    """Status and date of the last change of one report these UAIs sent; None for any other reference."""
    row = db.execute(
        f"SELECT s.statut, {_LAST_CHANGE} FROM cfa_signalements c JOIN situations s ON s.id = c.situation_id "
        f"WHERE s.reference = ? AND c.uai IN ({_marks(uais)})",
        [reference, *uais],
    ).fetchone()
    return (row[0], parse_timestamp(row[1])) if row else None


# --- API tokens ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Token:
    """An API token as `cfa token list` shows it: never the token, only its first characters."""

    id: int
    uai: str
    debut: str
    created_at: datetime
    revoque_at: datetime | None
    dernier_usage_at: datetime | None


_TOKEN_COLUMNS = "id, uai, debut, created_at, revoque_at, dernier_usage_at"


def _token(row: tuple[Any, ...]) -> Token:
    def when(value: str | None) -> datetime | None:
        return parse_timestamp(value) if value else None

    return Token(row[0], row[1], row[2], parse_timestamp(row[3]), when(row[4]), when(row[5]))


def add_token(db: Database, uai: str, digest: str, debut: str, now: datetime) -> int:
    """Store a new token's digest; its id."""
    row = db.execute(
        "INSERT INTO cfa_jetons (uai, empreinte, debut, created_at) VALUES (?, ?, ?, ?) RETURNING id",
        [uai, digest, debut, timestamp(now)],
    ).fetchone()
    audit.record_command(db, AuditAction.CFA_JETON_CREE, now, target=uai, details={"jeton": row[0]})
    return int(row[0])


def list_tokens(db: Database) -> list[Token]:
    """Every token, active or revoked, by UAI then id."""
    rows = db.execute(f"SELECT {_TOKEN_COLUMNS} FROM cfa_jetons ORDER BY uai, id").fetchall()
    return [_token(row) for row in rows]


def revoke_token(db: Database, token_id: int | None, digest: str | None, now: datetime) -> Token | None:
    """Revoke the token with this id or this digest (no effect on one already revoked); None when unknown."""
    row = db.execute(
        f"SELECT {_TOKEN_COLUMNS} FROM cfa_jetons WHERE id = ? OR empreinte = ?", [token_id, digest]
    ).fetchone()
    if row is None:
        return None
    token = _token(row)
    if token.revoque_at is None:
        db.execute("UPDATE cfa_jetons SET revoque_at = ? WHERE id = ?", [timestamp(now), token.id])
        audit.record_command(
            db, AuditAction.CFA_JETON_REVOQUE, now, target=token.uai, details={"jeton": token.id}
        )
    return token


def find_token(db: Database, digest: str) -> Token | None:
    """The token with this digest, revoked or not."""
    row = db.execute(f"SELECT {_TOKEN_COLUMNS} FROM cfa_jetons WHERE empreinte = ?", [digest]).fetchone()
    return _token(row) if row else None


def touch_token(db: Database, token_id: int, now: datetime) -> None:
    """Record the token's last use (shown by `cfa token list`)."""
    db.execute("UPDATE cfa_jetons SET dernier_usage_at = ? WHERE id = ?", [timestamp(now), token_id])


def find_replay(db: Database, token_id: int, key: str) -> tuple[str, Any] | None:
    """The body digest and answer kept for this token's `Idempotency-Key`, if it was used."""
    row = db.execute(
        "SELECT empreinte_corps, reponse FROM cfa_idempotence WHERE jeton_id = ? AND cle = ?", [token_id, key]
    ).fetchone()
    return (row[0], json.loads(row[1])) if row else None


def keep_replay(db: Database, token_id: int, key: str, body_digest: str, answer: Any, now: datetime) -> None:
    """Keep the answer given to a token's `Idempotency-Key` (the first one stays)."""
    db.execute(
        "INSERT OR IGNORE INTO cfa_idempotence (jeton_id, cle, empreinte_corps, reponse, created_at) "
        "VALUES (?, ?, ?, ?, ?)",
        [token_id, key, body_digest, json.dumps(answer), timestamp(now)],
    )


# --- Weekly digest --------------------------------------------------------------------------------------------


def digest_wanted(db: Database, user_id: int) -> bool:
    """Whether this CFA account asked for the weekly digest."""
    row = db.execute("SELECT actif FROM cfa_resumes WHERE utilisateur_id = ?", [user_id]).fetchone()
    return bool(row and row[0])


def set_digest(db: Database, user_id: int, wanted: bool) -> None:
    """Ask for the weekly digest, or stop it."""
    db.execute(
        "INSERT INTO cfa_resumes (utilisateur_id, actif) VALUES (?, ?) "
        "ON CONFLICT (utilisateur_id) DO UPDATE SET actif = excluded.actif",
        [user_id, int(wanted)],
    )


@dataclass(frozen=True)
class DigestRecipient:
    """An active CFA account that asked for the digest, its UAIs, and when it was last sent one."""

    user_id: int
    email: str
    uais: tuple[str, ...]
    since: datetime | None


def digest_recipients(db: Database) -> list[DigestRecipient]:
    """Active CFA accounts that asked for the weekly digest."""
    rows = db.execute(
        "SELECT u.id, u.email, r.dernier_envoi_at, (SELECT group_concat(uai, ' ') FROM utilisateur_uai "
        "WHERE utilisateur_id = u.id) FROM cfa_resumes r JOIN utilisateurs u ON u.id = r.utilisateur_id "
        "WHERE r.actif = 1 AND u.actif = 1 AND u.role = 'cfa' ORDER BY u.id"
    ).fetchall()
    return [
        DigestRecipient(
            r[0], r[1], tuple(sorted((r[3] or "").split())), parse_timestamp(r[2]) if r[2] else None
        )
        for r in rows
    ]


def status_changes(db: Database, uais: Iterable[str], since: datetime) -> list[tuple[str, str, datetime]]:
    """(reference, status now, date of the change) of the reports of these UAIs whose status changed since."""
    uais = list(uais)
    if not uais:
        return []
    rows = db.execute(
        f"SELECT s.reference, s.statut, max(e.at) FROM cfa_signalements c "
        "JOIN situations s ON s.id = c.situation_id JOIN suivi_evenements e ON e.situation_id = s.id "
        f"WHERE c.uai IN ({_marks(uais)}) AND e.genre = 'statut' AND e.at > ? "
        "GROUP BY s.id ORDER BY s.reference",
        [*uais, timestamp(since)],
    ).fetchall()
    return [(r[0], r[1], parse_timestamp(r[2])) for r in rows]


def digest_sent(db: Database, user_id: int, now: datetime) -> None:
    """Note that this account was sent its digest now."""
    db.execute(
        "UPDATE cfa_resumes SET dernier_envoi_at = ? WHERE utilisateur_id = ?", [timestamp(now), user_id]
    )
