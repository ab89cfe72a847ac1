"""Exports read back with real readers: Python's csv, openpyxl and python-calamine. French headers, JJ/MM/AAAA,
CSV in UTF-8 with BOM and `;`, pseudonymised variant, formulas neutralised (also over arbitrary strings), the
audit entry written before the first byte, and the command line going through the same code."""

from __future__ import annotations

import csv
import io
import json
import os
import subprocess
import sys
from datetime import date, datetime
from pathlib import Path
from typing import Any

import httpx
import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from python_calamine import CalamineWorkbook

from forms_backend.coordination.spreadsheets import (
    FORMULA_START,
    cell_text,
    csv_chunks,
    ods_chunks,
    xlsx_chunks,
)
from forms_backend.db.store import Store
from tests.conftest import ROOT
from tests.forms_backend.conftest import SECRET, live_server
from tests.forms_backend.coordination import PASSWORD, create_account, csrf_of, rows
from tests.forms_backend.tracking import (  # noqa: F401 (fixture)
    COORD_A,
    REGIONAL,
    TERRITOIRE_A,
    TERRITOIRE_B,
    Tracking,
    add_situation,
    tracking_fixture,
)


def read_csv(content: bytes) -> list[list[str]]:
    assert content.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(content.decode("utf-8-sig"), newline=""), delimiter=";"))


def read_openpyxl(content: bytes, path: Path) -> list[list[Any]]:
    path.write_bytes(content)
    sheet = openpyxl.load_workbook(path, read_only=True).active
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def read_calamine(content: bytes, path: Path) -> list[list[Any]]:
    path.write_bytes(content)
    return [list(row) for row in CalamineWorkbook.from_path(str(path)).get_sheet_by_index(0).to_python()]


def as_text(value: Any) -> str:
    """A cell read back, as the CSV shows it."""
    if value is None:
        return ""
    if isinstance(value, datetime | date):
        return value.strftime("%d/%m/%Y")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def test_csv_has_french_headers_labels_dates_bom_and_semicolons(tracking: Tracking) -> None:
    tracking.login_as(COORD_A)
    response = tracking.client.get("/coordination/export.csv")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="partaj-situations-')
    assert response.headers["cache-control"] == "no-store"
    table = read_csv(response.content)
    header, row = table[0], dict(zip(table[0], table[1], strict=True))
    assert header[:4] == ["Référence", "Source", "Territoire", "Statut"]
    assert len(table) == 2
    assert row["Territoire"] == "Bassin d'emploi de Lens-Liévin-Hénin-Carvin"
    assert row["Statut"] == "Nouveau"
    assert row["Reçue le"] == "02/03/2026"
    assert row["Nom"] == "Martin"
    assert row["Date de rupture"].count("/") == 2
    assert (
        row["Motifs de rupture"]
        == "Mobilité, transport ; Relation avec l'employeur ou le maître d'apprentissage"
    )
    assert row["Présentation ou précisions"] == "Trajets trop longs."
    entry = tracking.audit()[-1]
    assert entry[:4] == (COORD_A, "export", None, "succes")
    assert json.loads(entry[4]) == {"format": "csv", "pseudonymise": "non"}


def test_pseudonymised_export_has_no_name_contact_or_free_text(tracking: Tracking) -> None:
    tracking.login_as(REGIONAL)
    response = tracking.client.get("/coordination/export.csv?pseudonymise=1&territoire=" + TERRITOIRE_A)
    table = read_csv(response.content)
    header = table[0]
    for personal in ("Nom", "Prénom", "Date de naissance", "Code postal", "Commune", "Téléphone"):
        assert personal not in header
    assert "Adresse électronique" not in header and "Présentation ou précisions" not in header
    assert "Référent tuteur" not in header and "Diplôme préparé" not in header
    assert "Structure du référent" not in header  # typed freely by the coordinators: erased by the purge too
    assert "Date de rupture" not in header  # the purge keeps only its month
    row = dict(zip(header, table[1], strict=True))
    assert row["Département"] == "62"
    assert row["Année de naissance"].isdigit()
    flat = response.content.decode("utf-8-sig")
    for value in ("Martin", "Léa", "Lens;", "06 12 34 56 78", "Trajets trop longs", "Paul Durand"):
        assert value not in flat
    assert json.loads(tracking.audit()[-1][4]) == {
        "format": "csv",
        "pseudonymise": "oui",
        "territoire": TERRITOIRE_A,
    }


