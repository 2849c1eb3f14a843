"""Facility shipment sheets <-> MXLIMS messages.

Each synchrotron's one-line-per-pin spreadsheet is described by one TOML data file in
``sites/`` (see ``README.md`` here); one engine reads and writes all of them.

    >>> msg = read_sheet("esrf", open("shipment.csv", "rb").read())     # MXLIMS message dict
    >>> out = write_sheet("dls", msg, fmt="xlsx")                       # SheetExport
    >>> out.losses                                                      # what DLS cannot hold
"""

from __future__ import annotations

from .exporter import Loss, SheetExport, write_sheet
from .importer import MXLIMS_VERSION, read_sheet
from .sites import (
    Capacities,
    ColumnFormat,
    SiteFileError,
    SiteFormat,
    get_site,
    list_sites,
    load_site_file,
)

__all__ = [
    "MXLIMS_VERSION",
    "Capacities",
    "ColumnFormat",
    "Loss",
    "SheetExport",
    "SiteFileError",
    "SiteFormat",
    "get_site",
    "list_sites",
    "load_site_file",
    "read_sheet",
    "write_sheet",
]
