"""Each facility's realistic sheet -> MXLIMS -> the same and every other facility's sheet."""

from __future__ import annotations

import csv
import io
import math
from typing import Any

import pytest

from mxlims_store.errors import SheetProblem
from mxlims_store.mappings import get_site, list_sites, read_sheet, write_sheet
from mxlims_store.mappings.exporter import Loss
from tests.conftest import conformance_errors, needs_shared
from tests.mappings.mapping_helpers import SITES, chains, fixture, same_cell, sheet_rows

_cache: dict[str, dict[str, Any]] = {}


def imported(site: str) -> dict[str, Any]:
    if site not in _cache:
        data, name = fixture(site)
        _cache[site] = read_sheet(site, data, filename=name)
    return _cache[site]


def sample_column(site: str) -> str:
    return next(c.header for c in get_site(site).columns if c.field == "MacromoleculeSample.name")


@needs_shared
@pytest.mark.parametrize("site", SITES)
def test_fixture_imports_to_a_valid_message(site: str) -> None:
    msg = imported(site)
    assert msg["version"] == "0.6.13"
    assert conformance_errors(msg, "MxlimsMessageStrict", patched=True) == []
    assert len(msg["Shipment"]) == 1
    assert len(msg["Dewar"]) >= 2 and len(msg["Puck"]) >= 3
    assert len(msg.get("Pin", {})) + len(msg.get("PinPosition", {})) >= 10
    assert len(msg["Macromolecule"]) >= 3
    n = len(msg["MacromoleculeSample"])
    assert len(msg["MxExperiment"]) == len(msg["CollectionSweep"]) == n
    uuids = [o["uuid"] for t, b in msg.items() if t != "version" for o in b.values()]
    assert len(set(uuids)) == len(uuids)
    for t, bucket in msg.items():
        if t != "version":
            assert list(bucket) == [f"{t}{i}" for i in range(1, len(bucket) + 1)]
    for exp in msg["MxExperiment"].values():
        assert exp["jobStatus"] == "Template"
        assert exp["templateDataRefs"][0]["$ref"].startswith("#/CollectionSweep/")
        assert exp["logisticalSampleRef"]["$ref"].startswith(("#/Pin/", "#/PinPosition/"))
    sf = get_site(site)
    if any(c.object_type == "MxProcessing" for c in sf.columns):
        assert msg.get("MxProcessing")
    if any(c.field is None for c in sf.columns):
        assert any(
            sf.domain in o.get("extensions", {})
            for t, b in msg.items()
            if t != "version"
            for o in b.values()
        )


def test_dedup_and_structure_dls() -> None:
    msg = imported("dls")
    ship = msg["Shipment"]["Shipment1"]
    assert ship["proposalCode"] == "mx23456" and ship["sessionNumber"] == 3
    assert {d["barcode"] for d in msg["Dewar"].values()} == {"DLS-MX-0101", "DLS-MX-0102"}
    assert {m["acronym"] for m in msg["Macromolecule"].values()} == {
        "HEWL",
        "THAU",
        "PRK",
        "TLN",
        "GI",
        "TRP",
    }
    # subLocation rows: one MultiPin at that puck position holding two PinPositions
    (mp,) = msg["MultiPin"].values()
    assert mp["positionInPuck"] == 7 and mp["numberPositions"] == 8
    assert sorted(p["positionInPin"] for p in msg["PinPosition"].values()) == [1, 2]
    sweep = msg["CollectionSweep"]["CollectionSweep1"]
    assert sweep["energy"] == 12658.0  # keV in the sheet, eV in MXLIMS
    assert msg["MxExperiment"]["MxExperiment1"]["extensions"]["diamond.ac.uk"] == {
        "centringMethod": "xray"
    }


def test_sls_space_group_number_and_cell_in_one_cell() -> None:
    exp = imported("sls")["MxExperiment"]["MxExperiment1"]
    assert exp["expectedSpaceGroupName"] == "P43212"
    assert exp["expectedUnitCell"] == {
        "a": 79.1,
        "b": 79.1,
        "c": 37.9,
        "alpha": 90.0,
        "beta": 90.0,
        "gamma": 90.0,
    }
    sample = imported("sls")["MacromoleculeSample"]["MacromoleculeSample1"]
    assert sample["campaignName"] == "FFCS"


def test_row_order_positions_esrf() -> None:
    msg = imported("esrf")
    by_puck: dict[str, list[int]] = {}
    for pin in msg["Pin"].values():
        by_puck.setdefault(pin["containerRef"]["$ref"], []).append(pin["positionInPuck"])
    assert sorted(by_puck.values()) == [[1, 2], [1, 2, 3, 4], [1, 2, 3, 4], [1, 2, 3, 4]]
    beam = msg["CollectionSweep"]["CollectionSweep1"]["beamSize"]
    assert beam == [0.05, 0.05]  # 50 um diameter -> mm pair


@pytest.mark.parametrize("fmt", ["csv", "tsv", "xlsx"])
@pytest.mark.parametrize("site", SITES)
def test_same_facility_round_trip(site: str, fmt: str) -> None:
    data, name = fixture(site)
    out = write_sheet(site, imported(site), fmt=fmt)
    assert out.losses == []
    assert out.warnings == []
    key = sample_column(site)
    original = {r[key]: r for r in sheet_rows(site, data, name)}
    exported = {r[key]: r for r in sheet_rows(site, out.content, f"x.{fmt}")}
    assert original.keys() == exported.keys()
    for sample, row in original.items():
        for header, cell in row.items():
            back = exported[sample][header]
            assert same_cell(cell, back), (sample, header, cell, back)
    # ... and the exported sheet imports again to the same values
    again = read_sheet(site, out.content, filename=f"x.{fmt}")
    assert_same_values(imported(site), again, site)


