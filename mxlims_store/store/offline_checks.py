"""Every check an import runs that needs no store: reading (``read_message``: shape, links,
uuids, versions) and the integrity rules (``integrity.check``: cycles, an object derived from
or started from itself, positions, capacities, barcodes within the shipment), run against an
empty store. ``validate`` uses it, so what it passes ``import`` does not refuse for the message
alone, in the same words."""

from __future__ import annotations

import asyncio
from typing import Any

from mxlims_store.errors import InvalidMessage
from mxlims_store.messages import ReadResult, read_message
from mxlims_store.store import integrity


class _NothingStored:
    """A store that holds nothing: the integrity rules see the message alone."""

    async def find(
        self, collection: str, filter: dict[str, Any], *, sort: Any = (), limit: int | None = None
    ) -> list[dict[str, Any]]:
        return []


def check_message(message: Any) -> tuple[ReadResult, list[str]]:
    """The message read, and its warnings (what an older version could not carry over, what the
    rules warn of); :class:`InvalidMessage` with every problem an import would name."""
    read = read_message(message)
    path_of = {uuid: path for path, uuid in read.keys.items()}
    written = [(obj, None) for obj in read.objects]
    problems, warnings = asyncio.run(
        integrity.check(_NothingStored(), written, path_of)  # type: ignore[arg-type]
    )
    if problems:
        raise InvalidMessage(problems)
    return read, read.not_carried + warnings
