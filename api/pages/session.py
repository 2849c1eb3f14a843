"""The pages' session: the signed cookie holding the key, the store acting as it, CSRF tokens."""

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

from mxlims_store.config import Settings
from mxlims_store.errors import Unauthenticated
from mxlims_store.store import Store

STATIC = Path(__file__).parent / "static"
SECRET_FILE = "session-secret"


class SignInFirst(Exception):
    """A page was asked for without a valid session: the browser goes to the sign-in page."""


def session_secret(data_dir: Path) -> str:
    """The key that signs session cookies: made once, kept beside the data (mode 0600), so that
    a restart does not sign everybody out."""
    path = data_dir / SECRET_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True)
    secret = secrets.token_urlsafe(48)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w") as file:
        file.write(secret + "\n")
    return secret


def install(app: FastAPI, settings: Settings) -> None:
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
        return RedirectResponse("/pages/login", status_code=303)

    app.add_exception_handler(SignInFirst, sign_in_first)


async def page_store(request: Request) -> Store:
    """The store acting as the signed-in key; to the sign-in page without one."""
    key = request.session.get("key")
    if not key:
        raise SignInFirst()
    store: Store = request.app.state.store
    try:
        caller = await store.authenticate(key)
    except Unauthenticated:  # revoked or expired since signing in
        request.session.clear()
        raise SignInFirst() from None
    request.state.caller = caller
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
