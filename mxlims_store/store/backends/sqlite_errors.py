"""SQLite's failures as the store's own errors."""

from __future__ import annotations

import contextlib
import sqlite3
from pathlib import Path

from mxlims_store.errors import InvalidMessage, Problem, StoreBroken, Unavailable


def explained(error: sqlite3.Error, path: Path, lock_timeout: float) -> Exception:
    """Busy / no space / read-only are temporary (503), a damaged file is broken; anything
    else is a bug and stays what it is."""
    code = getattr(error, "sqlite_errorname", "")
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")):
        return Unavailable(
            f"the store {path} is locked by another writer for more than "
            f"{lock_timeout:g} s (MXLIMS_LOCK_TIMEOUT); try again"
        )
    if code.startswith(("SQLITE_FULL", "SQLITE_READONLY", "SQLITE_IOERR", "SQLITE_CANTOPEN")):
        return Unavailable(
            f"cannot write the store {path} ({error}); reads still work, "
            "writes work again once the disk has room or is writable"
        )
    if code == "SQLITE_ERROR" and ("too large" in str(error) or "too many" in str(error)):
        return InvalidMessage([Problem("where", f"the question is too large to run: {error}")])
    if code.startswith(("SQLITE_CORRUPT", "SQLITE_NOTADB")):
        return StoreBroken(
            f"{path} is not a readable mxlims-store database ({error}); "
            "run `mxlims-store check`, or restore a backup"
        )
    return error


def rollback(connection: sqlite3.Connection) -> None:
    """Undo the open transaction, if any (after a failure)."""
    if connection.in_transaction:
        with contextlib.suppress(sqlite3.Error):  # SQLite may have rolled back already
            connection.execute("ROLLBACK")
