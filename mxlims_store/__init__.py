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


def __getattr__(name: str) -> str:
    # MODEL_VERSION on first use: its module loads the whole pydantic model (~0.1 s), which
    # every `import mxlims_store.<anything>` would otherwise pay before a command even starts
    if name == "MODEL_VERSION":
        from mxlims_store.model.registry import MODEL_VERSION

        return MODEL_VERSION
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
