"""A creation's write, written out for speed (history._creation), holds the very document and
entry the general path gave: same keys in the same order (the history's compact form reads the
entry's shape)."""

from __future__ import annotations

from mxlims_store.model.registry import MODEL_VERSION
from mxlims_store.store.history import recorded_change

PIN = {
    "mxlimsType": "Pin",
    "uuid": "0f2a5c1e-1b2c-4d3e-8f40-5a6b7c8d9e0f",
    "containerId": "1f2a5c1e-1b2c-4d3e-8f40-5a6b7c8d9e0f",
    "positionInPuck": 5,
    "extensions": {"esrf.fr": {"a": 1}},
}


def test_a_creation_records_its_document_and_entry_key_for_key() -> None:
    created = {"createdAt": "T", "createdBy": "me", "proposal": "mx1", "slot": "stale"}
    write = recorded_change(
        None,
        PIN,
        revision=2,
        expected=None,
        actor="me",
        time="T",
        import_id="imp",
        source_version="0.6.13",
        created=created,
    )
    assert (write.collection, write.uuid, write.expected_revision) == (
        "logistical_samples",
        PIN["uuid"],
        None,
    )
    meta = {
        "revision": 2,
        "updatedAt": "T",
        "updatedBy": "me",
        "modelVersion": MODEL_VERSION,
        "importId": "imp",
        "createdAt": "T",
        "createdBy": "me",
        "proposal": "mx1",
        "sourceVersion": "0.6.13",
        "slot": "puck:5:-1",
    }
    document = {
        "_id": PIN["uuid"],
        "mxlimsType": "Pin",
        "containerId": PIN["containerId"],
        "positionInPuck": 5,
        "extensions": [{"domain": "esrf.fr", "fields": {"a": 1}}],
        "_meta": meta,
    }
    assert write.document is not None
    assert list(write.document.items()) == list(document.items())
    assert list(write.document["_meta"].items()) == list(meta.items())
    entry = {
        "_id": f"{PIN['uuid']}@2@imp",
        "uuid": PIN["uuid"],
        "revision": 2,
        "operation": "create",
        "actor": "me",
        "time": "T",
        "importId": "imp",
        "_meta": {"proposal": "mx1"},
        "sourceVersion": "0.6.13",
    }
    assert write.history is not None and list(write.history.items()) == list(entry.items())


def test_a_creation_outside_an_import_gets_a_key_of_its_own() -> None:
    first, second = (
        recorded_change(None, PIN, revision=1, expected=None, actor="me", time="T")
        for _ in range(2)
    )
    assert first.history is not None and second.history is not None
    assert first.history["_id"] != second.history["_id"]
    assert first.history["_id"].startswith(f"{PIN['uuid']}@1@")
    assert "importId" in first.history and first.history["importId"] is None
    assert "sourceVersion" not in first.history and "changes" not in first.history


def test_an_import_s_creations_are_the_general_path_s_key_for_key() -> None:
    """history.ImportWrites (what an import uses) against recorded_change: every object of a
    generated shipment and its results, with and without domain-keyed fields and a source
    version, documents and entries alike in their key order."""
    from bench import generate
    from mxlims_store.messages import read_message
    from mxlims_store.store.history import ImportWrites

    shipment = generate.shipment(7, 20)
    objects = [
        *read_message(shipment.message).objects,
        *read_message(generate.results(shipment).message).objects,
        PIN,
        {**PIN, "identifiers": {"esrf.fr": "X1"}, "urls": {"esrf.fr": "https://x"}},
    ]
    for version in ("0.6.13", None):
        creations = ImportWrites(actor="me", time="T", import_id="imp", source_version=version)
        for n, obj in enumerate(objects):
            proposal = None if n % 5 == 0 else "mx1"
            made = creations.create(obj, proposal, n % 3 + 1)
            general = recorded_change(
                None,
                obj,
                revision=n % 3 + 1,
                expected=None,
                actor="me",
                time="T",
                import_id="imp",
                source_version=version,
                created={"createdAt": "T", "createdBy": "me", "proposal": proposal},
            )
            assert made == general
            assert made.document is not None and general.document is not None
            assert list(made.document.items()) == list(general.document.items())
            assert list(made.document["_meta"]) == list(general.document["_meta"])
            assert made.history is not None and general.history is not None
            assert list(made.history.items()) == list(general.history.items())


def test_an_import_s_creations_are_numbered_as_the_writes_would_find_them() -> None:
    """The plan hands the commit the bookkeeping of its creations (ImportWrites.created), so
    that no pass over the writes looks for them: the very dicts, in the order numbering.py
    finds them in the writes, updates left out; each write a plain Write."""
    from bench import generate
    from mxlims_store.messages import read_message
    from mxlims_store.store.backends import Write
    from mxlims_store.store.history import ImportWrites
    from mxlims_store.store.numbering import NUMBER, _creates, _number

    shipment = generate.shipment(3, 20)
    objects = read_message(shipment.message).objects
    creations = ImportWrites(actor="me", time="T", import_id="imp", source_version="0.6.13")
    writes = [creations.create(obj, "mx1", 1) for obj in objects[: len(objects) // 2]]
    writes.append(creations.update(writes[0].document or {}, {**objects[0], "name": "moved"}))
    writes += [creations.create(obj, "mx1", 2) for obj in objects[len(objects) // 2 :]]
    assert all(type(write) is Write for write in writes)
    found = _creates(writes)
    assert len(found) == len(objects) == len(creations.created)
    assert all(a is b for a, b in zip(found, creations.created, strict=True))
    _number(creations.created, 41)
    numbered = [w.document["_meta"][NUMBER] for w in writes if w.expected_revision is None]
    assert numbered == list(range(41, 41 + len(objects)))
    assert NUMBER not in (writes[len(objects) // 2].document or {})["_meta"]  # the update


def test_a_slot_is_the_position_as_one_value() -> None:
    """slot_of, written without a list per object, against what it was."""
    from mxlims_store.store.content_rules import SLOTS, slot_of

    def reference(obj: dict[str, object]) -> str | None:
        slot = SLOTS.get(str(obj.get("mxlimsType", "")))
        if slot is None or not obj.get("containerId"):
            return None
        fields, _, space = slot
        key = [obj.get(f) for f in fields]
        if key[0] is None or None in key:
            return None
        sub = key[1] if len(key) > 1 else -1
        return f"{space}:{key[0]}:{sub}"

    values: list[object] = [None, 0, 3, 12]
    for type_name in [*SLOTS, "Dewar"]:
        for container in (None, "", "c-1"):
            for first in values:
                for second in values:
                    obj = {"mxlimsType": type_name, "containerId": container}
                    fields = SLOTS[type_name][0] if type_name in SLOTS else ("positionInPuck",)
                    for field, value in zip(fields, (first, second), strict=False):
                        if value is not None:
                            obj[field] = value
                    assert slot_of(obj) == reference(obj), obj
