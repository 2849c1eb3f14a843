"""Level-by-level walks along links, up (follow foreign keys) or down (reverse links).

Each level costs one ``$in`` query per collection it can reach, so round trips grow with the
depth of the walk, never with the number of objects (DESIGN.md: no ``$graphLookup``, no query
per object). The same walk serves provenance, links and export.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
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


@dataclass(frozen=True)
class Cut:
    """A link a walk did not follow because it stopped at :data:`MAX_DEPTH`: from ``source``,
    which it reached, over ``link`` (a ref key up, a reverse name down) to ``target``, which it
    left out (the object to walk on from)."""

    source: str
    link: str
    target: str
    target_type: str


@dataclass(frozen=True)
class Walked:
    """What a walk reached: its steps in breadth-first order (roots at depth 0), every document
    by uuid, and the links it did not follow because it stopped at :data:`MAX_DEPTH` (``cut``;
    empty when it reached the end, or stopped at a depth the caller asked for)."""

    steps: list[Step]
    documents: dict[str, dict[str, Any]]
    cut: list[Cut]


def cut_summary(cut: Sequence[Cut]) -> str:
    """One line for people: that the depth limit stopped a walk, and where to walk on from."""
    targets = list(dict.fromkeys(c.target for c in cut))
    shown = ", ".join(targets[:3]) + (f" and {len(targets) - 3} more" if len(targets) > 3 else "")
    return (
        f"stopped at the depth limit of {MAX_DEPTH} levels: {len(cut)} link(s) not followed, "
        f"{len(targets)} object(s) left out; walk on from {shown}"
    )


async def walk(
    db: Backend,
    caller: Caller,
    roots: Iterable[dict[str, Any]],
    direction: Direction,
    depth: int | None = None,
    *,
    unbounded: bool = False,
) -> Walked:
    """Walk from ``roots`` along ``direction`` for ``depth`` levels (all, up to MAX_DEPTH)."""
    documents = {d["_id"]: d for d in roots}
    frontier = list(documents.values())
    steps = [Step(d["_id"], d["mxlimsType"], 0, None, None) for d in frontier]
    # MAX_DEPTH bounds what a reader asks for; a cascade (``unbounded``) must reach the bottom
    capped = depth is None or (depth > MAX_DEPTH and not unbounded)
    limit = MAX_DEPTH if depth is None or capped else depth
    step = _level_up if direction == "up" else _level_down
    level = 0
    while frontier and level < limit:
        level += 1
        found = await step(db, caller, frontier, documents)
        frontier = []
        for document, link, source in found:
            documents[document["_id"]] = document
            steps.append(Step(document["_id"], document["mxlimsType"], level, link, source))
            frontier.append(document)
    cut = await _beyond(db, caller, frontier, documents, direction) if capped else []
    return Walked(steps, documents, cut)


async def _beyond(
    db: Backend,
    caller: Caller,
    frontier: list[dict[str, Any]],
    known: dict[str, dict[str, Any]],
    direction: Direction,
) -> list[Cut]:
    """Every link from the last level to an object one level further: what stopping at the
    depth limit left out (one more level of queries, only when the limit was reached)."""
    if not frontier:
        return []
    step = _level_up if direction == "up" else _level_down
    beyond = {d["_id"]: d for d, _, _ in await step(db, caller, frontier, known)}
    if direction == "up":
        edges = [
            (document["_id"], ref_key_for(field), target)
            for document in frontier
            for field, target in link_targets(document)
            if target in beyond and rule_for(document["mxlimsType"], field) is not None
        ]
    else:
        reached = {d["_id"] for d in frontier}
        edges = [
            (target, rule.reverse, document["_id"])
            for document in beyond.values()
            for field, target in link_targets(document)
            if target in reached and (rule := rule_for(document["mxlimsType"], field)) is not None
        ]
    return [Cut(s, link, t, beyond[t]["mxlimsType"]) for s, link, t in dict.fromkeys(edges)]


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
