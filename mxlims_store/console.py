"""The ``mxlims-store`` console script: `stats` answered before the framework loads, when plain.

Counting the stored objects is one SQL query per core collection, yet the full command line
loads Typer, pydantic (for the settings), asyncio and the store's model first: ~25x the start
of a bare `python -c "import sqlite3"` (issue 21 asks for at most 2x). So, for exactly
``mxlims-store stats``, this module tries the quick path and hands every other case to the full
command line, which then says exactly what it always says:

- the settings are read by :func:`mxlims_store.store_location.plain_location` (proven equal to
  ``Settings`` by tests/cli/test_quick_stats.py), which answers only for the embedded store
  located by ``MXLIMS_DATA_DIR``/``MXLIMS_DATABASE`` alone;
- the store is opened, checked and counted by the engine's own functions (``existence``,
  ``sqlite_open``, ``type_counts.stats`` as ``Store.stats`` runs it for the local admin);
- anything that is not the plain case (no database, lost commits, an older or newer schema, a
  store whose objects are not numbered yet, a full disk, a busy or damaged file, any error)
  takes the full path, which reports it or does what opening the store does.

It sits outside ``mxlims_store.cli`` because importing that package loads Typer.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import Any, TypeVar

T = TypeVar("T")


def main() -> None:
    """The console script (and ``python -m mxlims_store.cli``)."""
    if sys.argv[1:] == ["stats"]:
        try:
            if quick_stats(os.environ, _cwd()):
                return
        except BrokenPipeError:  # `| head`: quietly, exit 1, as Click does for the full command
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
            raise SystemExit(1) from None
    from mxlims_store.cli import app

    app()


def _cwd() -> Path | None:
    """The working directory (where ``.env`` is read); None when it was deleted meanwhile."""
    try:
        return Path.cwd()
    except OSError:
        return None


def quick_stats(environ: Mapping[str, str], cwd: Path | None) -> bool:
    """Print `stats` as the full command does and return True, or False for the full path
    (``cwd`` None, a working directory that is gone: the full path reads what it can)."""
    if cwd is None:
        return False
    from mxlims_store.store_location import describe_embedded, plain_location

    try:
        located = plain_location(environ, cwd)  # (no home directory: RuntimeError, say)
        if located is None:
            return False
        data_dir, database = located
        where = describe_embedded(data_dir)
        if not _echoed_as_is(where):
            return False
        counts = counted(data_dir, database)
    except Exception:  # whatever it is, the full path says it as it always does
        return False
    if counts is None:
        return False
    sys.stderr.write(f"mxlims-store: {where}\n")  # which store, as the full command says
    json.dump(counts, sys.stdout, indent=2, ensure_ascii=False)  # as cli.app.emit writes it
    sys.stdout.write("\n")
    return True


def _echoed_as_is(text: str) -> bool:
    """Whether Typer's echo writes ``text`` as these plain writes do (it treats control
    characters, and text its stream cannot encode, its own way)."""
    if not text.isprintable():
        return False
    encoding = (sys.stderr.encoding or "").lower().replace("-", "").replace("_", "")
    return text.isascii() or encoding == "utf8"


def counted(data_dir: Path, database: str) -> dict[str, int] | None:
    """`Store.stats` for the local admin on the embedded store, when opening it would change
    nothing (else None: the full path opens it)."""
    from mxlims_store.store.backends.sqlite_open import (
        connect,
        count_by,
        database_file,
        holds,
        schema_is_current,
    )
    from mxlims_store.store.collection_names import COUNTERS, OBJECT_COUNTER
    from mxlims_store.store.existence import EXISTING, ensure_database
    from mxlims_store.store.type_counts import EVERY_OBJECT, count_types
    from mxlims_store.store_location import DEFAULT_LOCK_TIMEOUT

    path = database_file(data_dir, database)
    # a file that is there (a legacy data directory converts only where there is none)
    if ensure_database(data_dir, path, EXISTING):
        return None
    connection, kept = connect(path, DEFAULT_LOCK_TIMEOUT)
    try:
        if not kept or not schema_is_current(connection, path):
            return None
        if not holds(connection, COUNTERS, OBJECT_COUNTER):
            return None  # objects from before numbers: opening the store numbers them

        class Counting:
            """The one engine method ``count_types`` asks, answered on this connection."""

            async def count_by(
                self, collection: str, filter: dict[str, Any], field: str
            ) -> dict[Any, int]:
                # ``field`` is count_types' own constant, a plain name (no user path to check)
                return count_by(connection, collection, filter, field.split("."))

        return at_once(count_types(Counting(), EVERY_OBJECT))  # type: ignore[arg-type]
    finally:
        connection.close()


def at_once(coroutine: Coroutine[Any, Any, T]) -> T:
    """The result of a coroutine whose awaits are all answered without waiting (no event loop:
    loading asyncio alone costs more than the whole quick path)."""
    try:
        coroutine.send(None)
    except StopIteration as done:
        result: T = done.value
        return result
    coroutine.close()
    raise RuntimeError("the quick path waited for something")
