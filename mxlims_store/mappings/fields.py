"""The MXLIMS 0.6.13 fields a facility sheet can map to, with their JSON types and ranges.

These are facts from the official schemas (``data/*Data.json``, ``datatypes/UnitCell.json``);
``tests/mappings/test_fields.py`` checks every entry against the schema files. A site TOML may
only name fields listed here, so a typo in a mapping fails when the file is loaded, not when a
user uploads a sheet.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Kind = Literal["string", "integer", "number", "spacegroup", "unitcell", "pair", "components"]


@dataclass(frozen=True)
class FieldSpec:
    """One MXLIMS field: ``kind`` is its JSON shape; bounds are the schema's."""

    kind: Kind
    minimum: float | None = None
    exclusive_minimum: float | None = None
    maximum: float | None = None

    def range_problem(self, value: float) -> str | None:
        """Why ``value`` violates the schema range, or None."""
        if self.exclusive_minimum is not None and not value > self.exclusive_minimum:
            return f"must be greater than {_num(self.exclusive_minimum)}"
        if self.minimum is not None and value < self.minimum:
            return f"must be at least {_num(self.minimum)}"
        if self.maximum is not None and value > self.maximum:
            return f"must be at most {_num(self.maximum)}"
        return None


def _num(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


_STR = FieldSpec("string")
_POS_INT = FieldSpec("integer", exclusive_minimum=0)
_POS_NUM = FieldSpec("number", exclusive_minimum=0.0)
_PERCENT = FieldSpec("number", exclusive_minimum=0.0, maximum=100.0)
_SG = FieldSpec("spacegroup")
_CELL = FieldSpec("unitcell")

#: ``Type -> field -> spec`` for every field a sheet column may map to.
FIELDS: dict[str, dict[str, FieldSpec]] = {
    "Shipment": {
        "name": _STR,
        "annotation": _STR,
        "proposalCode": _STR,
        "sessionNumber": _POS_INT,
    },
    "Dewar": {"name": _STR, "annotation": _STR, "barcode": _STR},
    "Puck": {
        "name": _STR,
        "annotation": _STR,
        "barcode": _STR,
        "positionInDewar": _POS_INT,
        "numberPositions": _POS_INT,
        "puckType": _STR,
    },
    "Pin": {
        "name": _STR,
        "annotation": _STR,
        "barcode": _STR,
        "positionInPuck": _POS_INT,
        "loopType": _STR,
        "holderLength": FieldSpec("number"),
    },
    "MultiPin": {
        "name": _STR,
        "annotation": _STR,
        "barcode": _STR,
        "numberPositions": _POS_INT,
        "positionInPuck": _POS_INT,
    },
    "PinPosition": {"name": _STR, "annotation": _STR, "positionInPin": _POS_INT},
    "Macromolecule": {"name": _STR, "annotation": _STR, "acronym": _STR},
    "MacromoleculeSample": {
        "name": _STR,
        "annotation": _STR,
        "acronym": _STR,
        "campaignName": _STR,
        "components": FieldSpec("components"),
    },
    "MxExperiment": {
        "annotation": _STR,
        "experimentStrategy": _STR,
        "experimentLocation": _STR,
        "expectedResolution": _POS_NUM,
        "requiredResolution": _POS_NUM,
        "targetCompleteness": _PERCENT,
        "targetMultiplicity": _POS_NUM,
        "aimedTotalRange": _POS_NUM,
        "priority": _POS_INT,
        "sampleGroup": _STR,
        "doseBudget": _POS_NUM,
        "radiationSensitivity": FieldSpec("number", exclusive_minimum=0.0, maximum=1.0),
        "snapshotCount": FieldSpec("integer", minimum=0),
        "wedgeWidth": _POS_NUM,
        "expectedSpaceGroupName": _SG,
        "expectedUnitCell": _CELL,
    },
    "CollectionSweep": {
        "annotation": _STR,
        "exposureTime": _POS_NUM,
        "imageWidth": _POS_NUM,
        "numberImages": _POS_INT,
        "energy": _POS_NUM,
        "transmission": _PERCENT,
        "resolution": _POS_NUM,
        "beamSize": FieldSpec("pair", exclusive_minimum=0.0),
        "path": _STR,
        "prefix": _STR,
    },
    "MxProcessing": {
        "annotation": _STR,
        "programName": _STR,
        "programVersion": _STR,
        "spaceGroupName": _SG,
        "unitCell": _CELL,
    },
}

#: UnitCell components, all ``exclusiveMinimum: 0`` in ``datatypes/UnitCell.json``.
UNIT_CELL_PARTS: tuple[str, ...] = ("a", "b", "c", "alpha", "beta", "gamma")
UNIT_CELL_PART = FieldSpec("number", exclusive_minimum=0.0)


def lookup(path: str) -> tuple[str, str, str | None, FieldSpec]:
    """Split ``Type.field[.part]`` and return (type, field, part, spec of the leaf).

    Raises KeyError for a field that is not in :data:`FIELDS`.
    """
    parts = path.split(".")
    if len(parts) not in (2, 3):
        raise KeyError(path)
    type_, field = parts[0], parts[1]
    spec = FIELDS[type_][field]
    if len(parts) == 3:
        if spec.kind != "unitcell" or parts[2] not in UNIT_CELL_PARTS:
            raise KeyError(path)
        return type_, field, parts[2], UNIT_CELL_PART
    return type_, field, None, spec
