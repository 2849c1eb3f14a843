"""Failed API keys and sign-ins are counted per client address, in the store (every worker
counts into the same window): beyond ``MXLIMS_FAILED_KEY_LIMIT`` a minute every further wrong
key from the address gets 429 with ``Retry-After`` until its window ends. A valid key is still
let in: a facility behind one NAT address must not be locked out by one user's typos (a key's
secret is 256 random bits, so letting valid keys through helps no guesser). The count is
written only while under the limit: a flood of wrong keys costs a read each, not a write.
The address is the connection's peer, or what a proxy listed in ``MXLIMS_TRUSTED_PROXIES``
forwarded (uvicorn's ``--forwarded-allow-ips``): a client cannot pick its own address by
sending X-Forwarded-For."""

from __future__ import annotations

from fastapi import Request

from mxlims_store.api.errors import ApiError
from mxlims_store.store.server_state import server_state

KIND = "failed-keys"
WINDOW = 60.0


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


async def note_failure(request: Request) -> None:
    """One more failed key from this address (called only once a key was found wrong: a valid
    key is never refused here); 429 once the address is over the limit."""
    state = server_state(request.app.state.store.db)
    limit = request.app.state.settings.failed_key_limit
    entry = await state.get(KIND, client_address(request))
    if entry is not None and entry.size >= limit:  # already over: nothing more to count
        raise TooManyFailures()
    if await state.hit(KIND, client_address(request), window=WINDOW) > limit:
        raise TooManyFailures()
