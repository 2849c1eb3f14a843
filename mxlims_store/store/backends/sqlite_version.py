"""The embedded database's schema version (``PRAGMA user_version``), in a module of its own:
`mxlims-store stats`' quick path (console.py, sqlite_open.py) reads it without the backend."""

from __future__ import annotations

# 2: api_keys, 3: events, 4: positions under a unique index (_meta.slot), 5: counters (the
# objects' stable numbers), 6: server state and the store's generation, 7: history kept in the
# order of its ids (<uuid>@<revision>@<key>), no index of its own, 8: history appended in the
# order it is written, what one write's entries share kept once (sqlite_history), 9: links kept
# as the number of the row they point at, in indexed columns (sqlite_links), 10: history's
# index keyed by the object's row, appended (sqlite_history_keys), 11: a core table's ids as
# 16-byte keys where the uuid is canonical (sqlite_ids)
SCHEMA_VERSION = 11
