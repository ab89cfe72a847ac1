"""Coordinators' accounts: argon2id passwords, the rules of a new account, the jobs the `users` commands run."""

from __future__ import annotations

import functools
import hashlib
import secrets
from collections.abc import Collection, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from email_validator import EmailNotValidError, validate_email
from sqlite_utils import Database

from forms_backend.db import accounts as accounts_db
from forms_backend.db import audit
from forms_backend.errors import AccountError
from forms_backend.vocabulary import AuditAction

ROLES = ("coordinateur", "regional", "cfa")
# The UAI's check letter: the 7 digits modulo 23, as a letter of this alphabet (no I, O, Q).
UAI_KEYS = "ABCDEFGHJKLMNPRSTUVWXYZ"
MIN_PASSWORD_LENGTH = 12
# Longer passwords are refused when set, and refused at login before any hash is computed (same answer as a
# wrong password): an anonymous client cannot make the server hash kilobytes.
MAX_PASSWORD_LENGTH = 256
CLI = "ligne de commande"

# Failed logins in a row of one bucket (a typed address from unknown browsers, or one known browser): the 5 first
# cost nothing, then each attempt waits 30 s, 1, 2, 4, 8 minutes, then 15 minutes at most. A run of failures is
# forgotten one hour after its last failure; no lock: nothing a stranger does outlives the back-off.
THROTTLE_AFTER = 5
THROTTLE_BASE = timedelta(seconds=30)
THROTTLE_MAX = timedelta(minutes=15)
FORGET_AFTER = timedelta(hours=1)

# argon2-cffi's defaults: argon2id, RFC 9106 "low memory" profile (3 passes, 64 MiB, 4 lanes).
_hasher = PasswordHasher()


def hash_password(password: str) -> str:
    """The argon2id hash stored for a password."""
    return _hasher.hash(password)


