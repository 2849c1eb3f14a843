"""The MXCuBE hardware object's HTTP calls (contrib/mxcube/MxlimsStoreHttp.py, standard library
only) never carry the store's key past a redirect: urllib copies every header of a request to
wherever a 3xx points, another host or plain HTTP included. Two local servers; no MXCuBE."""

from __future__ import annotations

import http.server
import importlib.util
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

CONTRIB = Path(__file__).resolve().parents[2] / "contrib" / "mxcube" / "MxlimsStoreHttp.py"


def _module() -> Any:
    spec = importlib.util.spec_from_file_location("MxlimsStoreHttp", CONTRIB)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class _Recorder(http.server.BaseHTTPRequestHandler):
    seen: list[dict[str, str]] = []
    target = ""

    def do_GET(self) -> None:  # http.server calls it by this name
        type(self).seen.append(dict(self.headers))
        if self.target:
            self.send_response(307)
            self.send_header("Location", self.target + self.path)
            self.end_headers()
            return
        body = b"{}"
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        return None


def _serve(handler: type[http.server.BaseHTTPRequestHandler]) -> http.server.HTTPServer:
    server = http.server.HTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture
def elsewhere_and_store() -> Iterator[tuple[type[_Recorder], type[_Recorder], str]]:
    elsewhere = type("Elsewhere", (_Recorder,), {"seen": [], "target": ""})
    other = _serve(elsewhere)
    store = type(
        "Store", (_Recorder,), {"seen": [], "target": f"http://127.0.0.1:{other.server_port}"}
    )
    redirecting = _serve(store)
    yield store, elsewhere, f"http://127.0.0.1:{redirecting.server_port}"
    other.shutdown()
    redirecting.shutdown()


def test_the_key_does_not_follow_a_redirect(
    elsewhere_and_store: tuple[type[_Recorder], type[_Recorder], str],
) -> None:
    store, elsewhere, url = elsewhere_and_store
    _module().call(url, "mxk.secret", 5, "GET", "/me")
    assert store.seen[0]["Authorization"] == "Bearer mxk.secret"  # the store itself gets it
    assert len(elsewhere.seen) == 1 and "Authorization" not in elsewhere.seen[0]
