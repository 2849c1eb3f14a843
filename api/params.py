"""Request parameters shared by routes: uuids, ETags, and the query language of ``GET /objects``."""

from __future__ import annotations

import re
from typing import Annotated, Any, get_args, get_origin
from urllib.parse import unquote_to_bytes

from fastapi import Header, Path, Query, Request

from mxlims_store.answers import ImportReport
from mxlims_store.api.errors import ApiError
from mxlims_store.model.registry import ALL_TYPES
from mxlims_store.store import FindQuery
from mxlims_store.store.policies import GRAMMAR
from mxlims_store.store.queries import MAX_LIMIT
from mxlims_store.store.query_language import QueryText, parse_query
from mxlims_store.store.walk import MAX_DEPTH

API_PREFIX = "/api/v1"  # where the API is served (the pages and /health are at the root)
UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"

ObjectUuid = Annotated[
    str, Path(pattern=UUID_PATTERN, description="MXLIMS uuid (lower-case, RFC 4122 v1-5)")
]
Depth = Annotated[
    int | None,
    Query(ge=0, le=MAX_DEPTH, description=f"levels to follow (0..{MAX_DEPTH}); all when absent"),
]


async def utf8_query(request: Request) -> None:
    """The query string is read as asked or refused, never guessed at: percent-escapes that are
    not UTF-8 (a lone surrogate, a stray byte) would search for U+FFFD; on the API, a parameter
    the route does not take (a typo: ``wher=``, ``dryRun=``) or one given twice that takes one
    value would be ignored or half-used. Each is a 422 naming the parameter. (A coroutine,
    though it never waits: FastAPI runs a plain function in a worker thread, a hop per request.)"""
    raw = request.scope.get("query_string", b"")
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(
            422, "InvalidQuery", "the query string is not UTF-8: a %-escape names bytes no text has"
        ) from None
    route = request.scope.get("route")
    if not request.url.path.startswith(API_PREFIX) or route is None:
        return  # the pages read their own forms
    single, repeatable = _query_names(route)
    given = [name for name, _ in request.query_params.multi_items()]
    unknown = sorted({n for n in given if n not in single and n not in repeatable})
    twice = sorted({n for n in given if n in single and given.count(n) > 1})
    if unknown:
        known = ", ".join(sorted(single | repeatable)) or "none"
        raise ApiError(
            422, "InvalidQuery", f"unknown query parameter(s) {', '.join(unknown)}; known: {known}"
        )
    if twice:
        raise ApiError(422, "InvalidQuery", f"{', '.join(twice)} given twice; it takes one value")


_QUERY_NAMES: dict[int, tuple[frozenset[str], frozenset[str]]] = {}


def _query_names(route: Any) -> tuple[frozenset[str], frozenset[str]]:
    """(query parameters taking one value, those taking a list) of a route, looked up once."""
    if id(route) not in _QUERY_NAMES:
        fields, pending = [], [route.dependant]
        while pending:  # the route's own parameters and those of its dependencies
            dependant = pending.pop()
            fields += dependant.query_params
            pending += dependant.dependencies
        many = frozenset(f.alias for f in fields if _takes_a_list(f.field_info.annotation))
        _QUERY_NAMES[id(route)] = (frozenset(f.alias for f in fields) - many, many)
    return _QUERY_NAMES[id(route)]


def _takes_a_list(annotation: Any) -> bool:
    if get_origin(annotation) in (list, tuple, set, frozenset):
        return True
    return any(_takes_a_list(arg) for arg in get_args(annotation) if arg is not type(None))


def location(request: Request, path: str) -> str:
    """The URL of a resource this API serves, for a ``Location`` header."""
    return f"{request.scope.get('root_path', '')}{API_PREFIX}{path}"


def created_root(report: ImportReport) -> str:
    """The uuid a 201 of an import points at: its shipment, else the first object of a type
    it created (a results return creates datasets, and points at the first of them)."""
    if report.shipment:
        return report.shipment
    created = [u for k, u in report.keys.items() if k.split("/")[0] in report.created]
    return (created or list(report.keys.values()))[0]


def etag(revision: int) -> str:
    return f'"{revision}"'


# What If-Match may hold: the ETag this API sends ("3"), quoted or bare; a delete may also say
# "*" (any revision). The OpenAPI declares these patterns and the checks below enforce exactly
# them, so that a schema-valid If-Match is one the API reads.
ETAG_PATTERN = r'^("[0-9]{1,18}"|[0-9]{1,18})$'
ETAG_OR_ANY_PATTERN = r'^(\*|"[0-9]{1,18}"|[0-9]{1,18})$'


def revision_of(if_match: str) -> int:
    """The revision named by an If-Match ETag (``"3"``); 422 when it is not one this API sends."""
    if re.fullmatch(ETAG_PATTERN, if_match) is None:
        raise ApiError(
            422,
            "InvalidRequest",
            f'If-Match {if_match!r} is not an ETag of this API: send the ETag as read, e.g. "3"',
        )
    return int(if_match.strip('"'))


IfMatch = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='ETag of the revision the change is based on, e.g. "3"',
        json_schema_extra={"pattern": ETAG_PATTERN},
    ),
]
IfMatchOrAny = Annotated[
    str | None,
    Header(
        alias="If-Match",
        description='ETag of the revision to delete, e.g. "3", or `*`: whichever is current',
        json_schema_extra={"pattern": ETAG_OR_ANY_PATTERN},
    ),
]


def required_revision(if_match: str | None) -> int:
    """The revision a change is based on: If-Match must name one (428 without, or with ``*``)."""
    if if_match is None or if_match == "*":
        raise ApiError(
            428,
            "PreconditionRequired",
            "a change needs If-Match: the ETag of the object as last read (GET /objects/{uuid})",
        )
    return revision_of(if_match)


def optional_revision(if_match: str | None) -> int | None:
    """The revision a delete is conditional on; None (any) without If-Match or with ``*``."""
    if if_match is None or if_match == "*":
        return None
    return revision_of(if_match)


TYPE_NAMES = sorted(ALL_TYPES)


def find_query(
    type: Annotated[
        str | None, Query(description="MXLIMS type", json_schema_extra={"enum": TYPE_NAMES})
    ] = None,
    where: Annotated[list[str], Query(description=GRAMMAR)] = [],  # noqa: B006 - FastAPI reads it
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
    """``GET /objects`` parameters as one :class:`FindQuery`, read by the library's one query
    grammar (the CLI's ``find`` reads the same); every problem reported at once."""
    shortcuts = [f"{f}={v}" for f, v in (("barcode", barcode), ("name", name)) if v is not None]
    return parse_query(
        QueryText(type, [*where, *shortcuts], identifier, extension, limit, after, total)
    )
