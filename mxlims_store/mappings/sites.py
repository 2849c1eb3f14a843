"""Facility sheet formats: one TOML data file per facility under ``sites/``.

The engine knows no facility; everything facility-specific (headers, their order and variant
spellings, the MXLIMS field each column maps to, value transforms, capacities, the spellings of
controlled values) is data. See ``README.md`` in this folder for the file format; the canonical
terms those spellings map to are shared by all facilities in ``vocabularies.py``.
"""

from __future__ import annotations

import re
from functools import cached_property
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    SkipValidation,
    ValidationInfo,
    field_validator,
    model_validator,
)

from .fields import FIELDS, lookup
from .headers import normalise_header
from .ispyb_terms import EXPERIMENT_KINDS
from .vocabularies import EXPERIMENT_KIND, PUCK_TYPE, VOCABULARIES, ValueMap

Positions = Literal["column", "row-order"]
POSITION_FIELD = "Pin.positionInPuck"  # a sheet with a column for it numbers pins by it

#: Transforms a column may name, and the field kinds each one can feed.
TRANSFORMS: dict[str, frozenset[str]] = {
    "text": frozenset({"string", "extension"}),
    "int": frozenset({"integer", "extension"}),
    "float": frozenset({"number", "extension"}),
    "percent": frozenset({"number", "extension"}),
    "bool": frozenset({"extension"}),
    "spacegroup": frozenset({"spacegroup"}),
    "spacegroup_number": frozenset({"spacegroup"}),
    "unit_cell_six": frozenset({"unitcell"}),
    "square_pair": frozenset({"pair"}),
    "smiles": frozenset({"components"}),
    "flag": frozenset({"string"}),
    "letters_part": frozenset({"string"}),
    "digits_part": frozenset({"string"}),
}

_DEFAULT_TRANSFORM = {
    "string": "text",
    "integer": "int",
    "number": "float",
    "spacegroup": "spacegroup",
    "unitcell": "unit_cell_six",
    "pair": "square_pair",
    "components": "smiles",
}

#: Object types whose ``extensions[domain]`` may hold an unmapped column.
ExtensionTarget = Literal[
    "Shipment",
    "Dewar",
    "Puck",
    "Pin",
    "Macromolecule",
    "MacromoleculeSample",
    "MxExperiment",
    "CollectionSweep",
    "MxProcessing",
]

_DOMAIN = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$"
)
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


class SiteFileError(ValueError):
    """A site TOML file is malformed (a programming/configuration error, not a user error)."""


class _FromFile(BaseModel):
    """A table of a site file: every key known, nothing changed after loading."""

    model_config = ConfigDict(frozen=True, extra="forbid")


def _kind(field: str | None) -> str | None:
    """The kind of field a column feeds (``extension`` without one); None for an unknown one."""
    if field is None:
        return "extension"
    try:
        return lookup(field)[3].kind
    except KeyError:
        return None


