"""Slow clients against a served instance, over real sockets: a trickled request's head or body
never holds a connection longer than the configured timeouts, and normal requests still work."""

from __future__ import annotations

import select
import socket
import time
from collections.abc import Iterator
from urllib.parse import urlsplit

import httpx
import pytest

from mxlims_store.store.bootstrap import FIRST_KEY_FILE
from tests.api.test_serve import serving
from tests.factories import shipment_message

# Short limits, so that the test is quick; the guard below is far above them.
LIMITS = {"header_timeout": "1", "body_timeout": "1", "body_total_timeout": "2"}
GIVE_UP = 15.0  # seconds: a connection still open then was never going to be closed


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int, str]]:
    home = tmp_path_factory.mktemp("slow")
    with serving(home, **LIMITS) as base:
        url = urlsplit(base)
        key = (home / "data" / FIRST_KEY_FILE).read_text().strip()
        assert url.hostname is not None and url.port is not None
        yield url.hostname, url.port, key


def _talk(
    address: tuple[str, int],
    first: bytes,
    trickle: bytes = b"",
    every: float = 0.2,
    *,
    answer_first: bool = False,
) -> bytes:
    """Send ``first``, then ``trickle`` a byte every ``every`` seconds (``answer_first``: only
    once an answer came); everything the server sent until it closed the connection (the test
    fails if it never does).

    A server closing a socket with unread bytes (the trickle) resets the connection instead of
    ending it; that is a close too. Whether a trickled byte is still unread at that moment
    depends on timing, so it is never what a test decides on."""
    answer = b""
    with socket.create_connection(address, timeout=GIVE_UP) as sock:
        sock.sendall(first)
        pending = list(trickle)
        started = time.monotonic()
        while time.monotonic() - started < GIVE_UP:
            readable, _, _ = select.select([sock], [], [], every)
            if readable:
                try:
                    chunk = sock.recv(65536)
                except ConnectionResetError:
                    return answer
                if not chunk:
                    return answer
                answer += chunk
            elif pending and (answer or not answer_first):
                try:
                    sock.send(bytes([pending.pop(0)]))
                except OSError:  # closed by the server meanwhile: read what it said
                    pending = []
    raise AssertionError(f"the connection was still open after {GIVE_UP} s: {answer!r}")


def _post_head(length: int, key: str | None) -> bytes:
    auth = f"Authorization: Bearer {key}\r\n" if key else ""
    return (
        "POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"{auth}Content-Length: {length}\r\n\r\n"
    ).encode()


def test_partial_headers_are_answered_408_and_closed(server: tuple[str, int, str]) -> None:
    host, port, _ = server
    answer = _talk((host, port), b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"request line and headers did not arrive within 1 s" in answer


def test_headers_trickled_byte_by_byte_do_not_restart_the_clock(
    server: tuple[str, int, str],
) -> None:
    host, port, _ = server
    trickle = b"Host: 127.0.0.1\r\nX-Slow: " + b"a" * 200 + b"\r\n\r\n"
    answer = _talk((host, port), b"GET /health HTTP/1.1\r\n", trickle)
    assert answer.startswith(b"HTTP/1.1 408 ")


def test_a_connection_that_sends_nothing_is_closed(server: tuple[str, int, str]) -> None:
    host, port, _ = server
    assert _talk((host, port), b"") == b""


def test_a_body_that_stops_coming_gets_a_408(server: tuple[str, int, str]) -> None:
    host, port, key = server
    answer = _talk((host, port), _post_head(1000, key) + b'{"version": ')
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b'"error":"RequestTimeout"' in answer and b"paused for more than 1 s" in answer
    assert b"connection: close" in answer.lower()


def test_a_trickled_body_gets_a_408_at_the_total_limit(server: tuple[str, int, str]) -> None:
    host, port, key = server
    answer = _talk((host, port), _post_head(1000, key), b" " * 1000)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert b"did not arrive within 2 s" in answer


def test_a_body_left_unread_after_an_early_answer_cannot_trickle_on(
    server: tuple[str, int, str],
) -> None:
    host, port, _ = server
    head = b"GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 1000\r\n\r\n"
    # answered at once, the body never read, then closed long before the trickle ends (the
    # trickle starts once the answer is in: a reset cannot take it before it was read)
    answer = _talk((host, port), head, b" " * 1000, answer_first=True)
    assert answer.startswith(b"HTTP/1.1 200 ")


def test_a_keyless_upload_is_refused_before_its_body_is_read(
    server: tuple[str, int, str],
) -> None:
    host, port, _ = server
    # the trickle would take 200 s: _talk fails unless the server closes long before that
    answer = _talk((host, port), _post_head(50_000_000, None), b"{" * 1000, answer_first=True)
    assert answer.startswith(b"HTTP/1.1 401 ") and b"connection: close" in answer.lower()
    no_type = b"POST /api/v1/messages HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 2\r\n\r\n{}"
    assert _talk((host, port), no_type).startswith(b"HTTP/1.1 401 ")  # 401 before 415


def test_normal_requests_still_work(server: tuple[str, int, str]) -> None:
    host, port, key = server
    base = f"http://{host}:{port}/api/v1"  # /health is served there too
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {key}"}) as client:
        assert client.get("/health").status_code == 200
        imported = client.post("/messages", json=shipment_message(2))
        assert imported.status_code == 201, imported.text
        time.sleep(1.5)  # beyond the header timeout: a kept-alive connection is not cut early
        assert client.get("/health").status_code == 200
