"""The loop of ``tests/store/test_reconcile.py`` over HTTP: the user's service sends a shipment
as a facility's sheet, the facility's service imports it and returns results, the user's
service imports them with ``merge`` (and ``?proposal=``) onto the same shipment."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from mxlims_store.api.main import create_app
from tests.api.conftest import make_settings, running
from tests.store.test_reconcile import PINS, PROPOSAL, user_shipment, with_results


async def test_the_loop_through_the_api(tmp_path: Path) -> None:
    user_app = create_app(make_settings(tmp_path / "user"))
    facility_app = create_app(make_settings(tmp_path / "facility"))
    csv = {"Content-Type": "text/csv"}
    async with running(user_app) as user, running(facility_app) as facility:
        sent = await user.post("/messages", json=user_shipment(True))
        assert sent.status_code == 201, sent.text
        shipment = sent.json()["shipment"]
        sheet = await user.get(
            f"/shipments/{shipment}/sheet",
            params={"site": "esrf", "proposal": PROPOSAL, "puckType": "unipuck"},
        )
        assert sheet.status_code == 200, sheet.text
        there = await facility.post(
            "/sheets/esrf", params={"proposal": PROPOSAL}, content=sheet.content, headers=csv
        )
        assert there.status_code == 201, there.text
        theirs = there.json()["shipment"]
        exported = (await facility.get(f"/shipments/{theirs}/results")).json()
        done = await facility.post(
            "/messages", params={"policy": "merge"}, json=with_results(exported)
        )
        assert done.status_code in (200, 201), done.text
        results = (await facility.get(f"/shipments/{theirs}/results")).json()
        back = await user.post(
            "/messages", params={"policy": "merge", "proposal": PROPOSAL}, json=results
        )
        assert back.status_code == 201, back.text  # the results are new, nothing else
        report = back.json()
        assert set(report["created"]) == {"CollectionSweep", "MxProcessing", "ReflectionSet"}
        assert Counter(m["by"] for m in report["matched"].values())["barcode"] == PINS
        mine = (await user.get(f"/shipments/{shipment}/results")).json()
        assert len(mine["Shipment"]) == 1 and len(mine["Pin"]) == PINS
        assert len(mine["ReflectionSet"]) == PINS
        planned = [e for e in mine["MxExperiment"].values() if e.get("templateDataRefs")]
        assert len(planned) == PINS and {e["jobStatus"] for e in planned} == {"Completed"}
