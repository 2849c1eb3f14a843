"""What a facility sheet export or conversion says beside the file."""

from __future__ import annotations

from typing import Any

from pydantic import Field

from mxlims_store.answers.base import Answer

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
