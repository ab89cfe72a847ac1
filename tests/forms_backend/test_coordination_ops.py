"""Operations: retention purge, online backup and restore, e-mail to the coordinators."""

from __future__ import annotations

import logging
import os
import re
import shutil
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
from starlette.testclient import TestClient

from forms_backend.app import create_app
from forms_backend.cli import main
from forms_backend.coordination import exports
from forms_backend.db.connection import connect, migrate
from forms_backend.db.migrations import LATEST_VERSION
from forms_backend.db.purge import ANONYMISED, months_before, situation_tables, unclassified_columns
from forms_backend.db.table import EXPORT_COLUMNS
from forms_backend.errors import SettingsError
from forms_backend.public.layouts import build_forms
from forms_backend.settings import Settings
from generator.catalogue import Catalogue
from tests.conftest import ROOT
from tests.forms_backend.conftest import (
    Inbox,
    post_form,
    receipt_reference,
    start_server,
    stop_server,
    valid_orientation,
    valid_rupture,
)
from tests.forms_backend.coordination import PASSWORD, create_account, login, rows
from tests.loopback import free_port

LENS = "lens-lievin-henin-carvin"
OLD = "2020-01-15T10:00:00.000000Z"


# --- purge ---------------------------------------------------------------------------------------------------


@pytest.fixture
def three_situations(client: TestClient, settings: Settings) -> dict[str, str]:
    """62 situations without activity since 2020 (a rupture, a referral, 60 entered by hand) and a recent one;
    three audit entries from 2021 and a recent one."""
    old_rupture = {**valid_rupture(), "nom": "Ancienne", "prenom": "Zoé", "telephone": "06 98 76 54 32"}
    references = {
        "ancienne-rupture": receipt_reference(post_form(client, "rupture", old_rupture)),
        "ancienne-orientation": receipt_reference(post_form(client, "orientation", valid_orientation())),
        "recente": receipt_reference(post_form(client, "rupture", valid_rupture())),
    }
    with sqlite3.connect(settings.db_path) as conn:
        conn.execute(
            "UPDATE situations SET updated_at = ? WHERE reference IN (?, ?)",
            [OLD, references["ancienne-rupture"], references["ancienne-orientation"]],
        )
        # Enough rows to fill pages: freed bytes of anonymised rows would otherwise linger in the file.
        conn.executemany(
            "INSERT INTO situations (reference, source, territoire, nom, prenom, date_naissance, code_postal, "
            "commune, suivi_structure, created_at, updated_at) "
            "VALUES (?, 'saisie', 'arras', ?, 'Prénom', '2001-02-03', '62000', 'Arras', 'aucune', ?, ?)",
            [(f"SAI-2020-{n:06d}", f"Oubliable{n:03d}", OLD, OLD) for n in range(60)],
        )
        for n in range(3):
            conn.execute(
                "INSERT INTO audit (at, action, resultat) VALUES (?, 'ancien', 'succes')",
                [f"2021-0{n + 1}-01T00:00:00.000000Z"],
            )
        conn.execute(
            "INSERT INTO audit (at, action, resultat) VALUES (strftime('%Y-%m-%dT%H:%M:%fZ', 'now'), 'recent', 'succes')"
        )
    return references


def dump(db_path: Path) -> list[str]:
    with sqlite3.connect(db_path) as conn:
        return list(conn.iterdump())


def test_purge_dry_run_counts_and_changes_nothing(
    three_situations: dict[str, str], settings: Settings, capsys: pytest.CaptureFixture[str]
) -> None:
    before = dump(settings.db_path)

    assert main(["purge", "--dry-run", "--db", str(settings.db_path)]) == 0

    out = capsys.readouterr().out
    assert re.fullmatch(
        "Simulation \\(--dry-run\\) : rien n'a été modifié.\n"
        "Situations sans activité depuis 24 mois \\(avant le \\d\\d/\\d\\d/\\d{4}\\) à anonymiser : 62\n"
        "Entrées du journal d'audit de plus de 12 mois à supprimer : 3\n",
        out,
    ), out
    assert dump(settings.db_path) == before


