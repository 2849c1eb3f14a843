"""Request bodies: a size limit for every request, and JSON parsing that names what is wrong.

The limit is enforced twice: a declared ``Content-Length`` above it is refused before anything is
read, and the bytes actually received are counted (a chunked or lying upload stops at the limit).
"""

from __future__ import annotations

import asyncio
from typing import Annotated, Any

from fastapi import Depends, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mxlims_store.api.errors import ApiError, api_error_page, error_response
from mxlims_store.messages.jsontext import loads

JSON_TYPES = ("application/json",)
PARSED_IN_PLACE = 64 * 1024  # bytes: parsed on the event loop (well under a millisecond)


class BodyTooLarge(ApiError):
    def __init__(self, limit: int) -> None:
        super().__init__(413, "BodyTooLarge", f"the request body is larger than {limit} bytes")


class BodyLimit:
    """ASGI middleware refusing request bodies larger than ``max_bytes`` with 413."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app, self.max_bytes = app, max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
            too_large = BodyTooLarge(self.max_bytes)
            response: Response = error_response(
                too_large.status, too_large.error, too_large.message
            )
            if scope["path"].startswith("/pages/"):  # a page gets a page
                response = api_error_page(Request(scope), too_large)
            await response(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise BodyTooLarge(self.max_bytes)
            return message

        await self.app(scope, counting_receive, send)


def is_json(content_type: str | None) -> bool:
    media = (content_type or "").split(";", 1)[0].strip().lower()
    return media in JSON_TYPES or (media.startswith("application/") and media.endswith("+json"))


async def json_body(request: Request) -> Any:
    """The parsed JSON body; 415 when it is not declared JSON, 400 when it does not parse.

    A large body is parsed in a worker thread: one near the limit takes seconds (6 s for a
    63 MiB message), and the server must go on answering others meanwhile. A small one (a
    16-pin shipment is 15 kB: 0.15 ms) is parsed in place, where the trip to a thread and back
    would cost more than the parse."""
    content_type = request.headers.get("content-type")
    if not is_json(content_type):
        raise ApiError(
            415,
            "UnsupportedMediaType",
            f"the body must be JSON (application/json), not {content_type or 'undeclared'}",
        )
    raw = await request.body()
    if not raw.strip():
        raise ApiError(400, "MalformedJson", "the request body is empty; expected a JSON document")
    try:
        return loads(raw) if len(raw) <= PARSED_IN_PLACE else await asyncio.to_thread(loads, raw)
    except RecursionError:
        raise ApiError(400, "MalformedJson", "the JSON document is nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "MalformedJson", f"the body is not valid JSON: {error}") from None


async def json_object(body: Annotated[Any, Depends(json_body)]) -> dict[str, Any]:
    """The JSON body, which must be an object."""
    if not isinstance(body, dict):
        raise ApiError(
            422, "InvalidRequest", f"the body must be a JSON object, not {_json_type(body)}"
        )
    return body


def _json_type(value: Any) -> str:
    names = {
        list: "an array",
        str: "a string",
        bool: "a boolean",
        int: "a number",
        float: "a number",
    }
    return "null" if value is None else names.get(type(value), type(value).__name__)


JsonBody = Annotated[Any, Depends(json_body)]
MessageBody = JsonBody  # the library's reader reports every problem of a message itself
JsonObject = Annotated[dict[str, Any], Depends(json_object)]
