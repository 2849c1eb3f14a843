"""Cells of controlled columns (experiment kind, puck type, loop type), read and written open.

A value the facility accepts is never refused for its vocabulary: a value its file lists is the
MXLIMS term it stands for; any other value passes through verbatim (MXLIMS holds these fields
as free text), with a warning. Whenever the cell was not written exactly as the MXLIMS value, the
cell as written is also kept in the facility's extensions under ``"<header> (as written)"`` -
a key that is no MXLIMS field name, so it never acts as a site override - and an export to the
same facility writes it back unchanged (``Mitegen`` stays ``Mitegen``). An export to another
facility writes that facility's spelling and warns when the cell's text changes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .headers import extension_key
from .site_registry import list_sites
from .sites import ColumnFormat, SiteFormat
from .transforms import CellError

AS_WRITTEN = " (as written)"


def as_written_key(header: str) -> str:
    """The extension field name that keeps a controlled cell as the sheet wrote it."""
    return extension_key(header) + AS_WRITTEN


def read_cell(col: ColumnFormat, text: str) -> tuple[str, str | None, str | None]:
    """(MXLIMS value, the cell as written when it differs from that value, warning or None).

    Raises :class:`CellError` only for an unlisted value in a ``closed`` column.
    """
    values = col.values
    assert values is not None
    written = text.strip()
    value, listed = values.read(written)
    if listed:
        return value, (written if written != value else None), None
    accepted = values.accepted
    if values.closed:
        raise CellError(
            f"{written!r} is not one of this sheet's {values.vocabulary.name}s; "
            f"use one of: {accepted}"
        )
    return (
        value,
        written,  # kept even when it is the value: the facility's own word, written back as is
        f"{written!r} is not one of the {values.vocabulary.name}s this sheet lists ({accepted}):"
        f" kept as written ({col.field} = {value!r})",
    )


def spelled(col: ColumnFormat, value: Any) -> Any:
    """The facility's spelling of an MXLIMS value, else the value as it is."""
    if col.values is None or not isinstance(value, str):
        return value
    return col.values.spelling(value) or value


@dataclass(frozen=True)
class TermCell:
    """A controlled cell as export writes it."""

    cell: str | None
    loss: str | None = None
    """Why the cell is empty although the object has a value (a closed column)."""
    warning: str | None = None
    used: tuple[str, ...] = ()
    """Extension tags (``extensions[<domain>].<name>``) the cell accounts for."""
    stale: tuple[str, str] | None = None
    """(tag, reason): this facility's as-written cell that no longer matches the value."""


def _sites_by_domain() -> dict[str, SiteFormat]:
    return {site.domain: site for site in list_sites()}


def written_elsewhere(obj: dict[str, Any], field: str, skip: str) -> tuple[str, str] | None:
    """(tag, text) of a cell another facility's sheet wrote for ``field`` (its as-written)."""
    ext = obj.get("extensions")
    if not isinstance(ext, dict):
        return None
    sites = _sites_by_domain()
    for domain, entries in ext.items():
        site = sites.get(domain)
        if domain == skip or site is None or not isinstance(entries, dict):
            continue
        for name, text in entries.items():
            if not name.endswith(AS_WRITTEN) or not isinstance(text, str):
                continue
            column = site.column(name[: -len(AS_WRITTEN)])
            if column is not None and column.field == field:
                return f"extensions[{domain}].{name}", text
    return None


def write_cell(site: SiteFormat, col: ColumnFormat, obj: dict[str, Any], value: Any) -> TermCell:
    """The cell for an MXLIMS value: the sheet's own writing when it still holds, else the
    facility's spelling, else the value verbatim (a warning), or a loss for a closed column."""
    values = col.values
    assert values is not None
    if not isinstance(value, str):
        return TermCell(None, loss="not a text value")
    key = as_written_key(col.header)
    own_tag = f"extensions[{site.domain}].{key}"
    mine = (obj.get("extensions") or {}).get(site.domain)
    own = mine.get(key) if isinstance(mine, dict) else None
    if isinstance(own, str) and values.read(own)[0] == value:
        return TermCell(own, used=(own_tag,))
    stale = (
        (own_tag, f"the sheet once said {own!r}, but the value is now {value!r}")
        if own is not None
        else None
    )
    spelling = values.spelling(value)
    if spelling is None and values.closed:
        return TermCell(None, loss=values.to_spelling(value)[1], stale=stale)
    cell = spelling if spelling is not None else value
    origin = written_elsewhere(obj, col.field or "", site.domain)
    original = origin[1] if origin else value
    used = (origin[0],) if origin else ()
    what = f"{values.vocabulary.name} {original!r}"
    if spelling is None:
        warning = (
            f"{what} is not one of the values the {site.name} sheet lists "
            f"({values.accepted}): written as it is"
        )
    elif cell != original:
        warning = f"{what} written as {cell!r}, the {site.name} spelling"
    else:
        warning = None
    return TermCell(cell, warning=warning, used=used, stale=stale)
