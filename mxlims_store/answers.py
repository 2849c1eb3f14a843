"""The shapes of the library's answers: one declaration each, camelCase in JSON as MXLIMS is.

The CLI prints them (``answer.to_dict()``) and the API declares them as its response models,
so the OpenAPI shows each shape once and both say the same thing in the same words. Python code
reads them by their snake_case attribute names (``report.dry_run``); JSON has ``dryRun``.

An object is shown in MXLIMS form: its links under the standard's names (``containerRef``,
``templateDataRefs``) as ``{"$ref": "<uuid>"}`` (the target's uuid, which is also a URI
reference relative to the object's own URL ``.../objects/<uuid>``), with the store's
bookkeeping beside it under the one key ``_meta``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic.alias_generators import to_camel

from mxlims_store.errors import InvalidMessage, Problem
from mxlims_store.model.links import FOREIGN_KEY_FIELDS, LIST_FIELDS, field_for_ref_key, ref_key_for


class Answer(BaseModel):
    """Base of every answer: snake_case in Python, camelCase in JSON."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON data (camelCase), as the API sends it and the CLI prints it."""
        return self.model_dump(mode="json", exclude_none=False)

    # An answer also reads as its JSON (``step["mxlimsType"]``, ``"cut" in step``): the names a
    # client sees; a field left unset (null) is absent, as the API leaves it out.

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __contains__(self, key: object) -> bool:
        return self.to_dict().get(str(key)) is not None


# -- objects -----------------------------------------------------------------------------------


class Bookkeeping(Answer):
    """What the store keeps about an object beside its MXLIMS fields (never exported)."""

    model_config = ConfigDict(extra="allow")

    revision: int = Field(description="changes with every write; the ETag is this number")
    proposal: str | None = Field(default=None, description="the owning proposal")
    created_at: str | None = None
    created_by: str | None = None
    updated_at: str | None = None
    updated_by: str | None = None
    model_version: str | None = Field(default=None, description="the model it is stored in")
    source_version: str | None = Field(
        default=None, description="the MXLIMS model version of the message it came in"
    )
    import_id: str | None = Field(default=None, description="the import that wrote it last")


class MxlimsObject(Answer):
    """One stored object in MXLIMS form (every field the standard gives it, links as
    ``{"$ref": "<uuid>"}``) with its bookkeeping under ``_meta``."""

    model_config = ConfigDict(extra="allow")

    mxlims_type: str
    uuid: str
    meta: Bookkeeping = Field(alias="_meta")

    @classmethod
    def of(cls, document: dict[str, Any]) -> MxlimsObject:
        """A stored document as an answer."""
        from mxlims_store.store.documents import META, from_document  # the store imports us

        return cls.model_validate({**mxlims_form(from_document(document)), "_meta": document[META]})

    @property
    def fields(self) -> dict[str, Any]:
        """The MXLIMS fields (in MXLIMS form), without the bookkeeping."""
        return {"mxlimsType": self.mxlims_type, "uuid": self.uuid, **(self.model_extra or {})}


def mxlims_form(obj: dict[str, Any]) -> dict[str, Any]:
    """A store-form object (``containerId`` uuids) in MXLIMS form (``containerRef``)."""
    out: dict[str, Any] = {}
    for name, value in obj.items():
        if name in FOREIGN_KEY_FIELDS:
            if name in LIST_FIELDS:
                out[ref_key_for(name)] = [{"$ref": v} for v in value]
            else:
                out[ref_key_for(name)] = {"$ref": value}
        else:
            out[name] = value
    return out


def store_form(changes: dict[str, Any]) -> dict[str, Any]:
    """MXLIMS-form fields (``containerRef: {"$ref": uuid}``) as the store keeps them
    (``containerId: uuid``); anything else as given (store-form names are accepted too).
    :class:`InvalidMessage` for a link given both ways, or a ``$ref`` that names no uuid."""
    out: dict[str, Any] = {}
    problems: list[Problem] = []
    for name, value in changes.items():
        field = field_for_ref_key(name)
        if field is None or field not in FOREIGN_KEY_FIELDS:
            out[name] = value
            continue
        if field in changes:
            problems.append(Problem(name, f"give {name} or {field}, not both"))
        elif isinstance(value, list) and field in LIST_FIELDS:
            out[field] = [_target(name, v, problems) for v in value]
        elif value is None:
            out[field] = None  # a merge patch's null removes the link
        else:
            out[field] = _target(name, value, problems)
    if problems:
        raise InvalidMessage(problems)
    return out


