"""Helpers of the CFA area's tests: CFA accounts, rows of a file of reports, files in every format, uploads."""

from __future__ import annotations

import csv
import html
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx
import pytest
import xlsxwriter
from starlette.testclient import TestClient

from forms_backend.accounts import rules as accounts
from forms_backend.app import create_app
from forms_backend.cfa.rows import columns
from forms_backend.coordination.spreadsheets import ods_chunks
from forms_backend.db.store import Store
from generator.catalogue import Catalogue
from tests.forms_backend.conftest import make_settings, valid_rupture
from tests.forms_backend.coordination import START, create_account, csrf_of, login, password_hash

UAI_A = "0596789J"  # 596789 mod 23 = 8 → J
UAI_B = "0590000E"  # 590000 mod 23 = 4 → E
CFA_A = "cfa.a@cfa.example.fr"
CFA_B = "cfa.b@cfa.example.fr"
COORD = "coord@example.fr"
TERRITOIRE = "lens-lievin-henin-carvin"


def create_cfa(store: Store, email: str, uais: list[str]) -> int:
    """A CFA account written as `users add --role cfa --uai …` does."""
    job = partial(
        accounts.add_account,
        email=email,
        password_hash=password_hash(),
        role="cfa",
        territoires=[],
        now=START,
        uais=uais,
    )
    return int(store.submit(job).result())


def report(**changes: Any) -> dict[str, Any]:
    """A valid report as a row of the file (field name → cell)."""
    data = valid_rupture()
    data.update({"cfa_uai": UAI_A, "motifs": "relation-employeur; mobilite", **changes})
    return data


def table(reports: list[dict[str, Any]], form: Any) -> list[list[Any]]:
    """Header and rows, every column of the form, in its order."""
    cols = columns(form)
    out: list[list[Any]] = [[title for _, title in cols]]
    for data in reports:
        out.append(["" if data.get(c.name) is None else data.get(c.name, "") for c, _ in cols])
    return out


def csv_bytes(rows: list[list[Any]], encoding: str = "utf-8-sig") -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    for row in rows:
        writer.writerow([str(c) for c in row])
    return buffer.getvalue().encode(encoding)


def xlsx_bytes(rows: list[list[Any]], write: Any = None) -> bytes:
    """An XLSX of these rows (strings, numbers, dates as they are); `write(workbook, sheet)` adds more."""
    buffer = io.BytesIO()
    workbook = xlsxwriter.Workbook(buffer, {"in_memory": True})
    sheet = workbook.add_worksheet("Signalements")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    if write:
        write(workbook, sheet)
    workbook.close()
    return buffer.getvalue()


def ods_bytes(rows: list[list[Any]]) -> bytes:
    return b"".join(ods_chunks(rows[0], rows[1:], sheet="Signalements"))


@dataclass
class Area:
    """An app with two CFA accounts (UAI A, UAI B) and a coordinator of the reports' territory."""

    client: TestClient
    store: Store
    db_path: Path
    form: Any

    def login_as(self, email: str) -> None:
        self.client.cookies.clear()
        response = login(self.client, email)
        assert response.status_code == 303, response.text

    def csrf(self) -> str:
        return csrf_of(self.client.get("/cfa/").text)

    def upload(self, name: str, data: bytes) -> httpx.Response:
        return self.client.post(
            "/cfa/fichier",
            data={"csrf_token": self.csrf()},
            files={"fichier": (name, data, "application/octet-stream")},
        )

    def confirm(self, preview_html: str) -> httpx.Response:
        preview_id = re.search(r'name="apercu" value="([^"]+)"', preview_html)
        assert preview_id, "aperçu sans bouton de confirmation"
        return self.client.post(
            "/cfa/confirmer",
            data={"csrf_token": self.csrf(), "apercu": html.unescape(preview_id.group(1))},
            follow_redirects=False,
        )


def problems(page_html: str) -> list[str]:
    """The preview's problems, as the CFA reads them."""
    found = re.search(r'<ul id="liste-problemes">(.*?)</ul>', page_html, re.DOTALL)
    if not found:
        return []
    return [html.unescape(li) for li in re.findall(r"<li>(.*?)</li>", found.group(1), re.DOTALL)]


def file_error(page_html: str) -> str | None:
    found = re.search(r'<p id="erreur-fichier">(.*?)</p>', page_html, re.DOTALL)
    return html.unescape(found.group(1)) if found else None


def summary(page_html: str) -> str:
    found = re.search(r'<p id="bilan">(.*?)</p>', page_html, re.DOTALL)
    return html.unescape(" ".join(found.group(1).split())) if found else ""


@pytest.fixture(name="area")
def area_fixture(tmp_path: Path, catalogue: Catalogue) -> Iterator[Area]:
    app = create_app(make_settings(tmp_path), catalogue)
    with TestClient(app, base_url="http://testserver") as client:
        store: Store = app.state.services.store
        create_cfa(store, CFA_A, [UAI_A])
        create_cfa(store, CFA_B, [UAI_B])
        create_account(store, COORD, "coordinateur", [TERRITOIRE])
        yield Area(client, store, tmp_path / "partaj.db", app.state.services.forms["rupture"])
