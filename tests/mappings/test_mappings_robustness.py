"""Hostile or broken sheets and values: a MappingError or a safe sheet, never a crash."""

from __future__ import annotations

import copy
import csv
import io
import re
import tracemalloc
import zipfile
from typing import Any

import pytest
from openpyxl import load_workbook

from mxlims_store.errors import MappingError
from mxlims_store.mappings import get_site, read_sheet, write_sheet
from mxlims_store.mappings.tabular import MAX_COLUMNS, MAX_ROWS, read_table, write_table
from tests.mappings.mapping_helpers import fixture

SHEET_XML = "xl/worksheets/sheet1.xml"


def sls_xlsx(dimension: str | None = None, extra_rows: str = "") -> tuple[bytes, str]:
    """The SLS fixture with its <dimension> replaced and rows added at the end of sheetData."""
    data, name = fixture("sls")
    zin = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            content = zin.read(info.filename)
            if info.filename == SHEET_XML:
                xml = content.decode("utf-8")
                if dimension is not None:
                    xml, n = re.subn(
                        r'<dimension ref="[^"]*"', f'<dimension ref="{dimension}"', xml
                    )
                    assert n == 1
                xml = xml.replace("</sheetData>", extra_rows + "</sheetData>")
                content = xml.encode("utf-8")
            zout.writestr(info, content)
    return out.getvalue(), name


def text_cell(ref: str, text: str) -> str:
    return f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>'


def pins(msg: dict[str, Any]) -> int:
    return len(msg.get("Pin", {})) + len(msg.get("PinPosition", {}))


def imported(site: str) -> dict[str, Any]:
    data, name = fixture(site)
    return read_sheet(site, data, filename=name)


def with_sample_name(msg: dict[str, Any], name: str) -> dict[str, Any]:
    """A copy of the message whose first sample is renamed."""
    out = copy.deepcopy(msg)
    next(iter(out["MacromoleculeSample"].values()))["name"] = name
    return out


def sample_names(msg: dict[str, Any]) -> list[str]:
    return sorted(s["name"] for s in msg["MacromoleculeSample"].values())


# --- 1. XLSX: the declared <dimension> is not trusted -------------------------------------------


def test_fixture_has_fourteen_pins() -> None:
    data, name = sls_xlsx()
    assert pins(read_sheet("sls", data, filename=name)) == 14


@pytest.mark.parametrize("dimension", ["A1:AB10", "A1:B2", "A1"])
def test_stale_small_dimension_still_reads_every_row_and_column(dimension: str) -> None:
    data, name = sls_xlsx(dimension)
    msg = read_sheet("sls", data, filename=name)
    assert pins(msg) == 14
    assert sample_names(msg) == sample_names(imported("sls"))
    table = read_table(data, name)
    assert max(len(cells) for _, cells in table) == 28  # A..AB, not cut at the dimension


def test_huge_declared_dimension_stays_small() -> None:
    data, name = sls_xlsx("A1:XFD2000")
    assert len(data) < 20_000
    tracemalloc.start()
    try:
        table = read_table(data, name)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 20_000_000  # bounded work: the declared size is not trusted
    assert len(table) <= 20
    assert sum(len(cells) for _, cells in table) <= 20 * 28
    assert pins(read_sheet("sls", data, filename=name)) == 14


def test_empty_far_away_cells_are_ignored() -> None:
    # A styled but empty cell in the last column, and an empty row at the end of the sheet.
    extra = '<row r="17"><c r="XFD17" s="0"/></row><row r="1048576"><c r="XFD1048576" s="0"/></row>'
    data, name = sls_xlsx("A1:XFD1048576", extra)
    table = read_table(data, name)
    assert max(len(cells) for _, cells in table) == 28
    assert pins(read_sheet("sls", data, filename=name)) == 14


def test_value_beyond_the_row_cap_is_refused() -> None:
    row = MAX_ROWS + 1
    data, name = sls_xlsx(extra_rows=f'<row r="{row}">{text_cell(f"A{row}", "x")}</row>')
    with pytest.raises(MappingError) as err:
        read_sheet("sls", data, filename=name)
    [problem] = err.value.problems
    assert problem.row == row
    assert f"more than {MAX_ROWS} rows" in problem.message


def test_value_beyond_the_column_cap_is_refused() -> None:
    data, name = sls_xlsx(extra_rows=f'<row r="17">{text_cell("XFD17", "x")}</row>')
    with pytest.raises(MappingError) as err:
        read_table(data, name)
    [problem] = err.value.problems
    assert problem.row == 17
    assert f"at most {MAX_COLUMNS} columns" in problem.message


def test_broken_worksheet_xml_is_a_mapping_error() -> None:
    data, name = sls_xlsx(extra_rows='<row r="17"><c r="NOT A REF">')  # unbalanced XML
    with pytest.raises(MappingError) as err:
        read_table(data, name)
    assert "not a readable .xlsx" in err.value.problems[0].message


# --- 2. CSV: a cell beyond the csv module's field limit -----------------------------------------


def test_csv_cell_over_the_field_limit_is_a_mapping_error() -> None:
    data, name = fixture("dls")
    lines = data.decode("utf-8-sig").splitlines()
    huge = '"' + "x" * 200_000 + '"'
    bad = "\r\n".join([lines[0], lines[1], huge + "," + lines[2], *lines[3:]]).encode()
    with pytest.raises(MappingError) as err:
        read_sheet("dls", bad, filename=name)
    [problem] = err.value.problems
    assert problem.row == 3
    assert "longer than" in problem.message and "characters" in problem.message