class ColumnFormat(_FromFile):
    """One column of a facility sheet."""

    header: str
    """The header as the facility's template spells it (written on export)."""
    field: str | None = None
    """MXLIMS ``Type.field`` (or ``Type.field.part`` for a unit-cell component); None: extension."""
    transform: str = "text"
    required: bool = False
    aliases: tuple[str, ...] = ()
    keep_on: ExtensionTarget = "Pin"
    """For an unmapped column: the object type whose ``extensions[domain][header]`` keeps it."""
    unit: str | None = None
    scale: float | None = None
    """Sheet value x scale = MXLIMS value (e.g. 1000 for keV in the sheet, eV in MXLIMS)."""
    minimum: float | None = Field(None, alias="min")
    maximum: float | None = Field(None, alias="max")
    """Extra plausibility bounds in sheet units, on top of the schema's ranges."""
    flag_value: str | None = None
    note: str | None = None
    ispyb: bool = False
    """The facility runs ISPyB: every kind of ISPyB's experimentKind enumeration is known here
    (``ispyb_terms.py``), besides the spellings under ``values``."""
    closed: bool = False
    """The facility takes only the listed values: refuse others (no facility file says so yet;
    every column is open, so an unlisted value passes through verbatim with a warning)."""
    values: SkipValidation[ValueMap | None] = Field(None, validate_default=True)
    """For a field with a shared vocabulary: this facility's spellings of its terms."""

    @model_validator(mode="before")
    @classmethod
    def _default_transform(cls, raw: Any) -> Any:
        """A mapped field's kind says how its cells are read unless the file says otherwise."""
        if isinstance(raw, dict) and "transform" not in raw and isinstance(raw.get("field"), str):
            kind = _kind(raw["field"])
            if kind in _DEFAULT_TRANSFORM:
                return {**raw, "transform": _DEFAULT_TRANSFORM[kind]}
        return raw

    @field_validator("header")
    @classmethod
    def _not_blank(cls, header: str) -> str:
        if not header.strip():
            raise ValueError("is empty")
        return header

    @field_validator("field", mode="before")
    @classmethod
    def _mappable(cls, field: Any) -> Any:
        if field and isinstance(field, str) and _kind(field) is None:
            raise ValueError(f"{field!r} is not a mappable MXLIMS field")
        return field or None

    @field_validator("transform")
    @classmethod
    def _feeds_the_field(cls, transform: str, info: ValidationInfo) -> str:
        if transform not in TRANSFORMS:
            raise ValueError(f"{transform!r} is unknown; use one of {', '.join(TRANSFORMS)}")
        kind = _kind(info.data["field"]) if "field" in info.data else None
        if kind is not None and kind not in TRANSFORMS[transform]:
            raise ValueError(f"{transform!r} cannot feed a {kind} field")
        return transform

    @field_validator("values", mode="before")
    @classmethod
    def _spellings(cls, raw: Any, info: ValidationInfo) -> ValueMap | None:
        """The column's spellings of a shared vocabulary.

        A field with a vocabulary must have them: copying a facility's spelling raw into MXLIMS
        would carry it into other facilities' sheets, where it means nothing.
        """
        if not {"header", "field", "transform"} <= set(info.data):
            return None  # a key they depend on is wrong, and said so
        field, transform = info.data["field"], info.data["transform"]
        vocabulary = VOCABULARIES.get(field) if field else None
        if vocabulary is None:
            if raw is not None:
                raise ValueError(f"given, but {field or 'an extension'} has no vocabulary")
            return None
        if raw is None:
            raise ValueError(
                f"{field} takes {vocabulary.name}s: list this facility's spellings under"
                " [columns.values] (spelling = term of vocabularies.py)"
            )
        if transform != "text":
            raise ValueError(f"a column with 'values' takes transform 'text', not {transform!r}")
        site = str((info.context or {}).get("site", ""))
        ispyb = bool(info.data.get("ispyb"))
        if ispyb and vocabulary is not EXPERIMENT_KIND:
            raise ValueError("'ispyb = true' is for an experiment kind column only")
        verbatim = EXPERIMENT_KINDS if ispyb else ()
        closed = bool(info.data.get("closed"))
        return ValueMap.build(
            vocabulary, raw, site, info.data["header"], verbatim=verbatim, closed=closed
        )

    @model_validator(mode="after")
    def _flag_has_its_value(self) -> ColumnFormat:
        if self.transform == "flag" and not self.flag_value:
            raise ValueError("transform 'flag' needs 'flag_value'")
        return self

    @property
    def object_type(self) -> str:
        """The MXLIMS type this column's value lands on."""
        return self.field.split(".", 1)[0] if self.field else self.keep_on

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """Normalised header spellings that select this column."""
        return tuple(dict.fromkeys(normalise_header(h) for h in (self.header, *self.aliases)))

    def to_dict(self) -> dict[str, Any]:
        out = {
            k: v
            for k, v in self.model_dump(exclude={"values"}).items()
            if v not in (None, (), False) or k == "field"
        }
        out["required"] = self.required
        out.pop("ispyb", None)
        out.pop("closed", None)
        if self.ispyb:
            out["ispyb"] = True
        if self.closed:
            out["closed"] = True
        out["aliases"] = list(self.aliases)
        if self.values is not None:
            out["values"] = self.values.spellings
        return out


class Capacities(_FromFile):
    """How many positions containers of this facility have."""

    puck: int = 16
    """Pin positions of a puck when neither ``numberPositions`` nor a known type says otherwise."""
    puck_types: dict[str, int] = Field(default_factory=dict)
    """Pin positions by puck type (lower-case), e.g. ``{"unipuck": 16, "spinepuck": 10}``."""
    dewar: int | None = None
    """Puck positions of a dewar, if the facility limits ``positionInDewar``."""
    multipin: int | None = None
    """Positions of a multi-position pin (sites with a sub-position column)."""

    @field_validator("puck_types")
    @classmethod
    def _canonical(cls, puck_types: dict[str, int]) -> dict[str, int]:
        # Puck.puckType holds canonical terms (vocabularies.py), so capacities are keyed by them.
        for puck_type in puck_types:
            if PUCK_TYPE.term(puck_type) is None:
                raise ValueError(
                    f"{puck_type!r} is not a puck type of vocabularies.py "
                    f"({', '.join(PUCK_TYPE.terms)})"
                )
        return {name.lower(): positions for name, positions in puck_types.items()}

    def for_puck(self, puck_type: str | None, number_positions: int | None) -> int | None:
        """Pin positions of a puck; None for a type whose capacity this facility does not know
        (its number of positions must then be given)."""
        if number_positions:
            return number_positions
        if not puck_type:
            return self.puck
        term = PUCK_TYPE.term(puck_type)
        for name, positions in self.puck_types.items():
            if term is not None and PUCK_TYPE.term(name) == term:
                return positions
        return None


