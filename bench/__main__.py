"""``python -m bench [--smoke] [--out DIR] [--work DIR]``: run the benchmark, print the table."""

from __future__ import annotations

import argparse
import asyncio
import shutil
import sys
import tempfile
from pathlib import Path

from bench import REPO_ROOT
from bench.plan import FULL, SMOKE
from bench.runner import Run


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="a tiny, fast run (tests)")
    parser.add_argument(
        "--out",
        type=Path,
        help="where results.md and results.json go (default: bench/ for a full run, a new "
        "temporary directory for --smoke, so that it never overwrites the real results)",
    )
    parser.add_argument(
        "--work", type=Path, help="build the stores here and keep them (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    plan = SMOKE if args.smoke else FULL
    out: Path = args.out or (
        Path(tempfile.mkdtemp(prefix="mxlims-bench-")) if args.smoke else REPO_ROOT / "bench"
    )
    work = args.work or Path(tempfile.mkdtemp(prefix="mxlims-bench-work-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        asyncio.run(Run(plan, out, work).run())
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)
    sys.stdout.write((out / "results.md").read_text())
    return 0


if __name__ == "__main__":
    sys.exit(main())
