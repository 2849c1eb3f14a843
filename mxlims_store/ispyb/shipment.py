"""A stored shipment as the push sees it: every object by uuid, links as uuids, in the order
ISPyB needs them (shipment, dewars, pucks, pins; their samples, macromolecules, experiments;
with ``--results`` what came back for them)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from mxlims_store.errors import InvalidMessage, Problem

_LINK_SUFFIXES = ("Ref", "Refs")


def by_uuid(message: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The message's objects by uuid, each ``xxxRef`` holding its target's uuid (a list for
    ``xxxRefs``)."""
    keys = {
        f"#/{type_name}/{key}": obj["uuid"]
        for type_name, objects in message.items()
        if isinstance(objects, dict)
        for key, obj in objects.items()
    }
    found: dict[str, dict[str, Any]] = {}
    for objects in message.values():
        if not isinstance(objects, dict):
            continue
        for obj in objects.values():
            plain = dict(obj)
            for name, value in obj.items():
                if name.endswith("Refs") and isinstance(value, list):
                    plain[name] = [keys[v["$ref"]] for v in value if v.get("$ref") in keys]
                elif name.endswith("Ref") and isinstance(value, dict):
                    plain[name] = keys.get(value.get("$ref", ""))
            found[obj["uuid"]] = plain
    return found


def is_link(name: str) -> bool:
    return name.endswith(_LINK_SUFFIXES)


@dataclass
class ShipmentObjects:
    shipment: dict[str, Any]
    dewars: list[dict[str, Any]] = field(default_factory=list)
    pucks: list[dict[str, Any]] = field(default_factory=list)
    pins: list[dict[str, Any]] = field(default_factory=list)
    samples: list[dict[str, Any]] = field(default_factory=list)
    macromolecules: list[dict[str, Any]] = field(default_factory=list)
    experiments: list[dict[str, Any]] = field(default_factory=list)
    unsupported: list[dict[str, Any]] = field(default_factory=list)  # plates, multi-pins ...
    everything: dict[str, dict[str, Any]] = field(default_factory=dict)

    def pin_of(self, uuid: str | None) -> dict[str, Any] | None:
        """The pin an experiment or a result is about: the pin itself, or the pin holding the
        Crystal (a BLSubSample) it names."""
        obj = self.everything.get(uuid or "")
        if obj is None:
            return None
        if obj["mxlimsType"] == "Crystal":
            obj = self.everything.get(obj.get("containerRef") or "")
        return obj if obj is not None and obj["mxlimsType"] == "Pin" else None


def _ordered(objects: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    return sorted(objects, key=lambda o: (o.get(key) is None, o.get(key) or 0, o["uuid"]))


def shipment_objects(message: dict[str, Any], shipment_uuid: str) -> ShipmentObjects:
    everything = by_uuid(message)
    shipment = everything.get(shipment_uuid)
    if shipment is None or shipment["mxlimsType"] != "Shipment":
        raise InvalidMessage([Problem("uuid", f"{shipment_uuid} is not a stored Shipment")])
    found = ShipmentObjects(shipment=shipment, everything=everything)
    children: dict[str, list[dict[str, Any]]] = {}
    for obj in everything.values():
        children.setdefault(obj.get("containerRef") or "", []).append(obj)
    for dewar in children.get(shipment_uuid, []):
        (found.dewars if dewar["mxlimsType"] == "Dewar" else found.unsupported).append(dewar)
    found.dewars = sorted(found.dewars, key=lambda d: (d.get("name") or "", d["uuid"]))
    for dewar in found.dewars:
        for puck in children.get(dewar["uuid"], []):
            (found.pucks if puck["mxlimsType"] == "Puck" else found.unsupported).append(puck)
    found.pucks = sorted(
        found.pucks, key=lambda p: (p["containerRef"], p.get("positionInDewar") or 0, p["uuid"])
    )
    for puck in found.pucks:
        for pin in _ordered(children.get(puck["uuid"], []), "positionInPuck"):
            (found.pins if pin["mxlimsType"] == "Pin" else found.unsupported).append(pin)
    seen: set[str] = set()
    for pin in found.pins:
        sample = everything.get(pin.get("sampleRef") or "")
        if sample and sample["uuid"] not in seen:
            seen.add(sample["uuid"])
            found.samples.append(sample)
    for sample in found.samples:
        parent = everything.get(sample.get("parentSampleRef") or "")
        if parent and parent["mxlimsType"] == "Macromolecule" and parent["uuid"] not in seen:
            seen.add(parent["uuid"])
            found.macromolecules.append(parent)
    pins = {p["uuid"] for p in found.pins}
    found.experiments = sorted(
        (
            o
            for o in everything.values()
            if o["mxlimsType"] == "MxExperiment"
            and (found.pin_of(o.get("logisticalSampleRef")) or {}).get("uuid") in pins
        ),
        key=lambda o: o["uuid"],
    )
    return found
