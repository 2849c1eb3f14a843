"""The ISPyB bridge benchmark, small: every step runs and a second push writes nothing (the
figures themselves are bench/'s, never asserted here)."""

from __future__ import annotations

from pathlib import Path

from bench.ispyb_bridge import measure, table, user_office
from tests.mariadb_server import MariaDB


async def test_the_bridge_benchmark_runs_small(tmp_path: Path, mariadb: MariaDB) -> None:
    user_office(mariadb, "ispyb", "mx77001")
    figures = await measure(mariadb, "ispyb", tmp_path, pins=20, shipments=2, proposal="mx77001")
    assert figures["rows_empty"] > 20 * 4
    # the same rows but the lab contacts (2 Person + 2 LabContact), reused within the proposal
    assert figures["rows_empty"] - figures["rows_holding"] == 4
    assert "holding 2 shipments" in table(figures)
