"""The ISPyB bridge speaks to MariaDB/MySQL through PyMySQL. Any other SQLAlchemy URL (SQLite,
PostgreSQL, MySQL through a driver that is not installed) is one line naming the URL without its
password and what to give instead, from `connect` (CLI --db, HTTP routes) and from the setting
at start; before, each was a traceback (a 500 over HTTP). No database needed."""

from __future__ import annotations

from pathlib import Path

import pytest

from mxlims_store.config import Settings
from mxlims_store.ispyb.database import IspybUnavailable, connect
from tests.refused_setting import refused_setting

OTHERS = [
    "sqlite:///{tmp}/ispyb.sqlite3",
    "postgresql://u:s3cret-pw@127.0.0.1/ispyb",
    "mysql://u:s3cret-pw@127.0.0.1/ispyb",
    "mysql+mysqldb://u:s3cret-pw@127.0.0.1/ispyb",
    "oracle+cx_oracle://u:s3cret-pw@127.0.0.1/ispyb",
]


@pytest.mark.parametrize("url", OTHERS)
def test_another_database_is_one_line_without_the_password(url: str, tmp_path: Path) -> None:
    with pytest.raises(IspybUnavailable) as refused:
        connect(url.format(tmp=tmp_path))
    said = str(refused.value)
    assert "mysql+pymysql://" in said and "s3cret-pw" not in said and "\n" not in said
    assert not (tmp_path / "ispyb.sqlite3").exists()  # nothing created on the way


@pytest.mark.parametrize("url", OTHERS)
def test_the_setting_refuses_another_database(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    said = str(refused_setting(monkeypatch, "MXLIMS_ISPYB_URL", url.format(tmp=tmp_path)))
    assert "MXLIMS_ISPYB_URL" in said and "s3cret-pw" not in said


def test_mariadb_and_mysql_through_pymysql_are_settings_as_before() -> None:
    for url in ("mysql+pymysql://u:p@h:3306/ispyb", "mariadb+pymysql://u@h/ispyb"):
        assert Settings(ispyb_url=url).ispyb_url == url
