"""The facilities this package knows (one TOML file each in ``sites/``, read and checked
here), and the one way a site is named: a facility's code (``esrf``) or a domain
(``esrf.fr``, ``massif1.esrf.fr``)."""

from __future__ import annotations

import re
import tomllib
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from ..errors import InvalidQuery, Problem
from ..model.basic_types import DOMAIN_NAME_PATTERN
from .sites import SiteFileError, SiteFormat


def parse_site(text: str, code: str, source: str = "<toml>") -> SiteFormat:
    """Build a :class:`SiteFormat` from TOML text; raise :class:`SiteFileError` when wrong,
    naming the file, the column and what is wrong with it."""
    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise SiteFileError(f"{source}: {exc}") from exc
    raw.setdefault("code", code)
    context = {"code": code, "site": raw.get("name")}
    try:
        return SiteFormat.model_validate(raw, context=context)
    except ValidationError as error:
        said = "; ".join(_said(e, raw) for e in error.errors())
        raise SiteFileError(f"{source}: {said}") from None


def _said(error: ErrorDetails, raw: dict[str, Any]) -> str:
    """One problem of a site file in its own words: where (the column, the key) and what."""
    loc = list(error["loc"])
    where = ""
    if len(loc) > 1 and loc[0] == "columns" and isinstance(loc[1], int):
        column = raw["columns"][loc[1]]
        header = column.get("header") if isinstance(column, dict) else None
        where = f"column {loc[1] + 1}" + (f" ({header!r})" if isinstance(header, str) else "")
        loc = loc[2:]
    key = ".".join(map(str, loc))
    if error["type"] == "extra_forbidden":
        what = f"unknown key {key!r}"
    elif error["type"] == "missing":
        what = f"{key!r} is required"
    else:
        text = str(error["ctx"]["error"]) if error["type"] == "value_error" else error["msg"]
        what = f"{key}: {text}" if key else text
    return f"{where}: {what}" if where else what


def load_site_file(path: str | Path) -> SiteFormat:
    """Load one site file (the code is the file name without ``.toml``)."""
    p = Path(path)
    return parse_site(p.read_text(encoding="utf-8"), p.stem, str(p))


@lru_cache(maxsize=1)
def _all_sites() -> dict[str, SiteFormat]:
    folder = resources.files(__package__).joinpath("sites")
    out: dict[str, SiteFormat] = {}
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if entry.name.endswith(".toml"):
            code = entry.name[: -len(".toml")]
            out[code] = parse_site(entry.read_text(encoding="utf-8"), code, entry.name)
    return out


def list_sites() -> list[SiteFormat]:
    """Every facility format shipped in ``sites/``, sorted by code."""
    return list(_all_sites().values())


def get_site(site: str | SiteFormat) -> SiteFormat:
    """The facility a site names: its code (``esrf``, any case) or a domain of it (``esrf.fr``,
    ``massif1.esrf.fr``); :class:`~mxlims_store.errors.InvalidQuery` listing the known ones
    when it names none."""
    if isinstance(site, SiteFormat):
        return site
    found = facility_of(site)
    if found is None:
        message = names_no_facility(site)
        raise InvalidQuery([Problem("site", message)], message)
    return found


def names_no_facility(site: str) -> str:
    """What is said of a site name that names no facility: the known ones."""
    return f"{site!r} names no facility; {_known()}"


def _known() -> str:
    return "known facilities: " + ", ".join(
        f"{code} ({sf.domain})" for code, sf in _all_sites().items()
    )


def facility_of(site: str) -> SiteFormat | None:
    """The facility of a code or of a domain at or below a facility's domain; None if none."""
    sites = _all_sites()
    key = site.strip().lower()
    if "." not in key:
        return sites.get(key.replace(" ", ""))  # a code, spelled as people do (Petra III)
    key = key.removesuffix(".")  # a fully qualified name's root dot
    return next(
        (sf for sf in sites.values() if key == sf.domain or key.endswith(f".{sf.domain}")), None
    )


def site_domain(site: str) -> str:
    """The domain a site names: a facility code gives its facility's domain, a domain is
    itself (it may be a site that has no sheet: ``icebear.fi``). InvalidQuery otherwise."""
    found = facility_of(site)
    if found is not None and "." not in site:
        return found.domain
    domain = site.strip().lower().removesuffix(".")
    if "." in domain and len(domain) <= 253 and re.fullmatch(DOMAIN_NAME_PATTERN, domain):
        return domain
    message = f"{site!r} is neither a facility's code nor a domain name; {_known()}"
    raise InvalidQuery([Problem("site", message)], message)
