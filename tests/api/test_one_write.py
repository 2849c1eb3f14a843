"""An answer's head and body go out in one send (api/one_write.py): a ``/health`` pinger over a
kept-alive connection gets each whole answer in one read, and writes still go out in order,
before a close, and never after the connection is closing."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from mxlims_store.api.one_write import OneWritePerPass
from tests.api.test_serve import serving


@pytest.fixture(scope="module")
def address(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    with serving(tmp_path_factory.mktemp("one-write")) as base:
        url = urlsplit(base)
        assert url.hostname is not None and url.port is not None
        yield url.hostname, url.port


def test_every_health_answer_comes_in_one_read(address: tuple[str, int]) -> None:
    request = f"GET /health HTTP/1.1\r\nHost: {address[0]}\r\n\r\n".encode()
    with socket.create_connection(address, timeout=10) as sock:
        for _ in range(60):  # before: the head alone in about half of the first reads
            sock.sendall(request)
            first = sock.recv(65536)
            head, _, body = first.partition(b"\r\n\r\n")
            assert head.startswith(b"HTTP/1.1 200"), first
            length = next(
                int(line.split(b":")[1])
                for line in head.split(b"\r\n")
                if line.lower().startswith(b"content-length:")
            )
            assert len(body) == length and body.startswith(b'{"status":"ok"'), first


class Written(asyncio.Transport):
    def __init__(self) -> None:
        super().__init__()
        self.sent: list[bytes] = []
        self.closed = False

    def write(self, data: bytes | bytearray | memoryview) -> None:
        assert not self.closed
        self.sent.append(bytes(data))

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_write_buffer_size(self) -> int:
        return 0


async def test_writes_of_a_pass_go_out_joined_in_order_in_the_next() -> None:
    real = Written()
    held = OneWritePerPass(real, asyncio.get_running_loop())
    held.write(b"head ")
    held.write(memoryview(b"body"))
    assert real.sent == [] and held.get_write_buffer_size() == 9
    await asyncio.sleep(0)
    assert real.sent == [b"head body"]
    held.write(b"next")
    await asyncio.sleep(0)
    assert real.sent == [b"head body", b"next"]  # one piece: sent as it is


async def test_a_close_sends_what_is_held_first_and_nothing_goes_after_it() -> None:
    real = Written()
    held = OneWritePerPass(real, asyncio.get_running_loop())
    held.write(b"last words")
    held.close()
    assert real.sent == [b"last words"] and real.closed and held.is_closing()
    await asyncio.sleep(0)  # the pass's own send finds nothing held
    assert real.sent == [b"last words"]

    gone = Written()
    dropped = OneWritePerPass(gone, asyncio.get_running_loop())
    dropped.write(b"too late")
    gone.closed = True  # the connection was lost meanwhile: nothing is written to it
    await asyncio.sleep(0)
    assert gone.sent == []
