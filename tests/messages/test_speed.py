"""A full beamtime's shipment (6,500+ objects) reads and validates well under a second."""

from __future__ import annotations

import time

from mxlims_store.messages import read_message
from tests.factories import shipment_message


def test_a_6500_object_message_validates_in_well_under_a_second() -> None:
    message = shipment_message(1600, experiments=True)
    objects = sum(len(v) for k, v in message.items() if k != "version")
    assert objects > 6000
    best = min(_timed(message) for _ in range(3))
    print(f"read + validate {objects} objects: {best:.3f} s")
    assert best < 1.0


def _timed(message: dict) -> float:
    started = time.perf_counter()
    read_message(message)
    return time.perf_counter() - started
