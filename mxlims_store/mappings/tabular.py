"""Bytes <-> rows of text cells: CSV/TSV (delimiter detected, UTF-8 unless told) and XLSX."""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import zipfile
from collections.abc import Iterable, Sequence

from ..errors import MappingError, SheetProblem

Cell = str | int | float | bool | None

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_XLSX_SUFFIXES = (".xlsx", ".xlsm")

MAX_ROWS = 20_000
"""Rows a sheet may have (empty rows after the last one do not count)."""
MAX_COLUMNS = 200
"""Columns a sheet may have (empty cells after a row's last value do not count)."""

# OWASP "CSV injection": text starting with one of these is a formula to a spreadsheet program.
_ESCAPED_FORMULA = re.compile(r"'+[=+\-@\t\r]")
_QUOTED_FORMULA = re.compile(r"'*[=+\-@\t\r]")
_PLAIN_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")


def cell_text(value: object) -> str:
    """A spreadsheet cell value as the text a user would see (numbers without a trailing .0)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    return str(value)


def read_table(
    data: bytes, filename: str | None = None, encoding: str | None = None
) -> list[tuple[int, list[str]]]:
    """All rows of the sheet as (1-based row number, stripped cell texts).

    XLSX when the bytes are a zip or the file name says so (first worksheet); otherwise text
    with the delimiter (comma, tab or semicolon) detected from the first lines. Text is UTF-8
    (with or without BOM) unless ``encoding`` names another: bytes that are not valid in it are
    refused with their row and column, never guessed at.
    """
    name = (filename or "").lower()
    if name.endswith(".xls"):
        raise MappingError(
            [SheetProblem(None, None, "old binary .xls is not supported: save as .xlsx or .csv")]
        )
    if data[:4] == b"PK\x03\x04" or name.endswith(_XLSX_SUFFIXES):
        rows = _read_xlsx(data)
    else:
        rows = _read_text(_decode(data, encoding), name)
    return [(i, [_unescape(c.strip()) for c in cells]) for i, cells in enumerate(rows, start=1)]


def _unescape(text: str) -> str:
    """Undo the ``'`` that CSV/TSV export puts before formula-like text (see ``_escape``)."""
    if text.startswith("'") and _ESCAPED_FORMULA.match(text):
        return text[1:].strip()
    return text


def _escape(value: Cell) -> str:
    """The CSV/TSV text of a cell; text a spreadsheet would run as a formula gets a ``'`` first.

    Numbers (also numeric text such as ``-1.5``) stay as they are; text already starting with
    ``'`` before such a character gets one more, so that import (``_unescape``) restores it.
    """
    text = cell_text(value)
    if isinstance(value, str) and _QUOTED_FORMULA.match(text) and not _PLAIN_NUMBER.fullmatch(text):
        return "'" + text
    return text


# A spreadsheet may split a CSV at any of these (semicolons where the decimal mark is a comma):
# a cell holding one is quoted, or "x;=HYPERLINK(...)" would open as a formula cell of its own.
_QUOTED_CELL = re.compile(r'[,;\t"\r\n]')


def _text_row(row: Sequence[Cell], delimiter: str) -> str:
    """One CSV/TSV line as the csv module writes it (CRLF, ``""`` for a quote), except that a
    cell holding any delimiter a spreadsheet might split at is quoted, not only its own."""
    cells = [_escape(c) for c in row]
    quoted = ['"' + c.replace('"', '""') + '"' if _QUOTED_CELL.search(c) else c for c in cells]
    if quoted == [""]:
        quoted = ['""']  # as the csv module writes it: a line, not a blank to skip
    return delimiter.join(quoted) + "\r\n"


def _too_many_rows(number: int) -> MappingError:
    return MappingError(
        [
            SheetProblem(
                number,
                None,
                f"the sheet has more than {MAX_ROWS} rows: split it into smaller sheets",
            )
        ]
    )


def _too_many_columns(number: int) -> MappingError:
    return MappingError(
        [
            SheetProblem(
                number,
                None,
                f"the row has a value beyond column {MAX_COLUMNS}: a sheet may have at most "
                f"{MAX_COLUMNS} columns",
            )
        ]
    )


