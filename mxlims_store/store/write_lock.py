"""Turns in this process, never the guard of the rules.

Every write is a unit of work in one database transaction (:mod:`mxlims_store.store.unit_of_work`):
that is what keeps two writers, in any processes, from both passing their checks. On SQLite,
units of one process also take turns on :func:`checked_writes` before taking SQLite's write
lock, so that writers waiting for it do not each hold a worker thread (with more waiting writers
than threads, the one holding the lock would wait for a thread). :func:`one_at_a_time` orders
sheet uploads that compare themselves with the one before.
"""

from __future__ import annotations

import asyncio
from weakref import WeakKeyDictionary

_LOCKS: WeakKeyDictionary[object, asyncio.Lock] = WeakKeyDictionary()


def checked_writes(backend: object) -> asyncio.Lock:
    lock = _LOCKS.get(backend)
    if lock is None:
        lock = _LOCKS[backend] = asyncio.Lock()
    return lock


_TURNS: WeakKeyDictionary[object, dict[str, asyncio.Lock]] = WeakKeyDictionary()


def one_at_a_time(backend: object, purpose: str) -> asyncio.Lock:
    """A lock of its own for writes of one kind that compare themselves with what the one
    before stored (sheet uploads), taken before :func:`checked_writes` and never inside it."""
    locks = _TURNS.setdefault(backend, {})
    return locks.setdefault(purpose, asyncio.Lock())
