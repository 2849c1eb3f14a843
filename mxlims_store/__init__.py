"""mxlims-store: a LIMS for macromolecular crystallography whose native language is MXLIMS.

The library: the MXLIMS model (``model``), messages (``messages``), the document store
(``store``) and facility sheet mappings (``mappings``). It never imports the web layer.
"""

from mxlims_store.errors import (
    Conflict,
    InvalidMessage,
    MappingError,
    MxlimsError,
    NotFound,
    PermissionDenied,
    Problem,
    SheetProblem,
    StaleRevision,
)
from mxlims_store.model.registry import MODEL_VERSION

__version__ = "0.1.0"

__all__ = [
    "MODEL_VERSION",
    "Conflict",
    "InvalidMessage",
    "MappingError",
    "MxlimsError",
    "NotFound",
    "PermissionDenied",
    "Problem",
    "SheetProblem",
    "StaleRevision",
    "__version__",
]
