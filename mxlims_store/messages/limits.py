"""What a database can hold, checked before a value reaches the model or the store.

JSON parsers hand over values that BSON cannot carry (integers beyond 64 bits, ``inf`` from
``1e400``, lone UTF-16 surrogates) and free-form extension values can nest arbitrarily deep.
Each of these would otherwise fail late, inside a write or an export.
"""

from __future__ import annotations

import math
import re
from typing import Any

from mxlims_store.errors import Problem
from mxlims_store.messages.jsontext import Underflow
from mxlims_store.messages.paths import join

MAX_DEPTH = 32
INT64 = (-(2**63), 2**63 - 1)
# The standard sets no lengths. A name shows in lists and labels: 200 characters is more than any
# barcode, acronym or sample name needs (a 10 MB name made a staff list page 16 MB). Free text
# (comments, descriptions, extension values) is bounded too, far above any real note.
NAME_FIELDS = frozenset({"name", "barcode", "acronym", "proposalCode", "code"})
MAX_NAME = 200
MAX_TEXT = 65_536
# A name is one line of text: a control character (NUL, a line break, a tab, an escape) in a
# barcode or a sample name breaks labels, sheets and exports, and two names that print the same
# would differ. Free text (comments, descriptions) keeps its line breaks. C0, DEL and C1 (NEL
# U+0085 is a line break; a cp1252 sheet read as latin-1 puts U+0080-009F in names), as
# logistics events refuse them (store/logistics.py ``unprintable``).
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def storable_problems(
    value: Any, path: str, depth: int = 0, *, keys: str = "object"
) -> list[Problem]:
    """Problems of ``value`` (a JSON value) that no store could keep, each with its path.

    ``keys`` says which keys a document database cannot hold faithfully here: ``"object"`` for
    an MXLIMS object (no NUL, no leading ``$`` anywhere; no dot in the keys inside an extension,
    below its domain), ``"any"`` for values that are not stored as keys (query operands).
    Paths are built only when there is a problem: the clean case is one quick pass.
    """
    if _clean(value, depth, keys):
        return []
    return _problems(value, path, depth, keys)


def _clean(value: Any, depth: int, keys: str) -> bool:
    """True when :func:`_problems` would find nothing (plain JSON types only; anything else
    takes the thorough path)."""
    kind = type(value)
    if kind is str:
        return len(value) <= MAX_TEXT and (value.isascii() or _encodable(value))
    if kind is dict:
        if depth >= MAX_DEPTH:
            return False
        # the rule one level down; it varies per key only among an object's own fields
        below = None if depth == 0 and keys == "object" else _below(keys, "", depth)
        for key, item in value.items():
            if type(key) is not str or not _clean_key(key, keys):
                return False
            if (
                depth == 0
                and type(item) is str
                and key in NAME_FIELDS
                and (len(item) > MAX_NAME or not plain_name(item))
            ):
                return False
            if not _clean(item, depth + 1, below or _below(keys, key, depth)):
                return False
        return True
    if kind is list:
        return depth < MAX_DEPTH and all(_clean(item, depth + 1, keys) for item in value)
    if kind is int:
        return bool(INT64[0] <= value <= INT64[1])
    if kind is float:
        return math.isfinite(value)
    return value is None or kind is bool


def _clean_key(key: str, keys: str) -> bool:
    if not (key.isascii() or _encodable(key)):
        return False
    if keys == "any":
        return True
    if "\x00" in key or key.startswith("$"):
        return False
    return keys != "no-dots" or "." not in key


def _problems(value: Any, path: str, depth: int, keys: str) -> list[Problem]:
    if depth > MAX_DEPTH:
        return [Problem(path, f"nested deeper than {MAX_DEPTH} levels")]
    if isinstance(value, dict):
        found: list[Problem] = []
        for key, item in value.items():
            child = join(path, key)
            found += _key_problems(key, child, keys)
            if depth == 0 and isinstance(item, str) and key in NAME_FIELDS:
                if len(item) > MAX_NAME:
                    found.append(
                        Problem(child, f"at most {MAX_NAME} characters ({len(item):,} given)")
                    )
                    continue
                if not plain_name(item):
                    found.append(Problem(child, _control_problem(item)))
                    continue
            found += _problems(item, child, depth + 1, _below(keys, key, depth))
        return found
    if isinstance(value, list):
        return [
            p for i, v in enumerate(value) for p in _problems(v, join(path, i), depth + 1, keys)
        ]
    if isinstance(value, bool):
        return []
    if isinstance(value, int) and not INT64[0] <= value <= INT64[1]:
        return [Problem(path, "integer out of the 64-bit range")]
    if isinstance(value, Underflow):
        return [Problem(path, "too small to be a number here: it would be stored as 0")]
    if isinstance(value, float) and not math.isfinite(value):
        return [Problem(path, "must be a finite number")]
    if isinstance(value, str) and len(value) > MAX_TEXT:
        return [Problem(path, f"text of at most {MAX_TEXT:,} characters ({len(value):,} given)")]
    if isinstance(value, str) and not _encodable(value):
        return [Problem(path, "is not valid UTF-8 text (lone surrogate)")]
    return []


def plain_name(text: str) -> bool:
    """True for a name without control characters (printable text has none: the quick test)."""
    return text.isprintable() or _CONTROL.search(text) is None


def _control_problem(text: str) -> str:
    found = _CONTROL.search(text)
    assert found is not None
    return (
        f"a name may not contain control characters ({found.group()!r} at character "
        f"{found.start() + 1}): one line of text, no NUL, tab or line break"
    )


def _below(keys: str, key: str, depth: int) -> str:
    """The key rule one level down: extension domains may hold dots, what is inside may not."""
    if keys == "object" and depth == 0 and key == "extensions":
        return "domains"
    if keys == "object" and depth == 0 and key.endswith(("Ref", "Refs")):
        return "any"  # {"$ref": ...}: the message's own link syntax, resolved by the reader
    if keys == "domains":
        return "no-dots"
    return keys


def _key_problems(key: str, path: str, keys: str) -> list[Problem]:
    if not _encodable(key):
        return [Problem(path, f"key {key!r} is not valid UTF-8 text")]
    if keys == "any":
        return []
    if "\x00" in key:
        return [Problem(path, "a key may not contain a NUL character")]
    if key.startswith("$"):
        return [Problem(path, f"a key may not begin with '$' ({key!r})")]
    if keys == "no-dots" and "." in key:
        return [Problem(path, f"an extension field name may not contain '.' ({key!r})")]
    return []


def encodable(text: object) -> bool:
    """True for text UTF-8 can carry (no lone surrogate)."""
    return _encodable(text)


def _encodable(text: object) -> bool:
    try:
        str(text).encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


# The quick pass and the key rule, for the clean path of reading (clean_read.py).
clean_value = _clean
below = _below
