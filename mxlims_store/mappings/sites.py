"""Facility sheet formats: one TOML data file per facility under ``sites/``.

The engine knows no facility; everything facility-specific (headers, their order and variant
spellings, the MXLIMS field each column maps to, value transforms, capacities, the spellings of
controlled values) is data. See ``README.md`` in this folder for the file format; the canonical
terms those spellings map to are shared by all facilities in ``vocabularies.py``.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import asdict, dataclass, field
from functools import cached_property, lru_cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from ..errors import NotFound
from .fields import FIELDS, lookup
from .vocabularies import PUCK_TYPE, VOCABULARIES, ValueMap

Positions = Literal["column", "row-order"]

#: Transforms a column may name, and the field kinds each one can feed.
TRANSFORMS: dict[str, frozenset[str]] = {
    "text": frozenset({"string", "extension"}),
    "int": frozenset({"integer", "extension"}),
    "float": frozenset({"number", "extension"}),
    "percent": frozenset({"number", "extension"}),
    "bool": frozenset({"extension"}),
    "spacegroup": frozenset({"spacegroup"}),
    "spacegroup_number": frozenset({"spacegroup"}),
    "unit_cell_six": frozenset({"unitcell"}),
    "square_pair": frozenset({"pair"}),
    "smiles": frozenset({"components"}),
    "flag": frozenset({"string"}),
    "letters_part": frozenset({"string"}),
    "digits_part": frozenset({"string"}),
}

_DEFAULT_TRANSFORM = {
    "string": "text",
    "integer": "int",
    "number": "float",
    "spacegroup": "spacegroup",
    "unitcell": "unit_cell_six",
    "pair": "square_pair",
    "components": "smiles",
}

#: Object types whose ``extensions[domain]`` may hold an unmapped column.
EXTENSION_TARGETS = (
    "Shipment",
    "Dewar",
    "Puck",
    "Pin",
    "Macromolecule",
    "MacromoleculeSample",
    "MxExperiment",
    "CollectionSweep",
    "MxProcessing",
)

_DOMAIN = re.compile(
    r"^(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9][a-z0-9-]{0,61}[a-z0-9]$"
)
_CODE = re.compile(r"^[a-z][a-z0-9_]*$")


# A document database cannot hold a dot in an extension field name, nor a key starting with "$":
# a header such as "min osc. angle" is kept under "min osc<U+2024> angle" (ONE DOT LEADER), which
# reads the same and maps back to its column on export.
KEY_DOT, KEY_DOLLAR = "\u2024", "\uff04"


def extension_key(header: str) -> str:
    """The extension field name that keeps an unmapped column's values."""
    key = header.replace(".", KEY_DOT)
    return KEY_DOLLAR + key[1:] if key.startswith("$") else key


def normalise_header(text: str) -> str:
    """Compare key of a header: case, blanks, ``_``, a leading ``#``, ``*`` and ``[unit]`` ignored.

    ``"#parcel name"``, ``"Parcel Name"`` and ``"parcel_name*"`` all give ``"parcelname"``;
    ``"Space Group Number [1x int]"`` gives ``"spacegroupnumber"``.
    """
    text = text.strip().lstrip("#").replace(KEY_DOT, ".").replace(KEY_DOLLAR, "$")
    text = re.sub(r"\[[^\]]*\]|\([^)]*\)", "", text)
    return re.sub(r"[\s_*]+", "", text).lower()


@dataclass(frozen=True)
class ColumnFormat:
    """One column of a facility sheet."""

    header: str
    """The header as the facility's template spells it (written on export)."""
    field: str | None
    """MXLIMS ``Type.field`` (or ``Type.field.part`` for a unit-cell component); None: extension."""
    transform: str
    required: bool = False
    aliases: tuple[str, ...] = ()
    keep_on: str = "Pin"
    """For an unmapped column: the object type whose ``extensions[domain][header]`` keeps it."""
    unit: str | None = None
    scale: float | None = None
    """Sheet value x scale = MXLIMS value (e.g. 1000 for keV in the sheet, eV in MXLIMS)."""
    minimum: float | None = None
    maximum: float | None = None
    """Extra plausibility bounds in sheet units, on top of the schema's ranges."""
    flag_value: str | None = None
    note: str | None = None
    values: ValueMap | None = None
    """For a field with a shared vocabulary: this facility's spellings of its terms."""

    @property
    def object_type(self) -> str:
        """The MXLIMS type this column's value lands on."""
        return self.field.split(".", 1)[0] if self.field else self.keep_on

    @cached_property
    def keys(self) -> tuple[str, ...]:
        """Normalised header spellings that select this column."""
        return tuple(dict.fromkeys(normalise_header(h) for h in (self.header, *self.aliases)))

    def to_dict(self) -> dict[str, Any]:
        out = {
            k: v
            for k, v in asdict(self).items()
            if k != "values" and (v not in (None, (), False) or k == "field")
        }
        out["required"] = self.required
        out["aliases"] = list(self.aliases)
        if self.values is not None:
            out["values"] = self.values.spellings
        return out


