"""ispyb push against ISPyB's real schema on MariaDB, judged by ISPyB's own stored procedures;
a refused push changes nothing; an interrupted push is repaired by the next."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from mxlims_store.ispyb import identity
from mxlims_store.ispyb.bridge import push
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.ispyb.report import IspybRefused
from mxlims_store.store import Store
from mxlims_store.store.backends.sqlite import SqliteBackend
from tests.acting import admin_store
from tests.ispyb.conftest import SHIPMENT_UUID, fixture_shipment, new_proposal
from tests.mariadb_server import MariaDB

DOMAIN = "ispyb.local"
WRITTEN = (
    "Shipping",
    "Dewar",
    "Container",
    "BLSample",
    "Crystal",
    "Protein",
    "DiffractionPlan",
    "BLSample_has_DataCollectionPlan",
    "Person",
    "LabContact",
    "DewarTransportHistory",
    "ContainerHistory",
)


def call(server: MariaDB, procedure: str, *args: Any) -> list[dict[str, Any]]:
    """Rows of one of ISPyB's stored procedures, by column name."""
    engine = sa.create_engine(server.url("ispyb"))
    try:
        with engine.connect() as conn:
            marks = ", ".join(["%s"] * len(args))
            result = conn.exec_driver_sql(f"CALL {procedure}({marks})", tuple(args))
            return [dict(row) for row in result.mappings()]
    finally:
        engine.dispose()


def checksums(server: MariaDB, database: str = "ispyb") -> str:
    return server.sql(f"CHECKSUM TABLE {', '.join(WRITTEN)};", database)


async def stored(store: Store, proposal: str, tag: str, **shipment: Any) -> dict[str, Any]:
    message = fixture_shipment(proposal, tag)
    message["Shipment"]["Shipment1"].update(shipment)
    await store.import_message(message)
    return message


async def test_ispyb_own_procedures_find_the_pushed_shipment(
    store: Store, mariadb: MariaDB
) -> None:
    code = new_proposal(mariadb)
    message = await stored(store, code, "P1")
    report = await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1))
    assert report.created["BLSample"] == 14 and report.created["Container"] == 4
    with_components = [s for s in message["MacromoleculeSample"].values() if s.get("components")]
    assert report.created["CrystalComposition"] == len(with_components) > 0
    assert not any("components" in loss for loss in report.losses)

    dewars = call(mariadb, "retrieve_dewars_for_proposal_code_number_v2", "mx", code[2:], None)
    assert {d["barCode"] for d in dewars} == {d["barcode"] for d in message["Dewar"].values()}
    for puck_key, puck in message["Puck"].items():
        (container,) = call(mariadb, "retrieve_container_for_barcode", puck["barcode"])
        assert container["capacity"] == puck["numberPositions"]
        assert container["visit"] == f"{code}-1"
        for pin in message["Pin"].values():
            if pin["containerRef"]["$ref"] != f"#/Puck/{puck_key}":
                continue
            (sample,) = call(
                mariadb,
                "retrieve_sample_for_container_id_and_location",
                container["containerId"],
                str(pin["positionInPuck"]),
            )
            assert sample["sampleCode"] == pin["barcode"]

    # Not at the beamline yet: ISPyB's sample query shows nothing of the proposal.
    assert call(mariadb, "retrieve_samples_assigned_for_proposal", "mx", code[2:]) == []
    for dewar in message["Dewar"].values():
        await store.record_event(dewar["uuid"], "received", facility="ESRF")
        await store.record_event(dewar["uuid"], "at_beamline", beamline="id30a1")
    evented = await push(
        store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1, events=True)
    )
    assert evented.created["DewarTransportHistory"] == 4 and not evented.created["BLSample"]
    assigned = call(mariadb, "retrieve_samples_assigned_for_proposal", "mx", code[2:])
    assert sorted(s["sampleCode"] for s in assigned) == sorted(
        p["barcode"] for p in message["Pin"].values()
    )
    # The events again: nothing new.
    again = await push(
        store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1, events=True)
    )
    assert not again.created and not again.updated


async def test_a_second_push_writes_nothing_and_the_map_is_kept(
    store: Store, mariadb: MariaDB
) -> None:
    code = new_proposal(mariadb)
    await stored(store, code, "P2")
    first = await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1))
    pin = await store.by_barcode("P2-ESRF-PIN-300")
    table, row_id = identity.parse_row(pin.data["identifiers"][DOMAIN]) or ("", 0)
    assert table == "BLSample" and row_id > 0
    second = await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1))
    assert first.created and not second.created and not second.updated
    assert second.shipping_id == first.shipping_id


async def test_an_interrupted_push_is_repaired_by_the_next(
    store: Store, mariadb: MariaDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    code = new_proposal(mariadb)
    await stored(store, code, "P3")

    async def crash(*args: Any) -> None:
        raise KeyboardInterrupt  # the process dies between ISPyB's commit and the map

    monkeypatch.setattr(identity, "record", crash)
    with pytest.raises(KeyboardInterrupt):
        await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1))
    monkeypatch.undo()
    repaired = await push(
        store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1)
    )
    assert not repaired.created, repaired.created
    assert repaired.repaired["BLSample"] == 14 and repaired.repaired["DiffractionPlan"] == 14
    number = code[2:]
    counts = mariadb.sql(
        "SELECT COUNT(*) FROM Shipping s JOIN Proposal p USING (proposalId) "
        f"WHERE p.proposalNumber='{number}';",
        "ispyb",
    )
    assert counts.split() == ["1"]


