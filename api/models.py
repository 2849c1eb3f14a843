"""Response models of the service itself (health, facility, schemas). The answers of the
library (import reports, objects, pages, links, steps, history, sheet reports) are declared once,
in :mod:`mxlims_store.answers`, and used from there."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class MxlimsMessage(BaseModel):
    """An MXLIMS message: ``version`` and one key per object type (``"Pin": {"Pin1": {...}}``)."""

    model_config = ConfigDict(extra="allow")

    version: str


class Health(BaseModel):
    status: Literal["ok"]
    modelVersion: str
    backend: Literal["embedded", "mongodb"]


class SchemaRef(BaseModel):
    name: str
    url: str


class Capacity(BaseModel):
    """How many children a container holds: a fixed number, or the value of one of its fields."""

    field: str | None = None
    default: int | None = None
    byType: dict[str, int] = {}
    note: str | None = None


class ContainerType(BaseModel):
    type: str
    contains: list[str]
    capacity: Capacity | None


class TypeRequirements(BaseModel):
    """A type's fields, in MXLIMS message names (``containerRef``, ``sampleRef``)."""

    required: list[str]
    optional: list[str]
    bySheet: dict[str, list[str]] = Field(
        default={},
        description="per facility code, what that facility's sheet requires of this type "
        "(derived from its site file)",
    )


class Facility(BaseModel):
    name: str
    modelVersion: str
    mxlimsVersions: list[str]
    sheetFormats: list[dict[str, Any]]
    shippingRequirements: dict[str, TypeRequirements]
    containerTypes: list[ContainerType]
