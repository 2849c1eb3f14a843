"""The store under test, once per backend, and the API on an embedded store (the fixtures of
the store and API suites)."""

from tests.api.conftest import app, settings
from tests.store.conftest import backend, store

__all__ = ["app", "backend", "settings", "store"]
