"""Level-by-level walks along links, up (follow foreign keys) or down (reverse links).

Each level costs one ``$in`` query per collection it can reach, so round trips grow with the
depth of the walk, never with the number of objects (DESIGN.md: no ``$graphLookup``, no query
per object). The same walk serves provenance, links and export. A walk is a plan
(:mod:`mxlims_store.store.reads`): written once, it runs on any backend, and on the embedded
engine in one trip to a worker thread.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, Literal, NamedTuple, cast

from mxlims_store.model.links import FOREIGN_KEY_FIELDS, LINK_RULES, LinkRule, ref_key_for
from mxlims_store.store.access import Caller
from mxlims_store.store.backends import Backend
from mxlims_store.store.collections import collection_of
from mxlims_store.store.reads import ByUuid, Plan, Request, run_plan

Direction = Literal["up", "down"]
MAX_DEPTH = 64  # deeper than any real containment or processing chain
Document = dict[str, Any]


class Step(NamedTuple):
    """How a walk reached an object: from ``source`` over ``link`` (a ref key or a reverse name).
    (A tuple: a walk makes one per object, thousands for an export.)"""

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
    """What a walk reached: its steps in breadth-first order (roots at depth 0; none for a
    bare walk), every document by uuid, and the links it did not follow because it stopped
    at :data:`MAX_DEPTH` (``cut``; empty when it reached the end, or stopped at a depth the
    caller asked for)."""

    steps: list[Step]
    documents: dict[str, Document]
    cut: list[Cut]


def cut_summary(cut: Sequence[Cut]) -> str:
    """One line for people: that the depth limit stopped a walk, and where to walk on from."""
    targets = list(dict.fromkeys(c.target for c in cut))
    shown = ", ".join(targets[:3]) + (f" and {len(targets) - 3} more" if len(targets) > 3 else "")
    return (
        f"stopped at the depth limit of {MAX_DEPTH} levels: {len(cut)} link(s) not followed, "
        f"{len(targets)} object(s) left out; walk on from {shown}"
    )


# The link table by source type, in the order of FOREIGN_KEY_FIELDS (the order the links of
# one object are followed in): (field, ref key, rule, collections its targets live in). Looked
# up once per object instead of once per field, the walks' hot loop over thousands of objects.
_LinkOf = tuple[str, str, LinkRule, tuple[str, ...]]
_LINKS_OF: dict[str, tuple[_LinkOf, ...]] = {}
for _field in FOREIGN_KEY_FIELDS:
    for _rule in LINK_RULES:
        if _rule.field == _field:
            _LINKS_OF[_rule.source] = (
                *_LINKS_OF.get(_rule.source, ()),
                (
                    _field,
                    ref_key_for(_field),
                    _rule,
                    tuple(dict.fromkeys(collection_of(t) for t in _rule.targets)),
                ),
            )


# The same, each as what a walk's hot loop reads of it: up, (field, ref key, collections of its
# targets); down, (field, reverse name)
_UP_OF = {t: tuple((f, key, cs) for f, key, _, cs in links) for t, links in _LINKS_OF.items()}
_DOWN_OF = {t: tuple((f, r.reverse) for f, _, r, _ in links) for t, links in _LINKS_OF.items()}
# the foreign keys each source type has rules for
_RULE_FIELDS = {t: frozenset(f for f, _ in links) for t, links in _DOWN_OF.items()}


def _links(document: Document) -> Iterator[tuple[_LinkOf, str]]:
    """Every foreign key set on ``document`` that its type has a rule for, with its target."""
    for link in _LINKS_OF.get(document["mxlimsType"], ()):
        value = document.get(link[0])
        if isinstance(value, str):
            yield link, value
        elif isinstance(value, list):
            for item in value:
                if isinstance(item, str):
                    yield link, item


async def walk(
    db: Backend,
    caller: Caller,
    roots: Iterable[Document],
    direction: Direction,
    depth: int | None = None,
    *,
    unbounded: bool = False,
) -> Walked:
    """Walk from ``roots`` along ``direction`` for ``depth`` levels (all, up to MAX_DEPTH)."""
    return await run_plan(db, caller, walking(roots, direction, depth, unbounded=unbounded))


def walking(
    roots: Iterable[Document],
    direction: Direction,
    depth: int | None = None,
    *,
    unbounded: bool = False,
    bare: bool = False,
) -> Plan[Walked]:
    """The walk of :func:`walk` as a plan (to run after other reads, in the same trip).
    ``bare``: for a message, which needs neither the documents' bookkeeping (they may come
    without it) nor how the walk reached each (no steps: a results file reaches ~13,000)."""
    documents = {d["_id"]: d for d in roots}
    frontier = list(documents.values())
    steps = [] if bare else [Step(d["_id"], d["mxlimsType"], 0, None, None) for d in frontier]
    # MAX_DEPTH bounds what a reader asks for; a cascade (``unbounded``) must reach the bottom
    capped = depth is None or (depth > MAX_DEPTH and not unbounded)
    limit = MAX_DEPTH if depth is None or capped else depth
    level = 0
    while frontier and level < limit and direction == "up":  # (its own loop: a provenance up)
        level += 1
        wanted, edges = _up_targets(frontier, documents)
        found = cast("dict[str, Document]", (yield ByUuid(wanted, bare))) if wanted else {}
        frontier = []
        for target, (link, source) in edges.items():  # as _level_up, inlined: ~6 levels a walk
            document = found.get(target)
            if document is not None:
                frontier.append(document)
                documents[target] = document
                if not bare:
                    steps.append(Step(target, document["mxlimsType"], level, link, source))
    while frontier and level < limit and direction == "down":
        level += 1
        reached = yield from _level_down(frontier, documents, bare)
        frontier = [document for document, _, _ in reached]
        documents.update({document["_id"]: document for document in frontier})
        if not bare:
            steps += [Step(d["_id"], d["mxlimsType"], level, link, s) for d, link, s in reached]
    cut = (yield from _beyond(frontier, documents, direction, bare)) if capped else []
    return Walked(steps, documents, cut)


def _beyond(
    frontier: list[Document], known: dict[str, Document], direction: Direction, bare: bool
) -> Plan[list[Cut]]:
    """Every link from the last level to an object one level further: what stopping at the
    depth limit left out (one more level of queries, only when the limit was reached)."""
    if not frontier:
        return []
    step = _level_up if direction == "up" else _level_down
    beyond = {d["_id"]: d for d, _, _ in (yield from step(frontier, known, bare))}
    if direction == "up":
        edges = [
            (document["_id"], link[1], target)
            for document in frontier
            for link, target in _links(document)
            if target in beyond
        ]
    else:
        reached = {d["_id"] for d in frontier}
        edges = [
            (target, link[2].reverse, document["_id"])
            for document in beyond.values()
            for link, target in _links(document)
            if target in reached
        ]
    return [Cut(s, link, t, beyond[t]["mxlimsType"]) for s, link, t in dict.fromkeys(edges)]


def _level_up(
    frontier: list[Document], known: dict[str, Document], bare: bool
) -> Plan[list[tuple[Document, str, str]]]:
    """The documents one level up from ``frontier`` that ``known`` does not hold, each with
    the link (ref key) and the uuid it was reached from."""
    wanted, edges = _up_targets(frontier, known)
    found = cast("dict[str, Document]", (yield ByUuid(wanted, bare))) if wanted else {}
    return [(found[t], link, source) for t, (link, source) in edges.items() if t in found]


def _up_targets(
    frontier: list[Document], known: dict[str, Document]
) -> tuple[dict[str, list[str]], dict[str, tuple[str, str]]]:
    """The uuids ``frontier`` links to that ``known`` does not hold, by collection (each once,
    sorted: as :func:`~mxlims_store.store.reads.fetching` asks), and each with how it is
    reached: (ref key, the uuid it is reached from), the first link to it."""
    wanted: dict[str, list[str]] = {}
    edges: dict[str, tuple[str, str]] = {}  # target -> (ref key, source)
    for document in frontier:  # _links(document), inlined: the hot loop of an export
        for field, ref_key, collections in _UP_OF.get(document["mxlimsType"], ()):
            value = document.get(field)
            if value is None:
                continue
            if type(value) is str:  # most links: one uuid, most of them known already
                if value in known or value in edges:
                    continue
                edges[value] = (ref_key, document["_id"])  # (each target once: edges)
                for collection in collections:
                    wanted.setdefault(collection, []).append(value)
                continue
            for target in _listed(value):
                if not isinstance(target, str) or target in known or target in edges:
                    continue
                edges[target] = (ref_key, document["_id"])
                for collection in collections:
                    wanted.setdefault(collection, []).append(target)
    for uuids in wanted.values():
        uuids.sort()
    return wanted, edges


def _level_down(
    frontier: list[Document], known: dict[str, Document], bare: bool
) -> Plan[list[tuple[Document, str, str]]]:
    by_type: dict[str, list[str]] = {}
    for document in frontier:
        by_type.setdefault(document["mxlimsType"], []).append(document["_id"])
    # Per source collection: the foreign keys that may point at the frontier's types, in the
    # order of LINK_RULES (the order of the clauses, hence of the SQL, stays as it was).
    # (uuids in the frontier's order, each once: what order the finds take them in changes
    # nothing in what they answer, and sorting them cost more than their lookups)
    clauses: dict[str, dict[str, dict[str, None]]] = {}
    for rule in LINK_RULES:
        for target_type in rule.targets:
            targets = by_type.get(target_type)
            if targets:
                fields = clauses.setdefault(collection_of(rule.source), {})
                fields.setdefault(rule.field, {}).update(dict.fromkeys(targets))
    requests = []
    for collection, fields in clauses.items():
        links = {field: list(ids) for field, ids in fields.items()}
        condition = {"$or": [{field: {"$in": ids}} for field, ids in links.items()]}
        # ``known``: what a level finds again (a job reached from its sweep and again from its
        # reflection sets) the embedded engine does not read twice (sqlite_walk_numbers)
        requests.append(Request(collection, condition, bare=bare, links=links, known=known))
    frontier_ids = set().union(*by_type.values())
    found: list[tuple[Document, str, str]] = []
    answers = cast("list[list[Document]]", (yield requests)) if requests else []
    for request, documents in zip(requests, answers, strict=True):
        # A bare walk needs not how each document was reached, only whether: a document
        # found over fields its type has rules for all has one of them into the frontier
        # (what the loop below looks for), so it is kept as it is (~13,000 for a results file)
        asked = request.links or {}
        sure = {t: asked.keys() <= fields for t, fields in _RULE_FIELDS.items()} if bare else {}
        for document in documents:
            if document["_id"] in known:
                continue
            if sure.get(document["mxlimsType"]):
                found.append((document, "", ""))  # (bare: neither is read)
                continue
            # the first foreign key of the document into the frontier: (reverse name, target)
            # (:func:`_links`, inlined: once per object reached down, ~13,000 for a results
            # file); a document with none (no rule of its type for the field) is left out
            for field, reverse in _DOWN_OF.get(document["mxlimsType"], ()):
                value = document.get(field)
                if value is None:
                    continue
                if isinstance(value, str):
                    if value in frontier_ids:
                        found.append((document, reverse, value))
                        break
                elif isinstance(value, list):
                    target = next(
                        (t for t in value if isinstance(t, str) and t in frontier_ids), None
                    )
                    if target is not None:
                        found.append((document, reverse, target))
                        break
    return found


def _listed(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []
