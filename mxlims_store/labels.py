"""Printable labels and a contents manifest, as PDF (reportlab: its own Code 128 and QR code,
no other dependency).

A label is one 6 x 4 inch page (the size of a courier label printer): what it is, its barcode
as Code 128 (an item without a barcode: its name in large type), a QR code of its page in the
store, the proposal, whom to return it to, and what it holds. The manifest lists every position
of a shipment, dewar by dewar and container by container.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

from reportlab.graphics import renderPDF
from reportlab.graphics.barcode import code128
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
    """Printable in the PDF's standard font: control characters dropped."""
    return "".join(ch for ch in str(value) if ch.isprintable())


def _barcode(page: Any, value: str, x: float, y: float, width: float) -> None:
    trial = code128.Code128(value, barHeight=0.8 * inch, barWidth=1, quiet=True)
    bar_width = min(1.6, width / max(trial.width, 1))
    code = code128.Code128(value, barHeight=0.8 * inch, barWidth=bar_width, quiet=True)
    code.drawOn(page, x, y)


def _qr(page: Any, url: str, x: float, y: float) -> None:
    widget = QrCodeWidget(url, barLevel="M")
    left, bottom, right, top = widget.getBounds()
    drawing = Drawing(
        QR_SIZE, QR_SIZE, transform=[QR_SIZE / (right - left), 0, 0, QR_SIZE / (top - bottom), 0, 0]
    )
    drawing.add(widget)
    renderPDF.draw(drawing, page, x, y)


def _label(page: Any, item: LabelItem) -> None:
    width, height = LABEL
    top = height - MARGIN
    page.setFont("Helvetica-Bold", 16)
    page.drawString(MARGIN, top - 14, _text(item.title)[:48])
    text_width = width - 2 * MARGIN - QR_SIZE - 0.15 * inch
    if item.barcode:
        _barcode(page, _text(item.barcode), MARGIN, top - 1.25 * inch, text_width)
        page.setFont("Helvetica", 11)
        page.drawString(MARGIN, top - 1.45 * inch, _text(item.barcode)[:48])
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
        rows = [[_text(c)[:40] for c in row] for row in section["rows"]]
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
