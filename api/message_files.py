"""MXLIMS file downloads said as data, so that another process can build them.

A build of a 1,600-pin results file is ~0.3-0.5 s of Python. In a thread of the server's
process it shared the interpreter lock with the event loop: each of the loop's steps for a
``/health`` ping (wake up, read, answer, write) waited for the lock behind the build thread
and the database threads, up to a switch interval each, and a ping answered in ~1 ms idle
took 20-60 ms during one build. :class:`MessageFile` names what a download is (a store
method, its arguments, the file's name), which pickles; :func:`build_here`, in a reading
process (store/read_processes.py), reads the embedded store there (its connection kept from
one build to the next), builds, encodes and compresses the file, and sends back the
compressed bytes and what the build read. The server's process only waits for the answer.

This module loads no web framework: the reading process imports it to build.
"""

from __future__ import annotations

import asyncio
import gzip
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from mxlims_store.api.json_pieces import encoded
from mxlims_store.api.memory import limit_arenas, trim
from mxlims_store.store import Store
from mxlims_store.store.access import Caller
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_state import read_set_body
from mxlims_store.store.collector import collector_paused
from mxlims_store.store.navigation import ExportedMessage
from mxlims_store.store.read_set import ReadRecorder
from mxlims_store.store.walk import Cut, cut_summary

LEFT_OUT_SHOWN = 20  # uuids in X-MXLIMS-Left-Out: a header stays small; the body has them all
# A build as sent back from another process: the gzipped bytes, media type, headers, the read
# set (as the store keeps it: sqlite_state.read_set_body) and whether the build read more than
# keys can say.
Made = tuple[bytes, str, dict[str, str], bytes, bool]


@dataclass
class Built:
    """A download as built: its bytes and the headers that describe it."""

    content: bytes
    media_type: str
    headers: dict[str, str] = field(default_factory=dict)


def truncation_headers(cut: Sequence[Cut]) -> dict[str, str]:
    """Headers saying that a walk stopped at the depth limit (none when nothing was cut)."""
    if not cut:
        return {}
    left_out = list(dict.fromkeys(c.target for c in cut))
    return {
        "X-MXLIMS-Truncated": cut_summary(cut),
        "X-MXLIMS-Left-Out": ", ".join(left_out[:LEFT_OUT_SHOWN]),
    }


def attachment_headers(message: dict[str, Any], filename: str) -> dict[str, str]:
    """The headers of an MXLIMS file download. The name may hold user text (a proposal code):
    only safe ASCII reaches the header. An export cut at the depth limit says so in its headers
    (the message itself must stay MXLIMS)."""
    safe = re.sub(r"[^A-Za-z0-9._-]", "_", filename)
    headers = {"Content-Disposition": f'attachment; filename="{safe}"'}
    if isinstance(message, ExportedMessage):
        headers.update(truncation_headers(message.cut))
    return headers


async def json_built(message: Any, headers: dict[str, str], *, indent: bool = False) -> Built:
    """``message`` as JSON, encoded in a worker thread (3.4 MB of results file takes a while),
    in pieces that let the event loop have the interpreter lock in between (api/json_pieces.py)."""
    content = await asyncio.to_thread(encoded, message, indent=indent)
    return Built(content, "application/json", headers)


@dataclass(frozen=True)
class MessageFile:
    """An MXLIMS file: what ``Store.<method>(*args, **options)`` makes, as ``filename``.
    Called with the store to read through, it builds the download (anywhere)."""

    method: Literal["shipment_results", "proposal_results", "export"]
    args: tuple[str, ...]
    filename: str
    indent: bool = False
    options: tuple[tuple[str, Any], ...] = ()

    async def __call__(self, reading: Store) -> Built:
        message = await getattr(reading, self.method)(*self.args, **dict(self.options))
        headers = attachment_headers(message, self.filename)
        return await json_built(message, headers, indent=self.indent)


def compressed(content: bytes) -> bytes:
    """gzip without a time in it: the same bytes for the same content (kept ETags rely on it)."""
    return gzip.compress(content, compresslevel=6, mtime=0)


def build_here(database: str, caller: Caller, made: MessageFile) -> Made | None:
    """In a reading process: ``made`` built on the embedded store ``database`` as ``caller``
    sees it (None when anything went wrong: the server builds it itself, and answers its
    errors as it does; an exception does not travel between processes with its fields)."""
    limit_arenas()  # what a build held goes back to the system after it (api/memory.py)
    try:
        return asyncio.run(_built(Path(database), caller, made))
    except Exception:
        return None
    finally:
        trim()


_backends: dict[Path, SqliteBackend] = {}  # in a reading process: one per store, kept open


async def _built(database: Path, caller: Caller, made: MessageFile) -> Made:
    # Kept open from one build to the next, one connection (its page cache, at most 16 MiB,
    # stays warm: opened per build, the 1,600-pin results file cost 290-355 ms of CPU against
    # 220-250). A store put back by `restore` is written into the same file, which this
    # connection reads as any other does.
    backend = _backends.get(database)
    if backend is None:
        backend = _backends[database] = SqliteBackend(database, workers=1)
    seen = None if caller.reads_everything else caller.proposals or ()
    recorder = ReadRecorder(backend, seen)
    with collector_paused():  # ~1 M objects per build, no cycles (store/collector.py)
        built = await made(Store(recorder, caller))
        body = compressed(built.content)
    reads = read_set_body(recorder.keys)  # numbers, made here: none made by the server
    return body, built.media_type, built.headers, reads, recorder.whole_store
