"""Sheets filled as facilities fill them: every term of the facility's list, ISPyB's enumeration
at the sites that run ISPyB, and terms of no list. Each imports at its own facility (nothing
refused for its vocabulary), goes back to it cell for cell, and converts to every other facility
with only a proposal and a puck type given; every cell whose text changes is said.

The sheets are generated here from the site files (their columns and spellings) over each
facility's fixture, not typed by hand.
"""

from __future__ import annotations

import csv
import io
import math
from dataclasses import dataclass

import pytest

from mxlims_store.errors import SheetProblem
from mxlims_store.mappings import SheetDefaults, convert_sheet, get_site, read_sheet, write_sheet
from mxlims_store.mappings.ispyb_terms import EXPERIMENT_KINDS
from mxlims_store.mappings.sites import ColumnFormat
from tests.mappings.mapping_helpers import SITES, Table, dump, sheet_rows, table

UNLISTED = "Local kind 7"  # a term of no list


@dataclass(frozen=True)
class FilledSheet:
    site: str
    data: bytes
    unlisted: int
    """Cells whose value the facility's file does not list (each must be warned about)."""
    label: str


def controlled(site: str) -> list[ColumnFormat]:
    return [c for c in get_site(site).columns if c.values is not None]


def terms(col: ColumnFormat) -> list[str]:
    assert col.values is not None
    listed = [spelling for spelling, _ in col.values.pairs]
    if col.ispyb:
        listed += EXPERIMENT_KINDS
    return [*dict.fromkeys(listed), UNLISTED]


def listed(col: ColumnFormat, text: str) -> bool:
    assert col.values is not None
    return col.values.to_term(text) is not None


def sample_header(site: str) -> str:
    (col,) = get_site(site).columns_for("MacromoleculeSample", "name")
    return col.header


def filled_sheets(site: str) -> list[FilledSheet]:
    """The fixture with each controlled column run through all its terms (several sheets when
    the terms outnumber the rows). Puck types change a whole puck: the first one's rows."""
    base = table(site)
    header = base[0]
    out = [FilledSheet(site, dump(base), 0, f"{site}:as-is")]  # PETRA III has no such column
    for col in controlled(site):
        j = header.index(col.header)
        values = terms(col)
        if col.field == "Puck.puckType":
            puck = next(c for c in get_site(site).columns if c.field == "Puck.name")
            first = base[1][header.index(puck.header)]
            lines = [i for i, r in enumerate(base) if i and r[header.index(puck.header)] == first]
            capacity = get_site(site).columns_for("Puck", "numberPositions")
            for term in values:
                if term == UNLISTED and not capacity:
                    continue  # no column to give its positions: refused for that (tested apart)
                rows: Table = [list(r) for r in base]
                for i in lines:
                    rows[i][j] = term
                    if capacity:
                        rows[i][header.index(capacity[0].header)] = "16"
                unlisted = 0 if listed(col, term) else len(lines)
                out.append(FilledSheet(site, dump(rows), unlisted, f"{site}:{col.header}={term}"))
            continue
        per_sheet = len(base) - 1
        for start in range(0, len(values), per_sheet):
            chunk = values[start : start + per_sheet]
            rows = [list(r) for r in base]
            for i in range(1, len(rows)):
                rows[i][j] = chunk[(i - 1) % len(chunk)]
            unlisted = sum(1 for r in rows[1:] if not listed(col, r[j]))
            out.append(FilledSheet(site, dump(rows), unlisted, f"{site}:{col.header}#{start}"))
    return out


SHEETS = [sheet for site in SITES for sheet in filled_sheets(site)]


def same_text(a: str, b: str) -> bool:
    """Same text after trimming; numbers equal as numbers; blanks stay blank."""
    a, b = a.strip(), b.strip()
    if a == b:
        return True
    pa, pb = a.split(), b.split()
    if not pa or len(pa) != len(pb):
        return False
    try:
        return all(math.isclose(float(x), float(y)) for x, y in zip(pa, pb, strict=True))
    except ValueError:
        return False


def test_every_facility_is_filled_with_every_term_of_its_columns() -> None:
    assert {s.site for s in SHEETS} == set(SITES)
    for site in SITES:
        for col in controlled(site):
            written: set[str] = set()
            for sheet in (s for s in SHEETS if s.site == site):
                rows = table_of(sheet)
                j = rows[0].index(col.header)
                written |= {r[j] for r in rows[1:]}
            wanted = set(terms(col))
            if col.field == "Puck.puckType" and not get_site(site).maps("Puck", "numberPositions"):
                wanted.discard(UNLISTED)
            assert wanted <= written, (site, col.header, wanted - written)
    assert sum(s.unlisted for s in SHEETS) > len(SITES)


def table_of(sheet: FilledSheet) -> Table:
    return list(csv.reader(io.StringIO(sheet.data.decode())))


@pytest.mark.parametrize("sheet", SHEETS, ids=[s.label for s in SHEETS])
def test_a_filled_sheet_imports_at_its_facility_and_goes_back_cell_for_cell(
    sheet: FilledSheet,
) -> None:
    warnings: list[SheetProblem] = []
    msg = read_sheet(sheet.site, sheet.data, warnings=warnings)  # nothing refused
    assert len(warnings) == sheet.unlisted  # each unlisted cell said, and nothing else
    out = write_sheet(sheet.site, msg)
    assert out.losses == [] and out.warnings == []
    key = sample_header(sheet.site)
    original = {r[key]: r for r in sheet_rows(sheet.site, sheet.data)}
    back = {r[key]: r for r in sheet_rows(sheet.site, out.content)}
    assert original.keys() == back.keys()
    for sample, row in original.items():
        for header, cell in row.items():
            assert same_text(cell, back[sample][header]), (sample, header, cell, back[sample])


TARGETS = [(sheet, target) for sheet in SHEETS for target in SITES if target != sheet.site]
DEFAULTS = SheetDefaults(proposal="mx23456", puck_type="unipuck")


def test_all_thirty_facility_pairs_are_covered() -> None:
    pairs = {(sheet.site, target) for sheet, target in TARGETS}
    sources = {s.site for s in SHEETS}
    assert pairs == {(a, b) for a in sources for b in SITES if a != b}


@pytest.mark.parametrize(("sheet", "target"), TARGETS, ids=[f"{s.label}->{t}" for s, t in TARGETS])
def test_a_filled_sheet_converts_and_every_changed_cell_is_said(
    sheet: FilledSheet, target: str
) -> None:
    out = convert_sheet(sheet.site, target, sheet.data, defaults=DEFAULTS)  # the target accepts
    read_sheet(target, out.content)
    said = {(w.row, w.column) for w in out.warnings}
    lost_fields = {loss.field for loss in out.losses}
    source, goal = get_site(sheet.site), get_site(target)
    source_rows = {r[sample_header(sheet.site)]: r for r in sheet_rows(source, sheet.data)}
    for number, row in enumerate(sheet_rows(goal, out.content), start=2):
        before = source_rows[row[sample_header(target)]]
        for col in goal.columns:
            mine = [c for c in source.columns if c.field == col.field and c.field]
            if not mine or (col.transform != "text" and col.values is None):
                continue  # numbers, units and transforms are compared by the round-trip tests
            was, now = before[mine[0].header], row[col.header]
            if same_text(was, now):
                continue
            fld = (col.field or "").split(".")[1]
            kept_as = f".{mine[0].header}"  # a value only the source's extensions hold
            lost = fld in lost_fields or any(f.endswith(kept_as) for f in lost_fields)
            assert (number, col.header) in said or lost, (
                col.header,
                was,
                now,
            )
