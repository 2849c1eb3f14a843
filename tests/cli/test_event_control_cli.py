"""`event` refuses control characters in its fields with one line naming the field."""

from __future__ import annotations

import json
from pathlib import Path

from tests.cli.test_cli import data_dir, run, write  # noqa: F401 - the autouse fixture
from tests.factories import shipment_message


def test_event_refuses_control_characters_naming_the_field(tmp_path: Path) -> None:
    assert run("import", str(write(tmp_path, "s.json", shipment_message(1)))).exit_code == 0
    for args, field in (
        (["--location", "dock\x1b[2J"], "location"),
        (["--tracking-number", "1Z\x01"], "trackingNumber"),
        (["--note", "ok\x00"], "note"),
    ):
        refused = run("event", "DW-1", "received", *args)
        assert refused.exit_code == 1, refused.output
        assert field in refused.stderr and "control character" in refused.stderr
    refused = run("event", "DW-1\x07", "received")
    assert refused.exit_code == 1 and "ref" in refused.stderr
    assert json.loads(run("where", "DW-1").stdout)["events"] == []
    kept = run("event", "DW-1", "received", "--note", "two\nlines\tand a tab")
    assert kept.exit_code == 0, kept.output
