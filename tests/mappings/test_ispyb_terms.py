"""ISPyB's experimentKind enumeration is declared once, equal to the real schema's."""

from __future__ import annotations

import re

import pytest

from mxlims_store.mappings.ispyb_terms import EXPERIMENT_KINDS, ispyb_experiment_kind
from tests.conftest import SHARED

TABLES = SHARED / "ispyb-database" / "tables.sql"


@pytest.mark.skipif(not TABLES.is_file(), reason=f"needs ISPyB's schema at {TABLES}")
def test_the_enumeration_is_ispyb_s_own() -> None:
    text = TABLES.read_text(encoding="utf-8")
    declared = re.search(r"`experimentKind` enum\(([^)]*)\)", text)
    assert declared is not None
    assert tuple(re.findall(r"'([^']*)'", declared.group(1))) == EXPERIMENT_KINDS


def test_spellings_are_found_whatever_their_case() -> None:
    assert ispyb_experiment_kind(" mxpresso ") == "MXPressO"
    assert ispyb_experiment_kind("Ligand Binding") == "Ligand binding"
    assert ispyb_experiment_kind("MXPressX") is None
