"""Giving memory back after a burst of downloads (glibc's allocator; elsewhere nothing happens).

A results file of 1,600 pins is ~100 MB of Python objects while it is built, in several threads
(database reads, encoding, compression). Freed, that memory stays with the process: glibc keeps
it in the arena of the thread that used it (up to eight arenas per core), so two workers stayed
at ~305 MB resident after a burst. Fewer arenas (:func:`limit_arenas`, at the app's start) and a
trim once the last build of a burst is done (:func:`trim`, in a thread) give it back.
"""

from __future__ import annotations

import ctypes
import sys
from functools import cache
from typing import Any

M_ARENA_MAX = -8  # mallopt's parameter number (malloc.h)
ARENAS = 2  # per process: the event loop's and one shared by every worker thread


@cache
def _libc() -> Any | None:
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL("libc.so.6")
    except OSError:  # pragma: no cover - a libc of another name (musl): nothing to do
        return None
    return libc if hasattr(libc, "malloc_trim") and hasattr(libc, "mallopt") else None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """At most ``arenas`` malloc arenas from now on (False where that cannot be said)."""
    libc = _libc()
    return libc is not None and bool(libc.mallopt(M_ARENA_MAX, arenas))


def trim() -> bool:
    """Return the free memory at the top of every arena to the system (True when some was)."""
    libc = _libc()
    return libc is not None and bool(libc.malloc_trim(0))
