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
    # loaded on first use: `mxlims-store stats` (console.py) reads two small modules of this
    # package and nothing else
    if name in __all__:
        from mxlims_store.store.backends import base

        return getattr(base, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