def test_xlsx_and_ods_read_back_like_the_csv_with_formulas_neutralised(
    tracking: Tracking, tmp_path: Path
) -> None:
    add_situation(
        tracking.db,
        TERRITOIRE_A,
        nom='=HYPERLINK("http://exemple.invalid";"x")',
        prenom="@SUM(A1)",
        commune="-2+3",
        motif_precision="+33 6 00 00 00 00",
    )
    tracking.login_as(COORD_A)
    expected = [
        [as_text(v) for v in row] for row in read_csv(tracking.client.get("/coordination/export.csv").content)
    ]
    xlsx = tracking.client.get("/coordination/export.xlsx")
    assert xlsx.headers["content-type"] == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    ods = tracking.client.get("/coordination/export.ods")
    assert ods.headers["content-type"] == "application/vnd.oasis.opendocument.spreadsheet"
    for table in (
        read_openpyxl(xlsx.content, tmp_path / "a.xlsx"),
        read_calamine(xlsx.content, tmp_path / "b.xlsx"),
        read_calamine(ods.content, tmp_path / "c.ods"),
    ):
        assert [[as_text(v) for v in row] for row in table] == expected
    (row,) = [dict(zip(expected[0], r, strict=True)) for r in expected[1:] if r[0] == "RUP-2026-000002"]
    assert row["Nom"] == '\'=HYPERLINK("http://exemple.invalid";"x")'
    assert (row["Prénom"], row["Commune"]) == ("'@SUM(A1)", "'-2+3")
    assert row["Présentation ou précisions"] == "'+33 6 00 00 00 00"
    sheet = openpyxl.load_workbook(tmp_path / "a.xlsx").active
    assert {cell.data_type for cell in sheet[3]} <= {"s", "d", "n"}
    assert sheet["G2"].number_format == "dd/mm/yyyy"


def test_export_of_a_search_is_a_post_and_a_bad_filter_is_refused(tracking: Tracking) -> None:
    add_situation(tracking.db, TERRITOIRE_A, nom="Lefèvre", prenom="Hélène")
    tracking.login_as(COORD_A)
    found = tracking.post("/coordination/export.csv", {"recherche": "lefevre"})
    assert found.status_code == 200
    assert [r[0] for r in read_csv(found.content)[1:]] == ["RUP-2026-000002"]
    assert tracking.client.get("/coordination/export.csv?recherche=lefevre").content.count(b"RUP-2026") == 2
    refused = tracking.client.get(f"/coordination/export.csv?territoire={TERRITOIRE_B}")
    assert refused.status_code == 400
    assert tracking.audit()[-1][1:4] == ("export", None, "refuse")
    assert tracking.client.get("/coordination/export.pdf").status_code == 404


TEXT = st.text(st.characters(codec="utf-8"), max_size=40)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(TEXT, min_size=1, max_size=20))
def test_any_string_reads_back_as_written_and_never_as_a_formula(tmp_path: Path, values: list[str]) -> None:
    header = ["Valeur"]
    data: list[list[Any]] = [[v] for v in values]
    expected = [cell_text(v) for v in values]
    for text in expected:
        assert not text.startswith(FORMULA_START)
    from_csv = read_csv(b"".join(csv_chunks(header, data)))
    assert [r[0] for r in from_csv[1:]] == expected
    xlsx = b"".join(xlsx_chunks(header, data))
    from_openpyxl = read_openpyxl(xlsx, tmp_path / "p.xlsx")
    assert [r[0] or "" for r in from_openpyxl[1:]] == expected
    assert [as_text(r[0]) for r in read_calamine(xlsx, tmp_path / "p2.xlsx")[1:]] == expected
    ods = b"".join(ods_chunks(header, data))
    from_ods = read_calamine(ods, tmp_path / "p.ods")[1:]
    assert [as_text(r[0]) if r else "" for r in from_ods] + [""] * (len(expected) - len(from_ods)) == expected


