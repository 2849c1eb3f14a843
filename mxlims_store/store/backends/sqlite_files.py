"""The embedded store's file as a whole: backups, restores, and checking it for damage.

- ``backup FILE`` writes a new file only: an existing path (a file, a device, a FIFO, the live
  database or its ``-wal``/``-shm``) is refused, never overwritten. The copy is taken with
  SQLite's online backup into a private temporary file beside the target, then linked into
  place, which fails rather than replace anything that appeared meanwhile.
- ``restore FILE`` is the way back: the file is checked (an mxlims-store database, undamaged)
  and copied into the live database with SQLite's backup, which takes the database's write lock,
  so a running server sees the restored store at its next read, never a half-copied one.
- A running server's ping (``/health``) finds a file removed or replaced under it, or whose
  header is damaged (:func:`refuse_file_gone`): its open connections would go on answering.
- The health check reports SQLite's ``integrity_check`` and every damaged document in one line
  each; a database too damaged to read is one line too, never a traceback.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from mxlims_store.errors import Conflict, StoreBroken
from mxlims_store.store.backends.sqlite_commits import counter_file, note_count, stored_count
from mxlims_store.store.backends.sqlite_ids import uuid_of
from mxlims_store.store.backends.sqlite_state import GENERATION_TABLE
from mxlims_store.store.existence import FILE_MODE

SIDE_FILES = ("-wal", "-shm", "-journal")
FileIdentity = tuple[int, int]  # (device, inode)
DAMAGED_SHOWN = 100  # damaged documents named per table; the rest are counted


def live_files(database: Path) -> set[Path]:
    """The database and the files SQLite keeps beside it, as absolute paths."""
    base = database.resolve()
    side = {base.with_name(base.name + suffix) for suffix in SIDE_FILES}
    return {base, counter_file(base), *side}


def identity(path: Path) -> FileIdentity | None:
    """The file's (device, inode), or None where no file is."""
    try:
        found = os.stat(path)
    except OSError:
        return None
    return found.st_dev, found.st_ino


def refuse_file_gone(path: Path, opened: FileIdentity | None) -> None:
    """StoreBroken when ``path`` no longer names the file opened as ``opened`` (removed, or
    another put in its place other than by ``restore``, which writes into the same file) or
    that file no longer reads as a database (damage further in is ``check``'s).

    The file is read through a new SQLite connection, never opened and closed by hand: closing
    any descriptor of a file drops every POSIX lock the process holds on it, those of SQLite's
    own connections included, and a writer in another process then went ahead under them (a
    store corrupted beside a CLI import). SQLite keeps such descriptors open while its locks
    are held."""
    found = identity(path)
    if found is None or opened not in (None, found):
        raise StoreBroken(
            f"{path} was removed or replaced while the server ran (a store is put back with "
            "`mxlims-store restore`); restart the server"
        )
    try:  # mode=rw: never creates a file where one was removed meanwhile
        fresh = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True)
        try:
            fresh.execute("SELECT count(*) FROM sqlite_master").fetchone()
        finally:
            fresh.close()
    except sqlite3.OperationalError:  # no room, busy, I/O: no sign of damage (removal is above)
        return
    except sqlite3.DatabaseError as error:  # not a database, malformed
        raise StoreBroken(
            f"{path} is not a readable mxlims-store database ({error}); run "
            "`mxlims-store check`, or restore a backup"
        ) from None


def refuse_backup_target(target: Path, database: Path) -> None:
    """A backup goes to a new regular file in an existing directory, nothing else."""
    if target.resolve() in live_files(database):
        raise Conflict(f"{target} is the live database (or its journal): back up elsewhere")
    if target.exists() or target.is_symlink():
        kind = "file" if target.is_file() else "path that is not a regular file"
        raise Conflict(f"{target} exists (a {kind}): a backup writes a new file only")
    if not target.parent.is_dir():
        raise Conflict(f"{target.parent} is not a directory: cannot write {target.name} there")