def _decode(data: bytes, encoding: str | None) -> str:
    # No guessing: one stray byte used to switch a whole UTF-8 sheet to cp1252 and turn every
    # "Å" into "Ã…" without a word. The user says which encoding a non-UTF-8 file is in.
    if encoding is None:  # a byte-order mark declares its encoding: reading by it is no guess
        encoding = next((e for bom, e in _BOMS if data.startswith(bom)), None)
    name = encoding or "utf-8-sig"
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):  # unknown, or a name with a NUL in it
        info = None
    # Python also names transforms (rot13, base64, zlib) and codecs that are no file's text
    # (idna, unicode_escape): they would garble a sheet or fail deep inside.
    if info is None or not info._is_text_encoding or info.name in _NOT_FILE_ENCODINGS:
        raise MappingError(
            [SheetProblem(None, None, f"{encoding!r} is not a text encoding (try utf-8 or cp1252)")]
        )
    try:
        return data.decode(name)
    except UnicodeDecodeError as exc:
        raise MappingError([_undecodable(data, exc.start, encoding)]) from None


_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),  # before UTF-16 LE, whose mark it begins with
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NOT_FILE_ENCODINGS = frozenset(
    {"idna", "punycode", "unicode-escape", "raw-unicode-escape", "undefined", "mbcs", "oem"}
)


def _undecodable(data: bytes, offset: int, encoding: str | None) -> SheetProblem:
    """Where the first byte the encoding cannot read is: its row, and its column by header."""
    line_start = data.rfind(b"\n", 0, offset) + 1
    row = data.count(b"\n", 0, offset) + 1
    first_line = data.split(b"\n", 1)[0].decode("utf-8", "replace").lstrip("\ufeff")
    delimiter = max(",\t;", key=first_line.count)
    before = data[line_start:offset].decode("utf-8", "replace")
    index = before.count(delimiter)
    headers = [h.strip().strip('"') for h in first_line.split(delimiter)]
    column = headers[index] if index < len(headers) and headers[index] else f"column {index + 1}"
    where = "UTF-8" if encoding is None else encoding
    advice = (
        "save the sheet as UTF-8, or name its encoding (for example cp1252 or latin-1)"
        if encoding is None
        else "name the encoding the file was saved in"
    )
    return SheetProblem(
        row, column, f"byte 0x{data[offset]:02X} is not valid {where} text: {advice}"
    )


def _read_text(text: str, name: str) -> list[list[str]]:
    lines = [ln for ln in text.splitlines()[:30] if ln.strip()]
    if name.endswith((".tsv", ".tab")) and any("\t" in ln for ln in lines):
        delimiter = "\t"
    else:
        best = {d: max((ln.count(d) for ln in lines), default=0) for d in ",\t;"}
        delimiter = max(best, key=lambda d: (best[d], d == ","))
    rows: list[list[str]] = []
    try:
        for cells in csv.reader(io.StringIO(text, newline=""), delimiter=delimiter):
            number = len(rows) + 1
            if number > MAX_ROWS:
                if any(c.strip() for c in cells):
                    raise _too_many_rows(number)
                continue
            if len(cells) > MAX_COLUMNS and any(c.strip() for c in cells[MAX_COLUMNS:]):
                raise _too_many_columns(number)
            rows.append(cells)
    except csv.Error as exc:
        number = len(rows) + 1
        if "field limit" in str(exc):
            message = (
                f"a cell is longer than {csv.field_size_limit()} characters: "
                "this is not a shipment sheet"
            )
        else:
            message = f"not a readable {'TSV' if delimiter == chr(9) else 'CSV'} row: {exc}"
        raise MappingError([SheetProblem(number, None, message)]) from exc
    return rows


MAX_XLSX_UNPACKED = 50 * 1024 * 1024  # a real shipment sheet unpacks to well under 1 MB


