"""serve: the HTTP API on the configured store (embedded default, no MongoDB needed)."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from mxlims_store.cli.app import app, fail
from mxlims_store.errors import MxlimsError

if TYPE_CHECKING:
    from mxlims_store.config import Settings


async def _probe(settings: Settings) -> Path | None:
    """Open the store once before serving: a store that cannot be opened is one clear line
    here, not a traceback from inside the server. Creates the store only where none was (a
    missing or empty data directory), refuses a damaged one, and makes a new store's first
    admin key."""
    from mxlims_store.store.backend import open_store, verify
    from mxlims_store.store.bootstrap import first_admin_key
    from mxlims_store.store.existence import WHERE_NONE_WAS

    async with open_store(settings, creation=WHERE_NONE_WAS) as store:
        await verify(store)
        return await first_admin_key(store, settings.data_dir)


def _listen_problem(host: str, port: int) -> str | None:
    """Why `serve` could not listen on host:port (a name that does not resolve, an address
    not of this machine, a port in use or not allowed), or None. Asked before the store is
    opened: uvicorn finds out only after the store and its first admin key were created."""
    if not host.strip():  # asyncio would listen on every interface: never unasked
        return f"--host {host!r} (MXLIMS_HOST): empty; give 127.0.0.1, or 0.0.0.0 for every one"
    try:
        family, kind, proto, _, address = socket.getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE
        )[0]
    except (socket.gaierror, UnicodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        return f"--host {host!r} (MXLIMS_HOST): {reason}"
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn binds
        try:
            probe.bind(address)
        except OSError as error:
            return (
                f"cannot listen on {host}:{port} (--host/--port, MXLIMS_HOST/MXLIMS_PORT): "
                f"{error.strerror or error}"
            )
    return None


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port, 1 to 65535 (default 8000)")] = None,
    workers: Annotated[
        int | None,
        typer.Option(help="server processes, 1 to 64 (default 1; MXLIMS_WORKERS)"),
    ] = None,
) -> None:
    """Run the MXLIMS HTTP API (docs at /docs); Ctrl+C stops it."""
    import uvicorn

    from mxlims_store.config import SettingsError, describe_store, get_settings, split_list

    try:  # every setting checked before anything is opened or created
        settings = get_settings()
    except SettingsError as error:
        fail([f"cannot serve: {error.message}"])
    if port is not None and not 1 <= port <= 65535:
        fail([f"cannot serve: --port {port}: a port is a whole number from 1 to 65535"])
    if workers is not None and not 1 <= workers <= 64:
        fail([f"cannot serve: --workers {workers}: give a whole number from 1 to 64"])
    host, port = host or settings.host, port or settings.port
    workers = workers or settings.workers
    problem = _listen_problem(host, port)
    if problem is not None:
        fail([f"cannot serve: {problem}"])
    try:
        written = asyncio.run(_probe(settings))
    except MxlimsError as error:
        fail([f"cannot serve: {error.message}"])
    except OSError as error:
        fail([f"cannot serve: {describe_store(settings)}: {error.strerror or error}"])
    shown = "localhost" if host in ("127.0.0.1", "::1") else host
    processes = f" with {workers} worker processes" if workers > 1 else ""
    typer.echo(f"mxlims-store: serving {describe_store(settings)}{processes}", err=True)
    typer.echo(f"  pages: http://{shown}:{port}/   API docs: http://{shown}:{port}/docs", err=True)
    typer.echo("  Ctrl+C stops it", err=True)
    if written is not None:
        typer.echo(f"  the store had no API key: the first admin key is in {written}", err=True)
    proxies = split_list(settings.trusted_proxies)
    # Named, not imported: the library never imports the web layer. The protocol bounds how
    # long a client may take to send a request's headers (uvicorn itself does not). Forwarded
    # addresses and schemes are believed only from the configured proxies.
    uvicorn.run(
        "mxlims_store.api.main:serving_app",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        http="mxlims_store.api.slow_clients:TimedHttpToolsProtocol",
        proxy_headers=bool(proxies),
        forwarded_allow_ips=",".join(proxies) if proxies else None,
    )
