"""push --results: the fixtures' results land in ISPyB's result tables, found by ISPyB's own
procedures; statistics shells ISPyB cannot hold are reported."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from mxlims_store.ispyb.bridge import push
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.ispyb.report import IspybRefused
from mxlims_store.store import Store
from tests.conftest import FIXTURES, ROOT
from tests.ispyb.conftest import SHIPMENT_UUID, fixture_results, fixture_shipment, new_proposal
from tests.ispyb.test_push import call
from tests.mariadb_server import MariaDB

DOMAIN = "ispyb.local"


async def _stored_with_results(store: Store, code: str, tag: str) -> dict:
    await store.import_message(fixture_shipment(code, tag))
    results = fixture_results(tag)
    await store.import_message(results, policy="update_old")
    return results


async def test_results_reach_ispyb_and_its_procedures(
    store: Store, mariadb: MariaDB, database: str
) -> None:
    code = new_proposal(mariadb, db=database)
    results = await _stored_with_results(store, code, "X1")
    report = await push(
        store, SHIPMENT_UUID, mariadb.url(database), PushOptions(DOMAIN, session=1, results=True)
    )
    assert report.created["DataCollection"] == 14 and report.created["AutoProcScaling"] == 14
    assert report.created["AutoProcScalingStatistics"] == 14 * 3
    between = [loss for loss in report.losses if "shells between" in loss]
    assert len(between) == 14 and all("2 shells between" in loss for loss in between)

    for sweep in results["CollectionSweep"].values():
        stored = await store.get(sweep["uuid"])
        table, _, row_id = stored.data["identifiers"][DOMAIN].partition(":")
        assert table == "DataCollection"
        if database == "ispyb":  # ISPyB's own read API (the models' schema has no procedures)
            (main,) = call(mariadb, "retrieve_dc_main_v2", int(row_id), None)
        else:
            (line,) = mariadb.sql(
                "SELECT fileTemplate, imageDirectory, numberOfImages FROM DataCollection "
                f"WHERE dataCollectionId={int(row_id)};",
                database,
            ).splitlines()
            values = line.split("\t")
            main = {"fileTemplate": values[0], "imgDir": values[1], "noImages": int(values[2])}
        assert main["fileTemplate"] == sweep["filenameTemplate"]
        assert main["imgDir"] == sweep["path"]
        assert main["noImages"] == sweep["numberImages"]

    for reflections in results["ReflectionSet"].values():
        stored = await store.get(reflections["uuid"])
        scaling = stored.data["identifiers"][DOMAIN].partition(":")[2]
        rows = mariadb.sql(
            "SELECT scalingStatisticsType, resolutionLimitLow, resolutionLimitHigh, "
            "completeness, multiplicity, ccHalf FROM AutoProcScalingStatistics "
            f"WHERE autoProcScalingId={scaling} "
            "ORDER BY scalingStatisticsType;",
            database,
        )
        got = {
            line.split("\t")[0]: [float(v) for v in line.split("\t")[1:]]
            for line in rows.splitlines()
        }
        shells = reflections["reflectionStatisticsShells"]
        for kind, stats in (
            ("overall", reflections["reflectionStatisticsOverall"]),
            ("innerShell", shells[0]),
            ("outerShell", shells[-1]),
        ):
            wanted = [
                *stats["resolutionLimits"],
                stats["Completeness"],
                stats["Redundancy"],
                stats["CC_one_half"] * 100,  # ISPyB's ccHalf is in percent
            ]
            assert got[kind] == pytest.approx(wanted, rel=1e-6), kind

    again = await push(
        store, SHIPMENT_UUID, mariadb.url(database), PushOptions(DOMAIN, session=1, results=True)
    )
    assert not again.created and not again.updated


async def test_results_without_a_session_are_refused(store: Store, mariadb: MariaDB) -> None:
    code = new_proposal(mariadb)
    await _stored_with_results(store, code, "X2")
    with pytest.raises(IspybRefused, match="DataCollectionGroup"):
        await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), PushOptions(DOMAIN, results=True))


def test_make_messages_reproduces_the_committed_fixtures() -> None:
    committed = {
        name: (FIXTURES / "messages" / name).read_bytes()
        for name in ("shipment.json", "results.json")
    }
    done = subprocess.run(
        [sys.executable, str(FIXTURES / "make_messages.py")], cwd=ROOT, capture_output=True
    )
    assert done.returncode == 0, done.stderr
    for name, data in committed.items():
        assert (FIXTURES / "messages" / name).read_bytes() == data, name
    shells = json.loads(committed["results.json"])["ReflectionSet"]["ReflectionSet1"]
    assert len(shells["reflectionStatisticsShells"]) == 4


async def test_an_interrupted_results_push_is_repaired_by_the_next(
    store: Store, mariadb: MariaDB, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mxlims_store.ispyb import identity

    code = new_proposal(mariadb)
    await _stored_with_results(store, code, "X3")

    async def crash(*args: object) -> None:
        raise KeyboardInterrupt  # the process dies between ISPyB's commit and the map

    monkeypatch.setattr(identity, "record", crash)
    options = PushOptions(DOMAIN, session=1, results=True)
    with pytest.raises(KeyboardInterrupt):
        await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), options)
    monkeypatch.undo()
    repaired = await push(store, SHIPMENT_UUID, mariadb.url("ispyb"), options)
    assert not repaired.created, repaired.created
    assert repaired.repaired["DataCollection"] == 14
    assert repaired.repaired["AutoProcProgram"] == repaired.repaired["AutoProcScaling"] == 14
