"""Speed benchmark of mxlims-store: ``python -m bench`` (``--smoke`` for a tiny run).

The stores are built from synthetic beamtimes (:mod:`bench.generate`); each store size is
measured in a fresh worker process (:mod:`bench.measure`) so that its peak RSS belongs to that
size alone; results go to ``bench/results.md`` and ``bench/results.json``.
"""

from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
