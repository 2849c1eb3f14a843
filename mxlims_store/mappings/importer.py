"""Facility sheet -> MXLIMS message (``read_sheet``)."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from typing import Any

from ..errors import MappingError, SheetProblem
from . import transforms
from .fields import FIELDS, UNIT_CELL_PARTS, lookup
from .sites import ColumnFormat, SiteFormat, get_site, list_sites, normalise_header
from .tabular import read_table

MXLIMS_VERSION = "0.6.13"

#: Top-level order of object types in a message built from a sheet.
TYPE_ORDER = (
    "Shipment",
    "Dewar",
    "Puck",
    "Pin",
    "MultiPin",
    "PinPosition",
    "Macromolecule",
    "MacromoleculeSample",
    "MxExperiment",
    "CollectionSweep",
    "MxProcessing",
)

_HEADER_SCAN_ROWS = 20


def ref(type_: str, key: str) -> dict[str, str]:
    return {"$ref": f"#/{type_}/{key}"}


@dataclass
class _Column:
    """A column present in the uploaded sheet: its index, the header as written, its format."""

    index: int
    header: str
    fmt: ColumnFormat | None  # None: a header the facility format does not know

    @property
    def name(self) -> str:
        """The header name used in problems and extension keys (the facility's spelling)."""
        return self.fmt.header if self.fmt else self.header.lstrip("#").strip()


@dataclass
class _Row:
    number: int
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    ext: dict[str, dict[str, Any]] = field(default_factory=dict)
    header_of: dict[tuple[str, str], str] = field(default_factory=dict)

    def get(self, type_: str, field_: str) -> Any:
        return self.values.get(type_, {}).get(field_)


@dataclass
class _Entity:
    """A de-duplicated object (shipment, dewar, puck, macromolecule, multi-pin)."""

    type: str
    key: str
    data: dict[str, Any]
    label: str
    first_row: dict[str, int] = field(default_factory=dict)


class _Builder:
    def __init__(self, site: SiteFormat, proposal_code: str | None) -> None:
        self.site = site
        self.problems: list[SheetProblem] = []
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        self.proposal_code = proposal_code
        self.shipment: _Entity | None = None
        self.dewars: dict[object, _Entity] = {}
        self.pucks: dict[object, _Entity] = {}
        self.macromolecules: dict[str, _Entity] = {}
        self.multipins: dict[object, _Entity] = {}
        self.sub_positions: dict[tuple[str, int], int] = {}
        self.occupied: dict[tuple[str, int], int] = {}
        self.dewar_slots: dict[tuple[str, int], tuple[int, str]] = {}
        self.barcodes: dict[str, tuple[int, str]] = {}
        self.pins_in_puck: dict[str, int] = {}
        self.placements: list[tuple[int, str, _Entity, int]] = []
        self.puck_header = self._identity_header("Puck")

    # -- objects -----------------------------------------------------------------------------

    def new(self, type_: str) -> tuple[str, dict[str, Any]]:
        bucket = self.objects.setdefault(type_, {})
        key = f"{type_}{len(bucket) + 1}"
        obj: dict[str, Any] = {"mxlimsType": type_, "uuid": str(uuid.uuid4())}
        bucket[key] = obj
        return key, obj

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(SheetProblem(row, column, message))

    def _identity_header(self, type_: str) -> str | None:
        for fld in ("barcode", "name"):
            cols = self.site.columns_for(type_, fld)
            if cols:
                return cols[0].header
        return None

    def _identity(self, row: _Row, type_: str) -> str | None:
        """The value naming a dewar/puck/macromolecule on this row (barcode, name or acronym)."""
        order = ("acronym", "name") if type_ == "Macromolecule" else ("barcode", "name")
        for fld in order:
            if self.site.maps(type_, fld):
                value = row.get(type_, fld)
                if value is not None:
                    return str(value)
        return None

    def merge(self, ent: _Entity, row: _Row, values: dict[str, Any], ext: dict[str, Any]) -> None:
        """Add a row's values to a shared object; a different value for a set field is an error."""
        for fld, value in values.items():
            if fld in ent.data and ent.data[fld] != value:
                self.problem(
                    row.number,
                    row.header_of.get((ent.type, fld)),
                    f"{_show(value)} differs from {_show(ent.data[fld])} given for "
                    f"{ent.label} on row {ent.first_row[fld]}",
                )
            elif fld not in ent.data:
                ent.data[fld] = value
                ent.first_row[fld] = row.number
        if ext:
            store = ent.data.setdefault("extensions", {}).setdefault(self.site.domain, {})
            for name, value in ext.items():
                tag = f"ext:{name}"
                if name in store and store[name] != value:
                    self.problem(
                        row.number,
                        name,
                        f"{_show(value)} differs from {_show(store[name])} given for "
                        f"{ent.label} on row {ent.first_row[tag]}",
                    )
                elif name not in store:
                    store[name] = value
                    ent.first_row[tag] = row.number

    def entity(
        self, table: dict[Any, _Entity], ident: Any, type_: str, label: str, row: _Row
    ) -> tuple[_Entity, bool]:
        if ident in table:
            return table[ident], False
        key, obj = self.new(type_)
        ent = _Entity(type_, key, obj, label)
        table[ident] = ent
        return ent, True

    # -- rows --------------------------------------------------------------------------------

    def add(self, row: _Row) -> None:
        site = self.site
        # Shipment: one per sheet.
        if self.shipment is None:
            key, obj = self.new("Shipment")
            self.shipment = _Entity("Shipment", key, obj, "the shipment")
            if not site.maps("Shipment", "proposalCode"):
                # ShipmentData requires proposalCode; the sheet has none (caller may supply it).
                obj["proposalCode"] = self.proposal_code or ""
        self.merge(self.shipment, row, row.values.get("Shipment", {}), row.ext.get("Shipment", {}))

        dewar_id = self._identity(row, "Dewar")
        dewar, _ = self.entity(
            self.dewars, dewar_id, "Dewar", f"dewar {dewar_id}" if dewar_id else "the dewar", row
        )
        self.merge(dewar, row, row.values.get("Dewar", {}), row.ext.get("Dewar", {}))
        dewar.data.setdefault("containerRef", ref("Shipment", self.shipment.key))

        puck_id = self._identity(row, "Puck")
        puck, new_puck = self.entity(
            self.pucks,
            (dewar.key, puck_id),
            "Puck",
            f"puck {puck_id}" if puck_id else f"the puck of {dewar.label}",
            row,
        )
        self.merge(puck, row, row.values.get("Puck", {}), row.ext.get("Puck", {}))
        if new_puck:
            puck.data["containerRef"] = ref("Dewar", dewar.key)
        slot = row.get("Puck", "positionInDewar")
        if new_puck and slot is not None:
            self._place_puck(row, dewar, puck, slot)

        ls_type, ls_key = self._pin(row, puck)

        # Macromolecule (shared) and the row's MacromoleculeSample.
        macro_key: str | None = None
        mm_values = dict(row.values.get("Macromolecule", {}))
        mm_ext = row.ext.get("Macromolecule", {})
        if mm_values or mm_ext:
            if "acronym" not in mm_values and "name" in mm_values:
                mm_values["acronym"] = mm_values["name"]  # MacromoleculeData requires acronym
            mm_id = self._identity(row, "Macromolecule") or str(mm_values.get("acronym", ""))
            mm, _ = self.entity(
                self.macromolecules, mm_id, "Macromolecule", f"protein {mm_id}", row
            )
            self.merge(mm, row, mm_values, mm_ext)
            macro_key = mm.key
        s_key, sample = self.new("MacromoleculeSample")
        sample.update(row.values.get("MacromoleculeSample", {}))
        self._ext(sample, row.ext.get("MacromoleculeSample"))
        if macro_key:
            sample["parentSampleRef"] = ref("Macromolecule", macro_key)
        self.objects[ls_type][ls_key]["sampleRef"] = ref("MacromoleculeSample", s_key)

        # Template experiment with its template sweep.
        _e_key, exp = self.new("MxExperiment")
        exp["jobStatus"] = "Template"
        exp.update(row.values.get("MxExperiment", {}))
        self._ext(exp, row.ext.get("MxExperiment"))
        w_key, sweep = self.new("CollectionSweep")
        sweep["scanAxis"] = "omega"  # required by CollectionSweepData; the schema default
        sweep.update(row.values.get("CollectionSweep", {}))
        self._ext(sweep, row.ext.get("CollectionSweep"))
        sweep["logisticalSampleRef"] = ref(ls_type, ls_key)
        exp["sampleRef"] = ref("MacromoleculeSample", s_key)
        exp["logisticalSampleRef"] = ref(ls_type, ls_key)
        exp["templateDataRefs"] = [ref("CollectionSweep", w_key)]

        if row.values.get("MxProcessing") or row.ext.get("MxProcessing"):
            _, proc = self.new("MxProcessing")
            proc["jobStatus"] = "Template"
            proc.update(row.values.get("MxProcessing", {}))
            self._ext(proc, row.ext.get("MxProcessing"))
            proc["sampleRef"] = ref("MacromoleculeSample", s_key)
            proc["logisticalSampleRef"] = ref(ls_type, ls_key)

    def _ext(self, obj: dict[str, Any], ext: dict[str, Any] | None) -> None:
        if ext:
            obj.setdefault("extensions", {})[self.site.domain] = dict(ext)

    def _place_puck(self, row: _Row, dewar: _Entity, puck: _Entity, slot: int) -> None:
        header = row.header_of.get(("Puck", "positionInDewar"))
        cap = self.site.capacities.dewar
        if cap is not None and slot > cap:
            self.problem(row.number, header, f"position {slot} is beyond the {cap} of a dewar")
        taken = self.dewar_slots.get((dewar.key, slot))
        if taken is not None:
            self.problem(
                row.number,
                header,
                f"{dewar.label} position {slot} already holds {taken[1]} (row {taken[0]})",
            )
        else:
            self.dewar_slots[(dewar.key, slot)] = (row.number, puck.label)

    def _pin(self, row: _Row, puck: _Entity) -> tuple[str, str]:
        """Create the row's Pin (or PinPosition in a shared MultiPin); return its (type, key)."""
        pin_values = dict(row.values.get("Pin", {}))
        pin_ext = dict(row.ext.get("Pin", {}))
        if self.site.has_position_column:
            position = pin_values.pop("positionInPuck", None)
            pos_header = row.header_of.get(("Pin", "positionInPuck"))
        else:
            position = self.pins_in_puck.get(puck.key, 0) + 1
            pos_header = self.puck_header
        sub = row.get("PinPosition", "positionInPin")
        barcode = pin_values.get("barcode")

        if sub is not None:
            mp, new = self.entity(
                self.multipins,
                (puck.key, position if position is not None else barcode),
                "MultiPin",
                f"the multi-position pin at {puck.label} position {position}",
                row,
            )
            pp_key, pp = self.new("PinPosition")
            pp["positionInPin"] = sub
            mp_values = {k: v for k, v in pin_values.items() if k in FIELDS["MultiPin"]}
            for k, v in pin_values.items():
                if k not in mp_values:  # e.g. loopType: a MultiPin has no such field
                    pin_ext[row.header_of[("Pin", k)]] = v
            if new:
                mp.data["numberPositions"] = self.site.capacities.multipin
                if position is not None:
                    mp.data["positionInPuck"] = position
                self._occupy(row, puck, position, pos_header, mp.label)
            self.merge(mp, row, mp_values, {})
            if new:
                mp.data["containerRef"] = ref("Puck", puck.key)
            self._ext(pp, pin_ext)
            pp["containerRef"] = ref("MultiPin", mp.key)
            sub_header = row.header_of.get(("PinPosition", "positionInPin"))
            cap = self.site.capacities.multipin or 1
            if sub > cap:
                self.problem(
                    row.number, sub_header, f"sub-position {sub} is beyond the {cap} of a pin"
                )
            seen = self.sub_positions.get((mp.key, sub))
            if seen is not None:
                self.problem(
                    row.number,
                    sub_header,
                    f"sub-position {sub} of {mp.label} is already used on row {seen}",
                )
            self.sub_positions.setdefault((mp.key, sub), row.number)
            self._barcode(row, barcode, mp.key)
            return "PinPosition", pp_key

        pin_key, pin = self.new("Pin")
        pin.update(pin_values)
        if position is not None:
            pin["positionInPuck"] = position
        self._ext(pin, pin_ext)
        pin["containerRef"] = ref("Puck", puck.key)
        self._occupy(row, puck, position, pos_header, f"the pin on row {row.number}")
        self._barcode(row, barcode, pin_key)
        return "Pin", pin_key

    def _occupy(
        self, row: _Row, puck: _Entity, position: int | None, header: str | None, what: str
    ) -> None:
        if position is None:
            return
        self.pins_in_puck[puck.key] = self.pins_in_puck.get(puck.key, 0) + 1
        taken = self.occupied.get((puck.key, position))
        if taken is not None:
            self.problem(
                row.number,
                header,
                f"position {position} of {puck.label} already holds the pin on row {taken}",
            )
        else:
            self.occupied[(puck.key, position)] = row.number
        self.placements.append((row.number, header or "", puck, position))

    def _barcode(self, row: _Row, barcode: Any, owner: str) -> None:
        if barcode is None:
            return
        seen = self.barcodes.get(str(barcode))
        if seen is not None and seen[1] != owner:
            self.problem(
                row.number,
                row.header_of.get(("Pin", "barcode")),
                f"pin barcode {barcode} is also on row {seen[0]}",
            )
        elif seen is None:
            self.barcodes[str(barcode)] = (row.number, owner)

    def finish(self) -> None:
        caps = self.site.capacities
        for number, header, puck, position in self.placements:
            cap = caps.for_puck(puck.data.get("puckType"), puck.data.get("numberPositions"))
            if position > cap:
                if self.site.has_position_column:
                    msg = f"position {position} is beyond the {cap} positions of {puck.label}"
                else:
                    msg = (
                        f"{puck.label} has more than its {cap} positions (this is pin {position};"
                        " the sheet has no position column, so rows fill positions in order)"
                    )
                self.problem(number, header or None, msg)

    def message(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": MXLIMS_VERSION}
        for type_ in TYPE_ORDER:
            if self.objects.get(type_):
                out[type_] = self.objects[type_]
        return out


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


# -- sheet layout ------------------------------------------------------------------------------


def _layout(
    site: SiteFormat, table: list[tuple[int, list[str]]], problems: list[SheetProblem]
) -> tuple[int, list[_Column]] | None:
    """Find the header row (the best-matching of the first non-blank rows) and its columns."""
    candidates = [(i, cells) for i, (_, cells) in enumerate(table) if any(cells)]
    if not candidates:
        problems.append(SheetProblem(None, None, "the sheet is empty"))
        return None
    best_i, best_score = -1, 0
    for i, cells in candidates[:_HEADER_SCAN_ROWS]:
        score = sum(1 for c in cells if c and site.column(c) is not None)
        if score > best_score:
            best_i, best_score = i, score
    if best_score == 0:
        expected = ", ".join(c.header for c in site.columns[:4])
        problems.append(
            SheetProblem(None, None, f"no {site.name} header row found (expected {expected}, ...)")
        )
        _guess_site(site, candidates[0][1], problems)
        return None
    row_number, cells = table[best_i]
    width = max(i for i, c in enumerate(cells) if c) + 1
    columns: list[_Column] = []
    seen: dict[str, str] = {}
    for index, text in enumerate(cells[:width]):
        if not text:
            columns.append(_Column(index, "", None))
            continue
        fmt = site.column(text)
        col = _Column(index, text, fmt)
        key = normalise_header(col.name)
        if key in seen:
            problems.append(
                SheetProblem(row_number, text, f"column appears twice (also as {seen[key]!r})")
            )
        seen[key] = text
        columns.append(col)
    present = {c.fmt.header for c in columns if c.fmt}
    missing = [c.header for c in site.columns if c.required and c.header not in present]
    for header in missing:
        problems.append(SheetProblem(None, header, "required column is missing"))
    if missing and best_score * 2 < len(site.columns):
        # Mostly foreign headers: row-by-row problems would only be noise.
        _guess_site(site, cells, problems)
        return None
    return best_i, columns


def _guess_site(site: SiteFormat, cells: list[str], problems: list[SheetProblem]) -> None:
    scores = {
        other.code: sum(1 for c in cells if c and other.column(c) is not None)
        for other in list_sites()
        if other.code != site.code
    }
    if scores:
        code = max(scores, key=lambda k: scores[k])
        if scores[code] >= 3:
            problems.append(
                SheetProblem(None, None, f"this looks like a sheet for facility {code!r}")
            )


def _parse_row(
    site: SiteFormat, columns: list[_Column], number: int, cells: list[str], b: _Builder
) -> _Row | None:
    width = len(columns)
    if len(cells) < width or any(cells[width:]):
        filled = len(cells) if len(cells) < width else width + len([c for c in cells[width:] if c])
        b.problem(number, None, f"row has {filled} cells but the header has {width} columns")
        return None
    row = _Row(number)
    parts: dict[str, dict[str, tuple[str, Any]]] = {}
    joined: dict[str, list[tuple[str, str, str]]] = {}
    bad: set[str] = set()  # fields with a cell error already reported
    for col in columns:
        text = cells[col.index]
        fmt = col.fmt
        if not col.header:
            if text:
                b.problem(number, f"column {col.index + 1}", "value in a column without header")
            continue
        if not text:
            if fmt is not None and fmt.required:
                b.problem(number, fmt.header, "required value is missing")
            continue
        spec = None
        type_ = fld = part = None
        if fmt is not None and fmt.field:
            type_, fld, part, spec = lookup(fmt.field)
        try:
            value = transforms.parse(fmt, spec, text) if fmt else text
        except transforms.CellError as exc:
            b.problem(number, col.name, str(exc))
            if fmt is not None and fmt.field:
                bad.add(fmt.field.rsplit(".", 1)[0] if fmt.field.count(".") == 2 else fmt.field)
            continue
        if value is None:
            continue
        if fmt is None or type_ is None or fld is None:
            target = fmt.keep_on if fmt else "Pin"
            row.ext.setdefault(target, {})[col.name] = value
            continue
        row.header_of[(type_, fld)] = fmt.header
        if part is not None:
            parts.setdefault(f"{type_}.{fld}", {})[part] = (fmt.header, value)
        elif fmt.transform in ("letters_part", "digits_part"):
            joined.setdefault(f"{type_}.{fld}", []).append((fmt.transform, fmt.header, value))
        else:
            row.values.setdefault(type_, {})[fld] = value
    for path, got in parts.items():
        type_, fld = path.split(".")
        if len(got) == len(UNIT_CELL_PARTS):
            row.values.setdefault(type_, {})[fld] = {p: got[p][1] for p in UNIT_CELL_PARTS}
            continue
        if path in bad:
            continue
        for col_fmt in site.columns_for(type_, fld):
            p = (col_fmt.field or "").rsplit(".", 1)[-1]
            if p not in got:
                b.problem(
                    number,
                    col_fmt.header,
                    "unit cell is incomplete: give all six of a, b, c, alpha, beta, gamma",
                )
    for path, pieces in joined.items():
        type_, fld = path.split(".")
        pieces.sort(key=lambda p: p[0] != "letters_part")
        row.values.setdefault(type_, {})[fld] = "".join(p[2] for p in pieces)
    return row


def read_sheet(
    site: str | SiteFormat,
    data: bytes,
    *,
    filename: str | None = None,
    proposal_code: str | None = None,
) -> dict[str, Any]:
    """Convert a facility shipment sheet (CSV, TSV or XLSX bytes) to an MXLIMS message dict.

    ``site`` is a facility code (case-insensitive; see :func:`list_sites`). ``proposal_code``
    fills ``Shipment.proposalCode`` (required by MXLIMS) for sheets without a proposal column.
    Every problem in the sheet is collected and raised together as :class:`MappingError`;
    nothing is returned when any row is bad.
    """
    fmt = get_site(site)
    table = read_table(data, filename)
    problems: list[SheetProblem] = []
    layout = _layout(fmt, table, problems)
    if layout is None:
        raise MappingError(problems)
    header_index, columns = layout
    builder = _Builder(fmt, proposal_code)
    builder.problems = problems
    rows = [(n, cells) for n, cells in table[header_index + 1 :] if any(cells)]
    if not rows:
        builder.problem(None, None, "the sheet has a header row but no sample rows")
    for number, cells in rows:
        row = _parse_row(fmt, columns, number, cells, builder)
        if row is not None:
            builder.add(row)
    builder.finish()
    if builder.problems:
        builder.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise MappingError(builder.problems)
    return builder.message()
