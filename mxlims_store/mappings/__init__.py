"""Facility shipment sheets <-> MXLIMS messages.

Each synchrotron's one-line-per-pin spreadsheet is described by one TOML data file in
``sites/`` (see ``README.md`` here); one engine reads and writes all of them.

    >>> msg = read_sheet("esrf", open("shipment.csv", "rb").read())     # MXLIMS message dict
    >>> out = write_sheet("dls", msg, fmt="xlsx")                       # SheetExport
    >>> out.losses                                                      # what DLS cannot hold
"""

from __future__ import annotations

from .checked import SheetDefaults, checked_sheet, convert_sheet, parse_column_defaults
from .exporter import AppliedDefault, Loss, SheetExport, write_sheet
from .importer import MXLIMS_VERSION, read_sheet
from .site_registry import get_site, list_sites, load_site_file, names_no_facility, site_domain
from .sites import Capacities, ColumnFormat, SiteFileError, SiteFormat

__all__ = [
    "MXLIMS_VERSION",
    "AppliedDefault",
    "Capacities",
    "ColumnFormat",
    "Loss",
    "SheetDefaults",
    "SheetExport",
    "SiteFileError",
    "SiteFormat",
    "checked_sheet",
    "convert_sheet",
    "get_site",
    "list_sites",
    "load_site_file",
    "names_no_facility",
    "parse_column_defaults",
    "read_sheet",
    "site_domain",
    "write_sheet",
]
