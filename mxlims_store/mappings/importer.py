"""Facility sheet -> MXLIMS message (``read_sheet``)."""

from __future__ import annotations

from pathlib import PurePath
from typing import Any

from ..errors import MappingError, SheetProblem
from . import open_terms
from .fields import FIELDS
from .identities import assign_stable_uuids
from .places import Entity, Places
from .rows import Row, layout, parse_row
from .site_registry import get_site
from .sites import SiteFormat
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


def ref(type_: str, key: str) -> dict[str, str]:
    return {"$ref": f"#/{type_}/{key}"}


class _Builder:
    def __init__(
        self, site: SiteFormat, proposal_code: str | None, shipment_name: str | None = None
    ) -> None:
        self.site = site
        self.shipment_name = shipment_name
        self.row_number = 0  # the row being read: where each object is first named
        self.first_rows: dict[str, int] = {}  # "Pin/Pin3" -> its first sheet row
        self.problems: list[SheetProblem] = []
        self.objects: dict[str, dict[str, dict[str, Any]]] = {}
        # what names each object within its shipment, for its stable uuid (see `_stable_uuids`)
        self.identities: dict[tuple[str, str], tuple[str, ...]] = {}
        self.proposal_code = proposal_code
        self.shipment: Entity | None = None
        self.dewars: dict[object, Entity] = {}
        self.pucks: dict[object, Entity] = {}
        self.macromolecules: dict[str, Entity] = {}
        self.multipins: dict[object, Entity] = {}
        self.places = Places(site, self.problem)
        self.puck_header = self._identity_header("Puck")

    # -- objects -----------------------------------------------------------------------------

    def new(self, type_: str, identity: tuple[str, ...]) -> tuple[str, dict[str, Any]]:
        bucket = self.objects.setdefault(type_, {})
        key = f"{type_}{len(bucket) + 1}"
        obj: dict[str, Any] = {"mxlimsType": type_}
        bucket[key] = obj
        self.first_rows[f"{type_}/{key}"] = self.row_number
        self.identities[(type_, key)] = (type_, *identity)
        return key, obj

    def problem(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.append(SheetProblem(row, column, message))

    def _identity_header(self, type_: str) -> str | None:
        for fld in ("barcode", "name"):
            cols = self.site.columns_for(type_, fld)
            if cols:
                return cols[0].header
        return None

    def _identity(self, row: Row, type_: str) -> str | None:
        """The value naming a dewar/puck/macromolecule on this row (barcode, name or acronym)."""
        order = ("acronym", "name") if type_ == "Macromolecule" else ("barcode", "name")
        for fld in order:
            if self.site.maps(type_, fld):
                value = row.get(type_, fld)
                if value is not None:
                    return str(value)
        return None

    def merge(self, ent: Entity, row: Row, values: dict[str, Any], ext: dict[str, Any]) -> None:
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
                if name.endswith(open_terms.AS_WRITTEN) and name in store:
                    continue  # another spelling of one value (the values agree): the first kept
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
        self,
        table: dict[Any, Entity],
        ident: Any,
        type_: str,
        label: str,
        identity: tuple[str, ...],
    ) -> tuple[Entity, bool]:
        if ident in table:
            return table[ident], False
        key, obj = self.new(type_, identity)
        ent = Entity(type_, key, obj, label, identity)
        table[ident] = ent
        return ent, True

    # -- rows --------------------------------------------------------------------------------

    def add(self, row: Row) -> None:
        site = self.site
        self.row_number = row.number
        # Shipment: one per sheet.
        if self.shipment is None:
            self.shipment_row = row.number
            key, obj = self.new("Shipment", ())
            self.shipment = Entity("Shipment", key, obj, "the shipment", ())
            if not site.maps("Shipment", "proposalCode"):
                # ShipmentData requires proposalCode; the sheet has none (caller may supply it).
                obj["proposalCode"] = self.proposal_code or ""
        self.merge(self.shipment, row, row.values.get("Shipment", {}), row.ext.get("Shipment", {}))
        given, written = self.proposal_code, self.shipment.data.get("proposalCode")
        if given and written and given != written and row.number == self.shipment_row:
            self.problem(
                row.number,
                row.header_of.get(("Shipment", "proposalCode")),
                f"the sheet is for proposal {written}, not {given} as asked",
            )

        dewar_id = self._identity(row, "Dewar")
        dewar, _ = self.entity(
            self.dewars,
            dewar_id,
            "Dewar",
            f"dewar {dewar_id}" if dewar_id else "the dewar",
            (dewar_id or "",),
        )
        self.merge(dewar, row, row.values.get("Dewar", {}), row.ext.get("Dewar", {}))
        dewar.data.setdefault("containerRef", ref("Shipment", self.shipment.key))

        puck_id = self._identity(row, "Puck")
        puck, new_puck = self.entity(
            self.pucks,
            (dewar.key, puck_id),
            "Puck",
            f"puck {puck_id}" if puck_id else f"the puck of {dewar.label}",
            # a barcode names a puck wherever it is (it may move to another dewar); a name
            # only within its dewar
            ("barcode", str(puck_barcode))
            if (puck_barcode := row.get("Puck", "barcode")) is not None
            else (*dewar.identity, puck_id or ""),
        )
        self.merge(puck, row, row.values.get("Puck", {}), row.ext.get("Puck", {}))
        if new_puck:
            puck.data["containerRef"] = ref("Dewar", dewar.key)
        slot = row.get("Puck", "positionInDewar")
        if new_puck and slot is not None:
            self.places.puck_in_dewar(row, dewar, puck, slot)

        ls_type, ls_key = self._pin(row, puck)
        # The row's sample, experiment, sweep and processing are named by the pin they are on.
        on_pin = self.identities[(ls_type, ls_key)]

        # Macromolecule (shared) and the row's MacromoleculeSample.
        macro_key: str | None = None
        mm_values = dict(row.values.get("Macromolecule", {}))
        mm_ext = row.ext.get("Macromolecule", {})
        if mm_values or mm_ext:
            if "acronym" not in mm_values and "name" in mm_values:
                mm_values["acronym"] = mm_values["name"]  # MacromoleculeData requires acronym
            mm_id = self._identity(row, "Macromolecule") or str(mm_values.get("acronym", ""))
            mm, _ = self.entity(
                self.macromolecules, mm_id, "Macromolecule", f"protein {mm_id}", (mm_id,)
            )
            self.merge(mm, row, mm_values, mm_ext)
            macro_key = mm.key
        s_key, sample = self.new("MacromoleculeSample", on_pin)
        sample.update(row.values.get("MacromoleculeSample", {}))
        self._ext(sample, row.ext.get("MacromoleculeSample"))
        if macro_key:
            sample["parentSampleRef"] = ref("Macromolecule", macro_key)
        self.objects[ls_type][ls_key]["sampleRef"] = ref("MacromoleculeSample", s_key)

        # Template experiment with its template sweep.
        _e_key, exp = self.new("MxExperiment", on_pin)
        exp["jobStatus"] = "Template"
        exp.update(row.values.get("MxExperiment", {}))
        self._ext(exp, row.ext.get("MxExperiment"))
        w_key, sweep = self.new("CollectionSweep", on_pin)
        sweep["scanAxis"] = "omega"  # required by CollectionSweepData; the schema default
        sweep.update(row.values.get("CollectionSweep", {}))
        self._ext(sweep, row.ext.get("CollectionSweep"))
        sweep["logisticalSampleRef"] = ref(ls_type, ls_key)
        exp["sampleRef"] = ref("MacromoleculeSample", s_key)
        exp["logisticalSampleRef"] = ref(ls_type, ls_key)
        exp["templateDataRefs"] = [ref("CollectionSweep", w_key)]

        if row.values.get("MxProcessing") or row.ext.get("MxProcessing"):
            _, proc = self.new("MxProcessing", on_pin)
            proc["jobStatus"] = "Template"
            proc.update(row.values.get("MxProcessing", {}))
            self._ext(proc, row.ext.get("MxProcessing"))
            proc["sampleRef"] = ref("MacromoleculeSample", s_key)
            proc["logisticalSampleRef"] = ref(ls_type, ls_key)

    def _ext(self, obj: dict[str, Any], ext: dict[str, Any] | None) -> None:
        if ext:
            obj.setdefault("extensions", {})[self.site.domain] = dict(ext)

    def _pin(self, row: Row, puck: Entity) -> tuple[str, str]:
        """Create the row's Pin (or PinPosition in a shared MultiPin); return its (type, key)."""
        pin_values = dict(row.values.get("Pin", {}))
        pin_ext = dict(row.ext.get("Pin", {}))
        if self.site.has_position_column:
            position = pin_values.pop("positionInPuck", None)
            pos_header = row.header_of.get(("Pin", "positionInPuck"))
        else:
            position = self.places.next_position(puck)
            pos_header = self.puck_header
        sub = row.get("PinPosition", "positionInPin")
        barcode = pin_values.get("barcode")

        if sub is not None:
            mp, new = self.entity(
                self.multipins,
                (puck.key, position if position is not None else barcode),
                "MultiPin",
                f"the multi-position pin at {puck.label} position {position}",
                (*puck.identity, str(position if position is not None else barcode)),
            )
            pp_key, pp = self.new("PinPosition", (*mp.identity, str(sub)))
            pp["positionInPin"] = sub
            mp_values = {k: v for k, v in pin_values.items() if k in FIELDS["MultiPin"]}
            for k, v in pin_values.items():
                if k not in mp_values:  # e.g. loopType: a MultiPin has no such field
                    header = row.header_of[("Pin", k)]
                    col = self.site.column(header)  # an extension holds the facility's spelling
                    written = pin_ext.pop(open_terms.as_written_key(header), None)
                    pin_ext[header] = written or (open_terms.spelled(col, v) if col else v)
            if new:
                mp.data["numberPositions"] = self.site.capacities.multipin
                if position is not None:
                    mp.data["positionInPuck"] = position
                self.places.occupy(row, puck, position, pos_header)
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
            self.places.take(
                ("sub-position", mp.key, sub),
                f"row {row.number}",
                row,
                sub_header,
                lambda first, _: f"sub-position {sub} of {mp.label} is already used on row {first}",
            )
            self.places.barcode(row, barcode, mp.key)
            return "PinPosition", pp_key

        if barcode is not None:  # a pin keeps its uuid when it moves to another place
            identity: tuple[str, ...] = ("barcode", str(barcode))
        elif position is not None:
            identity = (*puck.identity, str(position))
        else:
            identity = (*puck.identity, f"row {row.number}")
        pin_key, pin = self.new("Pin", identity)
        pin.update(pin_values)
        if position is not None:
            pin["positionInPuck"] = position
        self._ext(pin, pin_ext)
        pin["containerRef"] = ref("Puck", puck.key)
        self.places.occupy(row, puck, position, pos_header)
        self.places.barcode(row, barcode, pin_key)
        return "Pin", pin_key

    def name_shipment(self, filename: str | None) -> None:
        """A shipment the sheet does not name is named after its first dewar (else the file), so
        that it is recognisable in a list and found again when the sheet is uploaded again."""
        if self.shipment is None or self.shipment.data.get("name"):
            return
        if self.shipment_name:
            self.shipment.data["name"] = self.shipment_name
            return
        first_dewar = next(iter(self.dewars), None)
        if first_dewar:
            self.shipment.data["name"] = str(first_dewar)
        elif filename:
            self.shipment.data["name"] = PurePath(filename).name

    def stable_uuids(self) -> None:
        shipment = self.shipment.data if self.shipment else {}
        assign_stable_uuids(self.objects, self.identities, self.site.code, shipment)

    def message(self) -> dict[str, Any]:
        out: dict[str, Any] = {"version": MXLIMS_VERSION}
        for type_ in TYPE_ORDER:
            if self.objects.get(type_):
                out[type_] = self.objects[type_]
        return out


