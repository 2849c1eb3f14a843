"""A shipment (or dewar, or container) laid out as the pages draw it, and labels of objects."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mxlims_store.answers.base import Answer, MappingAnswer


class LaidContainer(Answer):
    """A puck or plate drawn as its real geometry: every position, the empty ones included."""

    uuid: str
    mxlims_type: str
    name: str | None = None
    kind: str = Field(description="the puck kind (`UNIPUCK`) or the plate type's name")
    capacity: int
    rows: int = Field(description="a plate's rows; 0 for a puck")
    columns: int = Field(description="a plate's columns; 0 for a puck")
    filled: int = Field(description="positions with something in them")
    positions: list[dict[str, Any]] = Field(
        description="per position: position, status, label, and the lines of what sits there"
    )
    lines: list[dict[str, Any]] = Field(description="the sample positions it holds, in order")
    counts: dict[str, int]


class LaidDewar(Answer):
    """A dewar with its containers (``uuid`` null: containers outside any dewar)."""

    uuid: str | None = None
    mxlims_type: str | None = None
    name: str | None = None
    containers: list[LaidContainer]
    counts: dict[str, int]


class Layout(Answer):
    """Dewars, containers drawn as their real geometry, positions with status (pages)."""

    uuid: str
    mxlims_type: str
    name: str | None = None
    state: str | None = None
    counts: dict[str, int]
    positions: int = Field(description="number of sample positions")
    dewars: list[LaidDewar]
    lines: list[dict[str, Any]] = Field(description="every sample position, in dewar order")


class Labels(MappingAnswer[str]):
    """uuid -> how a person names the object (only objects the caller may see)."""
