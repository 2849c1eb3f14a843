"""Request parameters shared by routes: uuids, ETags, and the query language of ``GET /objects``."""

from __future__ import annotations

import re
from typing import Annotated
from urllib.parse import unquote_to_bytes

from fastapi import Header, Path, Query, Request

from api.errors import ApiError
from mxlims_store.answers import ImportReport
from mxlims_store.model.registry import ALL_TYPES
from mxlims_store.store import FindQuery
from mxlims_store.store.queries import MAX_LIMIT
from mxlims_store.store.query_language import GRAMMAR, QueryText, parse_query
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


def utf8_query(request: Request) -> None:
    """A query string whose percent-escapes are not UTF-8 (a lone surrogate, a stray byte) is
    refused: decoding it would silently search for U+FFFD instead."""
    raw = request.scope.get("query_string", b"")
    try:
        unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(
            422, "InvalidQuery", "the query string is not UTF-8: a %-escape names bytes no text has"
        ) from None


def location(request: Request, path: str) -> str:
    """The URL of a resource this API serves, for a ``Location`` header."""
    return f"{request.scope.get('root_path', '')}{API_PREFIX}{path}"


def created_root(report: ImportReport) -> str:
    """The uuid a 201 of an import points at: its shipment, else its first object."""
    return report.shipment or next(iter(report.keys.values()))


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
