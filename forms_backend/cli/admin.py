"""Administration commands: `users add|list|disable|enable|passwd`, `purge [--dry-run]`, `backup DEST`.

They open the database like the server does (check, migrations) and write through one `Store` writer. The
server may be running: their connection leaves the WAL's automatic checkpoints to the server's writer, which keeps
SQLite 3.40's WAL-reset race out of reach; the one exception is the purge's final truncating checkpoint, which
takes the writer lock first (`db.purge`). Errors are typed exceptions; `cli.main` prints them.
"""

from __future__ import annotations

import argparse
import getpass
import logging
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from functools import partial
from pathlib import Path
from typing import Any, TextIO

from sqlite_utils import Database

from forms_backend import clock
from forms_backend.accounts import rules as accounts
from forms_backend.app import load_forms_catalogue
from forms_backend.db import accounts as accounts_db
from forms_backend.db import audit, situations
from forms_backend.db.backup import backup
from forms_backend.db.connection import leave_checkpoints_to_the_server
from forms_backend.db.migrations import BACKFILL_COMMUNES
from forms_backend.db.purge import purge
from forms_backend.db.store import Store
from forms_backend.errors import AccountError, CatalogueError
from forms_backend.settings import Settings
from forms_backend.vocabulary import AuditAction
from forms_backend.web import communes

log = logging.getLogger("partaj")


def first_account_hint(db_path: Path) -> str:
    """What to type to create the first account (printed by `serve` and `users list` on an empty base)."""
    command = f".venv/bin/python -m forms_backend users add ADRESSE@EXEMPLE.FR --db {db_path}"
    return (
        "Aucun compte de coordination n'existe encore. Créez le premier (le mot de passe est demandé) :\n"
        f"  {command} --role regional\n"
        "ou, pour un coordinateur de territoire :\n"
        f"  {command} --role coordinateur --territoire ID"
    )


ROLE_LABELS = {"coordinateur": "coordinateur", "regional": "régional", "cfa": "CFA"}


def settings_of(args: argparse.Namespace) -> Settings:
    settings = Settings.from_env()
    return settings.but(db_path=args.db) if args.db is not None else settings


def _fill_communes(settings: Settings, db: Database) -> None:
    """Migration 7's data step for a command run first after an upgrade: the catalogue (and its communes
    referential) is read only then, and only when some situation predates it."""
    if not situations.has_unlocated(db):
        return
    try:
        catalogue = load_forms_catalogue(settings)
    except CatalogueError as exc:
        log.warning("codes INSEE des situations existantes non remplis : %s", exc)
        return
    step = communes.backfills(catalogue).get(BACKFILL_COMMUNES)
    if step is not None:
        step(db)


@contextmanager
def opened(settings: Settings) -> Iterator[Store]:
    """The database, checked and migrated, for one command."""
    store = Store(
        settings.db_path, readers=1, backfills={BACKFILL_COMMUNES: partial(_fill_communes, settings)}
    )
    store.open()
    try:
        store.submit(leave_checkpoints_to_the_server).result()
        yield store
    finally:
        store.close()


def read_password(
    from_stdin: bool, stdin: TextIO | None = None, prompt: Callable[[str], str] | None = None
) -> str:
    """The new password: one line of standard input, or typed twice at a hidden prompt."""
    if from_stdin:
        line = (stdin or sys.stdin).readline()
        return line.removesuffix("\n").removesuffix("\r")
    ask = prompt or getpass.getpass
    try:
        first = ask("Mot de passe : ")
        accounts.check_password(first)
        again = ask("Confirmez le mot de passe : ")
    except (EOFError, KeyboardInterrupt) as exc:
        raise AccountError("saisie interrompue ; rien n'a été changé") from exc
    if again != first:
        raise AccountError("les deux saisies du mot de passe diffèrent ; rien n'a été changé")
    return first


