"""The pages' session: who is signed in, the store acting as them, CSRF tokens, safe headers.

The browser holds only a signed cookie with a random session id (and the CSRF token); the API
key it stands for stays on the server, in memory. Signing out forgets it there, so a copied
cookie is worth nothing afterwards; a restart signs everybody out. Every page checks the key
again, so a revoked key ends its sessions at the next click.
"""

from __future__ import annotations

import hmac
import os
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

STATIC = Path(__file__).parent / "static"
SECRET_FILE = "session-secret"
_HEADERS = [
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
                message["headers"] = [*message.get("headers", []), *_HEADERS]
            await send(message)

        await self.app(scope, receive, with_headers)


def session_secret(data_dir: Path) -> str:
    """The key that signs session cookies: made once, kept beside the data (mode 0600)."""
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    secret = secrets.token_urlsafe(48)
    if not data_dir.is_dir():  # no store there: the start refuses it; never create it here
        return secret
    try:
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another worker made it meanwhile
        return path.read_text().strip()
    except OSError:
        return secret
    try:
        with os.fdopen(descriptor, "w") as file:
            file.write(secret + "\n")
    except OSError:  # a full disk: sessions of this process only, rather than no server
        path.unlink(missing_ok=True)
        return secret
    return secret


def install(app: FastAPI, settings: Settings) -> None:
    app.state.page_sessions = {}  # session id -> API key, in this process's memory only
    app.add_middleware(PageHeaders)
    app.add_middleware(
        SessionMiddleware,
        secret_key=session_secret(settings.data_dir),
        session_cookie="mxlims_session",
        same_site="strict",
        https_only=settings.secure_cookies,
        max_age=12 * 3600,
    )
    app.mount("/pages/static", StaticFiles(directory=STATIC), name="pages-static")

    async def sign_in_first(request: Request, exc: Exception) -> RedirectResponse:
        if request.method == "GET" and request.url.path.startswith("/pages/"):
            request.session["next"] = request.url.path  # back here after signing in
        return RedirectResponse("/pages/login", status_code=303)

    app.add_exception_handler(SignInFirst, sign_in_first)


def sign_in(request: Request, key: str) -> str:
    """Start a session for ``key``; the page to go to next."""
    after = request.session.get("next")
    request.session.clear()  # a new session for the signed-in key (no fixation)
    sid = secrets.token_urlsafe(32)
    request.app.state.page_sessions[sid] = key
    request.session["sid"] = sid
    return after if isinstance(after, str) and after.startswith("/pages/") else "/pages/shipments"


def sign_out(request: Request) -> None:
    request.app.state.page_sessions.pop(request.session.get("sid"), None)
    request.session.clear()


async def signed_in(request: Request) -> Caller | None:
    """The caller of the session, or None (no session, or its key no longer valid)."""
    key = request.app.state.page_sessions.get(request.session.get("sid"))
    if not key:
        return None
    store: Store = request.app.state.store
    try:
        caller = await store.authenticate(key)
    except Unauthenticated:  # revoked or expired since signing in
        sign_out(request)
        return None
    request.state.caller = caller
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
    return isinstance(sent, str) and expected is not None and hmac.compare_digest(sent, expected)
