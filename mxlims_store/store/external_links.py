"""An import's links to stored objects (its stubs, and links to them): checked against what
the caller may see, before anything is planned (importer.py)."""

from __future__ import annotations

from typing import Any

from mxlims_store.errors import Problem
from mxlims_store.messages import ReadResult
from mxlims_store.model.registry import BASE_TYPE
from mxlims_store.store.access import Caller
from mxlims_store.store.ownership import stored_owner


def external_link_problems(
    read: ReadResult,
    existing: dict[str, dict[str, Any]],
    caller: Caller,
    path_of: dict[str, str],
) -> list[Problem]:
    """Stubs name stored objects the caller may see; a link to one must allow its type.

    An object of another proposal counts as missing: its existence and type are not told.
    """
    problems: list[Problem] = []

    def visible(uuid: str) -> dict[str, Any] | None:
        target = existing.get(uuid)
        return target if target is not None and caller.may_read(stored_owner(target)) else None

    for uuid, core in read.stubs.items():
        target = visible(uuid)
        if target is None:
            problems.append(Problem(path_of[uuid], f"stub {uuid} names no object in the store"))
        elif BASE_TYPE.get(target["mxlimsType"]) != core:
            problems.append(
                Problem(
                    path_of[uuid],
                    f"stub {uuid} names a stored {target['mxlimsType']}, not a {core}",
                )
            )
    for link in read.external_links:
        target = visible(link.target_uuid)
        if target is not None and not link.rule.allows(target["mxlimsType"]):
            allowed = ", ".join(link.rule.targets)
            problems.append(
                Problem(link.path, f"links to a stored {target['mxlimsType']}; allowed: {allowed}")
            )
    return problems
