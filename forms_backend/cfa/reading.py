"""Reading a CFA's file of reports (CSV, XLSX, ODS) into rows of cells, never executing anything.

A workbook is read by python-calamine (a reader, not a spreadsheet engine): a formula is read as the value the
spreadsheet saved with it, a macro is never run. Before it is opened, a workbook's zip is checked (a zip bomb
is refused before any decompression); a CSV is read as UTF-8 (with or without BOM), else as Windows-1252, the
encoding of Excel's « CSV (séparateur : point-virgule) » on Windows.
"""

from __future__ import annotations

import csv
import io
import zipfile
from dataclasses import dataclass, field
from typing import Any

import python_calamine

from forms_backend.errors import BackendError

MAX_FILE_BYTES = 2 * 1024 * 1024
MAX_ROWS = 500
# What a workbook of 500 reports decompresses to is a few megabytes; far more is a zip bomb.
MAX_UNZIPPED_BYTES = 40 * 1024 * 1024
MAX_ZIP_MEMBERS = 500
# A sheet used far beyond 500 reports, or wider than any template, is not read (its matrix would fill memory).
MAX_SHEET_ROWS = 5000
MAX_COLUMNS = 200
EXTENSIONS = (".csv", ".xlsx", ".ods")
SHEET = "Signalements"
ODS_MIMETYPE = b"application/vnd.oasis.opendocument.spreadsheet"

NO_FILE = "Choisissez un fichier à déposer (CSV, XLSX ou ODS)."
TOO_BIG = "Le fichier pèse {size} ; 2 Mo au plus : partagez-le en plusieurs fichiers."
BAD_EXTENSION = (
    "« {name} » n'est pas un fichier accepté : déposez un fichier .xlsx (Excel), .ods (LibreOffice) ou .csv."
)
OLD_EXCEL = "Le format .xls (Excel 97-2003) n'est pas accepté : enregistrez le fichier au format .xlsx, puis déposez-le."
NOT_A_WORKBOOK = (
    "« {name} » porte l'extension {ext} mais n'est pas un classeur {kind}{seen} : ouvrez-le dans votre tableur, "
    "enregistrez-le au format {ext}, puis déposez-le à nouveau."
)
ZIP_BOMB = (
    "« {name} » se décompresse en plus de 40 Mo : ce n'est pas un classeur de signalements ordinaire, il n'a pas "
    "été lu. Enregistrez seulement la feuille des signalements dans un nouveau fichier."
)
UNREADABLE = "« {name} » n'a pas pu être lu comme un classeur {kind} : {detail}."
PROTECTED = "« {name} » est protégé par un mot de passe : enregistrez-en une copie sans mot de passe."
MERGED = (
    "Le fichier contient des cellules fusionnées ({cells}) : une cellule fusionnée laisse vides les lignes "
    "qu'elle couvre. Défusionnez-les et recopiez la valeur sur chaque ligne, puis déposez le fichier à nouveau."
)
TOO_MANY_ROWS = (
    "Le fichier contient {count} lignes de signalement ; {max} au plus par fichier : partagez-le en plusieurs "
    "fichiers."
)
TOO_LARGE_SHEET = (
    "La feuille des signalements occupe {rows} lignes et {columns} colonnes : au plus 500 lignes de signalement "
    "et les colonnes du modèle. Effacez les lignes et colonnes inutilisées, ou repartez du modèle."
)
READ_AS_WINDOWS = (
    "Le fichier CSV n'était pas encodé en UTF-8 : il a été lu comme un fichier Windows (Windows-1252). "
    "Vérifiez les accents dans l'aperçu."
)


class FileRefused(BackendError):
    """A file that cannot be read as a file of reports; `message` says why, in French, and what to do."""

    status_code = 422

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class Table:
    """The cells of the reports' sheet, row by row (row 1 first), and notes on how it was read."""

    rows: list[list[Any]]
    notes: list[str] = field(default_factory=list)


def _size(size: int) -> str:
    return f"{size / 1024 / 1024:.1f} Mo".replace(".", ",")


def _first_bytes(data: bytes) -> str:
    if data.startswith(b"%PDF"):
        return " (il commence comme un PDF)"
    if data.startswith(b"\xd0\xcf\x11\xe0"):
        return " (c'est un ancien fichier Excel .xls ou un document Word)"
    return ""


