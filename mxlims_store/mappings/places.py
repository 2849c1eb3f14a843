"""Where the objects of a sheet sit, and the places only one may take.

A dewar slot, a puck position, a pin's sub-position and a pin barcode each belong to the first
row that takes it; another row taking it is a problem at its row and column, worded to say
which row had it first. Positions beyond a puck's capacity are checked once every row has been
read (a later row may give the puck's type).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from .rows import Row
from .sites import SiteFormat


@dataclass
class Entity:
    """A de-duplicated object (shipment, dewar, puck, macromolecule, multi-pin)."""

    type: str
    key: str
    data: dict[str, Any]
    label: str
    identity: tuple[str, ...]
    first_row: dict[str, int] = field(default_factory=dict)


class Places:
    def __init__(self, site: SiteFormat, problem: Callable[[int | None, str | None, str], None]):
        self.site = site
        self.problem = problem
        # places only one holder may take: dewar slots, puck positions, pin sub-positions,
        # barcodes; each with the (row, holder) that took it first
        self.taken: dict[tuple[Any, ...], tuple[int, str]] = {}
        self.pins_in_puck: dict[str, int] = {}
        self.placements: list[tuple[int, str, Entity, int]] = []

    def next_position(self, puck: Entity) -> int:
        """The position the next row of ``puck`` takes where rows fill positions in order."""
        return self.pins_in_puck.get(puck.key, 0) + 1

    def puck_in_dewar(self, row: Row, dewar: Entity, puck: Entity, slot: int) -> None:
        header = row.header_of.get(("Puck", "positionInDewar"))
        cap = self.site.capacities.dewar
        if cap is not None and slot > cap:
            self.problem(row.number, header, f"position {slot} is beyond the {cap} of a dewar")
        self.take(
            ("dewar", dewar.key, slot),
            puck.label,
            row,
            header,
            lambda first, holder: (
                f"{dewar.label} position {slot} already holds {holder} (row {first})"
            ),
        )

    def occupy(self, row: Row, puck: Entity, position: int | None, header: str | None) -> None:
        if position is None:
            return
        self.pins_in_puck[puck.key] = self.pins_in_puck.get(puck.key, 0) + 1
        self.take(
            ("position", puck.key, position),
            f"row {row.number}",
            row,
            header,
            lambda first, _: (
                f"position {position} of {puck.label} already holds the pin on row {first}"
            ),
        )
        self.placements.append((row.number, header or "", puck, position))

    def barcode(self, row: Row, barcode: Any, owner: str) -> None:
        if barcode is None:
            return
        self.take(
            ("barcode", str(barcode)),
            owner,  # the rows of one multi-position pin share its barcode
            row,
            row.header_of.get(("Pin", "barcode")),
            lambda first, _: f"pin barcode {barcode} is also on row {first}",
        )

    def take(
        self,
        place: tuple[Any, ...],
        holder: str,
        row: Row,
        header: str | None,
        clash: Callable[[int, str], str],
    ) -> None:
        """``holder`` takes ``place`` on ``row``. A place that another holder took first is a
        problem at ``header``, worded by ``clash`` from that first (row, holder)."""
        first_row, first_holder = self.taken.setdefault(place, (row.number, holder))
        if first_holder != holder:
            self.problem(row.number, header, clash(first_row, first_holder))

    def check_capacities(self) -> None:
        """Every pin within its puck's positions (known once every row gave the puck's type)."""
        caps = self.site.capacities
        unknown: set[str] = set()
        for number, header, puck, position in self.placements:
            cap = caps.for_puck(puck.data.get("puckType"), puck.data.get("numberPositions"))
            if cap is None:
                if puck.key not in unknown:  # said once, on the puck's first row
                    unknown.add(puck.key)
                    given = self.site.columns_for("Puck", "numberPositions")
                    hint = f" in the {given[0].header!r} column" if given else ""
                    self.problem(
                        number,
                        header or None,
                        f"{puck.label} is of puck type {puck.data.get('puckType')!r}, whose "
                        f"number of positions {self.site.name} does not know: give it{hint}",
                    )
                continue
            if position > cap:
                if self.site.has_position_column:
                    msg = f"position {position} is beyond the {cap} positions of {puck.label}"
                else:
                    msg = (
                        f"{puck.label} has more than its {cap} positions (this is pin {position};"
                        " the sheet has no position column, so rows fill positions in order)"
                    )
                self.problem(number, header or None, msg)
