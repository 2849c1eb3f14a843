"""Controlled vocabularies: facility spellings <-> the canonical MXLIMS terms of vocabularies.py."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest

from mxlims_store.errors import MappingError, SheetProblem
from mxlims_store.mappings import (
    get_site,
    load_site_file,
    read_sheet,
    write_sheet,
)
from mxlims_store.mappings.sites import ColumnFormat
from tests.mappings.mapping_helpers import (
    BASE,
    KIND,
    SITES,
    Table,
    dump,
    fixture,
    imported,
    sheet_rows,
    table,
)

README = Path(__file__).resolve().parents[2] / "mxlims_store" / "mappings" / "README.md"


def setcell(rows: Table, line: int, header: str, value: str) -> None:
    rows[line - 1][rows[0].index(header)] = value


def controlled(site: str) -> list[ColumnFormat]:
    return [c for c in get_site(site).columns if c.values is not None]


def one_row(site: str, header: str, value: str) -> bytes:
    """The fixture's header and first sample row, with ``value`` under ``header``."""
    rows = table(site)[:2]
    setcell(rows, 2, header, value)
    return dump(rows)


def field_value(msg: dict[str, Any], col: ColumnFormat) -> Any:
    type_, fld = (col.field or "").split(".")
    (obj,) = msg[type_].values()
    return obj.get(fld)


ENTRIES = [
    pytest.param(site, col.header, spelling, term, id=f"{site}:{col.header}:{spelling}")
    for site in SITES
    for col in controlled(site)
    for spelling, term in (col.values.pairs if col.values else ())
]


# -- each entry: facility -> MXLIMS -> facility ------------------------------------------------


@pytest.mark.parametrize(("site", "header", "spelling", "term"), ENTRIES)
def test_every_vocabulary_entry_round_trips(
    site: str, header: str, spelling: str, term: str
) -> None:
    col = get_site(site).column(header)
    assert col is not None and col.values is not None
    msg = read_sheet(site, one_row(site, header, spelling))
    assert field_value(msg, col) == term  # the canonical term, not the facility's spelling
    out = write_sheet(site, msg)
    assert out.losses == [] and out.warnings == []
    (row,) = sheet_rows(site, out.content)
    assert row[header] == spelling  # back to the facility as the user wrote it
    # ... and read again it is the same term
    assert field_value(read_sheet(site, out.content), col) == term
    # a message from elsewhere (no cell as written) gets the facility's first spelling
    for obj in (o for bucket in msg.values() if isinstance(bucket, dict) for o in bucket.values()):
        obj.pop("extensions", None)
    (row,) = sheet_rows(site, write_sheet(site, msg).content)
    assert row[header] == next(s for s, t in col.values.pairs if t == term)


def test_the_fixtures_use_each_facilitys_own_spellings() -> None:
    kinds = {
        site: {r[c.header] for r in sheet_rows(site, *fixture(site))}
        for site in SITES
        for c in controlled(site)
        if c.field == "MxExperiment.experimentStrategy"
    }
    assert {"Default", "Ligand binding", "MAD"} <= kinds["dls"]
    assert {"MXPressE", "MXPressA", "MXScore", "Helical"} <= kinds["esrf"]
    assert {"Standard", "Screening"} <= kinds["sls"]
    assert {"Standard collection", "Characterization"} <= kinds["soleil"]
    assert not kinds["dls"] & {"MXPressE", "MXPressA", "Helical"}


def test_spellings_compare_ignoring_case_blanks_underscores_and_hyphens() -> None:
    msg = read_sheet("dls", one_row("dls", "experimentKind", " ligand_BINDING "))
    assert msg["MxExperiment"]["MxExperiment1"]["experimentStrategy"] == "LigandBinding"
    msg = read_sheet("sls", one_row("sls", "PuckType*", "UNIPUCK"))
    assert msg["Puck"]["Puck1"]["puckType"] == "Unipuck"
    msg = read_sheet("soleil", one_row("soleil", "Experiment Type", "standard-collection"))
    assert msg["MxExperiment"]["MxExperiment1"]["experimentStrategy"] == "OSC"


