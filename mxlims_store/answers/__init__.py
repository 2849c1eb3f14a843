"""The shapes of the library's answers: one declaration each, camelCase in JSON as MXLIMS is.

Every public method of :class:`~mxlims_store.store.Store` answers with one of them (or a list
of one). The CLI prints them (``answer.to_dict()``) and the API declares them as its response
models, so the OpenAPI shows each shape once and both say the same thing in the same words.
Python code reads them by their snake_case attribute names (``report.dry_run``); JSON has
``dryRun``.

An object is shown in MXLIMS form: its links under the standard's names (``containerRef``,
``templateDataRefs``) as ``{"$ref": "<uuid>"}`` (the target's uuid, which is also a URI
reference relative to the object's own URL ``.../objects/<uuid>``), with the store's
bookkeeping beside it under the one key ``_meta``.
"""

from __future__ import annotations

from mxlims_store.answers.base import Answer
from mxlims_store.answers.beamline import MXCUBE_SAMPLE_KEYS, BeamlineSample
from mxlims_store.answers.layout import Labels, LaidContainer, LaidDewar, Layout
from mxlims_store.answers.maintenance import BackupReport, CheckReport, Deleted, Stats
from mxlims_store.answers.navigation import CutLink, HistoryEntry, Link, Links, Step, label
from mxlims_store.answers.objects import (
    Bookkeeping,
    ImportReport,
    MatchedObject,
    MxlimsObject,
    Page,
    as_written,
    mxlims_form,
    store_form,
)
from mxlims_store.answers.sheets import SheetCell, SheetDefaultApplied, SheetLoss, SheetReport
from mxlims_store.answers.tracking import (
    ApiKey,
    CreatedKey,
    Event,
    EventState,
    Identity,
    ShipmentSummary,
    Status,
    Whereabouts,
)

__all__ = [
    "MXCUBE_SAMPLE_KEYS",
    "Answer",
    "ApiKey",
    "BackupReport",
    "BeamlineSample",
    "Bookkeeping",
    "CheckReport",
    "CreatedKey",
    "CutLink",
    "Deleted",
    "Event",
    "EventState",
    "HistoryEntry",
    "Identity",
    "ImportReport",
    "Labels",
    "LaidContainer",
    "LaidDewar",
    "Layout",
    "Link",
    "Links",
    "MatchedObject",
    "MxlimsObject",
    "Page",
    "SheetCell",
    "SheetDefaultApplied",
    "SheetLoss",
    "SheetReport",
    "ShipmentSummary",
    "Stats",
    "Status",
    "Step",
    "Whereabouts",
    "as_written",
    "label",
    "mxlims_form",
    "store_form",
]
