"""Constrained scalar types shared by the whole model (``core/BasicTypes.json`` and friends).

Every model of the package validates in pydantic *strict* mode (see `StrictModel`): JSON types are
taken at their word, so ``true`` is not an integer, ``"1.5"`` is not a number and ``1.5`` is not an
integer, exactly as in JSON schema. Values stay plain ``str`` (uuids, date-times, URLs) so that a
document round-trips unchanged; the patterns are the standard's own.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from types import MappingProxyType
from typing import Annotated, Any, Final, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationInfo,
    model_validator,
)
from pydantic_core import PydanticCustomError

UUID_PATTERN = r"^[0-9a-f]{8}-[0-9a-f]{4}-[1-5][0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$"
# Case-insensitive DNS name with at least one dot ("esrf.fr"), labels of 1-63 characters.
DOMAIN_NAME_PATTERN = (
    r"(?i)^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$"
)
HTTP_URL_PATTERN = r"^https?://(?:[a-zA-Z0-9\-]+\.)+[a-zA-Z]{2,}(?::\d+)?(?:/[^\s]*)?$"
# ISO 8601 date-time with a mandatory time zone (the standard's AwareDatetime).
AWARE_DATETIME_PATTERN = (
    r"^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])T([01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"
    r"(\.[0-9]+)?(Z|[+-]([01][0-9]|2[0-3]):[0-5][0-9])$"
)
_UUID = re.compile(UUID_PATTERN)


def is_uuid(value: object) -> bool:
    """Whether ``value`` is a uuid as the standard writes it (lower-case, RFC 4122 v1-5)."""
    return isinstance(value, str) and _UUID.fullmatch(value) is not None


Uuid = Annotated[str, StringConstraints(pattern=UUID_PATTERN)]
DomainName = Annotated[str, StringConstraints(pattern=DOMAIN_NAME_PATTERN)]
HttpUrl = Annotated[str, StringConstraints(pattern=HTTP_URL_PATTERN)]
AwareDatetime = Annotated[str, StringConstraints(pattern=AWARE_DATETIME_PATTERN)]

# Keyed by the domain of the site that owns the entry ("esrf.fr"); the standard's dict form.
Identifiers = dict[DomainName, str]
Urls = dict[DomainName, HttpUrl]
Extensions = dict[DomainName, dict[str, Any]]

# Numbers: JSON "integer" is a strict int, JSON "number" a float (ints accepted, bools refused).
PositiveInt = Annotated[int, Field(gt=0)]
NonNegativeInt = Annotated[int, Field(ge=0)]
PositiveFloat = Annotated[float, Field(gt=0)]
NonNegativeFloat = Annotated[float, Field(ge=0)]
Percentage = Annotated[float, Field(ge=0, le=100)]
# exclusiveMinimum 0 with maximum 100 (transmission, target completeness).
PositivePercentage = Annotated[float, Field(gt=0, le=100)]
Fraction = Annotated[float, Field(ge=0, le=1)]
# A correlation coefficient. Upstream 0.6.13 says minimum -1 *and maximum -1* (a typo that makes
# every real value invalid); we accept the intended [-1, 1].
Correlation = Annotated[float, Field(ge=-1, le=1)]

Pair = Annotated[list[float], Field(min_length=2, max_length=2)]
PositivePair = Annotated[list[PositiveFloat], Field(min_length=2, max_length=2)]
IntPair = Annotated[list[int], Field(min_length=2, max_length=2)]
Triple = Annotated[list[float], Field(min_length=3, max_length=3)]


class StrictModel(BaseModel):
    """Base of every model: strict JSON types, unknown fields refused, plain-string values."""

    model_config = ConfigDict(
        strict=True,
        extra="forbid",
        populate_by_name=True,
        allow_inf_nan=False,  # JSON has no inf/NaN: 1e400 would parse to inf and never export
        # Field docstrings become descriptions in the generated JSON schemas.
        use_attribute_docstrings=True,
        # Titles in generated JSON schemas are the field names themselves ("containerId").
        field_title_generator=lambda name, _info: name,
        # Validators are built on first use, not at import: a CLI command that reads no
        # MXLIMS input (stats, get, where) starts some 0.2 s sooner.
        defer_build=True,
    )

    @model_validator(mode="before")
    @classmethod
    def _refuse_nulls(cls, data: Any, info: ValidationInfo) -> Any:
        # The standard has no nullable field: an absent value is omitted, never null. Attributes
        # are ``X | None`` for "absent", so in Python ``None`` means "not set"; documents read as
        # standard JSON (validation context `STANDARD_JSON`, as `parse_object` does) refuse null.
        if (
            isinstance(data, dict)
            and info.context is not None
            and info.context.get(_REFUSE_NULLS)
            and None in data.values()
        ):
            nulls = ", ".join(repr(k) for k, v in data.items() if v is None)
            raise PydanticCustomError(
                "null_forbidden",
                "null is not allowed in MXLIMS (omit the field instead): {fields}",
                {"fields": nulls},
            )
        return data


_REFUSE_NULLS = "mxlims_refuse_nulls"
# Validation context for documents in the standard's JSON form: `Model.model_validate(data,
# context=STANDARD_JSON)` refuses ``null`` values like the official schemas do.
STANDARD_JSON: Final[Mapping[str, Any]] = MappingProxyType({_REFUSE_NULLS: True})


M = TypeVar("M", bound=StrictModel)


def validate_standard(model: type[M], data: Any) -> M:
    """Validate parsed JSON as ``model`` with every rule of the standard, nulls refused."""
    return model.model_validate(data, context=STANDARD_JSON)


__all__ = [
    "AWARE_DATETIME_PATTERN",
    "DOMAIN_NAME_PATTERN",
    "HTTP_URL_PATTERN",
    "STANDARD_JSON",
    "UUID_PATTERN",
    "AwareDatetime",
    "Correlation",
    "DomainName",
    "Extensions",
    "Fraction",
    "HttpUrl",
    "Identifiers",
    "IntPair",
    "NonNegativeFloat",
    "NonNegativeInt",
    "Pair",
    "Percentage",
    "PositiveFloat",
    "PositiveInt",
    "PositivePair",
    "PositivePercentage",
    "StrictModel",
    "Triple",
    "Uuid",
    "is_uuid",
    "validate_standard",
]
