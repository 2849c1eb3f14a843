"""Where the embedded store is: the settings that locate it, and a light reader of them.

:class:`mxlims_store.config.Settings` (pydantic-settings) is the one declaration of every
setting; the parts that say where the embedded store lives (the ``MXLIMS_`` prefix, the
``.env`` file, the default data directory and database name, the name's pattern, the default
lock timeout) are declared here and the ``Settings`` class is built on them. Loading pydantic
costs more than `mxlims-store stats` is allowed to take in all (issue 21), so
:func:`plain_location` reads those settings the way pydantic-settings does (python-dotenv for
``.env``, which pydantic-settings itself uses) in the plain case only, and answers None for
anything else, which then takes the full ``Settings`` with its readable errors:

- no ``MXLIMS_*`` variable but ``MXLIMS_DATA_DIR`` and ``MXLIMS_DATABASE`` (in the environment
  or in ``.env``, in any case, as pydantic-settings reads them), none given twice in
  different cases, none empty;
- a database name the pattern accepts;
- ``.env`` absent, or a regular file that python-dotenv reads.

tests/cli/test_quick_stats.py proves the reader equal to ``Settings`` over combinations of
environment and ``.env`` (where it answers at all).
"""

from __future__ import annotations

import os
import re
import stat
from collections.abc import Mapping
from pathlib import Path

ENV_PREFIX = "MXLIMS_"
ENV_FILE = ".env"
DEFAULT_DATABASE = "mxlims"
DATABASE_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
DEFAULT_LOCK_TIMEOUT = 10.0
# the Settings fields plain_location reads (the others must be unset for it to answer)
LOCATING = ("data_dir", "database")


def default_data_dir() -> Path:
    """Where the embedded store keeps a newcomer's data: ``$XDG_DATA_HOME/mxlims-store``."""
    base = os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share"
    return Path(base) / "mxlims-store"


def describe_embedded(data_dir: Path) -> str:
    return f"the embedded store in {data_dir}"


def _prefixed(variables: Mapping[str, str | None]) -> dict[str, str | None] | None:
    """The ``MXLIMS_*`` variables by lower-case name (as pydantic-settings matches them when
    case-insensitive); None if one is given twice in different cases."""
    prefix = ENV_PREFIX.lower()
    found: dict[str, str | None] = {}
    for name, value in variables.items():
        key = name.lower()
        if key.startswith(prefix):
            if key in found:
                return None
            found[key] = value
    return found


def dotenv_problem(cwd: Path) -> str | None:
    """One line when ``.env`` in ``cwd`` is there but is no regular file, else None. Reading a
    named pipe waits for a writer forever (pydantic-settings reads one), a directory or a
    device would be passed over without a word: each is refused before anything is read."""
    path = cwd / ENV_FILE
    try:
        mode = path.stat().st_mode  # (of what a link points at; a stat never waits)
    except FileNotFoundError:
        if not path.is_symlink():
            return None  # no .env: the environment alone
        kind = "a link to nothing"
    except OSError as error:
        kind = f"unreadable ({error.strerror or error})"
    else:
        if stat.S_ISREG(mode):
            return None
        kind = next((text for test, text in _KINDS if test(mode)), "not a regular file")
    return (
        f"{path} is {kind}, not a file of settings: remove or rename it (mxlims-store reads "
        f"MXLIMS_* settings from a {ENV_FILE} file in the working directory)"
    )


_KINDS = (
    (stat.S_ISFIFO, "a named pipe (FIFO)"),
    (stat.S_ISDIR, "a directory"),
    (stat.S_ISCHR, "a device"),
    (stat.S_ISBLK, "a device"),
    (stat.S_ISSOCK, "a socket"),
)


def _dotenv(cwd: Path) -> Mapping[str, str | None] | None:
    """The ``.env`` file's variables ({} without one); None where it is not plainly readable."""
    path = cwd / ENV_FILE
    if not path.exists() and not path.is_symlink():
        return {}
    if not path.is_file():  # a FIFO, a directory, a dangling link: the full path decides
        return None
    try:
        from dotenv import dotenv_values  # only when there is a .env: it costs ~8 ms

        return dotenv_values(path, encoding="utf-8")  # as pydantic-settings reads it
    except (OSError, ValueError):
        return None


def plain_location(environ: Mapping[str, str], cwd: Path) -> tuple[Path, str] | None:
    """(data directory, database name) as ``Settings`` reads them in ``cwd`` with ``environ``,
    when the settings are plain (see above); None when only the full ``Settings`` can tell."""
    from_file = _dotenv(cwd)
    if from_file is None:
        return None
    from_env = _prefixed(environ)
    from_dotenv = _prefixed(from_file)
    if from_env is None or from_dotenv is None:
        return None
    given = {**from_dotenv, **from_env}  # the environment wins over .env, as in pydantic-settings
    names = {ENV_PREFIX.lower() + name: name for name in LOCATING}
    if not set(given) <= set(names):
        return None
    values = {names[key]: value for key, value in given.items()}
    if any(not value or "\x00" in value for value in values.values()):
        return None
    database = values.get("database") or DEFAULT_DATABASE
    if not re.fullmatch(DATABASE_PATTERN, database):
        return None
    given_dir = values.get("data_dir")
    return (Path(given_dir) if given_dir else default_data_dir()), database
