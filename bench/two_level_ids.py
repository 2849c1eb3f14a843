"""A two-level (LSM-like) uuid index measured outside the store (round 8; docs/write-path.md).

``python -m bench.two_level_ids STORE_DIR [STORE_DIR ...] [--runs 5]`` copies the database of
each built store (``/work/briefs/r4-build-store.py DIR N``) three times: as it is (``id TEXT
UNIQUE``), and with the unique index of ids split in two partial unique indexes, recent
(``settled = 0``) and settled (``settled = 1``, every copied row), with or without the trigger
that refuses an insert whose id is in the settled one (the database enforcing one id per table
across both). Into a fresh copy of each, in a fresh process (a cold page cache, as an import
into a store just opened): an import's 6,591 new random uuids probed in the four core tables
(``documents_by_uuid``'s join; both partial indexes in the two-level layout), inserted as rows
shaped like stored ones (``executemany``, as the store writes), committed with the store's
pragmas. Prints the CPU of each step (medians of ``--runs``), the frames the commit wrote, and
what the settle (``UPDATE ... SET settled = 1``) of one import's rows, then of seven
imports' rows, costs.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import random
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

from mxlims_store.store.backends.sqlite_ids import TEXT_UUID_CHECK

CORE = {"logistical_samples": 1711, "samples": 1680, "jobs": 1600, "datasets": 1600}
LAYOUTS = ("unique", "two-level", "two-level, no trigger")  # the last: no trigger
FRAME = 4096 + 24


def prepare(source: Path, target: Path, layout: str) -> None:
    shutil.copy(source, target)
    c = sqlite3.connect(target, isolation_level=None)
    if layout != "unique":
        c.execute("BEGIN IMMEDIATE")
        for t in CORE:
            [sql] = c.execute("SELECT sql FROM sqlite_master WHERE name = ?", (t,)).fetchone()
            indexes = c.execute(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? "
                "AND sql IS NOT NULL",
                (t,),
            ).fetchall()
            columns = ", ".join(f'"{r[1]}"' for r in c.execute(f'PRAGMA table_info("{t}")'))
            c.execute(
                sql.replace(f'"{t}"', f'"{t}_new"', 1)
                .replace("id TEXT NOT NULL UNIQUE", "id TEXT NOT NULL")
                .replace("id BLOB NOT NULL UNIQUE", "id BLOB NOT NULL")  # (schema 11)
                .replace(f", {TEXT_UUID_CHECK}", "")  # (this experiment keeps text uuids)
                .replace(
                    "doc TEXT NOT NULL", "doc TEXT NOT NULL, settled INTEGER NOT NULL DEFAULT 0"
                )
            )
            c.execute(f'INSERT INTO "{t}_new" ({columns}, settled) SELECT {columns}, 1 FROM "{t}"')
            c.execute(f'DROP TABLE "{t}"')
            c.execute(f'ALTER TABLE "{t}_new" RENAME TO "{t}"')
            for (index,) in indexes:
                c.execute(index)
            for level in (0, 1):
                c.execute(
                    f'CREATE UNIQUE INDEX "{t}__id{level}" ON "{t}" (id) WHERE settled = {level}'
                )
            if layout == "two-level":
                c.execute(
                    f'CREATE TRIGGER "{t}__one_id" BEFORE INSERT ON "{t}" WHEN NEW.settled = 0 '
                    f'AND EXISTS (SELECT 1 FROM "{t}" WHERE id = NEW.id AND settled = 1) '
                    f"BEGIN SELECT RAISE(ABORT, 'UNIQUE constraint failed: {t}.id'); END"
                )
        c.execute("COMMIT")
    c.execute("VACUUM")
    c.close()


def connect(path: Path) -> sqlite3.Connection:
    c = sqlite3.connect(path, isolation_level=None)
    for pragma in ("synchronous = FULL", "wal_autocheckpoint = 0", "cache_size = -65536"):
        c.execute(f"PRAGMA {pragma}")  # the store's, and a big write's page cache (sqlite_open)
    c.execute("PRAGMA temp_store = MEMORY")  # a trigger's statement journals in memory
    return c


def import_once(path: Path, layout: str, seed: int) -> list[float]:
    """CPU of the probes, the inserts and the commit (s), and the commit's frames."""
    rnd, c = random.Random(seed), connect(path)
    new = {
        t: sorted(str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(k))
        for t, k in CORE.items()
    }
    every = json.dumps(sorted(u for uuids in new.values() for u in uuids))
    rows = {}
    for t, k in CORE.items():  # shaped like the newest stored rows, read before the clock
        columns = [r[1] for r in c.execute(f'PRAGMA table_info("{t}")')][2:]
        columns = [name for name in columns if name != "settled"]
        shown = ", ".join(
            "json_remove(doc, '$._meta.slot')" if n == "doc" else f'"{n}"' for n in columns
        )
        top = c.execute(f'SELECT max(n) FROM "{t}"').fetchone()[0]
        like = c.execute(f'SELECT {shown} FROM "{t}" WHERE n > ?', (top - k,)).fetchall()
        marks = ", ?" * len(columns)
        named = ", ".join(f'"{n}"' for n in columns)
        sql = f'INSERT INTO "{t}" (n, id, {named}) VALUES (?, ?{marks})'
        rows[t] = (sql, [(top + 1 + i, u, *like[i % len(like)]) for i, u in enumerate(new[t])])
    c.execute("BEGIN IMMEDIATE")
    clock = [time.process_time()]
    for t in CORE:
        on = "t.id = j.value" if layout == "unique" else "t.id = j.value AND t.settled = {}"
        probes = [
            f'SELECT t.doc FROM json_each(?1) AS j CROSS JOIN "{t}" AS t ON {on.format(s)}'
            for s in (0, 1)
        ]
        c.execute(
            probes[0] if layout == "unique" else " UNION ALL ".join(probes), (every,)
        ).fetchall()
    clock.append(time.process_time())
    for sql, values in rows.values():
        c.executemany(sql, values)
    clock.append(time.process_time())
    c.execute("COMMIT")
    clock.append(time.process_time())
    frames = (os.path.getsize(f"{path}-wal") - 32) // FRAME
    return [b - a for a, b in itertools.pairwise(clock)] + [frames]


