"""Validation messages a person can act on.

Pydantic's own words list every allowed value (about 1,000 space-group spellings) or print the
regular expression a value failed; these name the value, the field's kind and at most a few
close matches instead.
"""

from __future__ import annotations

import difflib
import re
from typing import Any

_QUOTED = re.compile(r"'((?:[^'\\]|\\.)*)'")
_KNOWN_PATTERNS = {
    "[0-9a-f]{8}-[0-9a-f]{4}-[1-5]": "a lower-case RFC 4122 version 1-5 uuid",
}


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