def write_backup(connection: sqlite3.Connection, target: Path, database: Path) -> dict[str, Any]:
    """A consistent copy of ``connection``'s database as the new file ``target``."""
    refuse_backup_target(target, database)
    partial = target.with_name(f".{target.name}.{secrets.token_hex(6)}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    os.close(descriptor)
    try:
        destination = sqlite3.connect(partial)
        try:
            connection.backup(destination)
            pages = destination.execute("PRAGMA page_count").fetchone()[0]
            destination.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
        finally:
            destination.close()
        try:
            os.link(partial, target)  # atomic, and never replaces what appeared meanwhile
        except FileExistsError:
            raise Conflict(
                f"{target} appeared while the backup was written; nothing replaced"
            ) from None
        except OSError:  # a file system without hard links: rename, having looked first
            refuse_backup_target(target, database)
            os.rename(partial, target)
    finally:
        partial.unlink(missing_ok=True)
    return {"file": str(target), "bytes": target.stat().st_size, "pages": pages}


def restore_from(source: Path, database: Path, schema_version: int) -> dict[str, Any]:
    """Copy the backup ``source`` into the live ``database`` (created 0600 if it is missing)."""
    if not source.is_file():
        raise Conflict(f"{source} is not a regular file: nothing to restore from")
    if source.resolve() in live_files(database):
        raise Conflict(f"{source} is the live database itself: restore from a backup")
    problems = file_problems(source, schema_version)
    if problems:
        raise StoreBroken(f"{source} cannot be restored: {problems[0]}")
    if not database.exists():
        os.close(os.open(database, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
    staged = database.with_name(f"{database.name}.restoring-{secrets.token_hex(4)}")
    try:
        if _version(source) < schema_version:  # upgraded before a running server meets it
            from mxlims_store.store.backends.sqlite_upgrade import upgraded_copy

            os.close(os.open(staged, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            upgraded_copy(source, staged)
            return _restored(staged, database, source)
        return _restored(source, database, source)
    finally:
        for suffix in ("", "-journal", "-wal", "-shm"):
            staged.with_name(staged.name + suffix).unlink(missing_ok=True)


def _version(path: Path) -> int:
    connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return int(connection.execute("PRAGMA user_version").fetchone()[0])
    finally:
        connection.close()


def _restored(copied: Path, database: Path, source: Path) -> dict[str, Any]:
    """``copied`` (``source`` at this version's schema) copied into ``database``."""
    reader = sqlite3.connect(f"{copied.resolve().as_uri()}?mode=ro", uri=True)
    writer = sqlite3.connect(database, timeout=30)
    try:
        writer.execute("PRAGMA journal_mode = WAL")
        before = _generation(writer)
        revoked = _revocations(writer)
        reader.backup(writer)
        # The restored store counts on from past anything the live one counted: a download's
        # ETag names a generation, and one given out before must not match other contents.
        # A key revoked since the backup stays revoked, and page sessions (some signed out
        # since the backup) end: everyone signs in again.
        with writer:
            if revoked:
                writer.executemany(
                    "UPDATE api_keys SET doc = json_set(doc, '$.revokedAt', ?) "
                    "WHERE id = ? AND json_extract(doc, '$.revokedAt') IS NULL",
                    [(at, key_id) for key_id, at in revoked],
                )
            with contextlib.suppress(sqlite3.OperationalError):  # a backup from before it
                writer.execute("DELETE FROM server_state WHERE kind <> 'secret'")
            writer.execute(GENERATION_TABLE)
            writer.execute(
                "INSERT INTO store_generation (id, value) VALUES (1, ?) "
                "ON CONFLICT (id) DO UPDATE SET value = excluded.value",
                (max(before, _generation(writer)) + 1,),
            )
        pages = writer.execute("PRAGMA page_count").fetchone()[0]
        note_count(database, stored_count(writer))  # the restored store is the whole one now
    finally:
        reader.close()
        writer.close()
    return {"restored": str(source), "into": str(database), "pages": pages}


def _revocations(connection: sqlite3.Connection) -> list[tuple[str, str]]:
    """(key id, revokedAt) of every revoked API key (none in a file without keys)."""
    try:
        rows = connection.execute(
            "SELECT id, json_extract(doc, '$.revokedAt') FROM api_keys "
            "WHERE json_extract(doc, '$.revokedAt') IS NOT NULL"
        ).fetchall()
    except sqlite3.OperationalError:  # no such table: a new database
        return []
    return [(str(key_id), str(at)) for key_id, at in rows]


def _generation(connection: sqlite3.Connection) -> int:
    """The store's generation (0 in a file without one)."""
    try:
        row = connection.execute("SELECT value FROM store_generation WHERE id = 1").fetchone()
    except sqlite3.OperationalError:  # no such table: nothing counted yet
        return 0
    return int(row[0]) if row else 0


def file_problems(path: Path, schema_version: int) -> list[str]:
    """Why ``path`` is not an undamaged mxlims-store database (none: an empty list)."""
    try:
        connection = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
    except sqlite3.Error as error:
        return [f"cannot open it ({error})"]
    try:
        version = connection.execute("PRAGMA user_version").fetchone()[0]
        if version == 0 or version > schema_version:
            return [f"not an mxlims-store database of schema {schema_version} (it has {version})"]
        return integrity_lines(connection, quick=True)
    except sqlite3.Error as error:
        return [f"not a readable SQLite database ({error})"]
    finally:
        connection.close()


def integrity_lines(connection: sqlite3.Connection, *, quick: bool = False) -> list[str]:
    """SQLite's own check, one line per problem it names (``quick``: without comparing
    indexes with their tables, which reads much less)."""
    pragma = "quick_check" if quick else "integrity_check"
    try:
        rows = connection.execute(f"PRAGMA {pragma}").fetchall()
    except sqlite3.DatabaseError as error:
        if "malformed JSON" in str(error):  # an expression index met a damaged document
            return [f"sqlite {pragma}: stopped at a stored document that is not JSON"]
        return [f"the database file is damaged: {error}"]
    # one line each: SQLite may name the database on a line of its own ("*** in database main
    # ***" before a damaged index page)
    return [f"sqlite {pragma}: {' '.join(row[0].split())}" for row in rows if row[0] != "ok"]


def damaged_documents(connection: sqlite3.Connection, tables: Iterable[str]) -> list[str]:
    """One line per stored document whose bytes are not JSON (at most a hundred per table,
    then their count)."""
    lines: list[str] = []
    for table in tables:
        try:
            rows = connection.execute(
                f'SELECT id FROM "{table}" WHERE NOT json_valid(doc) ORDER BY id'
            ).fetchall()
        except sqlite3.DatabaseError as error:
            lines.append(f"{table}: cannot be read: {error}")
            continue
        for (stored,) in rows[:DAMAGED_SHOWN]:  # (a core table's id is a key: sqlite_ids)
            lines.append(f"{table} {uuid_of(stored)}: the stored document is damaged (not JSON)")
        if len(rows) > DAMAGED_SHOWN:
            lines.append(f"{table}: {len(rows) - DAMAGED_SHOWN} more damaged document(s)")
    return lines


def database_problems(connection: sqlite3.Connection, tables: Iterable[str]) -> list[str]:
    """Everything wrong with the database file itself, one line each."""
    problems = integrity_lines(connection)
    with contextlib.suppress(sqlite3.DatabaseError):
        problems += damaged_documents(connection, tables)
    return problems