def test_purge_anonymises_inactive_situations_keeps_categories_and_deletes_old_audit(
    three_situations: dict[str, str],
    settings: Settings,
    capsys: pytest.CaptureFixture[str],
    client: TestClient,
) -> None:
    db = settings.db_path

    assert main(["purge", "--db", str(db)]) == 0

    out = capsys.readouterr().out
    assert re.fullmatch(
        "Situations sans activité depuis 24 mois \\(avant le \\d\\d/\\d\\d/\\d{4}\\) anonymisées : 62\n"
        "Entrées du journal d'audit de plus de 12 mois supprimées : 3\n"
        "Sessions expirées supprimées : 0\n"
        "Journal WAL vidé : oui\n",
        out,
    ), out
    year = str(datetime.now(UTC).year - 19)
    columns = "nom, prenom, date_naissance, sexe, code_postal, commune, telephone, courriel, cle_envoi, "
    columns += "source, territoire, statut, suivi_structure, anonymise_at IS NOT NULL"
    query = f"SELECT {columns} FROM situations WHERE reference = ?"
    assert rows(db, query, [three_situations["ancienne-rupture"]]) == [
        ("Anonymisé", "", year, "f", "62", "", None, None, None, "rupture", LENS, "nouveau", "aucune", 1)
    ]
    assert rows(db, query, [three_situations["ancienne-orientation"]]) == [
        (
            "Anonymisé",
            "",
            year,
            "m",
            "59",
            "",
            None,
            None,
            None,
            "orientation",
            "roubaix-tourcoing",
            "nouveau",
            "inconnu",
            1,
        )
    ]
    assert rows(db, query, [three_situations["recente"]])[0][:3] == ("Martin", "Léa", f"{year}-05-05")
    rupture = rows(
        db,
        "SELECT entreprise_nom, entreprise_siret, motif_precision, declarant_nom, declarant_fonction, "
        "declarant_courriel, declarant_telephone, date_rupture, cfa_nom, diplome_prepare, niveau, secteur, "
        "cadre_rupture, situation_actuelle FROM rapports_rupture r JOIN situations s ON s.id = r.situation_id "
        "WHERE s.reference = ?",
        [three_situations["ancienne-rupture"]],
    )
    assert rupture == [
        (
            "",
            None,
            None,
            "",
            None,
            "",
            None,
            f"{datetime.now(UTC).year - 1}-03",
            "",
            "",
            "3",
            "hotellerie-restauration",
            "commun-accord",
            "sans-solution",
        )
    ]
    orientation = rows(
        db,
        "SELECT dernier_etablissement, description, orienteur_nom, orienteur_courriel, orienteur_telephone, "
        "statut_jeune, niveau, orienteur_structure, orienteur_type FROM orientations",
    )
    assert orientation == [
        (
            None,
            "",
            "",
            "",
            None,
            "sans-activite",
            "infra-3",
            "",
            "centre-social",
        )
    ]
    assert rows(db, "SELECT count(*) FROM rupture_motifs") == [(4,)]
    assert rows(db, "SELECT count(*) FROM orientation_besoins") == [(2,)]
    assert [r[0] for r in rows(db, "SELECT action FROM audit ORDER BY id")][-2:] == ["recent", "purge"]
    assert rows(db, "SELECT count(*) FROM audit WHERE action = 'ancien'") == [(0,)]
    client.close()  # the last connection checkpoints the WAL into the file
    raw = db.read_bytes()
    for personal in (
        "Oubliable",
        "Zoé",
        "Ancienne",
        "06 98 76 54 32",
        "Yanis",
        "Awa Diallo",
        "A quitté le lycée",
        "Centre social de démonstration",
    ):
        assert personal.encode() not in raw, personal

    assert main(["purge", "--db", str(db)]) == 0
    assert "anonymisées : 0\n" in capsys.readouterr().out


# A field typed as text whose value is a checked code, not a free text (7 digits and a letter).
CODES = {"cfa_uai"}
# What the coordinators type freely on a situation's page: the tutor's name and structure, the notes.
TYPED_BY_COORDINATORS = {"referent_nom", "referent_structure", "texte"}
# Shown in the pseudonymised export reduced as the purge reduces them (year of birth, département).
REDUCED = {"annee": "situations.date_naissance", "departement": "situations.code_postal"}


def export_sources() -> dict[str, set[str]]:
    """Each column of the exports' SELECT → the `table.colonne` it reads."""
    tables = {
        "s": "situations",
        "r": "rapports_rupture",
        "o": "orientations",
        "m": "rupture_motifs",
        "b": "orientation_besoins",
        "x": "situation_solutions",
    }
    return {
        name: {f"{tables[alias]}.{column}" for alias, column in re.findall(r"\b([srombx])\.(\w+)", sql)}
        for sql, name in zip(EXPORT_COLUMNS, exports.NAMES, strict=True)
    }