def verify_password(password_hash: str, password: str) -> bool:
    """True when the password matches the hash (constant work whatever the outcome)."""
    try:
        return _hasher.verify(password_hash, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def check_login_password(password_hash: str | None, password: str) -> bool:
    """Verify against the account's hash, or against a dummy one when there is no usable account: an unknown
    address costs the same argon2 work as a wrong password. Slow: run it in a worker thread."""
    return verify_password(password_hash or dummy_hash(), password) and password_hash is not None


def needs_rehash(password_hash: str) -> bool:
    """True when the hash was made with other parameters than today's."""
    return _hasher.check_needs_rehash(password_hash)


@functools.cache
def dummy_hash() -> str:
    """A hash no password matches, verified for unknown addresses so that they cost the same time."""
    return hash_password(secrets.token_urlsafe(32))


def normalise_email(email: str) -> str:
    """The address as stored; AccountError with the reason when it is not a valid address."""
    try:
        return validate_email(email.strip(), check_deliverability=False).normalized
    except EmailNotValidError as exc:
        raise AccountError(f"adresse électronique invalide : « {email} » ({exc})") from exc


def check_password(password: str) -> None:
    """AccountError when the password is too short or too long."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AccountError(
            f"mot de passe trop court : au moins {MIN_PASSWORD_LENGTH} caractères "
            "(une phrase de passe de plusieurs mots convient bien)"
        )
    if len(password) > MAX_PASSWORD_LENGTH:
        raise AccountError(f"mot de passe trop long : au plus {MAX_PASSWORD_LENGTH} caractères")


def normalise_uai(raw: str) -> str:
    """A CFA's UAI as stored (upper case); AccountError when it is not 7 digits and its check letter."""
    uai = raw.strip().upper()
    if len(uai) != 8 or not uai[:7].isdigit() or not uai[:7].isascii() or not uai[7].isalpha():
        raise AccountError(
            f"UAI invalide : « {raw} » ; attendu 7 chiffres suivis d'une lettre (ex. 0596789J)"
        )
    expected = UAI_KEYS[int(uai[:7]) % 23]
    if uai[7] != expected:
        raise AccountError(
            f"UAI invalide : « {raw} » ; la lettre de contrôle ne correspond pas aux chiffres "
            f"(attendu {uai[:7]}{expected}) : vérifiez le numéro"
        )
    return uai


def check_scope(
    role: str, territoires: Collection[str], known: Collection[str], uais: Collection[str] = ()
) -> None:
    """AccountError unless a coordinator has known territories, a regional coordinator none, and a CFA one or
    more UAIs and no territory."""
    if role not in ROLES:
        raise AccountError(f"rôle inconnu : « {role} » ; attendu coordinateur, regional ou cfa")
    if uais and role != "cfa":
        raise AccountError("--uai ne vaut que pour un compte de CFA (--role cfa)")
    if role == "cfa":
        if territoires:
            raise AccountError("un CFA ne suit pas de territoire : n'indiquez pas --territoire, mais --uai")
        if not uais:
            raise AccountError("un compte de CFA doit avoir au moins un UAI : --uai 0596789J")
    if role == "regional" and territoires:
        raise AccountError("un coordinateur régional voit tous les territoires : n'indiquez pas --territoire")
    if role == "coordinateur" and not territoires:
        raise AccountError("un coordinateur doit avoir au moins un territoire : --territoire ID")
    unknown = sorted(set(territoires) - set(known))
    if unknown:
        raise AccountError(
            f"territoire inconnu : {', '.join(unknown)} (territoires du catalogue : {', '.join(sorted(known))})"
        )


def throttle_delay(echecs: int) -> timedelta:
    """Wait imposed after the n-th failure in a row: none before 5, then 30 s doubling, 15 minutes at most."""
    if echecs < THROTTLE_AFTER:
        return timedelta(0)
    doubled: timedelta = THROTTLE_BASE * (2 ** min(echecs - THROTTLE_AFTER, 10))
    return min(doubled, THROTTLE_MAX)


def throttled_until(failures: accounts_db.Failures | None, now: datetime) -> datetime | None:
    """When the back-off of a bucket ends, or None when an attempt may be made now."""
    if failures is None or now - failures.dernier_echec_at >= FORGET_AFTER:
        return None
    until = failures.dernier_echec_at + throttle_delay(failures.echecs)
    return until if until > now else None


@dataclass(frozen=True)
class AccountState:
    """An account as `users list` shows it: slowed down until when, for browsers it has never logged in from."""

    account: accounts_db.Account
    ralenti_jusqu_a: datetime | None


def failure_key(email: str) -> str:
    """The digest under which the failed logins of a typed address from unknown browsers are counted (no
    address stored)."""
    return hashlib.sha256(email.strip().casefold().encode()).hexdigest()


def device_key(email: str, nonce: str) -> str:
    """The key of one known browser's failures for one address: the address's key, `:`, a digest of the
    browser's nonce (so that every bucket of an address is found by its prefix)."""
    return f"{failure_key(email)}:{hashlib.sha256(nonce.encode()).hexdigest()[:32]}"


def add_account(
    db: Database,
    email: str,
    password_hash: str,
    role: str,
    territoires: Iterable[str],
    now: datetime,
    uais: Iterable[str] = (),
) -> int:
    """Writer job: create the account and audit it."""
    uais = sorted(set(uais))
    user_id = accounts_db.create_account(db, email, password_hash, role, territoires, now, uais)
    details: dict[str, object] = {"role": role, "territoires": sorted(set(territoires)), "par": CLI}
    if uais:
        details["uai"] = uais
    audit.record_command(db, AuditAction.COMPTE_CREE, now, target=email, details=details)
    return user_id


def _existing(db: Database, email: str) -> accounts_db.Account:
    account = accounts_db.find_account(db, email)
    if account is None:
        raise AccountError(f"aucun compte pour {email}")
    return account


def set_active(db: Database, email: str, actif: bool, now: datetime) -> accounts_db.Account:
    """Writer job: reactivate, or deactivate (ending its sessions), an account; audited. Reactivating forgets
    the failures made while it was deactivated: they slow nothing down afterwards."""
    account = _existing(db, email)
    accounts_db.set_active(db, account.id, actif, now)
    if actif:
        accounts_db.clear_all_failures(db, failure_key(account.email))
    audit.record_command(
        db,
        AuditAction.COMPTE_REACTIVE if actif else AuditAction.COMPTE_DESACTIVE,
        now,
        target=account.email,
        details={"par": CLI},
    )
    return account


def change_password(db: Database, email: str, password_hash: str, now: datetime) -> accounts_db.Account:
    """Writer job: new password, failed logins forgotten, the account's sessions ended; audited."""
    account = _existing(db, email)
    accounts_db.set_password(db, account.id, password_hash, now)
    accounts_db.clear_all_failures(db, failure_key(account.email))
    audit.record_command(db, AuditAction.MOT_DE_PASSE_CHANGE, now, target=account.email, details={"par": CLI})
    return account


def states(db: Database, now: datetime) -> list[AccountState]:
    """Every account, and until when its logins from unknown browsers are slowed down."""
    return [
        AccountState(a, throttled_until(accounts_db.failures(db, failure_key(a.email)), now))
        for a in accounts_db.list_accounts(db)
    ]