def users_add(args: argparse.Namespace) -> int:
    """Create an account after checking its address, role, territories and password."""
    settings = settings_of(args)
    email = accounts.normalise_email(args.email)
    territoires = sorted(set(args.territoire or []))
    uais = sorted({accounts.normalise_uai(uai) for uai in args.uai or []})
    accounts.check_scope(args.role, territoires, load_forms_catalogue(settings).territoires.keys(), uais)
    with opened(settings) as store:
        if store.read_sync(partial(accounts_db.find_account, email=email)) is not None:
            raise AccountError(f"un compte existe déjà pour {email}")
        password = read_password(args.password_stdin)
        accounts.check_password(password)
        password_hash = accounts.hash_password(password)
        store.submit(
            partial(
                accounts.add_account,
                email=email,
                password_hash=password_hash,
                role=args.role,
                territoires=territoires,
                now=clock.now(),
                uais=uais,
            )
        ).result()
    scope = f"territoires : {', '.join(territoires)}" if territoires else "tous les territoires"
    if uais:
        scope = f"UAI : {', '.join(uais)}"
    print(f"Compte créé : {email} ({ROLE_LABELS[args.role]} ; {scope})")
    return 0


def _hour(at: datetime, settings: Settings) -> str:
    """`09:05`, local time, rounded up to the minute (the wait is over by then)."""
    local = at.astimezone(settings.tz)
    if local.second or local.microsecond:
        local = local.replace(second=0, microsecond=0) + timedelta(minutes=1)
    return local.strftime("%H:%M")


def users_list(args: argparse.Namespace) -> int:
    """Print every account: address, role, territories, state (active, slowed down until when, deactivated)."""
    settings = settings_of(args)
    with opened(settings) as store:
        states = store.read_sync(partial(accounts.states, now=clock.now()))
    if not states:
        print(first_account_hint(settings.db_path))
        return 0
    for state in states:
        account = state.account
        etat = "actif" if account.actif else "désactivé"
        if account.actif and state.ralenti_jusqu_a is not None:
            etat = f"ralenti jusqu'à {_hour(state.ralenti_jusqu_a, settings)} (navigateurs inconnus)"
        scope = ", ".join(account.territoires) if account.territoires else "tous les territoires"
        if account.role == "cfa":
            scope = "UAI " + ", ".join(account.uais)
        print(f"{account.email}\t{ROLE_LABELS.get(account.role, account.role)}\t{scope}\t{etat}")
    return 0


def users_set_active(actif: bool, args: argparse.Namespace) -> int:
    """Deactivate (ending the account's sessions) or reactivate an account."""
    with opened(settings_of(args)) as store:
        account = store.submit(
            partial(accounts.set_active, email=args.email, actif=actif, now=clock.now())
        ).result()
    if actif:
        print(f"Compte réactivé : {account.email}")
    else:
        print(f"Compte désactivé : {account.email} (ses sessions sont fermées)")
    return 0


def users_passwd(args: argparse.Namespace) -> int:
    """Set a new password: forgets the failed logins and ends the account's sessions."""
    with opened(settings_of(args)) as store:
        account = store.read_sync(partial(accounts_db.find_account, email=args.email))
        if account is None:
            raise AccountError(f"aucun compte pour {args.email}")
        password = read_password(args.password_stdin)
        accounts.check_password(password)
        password_hash = accounts.hash_password(password)
        store.submit(
            partial(
                accounts.change_password, email=account.email, password_hash=password_hash, now=clock.now()
            )
        ).result()
    print(f"Mot de passe changé pour {account.email} : échecs de connexion oubliés, sessions fermées.")
    return 0


