"""The store knows it exists: a missing database is an error naming it, never a new empty store.

A deleted ``mxlims.sqlite3`` (or a ``MXLIMS_DATA_DIR`` that points at the wrong place) must not
quietly become an empty store that answers "no objects" and mints a new first admin key. So:

- every command and the API's start open an existing database only (:data:`EXISTING`);
- ``serve`` creates one only where none was (:data:`WHERE_NONE_WAS`): the data directory is
  missing or empty. A directory that holds files but no database lost it: that is refused,
  saying how to restore a backup or start afresh;
- ``mxlims-store init`` (:data:`ANEW`) creates one wherever no database file is.

What the store creates is private: a data directory it makes is 0700 (an existing one is left as
its owner made it), the database file 0600 (SQLite gives its ``-wal`` and ``-shm`` files the
database file's mode).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    from mxlims_store.errors import StoreBroken

Creation = Literal["existing", "where_none_was", "anew"]
EXISTING: Creation = "existing"
WHERE_NONE_WAS: Creation = "where_none_was"
ANEW: Creation = "anew"
DIRECTORY_MODE = 0o700
FILE_MODE = 0o600


def make_private_dir(path: Path) -> None:
    """``path`` as a directory; those created here are 0700 (umask permitting, never wider)."""
    try:
        path.mkdir(parents=True, exist_ok=True, mode=DIRECTORY_MODE)
    except OSError as error:
        raise _broken(
            f"cannot create the data directory {path}: {error.strerror or error}"
        ) from None
    if not path.is_dir():
        raise _broken(f"the data directory {path} is not a directory")


def ensure_database(data_dir: Path, database: Path, creation: Creation) -> bool:
    """Check that ``database`` exists, or create an empty file for it as ``creation`` allows.
    True when it was created here (the caller then builds the schema in it)."""
    if database.exists() or database.is_symlink():
        if not database.is_file():
            raise _broken(f"{database} is not a regular file: not an mxlims-store database")
        if database.stat().st_size > 0:
            return False
        if creation != ANEW:  # cut to nothing: as lost as a deleted one
            raise _broken(
                f"{database} is empty (0 bytes): its data are gone; restore a backup "
                "(`mxlims-store restore FILE`), or `mxlims-store init` starts an empty store"
            )
        database.with_name(database.name + ".commits").unlink(missing_ok=True)
        return True  # an empty file a creation left before building the schema
    if creation == EXISTING:
        if not data_dir.is_dir():
            raise _broken(
                f"no store: the data directory {data_dir} does not exist (MXLIMS_DATA_DIR); "
                "`mxlims-store init` creates an empty store there"
            )
        raise _broken(
            f"no store: {database} does not exist; restore a backup (`mxlims-store restore "
            "FILE`), or `mxlims-store init` creates an empty store"
        )
    if creation == WHERE_NONE_WAS and data_dir.is_dir() and any(data_dir.iterdir()):
        raise _broken(
            f"{data_dir} holds files but no database {database.name}: it was moved or deleted. "
            "Restore a backup (`mxlims-store restore FILE`), or run `mxlims-store init` to "
            "start an empty store there"
        )
    make_private_dir(data_dir)
    try:
        descriptor = os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:  # another process created it meanwhile: it exists, as wanted
        return False
    except OSError as error:
        raise _broken(f"cannot create {database}: {error.strerror or error}") from None
    os.close(descriptor)
    # a commit count left by a database that is gone would refuse the new one (sqlite_commits)
    database.with_name(database.name + ".commits").unlink(missing_ok=True)
    return True


def _broken(message: str) -> StoreBroken:
    # imported here: `mxlims-store stats`' quick path loads this module, rarely an error
    from mxlims_store.errors import StoreBroken

    return StoreBroken(message)
