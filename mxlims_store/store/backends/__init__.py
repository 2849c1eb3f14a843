"""Storage engines behind the store: SQLite (the embedded default) and MongoDB.

Both take the same questions (:mod:`mxlims_store.store.filters`) and the same writes
(:class:`~mxlims_store.store.backends.base.Write`), so the store above them is written once.
"""

from mxlims_store.store.backends.base import Backend, Write

__all__ = ["Backend", "Write"]
