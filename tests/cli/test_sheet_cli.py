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
    report = json.loads(run("sheet", "import", "--site", "esrf", str(ESRF), "--json").stdout)
    shipment = report["keys"]["Shipment/Shipment1"]
    out = tmp_path / "for-dls.csv"
    # DLS requires a proposal, which an ESRF sheet does not carry: refused, every cell named
    refused = run("sheet", "export", "--site", "dls", shipment, "--out", str(out))
    assert refused.exit_code == 1 and not out.exists()
    assert "Diamond Light Source would refuse this sheet" in refused.stderr
    assert "row 2, column '#proposalCode': required value is missing" in refused.stderr
    result = run(
        "sheet", "export", "--site", "dls", shipment, "--out", str(out), "--proposal", "mx42"
    )
    assert result.exit_code == 0, result.output
    assert "not in the dls sheet" in result.stderr  # ESRF-only columns are reported, not dropped
    assert "default: Shipment.proposalCode = 'mx42' on 1 row(s), from proposal" in result.stderr
    assert "value(s) lost" in result.stderr.splitlines()[-1]  # the summary line comes last
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 1 + report["created"]["Pin"]
    assert {r[0] for r in rows[1:]} == {"mx"} and {r[1] for r in rows[1:]} == {"42"}
    draft = run("sheet", "export", "--site", "dls", shipment, "--out", str(out), "--draft")
    assert draft.exit_code == 0 and "draft, dls would refuse: row 2" in draft.stderr
    xlsx = tmp_path / "for-sls.xlsx"
    assert run("sheet", "export", "--site", "sls", shipment, "--out", str(xlsx)).exit_code == 0
    assert xlsx.read_bytes()[:2] == b"PK"


def test_convert_one_facility_sheet_into_another_without_a_store(tmp_path: Path) -> None:
    out = tmp_path / "for-petraiii.csv"
    result = run(
        "sheet",
        "convert",
        "--from",
        "esrf",
        "--to",
        "petraiii",
        str(ESRF),
        "--out",
        str(out),
        "--default",
        "proposalCode=I",
        "--default",
        "proposalNumber=20231187",
    )
    assert result.exit_code == 0, result.output
    assert "default: proposalCode = 'I' on 14 row(s), from default" in result.stderr
    rows = list(csv.reader(io.StringIO(out.read_text(encoding="utf-8-sig"))))
    assert len(rows) == 15 and rows[1][:2] == ["I", "20231187"]
    assert json.loads(run("stats").stdout) == {}  # nothing stored
    bad = run("sheet", "convert", "--from", "esrf", "--to", "dls", str(ESRF), "--default", "x")
    assert bad.exit_code == 2 and "not COLUMN=VALUE" in bad.stderr
    unknown = run(
        "sheet", "convert", "--from", "esrf", "--to", "dls", str(ESRF), "--default", "nope=1"
    )
    assert unknown.exit_code == 1 and "has no such column" in unknown.stderr


def test_a_non_utf8_sheet_is_refused_unless_its_encoding_is_given(tmp_path: Path) -> None:
    sheet = tmp_path / "cp1252.csv"
    sheet.write_bytes(
        ESRF.read_text(encoding="utf-8-sig").replace("hewl_1101", "Å_1101").encode("cp1252")
    )
    refused = run("sheet", "import", "--site", "esrf", str(sheet))
    assert refused.exit_code == 1 and "row 2, column 'sample acronym'" in refused.stderr
    assert json.loads(run("stats").stdout) == {}
    result = run("sheet", "import", "--site", "esrf", str(sheet), "--encoding", "cp1252")
    assert result.exit_code == 0, result.output
    assert "created" in result.stdout and "shipment" in result.stdout


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
    result = run("sheet", "import", "--site", "esrf", str(sheet), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["created"]["Pin"] == 1000


def test_losses_are_counted_per_field_unless_every_one_is_asked_for(tmp_path: Path) -> None:
    out = tmp_path / "for-soleil.csv"
    counted = run(
        "sheet", "convert", "--from", "esrf", "--to", "soleil", str(ESRF), "--out", str(out)
    )
    assert counted.exit_code == 0, counted.output
    lines = [line for line in counted.stderr.splitlines() if line.startswith("not in the")]
    assert lines and all(" x " in line for line in lines)
    total = sum(int(line.split(": ", 1)[1].split(" x ")[0]) for line in lines)
    every = run(
        "sheet",
        "convert",
        "--from",
        "esrf",
        "--to",
        "soleil",
        str(ESRF),
        "--out",
        str(out),
        "--every-loss",
    )
    listed = [line for line in every.stderr.splitlines() if line.startswith("not in the")]
    assert len(listed) == total > len(lines)
    assert f"{total} value(s) lost" in every.stderr.splitlines()[-1]


def test_sheet_options_for_mxlims_are_refused() -> None:
    result = run("sheet", "convert", "--from", "esrf", str(ESRF), "--draft")
    assert result.exit_code == 2 and "for a facility's sheet" in result.stderr


def test_an_out_file_that_cannot_be_written_is_one_line_not_a_traceback(tmp_path: Path) -> None:
    nowhere = tmp_path / "no-such-dir"
    for to in (["--to", "dls", "--proposal", "mx1"], []):  # a facility's sheet, an MXLIMS message
        result = run("sheet", "convert", "--from", "esrf", *to, str(ESRF), "--out", f"{nowhere}/x")
        assert result.exit_code == 1, result.output
        assert f"{nowhere}/x: cannot write: No such file or directory" in result.output
        assert "Traceback" not in result.output and not nowhere.exists()