def _check_zip(name: str, ext: str, data: bytes) -> None:
    kind = "Excel" if ext == ".xlsx" else "OpenDocument"
    if not data.startswith(b"PK\x03\x04"):
        raise FileRefused(NOT_A_WORKBOOK.format(name=name, ext=ext, kind=kind, seen=_first_bytes(data)))
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            members = archive.infolist()
            names = {m.filename for m in members}
            mimetype = archive.read("mimetype")[:100] if "mimetype" in names else b""
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise FileRefused(UNREADABLE.format(name=name, kind=kind, detail="archive endommagée")) from exc
    if len(members) > MAX_ZIP_MEMBERS or sum(m.file_size for m in members) > MAX_UNZIPPED_BYTES:
        raise FileRefused(ZIP_BOMB.format(name=name))
    if ext == ".xlsx" and "[Content_Types].xml" not in names:
        raise FileRefused(NOT_A_WORKBOOK.format(name=name, ext=ext, kind=kind, seen=""))
    if ext == ".ods" and mimetype.strip() != ODS_MIMETYPE:
        raise FileRefused(NOT_A_WORKBOOK.format(name=name, ext=ext, kind=kind, seen=""))


def _column(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _read_workbook(name: str, ext: str, data: bytes) -> Table:
    _check_zip(name, ext, data)
    kind = "Excel" if ext == ".xlsx" else "OpenDocument"
    try:
        workbook = python_calamine.load_workbook(io.BytesIO(data))
        sheet_name = SHEET if SHEET in workbook.sheet_names else workbook.sheet_names[0]
        sheet = workbook.get_sheet_by_name(sheet_name)
        if sheet.height > MAX_SHEET_ROWS or sheet.width > MAX_COLUMNS:
            raise FileRefused(TOO_LARGE_SHEET.format(rows=sheet.height, columns=sheet.width))
        rows = sheet.to_python(skip_empty_area=False)
        merged = sheet.merged_cell_ranges or []
    except python_calamine.PasswordError as exc:
        raise FileRefused(PROTECTED.format(name=name)) from exc
    except (python_calamine.CalamineError, ValueError, IndexError) as exc:
        raise FileRefused(UNREADABLE.format(name=name, kind=kind, detail="contenu illisible")) from exc
    if merged:
        shown = [f"{_column(a[1])}{a[0] + 1}:{_column(b[1])}{b[0] + 1}" for a, b in merged[:5]]
        raise FileRefused(MERGED.format(cells=", ".join(shown)))
    return Table([list(row) for row in rows])


def _read_csv(data: bytes) -> Table:
    notes = []
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("cp1252", errors="replace")
        notes.append(READ_AS_WINDOWS)
    first = text.split("\n", 1)[0]
    delimiter = max((";", ",", "\t"), key=first.count)
    rows: list[list[Any]] = []
    for row in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
        rows.append(list(row))
        if len(rows) > MAX_SHEET_ROWS or len(row) > MAX_COLUMNS:
            width = max(len(r) for r in rows)
            raise FileRefused(TOO_LARGE_SHEET.format(rows=len(rows), columns=width))
    return Table(rows, notes)


def read_file(name: str, data: bytes) -> Table:
    """The cells of a CSV, XLSX or ODS file of reports; FileRefused with a French message when it cannot be
    read (wrong type, too big, zip bomb, password, merged cells)."""
    if not name or not data:
        raise FileRefused(NO_FILE)
    if len(data) > MAX_FILE_BYTES:
        raise FileRefused(TOO_BIG.format(size=_size(len(data))))
    ext = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext == ".xls":
        raise FileRefused(OLD_EXCEL)
    if ext not in EXTENSIONS:
        raise FileRefused(BAD_EXTENSION.format(name=name))
    if ext == ".csv":
        if data.startswith((b"PK\x03\x04", b"%PDF")):
            raise FileRefused(NOT_A_WORKBOOK.format(name=name, ext=ext, kind="CSV", seen=_first_bytes(data)))
        return _read_csv(data)
    return _read_workbook(name, ext, data)
