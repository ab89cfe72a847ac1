"""Streaming writers of CSV, XLSX and ODS files: a header and rows of typed cells in, chunks of bytes out.

Memory stays constant whatever the number of rows: CSV and ODS are produced as the rows come (ODS through
`stream-zip`, its `content.xml` written row by row); XLSX is written by XlsxWriter in `constant_memory` mode to a
temporary file, then read back in chunks. Every text cell goes through `cell_text`: characters that XML cannot
carry are dropped, line ends become `\\n` and tabs spaces, and a cell that a spreadsheet could take for a formula (starting with
`=`, `+`, `-`, `@`, tab or carriage return) is prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from xml.sax.saxutils import escape

import xlsxwriter
from stream_zip import NO_COMPRESSION_32, ZIP_32, stream_zip

from forms_backend import clock

Cell = str | date | int | None
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
CHUNK_ROWS = 500
READ_CHUNK = 64 * 1024
# Characters XML 1.0 cannot carry (and lone surrogates, which UTF-8 cannot either).
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_SPACES = re.compile(" {2,}")
_NEEDS_WORK = re.compile("[\x00-\x08\x0b-\x1f\ufffe\uffff\ud800-\udfff\t]")


def cell_text(value: str) -> str:
    """The text a cell holds: XML-safe, `\\n` line ends, never read as a formula."""
    if not _NEEDS_WORK.search(value) and not value.startswith(FORMULA_START):
        return value
    text = _NOT_XML.sub("", value)
    if text.startswith(FORMULA_START):
        text = "'" + text
    # Tabs become spaces: a table cell has no tab stops, and readers disagree on ODF's <text:tab/>.
    return text.replace("\r\n", "\n").replace("\r", "\n").replace("\t", " ")


def _shown_date(value: date) -> str:
    return f"{value.day:02d}/{value.month:02d}/{value.year:04d}"


def csv_chunks(header: list[str], rows: Iterable[list[Cell]]) -> Iterator[bytes]:
    """UTF-8 with a BOM, `;` between fields, dates as JJ/MM/AAAA: what Excel in French opens right."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=";", lineterminator="\r\n")
    writer.writerow([cell_text(h) for h in header])
    yield "\ufeff".encode() + buffer.getvalue().encode("utf-8")
    buffer.seek(0)
    buffer.truncate()
    for number, row in enumerate(rows, start=1):
        writer.writerow(
            [
                cell_text(v)
                if type(v) is str
                else ""
                if v is None
                else _shown_date(v)
                if isinstance(v, date)
                else str(v)
                for v in row
            ]
        )
        if number % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode("utf-8")
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue().encode("utf-8")


def xlsx_chunks(header: list[str], rows: Iterable[list[Cell]], sheet: str = "Situations") -> Iterator[bytes]:
    """An XLSX workbook (XlsxWriter, constant memory) with a frozen, filterable header and real date cells."""
    handle, path = tempfile.mkstemp(prefix="partaj-export-", suffix=".xlsx")
    os.close(handle)
    try:
        workbook = xlsxwriter.Workbook(
            path,
            {
                "constant_memory": True,
                "strings_to_formulas": False,
                "strings_to_urls": False,
                "strings_to_numbers": False,
            },
        )
        worksheet = workbook.add_worksheet(sheet)
        bold = workbook.add_format({"bold": True})
        day = workbook.add_format({"num_format": "dd/mm/yyyy"})
        worksheet.freeze_panes(1, 0)
        for column, title in enumerate(header):
            worksheet.write_string(0, column, cell_text(title), bold)
            worksheet.set_column(column, column, max(12, min(40, len(title) + 2)))
        last = 0
        for last, row in enumerate(rows, start=1):
            for column, value in enumerate(row):
                if value is None:
                    continue
                if isinstance(value, date):
                    worksheet.write_datetime(last, column, datetime(value.year, value.month, value.day), day)
                elif isinstance(value, int):
                    worksheet.write_number(last, column, value)
                else:
                    worksheet.write_string(last, column, cell_text(value))
        worksheet.autofilter(0, 0, last, max(0, len(header) - 1))
        workbook.close()
        with open(path, "rb") as written:
            while chunk := written.read(READ_CHUNK):
                yield chunk
    finally:
        os.unlink(path)


