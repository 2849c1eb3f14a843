"""What an import asks of SQLite about its uuids, in one call (sqlite_unit.documents_by_uuid):
the history's object numbers read the quick way are the numbers the history keeps, and a uuid
stored in another collection than its type says is found (history knows it)."""

from __future__ import annotations

import random
import string
import uuid

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite_history import object_key
from mxlims_store.store.backends.sqlite_unit import _object_keys
from tests.factories import shipment_message


def test_quick_object_numbers_are_the_history_s_own() -> None:
    rng = random.Random(21)
    alphabet = string.hexdigits + "-+_ xXgé\u0663\t"
    texts = [str(uuid.uuid4()) for _ in range(500)]
    texts += ["0x" + "f" * 13, "0X1234567-0000-0000-0000-0000000000ab", "+abcdef0" * 5, "a_b"]
    texts += [
        "".join(rng.choice(alphabet) for _ in range(rng.randint(0, 40))) for _ in range(20000)
    ]
    for text in texts:
        assert _object_keys([text]) == {object_key(text)}, text


async def test_a_uuid_stored_under_another_type_is_found_and_refused(store: Store) -> None:
    message = shipment_message(1)
    await store.import_message(message)
    dewar = message["Dewar"]["Dewar1"]["uuid"]
    other = {
        "version": "0.6.13",
        "MacromoleculeSample": {"S1": {"mxlimsType": "MacromoleculeSample", "uuid": dewar}},
    }
    with pytest.raises(InvalidMessage, match="is a stored Dewar"):
        await store.import_message(other)
