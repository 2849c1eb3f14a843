"""Settings that could never work are refused at start in words that say what to write: a host
name with a port or a scheme (the Host check compares names only, so it never matched and every
request got a 400 asking to add the name that was there), no host name at all, an ISPyB domain
("it takes text" said nothing), a bound that is not itself allowed ("from 0" for more than 0)."""

from __future__ import annotations

import pytest

from mxlims_store.config import get_settings
from tests.refused_setting import refused_setting


def _refusal(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> str:
    return str(refused_setting(monkeypatch, name, value))


@pytest.mark.parametrize(
    "hosts", ["lims.example.org:8000", "https://lims.example.org", "localhost,::1", "a b", " , "]
)
def test_allowed_hosts_that_never_match_are_refused(
    monkeypatch: pytest.MonkeyPatch, hosts: str
) -> None:
    said = _refusal(monkeypatch, "MXLIMS_ALLOWED_HOSTS", hosts)
    assert said.startswith(f"MXLIMS_ALLOWED_HOSTS={hosts!r}: ") and "host name" in said


def test_allowed_hosts_as_documented_still_work(monkeypatch: pytest.MonkeyPatch) -> None:
    for hosts in ("localhost,127.0.0.1", "*", "*.example.org, lims.example.org", "LIMS-1"):
        monkeypatch.setenv("MXLIMS_ALLOWED_HOSTS", hosts)
        get_settings.cache_clear()
        assert get_settings().allowed_hosts == hosts
    get_settings.cache_clear()


def test_what_a_setting_takes_is_said_in_words(monkeypatch: pytest.MonkeyPatch) -> None:
    said = _refusal(monkeypatch, "MXLIMS_ISPYB_DOMAIN", "x")
    assert "(it takes a domain such as ispyb.esrf.fr)" in said
    said = _refusal(monkeypatch, "MXLIMS_HEADER_TIMEOUT", "0")
    assert "(it takes a number more than 0, at most 3600)" in said
    said = _refusal(monkeypatch, "MXLIMS_PORT", "0")
    assert "(it takes a whole number from 1 to 65535)" in said
