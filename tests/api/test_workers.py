"""``serve --workers 2`` for real: a browser's session signed in once is signed in on every
following request, whichever worker answers, and a revoked key ends it on both at once."""

from __future__ import annotations

import contextlib
import time
from pathlib import Path

import httpx

from tests.api.test_serve import serving, started

REQUESTS = 60


def test_two_workers_share_sessions_and_revocations(tmp_path: Path) -> None:
    with serving(tmp_path, workers="2") as base:
        admin_key = (tmp_path / "data" / "first-admin-key.txt").read_text().strip()
        admin = {"Authorization": f"Bearer {admin_key}"}
        created = httpx.post(
            f"{base}/api/v1/keys",
            json={"name": "ada", "role": "member", "proposals": ["mx1234"]},
            headers=admin,
        )
        assert created.status_code == 201, created.text
        key = created.json()["key"]
        # a new connection per request, so that the kernel hands requests to either worker
        with httpx.Client(
            base_url=base, limits=httpx.Limits(max_keepalive_connections=0)
        ) as browser:
            page = browser.get("/pages/login")
            csrf = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            signed = browser.post("/pages/login", data={"key": key, "csrf": csrf})
            assert signed.status_code == 303 and signed.headers["location"] == "/pages/shipments"
            answers = [browser.get("/pages/shipments").status_code for _ in range(REQUESTS)]
            assert answers.count(200) == REQUESTS, answers
            revoked = httpx.delete(f"{base}/api/v1/keys/{key.split('.')[1]}", headers=admin)
            assert revoked.status_code == 200
            after = [browser.get("/pages/shipments") for _ in range(10)]
            assert all(
                a.status_code == 303 and a.headers["location"] == "/pages/login" for a in after
            )


def test_the_reader_process_ends_with_its_server(tmp_path: Path) -> None:
    """The server reads messages in a process of its own; killed (no chance to end it), the
    server leaves no reader behind."""
    with started(tmp_path) as (_, server):
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
        readers = [
            int(c) for c in children if b"spawn_main" in Path(f"/proc/{c}/cmdline").read_bytes()
        ]
        assert len(readers) == 1, children
        server.kill()  # no chance to end its reader
        server.wait(timeout=10)
    for _ in range(100):  # it looks for its server once a second
        if not Path(f"/proc/{readers[0]}").exists() or _zombie(readers[0]):
            break
        time.sleep(0.1)
    assert not Path(f"/proc/{readers[0]}").exists() or _zombie(readers[0])


def _zombie(pid: int) -> bool:
    with contextlib.suppress(OSError):
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] == "Z"
    return True