class SiteFormat(_FromFile):
    """A facility's shipment sheet, read from ``sites/<code>.toml``."""

    code: str
    name: str = Field(min_length=1)
    domain: str
    description: str = ""
    positions: Positions
    """``column``: the sheet has a position-in-puck column; ``row-order``: the n-th row of a puck
    is position n (the default, unless a column maps Pin.positionInPuck)."""
    capacities: Capacities = Capacities()
    columns: tuple[ColumnFormat, ...] = Field((), validate_default=True)
    _index: dict[str, ColumnFormat] = PrivateAttr(default_factory=dict)

    @model_validator(mode="before")
    @classmethod
    def _positions_by_default(cls, raw: Any) -> Any:
        if isinstance(raw, dict) and "positions" not in raw:
            columns = raw.get("columns")
            numbered = isinstance(columns, list) and any(
                isinstance(c, dict) and c.get("field") == POSITION_FIELD for c in columns
            )
            return {**raw, "positions": "column" if numbered else "row-order"}
        return raw

    @field_validator("code")
    @classmethod
    def _file_name(cls, code: str, info: ValidationInfo) -> str:
        file_code = (info.context or {}).get("code", code)
        if code != file_code or not _CODE.match(code):
            raise ValueError(f"{code!r} must be the file name {file_code!r} (lower-case)")
        return code

    @field_validator("domain")
    @classmethod
    def _domain_name(cls, domain: str) -> str:
        if not _DOMAIN.match(domain):
            raise ValueError(f"must be a domain name like 'esrf.fr', not {domain!r}")
        return domain

    @field_validator("columns")
    @classmethod
    def _some_columns(cls, columns: tuple[ColumnFormat, ...]) -> tuple[ColumnFormat, ...]:
        if not columns:
            raise ValueError("none: a sheet has at least one [[columns]] table")
        return columns

    @model_validator(mode="after")
    def _columns_agree(self) -> SiteFormat:
        """What no single column can check: spellings and fields taken twice, split fields,
        the position columns the layout needs."""
        seen: dict[str, str] = {}
        for number, column in enumerate(self.columns, start=1):
            for key in column.keys:
                if key in seen:
                    raise ValueError(
                        f"column {number} ({column.header!r}): header spelling {key!r} also "
                        f"selects {seen[key]!r}"
                    )
                seen[key] = column.header
        split = ("letters_part", "digits_part")
        mapped = [c.field for c in self.columns if c.field and c.transform not in split]
        dupes = {f for f in mapped if mapped.count(f) > 1}
        if dupes:
            raise ValueError(f"fields mapped by more than one column: {sorted(dupes)}")
        letters, digits = ([c.field for c in self.columns if c.transform == t] for t in split)
        if letters != digits:
            raise ValueError(
                "'letters_part' and 'digits_part' columns must come in pairs on one field"
            )
        numbered = any(c.field == POSITION_FIELD for c in self.columns)
        if self.has_position_column != numbered:
            raise ValueError(f"'positions = \"column\"' needs a column mapped to {POSITION_FIELD}")
        if any(c.field == "PinPosition.positionInPin" for c in self.columns) and (
            not self.capacities.multipin or not self.has_position_column
        ):
            raise ValueError(
                "a PinPosition.positionInPin column needs capacities.multipin and a position column"
            )
        return self

    def model_post_init(self, context: Any) -> None:
        self._index.update((key, col) for col in reversed(self.columns) for key in col.keys)

    @property
    def has_position_column(self) -> bool:
        return self.positions == "column"

    def column(self, header: str) -> ColumnFormat | None:
        """The column a header spelling selects, or None."""
        return self._index.get(normalise_header(header))

    def columns_for(self, type_: str, field_: str) -> list[ColumnFormat]:
        """Columns mapping ``type_.field_`` (several for split values such as unit cells)."""
        return [c for c in self.columns if c.field and c.field.split(".")[:2] == [type_, field_]]

    def maps(self, type_: str, field_: str) -> bool:
        return bool(self.columns_for(type_, field_))

    def to_dict(self) -> dict[str, Any]:
        columns = [c.to_dict() for c in self.columns]
        return {**self.model_dump(exclude={"columns"}), "columns": columns}


__all__ = [
    "FIELDS",
    "Capacities",
    "ColumnFormat",
    "SiteFileError",
    "SiteFormat",
    "normalise_header",
]
