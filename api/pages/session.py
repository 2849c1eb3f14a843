"""The pages' session: who is signed in, the store acting as them, CSRF tokens, safe headers.

The browser holds only a signed cookie with a random session id (and the CSRF token); the
store keeps the session (the id of the key it stands for, never the key), so every worker
knows it. Signing out deletes it there, so a copied cookie is worth nothing afterwards, on every
worker at once. Every page checks the key again, so a revoked key ends its sessions at the next
click.
"""

from __future__ import annotations

import hmac
import secrets
from pathlib import Path
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import RedirectResponse
from fastapi.staticfiles import StaticFiles
from starlette.middleware.sessions import SessionMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from mxlims_store.config import Settings
from mxlims_store.errors import Unauthenticated
from mxlims_store.store import Caller, Store
from mxlims_store.store.server_state import ServerState, server_state

STATIC = Path(__file__).parent / "static"
PAGE_HEADERS = [
    (b"cache-control", b"no-store"),  # proposal data must not outlive sign-out in a cache
    (b"x-frame-options", b"DENY"),
    (b"content-security-policy", b"frame-ancestors 'none'"),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"same-origin"),
]


class SignInFirst(Exception):
    """A page was asked for without a valid session: the browser goes to the sign-in page."""


class PageHeaders:
    """Headers every page, download and API docs page carries (not the API's)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "") if scope["type"] == "http" else ""
        # the API docs too: a page elsewhere must not frame them (clickjacking)
        if not (path == "/" or path.startswith(("/pages/", "/docs", "/redoc"))):
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), *PAGE_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


SESSION_KIND = "page-session"
SESSION_TTL = 12 * 3600.0
FOREVER = 100 * 365 * 24 * 3600.0


async def load_secrets(app: FastAPI, store: Store) -> None:
    """The keys that sign session cookies and download ETags: made once, kept in the store, so
    that every worker (and host) signs alike; read once at start."""
    state = server_state(store.db)
    for name in ("session", "downloads"):
        made = {"value": secrets.token_urlsafe(48)}
        entry = await state.add("secret", name, made, ttl=FOREVER)
        setattr(app.state, f"{name.removesuffix('s')}_secret", entry.value["value"])


class StoreSecretSessions:
    """Starlette's signed-cookie sessions, signed with the store's secret (known once the
    lifespan has opened the store). The cookie is ``Secure`` when the request came over TLS
    (directly, or through a trusted proxy saying so) or always with MXLIMS_SECURE_COOKIES."""

    def __init__(self, app: ASGIApp, secure_always: bool) -> None:
        self.app, self.secure_always = app, secure_always
        self._inner: dict[bool, SessionMiddleware] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not self._inner:
            secret = scope["app"].state.session_secret
            self._inner = {
                secure: SessionMiddleware(
                    self.app,
                    secret_key=secret,
                    session_cookie="mxlims_session",
                    same_site="strict",
                    https_only=secure,
                    max_age=int(SESSION_TTL),
                )
                for secure in (False, True)
            }
        secure = self.secure_always or scope.get("scheme") == "https"
        await self._inner[secure](scope, receive, send)


def install(app: FastAPI, settings: Settings) -> None:
    app.add_middleware(PageHeaders)
    app.add_middleware(StoreSecretSessions, secure_always=settings.secure_cookies)
    app.mount("/pages/static", StaticFiles(directory=STATIC), name="pages-static")

    async def sign_in_first(request: Request, exc: Exception) -> RedirectResponse:
        if request.method == "GET" and request.url.path.startswith("/pages/"):
            request.session["next"] = request.url.path  # back here after signing in
        return RedirectResponse("/pages/login", status_code=303)

    app.add_exception_handler(SignInFirst, sign_in_first)


def _state(request: Request) -> ServerState:
    return server_state(request.app.state.store.db)


async def sign_in(request: Request, key: str) -> str:
    """Start a session for ``key`` (the store keeps the key's id, never the key); the page to
    go to next."""
    after = request.session.get("next")
    request.session.clear()  # a new session for the signed-in key (no fixation)
    sid = secrets.token_urlsafe(32)
    key_id = key.split(".")[1]
    await _state(request).put(SESSION_KIND, sid, {"keyId": key_id}, ttl=SESSION_TTL, owner=key_id)
    request.session["sid"] = sid
    return after if isinstance(after, str) and after.startswith("/pages/") else "/pages/shipments"


async def sign_out(request: Request) -> None:
    sid = request.session.get("sid")
    if isinstance(sid, str):
        await _state(request).delete(SESSION_KIND, sid)  # on every worker at once
    request.session.clear()


async def signed_in(request: Request) -> Caller | None:
    """The caller of the session, or None (no session, or its key no longer valid)."""
    sid = request.session.get("sid")
    if not isinstance(sid, str):
        return None
    entry = await _state(request).get(SESSION_KIND, sid)
    if entry is None:
        request.session.clear()
        return None
    store: Store = request.app.state.store
    try:
        caller = await store.authenticate_id(entry.value["keyId"])
    except Unauthenticated:  # revoked or expired since signing in
        await sign_out(request)
        return None
    request.state.caller = caller
    request.state.key_id = entry.value["keyId"]
    return caller


async def page_store(request: Request) -> Store:
    """The store acting as the signed-in key; to the sign-in page without one."""
    caller = await signed_in(request)
    if caller is None:
        raise SignInFirst()
    store: Store = request.app.state.store
    return store.acting_as(caller)


def csrf_token(request: Request) -> str:
    token: str | None = request.session.get("csrf")
    if token is None:
        token = secrets.token_urlsafe(24)
        request.session["csrf"] = token
    return token


def csrf_ok(request: Request, sent: Any) -> bool:
    expected = request.session.get("csrf")
    if not isinstance(sent, str) or not isinstance(expected, str):
        return False
    # compared as bytes: compare_digest refuses str with non-ASCII characters (a 500)
    return hmac.compare_digest(sent.encode("utf-8", "replace"), expected.encode())
