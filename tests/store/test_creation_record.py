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