# -- across facilities: the meaning travels, the spelling does not -------------------------------


def test_the_same_meaning_gets_each_facilitys_spelling() -> None:
    def kind_at(source: str, spelling: str, target: str) -> str:
        header = next(
            c.header for c in controlled(source) if c.field == "MxExperiment.experimentStrategy"
        )
        msg = read_sheet(source, one_row(source, header, spelling))
        out = write_sheet(target, msg)
        assert not [x for x in out.losses if x.field == "experimentStrategy"]
        target_header = next(
            c.header for c in controlled(target) if c.field == "MxExperiment.experimentStrategy"
        )
        return sheet_rows(target, out.content)[0][target_header]

    assert kind_at("sls", "Standard", "dls") == "OSC"
    assert kind_at("dls", "OSC", "soleil") == "Standard collection"
    assert kind_at("soleil", "Characterization", "esrf") == "MXScore"
    assert kind_at("esrf", "MXScore", "sls") == "Screening"
    assert kind_at("dls", "Default", "maxiv") == "Default"


PAIRS = [
    (a, b)
    for a in SITES
    for b in SITES
    if a != b and {c.field for c in controlled(a)} & {c.field for c in controlled(b)}
]


@pytest.mark.parametrize(("source", "target"), PAIRS, ids=[f"{a}-to-{b}" for a, b in PAIRS])
def test_a_term_without_counterpart_is_carried_verbatim_with_a_warning(
    source: str, target: str
) -> None:
    """Every spelling of the source, exported to the target: the target's spelling of its
    meaning, else the MXLIMS value as it is; a warning whenever the cell's text changes."""
    checked = 0
    for col in controlled(source):
        target_col = next((c for c in controlled(target) if c.field == col.field), None)
        if target_col is None:
            continue
        assert col.values is not None and target_col.values is not None
        for spelling, term in col.values.pairs:
            msg = read_sheet(source, one_row(source, col.header, spelling))
            out = write_sheet(target, msg)
            cell = sheet_rows(target, out.content)[0][target_col.header]
            fld = (target_col.field or "").split(".")[1]
            assert [x for x in out.losses if x.field == fld] == []
            assert cell == (target_col.values.spelling(term) or term)
            warned = [w for w in out.warnings if w.column == target_col.header]
            listed = target_col.values.spelling(term) is not None
            assert bool(warned) == (cell != spelling or not listed), (spelling, cell, warned)
            checked += 1
    assert checked > 0


def test_no_counterpart_examples() -> None:
    # ESRF's MXPressE workflow: an ISPyB kind, so DLS (an ISPyB site) knows it
    out = write_sheet("dls", imported("esrf"))
    by_sample = {r["sampleName"]: r for r in sheet_rows("dls", out.content)}
    assert by_sample["hewl_1102"]["experimentKind"] == "MXPressE"
    assert not [x for x in out.losses if x.field == "experimentStrategy"]
    # a DLS "Ligand binding" experiment: ISPyB's spelling at ESRF too
    out = write_sheet("esrf", imported("dls"))
    kinds = {r["sample acronym"]: r["experimentType"] for r in sheet_rows("esrf", out.content)}
    assert kinds["prk_1202"] == "Ligand binding" and kinds["hewl_1101"] == "OSC"
    # a SOLEIL MicroMesh: DLS lists no such loop; carried verbatim, with a warning naming it
    out = write_sheet("dls", imported("soleil"))
    loops = {r["sampleName"]: r["loopType"] for r in sheet_rows("dls", out.content)}
    assert loops["prk_1201"] == "MicroMesh" and loops["hewl_1102"] == "MiTeGen"
    said = [w for w in out.warnings if "'MicroMesh'" in w.message]
    assert said and all(w.column == "loopType" and "as it is" in w.message for w in said)
    assert not [x for x in out.losses if x.field == "loopType"]


