"""Sheets a facility accepts: fill what the target requires, then check with its own importer.

An export that the target facility's importer would refuse is not an export. ``checked_sheet``
fills missing required values from what the caller supplies (proposal, puck type, per-column
values), reads the result back with the target's own rules, and refuses it with every row and
column that is still wrong, unless a draft is asked for. ``convert_sheet`` does the same from
another facility's sheet without a store.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any

from ..errors import MappingError, SheetProblem
from .exporter import AppliedDefault, Loss, SheetExport, write_sheet
from .importer import read_sheet
from .site_registry import get_site
from .sites import SiteFormat
from .vocabularies import PUCK_TYPE


@dataclass(frozen=True)
class SheetDefaults:
    """Values for what the stored objects leave empty and the target facility requires."""

    proposal: str | None = None
    """``Shipment.proposalCode`` (``mx1234``) when none is stored."""
    puck_type: str | None = None
    """``Puck.puckType`` of every puck that has none."""
    columns: dict[str, str] = field(default_factory=dict)
    """Facility column header (any accepted spelling) -> value for its empty cells."""


def parse_column_defaults(pairs: list[str]) -> dict[str, str]:
    """``["COLUMN=VALUE", ...]`` as given on the command line or in a query: each a column
    once, with a value of printable text."""
    out: dict[str, str] = {}
    problems = []
    for pair in pairs:
        column, sep, value = (part.strip() for part in pair.partition("="))
        if not sep or not column:
            problems.append(SheetProblem(None, None, f"default {pair!r} is not COLUMN=VALUE"))
        elif not value:
            problems.append(SheetProblem(None, column, "a default needs a value"))
        elif any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            problems.append(SheetProblem(None, column, "a default may not hold control characters"))
        elif column in out:
            problems.append(SheetProblem(None, column, "this column has two defaults"))
        else:
            out[column] = value
    if problems:
        raise MappingError(problems, f"{len(problems)} problem(s) in the defaults: {problems[0]}")
    return out


def _with_defaults(
    site: str, message: dict[str, Any], defaults: SheetDefaults, losses: list[Loss]
) -> tuple[dict[str, Any], list[AppliedDefault]]:
    """The message with the proposal and puck type filled where nothing is stored, when the
    target sheet has a column for them (else they would only be reported lost)."""
    sf = get_site(site)
    applied: list[AppliedDefault] = []
    proposal = defaults.proposal if sf.maps("Shipment", "proposalCode") else None
    term = _puck_type(defaults.puck_type) if defaults.puck_type is not None else None
    puck_type = term if sf.maps("Puck", "puckType") else None
    if proposal is None and puck_type is None:
        return message, applied
    message = copy.deepcopy(message)
    if proposal is not None:
        empty = [s for s in message.get("Shipment", {}).values() if not s.get("proposalCode")]
        for shipment in empty:
            shipment["proposalCode"] = proposal
        if empty:
            applied.append(
                AppliedDefault("Shipment.proposalCode", proposal, len(empty), "proposal")
            )
    if puck_type is not None:
        empty = [p for p in message.get("Puck", {}).values() if not p.get("puckType")]
        for puck in empty:
            puck["puckType"] = puck_type
        if empty:
            applied.append(AppliedDefault("Puck.puckType", puck_type, len(empty), "puckType"))
        replaced = _replace_unplaceable(sf, message, puck_type)
        if replaced:
            applied.append(
                AppliedDefault(
                    "Puck.puckType",
                    puck_type,
                    len(replaced),
                    f"puckType, for types whose positions {sf.name} does not know",
                )
            )
        losses.extend(replaced)
    return message, applied


def _replace_unplaceable(sf: SiteFormat, message: dict[str, Any], puck_type: str) -> list[Loss]:
    """Pucks of a type whose number of positions the target does not know, with no column to
    give it in: the target would refuse them, so they get the given puck type (each a loss)."""
    counted = sf.maps("Puck", "numberPositions")
    out: list[Loss] = []
    for key, puck in message.get("Puck", {}).items():
        given = puck.get("numberPositions") if counted else None
        if sf.capacities.for_puck(puck.get("puckType"), given) is not None:
            continue
        why = (
            f"{sf.name} knows no number of positions for this puck type and its sheet cannot "
            f"say it: written as the given puck type {puck_type!r}"
        )
        uid = puck.get("uuid") if isinstance(puck.get("uuid"), str) else None
        out.append(Loss("Puck", key, uid, "puckType", puck["puckType"], why))
        puck["puckType"] = puck_type
    return out


def _column_defaults(site: str, given: dict[str, str]) -> dict[str, str]:
    """Given column names as the facility's own headers; an unknown column is refused."""
    sf = get_site(site)
    out: dict[str, str] = {}
    problems = []
    for name, value in given.items():
        column = sf.column(name)
        if column is None:
            known = ", ".join(c.header for c in sf.columns)
            problems.append(
                SheetProblem(None, name, f"the {sf.name} sheet has no such column; it has {known}")
            )
        elif column.header in out:  # two spellings of one column
            problems.append(SheetProblem(None, name, f"{column.header} has two defaults"))
        else:
            out[column.header] = value
    if problems:
        raise MappingError(problems, f"{len(problems)} problem(s) in the defaults: {problems[0]}")
    return out


