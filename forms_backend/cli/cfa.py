"""`python -m forms_backend cfa token add --uai UAI | list | revoke TOKEN_OR_ID` (the API tokens of a CFA) and
`cfa resumes [--dry-run]` (the weekly digest of status changes, e-mailed to the CFA accounts that asked for it)."""

from __future__ import annotations

import argparse
import secrets
import sys
from datetime import timedelta
from functools import partial
from pathlib import Path
from typing import Any

from forms_backend import clock, mail
from forms_backend.accounts.rules import normalise_uai
from forms_backend.cfa.api import digest
from forms_backend.cfa.digest import digest_message
from forms_backend.cli.admin import opened, settings_of
from forms_backend.db import audit
from forms_backend.db import cfa as cfa_db
from forms_backend.errors import AccountError
from forms_backend.vocabulary import AuditAction

TOKEN_PREFIX = "partaj_"
WEEK = timedelta(days=7)


def token_add(args: argparse.Namespace) -> int:
    """Create a token for one UAI; print it once, alone on the last line."""
    settings = settings_of(args)
    uai = normalise_uai(args.uai)
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with opened(settings) as store:
        token_id = store.submit(
            partial(cfa_db.add_token, uai=uai, digest=digest(token), debut=token[:12], now=clock.now())
        ).result()
    print(
        f"Jeton n° {token_id} créé pour l'UAI {uai}. Il n'est montré qu'une fois : transmettez-le au CFA par un"
    )
    print(
        "canal sûr ; il s'envoie dans l'en-tête « Authorization: Bearer … ». Révocation : cfa token revoke ID."
    )
    print(token)
    return 0


def token_list(args: argparse.Namespace) -> int:
    """Every token: id, UAI, first characters, created, last used, revoked."""
    settings = settings_of(args)
    with opened(settings) as store:
        tokens = store.read_sync(cfa_db.list_tokens)
    if not tokens:
        print("Aucun jeton d'API. Créez-en un : python -m forms_backend cfa token add --uai UAI")
        return 0
    for token in tokens:
        used = (
            token.dernier_usage_at.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
            if token.dernier_usage_at
            else "jamais"
        )
        state = "actif"
        if token.revoque_at:
            state = "révoqué le " + token.revoque_at.astimezone(settings.tz).strftime("%d/%m/%Y %H:%M")
        created = token.created_at.astimezone(settings.tz).strftime("%d/%m/%Y")
        print(f"{token.id}\t{token.uai}\t{token.debut}…\tcréé le {created}\tdernier usage : {used}\t{state}")
    return 0


def token_revoke(args: argparse.Namespace) -> int:
    """Revoke a token given by its id (from `list`) or by the token itself."""
    settings = settings_of(args)
    given = args.jeton.strip()
    token_id = int(given) if given.isdigit() else None
    with opened(settings) as store:
        token = store.submit(
            partial(
                cfa_db.revoke_token,
                token_id=token_id,
                digest=None if token_id else digest(given),
                now=clock.now(),
            )
        ).result()
    if token is None:
        raise AccountError(
            "aucun jeton ne correspond : donnez son numéro (cfa token list) ou le jeton lui-même"
        )
    print(f"Jeton n° {token.id} (UAI {token.uai}) révoqué : il ne donne plus accès à l'API.")
    return 0


def digests(args: argparse.Namespace) -> int:
    """E-mail each CFA account that asked for it the status changes of its reports since its last digest."""
    settings = settings_of(args)
    now = clock.now()
    with opened(settings) as store:
        planned = []
        for recipient in store.read_sync(cfa_db.digest_recipients):
            since = recipient.since or now - WEEK
            changes = store.read_sync(partial(cfa_db.status_changes, uais=recipient.uais, since=since))
            if changes:
                planned.append((recipient, changes))
                print(
                    f"{'à envoyer' if args.dry_run else 'envoyé'} : {recipient.email} ({len(changes)} changement(s))"
                )
        if args.dry_run:
            print(f"{len(planned)} résumé(s) à envoyer.")
            return 0
        if planned and not settings.smtp_host:
            print("erreur : PARTAJ_SMTP_HOST n'est pas réglé : aucun résumé ne peut partir.", file=sys.stderr)
            return 1
        if planned:
            mail.send(settings, [digest_message(settings, r.email, c, settings.tz) for r, c in planned])

        def record(db: Any) -> None:
            for recipient, _ in planned:
                cfa_db.digest_sent(db, recipient.user_id, now)
            audit.record_command(db, AuditAction.CFA_RESUMES, now, details={"resumes": len(planned)})

        store.submit(record).result()
    print(f"{len(planned)} résumé(s) envoyé(s).")
    return 0


def register(commands: Any) -> None:
    """Add `cfa token add|list|revoke` and `cfa resumes` to the main parser's sub-commands."""
    cfa = commands.add_parser("cfa", help="jetons d'API des CFA, résumés hebdomadaires")
    groups = cfa.add_subparsers(dest="groupe", required=True, metavar="GROUPE")
    token = groups.add_parser("token", help="jetons d'API d'un CFA")
    actions = token.add_subparsers(dest="action", required=True, metavar="ACTION")
    add = actions.add_parser("add", help="crée un jeton (montré une seule fois, sur la dernière ligne)")
    add.add_argument("--uai", required=True, metavar="UAI", help="UAI du CFA")
    add.set_defaults(run=token_add)
    listing = actions.add_parser("list", help="liste les jetons (jamais le jeton lui-même)")
    listing.set_defaults(run=token_list)
    revoke = actions.add_parser("revoke", help="révoque un jeton")
    revoke.add_argument("jeton", metavar="JETON_OU_ID", help="le jeton, ou son numéro donné par list")
    revoke.set_defaults(run=token_revoke)
    summaries = groups.add_parser("resumes", help="envoie le résumé hebdomadaire aux CFA qui l'ont demandé")
    summaries.add_argument("--dry-run", action="store_true", help="liste les résumés sans rien envoyer")
    summaries.set_defaults(run=digests)
    for sub in (add, listing, revoke, summaries):
        sub.add_argument("--db", type=Path, help="fichier SQLite (défaut : PARTAJ_DB ou var/partaj.db)")
