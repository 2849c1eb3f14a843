"""What the settings say when one of them is refused: the tests of bad settings share it."""

from __future__ import annotations

import pytest

from mxlims_store.config import SettingsError, get_settings


def refused_setting(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> SettingsError:
    """The error of reading the settings with ``name`` set to ``value`` (the cached settings
    cleared before and after, so that neither this test nor the next sees the other's)."""
    monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as refused:
            get_settings()
    finally:
        get_settings.cache_clear()
    return refused.value
