"""MXLIMS message -> facility sheet (``write_sheet``), with a report of what the sheet loses."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from ..errors import SheetProblem
from . import open_terms, transforms
from .export_rows import Ident, MessageIndex, SheetRow, puck_slots_in_order, sheet_rows
from .fields import FIELDS, UNIT_CELL_PARTS
from .headers import normalise_header
from .overrides import override_state
from .site_registry import get_site
from .sites import ColumnFormat, SiteFormat
from .tabular import MEDIA_TYPES, Cell, write_table

_STRUCTURAL = {"mxlimsType", "mxlimsBaseType", "uuid"}
_IDENTITY = {"Dewar.name", "Dewar.barcode", "Puck.name", "Puck.barcode"}


@dataclass(frozen=True)
class Loss:
    """A value in the message that the facility's sheet cannot hold."""

    object_type: str
    key: str
    """The object's key in the message, e.g. ``MxExperiment3``."""
    uuid: str | None
    field: str
    """Field name; ``extensions[<domain>].<name>`` for an extension value."""
    value: Any
    reason: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.key}.{self.field} = {self.value!r}: {self.reason}"


@dataclass(frozen=True)
class AppliedDefault:
    """A value the export wrote where the stored objects had none."""

    column: str
    value: Any
    rows: int
    source: str
    """Where it came from: a request parameter (``proposal``, ``puckType``, ``default``) or
    ``stored order`` (pucks numbered in each dewar in the order they are stored)."""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def __str__(self) -> str:
        return f"{self.column} = {self.value!r} on {self.rows} row(s), from {self.source}"


@dataclass
class SheetExport:
    """A facility sheet produced from a message."""

    content: bytes
    media_type: str
    losses: list[Loss] = field(default_factory=list)
    warnings: list[SheetProblem] = field(default_factory=list)
    """Cells to look at (row, column): required cells the message leaves empty, positions the
    sheet cannot express, control characters removed for XLSX."""
    fmt: str = "csv"
    defaults_applied: list[AppliedDefault] = field(default_factory=list)
    problems: list[SheetProblem] = field(default_factory=list)
    """What the facility's own importer refuses in this sheet (only in a draft: otherwise the
    export is refused)."""

    @property
    def filename_extension(self) -> str:
        return f".{self.fmt}"