def _show(value: Any) -> str:
    return repr(value) if isinstance(value, str) else str(value)


def read_sheet(
    site: str | SiteFormat,
    data: bytes,
    *,
    filename: str | None = None,
    proposal_code: str | None = None,
    encoding: str | None = None,
    warnings: list[SheetProblem] | None = None,
    shipment_name: str | None = None,
    rows: dict[str, int] | None = None,
) -> dict[str, Any]:
    """Convert a facility shipment sheet (CSV, TSV or XLSX bytes) to an MXLIMS message dict.

    ``site`` is a facility code (case-insensitive; see :func:`list_sites`). ``proposal_code``
    fills ``Shipment.proposalCode`` (required by MXLIMS) for sheets without a proposal column
    (a sheet naming another proposal is refused). ``shipment_name`` names a shipment the sheet
    does not name (else: its first dewar). ``rows``, if given, receives the first sheet row of
    each object (``"Pin/Pin3" -> 5``).
    Every problem in the sheet is collected and raised together as :class:`MappingError`;
    nothing is returned when any row is bad. Text sheets are UTF-8 unless ``encoding`` says
    otherwise. Uuids are stable: the same shipment read again gets the same ones. ``warnings``,
    if given, receives the cells kept as written rather than mapped (a loop type the facility
    file does not list).
    """
    fmt = get_site(site)
    table = read_table(data, filename, encoding)
    problems: list[SheetProblem] = []
    found = layout(fmt, table, problems)
    if found is None:
        raise MappingError(problems)
    header_index, columns = found
    builder = _Builder(fmt, proposal_code, shipment_name)
    builder.problems = problems
    noted = warnings if warnings is not None else []

    def warn(row: int | None, column: str | None, message: str) -> None:
        noted.append(SheetProblem(row, column, message))

    sample_rows = [(n, cells) for n, cells in table[header_index + 1 :] if any(cells)]
    if not sample_rows:
        builder.problem(None, None, "the sheet has a header row but no sample rows")
    for number, cells in sample_rows:
        row = parse_row(fmt, columns, number, cells, builder.problem, warn)
        if row is not None:
            builder.add(row)
    builder.places.check_capacities()
    if builder.problems:
        builder.problems.sort(key=lambda p: (p.row or 0, p.column or ""))
        raise MappingError(builder.problems)
    builder.name_shipment(filename)
    builder.stable_uuids()
    if rows is not None:
        rows.update(builder.first_rows)
    return builder.message()