def settle(path: Path) -> list[float]:
    c = connect(path)
    c.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    wall, cpu = time.perf_counter(), time.process_time()
    c.execute("BEGIN IMMEDIATE")
    rows = sum(c.execute(f'UPDATE "{t}" SET settled = 1 WHERE settled = 0').rowcount for t in CORE)
    c.execute("COMMIT")
    frames = (os.path.getsize(f"{path}-wal") - 32) // FRAME
    return [time.perf_counter() - wall, time.process_time() - cpu, frames, rows]


def child(*args: str) -> list[float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.two_level_ids", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return [float(x) for x in out.stdout.split()]


def main() -> None:
    if sys.argv[1:2] in (["import"], ["settle"]):
        kind, path = sys.argv[1], Path(sys.argv[2])
        got = import_once(path, sys.argv[3], int(sys.argv[4])) if kind == "import" else settle(path)
        print(*got)
        return
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("stores", nargs="+", type=Path)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="two-level-") as scratch:
        for store in args.stores:
            for layout in LAYOUTS:
                base, run = Path(scratch, "base.sqlite3"), Path(scratch, "run.sqlite3")
                prepare(store / "mxlims.sqlite3", base, layout)
                runs = []
                for seed in range(args.runs):
                    for leftover in (run, Path(f"{run}-wal"), Path(f"{run}-shm")):
                        leftover.unlink(missing_ok=True)
                    shutil.copy(base, run)
                    runs.append(child("import", str(run), layout, str(seed)))
                probe, insert, commit, frames = (
                    statistics.median(x) for x in zip(*runs, strict=True)
                )
                line = (
                    f"{store.name} {layout:22} probes {probe * 1e3:5.1f} inserts "
                    f"{insert * 1e3:5.1f} commit {commit * 1e3:5.1f} sum "
                    f"{(probe + insert + commit) * 1e3:6.1f} ms CPU, {frames:.0f} frames"
                )
                if layout != "unique":
                    one = child("settle", str(run))
                    for seed in range(100, 107):
                        child("import", str(run), layout, str(seed))
                    eight = child("settle", str(run))
                    line += "; settle " + ", ".join(
                        f"{rows:.0f} rows {wall * 1e3:.0f} ms wall {cpu * 1e3:.0f} CPU "
                        f"{f:.0f} frames"
                        for wall, cpu, f, rows in (one, eight)
                    )
                print(line, flush=True)


if __name__ == "__main__":
    main()
