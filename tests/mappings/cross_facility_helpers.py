"""What a sheet converted to another facility's must lose, derived from the target's column list
independently of the exporter, and the checks that everything else arrives."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

from mxlims_store.errors import SheetProblem
from mxlims_store.mappings import get_site, list_sites
from mxlims_store.mappings.exporter import Loss
from tests.mappings.mapping_helpers import chains

_STRUCTURAL = {"mxlimsType", "uuid"}


def expected_losses(msg: dict[str, Any], target: str) -> set[tuple[str, str]]:
    """(object key, field) of every value the target sheet cannot hold, derived from its
    column list independently of the exporter."""
    sf = get_site(target)
    mapped = {tuple(c.field.split(".")[:2]) for c in sf.columns if c.field}
    # controlled cells as another facility's sheet wrote them: carried with the value they
    # spell wherever the target has a column for it (open vocabularies)
    by_domain = {s.domain: s for s in list_sites()}

    def carried(domain: str, name: str) -> bool:
        source = by_domain.get(domain)
        if source is None or not name.endswith(" (as written)"):
            return False
        col = source.column(name.removesuffix(" (as written)"))
        return bool(col and col.field and tuple(col.field.split(".")[:2]) in mapped)

    ext_headers = {c.header for c in sf.columns}
    rank: dict[str, int] = {}
    if not sf.has_position_column:
        per_puck: dict[str, list[tuple[int, str]]] = {}
        for t in ("Pin", "MultiPin"):
            for k, o in msg.get(t, {}).items():
                per_puck.setdefault(o["containerRef"]["$ref"], []).append((o["positionInPuck"], k))
        for items in per_puck.values():
            for i, (_, k) in enumerate(sorted(items), start=1):
                rank[k] = i
    off_rows = set() if sf.maps("PinPosition", "positionInPin") else second_sub_positions(msg)
    first_dewar = next(iter(msg["Dewar"].values()))
    lost: set[tuple[str, str]] = set()
    for type_, bucket in msg.items():
        if type_ == "version":
            continue
        for key, obj in bucket.items():
            for fld, value in obj.items():
                if fld in _STRUCTURAL or fld.endswith(("Ref", "Refs")) or value in ("", None):
                    continue
                if fld == "extensions":
                    for domain, entries in value.items():
                        for name in entries:
                            if carried(domain, name):
                                continue
                            if domain != sf.domain or name not in ext_headers:
                                lost.add((key, f"extensions[{domain}].{name}"))
                    continue
                if type_ in ("MxExperiment", "MxProcessing") and fld == "jobStatus":
                    continue  # "Template": what every sheet row is
                if type_ == "CollectionSweep" and fld == "scanAxis":
                    continue  # "omega", the importer's default
                if key in off_rows:
                    lost.add((key, fld))  # one row per multi-position pin: the first's
                    continue
                if (
                    type_ == "Shipment"
                    and fld == "name"
                    and ("Shipment", "name") not in mapped
                    and value in (first_dewar.get("barcode"), first_dewar.get("name"))
                ):
                    continue  # the importer names a shipment after its first dewar
                if fld == "positionInPuck" and rank.get(key) == value:
                    continue  # row order reproduces it
                if (
                    type_ == "Macromolecule"
                    and fld == "acronym"
                    and value == obj.get("name")
                    and ("Macromolecule", "name") in mapped
                ):
                    continue  # derived from the name on import
                if (
                    type_ == "MultiPin"
                    and fld == "numberPositions"
                    and value == sf.capacities.multipin
                ):
                    continue
                lookup_type = "Pin" if type_ == "MultiPin" else type_
                if (lookup_type, fld) in mapped and not (
                    type_ == "MultiPin" and fld not in ("barcode", "positionInPuck")
                ):
                    continue  # (an unlisted controlled value is carried verbatim)
                lost.add((key, fld))
    return lost


def second_sub_positions(msg: dict[str, Any]) -> set[str]:
    """Keys of what sits on a multi-position pin's sub-positions after its first: a sheet
    without a sub-position column has one row per pin, so all of it is lost."""
    first: dict[str, tuple[int, str]] = {}
    for key, pp in msg.get("PinPosition", {}).items():
        mp = pp["containerRef"]["$ref"]
        if mp not in first or pp["positionInPin"] < first[mp][0]:
            first[mp] = (pp["positionInPin"], key)
    keep = {key for _, key in first.values()}
    dropped = {f"#/PinPosition/{k}" for k in msg.get("PinPosition", {}) if k not in keep}
    out = {ref.rsplit("/", 1)[1] for ref in dropped}
    samples = {
        msg["PinPosition"][k]["sampleRef"]["$ref"]
        for k in out
        if "sampleRef" in msg["PinPosition"][k]
    }
    out |= {s.rsplit("/", 1)[1] for s in samples}
    for type_ in ("MxExperiment", "MxProcessing"):
        for key, job in msg.get(type_, {}).items():
            if job.get("logisticalSampleRef", {}).get("$ref") in dropped:
                out.add(key)
                out |= {t["$ref"].rsplit("/", 1)[1] for t in job.get("templateDataRefs", [])}
    return out


def loss_keys(losses: list[Loss]) -> set[tuple[str, str]]:
    return {(loss.key, loss.field) for loss in losses}


def assert_target_keeps_what_it_can_hold(
    msg: dict[str, Any], back: dict[str, Any], target: str, lost: set[tuple[str, str]]
) -> None:
    """Every value of ``msg`` that a column of ``target`` holds, and that is not reported lost,
    is in ``back`` (the exported sheet read by the target's importer) on the same sample."""
    sf = get_site(target)
    a, b = chains(msg), chains(back)
    compared = 0
    for sample, roles in a.items():
        if sample not in b:  # a second sub-position of a multi-position pin: one row per pin
            continue
        for col in sf.columns:
            if not col.field:
                continue
            type_, fld = col.field.split(".")[:2]
            role = "MultiPin" if type_ == "Pin" and "MultiPin" in roles else type_
            if role not in roles:
                continue
            key, obj = roles[role]
            if obj.get(fld) in (None, "") or (key, fld) in lost:
                continue
            if fld == "positionInPuck" and not sf.has_position_column:
                continue
            back_role = role if role in b[sample] else "Pin"  # a MultiPin comes back as a Pin
            got = b[sample][back_role][1].get(fld)
            assert equal(obj[fld], got), (sample, col.field, obj[fld], got)
            compared += 1
    assert compared > 0


def fill_required(target: str, content: bytes, warnings: list[SheetProblem]) -> bytes:
    """What a user would do before sending: fill the empty required cells, drop the second row
    of a multi-position pin the sheet cannot express."""
    if not warnings:
        return content
    sf = get_site(target)
    rows = list(csv.reader(io.StringIO(content.decode())))
    header = rows[0]
    drop = {w.row for w in warnings if w.column is None}
    slots: dict[tuple[str, str], int] = {}
    for w in warnings:
        if w.column is None or w.row is None:
            continue
        col = sf.column(w.column)
        assert col is not None
        row = rows[w.row - 1]
        j = header.index(col.header)
        if row[j]:
            continue  # a controlled cell written in the target's spelling (or verbatim)
        if col.field == "Puck.positionInDewar":
            dewar = next(c for c in sf.columns if c.field and c.field.startswith("Dewar."))
            puck = next(
                c for c in sf.columns if c.field and c.field.startswith("Puck.") and c.required
            )
            d, p = row[header.index(dewar.header)], row[header.index(puck.header)]
            slots.setdefault((d, p), 1 + sum(1 for k in slots if k[0] == d))
            row[j] = str(slots[(d, p)])
        elif col.transform == "digits_part" or col.transform == "int":
            row[j] = "1"
        else:
            row[j] = "unipuck" if col.field == "Puck.puckType" else "mx"
    kept = [r for i, r in enumerate(rows, start=1) if i not in drop]
    buf = io.StringIO()
    csv.writer(buf).writerows(kept)
    return buf.getvalue().encode()


def equal(x: Any, y: Any) -> bool:
    if isinstance(x, float | int) and isinstance(y, float | int):
        return math.isclose(x, y)
    if isinstance(x, dict) and isinstance(y, dict):
        return x.keys() == y.keys() and all(equal(x[k], y[k]) for k in x)
    if isinstance(x, list) and isinstance(y, list):
        return len(x) == len(y) and all(equal(p, q) for p, q in zip(x, y, strict=True))
    return bool(x == y)
