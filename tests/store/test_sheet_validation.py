"""Each sheet validation rule, through the store: the problem names row and column, and the
store is left exactly as it was (``stats`` before == after)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from mxlims_store.errors import MappingError
from mxlims_store.store import Store
from tests.mappings.mapping_helpers import fixture
from tests.mappings.test_mappings_validation import Table, dump, setcell, table


def _drop_column(header: str) -> Callable[[Table], None]:
    def drop(rows: Table) -> None:
        j = rows[0].index(header)
        for row in rows:
            del row[j]

    return drop


def _cut_row(rows: Table) -> None:
    rows[4] = rows[4][:5]


@dataclass(frozen=True)
class Case:
    id: str
    site: str
    edit: Callable[[Table], object]
    row: int | None
    column: str | None


CASES = [
    Case(
        "non-numeric",
        "dls",
        lambda r: setcell(r, 3, "preObsResolution", "high"),
        3,
        "preObsResolution",
    ),
    Case(
        "out-of-range", "maxiv", lambda r: setcell(r, 4, "transmission", "150"), 4, "transmission"
    ),
    Case(
        "negative-resolution",
        "esrf",
        lambda r: setcell(r, 6, "aimed Resolution", "-1.5"),
        6,
        "aimed Resolution",
    ),
    Case("unknown-space-group", "esrf", lambda r: setcell(r, 7, "SPG", "P7"), 7, "SPG"),
    Case(
        "position-beyond-capacity",
        "dls",
        lambda r: setcell(r, 9, "samplePosition", "17"),
        9,
        "samplePosition",
    ),
    Case(
        "two-pins-one-position",
        "soleil",
        lambda r: setcell(r, 3, "Sample position", "1"),
        3,
        "Sample position",
    ),
    Case(
        "duplicate-barcode",
        "petraiii",
        lambda r: setcell(r, 12, "sampleBarcode", "P11-900"),
        12,
        "sampleBarcode",
    ),
    Case("missing-required-column", "dls", _drop_column("sampleName"), None, "sampleName"),
    Case("wrong-number-of-cells", "soleil", _cut_row, 5, None),
    Case("empty-sheet", "esrf", lambda r: r.__setitem__(slice(1, None), []), None, None),
]


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.id)
async def test_bad_sheet_names_row_and_column_and_stores_nothing(store: Store, case: Case) -> None:
    data, name = fixture("esrf")
    await store.import_sheet("esrf", data, filename=name)  # something already stored
    before = await store.stats()
    rows = table(case.site)
    case.edit(rows)
    with pytest.raises(MappingError) as caught:
        await store.import_sheet(case.site, dump(rows), filename="bad.csv")
    assert (case.row, case.column) in {(p.row, p.column) for p in caught.value.problems}
    assert await store.stats() == before
