"""Storage engines behind the store: SQLite (the embedded default) and MongoDB.

Both take the same questions (:mod:`mxlims_store.store.filters`) and the same writes
(:class:`~mxlims_store.store.backends.base.Write`), so the store above them is written once.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from mxlims_store.store.backends.base import Backend, Write

__all__ = ["Backend", "Write"]


def __getattr__(name: str) -> Any:
    # loaded on first use: a command that reads one small module of this package (the SQLite
    # schema version, the commit counter) loads nothing else
    if name in __all__:
        from mxlims_store.store.backends import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
