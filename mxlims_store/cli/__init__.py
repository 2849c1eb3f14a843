"""The ``mxlims-store`` command line. Machine-readable JSON on stdout; problems on stderr."""

from mxlims_store.cli.app import app

__all__ = ["app"]
