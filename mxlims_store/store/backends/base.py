"""The narrow interface every storage engine offers the store.

Reads take a filter of the query subset (:mod:`mxlims_store.store.filters`); writes come as one
list of :class:`Write`, each carrying the history entry that records it, so that an engine with
transactions stores an import, a PATCH or a DELETE together with its history or not at all.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, NamedTuple, Protocol, TypeVar

T = TypeVar("T")

Document = dict[str, Any]
Sort = Sequence[tuple[str, int]]


class Write(NamedTuple):
    """One object change: create (``expected_revision`` None: the uuid must be free), replace
    (only over ``expected_revision``) or delete (``document`` None), with the history entry that
    records it (None only for bookkeeping that is no change of data, like a key's last use).

    A NamedTuple, not a frozen dataclass: an import makes one per object, and the dataclass's
    ``__init__`` (an ``object.__setattr__`` per field) was a third of planning's per-object cost;
    immutable all the same."""

    collection: str
    uuid: str
    document: Document | None
    expected_revision: int | None
    history: Document | None


class CreationEntry(dict[str, Any]):
    """A creation's history entry as an import makes it (store/history.ImportWrites): its keys
    in a creation entry's order (``_id``, uuid, revision, operation, actor, time, importId,
    ``_meta`` with the proposal alone, sourceVersion if any), texts where texts go, its ``_id``
    ``<uuid>@<revision>@<import id>``. An engine may store it split without checking its shape
    again (sqlite_history: most of a big import's entries). Any of its items set, deleted or
    updated, it stops being one (a copy or an unpickled one too: both are made by setting
    items): a plain entry then, checked as any other. (What its values hold, its ``_meta``,
    must not be changed in place: nothing does.) A dict to everything else."""

    __slots__ = ()

    def _changed(self) -> None:
        self.__class__ = ChangedEntry  # type: ignore[assignment]  # (same layout: allowed)

    def __setitem__(self, key: str, value: Any) -> None:
        self._changed()
        dict.__setitem__(self, key, value)

    def __delitem__(self, key: str) -> None:
        self._changed()
        dict.__delitem__(self, key)

    def __ior__(self, other: Any) -> ChangedEntry:  # type: ignore[override,misc]
        self._changed()
        dict.update(self, other)
        return self  # type: ignore[return-value]

    def update(self, *args: Any, **kwargs: Any) -> None:
        self._changed()
        dict.update(self, *args, **kwargs)

    def setdefault(self, key: str, default: Any = None) -> Any:
        self._changed()
        return dict.setdefault(self, key, default)

    def pop(self, key: str, *default: Any) -> Any:
        self._changed()
        return dict.pop(self, key, *default)

    def popitem(self) -> tuple[str, Any]:
        self._changed()
        return dict.popitem(self)

    def clear(self) -> None:
        self._changed()
        dict.clear(self)


class ChangedEntry(dict[str, Any]):
    """A :class:`CreationEntry` after a change: a plain entry (the same layout, so that an
    entry can become one in place)."""

    __slots__ = ()


class Backend(Protocol):
    """What the store needs of a database. ``round_trips`` counts calls that reach it."""

    name: str
    transactional: bool
    round_trips: int

    async def ping(self) -> None: ...

    async def prepare(self) -> None:
        """Collections and declared indexes in place (idempotent, writes nothing if present)."""

    async def find(
        self,
        collection: str,
        filter: Document,
        *,
        sort: Sort = (),
        limit: int | None = None,
    ) -> list[Document]: ...

    async def count(self, collection: str, filter: Document) -> int: ...

    async def count_by(self, collection: str, filter: Document, field: str) -> dict[Any, int]:
        """Matching documents per value of ``field`` (a scalar field)."""

    async def commit(self, writes: Sequence[Write]) -> None:
        """Apply ``writes`` with their history entries.

        A write whose uuid is taken (create) or whose revision moved on (replace, delete) is a
        lost race: :class:`~mxlims_store.errors.WriteConflict` names those uuids. With
        ``transactional`` nothing at all was written then; without, the other writes stand and
        the lost ones left no history (an import's re-run completes it).
        """

    async def unit(self, work: Callable[[Any], Awaitable[T]]) -> T:
        """Run ``await work(tx)``: ``tx`` is this backend inside ONE transaction (SQLite
        ``BEGIN IMMEDIATE``, a MongoDB session transaction), so what ``work`` reads to check its
        rules cannot change before its ``tx.commit`` lands. Without transactions (standalone
        MongoDB) ``tx.commit`` first bumps a counter on each container whose contents change,
        over the value ``work`` read: a concurrent change of the same container makes it a
        WriteConflict, and the caller runs the unit again (:mod:`mxlims_store.store.unit_of_work`).
        """

    async def close(self) -> None: ...
