"""serve: the HTTP API on the configured store (embedded default, no MongoDB needed)."""

from __future__ import annotations

from typing import Annotated

import typer

from mxlims_store.cli.app import app
from mxlims_store.config import get_settings


@app.command()
def serve(
    host: Annotated[str | None, typer.Option(help="bind address (default 127.0.0.1)")] = None,
    port: Annotated[int | None, typer.Option(help="port (default 8000)")] = None,
) -> None:
    """Run the MXLIMS HTTP API (docs at /docs)."""
    import uvicorn

    settings = get_settings()
    uvicorn.run(
        "api.main:create_app", factory=True, host=host or settings.host, port=port or settings.port
    )