def _unpacked_size(data: bytes) -> int:
    """What the XLSX (a zip) would unpack to, as its directory declares: a few hundred
    kilobytes may otherwise unpack to gigabytes."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return sum(info.file_size for info in archive.infolist())


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        unpacked = _unpacked_size(data)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise MappingError([SheetProblem(None, None, f"not a readable .xlsx file: {exc}")]) from exc
    if unpacked > MAX_XLSX_UNPACKED:
        message = (
            f"the .xlsx file unpacks to {unpacked:,} bytes, more than {MAX_XLSX_UNPACKED:,}: "
            "this is not a shipment sheet"
        )
        raise MappingError([SheetProblem(None, None, message)])
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise MappingError([SheetProblem(None, None, f"not a readable .xlsx file: {exc}")]) from exc
    try:
        if not wb.worksheets:  # a workbook of chart sheets only, or none at all
            raise MappingError([SheetProblem(None, None, "the .xlsx file has no worksheet")])
        ws = wb.worksheets[0]
        if not hasattr(ws, "iter_rows"):
            raise MappingError([SheetProblem(None, None, "the first sheet is not a worksheet")])
        # The <dimension> a file declares is not to be trusted: too large, read-only openpyxl pads
        # every row to it (a few bytes can ask for millions of cells); too small, it drops rows
        # and columns. Without it, rows are as long as their last cell and end at the last row.
        if hasattr(ws, "reset_dimensions"):
            ws.reset_dimensions()
        return _xlsx_rows(ws.iter_rows(min_row=1, values_only=True))
    except (zipfile.BadZipFile, KeyError, OSError, ValueError, SyntaxError) as exc:
        # read-only openpyxl parses the worksheet only now (a bad cell reference, broken XML)
        raise MappingError([SheetProblem(None, None, f"not a readable .xlsx file: {exc}")]) from exc
    finally:
        wb.close()


def _xlsx_rows(values: Iterable[Sequence[object]]) -> list[list[str]]:
    """Cell texts of the rows, at most MAX_ROWS x MAX_COLUMNS, padded to one width."""
    rows: list[list[str]] = []
    last = 0  # number of the last row with a value
    for number, row in enumerate(values, start=1):
        # Only C-speed work on what lies beyond the caps: a row may reach column 16384.
        if number > MAX_ROWS:
            if row.count(None) != len(row):
                raise _too_many_rows(number)
            continue
        if len(row) > MAX_COLUMNS:
            tail = row[MAX_COLUMNS:]
            if tail.count(None) != len(tail):
                raise _too_many_columns(number)
            row = row[:MAX_COLUMNS]
        texts = [cell_text(v) for v in row]
        while texts and not texts[-1].strip():
            texts.pop()
        rows.append(texts)
        if texts:
            last = number
    del rows[last:]
    width = max((len(r) for r in rows), default=0)
    return [r + [""] * (width - len(r)) for r in rows]


def write_table(
    rows: Sequence[Sequence[Cell]],
    fmt: str,
    title: str = "Sheet1",
    warnings: list[SheetProblem] | None = None,
) -> bytes:
    """Rows (header first) as CSV/TSV (UTF-8, CRLF as the csv module writes) or XLSX bytes.

    CSV/TSV text that a spreadsheet program would run as a formula (``=``, ``+``, ``-``, ``@``,
    tab, CR first) gets a leading ``'``, which :func:`read_table` removes again; a cell holding
    a comma, semicolon or tab is quoted whatever the delimiter (see ``_QUOTED_CELL``). XLSX cannot
    hold control characters: they are left out, with a problem appended to ``warnings``.
    """
    if fmt in ("csv", "tsv"):
        delimiter = "," if fmt == "csv" else "\t"
        return "".join(_text_row(row, delimiter) for row in rows).encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook
        from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = ILLEGAL_CHARACTERS_RE.sub("", title)[:31]
        header = rows[0] if rows else []
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                if isinstance(value, str) and ILLEGAL_CHARACTERS_RE.search(value):
                    value = ILLEGAL_CHARACTERS_RE.sub("", value)
                    if warnings is not None:
                        column = header[c - 1] if c <= len(header) else None
                        warnings.append(
                            SheetProblem(
                                r,
                                str(column) if column is not None else f"column {c}",
                                "control characters removed: an .xlsx cell cannot hold them",
                            )
                        )
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    raise ValueError(f"unknown sheet format {fmt!r}; use one of {', '.join(MEDIA_TYPES)}")
