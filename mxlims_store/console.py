"""The ``mxlims-store`` console script: `stats` on the embedded store without the framework.

Counting the stored objects is one SQL query per core collection, yet the full command line
loads Typer, pydantic (for the settings), asyncio and the store's model first: ~10x the start
of a bare `python -c "import sqlite3"` (issue 21 asks for at most 2x). So the console script
answers the plain case here, with the standard library alone, and hands every other case to
the full command line, which then says exactly what it always said:

- the arguments are exactly ``stats``;
- the settings are plain: no ``.env`` file, no ``MXLIMS_*`` variable but ``MXLIMS_DATA_DIR`` and
  ``MXLIMS_DATABASE`` (spelled in capitals, the database name as the settings allow it), so
  MongoDB, a bad setting or a lock timeout all take the full path;
- the database file is there, at the current schema version, and holds every acknowledged
  commit (sqlite_commits); any SQLite error (busy, damaged) takes the full path too.

tests/cli/test_startup.py checks that both paths print the same counts and where they came from.
This module sits outside ``mxlims_store.cli`` because importing that package loads Typer.
"""

from __future__ import annotations

import json
import os
import re
import sqlite3
import sys
from pathlib import Path

from mxlims_store.store.backends.sqlite_commits import missing_commits
from mxlims_store.store.backends.sqlite_version import SCHEMA_VERSION

# store/collections.py's CORE_COLLECTIONS (loading it loads the model); the test checks them
CORE_TABLES = ("samples", "logistical_samples", "jobs", "datasets")
PLAIN_SETTINGS = frozenset({"MXLIMS_DATA_DIR", "MXLIMS_DATABASE"})
DATABASE_NAME = re.compile(r"[A-Za-z0-9_-]{1,64}")  # config.Settings.database's pattern
COUNT = 'SELECT json_extract(doc, \'$."mxlimsType"\'), count(*) FROM "{}" GROUP BY 1'


def embedded_database(environ: dict[str, str], cwd: Path) -> tuple[Path, Path] | None:
    """(data directory, database file) when the settings are plain (see above), else None."""
    if (cwd / ".env").exists():
        return None
    named = {key for key in environ if key.upper().startswith("MXLIMS_")}
    if not named <= PLAIN_SETTINGS:
        return None
    database = environ.get("MXLIMS_DATABASE", "mxlims")
    if not DATABASE_NAME.fullmatch(database):
        return None
    if "MXLIMS_DATA_DIR" in environ:
        if not environ["MXLIMS_DATA_DIR"]:
            return None
        data_dir = Path(environ["MXLIMS_DATA_DIR"])
    else:  # config.default_data_dir
        base = environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
        data_dir = Path(base) / "mxlims-store"
    return data_dir, data_dir / f"{database}.sqlite3"


def counts_of(database: Path) -> dict[str, int] | None:
    """Objects per MXLIMS type, as `Store.stats` counts them for the local admin; None where
    the full path must open the store (missing, old or newer schema, lost commits, an error)."""
    if database.is_symlink() or not database.is_file() or database.stat().st_size == 0:
        return None
    try:
        # mode=rw: never creates a file; the same lock timeout as the settings' default
        connection = sqlite3.connect(f"{database.resolve().as_uri()}?mode=rw", uri=True, timeout=10)
    except sqlite3.Error:
        return None
    try:
        if connection.execute("PRAGMA user_version").fetchone()[0] != SCHEMA_VERSION:
            return None
        if missing_commits(connection, database) is not None:
            return None
        counts: dict[str, int] = {}
        for table in CORE_TABLES:
            for type_name, n in connection.execute(COUNT.format(table)):
                counts[type_name] = int(n)
        return dict(sorted(counts.items()))
    except sqlite3.Error:
        return None
    finally:
        connection.close()


def quick_stats(argv: list[str], environ: dict[str, str], cwd: Path) -> bool:
    """Print `stats` as the full command does and return True, or False to use the full path."""
    if argv != ["stats"]:
        return False
    found = embedded_database(environ, cwd)
    if found is None:
        return False
    data_dir, database = found
    counts = counts_of(database)
    if counts is None:
        return False
    print(f"mxlims-store: the embedded store in {data_dir}", file=sys.stderr)  # which store
    json.dump(counts, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return True


def main() -> None:
    """The console script (and ``python -m mxlims_store.cli``): the quick `stats` above, or
    the Typer application."""
    if quick_stats(sys.argv[1:], dict(os.environ), Path.cwd()):
        return
    from mxlims_store.cli import app

    app()
