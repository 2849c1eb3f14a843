"""Errors as HTTP: one JSON body shape (:class:`ErrorBody`) for every 4xx/5xx the API sends.

The library's exception tree is mapped to status codes in one handler (:func:`on_mxlims_error`);
errors of HTTP itself (bad JSON, wrong content type, missing If-Match, oversize body ...) are
:class:`ApiError`s raised by the API's own dependencies. A client never sees a stack trace.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from pymongo.errors import ConnectionFailure, OperationFailure
from starlette.exceptions import HTTPException
from starlette.routing import Match
from starlette.status import HTTP_500_INTERNAL_SERVER_ERROR

from mxlims_store.errors import (
    Conflict,
    InvalidMessage,
    InvalidQuery,
    MappingError,
    MxlimsError,
    NotFound,
    PermissionDenied,
    StaleRevision,
    StoreBroken,
    Unauthenticated,
    Unavailable,
)
from mxlims_store.messages.errors import readable

log = logging.getLogger("api")

# Library class -> HTTP status; looked up along the MRO, so StaleRevision wins over Conflict.
STATUS_OF: dict[type[MxlimsError], int] = {
    NotFound: 404,
    StaleRevision: 412,
    Conflict: 409,
    InvalidMessage: 422,
    InvalidQuery: 422,
    MappingError: 422,
    PermissionDenied: 403,
    Unauthenticated: 401,
    Unavailable: 503,
    StoreBroken: 503,
    MxlimsError: 400,
}

DESCRIPTIONS: dict[int, str] = {
    400: "Malformed request (e.g. the body is not valid JSON)",
    401: "No valid API key (`Authorization: Bearer <key>` or `X-API-Key`)",
    403: "The key's role does not allow this (deleting is for members and admins, keys for admins)",
    404: "No such object (or schema, site, route)",
    409: "Conflicts with what is stored",
    412: "If-Match does not name the current revision",
    413: "Body larger than the configured maximum",
    415: "Body is not JSON",
    422: "Invalid input; `problems` lists every problem with its path",
    428: "The write needs an If-Match header with the object's ETag",
    429: "Too many invalid API keys from this address (`MXLIMS_FAILED_KEY_LIMIT` a minute)",
    500: "A bug (logged on the server); the body never holds a stack trace",
    503: "The store cannot take the request now (unreachable, locked, disk full or read-only)",
}

ERROR_HEADERS = {
    401: {"WWW-Authenticate": "Bearer"},
    429: {"Retry-After": "60"},
    503: {"Retry-After": "5"},
}
_HEADERS = ERROR_HEADERS

# Declared on every route: the body limit applies to any request, and a bug is still an ErrorBody.
COMMON_ERRORS = (413, 500, 503)


class ProblemBody(BaseModel):
    """One problem: a JSON path (messages, parameters) or a sheet row and column."""

    message: str
    path: str | None = None
    row: int | None = None
    column: str | None = None


class ErrorBody(BaseModel):
    """Every error response: the error class, a readable message and, when known, each problem."""

    error: str
    message: str
    problems: list[ProblemBody] = []


class ApiError(Exception):
    """An error of the HTTP exchange itself (not of the data): status, error name, message."""

    def __init__(
        self, status: int, error: str, message: str, headers: dict[str, str] | None = None
    ):
        super().__init__(message)
        self.status, self.error, self.message, self.headers = status, error, message, headers


def errors(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` of a route: each code with its :class:`ErrorBody` model."""
    if 401 in codes:  # a route that checks keys also counts the invalid ones per address
        codes = (*codes, 429)
    return {code: {"model": ErrorBody, "description": DESCRIPTIONS[code]} for code in sorted(codes)}


class AsciiJSONResponse(JSONResponse):
    """JSON with every non-ASCII character escaped: a problem may quote a lone surrogate from
    the input (a bad key), which UTF-8 cannot encode but a JSON escape can."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, separators=(",", ":")).encode("ascii")


def error_response(
    status: int,
    error: str,
    message: str,
    problems: list[Any] | None = None,
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    body = {"error": error, "message": message, "problems": problems or []}
    return AsciiJSONResponse(body, status_code=status, headers=headers)


def status_of(error: MxlimsError) -> int:
    for cls in type(error).__mro__:
        if cls in STATUS_OF:
            return STATUS_OF[cls]
    return 400  # pragma: no cover - MxlimsError itself is in the table


async def on_mxlims_error(request: Request, exc: Exception) -> JSONResponse:
    """THE handler of the library's exception tree."""
    assert isinstance(exc, MxlimsError)
    body = exc.to_dict()
    problems = body.get("problems")
    status = status_of(exc)
    if status == 503:
        log.error("store unavailable on %s %s: %s", request.method, request.url.path, exc)
    return error_response(
        status,
        str(body["error"]),
        exc.message,
        problems if isinstance(problems, list) else None,
        headers=_HEADERS.get(status),
    )


async def on_api_error(request: Request, exc: Exception) -> Response:
    """An error of the exchange (too large, too many wrong keys ...); under the pages' paths,
    a page saying the same with the same status and headers."""
    assert isinstance(exc, ApiError)
    if is_page(request):
        return api_error_page(request, exc)
    return error_response(exc.status, exc.error, exc.message, headers=exc.headers)


def api_error_page(request: Request, exc: ApiError) -> Response:
    """The pages' error page for ``exc`` (also for middleware that answers before a route)."""
    from mxlims_store.api.pages.routes import error_page  # the pages import this module

    page = error_page(request, MxlimsError(exc.message), exc.status)
    page.headers.update(exc.headers or {})
    return page


