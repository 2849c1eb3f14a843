"""What a push is asked to do (the CLI's and the API's options, one shape)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class PushOptions:
    """``domain``: the ISPyB site's domain, under which the store keeps uuid <-> row;
    ``session``: BLSession.visit_number; ``timezone``: the site's, for ISPyB's naive times."""

    domain: str
    session: int | None = None
    retire_old_barcode: bool = False
    dry_run: bool = False
    results: bool = False
    events: bool = False  # logistics events too
    timezone: str = "UTC"
