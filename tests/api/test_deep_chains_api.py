"""Over HTTP, a walk cut at the depth limit says so: in the body of a provenance, in headers
of every MXLIMS download, and the download still imports into a fresh store."""

from __future__ import annotations

from pathlib import Path

import httpx

from mxlims_store.api.main import create_app
from mxlims_store.store.walk import MAX_DEPTH
from tests.api.conftest import make_settings, running
from tests.factories import derived_chain

LENGTH = MAX_DEPTH + 6


async def test_provenance_and_export_cut_at_the_depth_limit_say_so(
    client: httpx.AsyncClient, tmp_path: Path
) -> None:
    chain = derived_chain(LENGTH)
    assert (await client.post("/messages", json=chain)).status_code == 201
    uuids = [chain["ReflectionSet"][f"ReflectionSet{n}"]["uuid"] for n in range(1, LENGTH + 1)]
    last_reached, left_out = uuids[LENGTH - MAX_DEPTH - 1], uuids[LENGTH - MAX_DEPTH - 2]

    provenance = await client.get(f"/objects/{uuids[-1]}/provenance")
    assert provenance.status_code == 200
    steps = provenance.json()
    assert len(steps) == MAX_DEPTH + 1
    assert [s for s in steps if s.get("cut")] == [
        {
            "uuid": last_reached,
            "mxlimsType": "ReflectionSet",
            "label": f"ReflectionSet {last_reached}",
            "depth": MAX_DEPTH,
            "link": "derivedFromRef",
            "from": uuids[LENGTH - MAX_DEPTH],
            "cut": [{"link": "derivedFromRef", "uuid": left_out, "mxlimsType": "ReflectionSet"}],
        }
    ]
    assert "depth limit of 64 levels" in provenance.headers["X-MXLIMS-Truncated"]
    assert provenance.headers["X-MXLIMS-Left-Out"] == left_out

    exported = await client.get(f"/objects/{uuids[-1]}/export")
    assert exported.status_code == 200
    assert "1 link(s) not followed" in exported.headers["X-MXLIMS-Truncated"]
    assert exported.headers["X-MXLIMS-Left-Out"] == left_out
    message = exported.json()
    assert len(message["ReflectionSet"]) == MAX_DEPTH + 1

    fresh = create_app(make_settings(tmp_path / "fresh"))
    async with running(fresh) as other:
        imported = await other.post("/messages", json=message)
        assert imported.status_code == 201, imported.text
        assert imported.json()["created"] == {"ReflectionSet": MAX_DEPTH + 1}


async def test_a_walk_that_reaches_the_end_has_no_truncation_headers(
    client: httpx.AsyncClient,
) -> None:
    chain = derived_chain(3)
    await client.post("/messages", json=chain)
    last = chain["ReflectionSet"]["ReflectionSet3"]["uuid"]
    for path in (f"/objects/{last}/provenance", f"/objects/{last}/export"):
        answer = await client.get(path)
        assert answer.status_code == 200 and "X-MXLIMS-Truncated" not in answer.headers
    assert all(
        step["cut"] is None for step in (await client.get(f"/objects/{last}/provenance")).json()
    )
