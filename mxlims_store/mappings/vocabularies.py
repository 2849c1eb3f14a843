"""The canonical MXLIMS-side vocabularies of sheet columns that take controlled values.

MXLIMS 0.6.13 types ``MxExperiment.experimentStrategy``, ``Puck.puckType`` and ``Pin.loopType``
as free strings and enumerates none of them, while every facility sheet offers its own fixed
spellings (DLS "Ligand binding", ESRF "MXPressE", SLS "Standard" ...). Copying those spellings
into MXLIMS would make a DLS experiment kind land in ESRF's column, where it means nothing. So
this file names, once for all facilities, the terms an MXLIMS message built by this package
holds in those fields and what each term means. Each facility's TOML file maps its own
spellings to these terms (``[columns.values]``, see ``README.md``); a new facility adds only its
file, and this one changes only when a facility needs a term that is not here yet.

Space groups are a controlled vocabulary too, but MXLIMS enumerates them itself
(``SpaceGroupName``): see ``space_group_numbers.py``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from dataclasses import field as dataclass_field  # Vocabulary has a member named field

UNKNOWN_VALUES = (
    "passed through: kept verbatim in the MXLIMS field (all three are free text in MXLIMS) and, "
    "as the sheet wrote it, in the facility's extensions, with a warning (row, column)"
)
"""What import does with a cell value the facility's list does not have (unless the column is
``closed``): a value the facility accepts is never refused for its vocabulary."""


def normalise(text: str) -> str:
    """Compare key of a controlled value: case, blanks, ``_`` and ``-`` ignored.

    ``"Ligand binding"``, ``"ligand_binding"`` and ``" LIGAND  BINDING "`` are one spelling.
    """
    return re.sub(r"[\s_\-]+", "", text).lower()


@dataclass(frozen=True, eq=False)  # one object per vocabulary: compared and hashed by identity
class Vocabulary:
    """The canonical terms of one MXLIMS field."""

    name: str
    """What the values are, as problems and losses say it ("experiment kind")."""
    field: str
    """The MXLIMS ``Type.field`` the terms are stored in."""
    unknown_why: str
    """Why an unlisted value passes through rather than being refused."""
    terms: Mapping[str, str]
    """Canonical term -> what it means."""
    _by_key: dict[str, str] = dataclass_field(init=False, repr=False)

    def __post_init__(self) -> None:
        by_key: dict[str, str] = {}
        for term in self.terms:
            key = normalise(term)
            if key in by_key:  # a programming error in this file
                raise ValueError(f"{self.name}: terms {by_key[key]!r} and {term!r} collide")
            by_key[key] = term
        object.__setattr__(self, "_by_key", by_key)

    def term(self, value: str) -> str | None:
        """The canonical term ``value`` spells (case, blanks, ``_`` and ``-`` ignored), or None."""
        return self._by_key.get(normalise(value))


@dataclass(frozen=True)
class ValueMap:
    """One facility column's spellings and the MXLIMS value each one stands for.

    Built from the column's ``[columns.values]`` table (facility spelling = canonical term);
    several spellings may stand for one term, and the first one listed is what export writes.
    ``verbatim`` are further values the facility accepts as they are (ISPyB's experimentKind
    enumeration at a facility that runs ISPyB): each stands for the canonical term it spells
    or means (:data:`ISPYB_MEANS`), else for itself. A value in neither list passes through
    verbatim (the column is open) unless ``closed``.
    """

    vocabulary: Vocabulary
    site: str
    """The facility's display name, for loss reasons."""
    header: str
    pairs: tuple[tuple[str, str], ...]
    """(facility spelling, canonical term) in file order."""
    verbatim: tuple[str, ...] = ()
    closed: bool = False
    """The facility's own importer takes nothing else: an unlisted value is refused at import
    and is a loss (cell left empty) at export."""
    _to_value: dict[str, str] = dataclass_field(init=False, repr=False, compare=False)
    _to_spelling: dict[str, str] = dataclass_field(init=False, repr=False, compare=False)
    _listed: dict[str, str] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        to_value: dict[str, str] = {}
        to_spelling: dict[str, str] = {}
        listed: dict[str, str] = {}
        extra = [
            (kind, self.vocabulary.term(kind) or ISPYB_MEANS.get(kind, kind))
            for kind in self.verbatim
        ]
        for spelling, value in (*self.pairs, *extra):
            key = normalise(spelling)
            if key in to_value:  # a verbatim value the facility file already spells
                continue
            to_value[key] = value
            listed[key] = spelling
            to_spelling.setdefault(value, spelling)
        object.__setattr__(self, "_to_value", to_value)
        object.__setattr__(self, "_to_spelling", to_spelling)
        object.__setattr__(self, "_listed", listed)

    @classmethod
    def build(
        cls,
        vocabulary: Vocabulary,
        raw: object,
        site: str,
        header: str,
        *,
        verbatim: tuple[str, ...] = (),
        closed: bool = False,
    ) -> ValueMap:
        """Check a ``[columns.values]`` table; :class:`ValueError` says what is wrong."""
        if not isinstance(raw, dict) or not raw:
            raise ValueError("must be a table of facility spelling = canonical term")
        pairs: list[tuple[str, str]] = []
        seen: dict[str, str] = {}
        for spelling, term in raw.items():
            if not isinstance(term, str) or term not in vocabulary.terms:
                near = vocabulary.term(term) if isinstance(term, str) else None
                hint = f"; did you mean {near!r}?" if near else ""
                raise ValueError(
                    f"{spelling!r} maps to {term!r}, which is not a term of the {vocabulary.name}"
                    f" vocabulary (vocabularies.py: {', '.join(vocabulary.terms)}){hint}"
                )
            key = normalise(spelling)
            if not key:
                raise ValueError("an empty facility spelling cannot be mapped")
            if key in seen:
                raise ValueError(
                    f"facility spelling {spelling!r} is mapped twice (also as {seen[key]!r}; "
                    "case, blanks, '_' and '-' are ignored)"
                )
            seen[key] = spelling
            pairs.append((spelling, term))
        return cls(vocabulary, site, header, tuple(pairs), verbatim, closed)

    @property
    def spellings(self) -> dict[str, str]:
        """Facility spelling -> canonical term, in file order."""
        return dict(self.pairs)

    @property
    def accepted(self) -> str:
        """The spellings the facility lists, as problems and warnings say them."""
        own = ", ".join(self.spellings)
        return f"{own}, or a kind of ISPyB's experimentKind enumeration" if self.verbatim else own

    def to_term(self, text: str) -> str | None:
        """The MXLIMS value a cell value spells, or None when the facility does not list it."""
        return self._to_value.get(normalise(text))

    def read(self, text: str) -> tuple[str, bool]:
        """(MXLIMS value, whether the facility lists it) of a non-empty cell.

        An unlisted value is the canonical term it spells, else the cell as written: MXLIMS
        holds these fields as free text, so nothing the user wrote is lost.
        """
        value = self.to_term(text)
        if value is not None:
            return value, True
        return self.vocabulary.term(text) or text.strip(), False

    def spelling(self, value: str) -> str | None:
        """This facility's spelling of an MXLIMS value, or None when it lists none."""
        spelled = self._to_spelling.get(self.vocabulary.term(value) or value)
        return spelled if spelled is not None else self._listed.get(normalise(value))

    def to_spelling(self, value: str) -> tuple[str | None, str | None]:
        """(cell, None) for an MXLIMS value, or (None, why this column cannot say it)."""
        spelled = self.spelling(value)
        if spelled is not None:
            return spelled, None
        where = f"the {self.site} {self.header!r} column"
        return None, (
            f"{self.vocabulary.name} {value!r} is not one of the values {where} takes (a closed "
            "list): cell left empty"
        )


