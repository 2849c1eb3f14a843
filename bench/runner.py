"""One benchmark run: build each store size, measure it, then write the report."""

from __future__ import annotations

import json
import os
import platform
import random
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from bench import REPO_ROOT, extra_rows, generate, http_api, peer_stage, refusal, report, validation
from bench.build import Builder
from bench.import_turns import copy_database
from bench.measure import Spec
from bench.peer_stage import running_peer
from bench.peer_turns import TURNS
from bench.plan import Plan
from bench.procs import cli_command, env_for
from bench.report import Row
from bench.timing import log


class Run:
    def __init__(self, plan: Plan, out: Path, work: Path) -> None:
        self.plan, self.out, self.work = plan, out, work
        self.data_dir = work / "store"
        self.smallest = work / "smallest-store.sqlite3"  # kept for flatness in alternation
        self.builder = Builder(self.data_dir, plan.pins)
        self.random = random.Random(plan.seed)  # the same samples every run
        self.rows: list[Row] = []
        self.notes: list[str] = []
        self.peer: peer_stage.PeerStage | None = None
        self.titles: dict[str, str] = {}

    async def run(self) -> None:
        started = time.perf_counter()
        log(f"{self.plan.mode} run; stores in {self.data_dir}")
        with running_peer(self.work, self.plan.pins) as peer:
            if isinstance(peer, str):
                self.notes.append(peer)
            else:
                self.peer = peer
                self.notes.append(
                    "ISPyB's figures are taken in turns with ours, by the same worker: each"
                    f" results file then a whole-shipment fetch ({self.plan.file_turns} turns),"
                    f" provenance up and chain queries in {TURNS} rounds"
                    f" ({self.plan.read_passes} passes of them back to back),"
                    " each import and results return (timed from reading its file, as the"
                    " peer's insert is) then the peer's"
                    " insert (bench/peer_turns.py); each ratio is the median of the turns'"
                    " own ratios, the ratio of the two medians beside it in results.json"
                )
            objects = await self.builder.one_shipment()
            self.keep_smallest()
            files = await self.stage("1 shipment", objects)
            self.notes += self.validation(files)
            for size in self.plan.sizes:
                objects = await self.builder.grow(size)
                last = size == self.plan.sizes[-1]
                await self.stage(_nominal(size), objects, flat_base=self.smallest if last else None)
                if size == self.plan.http_at:
                    await self.http(_nominal(size))
        self.rows += peer_stage.ratios(self.rows)
        self.rows += extra_rows.flatness(self.rows)
        self.rows += extra_rows.validation_ratio(self.rows)
        self.rss_growth()
        self.rows += await refusal.measure(self.plan.refusal_objects, self.work)
        meta = self.meta(time.perf_counter() - started)
        report.write(self.out, self.rows, meta, self.notes)
        log(f"done in {meta['duration_s']:.0f} s; wrote {self.out}/results.md and results.json")

    def keep_smallest(self) -> None:
        """A copy of the smallest store as it is measured, for the largest size's flatness in
        alternation (bench.import_turns)."""
        copy_database(self.data_dir / "mxlims.sqlite3", self.smallest)

    async def stage(
        self, column: str, objects: int, flat_base: Path | None = None
    ) -> dict[str, Path]:
        """Every store measurement at this size; returns the files of the shipment imported."""
        self.titles[column] = f"{column} ({objects:,} obj.)"
        log(f"measuring the store of {objects:,} objects ({column})")
        shipment = self.builder.new_shipment()
        results = generate.results(shipment)
        files = {
            "shipment file": self._dump(f"shipment-{shipment.index}.json", shipment.message),
            "results file": self._dump(f"results-{shipment.index}.json", results.message),
        }
        self.rows.append(self.cli_open(column, objects))
        manifest = self.builder.manifest
        earlier = bool(manifest.shipments_with_results)
        spec = Spec(
            data_dir=str(self.data_dir),
            column=column,
            repeats=self.plan.repeats,
            get_uuids=self._sample(manifest.uuids),
            barcodes=self._sample(manifest.barcodes),
            shipment_file=str(files["shipment file"]),
            results_file=str(files["results file"]),
            new_uuids=len(results.new_uuids),
            results_shipment=manifest.shipments_with_results[-1] if earlier else shipment.uuid,
            reflection_sets=self._sample(
                manifest.reflection_sets if earlier else results.reflection_sets
            ),
            reads_after_import=not earlier,
            import_repeats=self.plan.import_repeats,
            flat_base=None if flat_base is None else str(flat_base),
            read_passes=self.plan.read_passes,
            file_turns=self.plan.file_turns,
        )
        if self.peer is not None:  # as many beamtimes as ours; measured in turns with ours
            self.peer.grow(len(manifest.shipments_with_results), self.work)
            spec.peer = asdict(self.peer.side(self.plan.samples))
        self.rows += self.worker(spec)
        if self.peer is not None:
            self.peer.kept()  # the worker kept the peer's insert of this stage's files
        manifest.add_shipment(shipment)
        manifest.add_results(results)
        self.rows += extra_rows.disk_per_object(self.data_dir, column, objects)
        return files

    def cli_open(self, column: str, objects: int) -> Row:
        """`mxlims-store stats` as a user runs it: interpreter start, imports, open, count."""
        command = cli_command("stats")

        def run() -> None:
            subprocess.run(
                command,
                env=env_for(self.data_dir),
                cwd=self.work,
                check=True,
                stdout=subprocess.DEVNULL,
            )

        env = env_for(self.data_dir)
        ours, rows = extra_rows.bare_python(column, objects, self.plan.cli_repeats, run, env)
        self.rows += rows
        return Row("store", "open_cli", "Open: `mxlims-store stats` subprocess", column,
                   ours, "s", 0.5, objects, extra={"n": rows[-1].extra["n"]})  # fmt: skip

    def worker(self, spec: Spec) -> list[Row]:
        spec_file, out_file = self.work / "spec.json", self.work / "rows.json"
        spec.save(spec_file)
        subprocess.run(
            [sys.executable, "-m", "bench.measure", str(spec_file), str(out_file)],
            env=env_for(self.data_dir),
            cwd=REPO_ROOT,
            check=True,
        )
        return [Row.from_dict(d) for d in json.loads(out_file.read_text())]

    def validation(self, files: dict[str, Path]) -> list[str]:
        rows, notes = validation.compare(
            files, self.plan.validation_times, self.plan.validation_budget, self.titles
        )
        self.rows += rows
        return notes

    async def http(self, column: str) -> None:
        objects = await self.builder.count()
        gets = self._sample(self.builder.manifest.uuids, self.plan.http_gets)
        posts = [
            _body(self.builder.new_shipment(self.plan.http_pins))
            for _ in range(self.plan.http_posts)
        ]
        big = _body(self.builder.new_shipment())
        log(f"http: starting `mxlims-store serve` on the {objects:,}-object store")
        # The store measured at this size, served as it is (no copy): it has grown by that
        # measurement's import and results return since.
        column = f"{column} store"
        self.titles[column] = f"{column} ({objects:,} obj.)"
        with http_api.running_server(self.data_dir, self.work / "serve.log") as server:
            self.rows += await http_api.measure(
                server, column, objects, gets, posts, big, self.plan.concurrency
            )

    def rss_growth(self) -> None:
        peaks = [r for r in self.rows if r.key == "peak_rss"]
        if len(peaks) >= 2:
            first, last = peaks[0], peaks[-1]
            self.rows.append(
                Row("store", "peak_rss_growth", f"Peak RSS ÷ peak RSS at {first.column}",
                    last.column, last.value / first.value, "x", objects=last.objects)
            )  # fmt: skip

    def meta(self, duration: float) -> dict[str, Any]:
        return {
            "mode": self.plan.mode,
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "duration_s": round(duration, 1),
            "environment": {
                "mxlims-store": f"{metadata.version('mxlims-store')} ({_revision()})",
                "python": platform.python_version(),
                "sqlite": sqlite3.sqlite_version,
                "platform": platform.platform(),
                "cpus": _cpus(),
            },
            "plan": asdict(self.plan),
            "column_titles": self.titles,
        }

    def _dump(self, name: str, message: dict[str, Any]) -> Path:
        path = self.work / name
        path.write_text(json.dumps(message))
        return path

    def _sample(self, population: list[str], k: int | None = None) -> list[str]:
        k = k or self.plan.samples
        if len(population) >= k:
            return self.random.sample(population, k)
        return self.random.choices(population, k=k)  # a small smoke store: repeats are fine


def _body(shipment: generate.Shipment) -> bytes:
    return json.dumps(shipment.message).encode()


def _nominal(size: int) -> str:
    return f"{size / 1000:g}k" if size >= 1000 else str(size)


def _revision() -> str:
    """The commit measured, and whether the store's code had uncommitted changes."""
    git = ["git", "-C", str(REPO_ROOT)]
    try:
        commit = subprocess.run(
            [*git, "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        ).stdout.strip()
        dirty = subprocess.run(
            [*git, "status", "--porcelain", "--", "mxlims_store", "api"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "commit unknown"
    return f"commit {commit}" + (" + uncommitted changes to mxlims_store/api" if dirty else "")


def _cpus() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1
