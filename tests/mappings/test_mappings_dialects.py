"""What real files look like: BOM, CRLF, tabs, semicolons, a leading #, preambles, XLSX."""

from __future__ import annotations

import csv
import io

import pytest

from mxlims_store.errors import MappingError
from mxlims_store.mappings import read_sheet, write_sheet
from tests.mappings.mapping_helpers import fixture

ESRF, _ = fixture("esrf")
DLS, _ = fixture("dls")
HEAD = "#parcel name,container name,protein acronym,sample acronym,"


def pins(msg: dict[str, object]) -> int:
    bucket = msg.get("Pin", {})
    assert isinstance(bucket, dict)
    return len(bucket)


def reference(site: str = "esrf") -> dict[str, object]:
    return read_sheet(site, ESRF if site == "esrf" else DLS)


def barcodes(msg: dict[str, object]) -> list[str]:
    bucket = msg["Pin"]
    assert isinstance(bucket, dict)
    return [p["barcode"] for p in bucket.values()]


def test_utf8_bom() -> None:
    msg = read_sheet("esrf", b"\xef\xbb\xbf" + ESRF)
    assert barcodes(msg) == barcodes(reference())


def test_crlf_line_ends() -> None:
    assert b"\r\n" not in ESRF
    msg = read_sheet("esrf", ESRF.replace(b"\n", b"\r\n"))
    assert barcodes(msg) == barcodes(reference())


def to_delimited(data: bytes, delimiter: str) -> bytes:
    rows = list(csv.reader(io.StringIO(data.decode())))
    buf = io.StringIO()
    csv.writer(buf, delimiter=delimiter).writerows(rows)
    return buf.getvalue().encode()


@pytest.mark.parametrize("filename", [None, "shipment.tsv", "shipment.txt"])
def test_tab_separated(filename: str | None) -> None:
    msg = read_sheet("dls", to_delimited(DLS, "\t"), filename=filename)
    assert barcodes(msg) == barcodes(reference("dls"))
    assert msg["MacromoleculeSample"]["MacromoleculeSample2"]["annotation"] == (
        "small crystal, handle with care"
    )


def test_semicolons_and_decimal_commas() -> None:
    text = "#parcel name;container name;protein acronym;sample acronym;aimed Resolution\n"
    text += "D1;P1;HEWL;s1;1,8\nD1;P1;HEWL;s2;2.1\n"
    msg = read_sheet("esrf", text.encode())
    res = [e["expectedResolution"] for e in msg["MxExperiment"].values()]
    assert res == [1.8, 2.1]


def test_leading_hash_is_optional_and_headers_ignore_case_and_blanks() -> None:
    text = "PARCEL NAME,Container_Name,Protein Acronym,sampleacronym,  pin barcode \n"
    text += "D1,P1,HEWL,s1,B1\n"
    msg = read_sheet("esrf", text.encode())
    assert msg["Dewar"]["Dewar1"]["name"] == "D1" and barcodes(msg) == ["B1"]
    no_hash = DLS.replace(b"#proposalCode", b"proposalCode", 1)
    assert barcodes(read_sheet("dls", no_hash)) == barcodes(reference("dls"))
    petra = "#proposalCode,proposalNumber,dewarCode,ContainerCode,proteinAcronym,sampleName,"
    petra += "samplePosition\n"
    petra += "mx,1,D,C,HEWL,s1,1\n"
    assert read_sheet("petraiii", petra.encode())["Shipment"]["Shipment1"]["proposalCode"] == "mx1"


def test_preamble_blank_rows_and_trailing_blank_lines_keep_row_numbers() -> None:
    text = "# ESRF shipment template v2\n\n" + ESRF.decode() + "\n,,,,\n\n\n"
    msg = read_sheet("esrf", text.encode())
    assert pins(msg) == 14
    lines = text.split("\n")
    lines[4] = lines[4].replace("HEWL", "HEWL", 1).replace(",P43212,", ",P7,", 1)
    with pytest.raises(MappingError) as exc:
        read_sheet("esrf", "\n".join(lines).encode())
    assert [(p.row, p.column) for p in exc.value.problems] == [(5, "SPG")]


def test_windows_1252_file_is_read_when_its_encoding_is_named() -> None:
    text = HEAD + "comments\nD1,P1,HEWL,s1,Å 2 days\n"
    msg = read_sheet("esrf", text.encode("cp1252"), encoding="cp1252")
    assert msg["MacromoleculeSample"]["MacromoleculeSample1"]["annotation"] == "Å 2 days"
    with pytest.raises(MappingError) as exc:
        read_sheet("esrf", text.encode("cp1252"))
    [problem] = exc.value.problems
    assert (problem.row, problem.column) == (2, "comments")
    assert "0xC5" in problem.message and "UTF-8" in problem.message


