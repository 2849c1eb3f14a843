"""The benchmark's smoke run: it completes and reports every measurement as a number.

Deliberately no assertion on any duration: machines differ, and a slow CI box must not fail.
"""

from __future__ import annotations

import json
import math
import statistics
import subprocess
import sys
from pathlib import Path

from bench.peer_turns import SETTLE_STEP, TURNS
from bench.plan import SMOKE

ROOT = Path(__file__).resolve().parents[2]

# Rows every run has, whatever is installed (the official-schema columns may be skipped).
ALWAYS = {
    "open_cli",
    "open_inproc",
    "get_p50",
    "find_p50",
    "prov_up_p50",
    "prov_down",
    "results_file",
    "results_file_member",
    "import",
    "results_return",
    "peak_rss",
    "peak_rss_growth",
    "json_loads",
    "read_message",
    "ours_vs_loads",
    "http_get_p50",
    "http_get_p95",
    "http_post_p50",
    "http_post_p95",
    "http_health_during_import_p50",
    "refusal_parse",
    "refusal_read",
    "refusal_rss",
    "refusal_body",
    "refusal_problems",
    "refusal_http",
    "refusal_http_body",
    "refusal_health_wait",
    "python_start",
    "open_cli_ratio",
    "disk_per_object",
    "disk_ratio",
    "flat_import",
    "flat_results_return",
    "flat_import_alternating",
    "flat_results_return_alternating",
}


def test_smoke_run_reports_every_row_with_a_number(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--smoke", "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=900,  # a hang guard only, far above any real smoke run
    )
    assert done.returncode == 0, done.stderr[-4000:]

    results = json.loads((tmp_path / "results.json").read_text())
    rows = results["rows"]
    assert {row["key"] for row in rows} >= ALWAYS
    for row in rows:
        value = row["value"]
        assert isinstance(value, int | float) and not isinstance(value, bool), row
        assert math.isfinite(value), row
    # Store rows come at each of the three sizes.
    assert len({row["column"] for row in rows if row["key"] == "get_p50"}) >= 3
    assert "| Measurement |" in (tmp_path / "results.md").read_text()
    # Every repeat of each write, wall and CPU, in order beside the median (which hides them):
    # the median is one of the walls, and no repeat used less CPU than nothing.
    for row in (row for row in rows if row["key"] in {"import", "results_return"}):
        walls, cpus = row["extra"]["wall_runs_ms"], row["extra"]["cpu_runs_ms"]
        assert len(walls) == len(cpus) == row["extra"]["n"], row
        assert round(row["value"] * 1000, 1) in walls or len(walls) % 2 == 0, row
        assert all(cpu > 0 for cpu in cpus), row
    # Flatness in alternation, at the largest size only: each of its repeats preceded by the
    # same files imported into a copy of the smallest store, and the last one followed by one
    # more (bench.import_turns: each large repeat set against the small ones around it)
    largest = [row for row in rows if row["key"] == "import"][-1]
    for key in ("flat_import_alternating", "flat_results_return_alternating"):
        (flat,) = [row for row in rows if row["key"] == key]
        assert flat["column"] == largest["column"], flat
        n = flat["extra"]["n"]
        assert n == largest["extra"]["n"] == len(flat["extra"]["small_wall_runs_ms"]) - 1, flat
        assert len(flat["extra"]["pair_ratios"]) == n and flat["target"] == 1.2, flat
        # the same ratio from the two sizes' blocks, minutes apart, stays beside it untargeted
        (blocks,) = [row for row in rows if row["key"] == key.removesuffix("_alternating")]
        assert blocks["target"] is None and "in blocks" in blocks["label"], blocks
    # ISPyB on MariaDB beside ours, where MariaDB runs (CI installs it): the same work, ratios
    if not any(note.startswith("no ISPyB peer") for note in results["notes"]):
        peer = {"peer_import", "peer_results", "peer_chain", "peer_fetch", "ratio_import"}
        assert {row["key"] for row in rows} >= peer | {"ratio_results_return"}
        # taken in turns with ours by the measuring worker (bench.peer_turns): as many turns
        # of the fetch as of our results file, at least TURNS
        fetches = [row["extra"]["n"] for row in rows if row["key"] == "peer_fetch"]
        assert len(fetches) >= 3 and min(fetches) >= SMOKE.file_turns >= TURNS
        for row in (row for row in rows if row["key"] in {"peer_import", "peer_results"}):
            assert len(row["extra"]["wall_runs_ms"]) == row["extra"]["n"], row
        # each ratio to the peer is the median of its turns' own ratios (paired), the ratio
        # of the two medians beside it; reads in TURNS turns, writes one turn per repeat
        turns_of = {"ratio_prov_up_p50": TURNS, "ratio_results_file": SMOKE.file_turns}
        for row in (row for row in rows if row["key"].startswith("ratio_")):
            pairs = row["extra"]["turn_ratios"]
            assert row["value"] == statistics.median(pairs) and "medians_ratio" in row["extra"]
            writes = [r for r in rows if r["key"] == "import" and r["column"] == row["column"]]
            assert len(pairs) == turns_of.get(row["key"], writes[0]["extra"]["n"]), row
        # after each of its writes the peer waited for its server to be idle again (untimed)
        for row in (row for row in rows if row["key"] == "peer_import"):
            settled = row["extra"]["settled_after_ms"]
            assert len(settled) == row["extra"]["n"], row
            assert all(ms >= SETTLE_STEP * 1000 for ms in settled), row  # the server was found
        assert any("in turns with ours" in note for note in results["notes"])
