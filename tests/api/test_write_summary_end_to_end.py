"""The read-set keys and type counts the embedded engine gathers while numbering a write
(sqlite_write_summary, round 10), end to end: after an import, a results return, a PATCH of a
pin's sample link, a PATCH of a dataset and a DELETE of one, the shipment's results file gets
a new ETag (a 304 would hand the user the old results), another shipment's keeps its own, and
``stats`` (answered from the kept counts) counts what the documents hold."""

from __future__ import annotations

import sqlite3
from collections import Counter
from typing import Any

import httpx
from fastapi import FastAPI

from mxlims_store.store.backends import sqlite_type_counts
from mxlims_store.store.backends.sqlite import database_file
from mxlims_store.store.collection_names import CORE_COLLECTIONS
from tests.api.conftest import running
from tests.factories import results_message, shipment_message


def _uuid(message: dict[str, Any], section: str, key: str = "") -> str:
    uuid: str = message[section][key or f"{section}1"]["uuid"]
    return uuid


async def _etag(client: httpx.AsyncClient, url: str) -> str:
    answer = await client.get(url)
    assert answer.status_code == 200, answer.text
    etag: str = answer.headers["etag"]
    return etag


async def _stale(client: httpx.AsyncClient, url: str, etag: str) -> bool:
    answer = await client.get(url, headers={"If-None-Match": etag})
    assert answer.status_code in (200, 304), answer.text
    return answer.status_code == 200 and answer.headers["etag"] != etag


async def _counted_right(client: httpx.AsyncClient, app: FastAPI) -> Counter[str]:
    """``stats`` equals the documents grouped by type, and came from counts kept as of the
    last commit (not from grouping them)."""
    settings = app.state.settings
    path = database_file(settings.data_dir, settings.database)
    connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        grouped: Counter[str] = Counter()
        for name in CORE_COLLECTIONS:
            assert sqlite_type_counts.kept(connection, name) is not None, name
            grouped.update(sqlite_type_counts.grouped(connection, name))
    finally:
        connection.close()
    answer = await client.get("/stats")
    assert answer.status_code == 200, answer.text
    assert Counter(answer.json()) == grouped
    return grouped


async def test_each_write_stales_the_results_it_changes_and_counts_right(app: FastAPI) -> None:
    async with running(app) as client:
        mine, other = shipment_message(2, proposal="mx1"), shipment_message(1, proposal="mx1")
        for message in (mine, other):
            stored = await client.post("/messages", json=message)
            assert stored.status_code in (200, 201), stored.text
        counts = await _counted_right(client, app)
        urls = [f"/shipments/{_uuid(m, 'Shipment')}/results" for m in (mine, other)]
        mine_url, other_url = urls
        other_etag = await _etag(client, other_url)

        # a results return: new jobs and datasets, the pin and sample re-sent
        before = await _etag(client, mine_url)
        results = results_message(mine)
        returned = await client.post("/messages?policy=merge", json=results)
        assert returned.status_code in (200, 201), returned.text
        assert await _stale(client, mine_url, before)
        after = await _counted_right(client, app)
        assert after - counts == Counter(
            {t: 1 for t in ("Crystal", "MxExperiment", "CollectionSweep", "MxProcessing")}
            | {"ReflectionSet": 1}
        )

        # a PATCH of a pin's sample link, to the other shipment's sample
        before = await _etag(client, mine_url)
        pin = _uuid(mine, "Pin", "Pin2")
        linked = await client.patch(
            f"/objects/{pin}",
            json={"sampleId": _uuid(other, "MacromoleculeSample")},
            headers={"If-Match": '"1"'},
        )
        assert linked.status_code == 200, linked.text
        assert await _stale(client, mine_url, before)
        assert await _counted_right(client, app) == after

        # a PATCH of a dataset of the results
        before = await _etag(client, mine_url)
        sweep = _uuid(results, "CollectionSweep")
        patched = await client.patch(
            f"/objects/{sweep}", json={"exposureTime": 0.04}, headers={"If-Match": '"1"'}
        )
        assert patched.status_code == 200, patched.text
        assert await _stale(client, mine_url, before)
        assert (await client.get(mine_url)).json()["CollectionSweep"]["CollectionSweep1"][
            "exposureTime"
        ] == 0.04
        assert await _counted_right(client, app) == after

        # a DELETE of a dataset of the results
        before = await _etag(client, mine_url)
        reflections = _uuid(results, "ReflectionSet")
        deleted = await client.delete(f"/objects/{reflections}", headers={"If-Match": '"1"'})
        assert deleted.status_code in (200, 204), deleted.text
        assert await _stale(client, mine_url, before)
        assert "ReflectionSet" not in (await client.get(mine_url)).json()
        assert after - await _counted_right(client, app) == Counter({"ReflectionSet": 1})

        # none of it was the other shipment's tree
        answer = await client.get(other_url, headers={"If-None-Match": other_etag})
        assert answer.status_code == 304


async def test_links_of_a_shape_no_model_allows_are_refused_before_any_summary(
    app: FastAPI,
) -> None:
    """The summary finds touched_keys' keys for link fields shaped as the models allow (a
    scalar link a string, a list of links a list of strings: a list in a scalar link would
    name no key there). The write path holds that: such a PATCH is refused, nothing stored,
    no download stale."""
    async with running(app) as client:
        shipment = shipment_message(1, proposal="mx1")
        assert (await client.post("/messages", json=shipment)).status_code in (200, 201)
        results = results_message(shipment)
        returned = await client.post("/messages?policy=merge", json=results)
        assert returned.status_code in (200, 201), returned.text
        url = f"/shipments/{_uuid(shipment, 'Shipment')}/results"
        before, counts = await _etag(client, url), await _counted_right(client, app)
        pin, sweep = _uuid(shipment, "Pin"), _uuid(results, "CollectionSweep")
        processing = _uuid(results, "MxProcessing")
        bodies: list[tuple[str, dict[str, Any]]] = [
            (pin, {"sampleId": [_uuid(shipment, "MacromoleculeSample")]}),
            (pin, {"containerId": {"uuid": _uuid(shipment, "Puck")}}),
            (processing, {"inputDataIds": sweep}),
            (processing, {"inputDataIds": [sweep, 3]}),
        ]
        for uuid, body in bodies:
            etag = (await client.get(f"/objects/{uuid}")).headers["etag"]
            refused = await client.patch(f"/objects/{uuid}", json=body, headers={"If-Match": etag})
            assert refused.status_code == 422, refused.text
            assert refused.json()["problems"][0]["path"].startswith(next(iter(body)))
            assert (await client.get(f"/objects/{uuid}")).headers["etag"] == etag
        assert not await _stale(client, url, before)
        assert await _counted_right(client, app) == counts
