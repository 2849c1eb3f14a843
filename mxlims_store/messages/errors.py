"""Validation messages a person can act on.

Pydantic's own words list every allowed value (about 1,000 space-group spellings) or print the
regular expression a value failed; these name the value, the field's kind and at most a few
close matches instead.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Callable
from typing import Any

from pydantic import ValidationError

from mxlims_store.errors import Problem
from mxlims_store.messages.paths import loc_path
from mxlims_store.model.basic_types import UUID_PATTERN
from mxlims_store.model.registry import parse_object

Loc = tuple[int | str, ...]
_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_KNOWN_PATTERNS = {UUID_PATTERN: "a lower-case RFC 4122 version 1-5 uuid"}


def readable(error: Any) -> str:
    """The message for one pydantic error (a dict of ``ValidationError.errors()``)."""
    kind, message = error.get("type"), str(error.get("msg", ""))
    if kind in ("literal_error", "enum"):
        allowed = _QUOTED.findall(str((error.get("ctx") or {}).get("expected", "")))
        given = error.get("input")
        if len(allowed) > 8:
            close = difflib.get_close_matches(str(given), allowed, n=3, cutoff=0.5)
            hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
            return f"{given!r} is not one of the {len(allowed)} allowed values{hint}"
        return f"{given!r} is not allowed; use one of {', '.join(map(repr, allowed))}"
    if kind == "string_pattern_mismatch":
        pattern = str((error.get("ctx") or {}).get("pattern", ""))
        for fragment, meaning in _KNOWN_PATTERNS.items():
            if fragment in pattern:
                return f"{error.get('input')!r} is not {meaning}"
        return f"{error.get('input')!r} is not in the form this field takes"
    return message


def validation_problems(
    error: ValidationError, path: str = "", name: Callable[[Loc], Loc] = lambda loc: loc
) -> list[Problem]:
    """One problem per error of a model, at ``path`` + the error's location (as ``name`` calls
    it)."""
    return [Problem(loc_path(path, name(e["loc"])), readable(e)) for e in error.errors()]


def object_problems(obj: dict[str, Any], path: str = "") -> list[Problem]:
    """What the model of its type finds wrong with a store-form object (none: valid)."""
    try:
        parse_object(obj)
    except ValidationError as error:
        return validation_problems(error, path)
    except ValueError as error:  # no or an unknown mxlimsType
        return [Problem(path, str(error))]
    return []
