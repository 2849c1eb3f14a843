"""Our reader against the official JSON schemas, on the same shipment file and results file.

The official side goes through ``../shared/tools/mxlims_conformance.py`` (jsonschema, Draft
2020-12 with format checks); ``jsonschema_rs`` gets the very same schema files registered under
the same URIs. Every tool sees the parsed document, so ``json.loads`` is its own row.
"""

from __future__ import annotations

import importlib.util
import json
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

CONFORMANCE = REPO_ROOT.parent / "shared" / "tools" / "mxlims_conformance.py"
# Both files carry MxExperiments (and the results, Jobs and Datasets), which the official
# ShipmentMessage refuses (unevaluatedProperties: false): MxlimsMessage is the schema they meet.
SCHEMA = "MxlimsMessage"
Check = Callable[[Any], list[str]]


def compare(
    files: dict[str, Path], times: int, budget: float, titles: dict[str, str]
) -> tuple[list[Row], list[str]]:
    """Rows per file: seconds of each tool (median of up to ``times`` runs, ``budget`` seconds at
    most per slow tool) and each official tool's time as a multiple of ours. Fills ``titles``
    (column headings) with each file's size."""
    notes = [f"Official validation uses the {SCHEMA} schema: {_why_not_shipment_message()}"]
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
    ours = median(repeat(partial(read_message, document), times))
    seconds = {
        "json_loads": ("json.loads of the file", median(repeat(partial(json.loads, raw), times))),
        "read_message": ("Ours: read_message (= `mxlims-store validate`)", ours),
    }
    for name, check in checks.items():
        check({"version": VERSION})  # warm-up: every schema file read and registered
        first, problems = timed(partial(check, document))
        if problems:
            raise AssertionError(f"{name} refuses {path}: {problems[:3]}")
        runs = [first, *repeat(partial(check, document), times - 1, budget - first)]
        seconds[name] = (f"Official schema: {name}", median(runs))
        log(f"validation: {name} on {column}: {median(runs):.3f} s (n={len(runs)})")
    rows = [Row("validation", k, label, column, v, "s") for k, (label, v) in seconds.items()]
    loads = seconds["json_loads"][1]
    rows.append(Row("validation", "ours_vs_loads", "Ours ÷ json.loads", column, ours / loads, "x"))
    rows += [
        Row("validation", f"{name}_vs_ours", f"{name} ÷ ours", column, seconds[name][1] / ours, "x")
        for name in checks
    ]
    return rows


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
