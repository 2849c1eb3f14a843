"""mxlims-store: a LIMS for macromolecular crystallography whose native language is MXLIMS.

The library: the MXLIMS model (``model``), messages (``messages``), the document store
(``store``) and facility sheet mappings (``mappings``). It never imports the web layer.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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


def __getattr__(name: str) -> Any:
    # Every name on first use: `import mxlims_store.<anything>` would otherwise pay for them
    # before a command even starts (MODEL_VERSION's module loads the whole pydantic model,
    # ~0.1 s; the errors, dataclasses), and most commands need none of them.
    if name == "MODEL_VERSION":
        from mxlims_store.model.registry import MODEL_VERSION

        return MODEL_VERSION
    if name in __all__:
        from mxlims_store import errors

        return getattr(errors, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