class _Writer:
    def __init__(self, site: SiteFormat, ix: MessageIndex) -> None:
        self.site = site
        self.ix = ix
        self.kept: set[tuple[Ident, str]] = set()
        self.partial: dict[tuple[Ident, str], str] = {}  # written, but something lost: reason
        self.implicit: set[tuple[Ident, str]] = set()
        self.off_row: dict[Ident, str] = {}  # objects left off the rows on purpose: why
        self.warnings: list[SheetProblem] = []
        self.row_number = 0  # the sheet row being written, for warnings
        self.ext_keys = {normalise_header(k): c for c in site.columns for k in c.keys}

    def obj_for(self, row: SheetRow, type_: str) -> Ident | None:
        if type_ == "Pin" and "MultiPin" in row.objs:
            return row.objs["MultiPin"]
        return row.get(type_)

    def cell(self, row: SheetRow, col: ColumnFormat) -> Cell:
        if col.field:
            type_, fld, *rest = col.field.split(".")
            ident = self.obj_for(row, type_)
            if ident is not None and not (ident[0] == "MultiPin" and fld not in FIELDS["MultiPin"]):
                obj = self.ix.objects[ident]
                value = obj.get(fld)
                if col.transform in ("letters_part", "digits_part") and isinstance(value, str):
                    m = re.fullmatch(r"(.*?)(\d*)", value, re.S)
                    assert m is not None
                    piece = m.group(1) if col.transform == "letters_part" else m.group(2)
                    self.kept.add((ident, fld))
                    return piece or None
                if rest and isinstance(value, dict):
                    part = rest[0]
                    complete = all(isinstance(value.get(p), int | float) for p in UNIT_CELL_PARTS)
                    if complete:
                        self.kept.add((ident, fld))
                        return transforms.number_cell(float(value[part]))
                    self.partial[(ident, fld)] = "incomplete unit cell"
                    value = None
                elif value is not None and col.values is not None:
                    return self.term_cell(col, ident, fld, obj, value)
                elif value is not None:
                    cell, reason = transforms.render(col, value)
                    if reason:
                        self.partial[(ident, fld)] = reason
                    elif cell is not None:
                        self.kept.add((ident, fld))
                        note = transforms.acronym_note(col, obj.get("name"), cell)
                        if note:
                            self.warnings.append(SheetProblem(self.row_number, col.header, note))
                    if cell is not None:
                        return cell
                if value is None and fld in ("name", "barcode") and type_ in ("Dewar", "Puck"):
                    other = "barcode" if fld == "name" else "name"
                    alt = obj.get(other)
                    if alt is not None and not self.site.maps(type_, other):
                        self.partial[(ident, other)] = (
                            f"written to the {col.header!r} column as the {type_.lower()}'s {fld}"
                        )
                        return str(alt)
        return self.extension_cell(row, col)

    def term_cell(
        self, col: ColumnFormat, ident: Ident, fld: str, obj: dict[str, Any], value: Any
    ) -> Cell:
        """A controlled cell (``open_terms``): what the sheet wrote, else the facility's
        spelling, else the value verbatim with a warning."""
        written = open_terms.write_cell(self.site, col, obj, value)
        for tag in written.used:
            self.kept.add((ident, tag))
        if written.stale is not None:
            self.partial[(ident, written.stale[0])] = written.stale[1]
        if written.warning is not None:
            self.warnings.append(SheetProblem(self.row_number, col.header, written.warning))
        if written.loss is not None:
            self.partial[(ident, fld)] = written.loss
        elif written.cell is not None:
            self.kept.add((ident, fld))
        return written.cell

    def extension_cell(self, row: SheetRow, col: ColumnFormat) -> Cell:
        for ident in self.row_objects(row):
            ext = self.ix.objects[ident].get("extensions")
            if not isinstance(ext, dict):
                continue
            mine = ext.get(self.site.domain)
            if not isinstance(mine, dict):
                continue
            for name, value in mine.items():
                if name.endswith(open_terms.AS_WRITTEN):
                    continue  # only with the value it spells (term_cell)
                if normalise_header(name) in col.keys:
                    cell, reason = transforms.render_extension(value)
                    tag = f"extensions[{self.site.domain}].{name}"
                    if reason:
                        self.partial[(ident, tag)] = reason
                    else:
                        self.kept.add((ident, tag))
                        return cell
        return None

    def row_objects(self, row: SheetRow) -> list[Ident]:
        return list(row.objs.values())

    def implicit_values(self, rows: list[SheetRow]) -> None:
        """Values the facility's importer derives by itself: not losses when they match."""
        ix, site = self.ix, self.site
        rank: dict[Ident, int] = {}
        count: dict[Ident | None, int] = {}
        for row in rows:
            pin = row.get("MultiPin") or row.get("Pin")
            if pin is None or pin in rank:
                continue
            puck = row.get("Puck")
            count[puck] = count.get(puck, 0) + 1
            rank[pin] = count[puck]
        dewar = rows[0].get("Dewar") if rows else None
        first_dewar = ix.objects.get(dewar) if dewar is not None else None
        for ident, obj in ix.objects.items():
            type_ = ident[0]
            if type_ in ("MxExperiment", "MxProcessing") and obj.get("jobStatus") == "Template":
                self.implicit.add((ident, "jobStatus"))
            if type_ == "CollectionSweep":
                if obj.get("scanAxis") == "omega":
                    self.implicit.add((ident, "scanAxis"))
                if obj.get("sweepType") == "simple":
                    self.implicit.add((ident, "sweepType"))
            if type_ == "MultiPin" and obj.get("numberPositions") == site.capacities.multipin:
                self.implicit.add((ident, "numberPositions"))
            if (
                type_ in ("Pin", "MultiPin")
                and not site.has_position_column
                and ident in rank
                and obj.get("positionInPuck") == rank[ident]
            ):
                self.implicit.add((ident, "positionInPuck"))
            if (
                type_ == "Macromolecule"
                and obj.get("acronym") == obj.get("name")
                and site.maps(type_, "name")
                and not site.maps(type_, "acronym")
            ):
                self.implicit.add((ident, "acronym"))  # the importer copies the name
            if type_ == "Shipment" and obj.get("proposalCode") == "":
                self.implicit.add((ident, "proposalCode"))  # required, but nothing known
            if (
                type_ == "Shipment"
                and not site.maps(type_, "name")
                and first_dewar is not None
                and obj.get("name") in (first_dewar.get("barcode"), first_dewar.get("name"))
            ):
                self.implicit.add((ident, "name"))  # the importer names it so

    def losses(self, on_rows: set[Ident]) -> list[Loss]:
        out: list[Loss] = []
        name = self.site.name
        for ident, obj in self.ix.objects.items():
            type_, key = ident
            uid = obj.get("uuid") if isinstance(obj.get("uuid"), str) else None
            for fld, value in obj.items():
                if fld in _STRUCTURAL or fld.endswith(("Ref", "Refs")) or _empty(value):
                    continue
                if fld == "extensions" and isinstance(value, dict):
                    for domain, entries in value.items():
                        for ext_name, ext_value in (entries or {}).items():
                            tag = f"extensions[{domain}].{ext_name}"
                            if (ident, tag) in self.kept:
                                continue
                            written = (ident, ext_name) in self.kept
                            override = override_state(
                                self.site, ident[0], obj, domain, ext_name, ext_value, written
                            )
                            if override == "applied":
                                continue  # the field holds it, and the sheet has it
                            if override is not None:
                                why = override
                            elif domain != self.site.domain:
                                why = f"extension of another facility ({domain})"
                            elif ident not in on_rows:
                                why = self.off_row.get(ident, "not on any pin row of the sheet")
                            else:
                                why = self.partial.get(
                                    (ident, tag), f"the {name} sheet has no {ext_name!r} column"
                                )
                            out.append(Loss(type_, key, uid, tag, ext_value, why))
                    continue
                if (ident, fld) in self.kept and (ident, fld) not in self.partial:
                    continue
                if (ident, fld) in self.implicit:
                    continue
                if (ident, fld) in self.partial:
                    why = self.partial[(ident, fld)]
                elif ident not in on_rows:
                    why = self.off_row.get(ident, "not on any pin row of the sheet")
                elif self.site.maps(type_, fld) or (
                    type_ == "MultiPin" and self.site.maps("Pin", fld)
                ):
                    why = f"the {name} sheet holds one {type_} of this kind per row"
                else:
                    why = f"the {name} sheet has no column for {type_}.{fld}"
                out.append(Loss(type_, key, uid, fld, value, why))
        return out


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def write_sheet(
    site: str | SiteFormat,
    message: dict[str, Any],
    *,
    fmt: str = "csv",
    column_defaults: dict[str, Any] | None = None,
) -> SheetExport:
    """Write the pins of an MXLIMS message as a facility sheet (``csv``, ``tsv`` or ``xlsx``).

    One row per Pin (or PinPosition), ordered by dewar, puck and position; ``$ref`` links are
    followed inside the message. Extensions under the facility's own domain go back to their
    columns. Every value the sheet cannot hold is listed in ``losses``. ``column_defaults``
    (facility header -> cell value) fills that column's empty cells; a required puck position
    in the dewar that nothing gives is numbered in stored order. Both are listed in
    ``defaults_applied``.
    """
    fmt = fmt.lower().lstrip(".")
    if fmt not in MEDIA_TYPES:
        raise ValueError(f"unknown sheet format {fmt!r}; use one of {', '.join(MEDIA_TYPES)}")
    sf = get_site(site)
    ix = MessageIndex(message)
    rows = sheet_rows(ix)
    writer = _Writer(sf, ix)
    if not any(c.field == "PinPosition.positionInPin" for c in sf.columns):
        rows = _one_row_per_multipin(rows, ix, writer, sf)
    defaults = column_defaults or {}
    filled: dict[tuple[str, Any, str], int] = {}
    puck_slots = puck_slots_in_order(rows)
    table: list[list[Cell]] = [[c.header for c in sf.columns]]
    for row_number, row in enumerate(rows, start=2):
        writer.row_number = row_number
        cells = [writer.cell(row, col) for col in sf.columns]
        for j, col in enumerate(sf.columns):
            if cells[j] in (None, "") and col.header in defaults:
                cells[j] = defaults[col.header]
                source = (col.header, defaults[col.header], "default")
                filled[source] = filled.get(source, 0) + 1
            elif (
                cells[j] in (None, "")
                and col.required
                and col.field == "Puck.positionInDewar"
                and row.get("Puck") in puck_slots
            ):
                cells[j] = puck_slots[row.get("Puck")]  # type: ignore[index]
                source = (col.header, "1, 2, ...", "stored order")
                filled[source] = filled.get(source, 0) + 1
            if not col.required or cells[j] not in (None, ""):
                continue
            type_ = (col.field or "").split(".")[0]
            holder = row.get(type_) if col.field in _IDENTITY else None
            if holder is not None:
                # A container with neither name nor barcode: its message key keeps the rows of
                # different dewars/pucks apart.
                cells[j] = holder[1]
                text = f"{type_} {holder[1]} has no name or barcode: wrote its key"
            else:
                text = f"required by {sf.name}: no value"
            writer.warnings.append(SheetProblem(row_number, col.header, text))
        table.append(cells)
    writer.implicit_values(rows)
    on_rows = {ident for row in rows for ident in row.objs.values()}
    content = write_table(table, fmt, title=sf.name, warnings=writer.warnings)
    return SheetExport(
        content=content,
        media_type=MEDIA_TYPES[fmt],
        losses=writer.losses(on_rows),
        warnings=writer.warnings,
        fmt=fmt,
        defaults_applied=[AppliedDefault(c, v, n, src) for (c, v, src), n in filled.items()],
    )


def _one_row_per_multipin(
    rows: list[SheetRow], ix: MessageIndex, writer: _Writer, sf: SiteFormat
) -> list[SheetRow]:
    """A sheet without sub-positions holds a multi-position pin as one pin: its first
    sub-position's row. Two rows would be two pins with one barcode in one place, which the
    facility refuses; what the other sub-positions hold is reported lost, with why."""
    kept: list[SheetRow] = []
    first: dict[Ident, SheetRow] = {}
    for row in rows:
        mp = row.get("MultiPin")
        if mp is None or mp not in first:
            if mp is not None:
                first[mp] = row
            kept.append(row)
            continue
        sub = ix.objects[row.objs["PinPosition"]].get("positionInPin")
        why = (
            f"on sub-position {sub} of a multi-position pin: the {sf.name} sheet has one row "
            "per pin and no sub-position column"
        )
        for role, ident in row.objs.items():
            if role not in ("MultiPin", "Puck", "Dewar", "Shipment", "Macromolecule"):
                writer.off_row[ident] = why
    return kept
