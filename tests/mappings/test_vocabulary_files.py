"""The vocabulary files themselves: the site-file loader's rules, a seventh facility's own
spellings, and the README tables generated from the files."""

from __future__ import annotations

from pathlib import Path

import pytest

from mxlims_store.mappings import (
    SiteFileError,
    list_sites,
    load_site_file,
    read_sheet,
    write_sheet,
)
from mxlims_store.mappings.fields import FIELDS
from mxlims_store.mappings.site_registry import parse_site
from mxlims_store.mappings.vocabularies import VOCABULARIES
from mxlims_store.mappings.vocabulary_docs import BEGIN, END, markdown
from tests.mappings.mapping_helpers import BASE, KIND, imported, sheet_rows

README = Path(__file__).resolve().parents[2] / "mxlims_store" / "mappings" / "README.md"


# -- the site-file loader ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("toml", "says"),
    [
        (KIND + '[columns.values]\n"Native" = "Rotation"\n', "'Rotation', which is not a term"),
        (KIND + '[columns.values]\n"Native" = "osc"\n', "did you mean 'OSC'?"),
        (KIND + '[columns.values]\n"OSC" = "OSC"\n"o s c" = "SAD"\n', "mapped twice"),
        (
            KIND + '[columns.values]\n"Ligand-binding" = "LigandBinding"\n'
            '"ligand binding" = "LigandBinding"\n',
            "mapped twice",
        ),
        (KIND + '[columns.values]\n"OSC" = "OSC"\n"OSC" = "SAD"\n', "Cannot overwrite"),
        (KIND, "list this facility's spellings"),
        (KIND + "[columns.values]\n", "must be a table"),
        (
            KIND + 'transform = "flag"\nflag_value = "OSC"\n[columns.values]\n"OSC" = "OSC"\n',
            "transform 'text'",
        ),
        ('[[columns]]\nheader = "Loop"\n[columns.values]\n"Nylon" = "Nylon"\n', "no vocabulary"),
        (
            '[[columns]]\nheader = "N"\nfield = "Pin.name"\n[columns.values]\n"a" = "Nylon"\n',
            "Pin.name has no vocabulary",
        ),
        ("[capacities]\npuck_types = { cassette = 96 }\n", "'cassette' is not a puck type"),
    ],
)
def test_the_loader_refuses_bad_vocabulary_mappings(toml: str, says: str) -> None:
    with pytest.raises(SiteFileError) as exc:
        parse_site(BASE + toml, "x", "x.toml")
    assert says in str(exc.value) and str(exc.value).startswith("x.toml")


def test_a_seventh_facility_brings_its_spellings_in_its_own_file(tmp_path: Path) -> None:
    toml = tmp_path / "bessy.toml"
    toml.write_text(
        BASE.replace('"X"', '"BESSY II"').replace("x.org", "helmholtz-berlin.de")
        + '[[columns]]\nheader = "Puck"\nfield = "Puck.name"\n'
        + '[[columns]]\nheader = "Protein"\nfield = "Macromolecule.acronym"\n'
        + KIND
        + '[columns.values]\n"Native" = "OSC"\n"Anomalous" = "SAD"\n"Native data" = "OSC"\n'
    )
    bessy = load_site_file(toml)
    msg = read_sheet(
        bessy, b"Dewar,Puck,Protein,Kind\nD1,P1,HEWL,anomalous\nD1,P1,HEWL,native data\n"
    )
    assert [e["experimentStrategy"] for e in msg["MxExperiment"].values()] == ["SAD", "OSC"]
    out = write_sheet(bessy, msg)
    assert out.losses == [] and out.content.decode().splitlines()[1:] == [
        "D1,P1,HEWL,anomalous",  # back as the user wrote it
        "D1,P1,HEWL,native data",
    ]
    assert [r["experimentType"] for r in sheet_rows("esrf", write_sheet("esrf", msg).content)] == [
        "SAD",
        "OSC",
    ]
    esrf = imported("esrf")
    out = write_sheet(bessy, esrf)
    assert not [x for x in out.losses if x.field == "experimentStrategy"]
    said = {w.message.split("'")[1] for w in out.warnings if w.column == "Kind"}
    assert said == {"MXPressE", "MXPressA", "Helical", "MXScore", "Default", "OSC", "SAD"}
    rewritten = {w.message.split("'")[1] for w in out.warnings if "written as '" in w.message}
    assert rewritten == {"OSC", "SAD"}  # the others are written as they are


# -- the vocabulary file and its documentation ---------------------------------------------------


def test_each_vocabulary_names_a_string_field_and_means_every_term() -> None:
    for fld, vocabulary in VOCABULARIES.items():
        type_, name = fld.split(".")
        assert FIELDS[type_][name].kind == "string" and vocabulary.field == fld
        assert vocabulary.unknown_why
        assert vocabulary.terms and all(m.strip() for m in vocabulary.terms.values())


def test_every_canonical_term_is_spelled_by_some_facility() -> None:
    spelled = {
        (c.field, t) for s in list_sites() for c in s.columns if c.values for _, t in c.values.pairs
    }
    unused = [
        (v.field, t) for v in VOCABULARIES.values() for t in v.terms if (v.field, t) not in spelled
    ]
    assert unused == []


def test_the_readme_tables_are_generated_from_the_files() -> None:
    text = README.read_text(encoding="utf-8")
    start, end = text.index(BEGIN), text.index(END) + len(END) + 1
    assert text[start:end] == markdown(), "run python -m mxlims_store.mappings.vocabulary_docs"
    for vocabulary in VOCABULARIES.values():
        assert vocabulary.field in text and all(f"`{t}`" in text for t in vocabulary.terms)
