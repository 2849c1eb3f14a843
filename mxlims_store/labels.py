"""Printable labels and a contents manifest, as PDF (reportlab: its own Code 128 and QR code,
no other dependency).

A label is one 6 x 4 inch page (the size of a courier label printer): what it is, its barcode
as Code 128 (an item without a barcode: its name in large type), a QR code of its page in the
store, the proposal, whom to return it to, and what it holds. The manifest lists every position
of a shipment, dewar by dewar and container by container.

Code 128 carries printable ASCII only: a barcode with any other character (``PIN-é``, ``試料``,
an invisible space) would print as bars that scan as something else. Such a barcode, or one too
long for bars that scan, is printed as a small QR code instead (UTF-8, with the ECI that tells
a scanner so; too long for that too: its text only), and the label says why. Text the PDF's
standard font cannot show is printed as ``<U+XXXX>``, never as a box.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128, qrencoder
from reportlab.graphics.barcode.qr import QrCodeWidget
from reportlab.graphics.shapes import Drawing
from reportlab.lib import colors
from reportlab.lib.pagesizes import A4, inch
from reportlab.lib.styles import getSampleStyleSheet
from reportlab.pdfgen import canvas
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

LABEL = (6 * inch, 4 * inch)
MARGIN = 0.25 * inch
QR_SIZE = 1.6 * inch
CODE_QR_SIZE = 0.9 * inch  # a barcode Code 128 cannot carry, as a QR code
UTF8_ECI = 26  # the ECI designator of UTF-8: a scanner need not guess the bytes' encoding
# Bars thinner than this (0.3 mm: 2.4 dots of a 203 dpi label printer; some 22 characters,
# more digits, on the label) do not scan reliably: a longer barcode is a QR code too. A QR
# code this small scans up to about version 8 (level M, 120 bytes); a longer barcode gets its
# text only. The label says which, and why.
MIN_BAR = 0.85
MAX_CODE_128 = 64  # characters: no trial of bars that could never be wide enough
MAX_QR_BYTES = 120
SAID = {
    "not ASCII": (
        "Barcode not ASCII: Code 128",
        "cannot carry it; this QR code",
        "holds it exactly.",
    ),
    "too long": (
        "Barcode too long for Code 128",
        "on this label; this QR code",
        "holds it exactly.",
    ),
    "text only": ("Barcode too long for a QR code", "on this label: its text only,", "below."),
}


@dataclass
class LabelItem:
    """What one label shows."""

    title: str  # "Dewar DW-1"
    url: str  # its page in the store: the QR code
    barcode: str | None = None
    name: str | None = None
    proposal: str | None = None
    return_to: dict[str, Any] | None = None  # the shipment's labContactReturn
    contents: list[str] = field(default_factory=list)


def _text(value: Any) -> str:
    """Printable in the PDF's standard font: control characters dropped, a character the font
    cannot show (beyond Western European) as ``<U+XXXX>``."""
    return "".join(_glyph(ch) for ch in str(value) if ch.isprintable())


def _exact(value: str) -> str:
    """A barcode as text, every character accounted for: what the font cannot show, and
    invisible characters too, as ``<U+XXXX>`` (nothing dropped)."""
    return "".join(_glyph(ch) if ch.isprintable() else f"<U+{ord(ch):04X}>" for ch in value)


def _glyph(ch: str) -> str:
    try:
        ch.encode("cp1252")  # the standard fonts' encoding (WinAnsi)
    except UnicodeEncodeError:
        return f"<U+{ord(ch):04X}>"
    return ch


def _cut(text: str, limit: int) -> str:
    """``text`` of at most ``limit`` characters, an ellipsis saying it was cut."""
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _fit(page: Any, text: str, width: float) -> str:
    """``text`` cut to ``width`` in the current font, an ellipsis saying it was cut."""
    if page.stringWidth(text) <= width:
        return text
    text = text[:200]  # far more than a label's line holds
    while text and page.stringWidth(text + "...") > width:
        text = text[:-1]
    return text + "..."


def _qr_bytes(value: str) -> int:
    """The bytes ``value`` takes in a QR code (UTF-8); a lone surrogate has none: too many."""
    try:
        return len(value.encode("utf-8"))
    except UnicodeEncodeError:
        return MAX_QR_BYTES + 1


def fits_code_128(value: str) -> bool:
    """Whether Code 128 carries ``value`` exactly: printable ASCII only."""
    return bool(value) and all(" " <= ch <= "~" for ch in value)


def _code_128_bar(value: str, width: float) -> float | None:
    """The bar width ``value`` prints with as Code 128 across ``width``; None when Code 128
    cannot carry it (not printable ASCII) or its bars would be too thin to scan."""
    if not fits_code_128(value) or len(value) > MAX_CODE_128:
        return None
    trial = code128.Code128(value, barHeight=0.8 * inch, barWidth=1, quiet=True)
    bar_width = min(1.6, width / max(trial.width, 1))
    return bar_width if bar_width >= MIN_BAR else None


def _barcode(page: Any, value: str, bar_width: float, x: float, y: float) -> None:
    code = code128.Code128(value, barHeight=0.8 * inch, barWidth=bar_width, quiet=True)
    code.drawOn(page, x, y)


def _qr(page: Any, value: str, x: float, y: float, size: float = QR_SIZE) -> None:
    segments = [qrencoder.QRECI(UTF8_ECI), qrencoder.QR8bitByte(value)]
    widget = QrCodeWidget(value if value.isascii() else segments, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        size, size, transform=[size / (right - left), 0, 0, size / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, page, x, y)


def _label(page: Any, item: LabelItem) -> None:
    width, height = LABEL
    top = height - MARGIN
    page.setFont("Helvetica-Bold", 16)
    page.drawString(MARGIN, top - 14, _text(item.title)[:48])
    text_width = width - 2 * MARGIN - QR_SIZE - 0.15 * inch
    bar = _code_128_bar(item.barcode, text_width) if item.barcode else None
    if item.barcode and bar is not None:
        _barcode(page, item.barcode, bar, MARGIN, top - 1.25 * inch)
        page.setFont("Helvetica", 11)
        page.drawString(MARGIN, top - 1.45 * inch, _fit(page, _text(item.barcode), text_width))
    elif item.barcode:  # never bars that scan as another code (or not at all): say why
        said = SAID["too long" if fits_code_128(item.barcode) else "not ASCII"]
        if _qr_bytes(item.barcode) <= MAX_QR_BYTES:
            _qr(page, item.barcode, MARGIN - 0.08 * inch, top - 1.3 * inch, CODE_QR_SIZE)
        else:
            said = SAID["text only"]
        page.setFont("Helvetica", 9)
        for n, line in enumerate(said):
            page.drawString(MARGIN + CODE_QR_SIZE, top - (0.65 + 0.16 * n) * inch, line)
        page.setFont("Helvetica", 11)
        page.drawString(MARGIN, top - 1.45 * inch, _fit(page, _exact(item.barcode), text_width))
    else:
        page.setFont("Helvetica-Bold", 26)
        page.drawString(MARGIN, top - 0.9 * inch, _text(item.name or item.title)[:24])
    _qr(page, item.url, width - MARGIN - QR_SIZE, top - QR_SIZE - 0.1 * inch)
    lines = []
    if item.proposal:
        lines.append(f"Proposal: {item.proposal}")
    contact = item.return_to or {}
    if contact:
        reach = ", ".join(
            str(contact[k]) for k in ("emailAddress", "phoneNumber") if contact.get(k)
        )
        lines.append(f"Return to: {contact.get('name', '')}{' - ' + reach if reach else ''}")
    lines += item.contents
    page.setFont("Helvetica", 9)
    y = top - 1.75 * inch
    for line in lines:
        if y < MARGIN:
            page.drawString(MARGIN, y, "... (see the contents manifest)")
            break
        page.drawString(MARGIN, y, _text(line)[:95])
        y -= 11


def labels_pdf(items: list[LabelItem], title: str = "labels") -> bytes:
    """One label per page, in order."""
    out = io.BytesIO()
    page = canvas.Canvas(out, pagesize=LABEL, pageCompression=1)
    page.setTitle(_text(title))
    for item in items:
        _label(page, item)
        page.showPage()
    page.save()
    return out.getvalue()


def manifest_pdf(title: str, header: list[str], sections: list[dict[str, Any]]) -> bytes:
    """A4 pages: the title and header lines, then per dewar a table of its positions
    (``sections``: ``{"title": ..., "rows": [[container, position, barcode, protein, sample,
    requested], ...]}``)."""
    out = io.BytesIO()
    styles = getSampleStyleSheet()
    story: list[Any] = [Paragraph(_escape(title), styles["Title"])]
    story += [Paragraph(_escape(line), styles["Normal"]) for line in header]
    columns = ["Container", "Pos.", "Barcode", "Protein", "Sample", "Requested"]
    for section in sections:
        story += [Spacer(1, 10), Paragraph(_escape(section["title"]), styles["Heading2"])]
        rows = [[_cut(_text(c), 40) for c in row] for row in section["rows"]]
        table = Table([columns, *rows], repeatRows=1)
        table.setStyle(
            TableStyle(
                [
                    ("FONT", (0, 0), (-1, 0), "Helvetica-Bold", 8),
                    ("FONT", (0, 1), (-1, -1), "Helvetica", 8),
                    ("LINEBELOW", (0, 0), (-1, 0), 0.5, colors.black),
                    ("ROWBACKGROUNDS", (0, 1), (-1, -1), [colors.white, colors.whitesmoke]),
                ]
            )
        )
        story.append(table)
    SimpleDocTemplate(out, pagesize=A4, title=_text(title)).build(story)
    return out.getvalue()


def _escape(text: str) -> str:
    return _text(text).replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
