"""``python -m mxlims_store.cli``: the same as the ``mxlims-store`` console script."""

from mxlims_store.console import main

main()
