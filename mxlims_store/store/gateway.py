"""The database handle the store works on.

Either ``pymongo.AsyncMongoClient(...)[name]`` (production) or the embedded facade
(``mxlims_store.store.embedded``), which presents the same subset of PyMongo's async API. Both
are typed loosely here on purpose: the facade mirrors PyMongo's shapes, not its classes.
"""

from __future__ import annotations

from typing import Any, TypeAlias

Database: TypeAlias = Any