def test_cell_text_neutralises_each_formula_start() -> None:
    for start in ("=", "+", "-", "@", "\t", "\r"):
        assert cell_text(f"{start}1+1").startswith("'")
    assert cell_text("a\x00b\r\nc\td") == "ab\nc d"
    assert cell_text("Léa") == "Léa"


def test_export_is_audited_before_its_first_byte_on_a_real_server(tmp_path: Path) -> None:
    store = Store(tmp_path / "partaj.db")
    store.open()
    create_account(store, COORD_A, "coordinateur", [TERRITOIRE_A])
    add_situation(store, TERRITOIRE_A)
    store.close()
    with live_server(tmp_path) as server, httpx.Client(base_url=server.url) as client:
        page = client.get("/coordination/connexion")
        client.post(
            "/coordination/connexion",
            data={"csrf_token": csrf_of(page.text), "email": COORD_A, "mot_de_passe": PASSWORD},
        )
        with client.stream("GET", "/coordination/export.ods") as response:
            assert response.status_code == 200
            first = next(response.iter_raw(64))
            assert first.startswith(b"PK")
            logged = rows(server.db_path, "SELECT email, action FROM audit WHERE action = 'export'")
            assert logged == [(COORD_A, "export")]


def test_command_line_export_is_the_same_file_audited_and_filtered(tmp_path: Path) -> None:
    store = Store(tmp_path / "partaj.db")
    store.open()
    add_situation(store, TERRITOIRE_A)
    add_situation(store, TERRITOIRE_B, "orientation")
    store.close()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith("PARTAJ_")},
        "PARTAJ_SECRET_KEY": SECRET,
        "PARTAJ_DB": str(tmp_path / "partaj.db"),
    }
    out = tmp_path / "export.csv"
    command = [
        sys.executable,
        "-m",
        "forms_backend",
        "export",
        "--format",
        "csv",
        "--territoire",
        TERRITOIRE_B,
    ]
    done = subprocess.run(
        [*command, "--out", str(out), "--pseudonymise"], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.startswith(f"Export écrit : {out} (")
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    table = read_csv(out.read_bytes())
    assert [r[0] for r in table[1:]] == ["ORI-2026-000001"]
    assert "Nom" not in table[0]
    ((email, details),) = rows(
        tmp_path / "partaj.db", "SELECT email, details FROM audit WHERE action = 'export-cli'"
    )
    assert email is None
    assert json.loads(details) == {
        "destination": str(out),
        "format": "csv",
        "pseudonymise": "oui",
        "territoire": TERRITOIRE_B,
    }
    unknown = subprocess.run([*command[:-1], "atlantide"], cwd=ROOT, env=env, capture_output=True, text=True)
    assert unknown.returncode == 1
    assert unknown.stderr.startswith("erreur : territoire inconnu : atlantide (attendu l'un de : ")
    to_stdout = subprocess.run(
        [sys.executable, "-m", "forms_backend", "export", "--format", "xlsx"],
        cwd=ROOT,
        env=env,
        capture_output=True,
    )
    assert to_stdout.returncode == 0
    assert len(read_openpyxl(to_stdout.stdout, tmp_path / "tout.xlsx")) == 3


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ods"])
def test_export_of_a_coordinator_has_zero_rows_of_another_territory(
    tracking: Tracking, fmt: str, tmp_path: Path
) -> None:
    for _ in range(3):
        add_situation(tracking.db, TERRITOIRE_B, "orientation")
    tracking.login_as(COORD_A)
    content = tracking.client.get(f"/coordination/export.{fmt}").content
    table = read_csv(content) if fmt == "csv" else read_calamine(content, tmp_path / f"x.{fmt}")
    territoires = {row[2] for row in table[1:]}
    assert territoires == {"Bassin d'emploi de Lens-Liévin-Hénin-Carvin"}
