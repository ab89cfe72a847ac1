"""Command line, a thin layer over the libraries: `serve`, and the commands of `admin` (users, purge, backup)
and `export`. Each parses its arguments, calls one function, prints; typed errors become French messages here.

Every command runs with umask 077: the database, its `-wal` and `-shm`, backups and exports hold personal data
and are created readable by their owner only."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

import uvicorn

from forms_backend.app import create_app, settle_memory
from forms_backend.cli import admin as cli_admin
from forms_backend.cli import agregats, export, rappels
from forms_backend.cli import cfa as cli_cfa
from forms_backend.db import accounts as accounts_db
from forms_backend.errors import BackendError, SettingsError
from forms_backend.settings import Settings


def parser() -> argparse.ArgumentParser:
    """The command-line parser (French help)."""
    main = argparse.ArgumentParser(
        prog="python -m forms_backend", description="Serveur PARTAJ : guide et formulaires."
    )
    commands = main.add_subparsers(dest="command", required=True, metavar="COMMANDE")
    serve = commands.add_parser("serve", help="sert le guide construit, les formulaires et /sante")
    serve.add_argument("--host", default="127.0.0.1", help="adresse d'écoute (défaut : 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port d'écoute (défaut : 8000)")
    serve.add_argument("--db", type=Path, help="fichier SQLite (défaut : PARTAJ_DB ou var/partaj.db)")
    cli_admin.register(commands)
    cli_cfa.register(commands)
    export.register(commands)
    rappels.register(commands)
    agregats.register(commands)
    return main


def serve(args: argparse.Namespace) -> None:
    """Build the app (refusing unsafe settings or a damaged database), run uvicorn without a Server header."""
    settings = Settings.from_env()
    if args.db is not None:
        settings = settings.but(db_path=args.db)
    app = create_app(settings)
    settle_memory()
    if app.state.services.store.read_sync(accounts_db.count_accounts) == 0:
        print(cli_admin.first_account_hint(settings.db_path), file=sys.stderr, flush=True)
    log = logging.getLogger("partaj")
    for warning in settings.startup_warnings():
        log.warning("%s", warning)
    log.info(
        "PARTAJ sur http://%s:%s (base %s, mode %s)", args.host, args.port, settings.db_path, settings.env
    )
    config = uvicorn.Config(
        app,
        host=args.host,
        port=args.port,
        server_header=False,
        access_log=False,
        proxy_headers=True,
        forwarded_allow_ips=settings.trusted_proxies,
        log_level="info",
    )
    uvicorn.Server(config).run()


def main(argv: list[str] | None = None) -> int:
    """Entry point; returns the exit code."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s : %(message)s")
    args = parser().parse_args(argv)
    previous = os.umask(0o077)
    try:
        if args.command == "serve":
            serve(args)
        else:
            return int(args.run(args))
    except SettingsError as exc:
        print("erreur : réglages refusés :", file=sys.stderr)
        for problem in exc.problems:
            print(f"  - {problem}", file=sys.stderr)
        return 1
    except BackendError as exc:
        print(f"erreur : {exc}", file=sys.stderr)
        return 1
    finally:
        os.umask(previous)
    return 0
