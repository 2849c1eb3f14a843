"""The private MariaDB and ISPyB build that the bridge's tests and the benchmark stand on."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.mariadb_server import MariaDBUnavailable, build_ispyb, private_mariadb


def test_ispyb_builds_with_its_tables_procedures_and_test_data(tmp_path: Path) -> None:
    try:
        with private_mariadb(tmp_path) as server:
            build_ispyb(server)
            tables, routines, shippings = server.sql(
                "SELECT COUNT(*) FROM information_schema.tables WHERE table_schema='ispyb';"
                "SELECT COUNT(*) FROM information_schema.routines WHERE routine_schema='ispyb';"
                "SELECT COUNT(*) FROM Shipping;",
                "ispyb",
            ).split()
    except MariaDBUnavailable as why:
        pytest.skip(str(why))
    assert int(tables) >= 205 and int(routines) >= 191 and int(shippings) == 6
