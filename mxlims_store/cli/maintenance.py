"""backup and check: keeping the embedded store safe while it runs."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from mxlims_store.cli.app import app, emit, fail, with_store
from mxlims_store.store import Store


@app.command()
def backup(
    file: Annotated[Path, typer.Argument(help="where to write the copy (a SQLite database file)")],
) -> None:
    """A consistent copy of the embedded store, taken online (the server may keep running)."""

    async def run(store: Store) -> dict[str, Any]:
        return await store.backup(file)

    emit(with_store(run))


@app.command()
def check() -> None:
    """Check the store: the engine's integrity and every rule over all objects (positions,
    capacities, barcodes per shipment, links, history); exit 1 and list problems, one a line."""

    async def run(store: Store) -> list[str]:
        return await store.check()

    problems = with_store(run)
    if problems:
        fail([f"check: {problem}" for problem in problems])
    emit({"ok": True})
