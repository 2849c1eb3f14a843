"""ISPyB's own vocabularies, declared once: the facility sheets of sites that run ISPyB (ESRF,
DLS, MAX IV) and the ISPyB bridge both read them from here.

``EXPERIMENT_KINDS`` is the enumeration of ``DiffractionPlan.experimentKind`` in ISPyB's schema
(5.0.0, ``tables.sql`` of the shared ISPyB database), in its own order and spelling. MXLIMS's
``MxExperiment.experimentStrategy`` is free text: these are the terms we know how to carry
into ISPyB's column; anything else passes through verbatim with a warning, never a refusal.
"""

from __future__ import annotations

EXPERIMENT_KINDS: tuple[str, ...] = (
    "Default",
    "MXPressE",
    "MXPressO",
    "MXPressE_SAD",
    "MXScore",
    "MXPressM",
    "MAD",
    "SAD",
    "Fixed",
    "Ligand binding",
    "Refinement",
    "OSC",
    "MAD - Inverse Beam",
    "SAD - Inverse Beam",
    "MESH",
    "XFE",
    "Stepped transmission",
    "XChem High Symmetry",
    "XChem Low Symmetry",
    "Commissioning",
    "Metal ID",
)


def ispyb_experiment_kind(term: str) -> str | None:
    """ISPyB's spelling of ``term`` (case and surrounding blanks ignored), or None when the
    enumeration has no such kind."""
    wanted = term.strip().casefold()
    return next((kind for kind in EXPERIMENT_KINDS if kind.casefold() == wanted), None)
