"""Starting this project's commands as subprocesses, with a clean MXLIMS_* environment."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from bench import REPO_ROOT


def cli_command(*args: str) -> list[str]:
    """``mxlims-store ...``: the console script beside this interpreter (the venv's), else
    whichever is on PATH, else the module (same code, without the script's small shim)."""
    script = Path(sys.executable).with_name("mxlims-store")
    if script.is_file():
        return [str(script), *args]
    found = shutil.which("mxlims-store")
    return [found, *args] if found else [sys.executable, "-m", "mxlims_store.cli", *args]


def env_for(data_dir: Path, **settings: str) -> dict[str, str]:
    """The caller's environment without its MXLIMS_* settings (a MongoDB URL there would move
    the benchmark off the embedded store), plus the data directory, plus ``settings``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MXLIMS_")}
    env["MXLIMS_DATA_DIR"] = str(data_dir)
    env.update({f"MXLIMS_{k.upper()}": v for k, v in settings.items()})
    # The measuring worker imports ``bench`` whatever its working directory.
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    return env