def test_purge_classifies_every_column_and_agrees_with_the_pseudonymised_export(
    tmp_path: Path, catalogue: Catalogue
) -> None:
    db = connect(tmp_path / "schema.db")
    migrate(db, tmp_path / "schema.db")
    anonymised = {f"{table}.{column}" for table, columns in ANONYMISED.items() for column in columns}
    tables = situation_tables(db)

    assert unclassified_columns(db) == []
    sources = export_sources()
    for header, source, kind, personal in exports.COLUMNS:
        if personal:
            kept = sources[source] - anonymised
            assert not kept, f"« {header} » est personnelle dans l'export, mais la purge garde {kept}"
        elif kind in REDUCED:
            assert sources[source] == {REDUCED[kind]}, header
            table, column = REDUCED[kind].split(".")
            assert ANONYMISED[table][column].startswith(f"substr({column}, 1, "), header
        else:
            shown = sources[source] & anonymised
            assert not shown, f"« {header} » : l'export pseudonymisé montre {shown}, que la purge efface"
    free_text = {
        "description" if champ.name == "situation" else champ.name
        for form in build_forms(catalogue).values()
        for section in form.sections
        for champ in section.champs
        if champ.kind in ("text", "textarea") and champ.name not in CODES
    }
    free_text |= TYPED_BY_COORDINATORS
    columns = {
        f"{t}.{c}" for t in tables for (c,) in db.execute(f"SELECT name FROM pragma_table_info('{t}')")
    }
    typed = {column for column in columns if column.split(".")[1] in free_text}
    assert {column.split(".")[1] for column in typed} == free_text  # each free text has its column
    assert typed - anonymised == set(), "texte libre gardé par la purge"


