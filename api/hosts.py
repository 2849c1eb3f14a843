"""The Host check (a DNS-rebinding page reaches the API under a foreign host name), answering
with what to change: a deployment reached by a new name gets a 400 naming
``MXLIMS_ALLOWED_HOSTS``, not Starlette's bare "Invalid host header"."""

from __future__ import annotations

from starlette.datastructures import Headers
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Receive, Scope, Send

from mxlims_store.api.errors import error_response

PASSED = "mxlims.host_allowed"


async def _mark(scope: Scope, receive: Receive, send: Send) -> None:
    scope[PASSED] = True


async def _discard(message: object) -> None:
    return None


class HostCheck:
    """Whether a request's Host is one of ``allowed_hosts`` (Starlette's rules: ``*``,
    ``*.example.org``)."""

    def __init__(self, allowed_hosts: list[str]) -> None:
        self.check = TrustedHostMiddleware(_mark, allowed_hosts=allowed_hosts, www_redirect=False)

    async def allows(self, scope: Scope, receive: Receive) -> bool:
        await self.check(scope, receive, _discard)
        return bool(scope.pop(PASSED, False))


class AllowedHosts:
    def __init__(self, app: ASGIApp, allowed_hosts: list[str]) -> None:
        self.app = app
        self.hosts = HostCheck(allowed_hosts)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        if await self.hosts.allows(scope, receive):
            await self.app(scope, receive, send)
            return
        host = Headers(scope=scope).get("host", "")
        response = error_response(
            400,
            "HostNotAllowed",
            f"this server does not answer to the host name {host[:100]!r}: add it to "
            "MXLIMS_ALLOWED_HOSTS (comma-separated host names, `*` for any) and restart",
        )
        await response(scope, receive, send)
