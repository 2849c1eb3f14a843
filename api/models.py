"""Response models: the shapes the API answers with (documented in the OpenAPI)."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field


class ImportReport(BaseModel):
    """What an import created, updated, found identical, or kept as stored although the message
    differs (``differing``, with the fields per object), per MXLIMS type."""

    import_id: str
    policy: str
    dry_run: bool
    created: dict[str, int]
    updated: dict[str, int]
    unchanged: dict[str, int] = Field(description="identical to what is stored")
    differing: dict[str, int] = Field(
        default={}, description="differs from what is stored and was kept as stored (reject_new)"
    )
    differing_fields: dict[str, list[str]] = Field(
        default={}, description="per object (`MxExperiment/MxExperiment1`), the fields that differ"
    )
    keys: dict[str, str] = Field(description="local key of the message (`Pin/Pin1`) -> uuid")
    warnings: list[str] = Field(default=[], description="stored anyway, but worth a look")


class StoredObject(BaseModel):
    """An MXLIMS object (store form: foreign keys as uuids) with its revision and bookkeeping."""

    data: dict[str, Any]
    revision: int
    meta: dict[str, Any]


class Page(BaseModel):
    items: list[dict[str, Any]]
    next: str | None = Field(description="pass as `after` for the next page; null on the last")
    total: int | None = Field(description="number of matches, with `total=true`")


class Link(BaseModel):
    link: str
    field: str
    uuid: str
    mxlimsType: str | None


class Links(BaseModel):
    uuid: str
    mxlimsType: str
    forward: list[Link]
    reverse: list[Link]


class CutLink(BaseModel):
    """A link the walk did not follow because it stopped at the depth limit."""

    link: str
    uuid: str = Field(description="the object left out: walk on from here")
    mxlimsType: str


class Step(BaseModel):
    """An object reached by a provenance walk, and how."""

    model_config = ConfigDict(populate_by_name=True)

    uuid: str
    mxlimsType: str
    depth: int
    link: str | None
    source: str | None = Field(alias="from")
    cut: list[CutLink] | None = Field(
        default=None,
        description="only where the walk stopped at the depth limit: the links it did not "
        "follow from this object (the response also says so in `X-MXLIMS-Truncated`)",
    )


class HistoryEntry(BaseModel):
    model_config = ConfigDict(extra="allow")

    uuid: str
    revision: int
    operation: Literal["create", "update", "delete"]
    actor: str
    time: str
    changes: dict[str, dict[str, Any]]


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
    required: list[str]
    optional: list[str]


class Facility(BaseModel):
    name: str
    modelVersion: str
    mxlimsVersions: list[str]
    sheetFormats: list[dict[str, Any]]
    shippingRequirements: dict[str, TypeRequirements]
    containerTypes: list[ContainerType]


class SheetLoss(BaseModel):
    """A stored value that a facility's sheet has no place for."""

    object_type: str
    key: str = Field(description="the object's key in the exported message, e.g. `MxExperiment3`")
    uuid: str | None
    field: str
    value: Any
    reason: str

    @classmethod
    def from_loss(cls, loss: Any) -> SheetLoss:
        return cls(**loss.to_dict())


class SheetCell(BaseModel):
    """A cell (or a whole row or column, where one is null) worth a look."""

    row: int | None
    column: str | None
    message: str


class SheetDefaultApplied(BaseModel):
    """A value the export wrote where nothing stored gave one."""

    column: str
    value: Any
    rows: int
    source: str = Field(description="`proposal`, `puckType`, `default` or `stored order`")


class SheetReport(BaseModel):
    """Everything a sheet export or conversion says beside the file."""

    site: str
    losses: list[SheetLoss] = Field(description="values the sheet cannot hold")
    warnings: list[SheetCell]
    defaults_applied: list[SheetDefaultApplied]
    problems: list[SheetCell] = Field(
        description="what the facility's importer would refuse (a draft only)"
    )

    @classmethod
    def from_export(cls, site: str, exported: Any) -> SheetReport:
        return cls(
            site=site,
            losses=[SheetLoss.from_loss(loss) for loss in exported.losses],
            warnings=[SheetCell(**vars(w)) for w in exported.warnings],
            defaults_applied=[
                SheetDefaultApplied(**d.to_dict()) for d in exported.defaults_applied
            ],
            problems=[SheetCell(**vars(p)) for p in exported.problems],
        )
