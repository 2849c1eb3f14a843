"""What a server process knows, kept in the store: page sessions, upload drafts, rate counters,
the cookie-signing secret and built downloads. So any worker (or, on MongoDB, any host) answers
any request, and a signed-out session or a revoked key ends everywhere at once.

Entries are ``(kind, key)`` -> a small JSON ``value`` and an optional ``body`` of bytes, each
with an expiry; an ``owner`` groups entries (a caller's drafts, one download's versions) so that
quotas and replacements are one question. The store's *generation* counts the commits that
changed MXLIMS objects; each such commit also notes the generation at which it touched each
key of :mod:`mxlims_store.store.read_set`: a download built at generation N stays valid until a
commit touches a key it read.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Protocol

from mxlims_store.store.backends import Backend


@dataclass(frozen=True)
class Entry:
    value: dict[str, Any]
    body: bytes | None
    owner: str | None
    size: int


class ServerState(Protocol):
    touches_with_generation: bool  # a commit's touches visible together with its generation

    async def get(self, kind: str, key: str) -> Entry | None:
        """The entry, or None when there is none or it expired."""

    async def put(
        self,
        kind: str,
        key: str,
        value: dict[str, Any],
        *,
        ttl: float,
        body: bytes | None = None,
        owner: str | None = None,
    ) -> None:
        """Set the entry (replacing one there), expiring ``ttl`` seconds from now."""

    async def add(self, kind: str, key: str, value: dict[str, Any], *, ttl: float) -> Entry:
        """Set the entry unless a live one is there; the entry that is there afterwards (the
        one set by whichever worker came first)."""

    async def take(self, kind: str, key: str) -> Entry | None:
        """Get and delete: only one of several concurrent takers gets it."""

    async def delete(self, kind: str, key: str) -> None: ...

    async def delete_owned(self, kind: str, owner: str, *, keep: str | None = None) -> None:
        """Delete every entry of ``owner`` (but ``keep``)."""

    async def usage(self, kind: str, owner: str | None = None) -> tuple[int, int]:
        """Live entries and their bytes, of ``owner`` or of everybody."""

    async def hit(self, kind: str, key: str, *, window: float) -> int:
        """Count one more event in the current window of ``window`` seconds; the count."""

    async def release_memory(self) -> None:
        """Give back what this process keeps cached of the database (SQLite's page caches of
        the reading connections: up to 16 MB each), e.g. after a burst of downloads."""

    async def generation(self) -> int:
        """How many commits have changed MXLIMS objects (any change bumps it)."""

    def read_set_body(self, keys: Iterable[str]) -> bytes:
        """The body a read set of ``keys`` (:mod:`mxlims_store.store.read_set`) is kept as:
        what :meth:`read_set_changed` reads (on the embedded engine the keys' numbers, made
        here so that the question costs no Python per key)."""
        ...

    async def read_set_changed(self, kind: str, key: str, generation: int) -> bool:
        """Whether the read set kept as the entry ``(kind, key)`` (its body: made by
        :meth:`read_set_body`) is gone, or any of its keys was touched by a commit after
        ``generation``. A body of another shape (an older version's) counts as changed."""


def server_state(db: Backend) -> ServerState:
    """The server state kept by ``db``'s engine."""
    from mxlims_store.store.backends.sqlite import SqliteBackend

    if isinstance(db, SqliteBackend):
        from mxlims_store.store.backends.sqlite_state import SqliteState

        return SqliteState(db)
    from mxlims_store.store.backends.mongo import MongoBackend
    from mxlims_store.store.backends.mongo_state import MongoState

    if isinstance(db, MongoBackend):
        return MongoState(db)
    raise TypeError(f"no server state for {type(db).__name__}")


def expiry(ttl: float) -> float:
    return time.time() + ttl