@dataclass(frozen=True)
class Capacities:
    """How many positions containers of this facility have."""

    puck: int = 16
    """Pin positions of a puck when neither ``numberPositions`` nor a known type says otherwise."""
    puck_types: dict[str, int] = field(default_factory=dict)
    """Pin positions by puck type (lower-case), e.g. ``{"unipuck": 16, "spinepuck": 10}``."""
    dewar: int | None = None
    """Puck positions of a dewar, if the facility limits ``positionInDewar``."""
    multipin: int | None = None
    """Positions of a multi-position pin (sites with a sub-position column)."""

    def for_puck(self, puck_type: str | None, number_positions: int | None) -> int:
        if number_positions:
            return number_positions
        term = PUCK_TYPE.term(puck_type) if puck_type else None
        for name, positions in self.puck_types.items():
            if term is not None and PUCK_TYPE.term(name) == term:
                return positions
        return self.puck


@dataclass(frozen=True)
class SiteFormat:
    """A facility's shipment sheet, read from ``sites/<code>.toml``."""

    code: str
    name: str
    domain: str
    columns: tuple[ColumnFormat, ...]
    capacities: Capacities
    positions: Positions
    """``column``: the sheet has a position-in-puck column; ``row-order``: the n-th row of a puck
    is position n."""
    description: str = ""
    _index: dict[str, ColumnFormat] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        index = {key: col for col in reversed(self.columns) for key in col.keys}
        object.__setattr__(self, "_index", index)

    @property
    def has_position_column(self) -> bool:
        return self.positions == "column"

    def column(self, header: str) -> ColumnFormat | None:
        """The column a header spelling selects, or None."""
        return self._index.get(normalise_header(header))

    def columns_for(self, type_: str, field_: str) -> list[ColumnFormat]:
        """Columns mapping ``type_.field_`` (several for split values such as unit cells)."""
        return [c for c in self.columns if c.field and c.field.split(".")[:2] == [type_, field_]]

    def maps(self, type_: str, field_: str) -> bool:
        return bool(self.columns_for(type_, field_))

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "name": self.name,
            "domain": self.domain,
            "description": self.description,
            "positions": self.positions,
            "capacities": asdict(self.capacities),
            "columns": [c.to_dict() for c in self.columns],
        }


class SiteFileError(ValueError):
    """A site TOML file is malformed (a programming/configuration error, not a user error)."""


