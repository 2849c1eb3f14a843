"""Reading a message in another process: its checks are CPU work, and in the server's process
they took the interpreter (one at a time, whatever the threads) from the writer that holds the
write lock and from every other request. 64 imports of 16 pins at once spent a third of their
CPU there. A server enables this (:func:`read_in_processes`); a command reading one message
does not gain from starting a process, and reads in a thread as before.

A small message is read here all the same, in place: sending it there and back costs more
than reading it, and so did a thread (under load the way back waited behind the loop's other
work). A 16-pin shipment (68 objects, 15 kB) reads in ~0.6 ms of CPU; the trip cost ~1.9 ms
(pickling both ways, the pool's feeder and manager threads waking in this process, the
reader's own turn). 64 POSTs at once, with the store's part of the import left out, cost the
server (reader included) 4.2 ms of CPU each when read there, 2.3 ms without reading at all.
:func:`small` weighs a message by its values, strings by their length, and stops counting at
:data:`SMALL`: a few objects holding megabytes are not small.

The answer is the same either way: a refusal comes back as its problems (an exception does not
travel between processes with its fields), and anything else the other process could not do
(a message too deeply nested to send, a process that died) is read again here, in a thread,
with whatever error that gives.
"""

from __future__ import annotations

import asyncio
import importlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from mxlims_store.errors import InvalidMessage

T = TypeVar("T")
READER = "mxlims_store.store.importer"  # what reads messages: loaded by warm_up, not by the first
SMALL = 2048  # weight (values, plus a string's or key's length / 32) read here: ~20 pins, ~1.5 ms
_wanted = 0  # processes to read in; 0: read in a thread of this process
_pool: ProcessPoolExecutor | None = None


def read_in_processes(processes: int | None = None, *, smallest: int = SMALL) -> None:
    """From now on, messages are read in ``processes`` other processes (default: half the
    cores, at least 1, at most 4), started once, when first needed; 0 turns it off. Messages
    weighing less than ``smallest`` (:func:`small`) are read in this process all the same."""
    global _wanted, _smallest
    _wanted = max(1, min(4, (os.cpu_count() or 2) // 2)) if processes is None else processes
    _smallest = smallest


_smallest = SMALL


def small(message: Any, limit: int) -> bool:
    """Whether ``message`` weighs less than ``limit``: each value counts one, a dict's keys one
    each, a string (a key too) one per 32 characters besides. Iterative (any depth) and stopped
    at ``limit``, so weighing costs at most ~0.15 ms however large the message."""
    weight, pending = 0, [message]
    while pending:
        node = pending.pop()
        weight += 1
        if isinstance(node, dict):
            weight += len(node)
            if weight < limit:  # its keys by their length too (summed only below the limit)
                weight += sum(len(k) for k in node if isinstance(k, str)) >> 5
            if weight >= limit:
                return False
            pending.extend(node.values())
        elif isinstance(node, list):
            pending.extend(node)
        elif isinstance(node, str):
            weight += len(node) >> 5
        if weight >= limit:
            return False
    return True


async def warm_up() -> None:
    """Start a process now, with the reader loaded (~0.3 s of CPU), and wait until it answers:
    the first import does not wait for either (a server answers nothing before; a process
    that cannot start leaves reading here)."""
    pool = _the_pool()
    if pool is not None:
        try:
            await asyncio.wrap_future(pool.submit(importlib.import_module, READER))
        except Exception:  # e.g. no process may be started: messages are read in threads
            _drop(pool)


async def read_elsewhere(read: Callable[[Any], T], message: Any) -> T:
    """``read(message)`` (a module-level function) in a reading process, else in a thread; a
    small message in a server, in place."""
    if _wanted <= 0:
        return await asyncio.to_thread(read, message)
    if small(message, _smallest):  # as quick as the trip to a thread and back: read here
        return read(message)
    pool = _the_pool()
    if pool is None:
        return await asyncio.to_thread(read, message)
    try:
        kind, value = await asyncio.get_running_loop().run_in_executor(
            pool, _reported, read, message
        )
    except Exception:  # not sent (too deep to pickle) or the process died: read it here
        _drop(pool)
        return await asyncio.to_thread(read, message)
    if kind == "read":
        result: T = value
        return result
    if kind == "invalid":
        problems, total, text = value
        error = InvalidMessage(problems, text)
        error.total = total
        raise error
    return await asyncio.to_thread(read, message)  # its own error, as raised in this process


async def run_elsewhere(work: Callable[..., T], *args: Any) -> T | None:
    """``work(*args)`` (a module-level function that raises nothing: it answers None for
    "do it here") in a reading process while they are on; None when none could do it (off,
    not started, died), and the caller does the work itself."""
    pool = _the_pool()
    if pool is None:
        return None
    try:
        done: T | None = await asyncio.get_running_loop().run_in_executor(pool, work, *args)
    except Exception:  # not sent, or the process died
        _drop(pool)
        return None
    return done


def end_processes() -> None:
    """End the reading processes now (started again when next wanted). ``serve`` does this as
    it shuts down: uvicorn ends a SIGTERM (``systemctl stop``) by raising it again, which
    kills the server before any exit handler, and the pool's queues then showed as "leaked
    semaphore objects" in the journal. Tests making many apps keep the process instead."""
    global _pool
    pool, _pool = _pool, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def reader_loaded() -> bool:
    """Whether this process has the reader loaded (asked of a reading process)."""
    return READER in sys.modules


def _reported(read: Callable[[Any], Any], message: Any) -> tuple[str, Any]:
    """In the reading process: the result, a refusal's fields, or "again"."""
    try:
        return "read", read(message)
    except InvalidMessage as error:
        return "invalid", (error.problems, error.total, error.message)
    except BaseException:
        return "again", None


def _the_pool() -> ProcessPoolExecutor | None:
    global _pool
    if _wanted <= 0:
        return None
    if _pool is None:
        # spawn: a fork of a process running threads and an event loop is not safe
        _pool = ProcessPoolExecutor(
            _wanted,
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_quiet,
            initargs=(os.getpid(),),
        )
    return _pool


def _quiet(server: int) -> None:
    """In a reading process: Ctrl+C stops the server, which then ends this process (no
    traceback of a reader interrupted while it waited for work); and a server gone without
    ending it (killed, or a worker its supervisor ended) leaves no reader behind."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)

    def follow() -> None:
        while os.getppid() == server:
            time.sleep(1)
        os._exit(0)

    threading.Thread(target=follow, daemon=True, name="mxlims-reader-follows").start()


def _drop(pool: ProcessPoolExecutor) -> None:
    global _pool
    if _pool is pool and getattr(pool, "_broken", False):
        _pool = None
        pool.shutdown(wait=False, cancel_futures=True)