EXPERIMENT_KIND = Vocabulary(
    name="experiment kind",
    field="MxExperiment.experimentStrategy",
    unknown_why=(
        "MXLIMS's experimentStrategy is free text and facilities run more kinds than any list "
        "here names (ISPyB's experimentKind enumeration, beamline workflows): what the "
        "facility accepts is its business, and the cell goes back to it unchanged"
    ),
    terms={
        "Default": "No particular strategy asked for: the facility runs its standard procedure.",
        "OSC": "One rotation (oscillation) sweep with the parameters on the row, no "
        "characterisation first.",
        "SAD": "Single-wavelength anomalous diffraction: a high-multiplicity sweep that keeps the "
        "anomalous signal, at an energy chosen for the anomalous scatterer.",
        "MAD": "Multi-wavelength anomalous diffraction: sweeps at several energies around an "
        "absorption edge.",
        "Helical": "Helical (vector) collection: the crystal is translated along a line while it "
        "rotates, spreading the dose over a long crystal.",
        "LigandBinding": "A ligand or fragment soaked into (or co-crystallised with) a known "
        "crystal form: a standard collection aimed at seeing the bound ligand.",
        "Characterisation": "Test images, indexing and a strategy or quality score only, no full "
        "data set: to rank crystals or plan a later collection.",
        "MXPressE": "The ESRF MXPressE workflow: X-ray centring, characterisation, then the data "
        "collection the computed strategy proposes.",
        "MXPressA": "The ESRF MXPressA automatic workflow, as the ESRF defines it.",
    },
)

PUCK_TYPE = Vocabulary(
    name="puck type",
    field="Puck.puckType",
    unknown_why=(
        "pucks come in more types than any list names; the type only matters for its number of "
        "positions, so a puck of an unlisted type needs its number of positions in the sheet "
        "(or is refused for that reason)"
    ),
    terms={
        "Unipuck": "The Unipuck standard puck: 16 pin positions.",
        "Spinepuck": "The SPINE standard puck (basket): 10 pin positions.",
        "ALS": "The ALS-style puck (Advanced Light Source design that the Unipuck grew out of): "
        "16 pin positions.",
    },
)

LOOP_TYPE = Vocabulary(
    name="loop type",
    field="Pin.loopType",
    unknown_why=(
        "the loop type informs the beamline staff, it does not steer the experiment, and ISPyB "
        "keeps it as free text: an unlisted loop should not stop a shipment"
    ),
    terms={
        "Nylon": "Nylon-fibre loop (e.g. Hampton CryoLoop).",
        "MicroLoop": "Polyimide-film loop (MiTeGen MicroLoop).",
        "MicroMesh": "Polyimide mesh mount (MiTeGen MicroMesh), for small or many crystals.",
        "LithoLoop": "Lithographically made loop (Molecular Dimensions LithoLoop).",
    },
)

#: ISPyB experimentKind values (``ispyb_terms.EXPERIMENT_KINDS``) that mean a canonical term
#: they do not spell; the other kinds stand for themselves (MXPressO, Fixed, ...).
ISPYB_MEANS: dict[str, str] = {"MXScore": "Characterisation"}

#: The vocabulary of each MXLIMS field that has one: a facility column mapping such a field
#: must declare its ``values``.
VOCABULARIES: dict[str, Vocabulary] = {v.field: v for v in (EXPERIMENT_KIND, PUCK_TYPE, LOOP_TYPE)}
