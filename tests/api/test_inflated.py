"""A kept download sent to a client that does not take gzip is inflated a bounded chunk at a
time: memory, and each stretch of the event loop's work, stay at one chunk."""

from __future__ import annotations

import gzip

from mxlims_store.api.downloads import STREAM_CHUNK, _inflated
from mxlims_store.api.json_pieces import encoded


async def test_a_kept_copy_is_inflated_in_chunks_of_at_most_the_stream_chunk() -> None:
    content = encoded({"Pin": {f"Pin{n}": {"uuid": str(n), "x": "y" * 50} for n in range(20000)}})
    pieces = [piece async for piece in _inflated(gzip.compress(content, mtime=0))]
    assert b"".join(pieces) == content
    assert len(pieces) > len(content) // STREAM_CHUNK - 1
    assert max(len(piece) for piece in pieces) <= STREAM_CHUNK
