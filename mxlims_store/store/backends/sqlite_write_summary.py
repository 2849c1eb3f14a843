"""What a write's numbering (:func:`sqlite_links.numbers_for`) sees of it, kept for the steps
after the rows: the read-set keys it touches (:func:`mxlims_store.store.read_set.touched_keys`)
and the types of the objects it creates (sqlite_type_counts.keep).

Numbering already groups the writes by table, knows which objects they create, walks every
document's link fields and gathers the link values that point at objects it did not number
(field by field, as sets). Those are the keys: the uuid of every object replaced or deleted,
every link value not naming an object the write creates, and the proposal of every document
written. ``touched_keys`` walked every write and every link field of it a second time, after
the inserts (the documents no longer in the CPU's caches), to throw away almost all it found
(an import's links point at objects it creates): 11-14 ms of a 6,591-object import's writer
thread, ~16 of its results return. The type counts walked every write again, too (4-6 ms).
Gathering both here costs numbering ~2-3 ms (import) and ~5 (return): docs/write-path.md,
"Round 10".

The same keys as ``touched_keys``, and the same counts as walking the writes, for documents
whose link fields hold what the MXLIMS models allow (a scalar link a string, a list of links a
list): the write path validates every document before it gets here
(``tests/store/test_write_summary.py``).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Iterable
from operator import itemgetter
from typing import Any

from mxlims_store.store.backends.base import Write
from mxlims_store.store.backends.sqlite_type_counts import created_types
from mxlims_store.store.documents import META
from mxlims_store.store.read_set import proposal_key

_NO_META: dict[str, Any] = {}
_META, _PROPOSAL, _TYPE = itemgetter(META), itemgetter("proposal"), itemgetter("mxlimsType")


class WriteSummary:
    """Filled by :func:`sqlite_links.numbers_for` as it numbers a write; then :meth:`keys`
    and :attr:`types`."""

    __slots__ = ("_created", "_linked", "_others", "_proposals", "types")

    def __init__(self) -> None:
        self._created: list[Collection[str]] = []  # per table: the uuids it creates
        self._linked: set[str] = set()  # link values not numbered as created in their table
        self._others: set[str] = set()  # objects of core tables replaced or deleted
        self._proposals: set[Any] = set()
        self.types: Counter[tuple[str, str]] = Counter()  # (table, type) of core creations

    def created(self, group: list[Write], numbered: Collection[str] | None) -> None:
        """What the writes of one table (any: all of them are ``touched_keys``'s creations)
        create; ``numbered``: the set numbering made of them already, if it did."""
        if numbered is not None:
            self._created.append(numbered)
        else:
            made = {w.uuid for w in group if w.expected_revision is None and w.document}
            if made:
                self._created.append(made)

    def core(
        self, name: str, group: list[Write], documents: list[dict[str, Any]], new: bool
    ) -> None:
        """The writes of core table ``name``, and the documents among them; ``new``: every
        write creates a distinct object (an import's: none is looked at again)."""
        if not new:
            self._others.update(
                w.uuid for w in group if w.expected_revision is not None or not w.document
            )
            self.types.update(created_types(group, (name,)))
        try:  # at C speed where every document has its _meta, proposal and type (an import's)
            self._proposals.update(map(_PROPOSAL, map(_META, documents)))
            if new:
                counted = Counter(map(_TYPE, documents))
        except (KeyError, TypeError):
            self._proposals.update(  # (only text counts: an unhashable value is no key)
                p
                for d in documents
                if isinstance(p := (d.get(META) or _NO_META).get("proposal"), str)
            )
            if new:
                self.types.update(created_types(group, (name,)))
            return
        if new:
            self.types.update({(name, t): n for t, n in counted.items() if isinstance(t, str)})

    def linked(self, values: Iterable[str]) -> None:
        self._linked.update(values)

    def keys(self) -> set[str]:
        keys = self._linked | self._others
        for made in self._created:  # (a set difference walks the smaller side: these keys)
            keys = keys.difference(made)
        keys.update(proposal_key(p) for p in self._proposals if isinstance(p, str))
        return keys
