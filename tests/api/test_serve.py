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
import pytest

from tests.conftest import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def wait_for(
    url: str, process: subprocess.Popen[bytes], log: Path, seconds: float = 120
) -> httpx.Response:
    """The first answer from ``url``; a server that exits is reported at once. The wait is
    long: on a busy machine (2 cores, load 15) a start takes 10-30 s, and 20 s failed there."""
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
    with started(home, **settings) as (base, _):
        yield base


@contextmanager
def started(home: Path, **settings: str) -> Iterator[tuple[str, subprocess.Popen[bytes]]]:
    """As :func:`serving`, also yielding the server's process (to kill it, or read /proc)."""
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
        yield base, process
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
        trackers = _trackers_of(process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:  # pragma: no cover
            process.kill()
            process.wait()
    assert (tmp_path / "data").is_dir()
    # SIGTERM (what systemctl stop sends) ends the reading processes too: uvicorn raises it
    # again after shutdown, and a pool left running showed as "leaked semaphore objects",
    # written by multiprocessing's resource tracker as it ends, after the server
    for _ in range(100):
        if not any(tracker.exists() for tracker in trackers):
            break
        time.sleep(0.1)
    assert "leaked" not in log.read_text()
    assert "Application shutdown complete" in log.read_text()


def _trackers_of(server: int) -> list[Path]:
    """The /proc folders of the resource trackers the process ``server`` started (Linux)."""
    found = []
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            text = status.read_text()
            command = (status.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if f"PPid:\t{server}\n" in text and b"resource_tracker" in command:
            found.append(status.parent)
    return found


@pytest.mark.parametrize(
    ("setting", "arguments", "named"),
    [
        ({"MXLIMS_MONGODB_URL": "mongodb://"}, [], "MXLIMS_MONGODB_URL='mongodb://'"),
        ({"MXLIMS_MONGODB_URL": "mongodb://u:p@@h"}, [], "MXLIMS_MONGODB_URL='mongodb://u:***@"),
        ({"MXLIMS_PORT": "abc"}, [], "MXLIMS_PORT='abc'"),
        ({"MXLIMS_WORKERS": "0"}, [], "MXLIMS_WORKERS='0'"),
        ({"MXLIMS_SECURE_COOKIES": "maybe"}, [], "MXLIMS_SECURE_COOKIES='maybe'"),
        ({"MXLIMS_ALLOWED_HOSTS": "lims.*.org"}, [], "MXLIMS_ALLOWED_HOSTS="),
        ({}, ["--port", "99999"], "--port 99999"),
        ({}, ["--workers", "0"], "--workers 0"),
        ({"MXLIMS_DATA_DIR": ""}, [], "MXLIMS_DATA_DIR=''"),
        ({"MXLIMS_TRUSTED_PROXIES": "127.0.0.l"}, [], "MXLIMS_TRUSTED_PROXIES="),
        ({"MXLIMS_CORS_ORIGINS": "https://lab.example.org/"}, [], "MXLIMS_CORS_ORIGINS="),
        ({"MXLIMS_ISPYB_URL": "ispyb-host/ispyb"}, [], "MXLIMS_ISPYB_URL="),
        ({"MXLIMS_ISPYB_URL": "mysql+pymysql//u:p@h/i"}, [], "MXLIMS_ISPYB_URL='mysql+pymysql//u"),
        ({"MXLIMS_ISPYB_TIMEZONE": "Europe/Grenoble"}, [], "MXLIMS_ISPYB_TIMEZONE="),
        ({}, ["--host", "no-such-host.invalid"], "--host 'no-such-host.invalid' (MXLIMS_HOST)"),
        ({}, ["--host", "192.0.2.1"], "cannot listen on 192.0.2.1:8000"),  # not this machine's
        ({"MXLIMS_HOST": ""}, [], "--host '' (MXLIMS_HOST): empty"),  # not every interface
    ],
    ids=[
        "no-host",
        "bad-password",
        "port",
        "workers",
        "cookies",
        "hosts",
        "cli-port",
        "cli-workers",
        "empty-data-dir",
        "proxies",
        "cors",
        "ispyb-url",
        "ispyb-url-password",
        "time-zone",
        "host-name",
        "host-address",
        "host-empty",
    ],
)
def test_serve_with_a_bad_setting_says_so_in_one_line_and_creates_nothing(
    tmp_path: Path, setting: dict[str, str], arguments: list[str], named: str
) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MXLIMS_")}
    env.update(MXLIMS_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
    env.update(setting)
    command = [sys.executable, "-m", "mxlims_store.cli", "serve", *arguments]
    result = subprocess.run(
        command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1 and named in result.stderr, result.stderr
    assert ":p@" not in result.stderr  # a password is never printed
    assert not any(tmp_path.iterdir())  # no store, no admin key (in the working directory)


def test_serve_on_a_port_in_use_says_so_in_one_line_and_creates_nothing(tmp_path: Path) -> None:
    """uvicorn finds a port taken only after the store and its first admin key exist."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        env = {k: v for k, v in os.environ.items() if not k.startswith("MXLIMS_")}
        env.update(MXLIMS_DATA_DIR=str(tmp_path / "data"), PYTHONPATH=str(ROOT))
        command = [sys.executable, "-m", "mxlims_store.cli", "serve", "--port", str(port)]
        result = subprocess.run(
            command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
        )
    assert result.returncode == 1 and result.stdout == ""
    assert len(result.stderr.splitlines()) == 1, result.stderr
    assert f"cannot listen on 127.0.0.1:{port}" in result.stderr, result.stderr
    assert not any(tmp_path.iterdir())
