"""The declared MXLIMS <-> ISPyB mapping (``mapping.toml``) and the unit conversions it names.

Both engines read this table; neither spells a column by hand where the table has it. A value
goes to ISPyB through :func:`to_ispyb` and comes back through :func:`to_mxlims`; a number that
went through a single-precision FLOAT column comes back as the shortest decimal that FLOAT
holds (:func:`float32`), so a round trip changes it by nothing more than the column's precision.
"""

from __future__ import annotations

import struct
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from mxlims_store.mappings.ispyb_terms import ispyb_experiment_kind

MAPPING_FILE = Path(__file__).with_name("mapping.toml")

# h*c in eV*A: energy (eV) <-> wavelength (A).
HC_EV_A = 12398.419843320026

# (MXLIMS unit, ISPyB unit) -> (to ISPyB, to MXLIMS); a pair of equal units needs no entry.
CONVERSIONS: dict[tuple[str, str], tuple[Any, Any]] = {
    ("integer", "text"): (str, int),
    ("eV", "A"): (lambda e: HC_EV_A / e, lambda w: HC_EV_A / w),
    ("fraction", "%"): (lambda f: f * 100.0, lambda p: p / 100.0),
    ("%", "fraction"): (lambda p: p / 100.0, lambda f: f * 100.0),
    ("mm", "um"): (lambda mm: mm * 1000.0, lambda um: um / 1000.0),
}


@dataclass(frozen=True)
class Column:
    field: str  # dotted path inside the MXLIMS object
    column: str
    table: str | None = None  # another ISPyB table than the object's own
    unit: str | None = None
    ispyb_unit: str | None = None
    vocabulary: str | None = None


@dataclass(frozen=True)
class Table:
    mxlims: str
    ispyb: str
    key: str
    columns: tuple[Column, ...]
    uuid_column: str | None = None

    def own(self) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.table is None)

    def elsewhere(self, table: str) -> tuple[Column, ...]:
        return tuple(c for c in self.columns if c.table == table)


@dataclass(frozen=True)
class Mapping:
    tables: dict[str, Table]  # by MXLIMS type
    statistics: tuple[Column, ...]
    templates: tuple[Column, ...]  # an MxExperiment's template sweep -> its DiffractionPlan
    dewar_states: dict[str, str]
    container_states: dict[str, str]
    vocabularies: dict[str, dict[str, str]]

    def by_ispyb(self, table: str) -> Table:
        return next(t for t in self.tables.values() if t.ispyb == table)


@cache
def mapping() -> Mapping:
    data = tomllib.loads(MAPPING_FILE.read_text(encoding="utf-8"))
    tables = {
        t["mxlims"]: Table(
            mxlims=t["mxlims"],
            ispyb=t["ispyb"],
            key=t["key"],
            uuid_column=t.get("uuid_column"),
            columns=tuple(Column(**c) for c in t["columns"]),
        )
        for t in data["tables"]
    }
    return Mapping(
        tables=tables,
        statistics=tuple(Column(**c) for c in data["statistics"]),
        templates=tuple(Column(**c) for c in data["templates"]),
        dewar_states=dict(data["dewar_states"]),
        container_states=dict(data["container_states"]),
        vocabularies={k: dict(v) for k, v in data["vocabularies"].items()},
    )


def float32(value: float) -> float:
    """The shortest decimal a single-precision FLOAT column gives back for ``value``."""
    packed = struct.pack("<f", value)
    for digits in range(6, 18):
        text = f"{value:.{digits}g}"
        if struct.pack("<f", float(text)) == packed:
            return float(text)
    return value


def whole_number(text: str) -> int | None:
    """A row id or position ISPyB keeps as text, when it is one: ASCII digits that fit a BIGINT
    ("²" is a digit to str.isdigit yet no number; int() refuses over 4,300 digits)."""
    text = text.strip()
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 18 else None


def get_field(obj: dict[str, Any], path: str) -> Any:
    value: Any = obj
    for part in path.split("."):
        if isinstance(value, dict):
            value = value.get(part)
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return None
    return value


def set_field(obj: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    target = obj
    for part in parts[:-1]:
        target = target.setdefault(part, {})
    target[parts[-1]] = value


def to_ispyb(column: Column, value: Any) -> tuple[Any, str | None]:
    """The column's value for an MXLIMS value, and a loss (why it cannot go) or None."""
    if column.vocabulary == "experimentKind":
        kind = ispyb_experiment_kind(str(value))
        if kind is None:
            return None, f"{value!r} is not in ISPyB's experimentKind enumeration"
        return kind, None
    if column.vocabulary:
        terms = mapping().vocabularies[column.vocabulary]
        found = terms.get(str(value).casefold())
        if found is None:
            return None, f"{value!r} is not one of ISPyB's {sorted(terms.values())}"
        return found, None
    pair = (column.unit or "", column.ispyb_unit or "")
    if pair in CONVERSIONS:
        return CONVERSIONS[pair][0](value), None
    return value, None


def to_mxlims(column: Column, value: Any, *, single_precision: bool) -> Any:
    """The MXLIMS value for a column's value (None stays None)."""
    if value is None:
        return None
    if column.vocabulary and column.vocabulary != "experimentKind":
        back = {v: k for k, v in mapping().vocabularies[column.vocabulary].items()}
        return back.get(value, value)
    pair = (column.unit or "", column.ispyb_unit or "")
    if pair == ("integer", "text"):
        return whole_number(str(value))
    if pair in CONVERSIONS:
        value = CONVERSIONS[pair][1](float(value))
        return float32(value) if single_precision else round(value, 12)
    if isinstance(value, float) and single_precision:
        return float32(value)
    if hasattr(value, "as_integer_ratio") and not isinstance(value, (int, float)):
        return float(value)  # a DECIMAL
    return value
