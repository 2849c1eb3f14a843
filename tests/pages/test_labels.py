"""Label PDFs read back as a scanner reads them: rendered by Debian's poppler (pdftoppm) and
decoded by zbar (zbarimg); .ci/run installs both."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from mxlims_store.labels import LabelItem, labels_pdf, manifest_pdf

PDFTOPPM, ZBARIMG, PDFTOTEXT = (shutil.which(t) for t in ("pdftoppm", "zbarimg", "pdftotext"))
needs_tools = pytest.mark.skipif(
    None in (PDFTOPPM, ZBARIMG, PDFTOTEXT),
    reason="needs Debian's poppler-utils and zbar-tools (.ci/run installs them)",
)


def decoded(pdf: bytes, folder: Path) -> list[str]:
    """Every barcode zbar finds on the PDF's pages, as ``TYPE:value``."""
    (folder / "label.pdf").write_bytes(pdf)
    subprocess.run([PDFTOPPM, "-r", "200", "-png", "label.pdf", "page"], cwd=folder, check=True)
    pages = sorted(str(p) for p in folder.glob("page*.png"))
    found = subprocess.run(
        [ZBARIMG, "-q", "--nodbus", *pages], capture_output=True, text=True, check=False
    ).stdout
    return found.splitlines()


def text_of(pdf: bytes, folder: Path) -> str:
    (folder / "doc.pdf").write_bytes(pdf)
    return subprocess.run(
        [PDFTOTEXT, "doc.pdf", "-"], cwd=folder, capture_output=True, text=True, check=True
    ).stdout


@needs_tools
def test_a_dewar_label_carries_its_barcode_and_page_as_codes_that_scan(tmp_path: Path) -> None:
    url = "https://lims.example.org/pages/objects/0b5a3c1e-4a8e-4f7e-9a55-1c1e2d3f4a5b"
    item = LabelItem(
        title="Dewar DW-0042",
        url=url,
        barcode="DW-0042",
        proposal="mx1234",
        return_to={"name": "Ada Lovelace", "emailAddress": "ada@example.org"},
        contents=["Puck PK-1 (UniPuck): 16/16"],
    )
    pdf = labels_pdf([item])
    assert set(decoded(pdf, tmp_path)) == {"CODE-128:DW-0042", f"QR-Code:{url}"}
    text = text_of(pdf, tmp_path)
    for expected in ("mx1234", "Ada Lovelace", "ada@example.org", "Puck PK-1"):
        assert expected in text


@needs_tools
def test_an_item_without_barcode_gets_its_name_and_the_qr_code(tmp_path: Path) -> None:
    item = LabelItem(title="Dewar A", url="http://x.test/pages/objects/1", name="blue dewar")
    pdf = labels_pdf([item])
    assert decoded(pdf, tmp_path) == ["QR-Code:http://x.test/pages/objects/1"]
    assert "blue dewar" in text_of(pdf, tmp_path)


@needs_tools
def test_the_manifest_lists_every_position(tmp_path: Path) -> None:
    rows = [["PK-1", n, f"PIN-{n}", "LYS", f"S{n}", "OSC 2.0"] for n in range(1, 41)]
    pdf = manifest_pdf(
        "Contents of Shipment s1", ["Proposal: mx1234"], [{"title": "Dewar D1", "rows": rows}]
    )
    text = text_of(pdf, tmp_path)
    assert all(f"PIN-{n}" in text for n in range(1, 41)) and "Dewar D1" in text


NOT_ASCII = ("PIN-é", "試料-1", "DW\u200b1", "Ωmega 7")  # Latin-1, CJK, invisible, Greek


@needs_tools
@pytest.mark.parametrize("barcode", NOT_ASCII)
def test_a_barcode_code_128_cannot_carry_is_a_qr_code_that_scans_exactly(
    tmp_path: Path, barcode: str
) -> None:
    """Never bars that decode to something else: the exact value as a QR code (UTF-8, with
    its ECI), the label saying why, the text with every character accounted for."""
    url = "https://lims.example.org/pages/objects/0b5a3c1e-4a8e-4f7e-9a55-1c1e2d3f4a5b"
    pdf = labels_pdf([LabelItem(title="Dewar", url=url, barcode=barcode)])
    assert set(decoded(pdf, tmp_path)) == {f"QR-Code:{barcode}", f"QR-Code:{url}"}
    text = " ".join(text_of(pdf, tmp_path).split())
    assert "Barcode not ASCII: Code 128 cannot carry it" in text
    shown = {
        "試料-1": "<U+8A66><U+6599>-1",  # beyond the standard font: never a box
        "DW\u200b1": "DW<U+200B>1",  # invisible: never silently dropped
        "Ωmega 7": "<U+03A9>mega 7",
    }.get(barcode, barcode)
    assert shown in text


@needs_tools
async def test_the_label_page_prints_a_non_ascii_barcode_as_a_qr_code(tmp_path: Path) -> None:
    from mxlims_store.api.main import create_app
    from tests.api.conftest import make_settings, running
    from tests.factories import shipment_message
    from tests.pages.test_pages_forms import signed_in

    app = create_app(make_settings(tmp_path / "store"))
    async with running(app) as api:
        message = shipment_message(1)
        message["Dewar"]["Dewar1"]["barcode"] = "DW-é1"
        assert (await api.post("/messages", json=message)).status_code == 201, message
        dewar = message["Dewar"]["Dewar1"]["uuid"]
        page = await signed_in(app, api.headers["Authorization"].removeprefix("Bearer "))
        try:
            label = await page.get(f"/pages/labels/{dewar}.pdf")
        finally:
            await page.aclose()
        assert label.status_code == 200
        found = decoded(label.content, tmp_path)
        assert "QR-Code:DW-é1" in found and not any(f.startswith("CODE-128") for f in found)


@needs_tools
def test_a_barcode_too_long_for_bars_that_scan_is_a_qr_code_or_its_text(tmp_path: Path) -> None:
    """Every printed code decodes to exactly the barcode, or none is printed and the label
    says why: long ASCII as a QR code, longer non-ASCII as text only."""
    url = "http://x.test/pages/objects/1"
    short, long_ascii, too_long = "PK-0001-ab.cd/EF", "DW-" + "7Zq-" * 15, "é" * 200
    pdf = labels_pdf([LabelItem(title="D", url=url, barcode=b) for b in (short, long_ascii)])
    assert set(decoded(pdf, tmp_path)) == {
        f"CODE-128:{short}",
        f"QR-Code:{long_ascii}",
        f"QR-Code:{url}",
    }
    text = " ".join(text_of(pdf, tmp_path).split())
    assert "Barcode too long for Code 128 on this label; this QR code holds it exactly." in text
    alone = labels_pdf([LabelItem(title="D", url=url, barcode=too_long)])
    (tmp_path / "alone").mkdir()  # decoded() reads every page image in its folder
    assert decoded(alone, tmp_path / "alone") == [f"QR-Code:{url}"]
    assert "too long for a QR code" in " ".join(text_of(alone, tmp_path).split())
