"""Failed API keys and sign-ins are counted per client address, in the store (every worker
counts into the same window): beyond ``MXLIMS_FAILED_KEY_LIMIT`` a minute the address gets 429
with ``Retry-After`` until its window ends, whatever it sends. The address is the connection's
peer, or what a proxy listed in ``MXLIMS_TRUSTED_PROXIES`` forwarded (uvicorn's
``--forwarded-allow-ips``): a client cannot pick its own address by sending X-Forwarded-For.

An address found with no failures counted is believed clean for ``CLEAN_FOR`` seconds by this
worker (each look-up is a trip to a database thread, on every request with a key): a wrong key
is still counted in the store at once, and answered 429 as soon as the shared count is over the
limit, so guessing gains nothing; only a *valid* key from an address that another worker saw
flooding may pass for that second. A failure seen by this worker forgets the belief at once."""

from __future__ import annotations

import time
from collections import OrderedDict

from fastapi import Request

from mxlims_store.api.errors import ApiError
from mxlims_store.store.server_state import server_state

KIND = "failed-keys"
WINDOW = 60.0
CLEAN_FOR = 1.0  # seconds this worker believes an address without failures is still clean
CLEAN_KEPT = 4096  # addresses remembered as clean (the oldest are forgotten first)


def _clean(request: Request) -> OrderedDict[str, float]:
    """This app's addresses believed clean -> until when (one per app: one per worker)."""
    state = request.app.state
    if not hasattr(state, "clean_addresses"):
        state.clean_addresses = OrderedDict()
    clean: OrderedDict[str, float] = state.clean_addresses
    return clean


class TooManyFailures(ApiError):
    def __init__(self) -> None:
        super().__init__(
            429,
            "TooManyRequests",
            "too many invalid API keys from this address; wait a minute (MXLIMS_FAILED_KEY_LIMIT)",
            {"Retry-After": str(int(WINDOW))},
        )


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def refuse_if_flooding(request: Request) -> None:
    """429 while this address is over its limit (checked before a key is even looked at)."""
    address, clean = client_address(request), _clean(request)
    moment = time.monotonic()
    if clean.get(address, 0.0) > moment:
        return
    state = server_state(request.app.state.store.db)
    entry = await state.get(KIND, address)
    if entry is not None and entry.size >= request.app.state.settings.failed_key_limit:
        raise TooManyFailures()
    if entry is None:
        clean[address] = moment + CLEAN_FOR
        clean.move_to_end(address)
        while len(clean) > CLEAN_KEPT:
            clean.popitem(last=False)


async def note_failure(request: Request) -> None:
    """One more failed key from this address; 429 once that is over the limit."""
    _clean(request).pop(client_address(request), None)
    state = server_state(request.app.state.store.db)
    failures = await state.hit(KIND, client_address(request), window=WINDOW)
    if failures > request.app.state.settings.failed_key_limit:
        raise TooManyFailures()
