"""sheet import / export / convert: facility spreadsheets <-> MXLIMS."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated, Any

import typer

from mxlims_store.cli.app import app, emit, fail, problem_lines, with_store
from mxlims_store.errors import MxlimsError
from mxlims_store.mappings import list_sites, read_sheet
from mxlims_store.store import Store

sheet = typer.Typer(
    help="Facility shipment sheets (CSV, TSV or XLSX) <-> MXLIMS.", no_args_is_help=True
)
app.add_typer(sheet, name="sheet")

Site = Annotated[
    str,
    typer.Option(
        "--site",
        help="facility: " + ", ".join(s.code for s in list_sites()) + " (any case)",
        case_sensitive=False,
    ),
]
SheetFile = Annotated[Path, typer.Argument(help="the filled-in sheet (.csv, .tsv or .xlsx)")]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        fail([f"{path}: cannot read: {error.strerror or error}"])


@sheet.command("import")
def import_sheet(
    site: Site,
    file: SheetFile,
    proposal: Annotated[
        str | None, typer.Option(help="proposal code, for sheets without one")
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="check and report, store nothing")
    ] = False,
) -> None:
    """Import a sheet as a new shipment; exit 1 with one line per problem (row, column)."""
    data = _read_bytes(file)

    async def run(store: Store) -> dict[str, Any]:
        report = await store.import_sheet(
            site, data, filename=file.name, proposal=proposal, dry_run=dry_run
        )
        return report.to_dict()

    emit(with_store(run))


@sheet.command("export")
def export_sheet(
    site: Site,
    shipment: Annotated[str, typer.Argument(help="uuid of a stored Shipment")],
    out: Annotated[
        Path | None, typer.Option(help="write here (.xlsx for Excel) instead of stdout")
    ] = None,
) -> None:
    """A stored shipment as the facility's sheet; what the sheet cannot hold is listed on stderr."""
    fmt = "xlsx" if out is not None and out.suffix.lower() == ".xlsx" else "csv"

    async def run(store: Store) -> Any:
        return await store.export_sheet(site, shipment, fmt=fmt)

    exported = with_store(run)
    for loss in exported.losses:
        typer.echo(f"not in the {site} sheet: {loss}", err=True)
    if out is None:
        sys.stdout.buffer.write(exported.content)
    else:
        out.write_bytes(exported.content)
        typer.echo(f"wrote {out}", err=True)


@sheet.command("convert")
def convert(
    site: Site,
    file: SheetFile,
    proposal: Annotated[
        str | None, typer.Option(help="proposal code, for sheets without one")
    ] = None,
) -> None:
    """Print the sheet as an MXLIMS message; nothing is stored."""
    try:
        emit(read_sheet(site, _read_bytes(file), filename=file.name, proposal_code=proposal))
    except MxlimsError as error:
        fail(problem_lines(error))
