"""Text that Python takes for digits but cannot turn into a number: a superscript ('²' is a
digit to str.isdigit, yet int('²') fails) or thousands of digits (int() refuses more than 4,300).
In any cell of any facility's sheet it is a problem with its row and column, never a crash; in a
dewar's or puck's name it sorts like any other name."""

from __future__ import annotations

import pytest

from mxlims_store.errors import MappingError
from mxlims_store.mappings import read_sheet
from mxlims_store.mappings.space_group_numbers import parse_name
from mxlims_store.store.layout import natural_key
from tests.mappings.mapping_helpers import SITES, dump, table

NOT_NUMBERS = ["9" * 5000, "1²", "²"]


def _header_index(rows: list[list[str]]) -> int:
    return next(i for i, row in enumerate(rows) if sum(bool(c.strip()) for c in row) >= 3)


@pytest.mark.parametrize("site", SITES)
@pytest.mark.parametrize("text", NOT_NUMBERS, ids=["5000 digits", "1 superscript 2", "²"])
def test_digits_no_number_holds_in_any_cell_are_a_problem_or_text(site: str, text: str) -> None:
    rows = table(site)
    first = _header_index(rows) + 1
    for column in range(len(rows[first])):
        edited = [list(row) for row in rows]
        edited[first][column] = text
        try:
            read_sheet(site, dump(edited), filename="sheet.csv")
        except MappingError as error:  # what the cell cannot be is said with its place
            assert all(p.row is not None or p.column is None for p in error.problems)


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_a_space_group_of_such_digits_is_no_space_group(text: str) -> None:
    assert parse_name(text) is None
    assert parse_name("19") == "P212121" and parse_name(" 4 ") == "P21"


def test_names_with_such_digits_sort_as_names() -> None:
    names = ["D1²", "D10", "D2", "²", "1²", "D" + "9" * 5000]
    ordered = sorted(names, key=natural_key)
    assert ordered.index("D2") < ordered.index("D10")
    assert set(ordered) == set(names)
