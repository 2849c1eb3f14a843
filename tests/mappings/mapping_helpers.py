"""Helpers for the facility-sheet tests (imported as a plain module)."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

from mxlims_store.mappings import get_site, read_sheet, write_sheet
from mxlims_store.mappings.headers import normalise_header
from mxlims_store.mappings.sites import SiteFormat
from mxlims_store.mappings.tabular import read_table

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures" / "sheets"

SITES = ("dls", "esrf", "maxiv", "petraiii", "sls", "soleil")
FIXTURE_FILES = {
    "dls": "dls_shipment.csv",
    "esrf": "esrf_shipment.csv",
    "maxiv": "maxiv_shipment.csv",
    "petraiii": "petraiii_shipment.csv",
    "sls": "sls_shipment.xlsx",
    "soleil": "soleil_shipment.csv",
}


def fixture(site: str) -> tuple[bytes, str]:
    name = FIXTURE_FILES[site]
    return (FIXTURES / name).read_bytes(), name


Table = list[list[str]]


def table(site: str) -> Table:
    """The facility's fixture as a CSV table to edit (the SLS workbook through a CSV copy)."""
    data, name = fixture(site)
    if name.endswith(".xlsx"):
        data = write_sheet(site, read_sheet(site, data, filename=name)).content
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"))))


def dump(rows: Table) -> bytes:
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    return buf.getvalue().encode()


def sheet_rows(
    site: str | SiteFormat, data: bytes, filename: str | None = None
) -> list[dict[str, str]]:
    """Data rows of a sheet as {facility header: cell text} (header row found by its headers)."""
    sf = get_site(site)
    table = read_table(data, filename)
    for i, (_, cells) in enumerate(table):
        matched = [sf.column(c) for c in cells]
        if sum(m is not None for m in matched) >= 3:
            headers = [
                m.header if m else normalise_header(c) for m, c in zip(matched, cells, strict=True)
            ]
            return [
                {h: cells[j] if j < len(cells) else "" for j, h in enumerate(headers) if h}
                for _, cells in table[i + 1 :]
                if any(cells)
            ]
    raise AssertionError("no header row")


def same_cell(a: str, b: str) -> bool:
    """Equal as the user means it: numbers by value, lists of numbers item by item."""
    if a == b:
        return True
    pa, pb = a.replace(",", " ").split(), b.replace(",", " ").split()
    if len(pa) != len(pb) or not pa:
        return False
    try:
        return all(
            math.isclose(float(x), float(y), rel_tol=1e-9) for x, y in zip(pa, pb, strict=True)
        )
    except ValueError:
        return a.strip().lower() == b.strip().lower()


def resolve(msg: dict[str, Any], link: Any) -> tuple[str, str, dict[str, Any]] | None:
    if not isinstance(link, dict) or "$ref" not in link:
        return None
    _, type_, key = link["$ref"].split("/")
    return type_, key, msg[type_][key]


def chains(msg: dict[str, Any]) -> dict[str, dict[str, tuple[str, dict[str, Any]]]]:
    """Per sample name: {role: (key, object)} for every object on that sample's row."""
    out: dict[str, dict[str, tuple[str, dict[str, Any]]]] = {}
    holders: dict[str, tuple[str, str, dict[str, Any]]] = {}
    for type_ in ("Pin", "PinPosition"):
        for key, obj in msg.get(type_, {}).items():
            s = resolve(msg, obj.get("sampleRef"))
            if s:
                holders[s[1]] = (type_, key, obj)
    for s_key, sample in msg.get("MacromoleculeSample", {}).items():
        row: dict[str, tuple[str, dict[str, Any]]] = {"MacromoleculeSample": (s_key, sample)}
        mm = resolve(msg, sample.get("parentSampleRef"))
        if mm:
            row["Macromolecule"] = (mm[1], mm[2])
        holder = holders.get(s_key)
        if holder:
            row[holder[0]] = (holder[1], holder[2])
            pin_like = holder
            if holder[0] == "PinPosition":
                mp = resolve(msg, holder[2].get("containerRef"))
                assert mp
                row["MultiPin"] = (mp[1], mp[2])
                pin_like = mp
            puck = resolve(msg, pin_like[2].get("containerRef"))
            if puck:
                row["Puck"] = (puck[1], puck[2])
                dewar = resolve(msg, puck[2].get("containerRef"))
                if dewar:
                    row["Dewar"] = (dewar[1], dewar[2])
                    ship = resolve(msg, dewar[2].get("containerRef"))
                    if ship:
                        row["Shipment"] = (ship[1], ship[2])
            for job_type in ("MxExperiment", "MxProcessing"):
                for j_key, job in msg.get(job_type, {}).items():
                    ls = resolve(msg, job.get("logisticalSampleRef"))
                    if ls and ls[1] == holder[1]:
                        row[job_type] = (j_key, job)
                        for t in (
                            job.get("templateDataRefs", []) if job_type == "MxExperiment" else []
                        ):
                            sw = resolve(msg, t)
                            if sw:
                                row["CollectionSweep"] = (sw[1], sw[2])
        out[str(sample.get("name"))] = row
    return out


_imported: dict[str, dict[str, Any]] = {}


def imported(site: str) -> dict[str, Any]:
    """The facility's own realistic sheet read into MXLIMS, once per test session."""
    if site not in _imported:
        data, name = fixture(site)
        _imported[site] = read_sheet(site, data, filename=name)
    return _imported[site]


# The smallest site files the loader accepts, to build test facilities from
BASE = 'name = "X"\ndomain = "x.org"\n[[columns]]\nheader = "Dewar"\nfield = "Dewar.name"\n'
KIND = '[[columns]]\nheader = "Kind"\nfield = "MxExperiment.experimentStrategy"\n'
