"""A large MXLIMS message encoded in pieces, byte for byte as ``orjson.dumps`` encodes it whole.

``orjson.dumps`` holds the interpreter lock from start to end: 3.4 MB of results file is 4.5-7.6
ms in which the event loop, waiting for the lock, answered nobody (``/health`` included), though
the encoding runs in a thread. Encoded one object at a time (the message's type sections and
their objects), the thread lets go of the lock between objects every switch interval (1 ms,
api/main.py). The bytes are the same, so kept downloads keep their ETags.
"""

from __future__ import annotations

from typing import Any

import orjson

SPLIT_LEVELS = 2  # the message, then each type's section; each object is one piece
INDENT = b"  "  # orjson.OPT_INDENT_2


def encoded(message: Any, *, indent: bool = False) -> bytes:
    """``orjson.dumps(message)`` (with ``OPT_INDENT_2`` when ``indent``), made in pieces."""
    return b"".join(_pieces(message, indent, 0, SPLIT_LEVELS))


def _pieces(value: Any, indent: bool, level: int, split: int) -> list[bytes]:
    if not split or not _splittable(value):
        whole = orjson.dumps(value, option=orjson.OPT_INDENT_2 if indent else 0)
        if indent and level:  # nested: every line but the first one level further in
            whole = whole.replace(b"\n", b"\n" + INDENT * level)  # (strings escape newlines)
        return [whole]
    if indent:
        inside = b"\n" + INDENT * (level + 1)
        opening, between, closing, colon = (
            b"{" + inside,
            b"," + inside,
            b"\n" + INDENT * level + b"}",
            b": ",
        )
    else:
        opening, between, closing, colon = b"{", b",", b"}", b":"
    out = [opening]
    for number, (key, item) in enumerate(value.items()):
        if number:
            out.append(between)
        out += [orjson.dumps(key), colon, *_pieces(item, indent, level + 1, split - 1)]
    out.append(closing)
    return out


def _splittable(value: Any) -> bool:
    """A non-empty dict with string keys only (anything else is encoded whole, as orjson
    would: it refuses other keys)."""
    return type(value) is dict and bool(value) and all(type(key) is str for key in value)