def strip(obj: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in obj.items() if k != "uuid" and not k.endswith(("Ref", "Refs"))}


def assert_same_values(a: dict[str, Any], b: dict[str, Any], site: str) -> None:
    ca, cb = chains(a), chains(b)
    assert ca.keys() == cb.keys()
    for sample, roles in ca.items():
        assert roles.keys() == cb[sample].keys()
        for role, (_, obj) in roles.items():
            assert strip(obj) == strip(cb[sample][role][1]), (site, sample, role)


# -- cross-facility ---------------------------------------------------------------------------

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


PAIRS = [(a, b) for a in SITES for b in SITES if a != b]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_cross_facility_losses_are_exactly_the_unmapped_values(source: str, target: str) -> None:
    msg = imported(source)
    out = write_sheet(target, msg)
    assert loss_keys(out.losses) == expected_losses(msg, target)
    for loss in out.losses:
        obj = msg[loss.object_type][loss.key]
        assert loss.uuid == obj["uuid"] and loss.reason
    # every required cell the message cannot fill is named, with its row
    sf = get_site(target)
    for w in out.warnings:
        assert w.row is not None and w.row >= 2
        if w.column is None:  # a multi-position pin the target sheet cannot express
            assert "multi-position pin" in w.message and msg.get("MultiPin")
            continue
        col = sf.column(w.column)
        # a required cell left empty, or a controlled cell whose text changes
        assert col is not None and (col.required or col.values is not None)
    # what the target maps survives: re-read the exported sheet (its empty required cells
    # filled in, as the user would) and compare
    back = read_sheet(target, fill_required(target, out.content, out.warnings))
    assert_target_keeps_what_it_can_hold(msg, back, target, loss_keys(out.losses))


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


def test_cross_facility_spot_checks() -> None:
    # DLS -> SLS: space group name becomes the IT number, cell six numbers in one cell; barcodes
    # stand in for the names SLS identifies dewars and pucks by, and are reported.
    out = write_sheet("sls", imported("dls"))
    row = sheet_rows("sls", out.content)[0]
    assert row["Space Group Number [1x int]"] == "96"
    assert row["Cell Parameters [6x real number]"] == "79.1 79.1 37.9 90 90 90"
    assert row["DewarName*"] == "DLS-MX-0101"
    reasons = {(loss.object_type, loss.field): loss.reason for loss in out.losses}
    assert "DewarName" in reasons[("Dewar", "barcode")]
    assert reasons[("Shipment", "proposalCode")].startswith("the Swiss Light Source sheet has no")
    assert (
        "another facility" in reasons[("MxExperiment", "extensions[diamond.ac.uk].centringMethod")]
    )
    # SLS -> MAX IV: SLS-only processing options are extensions of psi.ch: lost and named
    out = write_sheet("maxiv", imported("sls"))
    fields = {loss.field for loss in out.losses}
    assert "extensions[psi.ch].PDB Model [str]" in fields
    assert "programName" in fields and "priority" in fields
    # ESRF -> MAX IV: everything ESRF holds has a MAX IV column, and every ESRF experiment kind
    # is an ISPyB kind MAX IV knows (MXScore too: canonical Characterisation), spelled alike
    out = write_sheet("maxiv", imported("esrf"))
    assert out.losses == [] and out.warnings == []
    kinds = [r["experimentType"] for r in sheet_rows("maxiv", out.content)]
    original = [r["experimentType"] for r in sheet_rows("esrf", fixture("esrf")[0])]
    assert kinds == original
    # PETRA III -> DLS: DLS holds the PETRA III columns and more
    assert write_sheet("dls", imported("petraiii")).losses == []
    # DLS -> ESRF: no position column; the gaps in DLS puck positions cannot be kept
    out = write_sheet("esrf", imported("dls"))
    pos = [loss for loss in out.losses if loss.field == "positionInPuck"]
    assert {loss.value for loss in pos} == {5, 16, 7, 8}
    assert all("row" in loss.reason or "column" in loss.reason for loss in pos)


def test_losses_for_values_no_sheet_can_hold() -> None:
    msg = imported("maxiv")
    msg = {t: ({k: dict(o) for k, o in b.items()} if t != "version" else b) for t, b in msg.items()}
    sweep = msg["CollectionSweep"]["CollectionSweep1"]
    sweep["beamSize"] = [0.05, 0.02]
    exp = msg["MxExperiment"]["MxExperiment1"]
    exp["expectedSpaceGroupName"] = "P21221"
    exp["extensions"] = {"maxiv.lu.se": {"unknown thing": 1}}
    msg["MxExperiment"]["MxExperiment99"] = {
        "mxlimsType": "MxExperiment",
        "uuid": exp["uuid"][:-1] + "0",
    }
    msg["MxExperiment"]["MxExperiment99"]["doseBudget"] = 5.0
    out = write_sheet("maxiv", msg)
    got = {(loss.key, loss.field): loss.reason for loss in out.losses}
    assert "beam diameter" in got[("CollectionSweep1", "beamSize")]
    assert (
        "no 'unknown thing' column"
        in got[("MxExperiment1", "extensions[maxiv.lu.se].unknown thing")]
    )
    assert "not on any pin row" in got[("MxExperiment99", "doseBudget")]
    assert ("MxExperiment1", "expectedSpaceGroupName") not in got  # MAX IV writes names
    out = write_sheet("sls", msg)
    got = {(loss.key, loss.field): loss.reason for loss in out.losses}
    assert "setting" in got[("MxExperiment1", "expectedSpaceGroupName")]
    assert sheet_rows("sls", out.content)[0]["Space Group Number [1x int]"] == "18"
