"""mxlims-store sheet import / export / convert."""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from tests.cli.test_cli import data_dir, run  # noqa: F401  (autouse fixture: a fresh data dir)
from tests.mappings.mapping_helpers import FIXTURES

ESRF = FIXTURES / "esrf_shipment.csv"


def test_convert_prints_a_message_and_stores_nothing() -> None:
    result = run("sheet", "convert", "--site", "ESRF", str(ESRF), "--proposal", "mx1")
    assert result.exit_code == 0, result.output
    message = json.loads(result.stdout)
    assert message["Shipment"]["Shipment1"]["proposalCode"] == "mx1"
    assert json.loads(run("stats").stdout) == {}


def test_import_then_export_to_another_facility(tmp_path: Path) -> None:
    report = json.loads(run("sheet", "import", "--site", "esrf", str(ESRF)).stdout)
    shipment = report["keys"]["Shipment/Shipment1"]
    out = tmp_path / "for-dls.csv"
    result = run("sheet", "export", "--site", "dls", shipment, "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "not in the dls sheet" in result.stderr  # ESRF-only columns are reported, not dropped
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1 + report["created"]["Pin"]
    xlsx = tmp_path / "for-sls.xlsx"
    assert run("sheet", "export", "--site", "sls", shipment, "--out", str(xlsx)).exit_code == 0
    assert xlsx.read_bytes()[:2] == b"PK"


def test_bad_sheet_exits_1_with_row_and_column() -> None:
    result = run("sheet", "import", "--site", "esrf", str(FIXTURES / "esrf_shipment_bad.csv"))
    assert result.exit_code == 1
    assert "row " in result.stderr and "column " in result.stderr
    assert json.loads(run("stats").stdout) == {}


def test_unknown_site() -> None:
    result = run("sheet", "convert", "--site", "atlantis", str(ESRF))
    assert result.exit_code == 1 and "esrf" in result.stderr


def test_a_thousand_row_sheet_imports(tmp_path: Path) -> None:
    lines = ESRF.read_text(encoding="utf-8-sig").splitlines()
    header = next(csv.reader([lines[0]]))
    template = next(csv.reader([lines[1]]))
    rows = [header]
    for i in range(1000):
        row = list(template)
        for column, value in (
            ("#parcel name", f"dewar-{i // 320}"),
            ("container name", f"puck-{i // 16}"),
            ("container position", str((i // 16) % 20 + 1)),
            ("pin barcode", f"PIN-{i:05d}"),
            ("sample acronym", f"s{i}"),
        ):
            row[header.index(column)] = value
        rows.append(row)
    sheet = tmp_path / "big.csv"
    with sheet.open("w", newline="") as handle:
        csv.writer(handle).writerows(rows)
    result = run("sheet", "import", "--site", "esrf", str(sheet))
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"]["Pin"] == 1000
