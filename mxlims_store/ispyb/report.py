"""What a push or a pull did: rows created, updated and found again per ISPyB table, and every
loss (a field ISPyB cannot hold, a term outside its vocabulary, a shell between inner and
outer) in words. A refused push raises :class:`IspybRefused` naming object, table and column."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from mxlims_store.errors import Conflict, Problem


class IspybRefused(Conflict):
    """ISPyB cannot take the shipment as it is; each problem names the object, the ISPyB table
    and column and why. Nothing was written."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__(
            f"ISPyB push refused, nothing written: {problems[0]}"
            + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""),
            [Problem("ispyb", text) for text in problems],
        )
        self.lines = problems


def named(obj: dict[str, Any]) -> str:
    """An object as a person recognises it: type, name or barcode, uuid."""
    label = obj.get("barcode") or obj.get("name") or obj.get("acronym")
    return (
        f"{obj['mxlimsType']} {label!r} ({obj['uuid']})"
        if label
        else (f"{obj['mxlimsType']} {obj['uuid']}")
    )


@dataclass
class PushReport:
    shipment: str
    database: str
    proposal: str
    session: int | None
    dry_run: bool = False
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    repaired: Counter[str] = field(default_factory=Counter)  # found again after an interruption
    retired_barcodes: list[str] = field(default_factory=list)
    retire: list[tuple[str, int]] = field(default_factory=list)  # (table, id) to clear
    losses: list[str] = field(default_factory=list)
    shipping_id: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "shipment": self.shipment,
            "database": self.database,
            "proposal": self.proposal,
            "session": self.session,
            "shippingId": self.shipping_id,
            "dryRun": self.dry_run,
            "created": dict(sorted(self.created.items())),
            "updated": dict(sorted(self.updated.items())),
            "repaired": dict(sorted(self.repaired.items())),
            "retiredBarcodes": self.retired_barcodes,
            "losses": self.losses,
        }