def _ods_text(text: str) -> str:
    """One cell's text as ODF paragraphs, keeping line breaks and runs of spaces."""
    paragraphs = []
    for line in text.split("\n"):
        escaped = escape(line)
        escaped = _SPACES.sub(lambda m: f' <text:s text:c="{len(m.group(0)) - 1}"/>', escaped)
        if escaped.startswith(" "):
            escaped = "<text:s/>" + escaped[1:]
        if escaped.endswith(" "):
            escaped = escaped[:-1] + "<text:s/>"
        paragraphs.append(f"<text:p>{escaped}</text:p>")
    return "".join(paragraphs)


def _ods_cell(value: Cell, header: bool = False) -> str:
    if value is None:
        return "<table:table-cell/>"
    if isinstance(value, date):
        return (
            f'<table:table-cell office:value-type="date" office:date-value="{value.isoformat()}" '
            f'table:style-name="date"><text:p>{_shown_date(value)}</text:p></table:table-cell>'
        )
    if isinstance(value, int):
        return f'<table:table-cell office:value-type="float" office:value="{value}"><text:p>{value}</text:p></table:table-cell>'
    style = ' table:style-name="entete"' if header else ""
    return f'<table:table-cell office:value-type="string"{style}>{_ods_text(cell_text(value))}</table:table-cell>'


_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:number="urn:oasis:names:tc:opendocument:xmlns:datastyle:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" '
    'office:version="1.2"'
)
_MANIFEST = (
    '<?xml version="1.0" encoding="UTF-8"?>'
    '<manifest:manifest xmlns:manifest="urn:oasis:names:tc:opendocument:xmlns:manifest:1.0" manifest:version="1.2">'
    '<manifest:file-entry manifest:full-path="/" manifest:version="1.2" '
    'manifest:media-type="application/vnd.oasis.opendocument.spreadsheet"/>'
    '<manifest:file-entry manifest:full-path="styles.xml" manifest:media-type="text/xml"/>'
    '<manifest:file-entry manifest:full-path="content.xml" manifest:media-type="text/xml"/>'
    "</manifest:manifest>"
)
_STYLES = (
    f'<?xml version="1.0" encoding="UTF-8"?><office:document-styles {_NS}><office:styles>'
    '<number:date-style style:name="jour"><number:day number:style="long"/><number:text>/</number:text>'
    '<number:month number:style="long"/><number:text>/</number:text><number:year number:style="long"/>'
    "</number:date-style>"
    '<style:style style:name="date" style:family="table-cell" style:data-style-name="jour"/>'
    '<style:style style:name="entete" style:family="table-cell"><style:text-properties fo:font-weight="bold"/>'
    "</style:style>"
    "</office:styles></office:document-styles>"
)


def ods_chunks(header: list[str], rows: Iterable[list[Cell]], sheet: str = "Situations") -> Iterator[bytes]:
    """An ODS spreadsheet streamed as a ZIP: `content.xml` is generated row by row."""

    def content() -> Iterator[bytes]:
        parts = [
            f'<?xml version="1.0" encoding="UTF-8"?><office:document-content {_NS}>'
            f'<office:body><office:spreadsheet><table:table table:name="{escape(sheet)}">'
            f'<table:table-column table:number-columns-repeated="{max(1, len(header))}"/>'
            "<table:table-header-rows><table:table-row>",
            *(_ods_cell(title, header=True) for title in header),
            "</table:table-row></table:table-header-rows>",
        ]
        yield "".join(parts).encode()
        batch: list[str] = []
        for number, row in enumerate(rows, start=1):
            batch.append("<table:table-row>" + "".join(_ods_cell(v) for v in row) + "</table:table-row>")
            if number % CHUNK_ROWS == 0:
                yield "".join(batch).encode()
                batch.clear()
        batch.append("</table:table></office:spreadsheet></office:body></office:document-content>")
        yield "".join(batch).encode()

    # The ZIP format stores naive local times; the entries' date carries nothing personal.
    now = clock.now().astimezone().replace(tzinfo=None)
    files = (
        ("mimetype", now, 0o600, NO_COMPRESSION_32, (b"application/vnd.oasis.opendocument.spreadsheet",)),
        ("META-INF/manifest.xml", now, 0o600, ZIP_32, (_MANIFEST.encode(),)),
        ("styles.xml", now, 0o600, ZIP_32, (_STYLES.encode(),)),
        ("content.xml", now, 0o600, ZIP_32, content()),
    )
    yield from stream_zip(files)
