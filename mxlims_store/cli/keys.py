"""keys: create, list and revoke API keys (the CLI is the local admin)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mxlims_store.cli.app import app, emit, with_store

if TYPE_CHECKING:
    from mxlims_store.answers import ApiKey, CreatedKey
    from mxlims_store.store import Store

keys_app = typer.Typer(
    help="API keys for the HTTP API: create, list, revoke.", no_args_is_help=True
)
app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def create(
    name: Annotated[str, typer.Option(help="who or what uses the key (the actor in history)")],
    role: Annotated[str, typer.Option(help="member, staff or admin")],
    proposal: Annotated[
        list[str] | None, typer.Option(help="a member's proposal (repeat for several)")
    ] = None,
    expires: Annotated[str | None, typer.Option(help="ISO date or time it stops working")] = None,
    beamline: Annotated[
        str | None, typer.Option(help="a staff key's beamline (default of its beamline events)")
    ] = None,
) -> None:
    """Create a key; prints JSON with `id` and `key` (the secret, shown this once)."""

    async def run(store: Store) -> CreatedKey:
        return await store.create_key(
            name=name, role=role, proposals=list(proposal or []), expires=expires, beamline=beamline
        )

    emit(with_store(run))


@keys_app.command("list")
def list_() -> None:
    """Every key with its role, proposals, expiry, revocation and last use (never the secret)."""

    async def run(store: Store) -> list[ApiKey]:
        return await store.list_keys()

    emit(with_store(run))


@keys_app.command("revoke")
def revoke(key_id: Annotated[str, typer.Argument(help="the key's id")]) -> None:
    """Revoke a key: it is refused from the next request on."""

    async def run(store: Store) -> ApiKey:
        return await store.revoke_key(key_id)

    emit(with_store(run))
