"""``mxlims-store serve`` for real: uvicorn in a subprocess on a free loopback port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(
    url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 20
) -> httpx.Response:
    deadline = time.monotonic() + seconds
    while True:
        if process.poll() is not None:
            raise AssertionError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            return httpx.get(url, timeout=1)
        except httpx.TransportError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.1)


@contextmanager
def serving(home: Path, **settings: str) -> Iterator[str]:
    """``mxlims-store serve`` on a fresh data directory under ``home`` and a free loopback
    port, with ``settings`` (``header_timeout="1"`` -> ``MXLIMS_HEADER_TIMEOUT=1``), until the
    block ends; yields the base URL once /health answers."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MXLIMS_")}
    env.update(MXLIMS_DATA_DIR=str(home / "data"), MXLIMS_PORT=str(port), PYTHONPATH=str(ROOT))
    env.update({f"MXLIMS_{name.upper()}": value for name, value in settings.items()})
    log = home / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "mxlims_store.cli", "serve", "--host", "127.0.0.1"],
            cwd=home,
            env=env,
            stdout=output,
            stderr=subprocess.STDOUT,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/health", process, log)
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_serve_answers_health_and_docs(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MXLIMS_")}
    env.update(MXLIMS_DATA_DIR=str(tmp_path / "data"), MXLIMS_PORT=str(port), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "mxlims_store.cli", "serve", "--host", "127.0.0.1"]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(
            command, cwd=tmp_path, env=env, stdout=output, stderr=subprocess.STDOUT
        )
    try:
        health = wait_for(f"http://127.0.0.1:{port}/health", process, log)
        assert health.status_code == 200
        assert health.json()["backend"] == "embedded"
        docs = httpx.get(f"http://127.0.0.1:{port}/docs", timeout=5)
        assert docs.status_code == 200
        assert "swagger" in docs.text.lower()
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()
    assert (tmp_path / "data").is_dir()


def test_serve_with_a_bad_mongodb_url_stops_with_a_clear_message(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MXLIMS_")}
    env.update(MXLIMS_MONGODB_URL="mongodb://", MXLIMS_PORT=str(free_port()), PYTHONPATH=str(ROOT))
    command = [sys.executable, "-m", "mxlims_store.cli", "serve"]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode != 0
    assert "cannot open MongoDB at mongodb://" in result.stdout + result.stderr
