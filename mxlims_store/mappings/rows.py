"""Reading a sheet's rows: find the header row and its columns, parse each cell of a row.

What the cells mean together (dewars, pucks, pins ...) is the builder's business
(``importer.py``); this module only turns text into typed values, reporting each bad cell with
its row and column.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ..errors import SheetProblem
from . import open_terms, transforms
from .fields import UNIT_CELL_PARTS, lookup
from .headers import extension_key, normalise_header
from .site_registry import list_sites
from .sites import ColumnFormat, SiteFormat

HEADER_SCAN_ROWS = 20
Report = Callable[[int | None, str | None, str], None]  # (row, column, message)


@dataclass
class Column:
    """A column present in the uploaded sheet: its index, the header as written, its format."""

    index: int
    header: str
    fmt: ColumnFormat | None  # None: a header the facility format does not know

    @property
    def name(self) -> str:
        """The header name used in problems and extension keys (the facility's spelling)."""
        return self.fmt.header if self.fmt else self.header.lstrip("#").strip()

    def key(self, type_: str) -> str:
        """The extension field name that keeps this column's values on a ``type_`` object when
        no field maps it (never one of its field names)."""
        return extension_key(self.name, type_)


@dataclass
class Row:
    number: int
    values: dict[str, dict[str, Any]] = field(default_factory=dict)
    ext: dict[str, dict[str, Any]] = field(default_factory=dict)
    header_of: dict[tuple[str, str], str] = field(default_factory=dict)

    def get(self, type_: str, field_: str) -> Any:
        return self.values.get(type_, {}).get(field_)


def layout(
    site: SiteFormat, table: list[tuple[int, list[str]]], problems: list[SheetProblem]
) -> tuple[int, list[Column]] | None:
    """Find the header row (the best-matching of the first non-blank rows) and its columns."""
    candidates = [(i, cells) for i, (_, cells) in enumerate(table) if any(cells)]
    if not candidates:
        problems.append(SheetProblem(None, None, "the sheet is empty"))
        return None
    best_i, best_score = -1, 0
    for i, cells in candidates[:HEADER_SCAN_ROWS]:
        score = sum(1 for c in cells if c and site.column(c) is not None)
        if score > best_score:
            best_i, best_score = i, score
    if best_score == 0:
        expected = ", ".join(c.header for c in site.columns[:4])
        problems.append(
            SheetProblem(None, None, f"no {site.name} header row found (expected {expected}, ...)")
        )
        guess_site(site, candidates[0][1], problems)
        return None
    row_number, cells = table[best_i]
    width = max(i for i, c in enumerate(cells) if c) + 1
    columns: list[Column] = []
    seen: dict[str, str] = {}
    for index, text in enumerate(cells[:width]):
        if not text:
            columns.append(Column(index, "", None))
            continue
        fmt = site.column(text)
        col = Column(index, text, fmt)
        key = normalise_header(col.name)
        if key in seen:
            problems.append(
                SheetProblem(row_number, text, f"column appears twice (also as {seen[key]!r})")
            )
        seen[key] = text
        columns.append(col)
    present = {c.fmt.header for c in columns if c.fmt}
    missing = [c.header for c in site.columns if c.required and c.header not in present]
    for header in missing:
        problems.append(SheetProblem(None, header, "required column is missing"))
    if missing and best_score * 2 < len(site.columns):
        # Mostly foreign headers: row-by-row problems would only be noise.
        guess_site(site, cells, problems)
        return None
    return best_i, columns


def guess_site(site: SiteFormat, cells: list[str], problems: list[SheetProblem]) -> None:
    scores = {
        other.code: sum(1 for c in cells if c and other.column(c) is not None)
        for other in list_sites()
        if other.code != site.code
    }
    if scores:
        code = max(scores, key=lambda k: scores[k])
        if scores[code] >= 3:
            problems.append(
                SheetProblem(None, None, f"this looks like a sheet for facility {code!r}")
            )


def parse_row(
    site: SiteFormat,
    columns: list[Column],
    number: int,
    cells: list[str],
    problem: Report,
    warn: Report | None = None,
) -> Row | None:
    """The typed values of one row; None when its shape is wrong. Bad cells go to ``problem``,
    controlled cells the facility does not list (passed through verbatim) to ``warn``."""
    width = len(columns)
    if len(cells) < width or any(cells[width:]):
        filled = len(cells) if len(cells) < width else width + len([c for c in cells[width:] if c])
        problem(number, None, f"row has {filled} cells but the header has {width} columns")
        return None
    row = Row(number)
    parts: dict[str, dict[str, tuple[str, Any]]] = {}
    joined: dict[str, list[tuple[str, str, str]]] = {}
    bad: set[str] = set()  # fields with a cell error already reported
    for col in columns:
        text = cells[col.index]
        fmt = col.fmt
        if not col.header:
            if text:
                problem(number, f"column {col.index + 1}", "value in a column without header")
            continue
        if not text:
            if fmt is not None and fmt.required:
                problem(number, fmt.header, "required value is missing")
            continue
        spec = None
        type_ = fld = part = None
        if fmt is not None and fmt.field:
            type_, fld, part, spec = lookup(fmt.field)
        try:
            if fmt is not None and fmt.values is not None:
                value, written, note = open_terms.read_cell(fmt, text)
                if written is not None:  # written back to this facility as it is
                    kept = row.ext.setdefault(fmt.object_type, {})
                    kept[open_terms.as_written_key(fmt.header)] = written
                if note is not None and warn is not None:
                    warn(number, col.name, note)
            else:
                value = transforms.parse(fmt, spec, text) if fmt else text
        except transforms.CellError as exc:
            problem(number, col.name, str(exc))
            if fmt is not None and fmt.field:
                bad.add(fmt.field.rsplit(".", 1)[0] if fmt.field.count(".") == 2 else fmt.field)
            continue
        if value is None:
            continue
        if fmt is None or type_ is None or fld is None:
            target = fmt.keep_on if fmt else "Pin"
            row.ext.setdefault(target, {})[col.key(target)] = value
            continue
        row.header_of[(type_, fld)] = fmt.header
        if part is not None:
            parts.setdefault(f"{type_}.{fld}", {})[part] = (fmt.header, value)
        elif fmt.transform in ("letters_part", "digits_part"):
            joined.setdefault(f"{type_}.{fld}", []).append((fmt.transform, fmt.header, value))
        else:
            row.values.setdefault(type_, {})[fld] = value
    for path, got in parts.items():
        type_, fld = path.split(".")
        if len(got) == len(UNIT_CELL_PARTS):
            row.values.setdefault(type_, {})[fld] = {p: got[p][1] for p in UNIT_CELL_PARTS}
            continue
        if path in bad:
            continue
        for col_fmt in site.columns_for(type_, fld):
            p = (col_fmt.field or "").rsplit(".", 1)[-1]
            if p not in got:
                problem(
                    number,
                    col_fmt.header,
                    "unit cell is incomplete: give all six of a, b, c, alpha, beta, gamma",
                )
    for path, pieces in joined.items():
        type_, fld = path.split(".")
        pieces.sort(key=lambda p: p[0] != "letters_part")
        row.values.setdefault(type_, {})[fld] = "".join(p[2] for p in pieces)
    return row
