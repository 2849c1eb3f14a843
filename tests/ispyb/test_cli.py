"""mxlims-store ispyb push / pull as a facility's LIMS developer types them."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import data_dir, run, write  # noqa: F401 - the autouse fixture
from tests.ispyb.conftest import SHIPMENT_UUID, fixture_shipment, new_proposal
from tests.mariadb_server import MariaDB


def test_push_pull_and_import_from_the_command_line(tmp_path: Path, mariadb: MariaDB) -> None:
    code = new_proposal(mariadb)
    message = fixture_shipment(code, "C1")
    message["Shipment"]["Shipment1"]["sessionNumber"] = 1
    assert run("import", str(write(tmp_path, "s.json", message))).exit_code == 0
    url = mariadb.url("ispyb")
    dry = run("ispyb", "push", SHIPMENT_UUID, "--db", url, "--dry-run", "--json")
    assert dry.exit_code == 0, dry.output
    assert json.loads(dry.stdout)["dryRun"] is True
    pushed = run("ispyb", "push", SHIPMENT_UUID, "--db", url)
    assert pushed.exit_code == 0, pushed.output
    assert "created: 14 BLSample" in pushed.stdout and "loss:" in pushed.stdout
    shipping = mariadb.sql(
        "SELECT MAX(shippingId) FROM Shipping s JOIN Proposal p USING (proposalId) "
        f"WHERE proposalNumber='{code[2:]}';",
        "ispyb",
    ).strip()
    out = tmp_path / "pulled.json"
    pulled = run("ispyb", "pull", "--db", url, "--shipping-id", shipping, "--out", str(out))
    assert pulled.exit_code == 0, pulled.output
    assert "ISPyB lacks: " in pulled.stderr and json.loads(out.read_text())["Shipment"]
    imported = run("ispyb", "pull", "--db", url, "--proposal", code, "--import")
    assert imported.exit_code == 0, imported.output
    report = json.loads(imported.stdout)
    assert report["created"] == {} and report["updated"] == {}


def test_missing_prerequisites_and_passwords_never_shown(tmp_path: Path, mariadb: MariaDB) -> None:
    message = fixture_shipment("mx999999", "C2")
    assert run("import", str(write(tmp_path, "s.json", message))).exit_code == 0
    missing = run("ispyb", "push", SHIPMENT_UUID, "--db", mariadb.url("ispyb"), "--session", "3")
    assert missing.exit_code == 1
    assert "ISPyB has no Proposal mx999999" in missing.stderr
    secret = f"mysql+pymysql://root:s3cret-pw@127.0.0.1:{mariadb.port}/nosuchdb"
    wrong = run("ispyb", "push", SHIPMENT_UUID, "--db", secret)
    assert wrong.exit_code == 1 and "s3cret-pw" not in wrong.output
    assert "root:***@" in wrong.stderr
    garbled = run(
        "ispyb",
        "pull",
        "--db",
        "mysql+pymysql://root:s3cret-pw@host:notaport/x",
        "--shipping-id",
        "1",
    )
    assert garbled.exit_code == 1 and "s3cret-pw" not in garbled.output, garbled.output
    none = run("ispyb", "pull", "--shipping-id", "1")

    assert none.exit_code == 1 and "MXLIMS_ISPYB_URL" in none.stderr