def parse_site(text: str, code: str, source: str = "<toml>") -> SiteFormat:
    """Build a :class:`SiteFormat` from TOML text; raise :class:`SiteFileError` when wrong."""

    def fail(msg: str) -> SiteFileError:
        return SiteFileError(f"{source}: {msg}")

    try:
        raw = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise fail(str(exc)) from exc
    if raw.get("code", code) != code or not _CODE.match(code):
        raise fail(f"code {raw.get('code')!r} must be the file name {code!r} (lower-case)")
    name, domain = raw.get("name"), raw.get("domain")
    if not isinstance(name, str) or not name:
        raise fail("'name' (display name) is required")
    if not isinstance(domain, str) or not _DOMAIN.match(domain):
        raise fail(f"'domain' must be a domain name like 'esrf.fr', not {domain!r}")
    caps_raw = raw.get("capacities", {})
    try:
        caps = Capacities(
            puck=int(caps_raw.get("puck", 16)),
            puck_types={str(k).lower(): int(v) for k, v in caps_raw.get("puck_types", {}).items()},
            dewar=caps_raw.get("dewar"),
            multipin=caps_raw.get("multipin"),
        )
    except (TypeError, ValueError, AttributeError) as exc:
        raise fail(f"bad [capacities]: {exc}") from exc
    # Puck.puckType holds canonical terms (vocabularies.py), so capacities are keyed by them.
    for puck_type in caps.puck_types:
        if PUCK_TYPE.term(puck_type) is None:
            raise fail(
                f"capacities.puck_types: {puck_type!r} is not a puck type of vocabularies.py "
                f"({', '.join(PUCK_TYPE.terms)})"
            )

    columns: list[ColumnFormat] = []
    seen: dict[str, str] = {}
    for i, col in enumerate(raw.get("columns", []), start=1):
        where = f"column {i}"
        header = col.get("header")
        if not isinstance(header, str) or not header.strip():
            raise fail(f"{where}: 'header' is required")
        where = f"column {i} ({header!r})"
        unknown = set(col) - {
            "header", "aliases", "field", "transform", "required", "keep_on", "unit", "scale",
            "min", "max", "flag_value", "note", "values",
        }  # fmt: skip
        if unknown:
            raise fail(f"{where}: unknown keys {sorted(unknown)}")
        fld = col.get("field") or None
        if fld is not None:
            try:
                _, _, _part, spec = lookup(fld)
            except KeyError:
                raise fail(f"{where}: {fld!r} is not a mappable MXLIMS field") from None
            kind: str = spec.kind
            transform = col.get("transform", _DEFAULT_TRANSFORM[kind])
        else:
            kind = "extension"
            transform = col.get("transform", "text")
        if transform not in TRANSFORMS:
            raise fail(f"{where}: unknown transform {transform!r}")
        if kind not in TRANSFORMS[transform]:
            raise fail(f"{where}: transform {transform!r} cannot feed a {kind} field")
        if transform == "flag" and not col.get("flag_value"):
            raise fail(f"{where}: transform 'flag' needs 'flag_value'")
        keep_on = col.get("keep_on", "Pin")
        if keep_on not in EXTENSION_TARGETS:
            raise fail(f"{where}: keep_on must be one of {', '.join(EXTENSION_TARGETS)}")
        try:
            values = _values(col, fld, transform, name, header)
        except ValueError as exc:
            raise fail(f"{where}: {exc}") from None
        column = ColumnFormat(
            header=header,
            field=fld,
            transform=transform,
            required=bool(col.get("required", False)),
            aliases=tuple(col.get("aliases", ())),
            keep_on=keep_on,
            unit=col.get("unit"),
            scale=float(col["scale"]) if "scale" in col else None,
            minimum=float(col["min"]) if "min" in col else None,
            maximum=float(col["max"]) if "max" in col else None,
            flag_value=col.get("flag_value"),
            note=col.get("note"),
            values=values,
        )
        for key in column.keys:
            if key in seen:
                raise fail(f"{where}: header spelling {key!r} also selects {seen[key]!r}")
            seen[key] = header
        columns.append(column)
    if not columns:
        raise fail("no [[columns]]")

    mapped = [
        c.field for c in columns if c.field and c.transform not in ("letters_part", "digits_part")
    ]
    dupes = {f for f in mapped if mapped.count(f) > 1}
    if dupes:
        raise fail(f"fields mapped by more than one column: {sorted(dupes)}")
    letters = [c for c in columns if c.transform == "letters_part"]
    digits = [c for c in columns if c.transform == "digits_part"]
    if len(letters) != len(digits) or any(
        a.field != b.field for a, b in zip(letters, digits, strict=False)
    ):
        raise fail("'letters_part' and 'digits_part' columns must come in pairs on one field")

    has_pos = any(c.field in ("Pin.positionInPuck",) for c in columns)
    positions = raw.get("positions", "column" if has_pos else "row-order")
    if positions not in ("column", "row-order"):
        raise fail("'positions' must be 'column' or 'row-order'")
    if (positions == "column") != has_pos:
        raise fail("'positions = \"column\"' needs a column mapped to Pin.positionInPuck")
    if any(c.field == "PinPosition.positionInPin" for c in columns) and (
        not caps.multipin or positions != "column"
    ):
        raise fail(
            "a PinPosition.positionInPin column needs capacities.multipin and a position column"
        )
    return SiteFormat(
        code=code,
        name=name,
        domain=domain,
        columns=tuple(columns),
        capacities=caps,
        positions=positions,
        description=str(raw.get("description", "")),
    )


def _values(
    col: dict[str, Any], fld: str | None, transform: str, site: str, header: str
) -> ValueMap | None:
    """The column's spellings of a shared vocabulary (:class:`ValueError` when wrong).

    A field with a vocabulary must have them: copying a facility's spelling raw into MXLIMS
    would carry it into other facilities' sheets, where it means nothing.
    """
    vocabulary = VOCABULARIES.get(fld) if fld else None
    if vocabulary is None:
        if "values" in col:
            raise ValueError(f"'values' given, but {fld or 'an extension'} has no vocabulary")
        return None
    if "values" not in col:
        raise ValueError(
            f"{fld} takes {vocabulary.name}s: list this facility's spellings under"
            " [columns.values] (spelling = term of vocabularies.py)"
        )
    if transform != "text":
        raise ValueError(f"a column with 'values' takes transform 'text', not {transform!r}")
    return ValueMap.build(vocabulary, col["values"], site, header)


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
    """The format for a facility code (case-insensitive); :class:`NotFound` lists known codes."""
    if isinstance(site, SiteFormat):
        return site
    sites = _all_sites()
    key = site.strip().lower().replace(" ", "")
    if key not in sites:
        known = ", ".join(sites)
        raise NotFound(f"unknown facility {site!r}; known facilities: {known}")
    return sites[key]


__all__ = [
    "FIELDS",
    "Capacities",
    "ColumnFormat",
    "SiteFileError",
    "SiteFormat",
    "get_site",
    "list_sites",
    "load_site_file",
    "normalise_header",
    "parse_site",
]
