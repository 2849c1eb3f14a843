"""Checked writes one at a time, per store, in this process.

An import, a PATCH, a DELETE and a logistics event read what is stored, check their rules
against it (positions, cycles, barcodes, the journey's allowed moves) and then commit. Two such
writes interleaving could each pass their checks against a state the other is about to change;
holding this lock from the first read to the commit makes them take turns. (SQLite lets only
one writer commit at a time anyway; only the reading and checking now wait too.) Writers in
other processes, such as the CLI beside ``serve``, are not covered by it.
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
