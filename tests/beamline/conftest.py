"""The store under test, once per backend (the store suite's fixtures)."""

from tests.store.conftest import backend, store

__all__ = ["backend", "store"]