def test_a_message_value_outside_every_list_is_written_as_it_is() -> None:
    msg = copy.deepcopy(imported("esrf"))
    msg["MxExperiment"]["MxExperiment1"]["experimentStrategy"] = "GPhL.SAD.advanced"
    msg["MxExperiment"]["MxExperiment2"]["experimentStrategy"] = "mxpresse"  # a term, any case
    out = write_sheet("esrf", msg)
    rows = sheet_rows("esrf", out.content)
    assert rows[0]["experimentType"] == "GPhL.SAD.advanced"
    assert rows[1]["experimentType"] == "MXPressE"
    assert out.losses == []
    first, second = (w for w in out.warnings if w.column == "experimentType")
    assert first.row == 2 and "'GPhL.SAD.advanced' is not one of the values" in first.message
    assert second.row == 3 and "'mxpresse' written as 'MXPressE'" in second.message


# -- unknown values at import --------------------------------------------------------------------


def test_an_unlisted_experiment_kind_passes_through_with_a_warning() -> None:
    rows = table("dls")
    setcell(rows, 4, "experimentKind", "GPhL workflow")
    setcell(rows, 5, "experimentKind", "MXPressO")  # not DLS's list, but ISPyB's enumeration
    warnings: list[SheetProblem] = []
    msg = read_sheet("dls", dump(rows), warnings=warnings)
    (w,) = warnings
    assert (w.row, w.column) == (4, "experimentKind")
    assert "'GPhL workflow'" in w.message and "Ligand binding" in w.message
    kinds = {e["experimentStrategy"] for e in msg["MxExperiment"].values()}
    assert {"GPhL workflow", "MXPressO"} <= kinds
    out = write_sheet("dls", msg)
    assert out.losses == [] and out.warnings == []
    assert [r["experimentKind"] for r in sheet_rows("dls", out.content)] == [
        r["experimentKind"] for r in sheet_rows("dls", dump(rows))
    ]
    # to SOLEIL: written as it is (SOLEIL lists neither), with a warning each
    out = write_sheet("soleil", msg)
    said = {w.message.split("'")[1] for w in out.warnings if w.column == "Experiment Type"}
    assert {"GPhL workflow", "MXPressO"} <= said


def test_a_closed_column_refuses_what_it_does_not_list(tmp_path: Path) -> None:
    toml = tmp_path / "closed.toml"
    toml.write_text(
        BASE.replace("x.org", "closed.example.org")
        + '[[columns]]\nheader = "Puck"\nfield = "Puck.name"\n'
        + '[[columns]]\nheader = "Protein"\nfield = "Macromolecule.acronym"\n'
        + KIND
        + 'closed = true\n[columns.values]\n"Native" = "OSC"\n'
    )
    site = load_site_file(toml)
    with pytest.raises(MappingError) as exc:
        read_sheet(site, b"Dewar,Puck,Protein,Kind\nD1,P1,HEWL,SAD\n")
    (p,) = exc.value.problems
    assert (p.row, p.column) == (2, "Kind") and "use one of: Native" in p.message
    out = write_sheet(site, read_sheet("esrf", fixture("esrf")[0]))
    lost = {x.value for x in out.losses if x.field == "experimentStrategy"}
    assert "MXPressE" in lost and "OSC" not in lost


def test_an_unknown_puck_type_needs_its_number_of_positions() -> None:
    rows = table("esrf")
    puck = rows[1][rows[0].index("container name")]
    lines = [n for n, r in enumerate(rows, start=1) if n > 1 and puck in r]
    for line in lines:
        setcell(rows, line, "container type", "Cassette")
        setcell(rows, line, "number of positions", "")
    with pytest.raises(MappingError) as exc:
        read_sheet("esrf", dump(rows))
    (p,) = exc.value.problems
    assert p.row == 2 and "'Cassette'" in p.message and "'number of positions'" in p.message
    for line in lines:
        setcell(rows, line, "number of positions", "96")
    warnings: list[SheetProblem] = []
    msg = read_sheet("esrf", dump(rows), warnings=warnings)
    assert {(w.row, w.column) for w in warnings} == {(n, "container type") for n in lines}
    assert "Cassette" in {p.get("puckType") for p in msg["Puck"].values()}
    out = write_sheet("esrf", msg)
    assert sheet_rows("esrf", out.content)[0]["container type"] == "Cassette"
    # SLS has no number-of-positions column: a puck of an unknown type is refused for that
    sls = table("sls")
    for line in range(2, len(sls) + 1):
        setcell(sls, line, "PuckType*", "Cassette")
    with pytest.raises(MappingError) as exc:
        read_sheet("sls", dump(sls))
    assert any("number of positions" in p.message for p in exc.value.problems)


