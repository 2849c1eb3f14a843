"""Site extras keep their standard form, are queryable, and 'view as site X' applies overrides."""

from __future__ import annotations

import pytest

from mxlims_store.errors import InvalidQuery
from mxlims_store.messages import read_message
from mxlims_store.store import FindQuery, Store
from mxlims_store.store.documents import from_document, to_document
from tests.factories import minimal, shipment_message


def test_domain_dicts_are_stored_as_lists_and_come_back() -> None:
    obj = {
        "uuid": "0196f23a-dce0-2560-baac-f1b23ec9e0dd",
        "mxlimsType": "Pin",
        "extensions": {"esrf.fr": {"a": 1}},
        "identifiers": {"icebear.fi": "P-1"},
        "urls": {"icebear.fi": "https://icebear.fi/p/1"},
    }
    document = to_document(obj, {"revision": 1})
    assert document["extensions"] == [{"domain": "esrf.fr", "fields": {"a": 1}}]
    assert document["identifiers"] == [{"domain": "icebear.fi", "value": "P-1"}]
    assert all("." not in key for key in document)
    assert from_document(document) == obj


async def test_view_as_site_applies_its_overrides(store: Store) -> None:
    message = shipment_message(1)
    message["MxExperiment"] = {
        "MxExperiment1": minimal(
            "MxExperiment",
            experimentStrategy="OSC",
            logisticalSampleRef={"$ref": "#/Pin/Pin1"},
            extensions={"massif1.esrf.fr": {"experimentStrategy": "MXPressE", "note": "auto"}},
        )
    }
    message["Shipment"]["Shipment1"]["identifiers"] = {"icebear.fi": "SHP-1"}
    report = await store.import_message(message)
    experiment = report.keys["MxExperiment/MxExperiment1"]

    plain = await store.export(experiment, direction="up")
    assert plain["MxExperiment"]["MxExperiment1"]["experimentStrategy"] == "OSC"
    as_massif = await store.export(experiment, direction="up", site="massif1.esrf.fr")
    viewed = as_massif["MxExperiment"]["MxExperiment1"]
    assert viewed["experimentStrategy"] == "MXPressE"
    assert viewed["extensions"]["massif1.esrf.fr"]["note"] == "auto"
    read_message(as_massif)  # still a valid message

    found = await store.find(FindQuery("Shipment", identifier=("icebear.fi", "SHP-1")))
    assert [s.uuid for s in found.items] == [message["Shipment"]["Shipment1"]["uuid"]]


async def test_a_site_is_its_code_or_its_domain_and_a_beamline_inherits(store: Store) -> None:
    message = shipment_message(1)
    message["MxExperiment"] = {
        "MxExperiment1": minimal(
            "MxExperiment",
            experimentStrategy="OSC",
            expectedResolution=2.0,
            logisticalSampleRef={"$ref": "#/Pin/Pin1"},
            extensions={
                "esrf.fr": {"experimentStrategy": "SAD", "expectedResolution": 1.5},
                "massif1.esrf.fr": {"experimentStrategy": "MXPressE"},
            },
        )
    }
    experiment = (await store.import_message(message)).keys["MxExperiment/MxExperiment1"]

    async def seen(site: str) -> tuple[str, float]:
        exported = await store.export(experiment, direction="up", site=site)
        viewed = exported["MxExperiment"]["MxExperiment1"]
        return viewed["experimentStrategy"], viewed["expectedResolution"]

    assert await seen("esrf") == await seen("esrf.fr") == await seen("ESRF") == ("SAD", 1.5)
    assert await seen("massif1.esrf.fr") == ("MXPressE", 1.5)  # its own, else the facility's
    assert await seen("icebear.fi") == ("OSC", 2.0)  # a site with no sheet: a domain all the same
    with pytest.raises(
        InvalidQuery,
        match=r"'atlantis' is neither a facility's code nor a domain name; known .*esrf",
    ):
        await store.export(experiment, site="atlantis")
