"""Staff merging objects that only the user's proposal can reconcile, without naming it, are
refused with one line naming ``?proposal=`` / ``--proposal``, and nothing is stored; with the
proposal, or with nothing to reconcile, the merge goes through."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from mxlims_store.api.main import create_app
from tests.api.conftest import make_settings, running
from tests.cli.test_cli import data_dir, run, write  # noqa: F401 - the CLI's store fixture
from tests.factories import minimal, new_uuid
from tests.store.test_reconcile import PROPOSAL, user_shipment


def returned_pins(stored: dict[str, Any]) -> dict[str, Any]:
    """The facility's message: the user's pins by barcode, under the facility's uuids."""
    pins = {
        f"Pin{n}": minimal("Pin", uuid=new_uuid(), barcode=pin["barcode"])
        for n, pin in enumerate(stored["Pin"].values(), start=1)
    }
    return {"version": "0.6.13", "Pin": pins}


async def test_a_staff_merge_without_a_proposal_is_refused_over_http(tmp_path: Path) -> None:
    app = create_app(make_settings(tmp_path))
    async with running(app) as admin:
        stored = user_shipment(True)
        assert (await admin.post("/messages", json=stored)).status_code == 201
        made = await admin.post("/keys", json={"name": "bl", "role": "staff"})
        staff = {"Authorization": f"Bearer {made.json()['key']}"}
        before = (await admin.get("/stats")).json()
        returned = returned_pins(stored)
        for who in (staff, {}):  # staff, and the admin
            refused = await admin.post(
                "/messages", params={"policy": "merge"}, json=returned, headers=who
            )
            assert refused.status_code == 422, refused.text
            said = refused.json()["message"]
            assert "?proposal=" in said and "\n" not in said
            assert refused.json()["problems"][0]["path"] == "proposal"
        assert (await admin.get("/stats")).json() == before
        # nothing to reconcile (every uuid stored): no proposal needed
        known = {
            "version": "0.6.13",
            "Pin": {
                key: minimal("Pin", uuid=pin["uuid"], barcode=pin["barcode"])
                for key, pin in stored["Pin"].items()
            },
        }
        plain = await admin.post("/messages", params={"policy": "merge"}, json=known, headers=staff)
        assert plain.status_code in (200, 201), plain.text
        named = await admin.post(
            "/messages",
            params={"policy": "merge", "proposal": PROPOSAL},
            json=returned,
            headers=staff,
        )
        assert named.status_code in (200, 201), named.text
        assert len(named.json()["matched"]) == len(returned["Pin"])


def test_the_cli_merge_without_a_proposal_is_refused_in_one_line(tmp_path: Path) -> None:
    stored = user_shipment(True)
    assert run("import", str(write(tmp_path, "user.json", stored))).exit_code == 0
    before = run("stats").stdout
    back = str(write(tmp_path, "back.json", returned_pins(stored)))
    refused = run("import", back, "--policy", "merge")
    assert refused.exit_code == 1, refused.output
    lines = refused.stderr.strip().splitlines()
    assert len(lines) == 1 and "--proposal" in lines[0], refused.stderr
    assert run("stats").stdout == before
    named = run("import", back, "--policy", "merge", "--proposal", PROPOSAL)
    assert named.exit_code == 0, named.output
