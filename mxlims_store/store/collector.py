"""The garbage collector around heavy work: long-lived objects left out of its passes, and no
passes while an import, an export or a download's build runs (one pause, counted, for all)."""

from __future__ import annotations

import contextlib
import gc
import threading
from collections.abc import Iterator

_frozen = False


def settle_long_lived() -> None:
    """Once per process, before its first import: what the process holds by then (modules,
    models, schemas: long-lived) is left out of the garbage collector's full passes. An import
    of thousands of objects allocates enough to start several, and each walked all of that
    again: ~10 % of an import's CPU (the collector keeps collecting everything made after)."""
    global _frozen
    if not _frozen:
        _frozen = True
        gc.freeze()


_pauses = 0  # imports, exports and builds under way with the collector paused (in any thread)
_resume = False  # whether the collector ran before the first of them
_pausing = threading.Lock()


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while an import, an export or a build runs (exports and
    builds: ~60,000 dicts per results file, ~1 M objects per build, no cycles; the collector's
    full passes over them stopped every thread, the event loop with it, for 20-220 ms).
    An import allocates a few hundred
    thousand objects that live until it ends (the message read, its documents, its history);
    each one of the collector's passes walked all of them again, full passes more and more
    often as they grew: ~10 % of a results return's CPU, for almost no garbage (what an import
    drops is freed by reference counting). Collection resumes when the last import ends, as
    it was (a process that had turned it off keeps it off)."""
    global _pauses, _resume
    with _pausing:
        if _pauses == 0:
            _resume = gc.isenabled()
            gc.disable()
        _pauses += 1
    try:
        yield
    finally:
        with _pausing:
            _pauses -= 1
            if _pauses == 0 and _resume:
                gc.enable()
