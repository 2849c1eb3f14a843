"""What a facility's sheet requires of a shipment, in MXLIMS message names, read off its site
file: the fields of its required columns, the place of a pin in its puck where the sheet has a
position column, and the links every row needs (a pin in a puck in a dewar in a shipment; its
sample, and the sample's protein, where a required column names them). ``GET /facility`` says
it per facility, so what it promises cannot drift from what the export refuses.
"""

from __future__ import annotations

from .site_registry import get_site
from .sites import SiteFormat

#: The chain of containers every sheet row stands in: type -> (link, the type it links to).
_CHAIN = {"Pin": "Puck", "Puck": "Dewar", "Dewar": "Shipment"}


def sheet_requirements(site: str | SiteFormat) -> dict[str, list[str]]:
    """Per MXLIMS type, the fields and links (``containerRef``, ``sampleRef``) an object needs
    for this facility's sheet to accept the shipment."""
    sf = get_site(site)
    needed: dict[str, set[str]] = {}
    for column in sf.columns:
        if column.required and column.field:
            type_, field = column.field.split(".")[:2]
            needed.setdefault(type_, set()).add(field)
    for type_ in _CHAIN:
        needed.setdefault(type_, set()).add("containerRef")
    if "MacromoleculeSample" in needed or "Macromolecule" in needed:
        needed["Pin"].add("sampleRef")
    if "Macromolecule" in needed:
        needed.setdefault("MacromoleculeSample", set()).add("parentSampleRef")
    return {type_: sorted(fields) for type_, fields in sorted(needed.items())}
