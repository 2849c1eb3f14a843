"""Growing the store from whole beamtimes: a shipment, then its results return, repeated."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from bench import generate
from bench.measure import open_as_admin, settings_for
from bench.timing import log
from mxlims_store.store.existence import WHERE_NONE_WAS


@dataclass
class Manifest:
    """What the store holds, as far as the benchmark put it there: where samples come from."""

    uuids: list[str] = field(default_factory=list)
    barcodes: list[str] = field(default_factory=list)
    reflection_sets: list[str] = field(default_factory=list)
    shipments_with_results: list[str] = field(default_factory=list)

    def add_shipment(self, shipment: generate.Shipment) -> None:
        self.uuids += shipment.uuids
        self.barcodes += shipment.barcodes

    def add_results(self, results: generate.Results) -> None:
        self.uuids += results.new_uuids
        self.reflection_sets += results.reflection_sets
        self.shipments_with_results.append(results.shipment.uuid)


class Builder:
    def __init__(self, data_dir: Path, pins: int) -> None:
        self.data_dir, self.pins = data_dir, pins
        self.manifest = Manifest()
        self._next_index = 0

    def next_index(self) -> int:
        """A shipment index never used before: its uuids and barcodes are new to the store."""
        self._next_index += 1
        return self._next_index

    def new_shipment(self, pins: int | None = None) -> generate.Shipment:
        return generate.shipment(self.next_index(), pins or self.pins)

    async def count(self) -> int:
        async with open_as_admin(settings_for(self.data_dir), creation=WHERE_NONE_WAS) as store:
            return sum((await store.stats()).values())

    async def one_shipment(self) -> int:
        """The smallest store: one shipment, no results yet."""
        async with open_as_admin(settings_for(self.data_dir), creation=WHERE_NONE_WAS) as store:
            shipment = self.new_shipment()
            await store.import_message(shipment.message)
            self.manifest.add_shipment(shipment)
            return sum((await store.stats()).values())

    async def grow(self, target: int) -> int:
        """Beamtimes (shipment + results return) until the store holds about ``target`` objects.

        A beamtime adds ~13,000 objects; the last shipment gets its results only when that
        lands nearer the target (a shipment still awaiting its beamtime is normal in a LIMS).
        """
        async with open_as_admin(settings_for(self.data_dir), creation=WHERE_NONE_WAS) as store:
            count = sum((await store.stats()).values())
            while count < target:
                shipment = self.new_shipment()
                report = await store.import_message(shipment.message)
                self.manifest.add_shipment(shipment)
                count += sum(report.created.values())
                results = generate.results(shipment)
                if abs(count + len(results.new_uuids) - target) < abs(count - target):
                    returned = await store.import_message(results.message, policy="update_old")
                    self.manifest.add_results(results)
                    count += sum(returned.created.values())
                log(f"building: {count:,} / {target:,} objects")
            return sum((await store.stats()).values())
