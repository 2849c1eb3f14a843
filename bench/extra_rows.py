"""Rows measured beside the store's own: process start against a bare interpreter, disk per
object against a minimal document table, and how flat the writes stay as the store grows."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from bench.report import Row
from bench.timing import median

CORE = ("samples", "logistical_samples", "jobs", "datasets")
CLI_RUNS = 5  # runs of each process per planned repeat (3 in the full run: 15 of each)


def bare_python(
    column: str, objects: int, repeats: int, run_ours: Callable[[], object], env: dict[str, str]
) -> tuple[float, list[Row]]:
    """``python -c "import sqlite3"`` as a process, and ``mxlims-store stats`` (``run_ours``) ÷
    it: one run of each in turn, 15 of each in the full run, in the same environment, so that both
    medians see the same load. Also returns the median of ``run_ours``."""
    bare, ours = [], []
    for _ in range(max(repeats, 1) * CLI_RUNS):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-c", "import sqlite3"], env=env, check=True)
        bare.append(time.perf_counter() - started)
        started = time.perf_counter()
        run_ours()
        ours.append(time.perf_counter() - started)
    ratio = median(ours) / median(bare)
    return median(ours), [
        Row("store", "python_start", '`python -c "import sqlite3"` subprocess', column,
            median(bare), "s", objects=objects, extra={"n": len(bare)}),
        Row("store", "open_cli_ratio", "`mxlims-store stats` ÷ bare python", column, ratio,
            "x", 2.0, objects, extra={"n": len(ours)}),
    ]  # fmt: skip


def _bytes(connection: sqlite3.Connection, schema: str = "main") -> int:
    pages = connection.execute(f"PRAGMA {schema}.page_count").fetchone()[0]
    size = connection.execute(f"PRAGMA {schema}.page_size").fetchone()[0]
    return int(pages) * int(size)


def disk_per_object(data_dir: Path, column: str, objects: int) -> list[Row]:
    """Bytes per stored object: our database (every table, index and history) against a minimal
    document table of the same documents (uuid key, JSON column, a link index)."""
    database = data_dir / "mxlims.sqlite3"
    if not database.exists() or not objects:
        return []
    minimal = data_dir / "minimal.sqlite3"
    minimal.unlink(missing_ok=True)
    connection = sqlite3.connect(database)
    try:
        ours = _bytes(connection)
        connection.execute(f"ATTACH DATABASE '{minimal}' AS minimal")
        connection.execute("CREATE TABLE minimal.docs (id TEXT PRIMARY KEY, doc TEXT NOT NULL)")
        connection.execute(
            "CREATE INDEX minimal.docs_link ON docs (json_extract(doc, '$.containerId'))"
        )
        for table in CORE:
            connection.execute(f'INSERT INTO minimal.docs SELECT id, doc FROM "{table}"')
        connection.commit()
        theirs = _bytes(connection, "minimal")
    finally:
        connection.close()
        minimal.unlink(missing_ok=True)
    return [
        Row("store", "disk_per_object", "Disk per object (bytes)", column, ours / objects, "B",
            objects=objects),
        Row("store", "disk_ratio", "Disk ÷ a minimal document table", column, ours / theirs, "x",
            2.0, objects),
    ]  # fmt: skip


def flatness(rows: list[Row]) -> list[Row]:
    """Import and results return at the largest size ÷ at the smallest (≤ 1.2: flat), from the
    two sizes' own medians, measured minutes apart. Where the same ratio was also taken in
    alternation (bench.import_turns: each 200k repeat beside a 6.5k one, the same minutes), that
    row carries the target and this one stays beside it, without, for comparison: across
    round 10's eight runs it moved 0.85-1.59 while the paired one moved 0.98-1.22."""
    paired = {r.key for r in rows if r.key.endswith("_alternating")}
    out = []
    for key, label in (("import", "Import"), ("results_return", "Results return")):
        series = [r for r in rows if r.key == key and r.section == "store"]
        if len(series) >= 2 and series[0].value > 0:
            last = series[-1]
            target = None if f"flat_{key}_alternating" in paired else 1.2
            out.append(
                Row("peer", f"flat_{key}", f"{label}: largest ÷ smallest store, in blocks "
                    "minutes apart", last.column, last.value / series[0].value, "x", target,
                    last.objects)
            )  # fmt: skip
    return out


def validation_ratio(rows: list[Row]) -> list[Row]:
    """Our reading of each file ÷ jsonschema-rs on the official schema (at most 2x)."""
    ours = {r.column: r for r in rows if r.key == "read_message"}
    return [
        Row("validation", "ours_vs_jsonschema_rs", "Ours ÷ jsonschema_rs", r.column,
            ours[r.column].value / r.value, "x", 2.0, r.objects)
        for r in rows
        if r.key == "jsonschema_rs" and r.column in ours and r.value > 0
    ]  # fmt: skip
