"""Request parameters shared by routes: uuids, ETags, and the query language of ``GET /objects``."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header, Path, Query

from api.errors import ApiError
from mxlims_store.errors import InvalidMessage, Problem
from mxlims_store.messages.jsontext import loads
from mxlims_store.model.registry import ALL_TYPES
from mxlims_store.store import FindQuery
from mxlims_store.store.queries import MAX_LIMIT
from mxlims_store.store.walk import MAX_DEPTH

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"

ObjectUuid = Annotated[
    str, Path(pattern=UUID_PATTERN, description="MXLIMS uuid (lower-case, RFC 4122 v1-5)")
]
Depth = Annotated[
    int | None,
    Query(ge=0, le=MAX_DEPTH, description=f"levels to follow (0..{MAX_DEPTH}); all when absent"),
]


def etag(revision: int) -> str:
    return f'"{revision}"'


def revision_of(if_match: str) -> int:
    """The revision named by an If-Match ETag (``"3"``); 412 when it cannot name one."""
    match = re.fullmatch(r'\s*"?(\d{1,18})"?\s*', if_match)
    if match is None:
        raise ApiError(
            412, "PreconditionFailed", f"If-Match {if_match!r} names no revision of this object"
        )
    return int(match.group(1))


IfMatch = Annotated[
    str | None,
    Header(alias="If-Match", description='ETag of the revision the change is based on, e.g. "3"'),
]


def required_revision(if_match: str | None) -> int:
    """The revision a change is based on: If-Match must name one (428 without, or with ``*``)."""
    if if_match is None or if_match.strip() == "*":
        raise ApiError(
            428,
            "PreconditionRequired",
            "a change needs If-Match: the ETag of the object as last read (GET /objects/{uuid})",
        )
    return revision_of(if_match)


def optional_revision(if_match: str | None) -> int | None:
    """The revision a delete is conditional on; None (any) without If-Match or with ``*``."""
    if if_match is None or if_match.strip() == "*":
        return None
    return revision_of(if_match)


# ``where`` conditions: field=value, field!=value, field<value, field<=value, field>value,
# field>=value, or field:op=value for the other operators the store allows (in, nin, exists).
_CONDITION = re.compile(
    r"^(?P<field>[A-Za-z_][\w.]*)(?::(?P<op>\w+))?(?P<sign><=|>=|!=|<|>|=)(?P<value>.*)$"
)
_SIGNS = {"=": "$eq", "!=": "$ne", "<": "$lt", "<=": "$lte", ">": "$gt", ">=": "$gte"}
WHERE_HELP = (
    "condition on a standard field: `field=value`, `field!=value`, `field<value`, `field<=value`, "
    "`field>value`, `field>=value`, or `field:in=[1,2]`, `field:nin=[...]`, `field:exists=true`; "
    "values are parsed as JSON when they parse, else taken as strings; repeat for AND"
)
TYPE_NAMES = sorted(ALL_TYPES)


def json_or_text(text: str) -> Any:
    try:
        return loads(text)
    except (ValueError, RecursionError):
        return text


def parse_where(conditions: list[str]) -> tuple[dict[str, Any], list[Problem]]:
    where: dict[str, dict[str, Any]] = {}
    problems: list[Problem] = []
    for i, text in enumerate(conditions):
        match = _CONDITION.match(text)
        if match is None or (match["op"] and match["sign"] != "="):
            problems.append(
                Problem(f"where/{i}", f"cannot read {text!r}; expected e.g. positionInPuck<=8")
            )
            continue
        operator = f"${match['op']}" if match["op"] else _SIGNS[match["sign"]]
        where.setdefault(match["field"], {})[operator] = json_or_text(match["value"])
    return where, problems


def parse_identifier(text: str) -> tuple[str, str] | Problem:
    domain, sign, value = text.partition("=")
    if not sign or not domain:
        return Problem(
            "identifier", f"cannot read {text!r}; expected domain=value, e.g. esrf.fr=SHP-1"
        )
    return domain, value


def parse_extension(text: str) -> tuple[str, str | None, Any] | Problem:
    domain, colon, rest = text.partition(":")
    if not domain:
        return Problem("extension", f"cannot read {text!r}; expected domain or domain:field=value")
    if not colon:
        return domain, None, None
    name, sign, value = rest.partition("=")
    if not sign or not name:
        return Problem("extension", f"cannot read {text!r}; expected domain:field=value")
    return domain, name, json_or_text(value)


def find_query(
    type: Annotated[
        str | None, Query(description="MXLIMS type", json_schema_extra={"enum": TYPE_NAMES})
    ] = None,
    where: Annotated[list[str], Query(description=WHERE_HELP)] = [],  # noqa: B006 - FastAPI reads it
    barcode: Annotated[str | None, Query(description="same as where=barcode=...")] = None,
    name: Annotated[str | None, Query(description="same as where=name=...")] = None,
    identifier: Annotated[str | None, Query(description="site identifier, `domain=value`")] = None,
    extension: Annotated[
        str | None, Query(description="extension of a site, `domain` or `domain:field=value`")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT, description="page size")] = 100,
    after: Annotated[
        str | None,
        Query(pattern=UUID_PATTERN, description="the `next` cursor of the previous page"),
    ] = None,
    total: Annotated[bool, Query(description="also count every match")] = False,
) -> FindQuery:
    """``GET /objects`` parameters as one :class:`FindQuery`; every problem reported at once."""
    conditions, problems = parse_where(where)
    for field, value in (("barcode", barcode), ("name", name)):
        if value is not None:
            conditions.setdefault(field, {})["$eq"] = value
    ident = parse_identifier(identifier) if identifier is not None else None
    ext = parse_extension(extension) if extension is not None else None
    problems += [p for p in (ident, ext) if isinstance(p, Problem)]
    if problems:
        raise InvalidMessage(problems, f"{len(problems)} problem(s) in the query: {problems[0]}")
    return FindQuery(
        type=type,
        where=dict(conditions),
        identifier=ident if isinstance(ident, tuple) else None,
        extension=ext if isinstance(ext, tuple) else None,
        limit=limit,
        after=after,
        with_total=total,
    )
