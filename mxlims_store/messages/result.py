"""What reading a message gives: store-form objects, the uuid of every local key, the links to
objects outside the message. Shared by the thorough reader and the clean path."""

from __future__ import annotations

import uuid as uuidlib
from dataclasses import dataclass, field
from typing import Any

from mxlims_store.model.links import LinkRule

# A uuid-only entry under a core key ("Job", "Dataset", ...) links to an object outside the message.
STUB_KEYS = frozenset({"mxlimsBaseType", "mxlimsType", "uuid"})


@dataclass(frozen=True)
class ExternalLink:
    """A link from a message object to a stub: the target must be found in the store."""

    path: str
    rule: LinkRule
    target_uuid: str


@dataclass
class ReadResult:
    version: str
    objects: list[dict[str, Any]] = field(default_factory=list)
    keys: dict[str, str] = field(default_factory=dict)  # "Pin/Pin1" -> uuid
    external_links: list[ExternalLink] = field(default_factory=list)
    stubs: dict[str, str] = field(default_factory=dict)  # uuid -> core type
    # entries refused while indexing (a bad uuid ...): links to them are not reported again
    refused: set[tuple[str, str]] = field(default_factory=set)
    # what an older version's message holds that the current model cannot ("path: what")
    not_carried: list[str] = field(default_factory=list)


def new_uuid(seed: str | None, path: str) -> str:
    """A uuid for an object the message left without one.

    With a seed (the store passes the message's content hash) the uuid is derived from it and
    the object's path, so re-reading the same message gives the same uuids and a re-run import
    completes the first instead of duplicating it.
    """
    if seed is None:
        return str(uuidlib.uuid4())
    return str(uuidlib.uuid5(uuidlib.NAMESPACE_URL, f"mxlims-store:{seed}:{path}"))
