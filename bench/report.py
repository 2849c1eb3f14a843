"""Result rows, and the two files a run leaves: results.json (raw) and results.md (tables)."""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

SECTIONS = {
    "store": "Store operations (embedded SQLite, in-process unless noted)",
    "validation": "Validating the shipment file and the results file imported at the first size",
    "http": "HTTP API (`mxlims-store serve`, loopback, concurrency 16)",
    "refusal": "Refusing a message over the object limit (250,000), of bad objects",
    "peer": "ISPyB on MariaDB doing the same work in the same run, and ours ÷ theirs",
}


@dataclass
class Row:
    """One number. Rows sharing ``key`` across ``column`` values form one table line."""

    section: str
    key: str
    label: str
    column: str  # the store size, the file, ... the value belongs to
    value: float
    unit: str  # "s", "ms", "MiB", "x" (a ratio)
    target: float | None = None  # the ceiling, in ``unit``
    objects: int | None = None  # store size when measured
    note: str = ""  # a footnote for this cell
    # p95, n, round trips, ...; a list: every repeat's value, in order (wall_runs_ms, ...)
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        return None if self.target is None else self.value < self.target

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "met": self.met}

    @staticmethod
    def from_dict(data: dict[str, Any]) -> Row:
        return Row(**{k: v for k, v in data.items() if k != "met"})


def write(out: Path, rows: list[Row], meta: dict[str, Any], notes: list[str]) -> None:
    out.mkdir(parents=True, exist_ok=True)
    document = {"meta": meta, "notes": notes, "rows": [r.to_dict() for r in rows]}
    (out / "results.json").write_text(json.dumps(document, indent=2) + "\n")
    (out / "results.md").write_text(markdown(rows, meta, notes))


def fmt(value: float, unit: str) -> str:
    if not math.isfinite(value):
        return str(value)
    if unit == "x":
        return f"{value:.3g}x" if value < 1000 else f"{value:,.0f}x"
    digits = f"{value:,.0f}" if value >= 100 else f"{value:.3g}"
    return f"{digits} {unit}"


def markdown(rows: list[Row], meta: dict[str, Any], notes: list[str]) -> str:
    lines = [f"# mxlims-store benchmark ({meta.get('mode', 'full')} run)", ""]
    lines += [f"- {k}: {v}" for k, v in meta.get("environment", {}).items()]
    footnotes: list[str] = []
    for section, title in SECTIONS.items():
        chosen = [r for r in rows if r.section == section]
        if chosen:
            lines += ["", f"## {title}", "", *_table(chosen, meta, footnotes)]
    missed = [r for r in rows if r.met is False]
    lines += ["", "## Targets missed", ""]
    lines += [
        f"- {r.label} at {r.column}: {fmt(r.value, r.unit)} (target < {fmt(r.target, r.unit)})"
        for r in missed
        if r.target is not None
    ] or ["- none"]
    if footnotes or notes:
        lines += ["", "## Notes", ""]
        lines += [f"{n}. {text}" for n, text in enumerate(footnotes, 1)]
        lines += [f"- {text}" for text in notes]
    return "\n".join(lines) + "\n"


def _table(rows: list[Row], meta: dict[str, Any], footnotes: list[str]) -> list[str]:
    columns = list(dict.fromkeys(r.column for r in rows))
    keys = list(dict.fromkeys(r.key for r in rows))
    headers = [meta.get("column_titles", {}).get(c, c) for c in columns]
    out = [
        "| Measurement | Target | " + " | ".join(headers) + " | Met |",
        "|---|---|" + "---|" * len(columns) + "---|",
    ]
    for key in keys:
        cells = {r.column: r for r in rows if r.key == key}
        first = next(iter(cells.values()))
        target = f"< {fmt(first.target, first.unit)}" if first.target is not None else ""
        values = [_cell(cells.get(c), footnotes) for c in columns]
        verdicts = [r.met for r in cells.values() if r.met is not None]
        met = "" if not verdicts else ("yes" if all(verdicts) else "**no**")
        out.append(f"| {first.label} | {target} | " + " | ".join(values) + f" | {met} |")
    return out


def _cell(row: Row | None, footnotes: list[str]) -> str:
    if row is None:
        return ""
    text = fmt(row.value, row.unit)
    if row.met is False:
        text = f"**{text}**"
    if row.note:
        if row.note not in footnotes:
            footnotes.append(row.note)
        text += f" [{footnotes.index(row.note) + 1}]"
    return text
