"""An answer reads as its JSON (``step["mxlimsType"]``, ``"cut" in step``): a field read as it
is where its value is its own JSON, every other one from the dump; either way exactly what
``to_dict()`` (what the API sends) says, for every key of every kind of answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bench import generate
from mxlims_store.answers import CutLink, Step
from mxlims_store.answers.base import Answer
from mxlims_store.store.backends.sqlite import SqliteBackend
from tests.acting import admin_store


def _reads_as_its_json(answer: Answer) -> int:
    """Every key of the answer's JSON (and one it has not) read both ways; the keys read."""
    dumped = answer.to_dict()
    for key, value in dumped.items():
        read = answer[key]
        assert read == value and type(read) is type(value), key
        assert (key in answer) is (value is not None), key
    for absent in ("noSuchField", "mxlims_type", "source"):  # Python names are not JSON names
        if absent not in dumped:
            with pytest.raises(KeyError):
                answer[absent]
            assert absent not in answer
    return len(dumped)


async def test_every_answer_reads_as_what_it_sends(tmp_path: Path) -> None:
    store = admin_store(SqliteBackend(tmp_path / "store.sqlite3"))
    await store.init()
    try:
        shipment = generate.shipment(1, 4)
        results = generate.results(shipment)
        answers: list[Any] = [
            await store.import_message(shipment.message),
            await store.import_message(results.message, policy="update_old"),
        ]
        reflection_set = results.reflection_sets[0]
        steps = await store.provenance(reflection_set, direction="up")
        assert [s["mxlimsType"] for s in steps][-1] == "Shipment"
        assert steps[0]["from"] is None and "from" not in steps[0] and "from" in steps[1]
        answers += steps
        answers += await store.provenance(shipment.uuid, direction="down", depth=2)
        answers.append(await store.links(reflection_set))
        got = await store.get(reflection_set)  # extra fields, and its bookkeeping (a model)
        assert got["_meta"] == got.to_dict()["_meta"] and isinstance(got["_meta"], dict)
        answers.append(got)
        answers += await store.history(reflection_set)
        cut = [CutLink(link="containerRef", uuid="u", mxlims_type="Puck")]
        answers.append(Step(uuid="u", mxlims_type="Pin", label="Pin", depth=64, cut=cut))
        assert sum(_reads_as_its_json(a) for a in answers) > 100
    finally:
        await store.db.close()
