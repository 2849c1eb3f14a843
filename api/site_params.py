"""Site names as HTTP parameters: a facility's code (``esrf``, any case) or a domain of it
(``esrf.fr``, ``massif1.esrf.fr``). The OpenAPI declares each as a pattern built from the
facilities this instance knows, and the parameter is checked against exactly that pattern, so
that a schema-valid name is one the API accepts and every other is a 422 naming the known ones.
(The library is more lenient, ``" ESRF "``; over HTTP a name is written one way.)
"""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import Path, Query
from pydantic import AfterValidator

from mxlims_store.mappings import list_sites, names_no_facility

# A DNS label, as DOMAIN_NAME_PATTERN of the model reads it; JSON Schema patterns have no
# flags, so every letter is written in both cases.
_LABEL = "[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_LAST_LABEL = "[A-Za-z0-9][A-Za-z0-9-]{0,61}[A-Za-z0-9]"


def any_case(text: str) -> str:
    """A pattern matching ``text`` in any case (letters, digits, dots and dashes)."""
    return "".join(
        f"[{c.lower()}{c.upper()}]" if c.isalpha() else ("\\." if c == "." else c) for c in text
    )


def _codes() -> str:
    return "|".join(any_case(site.code) for site in list_sites())


def facility_pattern() -> str:
    """A facility: its code, or its domain or any domain below it."""
    domains = "|".join(any_case(site.domain) for site in list_sites())
    return f"^(?:{_codes()}|(?:{_LABEL}\\.)*(?:{domains}))$"


def site_or_domain_pattern() -> str:
    """A facility's code, or any domain name (a site without a sheet of its own: its
    extensions are still its own)."""
    return f"^(?:{_codes()}|(?:{_LABEL}\\.)+{_LAST_LABEL})$"


def target_pattern() -> str:
    """Where a sheet converts to: a facility, or ``mxlims``."""
    return f"^(?:{any_case('mxlims')}|{facility_pattern()[1:-1]})$"


FACILITY = facility_pattern()
SITE_OR_DOMAIN = site_or_domain_pattern()
TARGET = target_pattern()
FACILITY_TEXT = (
    "facility: its code ("
    + ", ".join(site.code for site in list_sites())
    + ") or its domain (esrf.fr)"
)


def _checked(pattern: str) -> AfterValidator:
    def check(value: str | None) -> str | None:
        if value is not None and re.fullmatch(pattern, value) is None:
            raise ValueError(names_no_facility(value))
        return value

    return AfterValidator(check)


def _schema(pattern: str) -> dict[str, object]:
    return {"pattern": pattern, "examples": ["esrf"]}


FacilityPath = Annotated[
    str,
    _checked(FACILITY),
    Path(description=FACILITY_TEXT, json_schema_extra=_schema(FACILITY)),
]
FacilityQuery = Annotated[
    str,
    _checked(FACILITY),
    Query(description=FACILITY_TEXT, json_schema_extra=_schema(FACILITY)),
]
SourceQuery = Annotated[
    str,
    _checked(FACILITY),
    Query(alias="from", description="facility of the sheet", json_schema_extra=_schema(FACILITY)),
]
TargetQuery = Annotated[
    str,
    _checked(TARGET),
    Query(
        alias="to",
        description="facility to convert to, or `mxlims`",
        json_schema_extra=_schema(TARGET),
    ),
]
FacilityTargetQuery = Annotated[
    str,
    _checked(FACILITY),
    Query(alias="to", description="facility to convert to", json_schema_extra=_schema(FACILITY)),
]
SiteOrDomainQuery = Annotated[
    str | None,
    _checked(SITE_OR_DOMAIN),
    Query(
        description="the site whose extension overrides apply: a facility code (`esrf`) "
        "or a domain (`esrf.fr`, `massif1.esrf.fr`: its own and its facility's overrides)",
        json_schema_extra=_schema(SITE_OR_DOMAIN),
    ),
]