def run_purge(args: argparse.Namespace) -> int:
    """Apply the retention policy (or, with --dry-run, count what it would change)."""
    settings = settings_of(args)
    with opened(settings) as store:
        report = store.submit(
            partial(purge, now=clock.now(), retention_months=settings.retention_months, dry_run=args.dry_run)
        ).result()
    limit = report.cutoff.astimezone(settings.tz).strftime("%d/%m/%Y")
    months = settings.retention_months
    if report.dry_run:
        print("Simulation (--dry-run) : rien n'a été modifié.")
        print(
            f"Situations sans activité depuis {months} mois (avant le {limit}) à anonymiser : {report.situations}"
        )
        print(f"Entrées du journal d'audit de plus de 12 mois à supprimer : {report.audit_entries}")
    else:
        print(
            f"Situations sans activité depuis {months} mois (avant le {limit}) anonymisées : {report.situations}"
        )
        print(f"Entrées du journal d'audit de plus de 12 mois supprimées : {report.audit_entries}")
        print(f"Sessions expirées supprimées : {report.sessions}")
        print(f"Journal WAL vidé : {'oui' if report.wal.emptied else 'non'}")
    for column in report.unclassified:
        print(
            f"attention : colonne {column} non classée par la purge (à déclarer dans forms_backend/db/purge.py) : "
            "elle n'est pas anonymisée",
            file=sys.stderr,
        )
    return 0


def run_backup(args: argparse.Namespace) -> int:
    """Copy the live database to DEST and check the copy."""
    settings = settings_of(args)
    report = backup(settings.db_path, args.dest)
    with opened(settings) as store:
        details: dict[str, Any] = {"destination": str(args.dest), "par": accounts.CLI}
        store.submit(
            partial(audit.record_command, action=AuditAction.SAUVEGARDE, at=clock.now(), details=details)
        ).result()
    print(
        f"Sauvegarde vérifiée (integrity_check : ok) : {report.path} — {report.size} octets, schéma "
        f"{report.schema}, {report.situations} situation(s), {report.accounts} compte(s)."
    )
    print("Restauration : arrêtez le serveur, copiez ce fichier à la place de la base, relancez le serveur.")
    return 0


def _db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", type=Path, help="fichier SQLite (défaut : PARTAJ_DB ou var/partaj.db)")


def register(commands: Any) -> None:
    """Add the administration commands to the main parser's sub-commands."""
    users = commands.add_parser("users", help="comptes des coordinateurs")
    actions = users.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="crée un compte (mot de passe demandé deux fois)")
    add.add_argument("email", metavar="ADRESSE")
    add.add_argument(
        "--role", required=True, choices=accounts.ROLES, help="coordinateur, regional ou cfa (un CFA : --uai)"
    )
    add.add_argument("--uai", action="append", metavar="UAI", help="UAI du CFA (répétable ; rôle cfa)")
    add.add_argument(
        "--territoire", action="append", metavar="ID", help="territoire du coordinateur (répétable)"
    )
    add.add_argument(
        "--password-stdin", action="store_true", help="lit le mot de passe sur l'entrée standard"
    )
    add.set_defaults(run=users_add)
    listing = actions.add_parser("list", help="liste les comptes")
    listing.set_defaults(run=users_list)
    disable = actions.add_parser("disable", help="désactive un compte et ferme ses sessions")
    disable.add_argument("email", metavar="ADRESSE")
    disable.set_defaults(run=partial(users_set_active, False))
    enable = actions.add_parser(
        "enable", help="réactive un compte désactivé (oublie les échecs de connexion faits entre-temps)"
    )
    enable.add_argument("email", metavar="ADRESSE")
    enable.set_defaults(run=partial(users_set_active, True))
    passwd = actions.add_parser(
        "passwd", help="nouveau mot de passe (oublie les échecs de connexion, ferme les sessions)"
    )
    passwd.add_argument("email", metavar="ADRESSE")
    passwd.add_argument(
        "--password-stdin", action="store_true", help="lit le mot de passe sur l'entrée standard"
    )
    passwd.set_defaults(run=users_passwd)
    for sub in (add, listing, disable, enable, passwd):
        _db_option(sub)
    purging = commands.add_parser("purge", help="applique la durée de conservation (PARTAJ_RETENTION_MONTHS)")
    purging.add_argument("--dry-run", action="store_true", help="compte sans rien modifier")
    _db_option(purging)
    purging.set_defaults(run=run_purge)
    saving = commands.add_parser("backup", help="copie cohérente de la base, vérifiée (integrity_check)")
    saving.add_argument("dest", type=Path, metavar="DESTINATION", help="fichier à créer (jamais écrasé)")
    _db_option(saving)
    saving.set_defaults(run=run_backup)