@pytest.mark.parametrize(
    ("now", "months", "expected"),
    [
        (datetime(2026, 3, 31, 12, tzinfo=UTC), 1, datetime(2026, 2, 28, 12, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 24, datetime(2024, 1, 15, tzinfo=UTC)),
        (datetime(2026, 1, 15, tzinfo=UTC), 13, datetime(2024, 12, 15, tzinfo=UTC)),
        (datetime(2028, 2, 29, tzinfo=UTC), 12, datetime(2027, 2, 28, tzinfo=UTC)),
    ],
)
def test_retention_cutoff_counts_calendar_months(now: datetime, months: int, expected: datetime) -> None:
    assert months_before(now, months) == expected


# --- backup and restore --------------------------------------------------------------------------------------


def cli(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    """`python -m forms_backend …` as an administrator types it, in its own process."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PARTAJ_")}
    return subprocess.run(
        [sys.executable, "-m", "forms_backend", *args],
        cwd=ROOT,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_backup_of_a_running_server_is_checked_never_overwritten_and_restores(tmp_path: Path) -> None:
    (tmp_path / "live").mkdir()
    (tmp_path / "restaure").mkdir()
    server = start_server(tmp_path / "live")
    copy = tmp_path / "sauvegarde.db"
    try:
        assert "Aucun compte de coordination n'existe encore." in server.log()
        add = cli(
            "users",
            "add",
            "reg@example.fr",
            "--role",
            "regional",
            "--password-stdin",
            "--db",
            str(server.db_path),
            stdin=PASSWORD,
        )
        assert add.returncode == 0, add.stderr
        with httpx.Client(base_url=server.url) as client:
            reference = receipt_reference(post_form(client, "rupture", valid_rupture()))

            saved = cli("backup", str(copy), "--db", str(server.db_path))

            assert saved.returncode == 0, saved.stderr
            assert saved.stdout.startswith(f"Sauvegarde vérifiée (integrity_check : ok) : {copy} — ")
            assert f"schéma {LATEST_VERSION}, 1 situation(s), 1 compte(s).\n" in saved.stdout
            assert saved.stdout.endswith(
                "Restauration : arrêtez le serveur, copiez ce fichier à la place de la base, relancez le serveur.\n"
            )
            post_form(client, "orientation", valid_orientation())  # after the copy: not in it
        again = cli("backup", str(copy), "--db", str(server.db_path))
        assert again.returncode == 1
        assert again.stderr == (
            f"erreur : {copy} existe déjà : une sauvegarde n'en écrase jamais une autre ; choisissez un autre nom\n"
        )
    finally:
        stop_server(server)
    assert rows(copy, "PRAGMA integrity_check") == [("ok",)]
    assert rows(copy, "PRAGMA journal_mode") == [("delete",)]

    shutil.copyfile(copy, tmp_path / "restaure" / "partaj.db")
    restored = start_server(tmp_path / "restaure")
    try:
        assert "Aucun compte" not in restored.log()
        with httpx.Client(base_url=restored.url) as client:
            assert login(client, "reg@example.fr", suite="/coordination/journal").status_code == 303
            journal = client.get("/coordination/journal")
            assert journal.status_code == 200
            assert "Compte créé" in journal.text and "Sauvegarde de la base" not in journal.text
    finally:
        stop_server(restored)
    assert rows(restored.db_path, "SELECT reference FROM situations") == [(reference,)]


# --- e-mail ----------------------------------------------------------------------------------------------------


def test_new_situation_mails_the_territory_coordinators_a_link_and_no_personal_data(
    smtp: tuple[Inbox, int], settings: Settings, catalogue: Catalogue
) -> None:
    inbox, port = smtp
    app = create_app(
        settings.but(smtp_host="127.0.0.1", smtp_port=port, smtp_from="partaj@example.fr"), catalogue
    )
    store = app.state.services.store
    create_account(store, "anne@example.fr", "coordinateur", [LENS, "arras"])
    create_account(store, "ancien@example.fr", "coordinateur", [LENS])
    create_account(store, "bob@example.fr", "coordinateur", ["arras"])
    create_account(store, "reg@example.fr", "regional")
    main_disable = sqlite3.connect(settings.db_path)
    with main_disable:
        main_disable.execute("UPDATE utilisateurs SET actif = 0 WHERE email = 'ancien@example.fr'")
    main_disable.close()
    report = {**valid_rupture(), "commune": "Avion", "code_postal": "62210"}

    with TestClient(app, base_url="http://testserver") as client:
        reference = receipt_reference(post_form(client, "rupture", report))

    ((situation_id,),) = rows(settings.db_path, "SELECT id FROM situations WHERE reference = ?", [reference])
    assert [(sender, to) for sender, to, _ in inbox.received] == [("partaj@example.fr", ["anne@example.fr"])]
    message = inbox.received[0][2]
    assert (
        message["Subject"]
        == "PARTAJ : nouvelle situation à examiner (Bassin d'emploi de Lens-Liévin-Hénin-Carvin)"
    )
    assert message["To"] == "anne@example.fr"
    body = message.get_content()
    assert f"http://testserver/coordination/situations/{situation_id}" in body.splitlines()
    everything = message.as_string() + body
    personal = [report[k] for k in ("nom", "prenom", "telephone", "date_naissance", "commune", "code_postal")]
    personal += [
        report[k] for k in ("declarant_nom", "declarant_courriel", "entreprise_nom", "motif_precision")
    ]
    for value in [*personal, reference]:
        assert value not in everything, value


def test_mail_failure_is_logged_without_personal_data_and_the_report_is_kept(
    settings: Settings, catalogue: Catalogue, caplog: pytest.LogCaptureFixture
) -> None:
    closed_port = free_port()
    app = create_app(
        settings.but(smtp_host="127.0.0.1", smtp_port=closed_port, smtp_from="partaj@example.fr"), catalogue
    )
    create_account(app.state.services.store, "anne@example.fr", "coordinateur", [LENS])

    with (
        caplog.at_level(logging.INFO, logger="partaj"),
        TestClient(app, base_url="http://testserver") as client,
    ):
        response = post_form(client, "rupture", valid_rupture())

    reference = receipt_reference(response)
    assert rows(settings.db_path, "SELECT count(*) FROM situations") == [(1,)]
    assert f"avis non envoyé pour {reference} : ConnectionRefusedError" in caplog.messages
    assert "Martin" not in caplog.text and "anne@example.fr" not in caplog.text


@pytest.mark.parametrize(
    ("env", "problem"),
    [
        (
            {"PARTAJ_SMTP_HOST": "smtp.example.fr"},
            "PARTAJ_SMTP_FROM : obligatoire quand PARTAJ_SMTP_HOST est donné (expéditeur des avis)",
        ),
        (
            {"PARTAJ_SMTP_STARTTLS": "peut-être"},
            "PARTAJ_SMTP_STARTTLS : « peut-être » ; attendu oui ou non (1 ou 0)",
        ),
        ({"PARTAJ_SMTP_PORT": "0"}, "PARTAJ_SMTP_PORT : 0 ; attendu un port entre 1 et 65535"),
        (
            {
                "PARTAJ_ENV": "production",
                "PARTAJ_SMTP_HOST": "smtp.example.fr",
                "PARTAJ_SMTP_FROM": "partaj@example.fr",
                "PARTAJ_SMTP_PASSWORD": "secret",
            },
            "PARTAJ_SMTP_STARTTLS : obligatoire en production quand un mot de passe SMTP est donné "
            "(sinon il circule en clair)",
        ),
    ],
)
def test_smtp_settings_are_checked(env: dict[str, str], problem: str) -> None:
    with pytest.raises(SettingsError) as refused:
        Settings.from_env(env)

    assert problem in refused.value.problems


def test_smtp_settings_are_read_from_the_environment() -> None:
    settings = Settings.from_env(
        {
            "PARTAJ_SMTP_HOST": "smtp.example.fr",
            "PARTAJ_SMTP_PORT": "587",
            "PARTAJ_SMTP_USER": "partaj",
            "PARTAJ_SMTP_PASSWORD": "secret",
            "PARTAJ_SMTP_FROM": "partaj@example.fr",
            "PARTAJ_SMTP_STARTTLS": "oui",
        }
    )

    assert (settings.smtp_host, settings.smtp_port, settings.smtp_user, settings.smtp_starttls) == (
        "smtp.example.fr",
        587,
        "partaj",
        True,
    )
    assert "secret" not in repr(settings)
