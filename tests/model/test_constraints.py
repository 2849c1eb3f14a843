"""Rules of the standard the model must enforce, each tried on both sides of the line."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from mxlims_store.model import (
    CollectionSweep,
    Dataset,
    DropImage,
    MxExperiment,
    Person,
    Pin,
    ReflectionSet,
    ReflectionStatistics,
    ResolutionCutoffs,
    parse_object,
    validate_standard,
)

UUID4 = "99cf884a-63a0-483e-8721-9265c6d3adef"
UUID4_B = "0b7d1c1e-5a3f-4c7e-9d0a-2f8e6b4a1c3d"


def pin(**fields: Any) -> dict[str, Any]:
    return {"mxlimsType": "Pin", "uuid": UUID4, **fields}


def rejects(document: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        parse_object(document)


# --- uuids ---


@pytest.mark.parametrize(
    "value",
    [
        "99CF884A-63A0-483E-8721-9265C6D3ADEF",  # upper case
        "01890a5d-ac96-774b-bcce-b302099a8057",  # UUIDv7
        "99cf884a-63a0-083e-8721-9265c6d3adef",  # version 0
        "99cf884a-63a0-483e-c721-9265c6d3adef",  # wrong variant
        "99cf884a63a0483e87219265c6d3adef",  # no hyphens
        "{99cf884a-63a0-483e-8721-9265c6d3adef}",
    ],
)
def test_bad_uuid_refused(value: str) -> None:
    rejects(pin(uuid=value))
    rejects(pin(containerId=value))
    rejects({"mxlimsType": "MxExperiment", "templateDataIds": [UUID4, value]})


@pytest.mark.parametrize("version", "12345")
def test_uuid_versions_1_to_5_accepted(version: str) -> None:
    value = f"99cf884a-63a0-{version}83e-8721-9265c6d3adef"
    assert parse_object(pin(uuid=value)).uuid == value


# --- numbers ---


def test_exclusive_minimum() -> None:
    rejects(pin(positionInPuck=0))
    rejects(pin(positionInPuck=-3))
    assert parse_object(pin(positionInPuck=1)).model_dump()["positionInPuck"] == 1
    rejects({"mxlimsType": "MxExperiment", "expectedResolution": 0.0})
    rejects({"mxlimsType": "CollectionSweep", "scanAxis": "omega", "transmission": 0})
    rejects({"mxlimsType": "CollectionSweep", "scanAxis": "omega", "transmission": 100.5})
    assert CollectionSweep(scanAxis="omega", transmission=100).transmission == 100


def test_minimum_inclusive() -> None:
    assert parse_object({"mxlimsType": "CollectionSweep", "scanAxis": "x", "numberLines": 0})
    rejects({"mxlimsType": "CollectionSweep", "scanAxis": "x", "numberLines": -1})
    rejects({"mxlimsType": "ReflectionSet", "twinFraction": 1.01})


def test_bool_is_not_an_integer_nor_a_number() -> None:
    rejects(pin(positionInPuck=True))
    rejects(pin(holderLength=True))
    rejects({"mxlimsType": "Shipment", "proposalCode": "mx1", "sessionNumber": True})


def test_strings_and_floats_are_not_integers() -> None:
    rejects(pin(positionInPuck="3"))
    rejects(pin(positionInPuck=3.5))
    rejects(pin(holderLength="22.5"))


def test_integer_accepted_for_number() -> None:
    assert parse_object(pin(holderLength=22)).model_dump()["holderLength"] == 22


# --- fields, enums, patterns ---


def test_unknown_field_refused() -> None:
    rejects(pin(colour="blue"))
    rejects({"mxlimsType": "Job", "colour": "blue"})
    with pytest.raises(ValidationError):
        Person.model_validate({"name": "A", "emailAddress": "a@b.c", "fax": "1"})


def test_link_forms_are_not_store_form() -> None:
    rejects(pin(containerRef={"$ref": "#/Puck/Puck1"}))
    # A type only has the foreign keys its standard schema defines.
    rejects({"mxlimsType": "Shipment", "proposalCode": "mx1", "containerId": UUID4})
    rejects({"mxlimsType": "MxExperiment", "inputDataIds": [UUID4]})
    rejects({"mxlimsType": "VolumeScan", "referenceDataIds": [UUID4]})


def test_required_fields() -> None:
    rejects({"mxlimsType": "Shipment"})
    rejects({"mxlimsType": "Macromolecule"})
    rejects({"mxlimsType": "CollectionSweep"})  # scanAxis is required despite its default
    rejects({"mxlimsType": "MultiPin", "numberPositions": 3})
    rejects({"mxlimsType": "PlateWell", "rowNumber": 1})


def test_mxlims_type_is_constant() -> None:
    assert Pin().model_dump(mode="json", exclude_none=True) == {"mxlimsType": "Pin"}
    with pytest.raises(ValidationError):
        Pin.model_validate({"mxlimsType": "Puck"})
    with pytest.raises(ValueError, match="unknown mxlimsType"):
        parse_object({"mxlimsType": "Spaceship"})
    with pytest.raises(ValueError, match="no mxlimsType"):
        parse_object({"uuid": UUID4})


def test_base_type_must_match() -> None:
    assert parse_object(pin(mxlimsBaseType="LogisticalSample"))
    rejects(pin(mxlimsBaseType="Job"))


@pytest.mark.parametrize("name", ["P 21 21 21", "P212121", "C 1 2 1", "I41/a", "P 1"])
def test_space_group_accepted(name: str) -> None:
    assert MxExperiment(expectedSpaceGroupName=name).expectedSpaceGroupName == name  # type: ignore[arg-type]


@pytest.mark.parametrize("name", ["P2121 21", "p212121", "P 21 21 21 ", "Z1", ""])
def test_bad_space_group_refused(name: str) -> None:
    rejects({"mxlimsType": "ReflectionSet", "spaceGroupName": name})


def test_enum_refused() -> None:
    rejects({"mxlimsType": "Job", "jobStatus": "Done"})
    rejects({"mxlimsType": "ReflectionSet", "binningMode": "equalvolume"})


def test_aware_datetime() -> None:
    assert parse_object({"mxlimsType": "Job", "startTime": "2024-05-01T12:00:00.5+02:00"})
    rejects({"mxlimsType": "Job", "startTime": "2024-05-01T12:00:00"})  # no time zone
    rejects({"mxlimsType": "Job", "startTime": "2024-13-01T12:00:00Z"})


def test_array_lengths() -> None:
    sweep = {"mxlimsType": "CollectionSweep", "scanAxis": "omega"}
    assert parse_object({**sweep, "beamSize": [0.01, 0.02]})
    rejects({**sweep, "beamSize": [0.01]})
    rejects({**sweep, "beamSize": [0.01, 0.02, 0.03]})
    rejects({**sweep, "beamSize": [0.01, 0]})  # items are exclusiveMinimum 0
    rejects({"mxlimsType": "VolumeScan", "boundingBoxSize": [1, 2]})
    rejects({"mxlimsType": "ReflectionSet", "hIndexRange": [-10, 10.5]})


# --- dict-form extensions / identifiers / urls ---


def test_extensions_identifiers_urls() -> None:
    good = pin(
        extensions={"massif1.esrf.fr": {"experimentStrategy": "MXPressE"}},
        identifiers={"esrf.fr": "PIN-7"},
        urls={"ispyb.esrf.fr": "https://ispyb.esrf.fr/pin/7"},
    )
    assert parse_object(good).model_dump(mode="json", exclude_none=True) == good
    rejects(pin(extensions={"esrf": {"a": 1}}))  # not a domain name
    rejects(pin(extensions={"bad_key.fr": {"a": 1}}))
    rejects(pin(extensions={"esrf.fr": "MXPressE"}))  # values are objects
    rejects(pin(identifiers={"esrf.fr": 7}))
    rejects(pin(urls={"esrf.fr": "ftp://esrf.fr/pin/7"}))
    rejects(pin(urls={"esrf.fr": "not a URL"}))
    rejects(pin(urls={"localhost": "https://esrf.fr/"}))


# --- object-level rules ---


def test_dataset_source_xor_derived_from() -> None:
    for type_name in ("Dataset", "CollectionSweep", "ReflectionSet"):
        base: dict[str, Any] = {"mxlimsType": type_name}
        if type_name == "CollectionSweep":
            base["scanAxis"] = "omega"
        assert parse_object({**base, "sourceId": UUID4})
        assert parse_object({**base, "derivedFromId": UUID4})
        assert parse_object(base)
        rejects({**base, "sourceId": UUID4, "derivedFromId": UUID4_B})
    with pytest.raises(ValidationError):
        Dataset(sourceId=UUID4, derivedFromId=UUID4_B)
    with pytest.raises(ValidationError):
        ReflectionSet(sourceId=UUID4, derivedFromId=UUID4_B)


def test_drop_image_url_xor_data() -> None:
    assert DropImage(mimeType="image/png", url="https://x.example.org/a.png")
    assert DropImage(mimeType="image/png", data="iVBORw0")
    with pytest.raises(ValidationError):
        DropImage(mimeType="image/png")
    with pytest.raises(ValidationError):
        DropImage(mimeType="image/png", data="iVBORw0", url="https://x.example.org/a.png")


def test_person_needs_a_way_to_reach_them() -> None:
    assert Person(name="A", phoneNumber="+33 4 76")
    with pytest.raises(ValidationError):
        Person(name="A")
    with pytest.raises(ValidationError):
        Person.model_validate({"emailAddress": "a@b.c"})


def test_region_kinds() -> None:
    point = {"regionType": "point", "x": 1, "y": 2}
    drop_region: dict[str, Any] = {
        "mxlimsType": "DropRegion",
        "region": {
            "region": {"regionType": "polygon", "points": [point, point, point]},
            "units": "mm",
        },
    }
    assert parse_object(drop_region)
    drop_region["region"]["region"]["points"] = [point, point]  # a polygon needs 3 points
    rejects(drop_region)
    rejects({"mxlimsType": "DropRegion", "region": {"region": point, "units": "pixel"}})
    rejects({"mxlimsType": "DropRegion"})


# --- the CC(1/2) defect of 0.6.13 ---


def test_cc_one_half_in_range_accepted() -> None:
    stats = ReflectionStatistics(resolutionLimits=[50.0, 1.8], CC_one_half=0.95, CC_ano=-0.2)
    assert stats.CC_one_half == 0.95
    assert ResolutionCutoffs(CC_one_half=0.3).CC_one_half == 0.3
    assert parse_object(
        {
            "mxlimsType": "ReflectionSet",
            "reflectionStatisticsOverall": {"resolutionLimits": [50.0, 1.8], "CC_one_half": 0.95},
        }
    )


@pytest.mark.parametrize("value", [1.5, -1.5])
def test_cc_one_half_out_of_range_refused(value: float) -> None:
    with pytest.raises(ValidationError):
        ReflectionStatistics(resolutionLimits=[50.0, 1.8], CC_one_half=value)
    with pytest.raises(ValidationError):
        ResolutionCutoffs(CC_ano=value)


# --- null ---


def test_null_refused_in_standard_json_but_means_absent_in_python() -> None:
    rejects(pin(barcode=None))
    rejects(
        {
            "mxlimsType": "Shipment",
            "proposalCode": "mx1",
            "labContactReturn": {"name": "A", "emailAddress": "a@b.c", "phoneNumber": None},
        }
    )
    with pytest.raises(ValidationError):
        validate_standard(Person, {"name": "A", "emailAddress": "a@b.c", "phoneNumber": None})
    # Python construction keeps the usual pydantic meaning of None.
    assert Pin(barcode=None).model_dump(mode="json", exclude_none=True) == {"mxlimsType": "Pin"}
    assert Pin.model_validate(Pin(barcode="B1").model_dump()).barcode == "B1"