async def test_lab_contacts_are_created_once_and_reused(store: Store, mariadb: MariaDB) -> None:
    code = new_proposal(mariadb)
    contact = {"name": "Ada Lovelace", "emailAddress": "ada@example.org", "phoneNumber": "+44 1"}
    await stored(store, code, "P4", labContactOutbound=contact, labContactReturn=contact)
    report = await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1))
    assert report.created["LabContact"] == 1 and report.created["Person"] == 1
    again = await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1))
    assert not again.created


@pytest.mark.parametrize(
    "case", ["reused container barcode", "missing session", "name ISPyB cannot hold"]
)
async def test_a_failing_push_changes_nothing(
    store: Store, mariadb: MariaDB, database: str, case: str
) -> None:
    code = new_proposal(mariadb, db=database)
    message = fixture_shipment(code, "P5" + case[:3])
    session = 1
    if case == "reused container barcode":
        taken = mariadb.sql(
            "SELECT barcode, containerId FROM Container WHERE barcode IS NOT NULL "
            "ORDER BY containerId LIMIT 1;",
            database,
        ).split()
        message["Puck"]["Puck2"]["barcode"] = taken[0]
        expected = ["Puck", taken[0], f"ISPyB Container {taken[1]}", "Container.barcode"]
    elif case == "missing session":
        session = 9
        expected = ["BLSession", f"{code}-9", "BLSession.visit_number"]
    else:
        message["MacromoleculeSample"]["MacromoleculeSample3"]["name"] = (
            "lysozyme-\u03b1\u2192\u03b2"
        )
        expected = ["MacromoleculeSample 'lysozyme-", "name", "Crystal.name", "latin1"]
    await store.import_message(message)
    before = checksums(mariadb, database)
    with pytest.raises(IspybRefused) as refused:
        await push(
            store, SHIPMENT_UUID, mariadb.url(database), PushOptions(DOMAIN, session=session)
        )
    assert checksums(mariadb, database) == before
    text = " ".join(refused.value.lines)
    for part in expected:
        assert part in text, text
    exported = await store.export(SHIPMENT_UUID)
    assert not any(
        obj.get("identifiers")
        for objects in exported.values()
        if isinstance(objects, dict)
        for obj in objects.values()
    )


async def test_retire_old_barcode_moves_it_in_the_same_transaction(
    store: Store, mariadb: MariaDB
) -> None:
    code = new_proposal(mariadb)
    message = fixture_shipment(code, "P6")
    taken = mariadb.sql(
        "SELECT barcode, containerId FROM Container WHERE barcode LIKE 'P1-PK%' LIMIT 1;", "ispyb"
    ).split()
    if not taken:
        taken = ["RETIRE-ME", ""]
        mariadb.sql(
            "UPDATE Container SET barcode='RETIRE-ME' WHERE containerId=(SELECT "
            "MIN(containerId) FROM (SELECT containerId FROM Container) c);",
            "ispyb",
        )
    message["Puck"]["Puck1"]["barcode"] = taken[0]
    await store.import_message(message)
    report = await push(
        store,
        SHIPMENT_UUID,
        mariadb.url("ispyb"),
        PushOptions(DOMAIN, session=1, retire_old_barcode=True),
    )
    assert report.retired_barcodes and taken[0] in report.retired_barcodes[0]
    holders = mariadb.sql(f"SELECT COUNT(*) FROM Container WHERE barcode='{taken[0]}';", "ispyb")
    assert holders.split() == ["1"]


async def test_a_dry_run_writes_nothing(store: Store, mariadb: MariaDB) -> None:
    code = new_proposal(mariadb)
    await stored(store, code, "P7")
    before = checksums(mariadb)
    report = await push(
        store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1, dry_run=True)
    )
    assert report.created["BLSample"] == 14 and checksums(mariadb) == before


async def test_another_proposals_rows_are_never_taken_over(
    store: Store, mariadb: MariaDB, tmp_path: Path
) -> None:
    """Identifiers naming another proposal's rows (copied, stale or made up) and the same
    uuids in ISPyB's uuid columns are not followed: the push writes rows of its own."""
    victim = new_proposal(mariadb)
    await stored(store, victim, "V1")
    theirs = await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1))
    exported = await store.export(SHIPMENT_UUID)
    rows_of = (
        "SELECT COUNT(*), SUM(CRC32(CONCAT_WS('|', name, code, location, crystalId))) "
        f"FROM BLSample WHERE containerId IN (SELECT containerId FROM Container c JOIN Dewar d "
        f"USING (dewarId) WHERE d.shippingId={theirs.shipping_id});"
    )
    before = mariadb.sql(rows_of, "ispyb")

    attacker = new_proposal(mariadb)
    backend = SqliteBackend(tmp_path / "other.sqlite3")
    other = admin_store(backend)
    await other.init()
    try:
        message = json.loads(json.dumps(dict(exported)))  # the victim's identifiers, copied
        message["Shipment"]["Shipment1"]["proposalCode"] = attacker
        for key, dewar in message["Dewar"].items():
            dewar["barcode"] = f"A1-{key}"
        for key, puck in message["Puck"].items():
            puck["barcode"] = f"A1-{key}"
        await other.import_message(message)
        mine = await push(
            other, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, session=1)
        )
    finally:
        await backend.close()
    assert mine.shipping_id != theirs.shipping_id
    assert mine.created["BLSample"] == 14 and mine.created["Crystal"] == 14
    assert mine.created["DiffractionPlan"] == 14 and not mine.updated and not mine.repaired
    victims_rows = mariadb.sql(
        f"SELECT COUNT(*) FROM Dewar WHERE shippingId={theirs.shipping_id};"
        f"SELECT shippingName FROM Shipping WHERE shippingId={theirs.shipping_id};",
        "ispyb",
    )
    assert victims_rows.split("\n")[0] == "2"
    assert mariadb.sql(rows_of, "ispyb") == before
