"""init, backup, restore and check: creating the embedded store and keeping it safe."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mxlims_store.cli.app import app, emit, fail, with_store
from mxlims_store.errors import MxlimsError

if TYPE_CHECKING:
    from mxlims_store.answers import BackupReport, CheckReport
    from mxlims_store.store import Store


@app.command()
def init() -> None:
    """Create an empty store (and its first admin key) where none is; every other command
    refuses a missing store rather than start an empty one."""
    from mxlims_store.config import describe_store, get_settings
    from mxlims_store.store.backend import open_store
    from mxlims_store.store.backends.sqlite import database_file
    from mxlims_store.store.bootstrap import first_admin_key
    from mxlims_store.store.existence import ANEW

    settings = get_settings()
    if not settings.mongodb_url:
        existing = database_file(settings.data_dir, settings.database)
        if existing.exists() and existing.stat().st_size > 0:
            fail([f"init: {existing} exists already: nothing created"])

    async def run() -> dict[str, Any]:
        async with open_store(settings, creation=ANEW) as store:
            written = await first_admin_key(store, settings.data_dir)
        return {"created": describe_store(settings), "firstAdminKey": written}

    try:
        emit(asyncio.run(run()))
    except MxlimsError as error:
        fail([f"init: {error.message}"])
    except OSError as error:
        fail([f"init: {describe_store(settings)}: {error.strerror or error}"])


@app.command()
def backup(
    file: Annotated[
        Path, typer.Argument(help="a new file to write the copy to (never an existing path)")
    ],
) -> None:
    """A consistent copy of the embedded store, taken online (the server may keep running)."""

    async def run(store: Store) -> BackupReport:
        return await store.backup(file)

    emit(with_store(run))


@app.command("restore")
def restore_command(
    file: Annotated[Path, typer.Argument(help="a copy written by `mxlims-store backup`")],
) -> None:
    """Put a backup in place of the embedded store's database (checked first; a running
    server sees the restored store at its next request)."""
    from mxlims_store.config import get_settings
    from mxlims_store.store.backend import open_store, restore

    async def migrate() -> None:
        # a backup from an older version is brought to this version's schema now, by this
        # command: a running server's next request must not meet the old layout
        async with open_store(settings):
            pass

    settings = get_settings()
    try:
        restored = restore(settings, file)
        asyncio.run(migrate())
        emit(restored)
    except MxlimsError as error:
        fail([f"restore: {error.message}"])
    except OSError as error:
        fail([f"restore: {error.filename or file}: {error.strerror or error}"])


@app.command()
def check() -> None:
    """Check the store: the engine's own integrity check, every stored document, and every rule
    over all objects (positions, capacities, barcodes per shipment, links, history); one line
    per problem, exit 1 if any."""

    async def run(store: Store) -> CheckReport:
        return await store.check()

    report = with_store(run)
    if not report.ok:
        fail([f"check: {problem}" for problem in report.problems])
    emit({"ok": True})