@pytest.mark.parametrize("filename", ["sheet.csv", "sheet.tsv", None])
def test_huge_unquoted_field_is_a_mapping_error(filename: str | None) -> None:
    with pytest.raises(MappingError) as err:
        read_table(b"a,b\n1," + b"y" * 140_000 + b"\n", filename)
    assert err.value.problems[0].row == 2


def test_csv_caps() -> None:
    many_rows = ("a,b\r\n" * (MAX_ROWS + 1)).encode()
    with pytest.raises(MappingError) as err:
        read_table(many_rows, "s.csv")
    assert err.value.problems[0].row == MAX_ROWS + 1
    # empty lines after the last row do not count
    assert len(read_table(b"a,b\r\n" + b"\r\n" * (MAX_ROWS + 5), "s.csv")) == MAX_ROWS
    wide = (",".join(["h"] * (MAX_COLUMNS + 1)) + "\r\n").encode()
    with pytest.raises(MappingError) as err:
        read_table(wide, "s.csv")
    assert err.value.problems[0].row == 1


# --- 3. XLSX export: control characters ---------------------------------------------------------


def test_xlsx_export_drops_control_characters() -> None:
    msg = with_sample_name(imported("sls"), "bad\x01name\x1f")
    export = write_sheet("sls", msg, fmt="xlsx")
    wb = load_workbook(io.BytesIO(export.content))
    values = {c.value for row in wb.active.iter_rows() for c in row}
    assert "badname" in values
    back = read_sheet("sls", export.content, filename="x.xlsx")
    assert "badname" in sample_names(back)
    [warning] = [w for w in export.warnings if "control characters" in w.message]
    assert warning.row is not None and warning.row >= 2
    assert warning.column == next(
        c.header for c in get_site("sls").columns if c.field == "MacromoleculeSample.name"
    )


def test_xlsx_export_without_control_characters_has_no_such_warning() -> None:
    export = write_sheet("sls", imported("sls"), fmt="xlsx")
    assert not [w for w in export.warnings if "control characters" in w.message]


# --- 4. CSV/TSV export: formula injection -------------------------------------------------------

EVIL = '=HYPERLINK("http://evil","x")'


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_formula_like_text_is_quoted_and_round_trips(fmt: str) -> None:
    msg = with_sample_name(imported("dls"), EVIL)
    export = write_sheet("dls", msg, fmt=fmt)
    delimiter = "," if fmt == "csv" else "\t"
    cells = [
        c
        for row in csv.reader(io.StringIO(export.content.decode()), delimiter=delimiter)
        for c in row
    ]
    assert "'" + EVIL in cells
    assert EVIL not in cells
    back = read_sheet("dls", export.content, filename=f"x.{fmt}")
    assert EVIL in sample_names(back)
    assert sample_names(back) == sample_names(msg)


@pytest.mark.parametrize(
    "text", ["=1+2", "+cmd", "-2+3+cmd|' /C calc'!A0", "@SUM(A1)", "\tx", "\rx", "'=x", "''-y"]
)
def test_formula_like_text_round_trips_through_csv(text: str) -> None:
    data = write_table([["h", "k"], [text, "v"]], "csv")
    cell = list(csv.reader(io.StringIO(data.decode())))[1][0]
    assert cell.startswith("'")
    assert read_table(data, "x.csv")[1][1] == [text.strip(), "v"]


@pytest.mark.parametrize("value", [-1.5, "-1.5", "+2", 2, "-3", -7, "1e-5", "-.5"])
def test_numbers_are_not_quoted(value: Any) -> None:
    data = write_table([["h"], [value]], "csv")
    cell = list(csv.reader(io.StringIO(data.decode())))[1][0]
    assert not cell.startswith("'")
    assert read_table(data, "x.csv")[1][1] == [cell]


def test_ordinary_text_is_untouched() -> None:
    for text in ("hewl_1101", "it's", "'quoted'", "a=b", "x-1"):
        data = write_table([["h"], [text]], "csv")
        assert list(csv.reader(io.StringIO(data.decode())))[1][0] == text
        assert read_table(data, "x.csv")[1][1] == [text]


def test_xlsx_export_keeps_formula_like_text_as_text() -> None:
    msg = with_sample_name(imported("sls"), EVIL)
    export = write_sheet("sls", msg, fmt="xlsx")
    assert EVIL in sample_names(read_sheet("sls", export.content, filename="x.xlsx"))


def test_negative_numbers_survive_a_csv_round_trip() -> None:
    data = write_table([["a", "b"], [-1.5, "-2"], ["+2", -3]], "csv")
    assert data.decode().splitlines()[1:] == ["-1.5,-2", "+2,-3"]


def test_an_xlsx_that_unpacks_to_too_much_is_refused_before_it_is_read() -> None:
    import io
    import zipfile

    from mxlims_store.mappings.tabular import MAX_XLSX_UNPACKED

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("xl/worksheets/sheet1.xml", b"<a>" + b" " * (MAX_XLSX_UNPACKED + 1))
    data = buffer.getvalue()
    assert len(data) < 200_000  # small on the wire
    with pytest.raises(MappingError, match="unpacks to"):
        read_table(data, "bomb.xlsx")
