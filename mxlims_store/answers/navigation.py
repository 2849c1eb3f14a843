"""Links, provenance steps and history entries, each with a label a person can read."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import ConfigDict, Field

from mxlims_store.answers.base import Answer

# -- navigation --------------------------------------------------------------------------------


def _content(document: dict[str, Any]) -> str | None:
    """What names a job or dataset that has no name: its program, strategy, resolution and
    space group, or its images' file prefix."""
    overall = document.get("reflectionStatisticsOverall") or {}
    limits = overall.get("resolutionLimits") or []
    resolution = limits[-1] if limits else document.get("operationalResolution")
    parts = [
        document.get("programName"),
        document.get("experimentStrategy"),
        f"{resolution} Å" if isinstance(resolution, _NUMBERS) else None,
        document.get("spaceGroupName"),
        document.get("prefix"),
        f"{document['numberImages']} images" if document.get("numberImages") else None,
        document.get("jobStatus"),
    ]
    shown = " ".join([str(p) for p in parts if p])
    return shown or None


_NUMBERS = (int, float)  # (a tuple: ``int | float`` is built again on every call)


def label(document: dict[str, Any]) -> str:
    """How a person names an object: type, barcode or name (a job or dataset by what it is:
    program, resolution, sweep prefix), and its place in its container."""
    shown = document.get("barcode") or document.get("name") or document.get("acronym")
    shown = shown or _content(document)
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
