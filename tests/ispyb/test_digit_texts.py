"""Numbers ISPyB keeps as text (BLSample.location, Container.sampleChangerLocation, a pin's
position) and the ISPyB rows objects keep as identifiers ("BLSample:1234", which any message may
write) are read as numbers only when they are plain ASCII digits a row id can be: a superscript
('²' is a digit to str.isdigit, yet int('²') fails) or 5,000 digits are no number, never a crash
of a push or a pull. No database needed."""

from __future__ import annotations

import pytest

from mxlims_store.ispyb.identity import parse_row
from mxlims_store.ispyb.pull import _position
from mxlims_store.ispyb.table import Column, to_mxlims

NOT_NUMBERS = ["²", "1²", "9" * 5000, "", "-1", "1.5"]
LOCATION = Column(field="positionInPuck", column="location", unit="integer", ispyb_unit="text")


@pytest.mark.parametrize("text", NOT_NUMBERS)
def test_text_that_is_no_row_number_is_none(text: str) -> None:
    assert parse_row(f"BLSample:{text}") is None
    assert _position(text) is None
    assert to_mxlims(LOCATION, text, single_precision=False) is None


def test_plain_numbers_still_read() -> None:
    assert parse_row("BLSample:1234") == ("BLSample", 1234)
    assert _position(" 7 ") == 7
    assert to_mxlims(LOCATION, "16", single_precision=False) == 16
