"""The key is checked before a request's body is read.

A request that writes (POST, PUT, PATCH, DELETE under the API's prefix) without a valid key is
answered 401 at once, with ``Connection: close``: not a byte of its body is read, so a keyless
client cannot hold a connection by trickling an upload, nor make the server parse one; and the
401 comes before any other complaint about the request (a missing content type is a 415 only
for a caller who may write). The routes check the key again through ``StoreDep`` as always.
"""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from mxlims_store.api.errors import error_response, status_of
from mxlims_store.errors import MxlimsError

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def presented_key(headers: list[tuple[bytes, bytes]]) -> str | None:
    """The key of ``Authorization: Bearer`` or ``X-API-Key`` (two different ones: none)."""
    bearer = header = None
    for name, value in headers:
        if name == b"authorization":
            scheme, _, token = value.decode("latin-1").partition(" ")
            if scheme.lower() == "bearer" and token.strip():
                bearer = token.strip()
        elif name == b"x-api-key":
            header = value.decode("latin-1").strip() or None
    if bearer is not None and header is not None and bearer != header:
        return None
    return bearer or header


class KeyFirst:
    """ASGI middleware: writes under ``prefix`` are authenticated before their body is read."""

    def __init__(self, app: ASGIApp, prefix: str) -> None:
        self.app, self.prefix = app, prefix.rstrip("/") + "/"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] != "http"
            or scope["method"] not in WRITES
            or not scope["path"].startswith(self.prefix)
        ):
            await self.app(scope, receive, send)
            return
        store = scope["app"].state.store
        try:
            await store.authenticate(presented_key(scope["headers"]))
        except MxlimsError as error:
            status = status_of(error)
            headers = {"Connection": "close"}
            if status == 401:
                headers["WWW-Authenticate"] = "Bearer"
            elif status == 503:
                headers["Retry-After"] = "5"
            body = error.to_dict()
            response = error_response(status, str(body["error"]), error.message, headers=headers)
            await response(scope, receive, send)
            return
        await self.app(scope, receive, send)
