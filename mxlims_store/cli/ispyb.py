"""ispyb push / ispyb pull: the facility's own LIMS (ISPyB on MariaDB) as a peer of the store."""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mxlims_store.cli.app import app, emit, fail, with_store, write_out
from mxlims_store.store.policies import POLICIES

if TYPE_CHECKING:
    from mxlims_store.store import Store

ispyb_app = typer.Typer(
    help="Push a stored shipment (and its results) into ISPyB; pull ISPyB shippings as MXLIMS.",
    no_args_is_help=True,
)
app.add_typer(ispyb_app, name="ispyb")

Db = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="ISPyB's SQLAlchemy URL (mysql+pymysql://user:pw@host:port/ispyb); "
        "default MXLIMS_ISPYB_URL",
        show_default=False,
    ),
]


def _url(db: str | None) -> str:
    from mxlims_store.config import get_settings

    url = db or get_settings().ispyb_url
    if not url:
        fail(["no ISPyB database: give --db URL or set MXLIMS_ISPYB_URL"])
    return url


@ispyb_app.command("push")
def push(
    shipment: Annotated[str, typer.Argument(help="the stored shipment's uuid")],
    db: Db = None,
    session: Annotated[
        int | None,
        typer.Option(help="BLSession.visit_number; default the Shipment's sessionNumber"),
    ] = None,
    results: Annotated[
        bool, typer.Option("--results", help="also what came back (sweeps, processing)")
    ] = False,
    events: Annotated[bool, typer.Option("--events", help="also the logistics events")] = False,
    retire_old_barcode: Annotated[
        bool,
        typer.Option(
            "--retire-old-barcode", help="clear a reused barcode on the ISPyB row that holds it"
        ),
    ] = False,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check and count, write nothing")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="the report as JSON")] = False,
) -> None:
    """Push a stored shipment into ISPyB in one ISPyB transaction."""
    from mxlims_store.config import get_settings
    from mxlims_store.ispyb.bridge import push as push_to_ispyb
    from mxlims_store.ispyb.options import PushOptions

    settings = get_settings()
    options = PushOptions(
        domain=settings.ispyb_domain,
        session=session,
        retire_old_barcode=retire_old_barcode,
        dry_run=dry_run,
        results=results,
        events=events,
        timezone=settings.ispyb_timezone,
    )
    url = _url(db)

    async def run(store: Store) -> dict[str, Any]:
        return (await push_to_ispyb(store, shipment, url, options)).to_dict()

    report = with_store(run)
    if as_json:
        emit(report)
        return
    verb = "would write" if dry_run else "pushed"
    typer.echo(f"{verb} shipment {shipment} as ISPyB Shipping {report['shippingId']}")
    for label in ("created", "updated", "repaired"):
        if report[label]:
            counts = ", ".join(f"{n} {table}" for table, n in report[label].items())
            typer.echo(f"  {label}: {counts}")
    for line in report["retiredBarcodes"]:
        typer.echo(f"  barcode retired: {line}")
    for loss in report["losses"]:
        typer.echo(f"  loss: {loss}")


@ispyb_app.command("pull")
def pull(
    db: Db = None,
    shipping_id: Annotated[
        int | None, typer.Option("--shipping-id", help="one ISPyB Shipping")
    ] = None,
    proposal: Annotated[
        str | None, typer.Option(help="every Shipping of a proposal, e.g. mx40251")
    ] = None,
    out: Annotated[
        Path | None, typer.Option(help="write the message here (default: standard output)")
    ] = None,
    do_import: Annotated[
        bool, typer.Option("--import", help="store it through the normal import")
    ] = False,
    policy: Annotated[str, typer.Option(help=f"import policy: {', '.join(POLICIES)}")] = "merge",
) -> None:
    """ISPyB shippings as one MXLIMS message (what ISPyB lacks is said on standard error)."""
    from mxlims_store.config import get_settings
    from mxlims_store.ispyb.bridge import pull as pull_from_ispyb

    if (shipping_id is None) == (proposal is None):
        fail(["give exactly one of --shipping-id N or --proposal CODE"])
    url = _url(db)
    settings = get_settings()

    async def run(store: Store) -> tuple[dict[str, Any], list[str], Any]:
        pulled = await pull_from_ispyb(
            store,
            url,
            shipping_id=shipping_id,
            proposal=proposal,
            domain=settings.ispyb_domain,
            timezone=settings.ispyb_timezone,
        )
        imported = None
        if do_import:
            imported = await store.import_message(pulled.message, policy=policy)  # type: ignore[arg-type]
        return pulled.message, pulled.lacks, imported

    message, lacks, imported = with_store(run)
    text = json.dumps(message, indent=2, ensure_ascii=False) + "\n"
    if out is not None:
        write_out(out, text)
    elif not do_import:
        typer.echo(text, nl=False)
    for line in lacks:
        typer.echo(f"ISPyB lacks: {line}", err=True)
    if imported is not None:
        emit(imported)