async def on_validation_error(request: Request, exc: Exception) -> Response:
    """Bad parameters: every problem with its location (``query/limit``, ``path/uuid`` ...);
    under the pages' paths, a page saying the same."""
    assert isinstance(exc, RequestValidationError)
    broken = next((e for e in exc.errors() if e.get("type") == "json_invalid"), None)
    if broken is not None and not is_page(request):  # as POST /messages says it (api/body.py)
        said = (broken.get("ctx") or {}).get("error") or "it does not parse"
        return error_response(400, "MalformedJson", f"the body is not valid JSON: {said}")
    problems = [
        {"path": "/".join(str(part) for part in e.get("loc", ())), "message": readable(e)}
        for e in exc.errors()
    ]
    summary = "; ".join(f"{p['path']}: {p['message']}" for p in problems[:3])
    if is_page(request):
        from mxlims_store.api.pages.routes import error_page  # the pages import this module

        return error_page(request, MxlimsError(f"the form could not be read: {summary}"), 422)
    # A question asked wrong (query parameters only) is one error, however it was caught: the
    # declared bounds (limit=0) and the query grammar (where=bad) both answer InvalidQuery.
    asked = all(e.get("loc", ("",))[0] == "query" for e in exc.errors())
    name, what = ("InvalidQuery", "the query") if asked else ("InvalidRequest", "the request")
    return error_response(422, name, f"{len(problems)} problem(s) in {what}: {summary}", problems)


def is_page(request: Request) -> bool:
    """A path of the pages for people, whose errors are pages too."""
    return request.url.path == "/" or request.url.path.startswith("/pages/")


async def on_http_error(request: Request, exc: Exception) -> Response:
    """Starlette's own errors (unknown route 404, 405 ...) in the same body shape (an error
    page under the pages' paths)."""
    assert isinstance(exc, HTTPException)
    if isinstance(exc.__cause__, ApiError):  # FastAPI's 400 around a body cut at its limit
        return await on_api_error(request, exc.__cause__)
    if is_page(request):
        from mxlims_store.api.pages.routes import error_page  # the pages import this module

        said = f"no page {request.url.path}" if exc.status_code == 404 else str(exc.detail)
        page = error_page(request, MxlimsError(said), exc.status_code)
        if exc.status_code == 405:
            page.headers["Allow"] = allowed_methods(request)
        return page
    name = "".join(word.capitalize() for word in _phrase(exc.status_code).split()) or "HttpError"
    message = str(exc.detail)
    if exc.status_code == 400 and message == FASTAPI_BODY_ERROR:  # bytes that are not UTF-8
        name, message = "MalformedJson", "the body is not valid JSON: it must be UTF-8 text"
    if exc.status_code in (404, 405) and message == _phrase(exc.status_code):
        message = f"{message}: no route {request.method} {request.url.path}"
    headers = exc.headers
    if exc.status_code == 405:
        headers = {**(headers or {}), "Allow": allowed_methods(request)}
    return error_response(exc.status_code, name, message, headers=headers)


# What FastAPI says of a JSON body it cannot decode (not UTF-8); it parses the rest itself.
FASTAPI_BODY_ERROR = "There was an error parsing the body"
METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(request: Request) -> str:
    """Every method a route serves at this path. (Starlette's own 405 names the methods of the
    first route whose path matches; here a path has one route per method.)"""
    routes = request.app.router.routes
    allowed = [
        method
        for method in METHODS
        if any(r.matches({**request.scope, "method": method})[0] == Match.FULL for r in routes)
    ]
    return ", ".join(allowed)


async def on_unexpected_error(request: Request, exc: Exception) -> Response:
    """A bug: answered without a traceback (the server logs it: Starlette re-raises it after);
    under the pages' paths, an error page saying the same."""
    said = "internal error; see the server log"
    if is_page(request):
        from mxlims_store.api.pages.routes import error_page  # the pages import this module
        from mxlims_store.api.pages.session import PAGE_HEADERS

        try:
            page = error_page(request, MxlimsError(said), HTTP_500_INTERNAL_SERVER_ERROR)
        except Exception:  # the page itself cannot be drawn: the API's answer, as before
            log.exception("the error page of a failed page could not be drawn")
        else:  # answered outside the middleware that adds them to every page
            page.headers.update({name.decode(): value.decode() for name, value in PAGE_HEADERS})
            return page
    return error_response(HTTP_500_INTERNAL_SERVER_ERROR, "InternalError", said)


async def on_store_unreachable(request: Request, exc: Exception) -> JSONResponse:
    log.error("database unreachable on %s %s: %s", request.method, request.url.path, exc)
    return error_response(
        503, "StoreUnavailable", "the database cannot be reached; try again later"
    )


async def on_refused_by_database(request: Request, exc: Exception) -> JSONResponse:
    """A query or write the database refused: the request was bad, though no check caught it."""
    log.warning("database refused %s %s: %s", request.method, request.url.path, exc)
    return error_response(422, "RefusedByDatabase", f"the database refused the request: {exc}")


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return ""


def install_error_handlers(app: FastAPI) -> None:
    app.add_exception_handler(MxlimsError, on_mxlims_error)
    app.add_exception_handler(ApiError, on_api_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(HTTPException, on_http_error)
    app.add_exception_handler(ConnectionFailure, on_store_unreachable)
    app.add_exception_handler(OperationFailure, on_refused_by_database)
    app.add_exception_handler(Exception, on_unexpected_error)
