"""Rows from objects through the declared table, and writing them: the pieces both the shipment
push and the results push use."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from mxlims_store.ispyb.database import Ispyb
from mxlims_store.ispyb.report import PushReport, named
from mxlims_store.ispyb.shipment import is_link
from mxlims_store.ispyb.table import Column, get_field, mapping, to_ispyb

# Fields every object has that are not data for ISPyB: the identity map lives in the store.
_NOT_DATA = {"uuid", "mxlimsType", "mxlimsBaseType", "identifiers", "urls"}


@dataclass
class Rows:
    """Rows to write, checked before any is: problems refuse the push, losses are reported."""

    ispyb: Ispyb
    report: PushReport
    problems: list[str] = field(default_factory=list)

    def values(
        self,
        obj: dict[str, Any],
        table: str,
        columns: Iterable[Column],
        *,
        into: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """The row values of ``obj`` for ``columns`` of ``table``; a value ISPyB cannot hold
        as it is becomes a problem (text) or a loss (vocabulary)."""
        row = into if into is not None else {}
        for column in columns:
            value = get_field(obj, column.field)
            if value is None or isinstance(value, (dict, list)):
                continue
            converted, loss = to_ispyb(column, value)
            if loss:
                self.report.losses.append(
                    f"{named(obj)}: {column.field} {loss}: {table}.{column.column} left empty"
                )
                continue
            if isinstance(converted, str):
                why = self.ispyb.check_text(table, column.column, converted)
                if why:
                    self.problems.append(f"{named(obj)}: {column.field}: {why}")
                    continue
            row[column.column] = converted
        return row

    def text(self, obj: dict[str, Any], label: str, table: str, column: str, value: str) -> None:
        why = self.ispyb.check_text(table, column, value)
        if why:
            self.problems.append(f"{named(obj)}: {label}: {why}")

    def losses_of(self, obj: dict[str, Any], kept: Iterable[str], *, declared: bool = True) -> None:
        """Report each data field of ``obj`` that no declared column of its type's table (with
        ``declared``) nor ``kept`` holds."""
        table = mapping().tables.get(obj["mxlimsType"]) if declared else None
        held = {c.field.split(".")[0] for c in table.columns} if table else set()
        held |= set(kept)
        for name in sorted(obj):
            if name in _NOT_DATA or is_link(name) or name in held:
                continue
            if name == "extensions":
                domains = ", ".join(sorted(obj["extensions"]))
                self.report.losses.append(f"{named(obj)}: extensions ({domains}): no ISPyB column")
            else:
                self.report.losses.append(f"{named(obj)}: {name}: no ISPyB column")


def existing(conn: sa.Connection, ispyb: Ispyb, table: str, ids: Iterable[int]) -> dict[int, Any]:
    """The rows of ``table`` with these ids (one query)."""
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    t = ispyb.t(table)
    key = t.primary_key.columns[0]
    return {
        row._mapping[key.name]: row for row in conn.execute(sa.select(t).where(key.in_(wanted)))
    }


def new_id(result: sa.CursorResult[Any]) -> int:
    """The id MariaDB gave the row just inserted."""
    key = result.inserted_primary_key
    assert key is not None  # an INSERT of one row always has one
    return int(key[0])


def put(
    conn: sa.Connection,
    ispyb: Ispyb,
    report: PushReport,
    table: str,
    values: dict[str, Any],
    row: Any | None,
    *,
    created: dict[str, Any] | None = None,
) -> int:
    """Insert ``values`` (and ``created``: a new row's time stamps) as a new row of ``table``,
    or update ``row`` where they differ; the id."""
    t = ispyb.t(table)
    key = t.primary_key.columns[0]
    if row is None:
        result = conn.execute(t.insert().values(**values, **(created or {})))
        report.created[table] += 1
        return new_id(result)
    current = row._mapping
    changed = {k: v for k, v in values.items() if not _same(current.get(k), v, (table, k), ispyb)}
    if changed:
        conn.execute(t.update().where(key == current[key.name]).values(**changed))
        report.updated[table] += 1
    return int(current[key.name])


def _same(stored: Any, wanted: Any, column: tuple[str, str], ispyb: Ispyb) -> bool:
    if stored is None or wanted is None:
        return stored is wanted
    if isinstance(wanted, float) or column in ispyb.float_columns:
        try:
            import struct

            if column in ispyb.float_columns:
                return bool(struct.pack("<f", float(stored)) == struct.pack("<f", float(wanted)))
            return float(stored) == float(wanted)
        except (TypeError, ValueError):
            return False
    return bool(str(stored) == str(wanted)) if isinstance(stored, str) else bool(stored == wanted)