def test_one_stray_byte_does_not_turn_a_utf8_sheet_into_cp1252() -> None:
    good = HEAD + "comments\nD1,P1,Lysozym-Å,s1,x\nD1,P1,HEWL,s2,ok\n"
    bad = good.encode().replace(b",ok", b",o\x9dk")
    assert read_sheet("esrf", good.encode())["Macromolecule"]["Macromolecule1"]["acronym"] == (
        "Lysozym-Å"
    )
    with pytest.raises(MappingError) as exc:
        read_sheet("esrf", bad)
    assert [(p.row, p.column) for p in exc.value.problems] == [(3, "comments")]
    with pytest.raises(MappingError, match="'klingon' is not a text encoding"):
        read_sheet("esrf", good.encode(), encoding="klingon")


def test_quoted_cells_with_commas_and_newlines() -> None:
    text = HEAD + 'comments\nD1,P1,HEWL,s1,"a, b\nc"\nD1,P1,HEWL,s2,x\n'
    msg = read_sheet("esrf", text.encode())
    assert msg["MacromoleculeSample"]["MacromoleculeSample1"]["annotation"] == "a, b\nc"


def test_xlsx_detected_without_file_name_and_section_row_skipped() -> None:
    data, _ = fixture("sls")
    assert data[:2] == b"PK"
    msg = read_sheet("sls", data)  # first row holds section titles; row 2 the headers
    assert len(msg["Pin"]) == 14
    with pytest.raises(MappingError) as exc:
        read_sheet("sls", data[:100], filename="broken.xlsx")
    assert "xlsx" in exc.value.problems[0].message


def test_unknown_columns_are_kept_as_extensions_on_the_pin() -> None:
    text = HEAD + "Cryo (user)\nD1,P1,HEWL,s1,PEG 400\n"
    msg = read_sheet("esrf", text.encode())
    assert msg["Pin"]["Pin1"]["extensions"] == {"esrf.fr": {"Cryo (user)": "PEG 400"}}
    out = write_sheet("esrf", msg)
    assert [loss.field for loss in out.losses] == ["extensions[esrf.fr].Cryo (user)"]


def test_proposal_code_for_sheets_without_one() -> None:
    data, _ = fixture("soleil")
    assert read_sheet("soleil", data)["Shipment"]["Shipment1"]["proposalCode"] == ""
    msg = read_sheet("soleil", data, proposal_code="mx2450")
    assert msg["Shipment"]["Shipment1"]["proposalCode"] == "mx2450"


def test_xlsx_text_that_looks_like_a_formula_stays_text() -> None:
    text = (
        "#parcel name,container name,protein acronym,sample acronym,comments\nD1,P1,HEWL,s1,=1+1\n"
    )
    out = write_sheet("esrf", read_sheet("esrf", text.encode()), fmt="xlsx")
    back = read_sheet("esrf", out.content)
    assert back["MacromoleculeSample"]["MacromoleculeSample1"]["annotation"] == "=1+1"
    assert out.media_type.startswith("application/vnd.openxmlformats")
    with pytest.raises(ValueError):
        write_sheet("esrf", back, fmt="ods")


def test_thousand_rows_convert() -> None:
    header = ESRF.decode().splitlines()[0]
    template = next(csv.reader([ESRF.decode().splitlines()[1]]))
    cols = next(csv.reader([header]))
    rows = [cols]
    for i in range(1000):
        r = list(template)
        r[cols.index("#parcel name")] = f"dewar-{i // 320}"
        r[cols.index("container name")] = f"puck-{i // 16}"
        r[cols.index("container position")] = str((i // 16) % 20 + 1)
        r[cols.index("pin barcode")] = f"PIN-{i:05d}"
        r[cols.index("sample acronym")] = f"s{i}"
        r[cols.index("protein acronym")] = f"P{i % 25}"
        rows.append(r)
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    data = buf.getvalue().encode()
    msg = read_sheet("esrf", data)
    out = write_sheet("dls", msg)
    assert pins(msg) == 1000 and len(msg["Macromolecule"]) == 25 and len(msg["Dewar"]) == 4
    assert out.content.count(b"\n") == 1001


@pytest.mark.parametrize("codec", ["rot13", "base64", "zlib", "idna", "unicode_escape", "punycode"])
def test_a_codec_that_is_no_text_encoding_is_refused(codec: str) -> None:
    text = HEAD + "comments\nD1,P1,HEWL,s1,x\n"
    with pytest.raises(MappingError, match="is not a text encoding"):
        read_sheet("esrf", text.encode(), encoding=codec)


def test_a_byte_order_mark_declares_utf16() -> None:
    text = HEAD + "comments\nD1,P1,HEWL,s1,Å\n"
    msg = read_sheet("esrf", text.encode("utf-16"))
    assert msg["MacromoleculeSample"]["MacromoleculeSample1"]["annotation"] == "Å"
