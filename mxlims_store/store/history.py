"""The history collection: one entry per change of an object, never embedded in the object.

An entry's ``_id`` is ``<uuid>@<revision>``, so writing the same change twice (an import re-run
after a crash) leaves one entry, not two.
"""

from __future__ import annotations

import uuid as uuidlib
from typing import Any, Literal

from mxlims_store.store.documents import META, from_document

Operation = Literal["create", "update", "delete"]


def entry(
    uuid: str,
    revision: int,
    operation: Operation,
    actor: str,
    time: str,
    before: dict[str, Any] | None,
    after: dict[str, Any] | None,
    *,
    proposal: str | None,
    import_id: str | None = None,
) -> dict[str, Any]:
    """One change; ``_meta.proposal`` scopes who may read it, as on the objects themselves.

    An import's entries are keyed by the import, so that its re-run writes the same entries
    again; other changes get a key of their own (a uuid deleted and created anew starts again
    at revision 1, so the revision alone cannot be the key).
    """
    return {
        "_id": f"{uuid}@{revision}@{import_id or uuidlib.uuid4().hex}",
        "uuid": uuid,
        "revision": revision,
        "operation": operation,
        "actor": actor,
        "time": time,
        "importId": import_id,
        "changes": changes(before, after),
        META: {"proposal": proposal},
    }


def changes(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, Any]:
    """Per changed field ``{"before": ..., "after": ...}`` (absent values left out).

    Takes document forms (domain dicts as lists), so that no stored key contains a dot.
    """
    if before is None:  # a creation: every field is new (the common case of a big import)
        return {
            name: {"after": value} for name, value in (after or {}).items() if value is not None
        }
    before, after = before or {}, after or {}
    delta: dict[str, Any] = {}
    for name in dict.fromkeys([*before, *after]):
        old, new = before.get(name), after.get(name)
        if old != new:
            delta[name] = {k: v for k, v in (("before", old), ("after", new)) if v is not None}
    return delta


def public(entry: dict[str, Any]) -> dict[str, Any]:
    """A history entry as shown to users: JSON-friendly, no internal id."""
    shown = {k: v for k, v in entry.items() if k not in ("_id", META) and v is not None}
    shown["changes"] = {
        name: {side: _standard(name, value) for side, value in change.items()}
        for name, change in entry.get("changes", {}).items()
    }
    return shown


def _standard(name: str, value: Any) -> Any:
    """extensions/identifiers/urls back in the standard's dict form."""
    return from_document({name: value}).get(name, value)