def _puck_type(given: str) -> str:
    """The MXLIMS term of a puck type given as a default; refused unless it names one."""
    term = PUCK_TYPE.term(given)
    if term is None:
        known = ", ".join(PUCK_TYPE.terms)
        raise MappingError(
            [SheetProblem(None, "puckType", f"{given!r} is not a puck type; use one of {known}")],
            f"{given!r} is not a puck type; use one of {known}",
        )
    return term


def checked_sheet(
    site: str,
    message: dict[str, Any],
    *,
    fmt: str = "csv",
    defaults: SheetDefaults | None = None,
    draft: bool = False,
) -> SheetExport:
    """``message`` as ``site``'s sheet that ``site``'s own importer accepts.

    Raises :class:`MappingError` listing every row and column the target would refuse, after
    the defaults are applied, unless ``draft``: then the sheet comes back with them in
    ``problems``.
    """
    defaults = defaults or SheetDefaults()
    columns = _column_defaults(site, defaults.columns)
    replaced: list[Loss] = []
    filled, applied = _with_defaults(site, message, defaults, replaced)
    exported = write_sheet(site, filled, fmt=fmt, column_defaults=columns)
    exported.defaults_applied[:0] = applied
    exported.losses[:0] = replaced
    # The target's importer, on exactly what the facility would receive (as CSV: same cells).
    as_csv = exported if fmt == "csv" else write_sheet(site, filled, column_defaults=columns)
    try:
        read_sheet(site, as_csv.content, filename="check.csv")
    except MappingError as refused:
        if not draft:
            sf = get_site(site)
            error = MappingError(
                refused.problems,
                f"{sf.name} would refuse this sheet ({refused.total} problem(s)): supply the "
                "missing values (proposal, puck type, or a default per column), or ask for a "
                "draft",
            )
            error.total = refused.total
            raise error from None
        exported.problems = refused.problems
    return exported


def convert_sheet(
    source: str,
    target: str,
    data: bytes,
    *,
    filename: str | None = None,
    encoding: str | None = None,
    fmt: str = "csv",
    defaults: SheetDefaults | None = None,
    draft: bool = False,
) -> SheetExport:
    """One facility's sheet as another's, through MXLIMS, without a store."""
    noted: list[SheetProblem] = []
    message = read_sheet(source, data, filename=filename, encoding=encoding, warnings=noted)
    exported = checked_sheet(target, message, fmt=fmt, defaults=defaults, draft=draft)
    exported.warnings[:0] = [  # cells of the source sheet kept as written rather than mapped
        SheetProblem(w.row, w.column, f"in the {get_site(source).name} sheet: {w.message}")
        for w in noted
    ]
    return exported
