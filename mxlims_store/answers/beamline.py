"""The beamline's sample list: MXCuBE's ``get_samples`` shape, with the uuids behind it."""

from __future__ import annotations

from typing import Any

from pydantic import ConfigDict, Field

from mxlims_store.answers.base import Answer

# The keys of mxcubecore's AbstractLims.get_samples, as it documents them.
MXCUBE_SAMPLE_KEYS: tuple[str, ...] = (
    "containerCode",
    "containerSampleChangerLocation",
    "crystalId",
    "crystalSpaceGroup",
    "diffractionPlan",
    "proteinAcronym",
    "sampleId",
    "sampleLocation",
    "sampleName",
)


class BeamlineSample(Answer):
    """One pin (or multipin position) as MXCuBE lists samples; the ids are the store's stable
    integers (``_meta.number``), each beside the uuid of the object it names."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uuid": "d550e5b3-1929-530c-91d4-462ed7e4e063",
                    "sampleId": 17,
                    "sampleName": "hewl_1101",
                    "sampleLocation": 1,
                    "containerCode": "ESRF-UNI-12",
                    "containerUuid": "f079ae4a-705b-5406-ab73-5a0b0d82324d",
                    "containerSampleChangerLocation": 3,
                    "crystalId": 9,
                    "crystalUuid": "d0c6b8b9-e537-5af6-af9a-65b3a60401bb",
                    "crystalSpaceGroup": "P43212",
                    "proteinAcronym": "HEWL",
                    "diffractionPlan": {
                        "diffractionPlanId": 31,
                        "uuid": "4c21685d-f933-538c-b6ab-4a70ac33990e",
                        "experimentKind": "OSC",
                    },
                }
            ]
        }
    )

    uuid: str = Field(description="the pin's (or pin position's) uuid")
    sample_id: int | None = Field(description="the pin's store-assigned number")
    sample_name: str | None = Field(description="its sample's name, else the pin's barcode")
    sample_location: int | None = Field(description="its position in the puck")
    container_code: str | None = Field(description="the puck's barcode, else its name")
    container_uuid: str | None = None
    container_sample_changer_location: int | None = Field(
        description="the puck's sample-changer position while its latest event is at_beamline"
    )
    crystal_id: int | None = Field(description="the pin's sample's store-assigned number")
    crystal_uuid: str | None = None
    crystal_space_group: str | None = Field(description="the planned experiment's space group")
    protein_acronym: str | None = None
    diffraction_plan: dict[str, Any] = Field(
        description="the planned MxExperiment: diffractionPlanId (its number), uuid, "
        "experimentKind, resolutions and targets; {} for none"
    )
