"""Level-by-level walks along links, up (follow foreign keys) or down (reverse links).

Each level costs one ``$in`` query per collection it can reach, so round trips grow with the
depth of the walk, never with the number of objects (DESIGN.md: no ``$graphLookup``, no query
per object). The same walk serves provenance, links and export.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, Literal

from mxlims_store.model.links import LINK_RULES, link_targets, ref_key_for, rule_for
from mxlims_store.store.access import Caller, readable
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import collection_of
from mxlims_store.store.reads import fetch

Direction = Literal["up", "down"]
MAX_DEPTH = 64  # deeper than any real containment or processing chain


@dataclass(frozen=True)
class Step:
    """How a walk reached an object: from ``source`` over ``link`` (a ref key or a reverse name)."""

    uuid: str
    mxlims_type: str
    depth: int
    link: str | None
    source: str | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "uuid": self.uuid,
            "mxlimsType": self.mxlims_type,
            "depth": self.depth,
            "link": self.link,
            "from": self.source,
        }


async def walk(
    db: Backend,
    caller: Caller,
    roots: Iterable[dict[str, Any]],
    direction: Direction,
    depth: int | None = None,
    seen: dict[str, dict[str, Any]] | None = None,
    *,
    unbounded: bool = False,
) -> tuple[list[Step], dict[str, dict[str, Any]]]:
    """Steps in breadth-first order (roots at depth 0) and every document reached, by uuid.

    ``seen`` (documents already collected) are neither fetched nor walked through again.
    """
    documents = dict(seen or {})
    frontier = [d for d in roots if d["_id"] not in documents]
    steps = [Step(d["_id"], d["mxlimsType"], 0, None, None) for d in frontier]
    documents.update((d["_id"], d) for d in frontier)
    # MAX_DEPTH bounds what a reader asks for; a cascade (``unbounded``) must reach the bottom
    limit = MAX_DEPTH if depth is None else depth if unbounded else min(depth, MAX_DEPTH)
    level = 0
    while frontier and level < limit:
        level += 1
        step = _level_up if direction == "up" else _level_down
        found = await step(db, caller, frontier, documents)
        frontier = []
        for document, link, source in found:
            documents[document["_id"]] = document
            steps.append(Step(document["_id"], document["mxlimsType"], level, link, source))
            frontier.append(document)
    return steps, documents


async def _level_up(
    db: Backend, caller: Caller, frontier: list[dict[str, Any]], known: dict[str, dict[str, Any]]
) -> list[tuple[dict[str, Any], str, str]]:
    wanted: dict[str, set[str]] = {}
    edges: dict[str, tuple[str, str]] = {}  # target -> (ref key, source)
    for document in frontier:
        for field, target in link_targets(document):
            rule = rule_for(document["mxlimsType"], field)
            if rule is None or target in known or target in edges:
                continue
            edges[target] = (ref_key_for(field), document["_id"])
            for collection in {collection_of(t) for t in rule.targets}:
                wanted.setdefault(collection, set()).add(target)
    found = await fetch(db, caller, wanted)
    return [(found[t], link, source) for t, (link, source) in edges.items() if t in found]


async def _level_down(
    db: Backend, caller: Caller, frontier: list[dict[str, Any]], known: dict[str, dict[str, Any]]
) -> list[tuple[dict[str, Any], str, str]]:
    by_type: dict[str, list[str]] = {}
    for document in frontier:
        by_type.setdefault(document["mxlimsType"], []).append(document["_id"])
    # Per source collection: the foreign keys that may point at the frontier's types.
    clauses: dict[str, dict[str, set[str]]] = {}
    for rule in LINK_RULES:
        targets = [u for t in rule.targets for u in by_type.get(t, ())]
        if targets:
            fields = clauses.setdefault(collection_of(rule.source), {})
            fields.setdefault(rule.field, set()).update(targets)
    frontier_ids = {d["_id"] for d in frontier}
    found: list[tuple[dict[str, Any], str, str]] = []
    for collection, fields in clauses.items():
        query = {"$or": [{f: {"$in": sorted(ids)}} for f, ids in fields.items()]}
        for document in await db.find(collection, readable(caller, query)):
            if document["_id"] in known:
                continue
            edge = _edge_into(document, frontier_ids)
            if edge is not None:
                found.append((document, *edge))
    return found


def _edge_into(document: dict[str, Any], targets: set[str]) -> tuple[str, str] | None:
    """(reverse link name, target) of the first foreign key of ``document`` into ``targets``."""
    for field, target in link_targets(document):
        rule = rule_for(document["mxlimsType"], field)
        if rule is not None and target in targets:
            return rule.reverse, target
    return None
