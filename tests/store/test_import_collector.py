"""No garbage collection while an import runs, and the collector as it was once it ends."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from typing import Any

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.store import Store, integrity
from mxlims_store.store.collector import collector_paused
from tests.factories import shipment_message


@pytest.fixture
def collecting_seen(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[bool]]:
    """Whether the collector ran, as the rules saw it during each import."""
    seen: list[bool] = []
    check = integrity.check

    async def watched(*args: Any, **kwargs: Any) -> Any:
        seen.append(gc.isenabled())
        return await check(*args, **kwargs)

    monkeypatch.setattr(integrity, "check", watched)
    was = gc.isenabled()
    gc.enable()
    yield seen
    if not was:
        gc.disable()


async def test_an_import_pauses_the_collector_and_resumes_it(
    store: Store, collecting_seen: list[bool]
) -> None:
    report = await store.import_message(shipment_message(4))
    assert report.created["Pin"] == 4
    assert collecting_seen == [False]
    assert gc.isenabled()


async def test_a_refused_import_resumes_the_collector_too(
    store: Store, collecting_seen: list[bool]
) -> None:
    bad = shipment_message(4)
    bad["Pin"]["Pin1"]["positionInPuck"] = bad["Pin"]["Pin2"]["positionInPuck"]
    with pytest.raises(InvalidMessage, match="taken twice"):
        await store.import_message(bad)
    assert collecting_seen == [False]
    assert gc.isenabled()


def test_pauses_nest_and_a_collector_turned_off_stays_off() -> None:
    was = gc.isenabled()
    try:
        gc.enable()
        with collector_paused():
            with collector_paused():
                assert not gc.isenabled()
            assert not gc.isenabled()  # the outer import still runs
        assert gc.isenabled()
        gc.disable()  # the process's own choice
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        (gc.enable if was else gc.disable)()
