"""A walk stops at MAX_DEPTH levels, and says so: provenance lists the links it did not follow,
an export leaves them out (so that it imports into any store) and lists them too."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mxlims_store.store import Store
from mxlims_store.store.walk import MAX_DEPTH, Cut
from tests.acting import admin_store
from tests.conftest import REFERENCE, conformance_errors
from tests.factories import derived_chain
from tests.store.conftest import make_backend

LENGTH = MAX_DEPTH + 6  # six objects beyond what one walk reaches


def _uuid(chain: dict[str, Any], n: int) -> str:
    return str(chain["ReflectionSet"][f"ReflectionSet{n}"]["uuid"])


async def test_provenance_up_says_where_the_depth_limit_stopped_it(store: Store) -> None:
    chain = derived_chain(LENGTH)
    await store.import_message(chain)
    steps = await store.provenance(_uuid(chain, LENGTH))
    assert len(steps) == MAX_DEPTH + 1 and steps[-1]["depth"] == MAX_DEPTH
    last = LENGTH - MAX_DEPTH  # the deepest object reached
    assert steps.cut == [
        Cut(_uuid(chain, last), "derivedFromRef", _uuid(chain, last - 1), "ReflectionSet")
    ]
    [stopped] = [s for s in steps if "cut" in s]
    assert stopped["uuid"] == _uuid(chain, last)
    assert stopped["cut"] == [
        {"link": "derivedFromRef", "uuid": _uuid(chain, last - 1), "mxlimsType": "ReflectionSet"}
    ]


async def test_provenance_down_says_where_the_depth_limit_stopped_it(store: Store) -> None:
    chain = derived_chain(LENGTH)
    await store.import_message(chain)
    steps = await store.provenance(_uuid(chain, 1), direction="down")
    assert len(steps) == MAX_DEPTH + 1
    reached = _uuid(chain, MAX_DEPTH + 1)
    assert steps.cut == [
        Cut(reached, "derivedDatasets", _uuid(chain, MAX_DEPTH + 2), "ReflectionSet")
    ]


async def test_no_cut_when_the_walk_reaches_the_end_or_the_depth_asked_for(store: Store) -> None:
    chain = derived_chain(MAX_DEPTH + 1)  # exactly MAX_DEPTH levels above its last object
    await store.import_message(chain)
    whole = await store.provenance(_uuid(chain, MAX_DEPTH + 1))
    assert len(whole) == MAX_DEPTH + 1 and whole.cut == []
    assert all("cut" not in step for step in whole)
    asked = await store.provenance(_uuid(chain, MAX_DEPTH + 1), depth=3)
    assert len(asked) == 4 and asked.cut == []
    assert (await store.export(_uuid(chain, MAX_DEPTH + 1))).cut == []


async def test_a_cut_export_leaves_the_links_out_lists_them_and_imports_anywhere(
    store: Store, tmp_path: Path
) -> None:
    chain = derived_chain(LENGTH)
    await store.import_message(chain)
    last = LENGTH - MAX_DEPTH
    exported = await store.export(_uuid(chain, LENGTH))
    assert exported.cut == [
        Cut(_uuid(chain, last), "derivedFromRef", _uuid(chain, last - 1), "ReflectionSet")
    ]
    written = {o["uuid"]: o for o in exported["ReflectionSet"].values()}
    assert len(written) == MAX_DEPTH + 1 and set(exported) == {"version", "ReflectionSet"}
    assert "derivedFromRef" not in written[_uuid(chain, last)]  # the cut link, and only it
    assert all("derivedFromRef" in o for u, o in written.items() if u != _uuid(chain, last))
    if REFERENCE.is_dir():
        assert conformance_errors(exported, "MxlimsMessage") == []

    (tmp_path / "fresh").mkdir()
    backend = make_backend("sqlite", tmp_path / "fresh")
    fresh = admin_store(backend)
    await fresh.init()
    report = await fresh.import_message(exported)
    assert report.created == {"ReflectionSet": MAX_DEPTH + 1}
    await backend.close()
    # re-imported where it came from, the stored link stays: nothing is lost on the way back
    await store.import_message(exported, policy="update_old")
    assert (await store.get(_uuid(chain, last))).data["derivedFromId"] == _uuid(chain, last - 1)


async def test_a_shipment_results_file_deeper_than_the_limit_says_so(store: Store) -> None:
    chain = derived_chain(LENGTH)
    await store.import_message(chain)
    exported = await store.export(_uuid(chain, 1), direction="down")
    reached = _uuid(chain, MAX_DEPTH + 1)
    assert [(c.source, c.link) for c in exported.cut] == [(reached, "derivedDatasets")]
    assert len(exported["ReflectionSet"]) == MAX_DEPTH + 1  # nothing links out of the file
