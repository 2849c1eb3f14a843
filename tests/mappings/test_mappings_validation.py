"""Bad sheets: every problem is reported at once with its row and column; nothing is returned."""

from __future__ import annotations

import json
from collections.abc import Callable

import pytest

from mxlims_store.errors import MappingError, SheetProblem
from mxlims_store.mappings import get_site, read_sheet, write_sheet
from tests.conftest import REFERENCE, needs_shared
from tests.mappings.mapping_helpers import FIXTURES, Table, dump, fixture, table


def problems(site: str, edit: Callable[[Table], object]) -> list[SheetProblem]:
    rows = table(site)
    edit(rows)
    with pytest.raises(MappingError) as exc:
        read_sheet(site, dump(rows))
    assert exc.value.problems, "a MappingError carries its problems"
    return exc.value.problems


def setcell(rows: Table, line: int, header: str, value: str) -> None:
    """Set the cell of 1-based sheet row ``line`` under ``header``."""
    rows[line - 1][rows[0].index(header)] = value


def only(found: list[SheetProblem]) -> SheetProblem:
    assert len(found) == 1, [str(p) for p in found]
    return found[0]


def test_non_numeric_value() -> None:
    p = only(problems("dls", lambda r: setcell(r, 3, "preObsResolution", "high")))
    assert (p.row, p.column) == (3, "preObsResolution")
    assert "'high' is not a number" in p.message


def test_out_of_range_values_use_the_schema_ranges() -> None:
    p = only(problems("maxiv", lambda r: setcell(r, 4, "transmission", "150")))
    assert (p.row, p.column) == (4, "transmission") and "at most 100" in p.message
    p = only(problems("esrf", lambda r: setcell(r, 2, "radiation sensitivity", "1.5")))
    assert (p.row, p.column) == (2, "radiation sensitivity") and "at most 1" in p.message
    p = only(problems("esrf", lambda r: setcell(r, 5, "aimed completeness", "101%")))
    assert (p.row, p.column) == (5, "aimed completeness")
    p = only(problems("sls", lambda r: setcell(r, 2, "Priority", "0")))
    assert (p.row, p.column) == (2, "Priority") and "greater than 0" in p.message
    p = only(problems("dls", lambda r: setcell(r, 2, "energy", "12658")))  # eV where keV goes
    assert (p.row, p.column) == (2, "energy") and "keV" in p.message


def test_negative_resolution() -> None:
    p = only(problems("esrf", lambda r: setcell(r, 6, "aimed Resolution", "-1.5")))
    assert (p.row, p.column) == (6, "aimed Resolution")
    assert "greater than 0" in p.message


def test_unknown_space_group_name_and_number() -> None:
    p = only(problems("esrf", lambda r: setcell(r, 7, "SPG", "P7")))
    assert (p.row, p.column) == (7, "SPG") and "unknown space group" in p.message
    p = only(problems("sls", lambda r: setcell(r, 3, "Space Group Number [1x int]", "231")))
    assert (p.row, p.column) == (3, "Space Group Number [1x int]") and "1-230" in p.message


def test_position_beyond_puck_capacity() -> None:
    p = only(problems("dls", lambda r: setcell(r, 9, "samplePosition", "17")))
    assert (p.row, p.column) == (9, "samplePosition") and "16 positions" in p.message


def test_position_beyond_capacity_by_row_order() -> None:
    def overfill(rows: Table) -> None:
        spine = next(r for r in rows if r[rows[0].index("container type")] == "Spinepuck")
        for i in range(10):  # spine puck: 10 positions; it already has 4 pins
            extra = list(spine)
            extra[rows[0].index("pin barcode")] = f"EXTRA-{i}"
            extra[rows[0].index("sample acronym")] = f"extra_{i}"
            rows.append(extra)

    found = problems("esrf", overfill)
    # lines 2-15 are the fixture, 16-25 the extra pins; pins 11-14 of the spine puck overflow
    assert [(p.row, p.column) for p in found] == [(n, "container name") for n in (22, 23, 24, 25)]
    assert "more than its 10 positions" in found[0].message


def test_two_pins_in_one_position() -> None:
    p = only(problems("soleil", lambda r: setcell(r, 3, "Sample position", "1")))
    assert (p.row, p.column) == (3, "Sample position")
    assert "already holds the pin on row 2" in p.message


def test_duplicate_pin_barcodes() -> None:
    p = only(problems("petraiii", lambda r: setcell(r, 12, "sampleBarcode", "P11-900")))
    assert (p.row, p.column) == (12, "sampleBarcode") and "also on row 2" in p.message


def test_missing_required_column() -> None:
    def drop(rows: Table) -> None:
        j = rows[0].index("sampleName")
        for r in rows:
            del r[j]

    p = only(problems("dls", drop))
    assert (p.row, p.column) == (None, "sampleName") and "missing" in p.message


