"""A private MariaDB server for tests and the benchmark: its own data directory, socket and
loopback port, run as the current user (root in CI), stopped when done.

    with private_mariadb(tmp_path) as server:          # ~1 s; skips (saying why) without MariaDB
        build_ispyb(server, "ispyb")                   # ISPyB's own schema, lookups, data, routines
        url = server.url("ispyb")                      # mysql+pymysql://root@127.0.0.1:PORT/ispyb

Debian's ``mariadb-server`` provides ``mariadbd`` and ``mariadb-install-db`` (``.ci/run``
installs it). The ISPyB build reads ``../shared/ispyb-database`` and never copies it.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.conftest import SHARED

ISPYB_SQL = SHARED / "ispyb-database"
BUILD_FILES = ("tables", "lookups", "data", "routines")


class MariaDBUnavailable(RuntimeError):
    """MariaDB cannot be started here; the message says why."""


@dataclass(frozen=True)
class MariaDB:
    data_dir: Path
    socket: Path
    port: int

    def url(self, database: str) -> str:
        return f"mysql+pymysql://root@127.0.0.1:{self.port}/{database}"

    def sql(self, statements: str, database: str | None = None, *, force: bool = False) -> str:
        """Run ``statements`` with the ``mariadb`` client; its output (tab-separated, no names)."""
        command = [_tool("mariadb"), "--no-defaults", f"--socket={self.socket}", "-uroot", "-N"]
        command += ["--force"] if force else []
        command += [database] if database else []
        done = subprocess.run(command, input=statements, capture_output=True, text=True)
        if done.returncode != 0 and not force:
            raise RuntimeError(f"mariadb: {done.stderr.strip()}")
        return done.stdout


def _tool(name: str) -> str:
    for folder in ("", "/usr/sbin/", "/usr/bin/"):
        found = shutil.which(folder + name) if not folder else folder + name
        if found and os.access(found, os.X_OK):
            return found
    raise MariaDBUnavailable(f"{name} not found: install Debian's mariadb-server (.ci/run does)")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextlib.contextmanager
def private_mariadb(folder: Path) -> Iterator[MariaDB]:
    """A fresh server in ``folder`` for the block; :class:`MariaDBUnavailable` if none starts."""
    data_dir, sock = folder / "mariadb-data", folder / "mariadb.sock"
    install = subprocess.run(
        [
            _tool("mariadb-install-db"),
            "--no-defaults",
            f"--datadir={data_dir}",
            "--user=root",
            "--auth-root-authentication-method=normal",
            "--skip-test-db",
        ],
        capture_output=True,
        text=True,
    )
    if install.returncode != 0:
        raise MariaDBUnavailable(f"mariadb-install-db failed: {install.stderr.strip()[-300:]}")
    port = _free_port()
    log = folder / "mariadb.err"
    process = subprocess.Popen(
        [
            _tool("mariadbd"),
            "--no-defaults",
            f"--datadir={data_dir}",
            f"--socket={sock}",
            f"--port={port}",
            "--bind-address=127.0.0.1",
            "--user=root",
            "--skip-name-resolve",
            f"--log-error={log}",
            f"--pid-file={folder / 'mariadb.pid'}",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = MariaDB(data_dir, sock, port)
    try:
        deadline = time.monotonic() + 30
        while True:
            if process.poll() is not None:
                raise MariaDBUnavailable(f"mariadbd exited: {log.read_text()[-300:]}")
            try:
                server.sql("SELECT 1")
                break
            except RuntimeError:
                if time.monotonic() > deadline:
                    raise MariaDBUnavailable("mariadbd did not answer within 30 s") from None
                time.sleep(0.1)
        yield server
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            process.kill()


def build_ispyb(server: MariaDB, database: str = "ispyb") -> None:
    """ISPyB as upstream builds it: the four files, then each dated update that the
    ``SchemaStatus`` table does not record as run (upstream's work-in-progress scripts, not
    dated, are left out as its own build leaves them; an update whose change is already in the
    schema fails harmlessly and is passed over, as ``--force`` does)."""
    if not ISPYB_SQL.is_dir():
        raise MariaDBUnavailable(f"needs ISPyB's schema in {ISPYB_SQL}")
    server.sql(f"CREATE DATABASE `{database}`; SET GLOBAL log_bin_trust_function_creators=ON;")
    for name in BUILD_FILES:
        server.sql((ISPYB_SQL / f"{name}.sql").read_text(encoding="utf-8"), database)
    done = set(server.sql("SELECT scriptName FROM SchemaStatus", database).split())
    for update in sorted((ISPYB_SQL / "updates").glob("20*.sql")):
        if update.name not in done:
            server.sql(update.read_text(encoding="utf-8"), database, force=True)
