"""Extension fields that override a field at a site, as a sheet export reports them.

``"massif1.esrf.fr": {"experimentStrategy": "MXPressE"}`` means "at ESRF MASSIF-1 use MXPressE".
The store applies the overrides of the facility (or of the beamline asked for) before writing
its sheet, so the column holds the overriding value; this module says, for the loss report,
whether an override reached its column and, if not, the true reason.
"""

from __future__ import annotations

from typing import Any, Literal

from .fields import FIELDS
from .sites import SiteFormat


def override_state(
    site: SiteFormat,
    type_: str,
    obj: dict[str, Any],
    domain: str,
    name: str,
    value: Any,
    written: bool,
) -> Literal["applied"] | str | None:
    """``applied`` when the object's field holds the override and the sheet wrote it, else why
    it is not in the sheet; None for an extension field that overrides nothing."""
    if name not in FIELDS.get(type_, {}):
        return None
    if obj.get(name) == value and written:
        return "applied"
    within = domain == site.domain or domain.endswith(f".{site.domain}")
    if within and domain != site.domain:
        return (
            f"an override for {domain}, within {site.name}: the facility's sheet does not "
            f"apply it (export for {domain} to apply it)"
        )
    if within and not site.maps(type_, name):
        return f"an override of {type_}.{name}, for which the {site.name} sheet has no column"
    return None
