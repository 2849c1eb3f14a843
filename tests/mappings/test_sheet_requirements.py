"""What ``GET /facility`` says each sheet requires is what its export refuses without."""

from __future__ import annotations

import copy

import pytest

from mxlims_store.errors import MappingError
from mxlims_store.mappings import SheetDefaults
from mxlims_store.mappings.checked import checked_sheet
from mxlims_store.mappings.requirements import sheet_requirements
from tests.factories import shipment_message
from tests.mappings.mapping_helpers import SITES

DEFAULTS = SheetDefaults(proposal="mx1234", puck_type="unipuck")
# (type, field) a shipment can lack, and how to take it away from the message
REMOVABLE = {("Pin", "positionInPuck"), ("MacromoleculeSample", "name"), ("Pin", "sampleRef")}


@pytest.mark.parametrize("site", SITES)
def test_the_sheet_refuses_a_shipment_without_what_it_requires(site: str) -> None:
    message = shipment_message(3)
    checked_sheet(site, message, defaults=DEFAULTS)  # everything there: accepted
    required = sheet_requirements(site)
    for type_, field in sorted(REMOVABLE):
        lacking = copy.deepcopy(message)
        for obj in lacking[type_].values():
            del obj[field]
        if field in required.get(type_, []):
            with pytest.raises(MappingError):
                checked_sheet(site, lacking, defaults=DEFAULTS)
        else:
            checked_sheet(site, lacking, defaults=DEFAULTS)  # the sheet does without it
