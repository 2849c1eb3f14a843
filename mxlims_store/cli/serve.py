"""serve: the HTTP API on the configured store (embedded default, no MongoDB needed)."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Annotated

import typer

from mxlims_store.cli.app import app, fail
from mxlims_store.config import Settings, describe_store, get_settings
from mxlims_store.errors import MxlimsError
from mxlims_store.store.backend import open_store, verify
from mxlims_store.store.bootstrap import first_admin_key
from mxlims_store.store.existence import WHERE_NONE_WAS


async def _probe(settings: Settings) -> Path | None:
    """Open the store once before serving: a store that cannot be opened is one clear line
    here, not a traceback from inside the server. Creates the store only where none was (a
    missing or empty data directory), refuses a damaged one, and makes a new store's first
    admin key."""
    async with open_store(settings, creation=WHERE_NONE_WAS) as store:
        await verify(store)
        return await first_admin_key(store, settings.data_dir)


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 8000)")] = None,
) -> None:
    """Run the MXLIMS HTTP API (docs at /docs); Ctrl+C stops it."""
    import uvicorn

    settings = get_settings()
    host, port = host or settings.host, port or settings.port
    try:
        written = asyncio.run(_probe(settings))
    except MxlimsError as error:
        fail([f"cannot serve: {error.message}"])
    except OSError as error:
        fail([f"cannot serve: {describe_store(settings)}: {error.strerror or error}"])
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    typer.echo(f"mxlims-store: serving {describe_store(settings)}", err=True)
    typer.echo(f"  pages: http://{shown}:{port}/   API docs: http://{shown}:{port}/docs", err=True)
    typer.echo("  Ctrl+C stops it", err=True)
    if written is not None:
        typer.echo(f"  the store had no API key: the first admin key is in {written}", err=True)
    # Named, not imported: the library never imports the web layer. The protocol bounds how
    # long a client may take to send a request's headers (uvicorn itself does not).
    uvicorn.run(
        "mxlims_store.api.main:create_app",
        factory=True,
        host=host,
        port=port,
        http="mxlims_store.api.slow_clients:TimedH11Protocol",
    )