def _target(name: str, ref: Any, problems: list[Problem]) -> Any:
    """The uuid a ``{"$ref": uuid}`` names."""
    if isinstance(ref, dict) and set(ref) == {"$ref"} and isinstance(ref["$ref"], str):
        return ref["$ref"]
    problems.append(Problem(name, 'a link is {"$ref": "<uuid of the object it points at>"}'))
    return None


class Page(Answer):
    """One page of a search, in uuid order."""

    items: list[MxlimsObject]
    next: str | None = Field(description="pass as `after` for the next page; null on the last")
    total: int | None = Field(default=None, description="number of matches, with `total=true`")


# -- imports -----------------------------------------------------------------------------------


class ImportReport(Answer):
    """What an import created, updated, found identical, or kept as stored although the message
    differs (``differing``, with the fields per object), per MXLIMS type."""

    import_id: str
    policy: Literal["reject_new", "update_old", "merge", "error"]
    dry_run: bool
    created: dict[str, int] = {}
    updated: dict[str, int] = {}
    unchanged: dict[str, int] = Field(default={}, description="identical to what is stored")
    keys: dict[str, str] = Field(
        default={}, description="local key of the message (`Pin/Pin1`) -> uuid"
    )
    shipment: str | None = Field(
        default=None,
        description="the uuid of the (first) shipment it holds, where a 201's Location points",
    )
    warnings: list[str] = Field(default=[], description="stored anyway, but worth a look")
    differing: dict[str, int] = Field(
        default={}, description="differs from what is stored and was kept as stored (reject_new)"
    )
    differing_fields: dict[str, list[str]] = Field(
        default={}, description="per object (`MxExperiment/MxExperiment1`), the fields that differ"
    )


# -- navigation --------------------------------------------------------------------------------


def label(document: dict[str, Any]) -> str:
    """How a person names an object: type, barcode or name, and its place in its container."""
    shown = document.get("barcode") or document.get("name") or document.get("acronym")
    text = f"{document['mxlimsType']} {shown or document.get('_id') or document.get('uuid')}"
    for field in ("positionInPuck", "positionInDewar", "positionInPin", "positionInPlate"):
        if document.get(field) is not None:
            return f"{text} (position {document[field]})"
    return text


class Link(Answer):
    """One link of an object: its name, the foreign-key field, and the object at the other end."""

    link: str = Field(description="the standard's name: `containerRef`, or a reverse name")
    field: str = Field(description="the foreign key holding it (`containerId`)")
    uuid: str
    mxlims_type: str | None = Field(description="null when the caller may not see the target")
    label: str | None = Field(default=None, description="`Puck HOLD-PK-001-01 (position 2)`")


class Links(Answer):
    """Forward links (the object's foreign keys) and reverse links (who points at it)."""

    uuid: str
    mxlims_type: str
    label: str
    forward: list[Link]
    reverse: list[Link]


class CutLink(Answer):
    """A link the walk did not follow because it stopped at the depth limit."""

    link: str
    uuid: str = Field(description="the object left out: walk on from here")
    mxlims_type: str


class Step(Answer):
    """An object reached by a provenance walk, and how."""

    uuid: str
    mxlims_type: str
    label: str = Field(description="`Pin P0010101 (position 1)`: a chain reads as a sentence")
    depth: int
    # Absent (or null) on the object the walk starts from: nothing reached it.
    link: str | None = Field(default=None, description="the link that reached it")
    source: str | None = Field(
        default=None, alias="from", description="the uuid it was reached from"
    )
    cut: list[CutLink] | None = Field(
        default=None,
        description="only where the walk stopped at the depth limit: the links it did not "
        "follow from this object (the response also says so in `X-MXLIMS-Truncated`)",
    )


class HistoryEntry(Answer):
    """One recorded change of an object."""

    model_config = ConfigDict(extra="allow")

    uuid: str
    revision: int
    operation: Literal["create", "update", "delete"]
    actor: str | None = Field(default=None, description="absent in changes older than keys")
    time: str
    changes: dict[str, dict[str, Any]] = Field(
        description="per field, `before` and `after` (absent: the field was not set)"
    )


# -- facility sheets ---------------------------------------------------------------------------


class SheetLoss(Answer):
    """A stored value that a facility's sheet has no place for."""

    object_type: str
    key: str = Field(description="the object's key in the exported message, e.g. `MxExperiment3`")
    uuid: str | None
    field: str
    value: Any
    reason: str


class SheetCell(Answer):
    """A cell (or a whole row or column, where one is null) worth a look."""

    row: int | None
    column: str | None
    message: str


