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
from typing import Literal

Unknown = Literal["refuse", "keep"]
"""What import does with a cell value the facility file does not list: ``refuse`` it (a problem
with row, column and the allowed values) or ``keep`` it as written in the facility's extensions
(a warning with row and column); either way it never reaches the MXLIMS field."""


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
    unknown: Unknown
    unknown_why: str
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
    """One facility column's spellings and the canonical term each one stands for.

    Built from the column's ``[columns.values]`` table (facility spelling = canonical term);
    several spellings may stand for one term, and the first one listed is what export writes.
    """

    vocabulary: Vocabulary
    site: str
    """The facility's display name, for loss reasons."""
    header: str
    pairs: tuple[tuple[str, str], ...]
    """(facility spelling, canonical term) in file order."""
    _to_term: dict[str, str] = dataclass_field(init=False, repr=False, compare=False)
    _to_spelling: dict[str, str] = dataclass_field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        to_term: dict[str, str] = {}
        to_spelling: dict[str, str] = {}
        for spelling, term in self.pairs:
            to_term[normalise(spelling)] = term
            to_spelling.setdefault(term, spelling)
        object.__setattr__(self, "_to_term", to_term)
        object.__setattr__(self, "_to_spelling", to_spelling)

    @classmethod
    def build(cls, vocabulary: Vocabulary, raw: object, site: str, header: str) -> ValueMap:
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
        return cls(vocabulary, site, header, tuple(pairs))

    @property
    def spellings(self) -> dict[str, str]:
        """Facility spelling -> canonical term, in file order."""
        return dict(self.pairs)

    def to_term(self, text: str) -> str | None:
        """The canonical term a cell value spells, or None when the facility file lacks it."""
        return self._to_term.get(normalise(text))

    def to_spelling(self, value: str) -> tuple[str | None, str | None]:
        """(cell, None) for an MXLIMS value, or (None, why this column cannot say it)."""
        term = self.vocabulary.term(value)
        where = f"the {self.site} {self.header!r} column"
        if term is None:
            return None, (
                f"{value!r} is not a term of the MXLIMS {self.vocabulary.name} vocabulary "
                f"(vocabularies.py), so {where} has no spelling for it: cell left empty"
            )
        spelling = self._to_spelling.get(term)
        if spelling is None:
            return None, (
                f"{self.vocabulary.name} {term!r} has no counterpart in {where}: cell left empty"
            )
        return spelling, None


EXPERIMENT_KIND = Vocabulary(
    name="experiment kind",
    field="MxExperiment.experimentStrategy",
    unknown="refuse",
    unknown_why=(
        "every facility offers a fixed list (ISPyB's experimentKind enumeration, the EXI "
        "drop-down) and runs nothing else: a typo refused at upload is better than a crystal "
        "collected the wrong way"
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
    unknown="refuse",
    unknown_why=(
        "the type decides how many positions a puck has (the capacity check) and whether the "
        "facility's robot can hold it at all"
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
    unknown="keep",
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

#: The vocabulary of each MXLIMS field that has one: a facility column mapping such a field
#: must declare its ``values``.
VOCABULARIES: dict[str, Vocabulary] = {v.field: v for v in (EXPERIMENT_KIND, PUCK_TYPE, LOOP_TYPE)}
