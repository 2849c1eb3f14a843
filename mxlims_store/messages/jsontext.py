"""JSON text as MXLIMS input: strict, so that what is read means one thing.

``NaN`` and ``Infinity`` are refused (they could never be sent back as JSON), and so is a key
given twice in one object: a parser would otherwise keep the last one silently (a second
``Shipment1``, or ``version`` written twice as ``"9.9"`` then ``"0.6.13"``). The CLI, the API
and the pages all read messages through :func:`loads`.
"""

from __future__ import annotations

import json
import re
from typing import Any

_NONZERO_DIGITS = re.compile(r"[1-9]")
_TOO_MANY_DIGITS = re.compile(r"integer string conversion: value has (\d+) digits")


class Underflow(float):
    """A number written non-zero that is too small for a float: every reader makes it 0.0, so
    it is refused with its path (as one too large is), never stored as 0."""


def _number(text: str) -> float:
    value = float(text)
    if value == 0.0 and _NONZERO_DIGITS.search(re.split("[eE]", text, maxsplit=1)[0]):
        return Underflow(0.0)
    return value


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not a JSON number")


def _unique(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result: dict[str, Any] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError(f"the key {key!r} is given twice in one object")
        result[key] = value
    return result


def loads(text: str | bytes) -> Any:
    """Parse strict JSON; ValueError (json.JSONDecodeError where the syntax is wrong) else.
    Bytes must be UTF-8 (RFC 8259): UTF-16 and UTF-32, which a parser could guess, are refused."""
    if isinstance(text, bytes | bytearray):
        try:
            # a leading BOM is tolerated (RFC 8259 allows it); an encoded lone surrogate gets
            # through to be reported with its JSON path, as before
            text = bytes(text).removeprefix(b"\xef\xbb\xbf").decode("utf-8", "surrogatepass")
        except UnicodeDecodeError as error:
            raise ValueError(
                f"JSON must be UTF-8; byte {error.start} ({text[error.start]:#04x}) is not"
            ) from None
    try:
        return json.loads(
            text, parse_constant=_reject_constant, object_pairs_hook=_unique, parse_float=_number
        )
    except ValueError as error:
        # int() refuses over 4,300 digits telling the caller to call sys.set_int_max_str_digits()
        # on the server: the reader's own words instead (caught here, so every number is still
        # parsed by the C scanner at full speed)
        too_long = _TOO_MANY_DIGITS.search(str(error))
        if too_long is None:
            raise
        raise ValueError(
            f"a number of {int(too_long[1]):,} digits is longer than any that is read"
        ) from None
