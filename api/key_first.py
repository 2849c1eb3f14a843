"""The key is checked before a request's body is read.

A request that writes (POST, PUT, PATCH, DELETE under the API's prefix) without a valid key is
answered 401 at once, with ``Connection: close``: not a byte of its body is read, so a keyless
client cannot hold a connection by trickling an upload, nor make the server parse one; and the
401 comes before any other complaint about the request (a missing content type is a 415 only
for a caller who may write). The caller it found is kept in the request's scope (``CALLER``):
``StoreDep`` takes it from there instead of looking the key up a second time for the same
request (under load each look-up is a trip to a database thread and back).

The pages' forms are posted with a session cookie instead: one posted without any is sent to
the sign-in page unread, and the sign-in form itself (the one keyless form) may be small only.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mxlims_store.api.body import BodyTooLarge
from mxlims_store.api.errors import ApiError, api_error_page, error_response, status_of
from mxlims_store.api.rate_limits import note_failure
from mxlims_store.errors import MxlimsError, Unauthenticated

WRITES = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SESSION_COOKIE = b"mxlims_session="  # the pages' session (api/pages/session.py)
SIGN_IN = "/pages/login"
CALLER = "mxlims_caller"  # scope["state"] key: the caller this request's key was checked as
MAX_SIGN_IN_BODY = 16 * 1024  # a key and a token


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
        if scope["type"] != "http" or scope["method"] not in WRITES:
            await self.app(scope, receive, send)
            return
        if scope["path"].startswith("/pages/"):
            await self._page_form(scope, receive, send)
            return
        if not scope["path"].startswith(self.prefix):
            await self.app(scope, receive, send)
            return
        store = scope["app"].state.store
        presented = presented_key(scope["headers"])
        request = Request(scope)
        try:
            try:
                caller = await store.authenticate(presented)
            except Unauthenticated:
                if presented:  # a wrong key counts against its address, here as in StoreDep
                    await note_failure(request)
                raise
        except ApiError as refused:  # too many wrong keys from this address: 429
            response = error_response(
                refused.status,
                refused.error,
                refused.message,
                headers={**(refused.headers or {}), "Connection": "close"},
            )
            await response(scope, receive, send)
            return
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
        scope.setdefault("state", {})[CALLER] = (presented, caller)
        await self.app(scope, receive, send)

    async def _page_form(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["path"] == SIGN_IN:
            declared = dict(scope["headers"]).get(b"content-length", b"0")
            if not declared.isdigit() or int(declared) > MAX_SIGN_IN_BODY:
                page = api_error_page(Request(scope), BodyTooLarge(MAX_SIGN_IN_BODY))
                page.headers["Connection"] = "close"
                await page(scope, receive, send)
                return
            await self.app(scope, _capped(receive, MAX_SIGN_IN_BODY), send)  # a lying length
            return
        cookies = b";".join(value for name, value in scope["headers"] if name == b"cookie")
        if SESSION_COOKIE not in cookies:  # not signed in: nothing of the form is read
            sign_in = RedirectResponse(SIGN_IN, status_code=303, headers={"Connection": "close"})
            await sign_in(scope, receive, send)
            return
        await self.app(scope, receive, send)


def _capped(receive: Receive, limit: int) -> Receive:
    received = 0

    async def counting() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
        return message

    return counting
