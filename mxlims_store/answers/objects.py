"""Objects in MXLIMS form (links as ``{"$ref": uuid}``, bookkeeping under ``_meta``), pages
of them, and import reports."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from mxlims_store.answers.base import Answer
from mxlims_store.errors import InvalidMessage, Problem
from mxlims_store.model.links import FOREIGN_KEY_FIELDS, LIST_FIELDS, field_for_ref_key, ref_key_for

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
    number: int | None = Field(
        default=None,
        description="the store-assigned integer id (never reused; MXCuBE's sampleId, crystalId)",
    )


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

    @property
    def data(self) -> dict[str, Any]:
        """The MXLIMS fields as the store keeps them (links as ``containerId`` uuids)."""
        return store_form(self.fields)

    @property
    def revision(self) -> int:
        """The revision a write must name (the ETag)."""
        return self.meta.revision


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


def as_written(error: InvalidMessage, changes: dict[str, Any]) -> InvalidMessage:
    """``error`` of changes that :func:`store_form` rewrote, its problems located by the names
    the changes were written with (``containerRef``, not the store's ``containerId``)."""
    written = {
        field: name
        for name in changes
        if (field := field_for_ref_key(name)) in FOREIGN_KEY_FIELDS and field != name
    }
    if not written:
        return error

    def renamed(path: str) -> str:
        head, slash, rest = path.partition("/")
        return written.get(head, head) + slash + rest

    return InvalidMessage([Problem(renamed(p.path), p.message) for p in error.problems])


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


class MatchedObject(Answer):
    """A message object that is a stored one under another uuid (see ``store/reconcile.py``)."""

    uuid: str = Field(description="the stored object's uuid, which the import used")
    by: Literal["barcode", "name", "position", "container", "sample", "experiment", "template"] = (
        Field(description="what matched it: its own barcode, name or place, or what it hangs from")
    )


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
    matched: dict[str, MatchedObject] = Field(
        default={},
        description="message uuid (the sender's) -> the stored object it is, and how it was "
        "matched (`merge` and `update_old` imports of objects with unknown uuids)",
    )
    outcomes: dict[str, str] = Field(
        default={},
        description="per object (`Pin/Pin1`): created, updated, unchanged or differing (kept "
        "as stored)",
    )
