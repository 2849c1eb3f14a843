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
