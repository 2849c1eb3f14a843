"""CSV injection through another delimiter: a spreadsheet set up for semicolons (most of
continental Europe) or tabs opens a comma CSV by splitting at those, so an unquoted cell
'see lab book;=HYPERLINK(...)' became a cell '=HYPERLINK(...)', a formula, however its first
character was guarded. A cell holding any of , ; tab is quoted, so that every reading keeps it
one cell; the text reads back unchanged."""

from __future__ import annotations

import csv
import io

import pytest

from mxlims_store.mappings.tabular import read_table, write_table

HOSTILE = [
    'see lab book;=HYPERLINK("http://evil","x")',
    "a\t+cmd|' /C calc'!A0",
    "b,@SUM(1)",
    "c; -1+1",
    'quote " and ; both',
]


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_no_reading_of_an_export_finds_a_formula(fmt: str, delimiter: str) -> None:
    data = write_table([["comments"], *([text] for text in HOSTILE)], fmt)
    for row in csv.reader(io.StringIO(data.decode("utf-8")), delimiter=delimiter):
        for cell in row:
            assert not cell.lstrip().startswith(("=", "+", "@", "-")), (delimiter, cell)


@pytest.mark.parametrize("fmt", ["csv", "tsv"])
def test_such_cells_read_back_as_written(fmt: str) -> None:
    data = write_table([["comments", "n"], *([text, 1] for text in HOSTILE)], fmt)
    rows = [cells for _, cells in read_table(data, f"sheet.{fmt}")]
    assert [r[0] for r in rows[1:]] == [text.strip() for text in HOSTILE]


def test_plain_cells_are_written_as_before() -> None:
    assert write_table([["a", "b"], ["x y", -1.5]], "csv") == b"a,b\r\nx y,-1.5\r\n"
