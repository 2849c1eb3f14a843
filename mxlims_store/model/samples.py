"""Concrete Sample types of MXLIMS 0.6.13: what a sample is made of."""

from __future__ import annotations

from typing import Literal

from mxlims_store.model.basic_types import Uuid
from mxlims_store.model.core import SampleBase


class Macromolecule(SampleBase):
    """The macromolecule that is the main component of other samples."""

    mxlimsType: Literal["Macromolecule"] = "Macromolecule"
    acronym: str  # required for a Macromolecule, optional on other Samples


class MacromoleculeSample(SampleBase):
    """A macromolecule in a medium, possibly with further components."""

    mxlimsType: Literal["MacromoleculeSample"] = "MacromoleculeSample"
    mediumId: Uuid | None = None
    """uuid of the Medium."""
    parentSampleId: Uuid | None = None
    """uuid of the Macromolecule."""


class Medium(SampleBase):
    """The medium (buffer, solvent, ...) of other samples."""

    mxlimsType: Literal["Medium"] = "Medium"


__all__ = ["Macromolecule", "MacromoleculeSample", "Medium"]
