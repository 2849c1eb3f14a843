"""Our reader against the official JSON schemas, on the same shipment file and results file.

The official side goes through ``../shared/tools/mxlims_conformance.py`` (jsonschema, Draft
2020-12 with format checks); ``jsonschema_rs`` gets the very same schema files registered under
the same URIs. Every tool sees the parsed document, so ``json.loads`` is its own row.
"""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Callable
from functools import partial
from pathlib import Path
from types import ModuleType
from typing import Any

from bench import REPO_ROOT
from bench.generate import VERSION, count_objects
from bench.report import Row
from bench.timing import log, median, repeat, timed
from mxlims_store.messages import read_message
from mxlims_store.messages.clean_read import read_clean
from mxlims_store.messages.versions import UPGRADES

CONFORMANCE = REPO_ROOT.parent / "shared" / "tools" / "mxlims_conformance.py"
# Both files carry MxExperiments (and the results, Jobs and Datasets), which the official
# ShipmentMessage refuses (unevaluatedProperties: false): MxlimsMessage is the schema they meet.
SCHEMA = "MxlimsMessage"
Check = Callable[[Any], list[str]]
# Validators quick enough to run in turns with ours, and how many turns at least (medians).
QUICK = frozenset({"jsonschema_rs"})
QUICK_RUNS = 11


def compare(
    files: dict[str, Path], times: int, budget: float, titles: dict[str, str]
) -> tuple[list[Row], list[str]]:
    """Rows per file: seconds of each tool (median of up to ``times`` runs, ``budget`` seconds at
    most per slow tool) and each official tool's time as a multiple of ours. Fills ``titles``
    (column headings) with each file's size."""
    notes = [
        f"Official validation uses the {SCHEMA} schema: {_why_not_shipment_message()}",
        f"Ours and jsonschema_rs run in turns, at least {QUICK_RUNS} times each (medians)",
    ]
    checks: dict[str, Check] = {}
    conformance = _load_conformance()
    if conformance is None:
        notes.append(f"jsonschema column skipped: {CONFORMANCE} not found")
    else:
        checks["jsonschema"] = lambda doc: list(conformance.errors(doc, SCHEMA))
        rs = _rust_validator(conformance)
        if isinstance(rs, str):
            notes.append(f"jsonschema_rs column skipped: {rs}")
        else:
            checks["jsonschema_rs"] = rs
    rows: list[Row] = []
    for column, path in files.items():
        rows += _file_rows(column, path, checks, times, budget, titles)
    return rows, notes


def _file_rows(
    column: str,
    path: Path,
    checks: dict[str, Check],
    times: int,
    budget: float,
    titles: dict[str, str],
) -> list[Row]:
    raw = path.read_bytes()
    document = json.loads(raw)
    titles[column] = f"{column} ({count_objects(document):,} obj., {len(raw) / 1e6:.1f} MB)"
    log(f"validation: {titles[column]}")
    for check in checks.values():
        check({"version": VERSION})  # warm-up: every schema file read and registered
    read_message(document)  # warm-up: the validators are built on first use
    clean = read_clean(UPGRADES[VERSION](document, []), VERSION) is not None
    log(f"validation: {column} read by the {'clean' if clean else 'thorough'} path")
    # The quick ones run in turns, ours then theirs, so that a busy machine weighs on both alike.
    quick = {"read_message": partial(read_message, document)}
    quick |= {name: partial(check, document) for name, check in checks.items() if name in QUICK}
    paired = _in_turns(quick, max(times, QUICK_RUNS))
    ours = median(paired["read_message"])
    seconds = {
        "json_loads": ("json.loads of the file", median(repeat(partial(json.loads, raw), times))),
        "read_message": ("Ours: read_message (= `mxlims-store validate`)", ours),
    }
    for name, check in checks.items():
        if name in paired:
            runs = paired[name]
        else:
            first, problems = timed(partial(check, document))
            if problems:
                raise AssertionError(f"{name} refuses {path}: {problems[:3]}")
            runs = [first, *repeat(partial(check, document), times - 1, budget - first)]
        seconds[name] = (f"Official schema: {name}", median(runs))
        log(f"validation: {name} on {column}: {median(runs):.3f} s (n={len(runs)})")
    log(f"validation: ours on {column}: {ours:.3f} s (load average {os.getloadavg()[0]:.2f})")
    rows = [Row("validation", k, label, column, v, "s") for k, (label, v) in seconds.items()]
    loads = seconds["json_loads"][1]
    rows.append(Row("validation", "ours_vs_loads", "Ours ÷ json.loads", column, ours / loads, "x"))
    rows += [
        Row("validation", f"{name}_vs_ours", f"{name} ÷ ours", column, seconds[name][1] / ours, "x")
        for name in checks
    ]
    return rows


def _in_turns(work: dict[str, Callable[[], Any]], rounds: int) -> dict[str, list[float]]:
    """Seconds of each piece of work, run in turns ``rounds`` times; a validator that finds
    problems in the file stops the run (the comparison is of reading a valid file)."""
    seconds: dict[str, list[float]] = {name: [] for name in work}
    for _ in range(rounds):
        for name, run in work.items():
            took, problems = timed(run)
            if name != "read_message" and problems:
                raise AssertionError(f"{name} refuses the file: {problems[:3]}")
            seconds[name].append(took)
    return seconds


def _why_not_shipment_message() -> str:
    return (
        "the official ShipmentMessage admits only containers, samples and crystals "
        "(unevaluatedProperties: false), so it refuses a shipment that carries the requested "
        "MxExperiments and template CollectionSweeps, and any results file"
    )


def _load_conformance() -> ModuleType | None:
    if not CONFORMANCE.is_file():
        return None
    spec = importlib.util.spec_from_file_location("mxlims_conformance", CONFORMANCE)
    if spec is None or spec.loader is None:
        return None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _rust_validator(conformance: ModuleType) -> Check | str:
    """A jsonschema_rs validator over the files conformance registers, under the same URIs
    (by file location: one upstream file carries a wrong $id); the reason when there is none."""
    try:
        import jsonschema_rs
    except ImportError:
        return "jsonschema_rs is not installed"
    root = Path(conformance.REFERENCE_DIR) / conformance.DEFAULT_VERSION / "schemas"
    resources = [
        (f"https://mxlims.org/schemas/{p.relative_to(root).as_posix()}", json.loads(p.read_text()))
        for p in sorted(root.rglob("*.json"))
    ]
    try:
        registry = jsonschema_rs.Registry(resources)
        validator = jsonschema_rs.Draft202012Validator(
            dict(resources)[conformance.schema_id(SCHEMA)],
            registry=registry,
            validate_formats=True,  # as conformance's FormatChecker()
        )
    except Exception as error:  # any failure to build is a reason to skip, reported as such
        return f"cannot build the validator: {type(error).__name__}: {error}"
    return lambda doc: [str(e) for e in validator.iter_errors(doc)]
