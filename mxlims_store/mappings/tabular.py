"""Bytes <-> rows of text cells: CSV/TSV (delimiter detected, any common encoding) and XLSX."""

from __future__ import annotations

import csv
import datetime as dt
import io
import zipfile
from collections.abc import Sequence

from ..errors import MappingError, SheetProblem

Cell = str | int | float | bool | None

MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}

_XLSX_SUFFIXES = (".xlsx", ".xlsm")


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


def read_table(data: bytes, filename: str | None = None) -> list[tuple[int, list[str]]]:
    """All rows of the sheet as (1-based row number, stripped cell texts).

    XLSX when the bytes are a zip or the file name says so (first worksheet); otherwise text
    with the delimiter (comma, tab or semicolon) detected from the first lines.
    """
    name = (filename or "").lower()
    if name.endswith(".xls"):
        raise MappingError(
            [SheetProblem(None, None, "old binary .xls is not supported: save as .xlsx or .csv")]
        )
    if data[:4] == b"PK\x03\x04" or name.endswith(_XLSX_SUFFIXES):
        rows = _read_xlsx(data)
    else:
        rows = _read_text(_decode(data), name)
    return [(i, [c.strip() for c in cells]) for i, cells in enumerate(rows, start=1)]


def _decode(data: bytes) -> str:
    for encoding in ("utf-8-sig", "cp1252"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1")


def _read_text(text: str, name: str) -> list[list[str]]:
    lines = [ln for ln in text.splitlines()[:30] if ln.strip()]
    if name.endswith((".tsv", ".tab")) and any("\t" in ln for ln in lines):
        delimiter = "\t"
    else:
        best = {d: max((ln.count(d) for ln in lines), default=0) for d in ",\t;"}
        delimiter = max(best, key=lambda d: (best[d], d == ","))
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=delimiter))


def _read_xlsx(data: bytes) -> list[list[str]]:
    from openpyxl import load_workbook

    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as exc:
        raise MappingError([SheetProblem(None, None, f"not a readable .xlsx file: {exc}")]) from exc
    try:
        ws = wb.worksheets[0]
        return [[cell_text(v) for v in row] for row in ws.iter_rows(min_row=1, values_only=True)]
    finally:
        wb.close()


def write_table(rows: Sequence[Sequence[Cell]], fmt: str, title: str = "Sheet1") -> bytes:
    """Rows (header first) as CSV/TSV (UTF-8, CRLF as the csv module writes) or XLSX bytes."""
    if fmt in ("csv", "tsv"):
        buf = io.StringIO()
        writer = csv.writer(buf, delimiter="," if fmt == "csv" else "\t")
        writer.writerows([[cell_text(c) for c in row] for row in rows])
        return buf.getvalue().encode("utf-8")
    if fmt == "xlsx":
        from openpyxl import Workbook

        wb = Workbook()
        ws = wb.active
        assert ws is not None
        ws.title = title[:31]
        for r, row in enumerate(rows, start=1):
            for c, value in enumerate(row, start=1):
                cell = ws.cell(row=r, column=c, value=value)
                if isinstance(value, str) and value.startswith("="):
                    cell.data_type = "s"  # text that looks like a formula stays text
        out = io.BytesIO()
        wb.save(out)
        return out.getvalue()
    raise ValueError(f"unknown sheet format {fmt!r}; use one of {', '.join(MEDIA_TYPES)}")