def test_an_unknown_loop_type_passes_through_with_a_warning() -> None:
    rows = table("dls")
    setcell(rows, 3, "loopType", "Kapton 20um")
    warnings: list[SheetProblem] = []
    msg = read_sheet("dls", dump(rows), warnings=warnings)
    (w,) = warnings
    assert (w.row, w.column) == (3, "loopType")
    assert "'Kapton 20um'" in w.message and "Nylon, MiTeGen, Litholoop" in w.message
    pin = msg["Pin"]["Pin2"]  # the pin of sheet row 3
    assert pin["loopType"] == "Kapton 20um"  # MXLIMS's loopType is free text
    # back to DLS: written as it came; to SOLEIL: carried verbatim, with a warning
    out = write_sheet("dls", msg)
    assert out.losses == []
    assert sheet_rows("dls", out.content)[1]["loopType"] == "Kapton 20um"
    out = write_sheet("soleil", msg)
    assert sheet_rows("soleil", out.content)[1]["Loop Type"] == "Kapton 20um"
    assert any(w.column == "Loop Type" and "Kapton 20um" in w.message for w in out.warnings)


def test_the_users_spelling_survives_a_same_site_round_trip() -> None:
    rows = table("dls")
    setcell(rows, 3, "loopType", "Mitegen")
    msg = read_sheet("dls", dump(rows))
    pin = msg["Pin"]["Pin2"]
    assert pin["loopType"] == "MicroLoop"
    assert pin["extensions"]["diamond.ac.uk"]["loopType (as written)"] == "Mitegen"
    assert "loopType" not in pin["extensions"]["diamond.ac.uk"]  # never a site override
    assert sheet_rows("dls", write_sheet("dls", msg).content)[1]["loopType"] == "Mitegen"
    sls = table("sls")
    setcell(sls, 2, "PuckType*", "UniPuck")
    out = write_sheet("sls", read_sheet("sls", dump(sls)))
    assert sheet_rows("sls", out.content)[0]["PuckType*"] == "UniPuck"
    # the stored value changed since: the new value's spelling, the old cell reported
    pin["loopType"] = "Nylon"
    out = write_sheet("dls", msg)
    assert sheet_rows("dls", out.content)[1]["loopType"] == "Nylon"
    (loss,) = [x for x in out.losses if x.key == "Pin2"]
    assert loss.value == "Mitegen" and "now 'Nylon'" in loss.reason


def test_a_multi_position_pin_keeps_the_facilitys_loop_spelling() -> None:
    msg = imported("dls")
    loops = sorted(
        p["extensions"]["diamond.ac.uk"]["loopType"] for p in msg["PinPosition"].values()
    )
    assert loops == ["MiTeGen", "Nylon"]  # DLS spellings: a MultiPin has no loopType field


def test_puck_capacity_follows_the_canonical_type() -> None:
    rows = table("sls")
    for line in range(6, 10):  # the four rows of the second puck, positions 1, 2, 3 and 16
        setcell(rows, line, "PuckType*", "spinepuck")
    with pytest.raises(MappingError) as exc:
        read_sheet("sls", dump(rows))
    (p,) = exc.value.problems
    assert (p.row, p.column) == (9, "PositionInPuck*")
    assert "beyond the 10 positions" in p.message