def test_missing_required_value() -> None:
    p = only(problems("esrf", lambda r: setcell(r, 4, "#parcel name", "")))
    assert (p.row, p.column) == (4, "#parcel name") and "required" in p.message


def test_row_with_wrong_number_of_cells() -> None:
    def cut(rows: Table) -> None:
        rows[4] = rows[4][:5]
        rows[6] = [*rows[6], "surplus"]

    found = problems("soleil", cut)
    assert [(p.row, p.column) for p in found] == [(5, None), (7, None)]
    assert "5 cells but the header has 22" in found[0].message


ESRF_HEADER = ",".join(c.header for c in get_site("esrf").columns).encode() + b"\n,,,\n\n"


@pytest.mark.parametrize(
    "data",
    [b"", b"\n\n  \n", b"\xef\xbb\xbf", ESRF_HEADER],
    ids=["empty", "blank", "bom-only", "header-only"],
)
def test_empty_sheet(data: bytes) -> None:
    with pytest.raises(MappingError) as exc:
        read_sheet("esrf", data)
    p = exc.value.problems[0]
    assert p.row is None and p.column is None
    assert "empty" in p.message or "no sample rows" in p.message


def test_not_this_facilitys_sheet() -> None:
    data, _ = fixture("dls")
    with pytest.raises(MappingError) as exc:
        read_sheet("soleil", data)
    messages = [p.message for p in exc.value.problems]
    assert any("looks like a sheet for facility 'dls'" in m for m in messages)
    assert all(p.row is None for p in exc.value.problems)


def test_conflicting_values_for_one_puck() -> None:
    p = only(problems("esrf", lambda r: setcell(r, 3, "container type", "Spinepuck")))
    assert (p.row, p.column) == (3, "container type")
    assert "differs from 'Unipuck'" in p.message and "row 2" in p.message


def test_two_pucks_in_one_dewar_position() -> None:
    def same_slot(rows: Table) -> None:
        for line in range(6, 10):  # the rows of the second puck of dewar 1
            setcell(rows, line, "PuckLocationInDewar*", "1")

    found = problems("sls", same_slot)
    assert {(p.row, p.column) for p in found} == {(6, "PuckLocationInDewar*")}


def test_incomplete_unit_cell() -> None:
    p = only(problems("dls", lambda r: setcell(r, 2, "cell_b", "")))
    assert (p.row, p.column) == (2, "cell_b") and "six" in p.message
    p = only(
        problems("sls", lambda r: setcell(r, 2, "Cell Parameters [6x real number]", "79 79 38"))
    )
    assert (p.row, p.column) == (2, "Cell Parameters [6x real number]")


def test_bad_yes_no() -> None:
    p = only(problems("sls", lambda r: setcell(r, 4, "No Ano [bool]", "maybe")))
    assert (p.row, p.column) == (4, "No Ano [bool]")


def test_all_problems_at_once_and_sorted() -> None:
    def many(rows: Table) -> None:
        setcell(rows, 2, "aimed Resolution", "x")
        setcell(rows, 2, "SPG", "Q1")
        setcell(rows, 9, "cellA", "-3")
        setcell(rows, 15, "pin barcode", "ESRF-PIN-300")

    found = problems("esrf", many)
    assert [(p.row, p.column) for p in found] == [
        (2, "SPG"),
        (2, "aimed Resolution"),
        (9, "cellA"),
        (15, "pin barcode"),
    ]
    err = MappingError(found)
    as_json = err.to_dict()["problems"]
    assert isinstance(as_json, list)
    assert as_json[0] == {"row": 2, "column": "SPG", "message": found[0].message}


def test_bad_fixture_sheet_reports_everything() -> None:
    data = (FIXTURES / "esrf_shipment_bad.csv").read_bytes()
    with pytest.raises(MappingError) as exc:
        read_sheet("esrf", data)
    assert [(p.row, p.column) for p in exc.value.problems] == [
        (3, "SPG"),  # "P44" is no space group
        (3, "aimed Resolution"),  # negative
        (4, "cellC"),  # incomplete unit cell
        (4, "container type"),  # the same puck was a Unipuck on row 2
        (4, "pin barcode"),  # ESRF-PIN-300 again
        (4, "total rot. angle"),  # not a number
        (5, None),  # 25 cells, the header has 28
    ]


@needs_shared
def test_official_example_messages_export() -> None:
    folder = REFERENCE / "0.6.13" / "messages"
    for path in sorted(folder.glob("*/valid/*.json")):
        msg = json.loads(path.read_text())
        for site in ("dls", "esrf", "sls"):
            out = write_sheet(site, msg)
            positions = msg.get("PinPosition", {}).values()
            if not get_site(site).maps("PinPosition", "positionInPin"):  # one row per pin
                positions = {p["containerRef"]["$ref"]: p for p in positions}.values()
            pins = len(msg.get("Pin", {})) + len(positions)
            assert out.content.decode().count("\n") == 1 + pins
            if pins == 0:  # plates or crystals only: every value is reported lost
                assert out.losses
