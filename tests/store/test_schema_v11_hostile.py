"""Schema 11, as an attacker would ask: ids that are no canonical uuid, in every way the store
is asked for objects, on each backend (a difference between backends is a bug). Each must find
nothing, never another object (sqlite_ids packs canonical uuids for all at once: a list whose
elements are not each 36 characters must never be cut into other objects' keys)."""

from __future__ import annotations

import json

import pytest

from mxlims_store.errors import MxlimsError, NotFound
from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite_ids import in_keys_params, key, keys, keys_params
from mxlims_store.store.queries import FindQuery
from tests.factories import new_uuid, shipment_message


def _spliced(first: str, second: str) -> list[str]:
    """Two texts, 35 and 37 characters, neither a uuid, whose concatenation is ``first`` and
    ``second`` concatenated (the dashes where 36-character blocks have them)."""
    return [first[:-1], first[-1] + second]


def _hostile(uuid: str) -> list[str]:
    """Texts near ``uuid`` that are not it."""
    # Arabic-Indic digits, and full-width digits and letters (by code point: no lookalike
    # characters in the source)
    arabic = uuid.translate({ord("0") + n: 0x0660 + n for n in range(10)})
    wide = uuid.translate({c: c + 0xFEE0 for c in map(ord, "0123456789abcdef")})
    return [
        uuid.upper(),
        "{" + uuid + "}",
        uuid.replace("-", ""),
        uuid[:-1],
        uuid + "0",
        uuid + " ",
        uuid + "\n",
        " " + uuid,
        uuid + "\x00",
        arabic,
        wide,
        "",
        "urn:uuid:" + uuid,
    ]


def test_packing_never_cuts_across_elements() -> None:
    one, two = new_uuid(), new_uuid()
    for texts in (_spliced(one, two), _spliced(one, two)[::-1]):
        assert keys(texts) == texts  # kept as the texts they are
        assert key(one) not in keys(texts)
        assert in_keys_params(texts)[0] == b""  # no blob: nothing canonical
        _sql, params = keys_params(texts)
        assert key(one) not in params and key(two) not in params


async def test_non_canonical_ids_find_nothing(store: Store) -> None:
    message = shipment_message(3)
    pin = message["Pin"]["Pin1"]["uuid"]
    puck = message["Puck"]["Puck1"]["uuid"]
    sample = message["MacromoleculeSample"]["MacromoleculeSample1"]["uuid"]
    # pin and puck begin with 0 and end with f: the two texts of _spliced sort in that order,
    # as the backend sorts a list before packing it
    text = json.dumps(message)
    for was in (pin, puck):
        text = text.replace(was, "0" + was[1:-1] + "f")
    message = json.loads(text)
    pin, puck = ("0" + u[1:-1] + "f" for u in (pin, puck))
    await store.import_message(message)
    near = _hostile(pin) + _hostile(puck) + _spliced(pin, puck) + _spliced(puck, sample)
    for text in near:
        for ask in (store.get, store.links, store.history, store.provenance):
            with pytest.raises(MxlimsError) as raised:
                await ask(text)
            assert isinstance(raised.value, NotFound), (ask, text, raised.value)
    many = near + [f"{n:036d}" for n in range(10_000)]
    for field in ("uuid", "containerId", "sampleId"):
        page = await store.find(FindQuery(where={field: {"$in": many}}, limit=1000))
        assert page.items == [], field
    for pair in (_spliced(pin, puck), _spliced(puck, sample)):
        for field in ("uuid", "containerId"):
            page = await store.find(FindQuery(where={field: {"$in": pair}}))
            assert page.items == [], (field, pair)
    # the real ones still found, among the hostile
    page = await store.find(FindQuery(where={"uuid": {"$in": [*many, pin, puck]}}))
    assert sorted(o.uuid for o in page.items) == sorted([pin, puck])