class SheetDefaultApplied(Answer):
    """A value the export wrote where nothing stored gave one."""

    column: str
    value: Any
    rows: int
    source: str = Field(description="`proposal`, `puckType`, `default` or `stored order`")


class SheetReport(Answer):
    """Everything a sheet export or conversion says beside the file."""

    site: str
    losses: list[SheetLoss] = Field(description="values the sheet cannot hold")
    warnings: list[SheetCell]
    defaults_applied: list[SheetDefaultApplied]
    problems: list[SheetCell] = Field(
        description="what the facility's importer would refuse (a draft only)"
    )

    @classmethod
    def of(cls, site: str, exported: Any) -> SheetReport:
        """The report of a :class:`~mxlims_store.mappings.SheetExport` for facility ``site``."""
        return cls(
            site=site,
            losses=[SheetLoss.model_validate(vars(loss)) for loss in exported.losses],
            warnings=[SheetCell.model_validate(vars(w)) for w in exported.warnings],
            defaults_applied=[
                SheetDefaultApplied.model_validate(vars(d)) for d in exported.defaults_applied
            ],
            problems=[SheetCell.model_validate(vars(p)) for p in exported.problems],
        )


# -- logistics -----------------------------------------------------------------------------------


class Event(Answer):
    """A logistics event: what happened to a shipment, dewar or container, when, by whom, where."""

    model_config = ConfigDict(extra="allow")

    id: str
    subject: str = Field(description="uuid of the object it happened to")
    subject_type: str
    state: Literal["prepared", "shipped", "received", "stored", "at_beamline", "returned", "closed"]
    time: str
    actor: str
    location: str | None = None
    facility: str | None = None
    beamline: str | None = None
    storage_position: str | None = None
    tracking_number: str | None = None
    note: str | None = None


class Whereabouts(Answer):
    """Where an object is now, and how it got there."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uuid": "0196f23d-0f3c-2c96-b3d1-b908984ec709",
                    "mxlimsType": "Dewar",
                    "barcode": "DW-1",
                    "state": "at_beamline",
                    "since": "2026-11-20T09:01:00.000000+00:00",
                    "location": {"facility": "ESRF", "beamline": "ID23-1"},
                    "trackingNumber": "1Z999AA10123456784",
                    "events": [],
                }
            ]
        }
    )

    uuid: str
    mxlims_type: str
    barcode: str | None = None
    name: str | None = None
    state: str | None = None
    since: str | None = None
    location: dict[str, str] = {}
    tracking_number: str | None = None
    tracking_device: dict[str, Any] | None = None
    events: list[Event] = []


class Status(Answer):
    """Sample status of a shipment or container: counts, and one line per sample position with
    its headline result."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uuid": "0196f23d-0f3c-2c96-b3d1-b908984ec709",
                    "mxlimsType": "Dewar",
                    "name": "DW-1",
                    "state": "at_beamline",
                    "counts": {"planned": 14, "collected": 1, "processed": 1, "failed": 0},
                    "positions": [
                        {
                            "uuid": "0196f23d-0f3c-2c96-b3d1-b908984ec701",
                            "mxlimsType": "Pin",
                            "barcode": "PIN-1",
                            "position": 1,
                            "container": "PK-1",
                            "sample": "S1",
                            "status": "processed",
                            "resolution": 1.62,
                            "spaceGroup": "P 21 21 21",
                            "completeness": 99.1,
                        }
                    ],
                }
            ]
        }
    )

    uuid: str
    mxlims_type: str
    name: str | None = None
    state: str | None = None
    counts: dict[str, int]
    positions: list[dict[str, Any]]


class ShipmentSummary(Answer):
    """A shipment in a list: its state and what its sample positions have come to."""

    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "uuid": "0196f23d-0f3c-2c96-b3d1-b908984ec709",
                    "name": "mx1234 lysozyme and friends",
                    "proposal": "mx1234",
                    "state": "received",
                    "createdAt": "2026-11-18T14:02:11.000000+00:00",
                    "dewars": 2,
                    "positions": 14,
                    "counts": {"planned": 10, "processed": 4},
                }
            ]
        }
    )

    uuid: str
    name: str | None = None
    proposal: str
    state: str | None = None
    created_at: str | None = None
    dewars: int
    positions: int
    counts: dict[str, int]


# -- keys ----------------------------------------------------------------------------------------


class ApiKey(Answer):
    """An API key as listed: never its secret."""

    id: str
    name: str
    role: str
    proposals: list[str]
    expires: str | None = None
    created_at: str
    created_by: str
    revoked_at: str | None = None
    last_used: str | None = None


class CreatedKey(ApiKey):
    key: str = Field(description="the secret: shown this once, stored only as a hash")
