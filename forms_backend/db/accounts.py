"""SQL of the coordinators' accounts, login failures and server-side sessions; functions taking the database.

They run in the threads of `db.store.Store` (or of a CLI command), never on the event loop.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlite_utils import Database

from forms_backend.clock import parse_timestamp, timestamp
from forms_backend.errors import AccountError

# A session ends after 30 minutes without activity, or 8 hours after login, whatever its activity.
IDLE_TIMEOUT = timedelta(minutes=30)
ABSOLUTE_TIMEOUT = timedelta(hours=8)


@dataclass(frozen=True)
class Account:
    """One row of `utilisateurs`, with its territories (sorted) and its password hash."""

    id: int
    email: str
    role: str
    actif: bool
    territoires: tuple[str, ...]
    password_hash: str
    created_at: str
    # The UAIs of a CFA account (role `cfa`, migration 10); empty for the other roles.
    uais: tuple[str, ...] = ()


def _territories(db: Database, user_id: int) -> tuple[str, ...]:
    rows = db.execute(
        "SELECT territoire FROM utilisateur_territoires WHERE utilisateur_id = ? ORDER BY territoire",
        [user_id],
    ).fetchall()
    return tuple(row[0] for row in rows)


def _uais(db: Database, user_id: int) -> tuple[str, ...]:
    rows = db.execute(
        "SELECT uai FROM utilisateur_uai WHERE utilisateur_id = ? ORDER BY uai", [user_id]
    ).fetchall()
    return tuple(row[0] for row in rows)


def _account(db: Database, row: tuple[int, str, str, int, str, str]) -> Account:
    user_id, email, role, actif, password_hash, created_at = row
    uais = _uais(db, user_id) if role == "cfa" else ()
    territoires = _territories(db, user_id)
    return Account(user_id, email, role, bool(actif), territoires, password_hash, created_at, uais)


_ACCOUNT_COLUMNS = "id, email, role, actif, mot_de_passe, created_at"


def find_account(db: Database, email: str) -> Account | None:
    """The account of this address (case-insensitive), active or not."""
    row = db.execute(
        f"SELECT {_ACCOUNT_COLUMNS} FROM utilisateurs WHERE email = ? COLLATE NOCASE", [email.strip()]
    ).fetchone()
    return _account(db, row) if row else None


def list_accounts(db: Database) -> list[Account]:
    """Every account, by address."""
    rows = db.execute(f"SELECT {_ACCOUNT_COLUMNS} FROM utilisateurs ORDER BY email COLLATE NOCASE").fetchall()
    return [_account(db, row) for row in rows]


def count_accounts(db: Database) -> int:
    """Number of accounts (0 on a fresh installation: nobody can log in yet)."""
    return int(db.execute("SELECT count(*) FROM utilisateurs").fetchone()[0])


def create_account(
    db: Database,
    email: str,
    password_hash: str,
    role: str,
    territoires: Iterable[str],
    now: datetime,
    uais: Iterable[str] = (),
) -> int:
    """Insert an account, its territories (or a CFA's UAIs); AccountError when the address is taken."""
    stamp = timestamp(now)
    try:
        user_id = db.execute(
            "INSERT INTO utilisateurs (email, mot_de_passe, role, actif, created_at, updated_at) "
            "VALUES (?, ?, ?, 1, ?, ?) RETURNING id",
            [email, password_hash, role, stamp, stamp],
        ).fetchone()[0]
    except sqlite3.IntegrityError as exc:
        raise AccountError(f"un compte existe déjà pour {email}") from exc
    db.conn.executemany(
        "INSERT INTO utilisateur_territoires (utilisateur_id, territoire) VALUES (?, ?)",
        [(user_id, t) for t in sorted(set(territoires))],
    )
    db.conn.executemany(
        "INSERT INTO utilisateur_uai (utilisateur_id, uai) VALUES (?, ?)",
        [(user_id, uai) for uai in sorted(set(uais))],
    )
    return int(user_id)


def set_active(db: Database, user_id: int, actif: bool, now: datetime) -> None:
    """Reactivate or deactivate an account; deactivating ends its sessions."""
    db.execute(
        "UPDATE utilisateurs SET actif = ?, updated_at = ? WHERE id = ?",
        [int(actif), timestamp(now), user_id],
    )
    if not actif:
        db.execute("DELETE FROM sessions WHERE utilisateur_id = ?", [user_id])


def set_password(db: Database, user_id: int, password_hash: str, now: datetime) -> None:
    """Replace the password hash and end the account's sessions (a forgotten or stolen password)."""
    db.execute(
        "UPDATE utilisateurs SET mot_de_passe = ?, updated_at = ? WHERE id = ?",
        [password_hash, timestamp(now), user_id],
    )
    db.execute("DELETE FROM sessions WHERE utilisateur_id = ?", [user_id])


def update_hash(db: Database, user_id: int, password_hash: str) -> None:
    """Store a hash recomputed with the current argon2 parameters (at a successful login)."""
    db.execute("UPDATE utilisateurs SET mot_de_passe = ? WHERE id = ?", [password_hash, user_id])


@dataclass(frozen=True)
class Failures:
    """Failed logins in a row for one bucket (a typed address, or one known browser) and the last one's time."""

    echecs: int
    dernier_echec_at: datetime


def failures(db: Database, key: str) -> Failures | None:
    """The failed-login record of one bucket, if any."""
    row = db.execute("SELECT echecs, dernier_echec_at FROM connexion_echecs WHERE cle = ?", [key]).fetchone()
    return Failures(row[0], parse_timestamp(row[1])) if row else None


def count_attempt(db: Database, key: str, now: datetime, forget_before: datetime) -> int:
    """Count one more attempt as a failure (undone by `clear_failures` when the password was right); a run
    whose last failure is older than `forget_before` starts again at 1."""
    row = db.execute(
        "INSERT INTO connexion_echecs (cle, echecs, dernier_echec_at) VALUES (?, 1, ?) "
        "ON CONFLICT (cle) DO UPDATE SET echecs = CASE WHEN dernier_echec_at < ? THEN 1 ELSE echecs + 1 END, "
        "dernier_echec_at = excluded.dernier_echec_at RETURNING echecs",
        [key, timestamp(now), timestamp(forget_before)],
    ).fetchone()
    return int(row[0])


def clear_failures(db: Database, key: str) -> None:
    """Forget the failures of one bucket (successful login)."""
    db.execute("DELETE FROM connexion_echecs WHERE cle = ?", [key])


def clear_all_failures(db: Database, key: str) -> None:
    """Forget the failures of an address, from unknown and known browsers (`key`, and `key:…`)."""
    db.execute(
        "DELETE FROM connexion_echecs WHERE cle = ? OR (cle > ? AND cle < ?)", [key, key + ":", key + ";"]
    )


def delete_stale_failures(db: Database, before: datetime) -> int:
    """Forget the failure records whose last failure is older than `before`."""
    cursor = db.execute("DELETE FROM connexion_echecs WHERE dernier_echec_at < ?", [timestamp(before)])
    return int(cursor.rowcount)


@dataclass(frozen=True)
class SessionRow:
    """A server-side session and the active account it belongs to."""

    account: Account
    csrf_secret: str
    created_at: datetime
    last_seen: datetime


def create_session(db: Database, id_hash: str, user_id: int, csrf_secret: str, now: datetime) -> None:
    """Store a new session (only the digest of its id)."""
    stamp = timestamp(now)
    db.execute(
        "INSERT INTO sessions (id_hash, utilisateur_id, csrf_secret, created_at, last_seen) "
        "VALUES (?, ?, ?, ?, ?)",
        [id_hash, user_id, csrf_secret, stamp, stamp],
    )


def find_session(db: Database, id_hash: str) -> SessionRow | None:
    """The session with this id digest, when its account is still active."""
    row = db.execute(
        f"SELECT s.csrf_secret, s.created_at, s.last_seen, "
        f"{', '.join('u.' + c.strip() for c in _ACCOUNT_COLUMNS.split(','))} "
        "FROM sessions s JOIN utilisateurs u ON u.id = s.utilisateur_id WHERE s.id_hash = ? AND u.actif = 1",
        [id_hash],
    ).fetchone()
    if row is None:
        return None
    return SessionRow(_account(db, row[3:]), row[0], parse_timestamp(row[1]), parse_timestamp(row[2]))


def touch_session(db: Database, id_hash: str, now: datetime) -> None:
    """Record activity on a session (the idle timeout counts from here)."""
    db.execute("UPDATE sessions SET last_seen = ? WHERE id_hash = ?", [timestamp(now), id_hash])


def delete_session(db: Database, id_hash: str) -> bool:
    """End one session; False when it did not exist (any more)."""
    return int(db.execute("DELETE FROM sessions WHERE id_hash = ?", [id_hash]).rowcount) > 0


def delete_expired_sessions(db: Database, idle_before: datetime, created_before: datetime) -> int:
    """End every session idle since `idle_before` or opened before `created_before`."""
    cursor = db.execute(
        "DELETE FROM sessions WHERE last_seen < ? OR created_at < ?",
        [timestamp(idle_before), timestamp(created_before)],
    )
    return int(cursor.rowcount)


def coordinator_emails(db: Database, territoire: str) -> list[str]:
    """Addresses of the active coordinators of one territory (regional coordinators excluded)."""
    rows = db.execute(
        "SELECT u.email FROM utilisateurs u JOIN utilisateur_territoires t ON t.utilisateur_id = u.id "
        "WHERE t.territoire = ? AND u.actif = 1 AND u.role = 'coordinateur' ORDER BY u.email",
        [territoire],
    ).fetchall()
    return [row[0] for row in rows]
