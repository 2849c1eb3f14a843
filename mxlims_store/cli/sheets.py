"""sheet import / export / convert: facility spreadsheets <-> MXLIMS."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mxlims_store.cli.app import (
    app,
    emit,
    fail,
    problem_lines,
    with_store,
    with_store_raising,
    write_out,
)
from mxlims_store.cli.objects import AsJson, DryRun, checked_policy, show_report
from mxlims_store.errors import MxlimsError
from mxlims_store.store.policies import POLICIES

if TYPE_CHECKING:  # the sheet engine loads inside the commands (see cli/app.py)
    from mxlims_store.mappings import SheetExport
    from mxlims_store.store import Store


def site_codes() -> list[str]:
    """The facilities' codes for the help texts, from the file names of mappings/sites/ (as
    the sheet engine names them) without loading the engine at every start of the CLI."""
    folder = Path(__file__).resolve().parent.parent / "mappings" / "sites"
    return sorted(entry.stem for entry in folder.glob("*.toml"))


sheet = typer.Typer(
    help="Facility shipment sheets (CSV, TSV or XLSX) <-> MXLIMS.", no_args_is_help=True
)
app.add_typer(sheet, name="sheet")

Site = Annotated[
    str,
    typer.Option(
        "--site",
        help="facility: " + ", ".join(site_codes()) + " (any case)",
        case_sensitive=False,
    ),
]
SheetFile = Annotated[Path, typer.Argument(help="the filled-in sheet (.csv, .tsv or .xlsx)")]

Proposal = Annotated[
    str | None, typer.Option(help="proposal code (mx1234), for sheets without one")
]
Encoding = Annotated[
    str | None,
    typer.Option(help="text encoding of a CSV/TSV that is not UTF-8 (e.g. cp1252)"),
]
PuckType = Annotated[
    str | None, typer.Option("--puck-type", help="puck type for pucks that have none")
]
Defaults = Annotated[
    list[str] | None,
    typer.Option(
        "--default",
        help="COLUMN=VALUE: fill that column of the target sheet where it is empty (repeatable)",
    ),
]
Draft = Annotated[
    bool,
    typer.Option(
        "--draft", help="write the sheet even if the target facility would refuse it (said why)"
    ),
]
EveryLoss = Annotated[
    bool,
    typer.Option("--every-loss", help="list each value the sheet cannot hold, not counts"),
]
Out = Annotated[
    Path | None,
    typer.Option(help="write here (.xlsx for Excel, .tsv) instead of stdout"),
]


def _read_bytes(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        fail([f"{path}: cannot read: {error.strerror or error}"])


def _defaults(proposal: str | None, puck_type: str | None, pairs: list[str] | None) -> Any:
    from mxlims_store.mappings import SheetDefaults, parse_column_defaults

    try:
        columns = parse_column_defaults(pairs or [])
    except MxlimsError as error:
        fail(problem_lines(error), 2)
    return SheetDefaults(proposal=proposal, puck_type=puck_type, columns=columns)


def _format_of(out: Path | None) -> str:
    suffix = out.suffix.lower().lstrip(".") if out is not None else ""
    return suffix if suffix in ("xlsx", "tsv") else "csv"


def _grouped_losses(exported: SheetExport, target: str, *, every: bool) -> list[str]:
    """What the sheet cannot hold: one line per field and reason with how many values (a
    shipment with results loses thousands of result values to any sheet), or every value."""
    if every:
        return [f"not in the {target} sheet: {loss}" for loss in exported.losses]
    counted: dict[tuple[str, str, str], int] = {}
    for loss in exported.losses:
        key = (loss.object_type, loss.field, loss.reason)
        counted[key] = counted.get(key, 0) + 1
    return [
        f"not in the {target} sheet: {n} x {type_}.{field}: {reason}"
        for (type_, field, reason), n in counted.items()
    ]


def _deliver(
    exported: SheetExport, target: str, out: Path | None, *, every_loss: bool = False
) -> None:
    """The sheet to --out or stdout; every loss, warning and default applied on stderr with a
    summary line, so nothing the target cannot hold goes unsaid."""
    for applied in exported.defaults_applied:
        typer.echo(f"default: {applied}", err=True)
    for line in _grouped_losses(exported, target, every=every_loss):
        typer.echo(line, err=True)
    for warning in exported.warnings:
        typer.echo(f"warning: {warning}", err=True)
    for problem in exported.problems:
        typer.echo(f"draft, {target} would refuse: {problem}", err=True)
    if out is None:
        sys.stdout.buffer.write(exported.content)
        sys.stdout.flush()
    else:
        write_out(out, exported.content)
    typer.echo(
        f"{target} sheet{f' {out}' if out else ''}: {len(exported.losses)} value(s) lost, "
        f"{len(exported.warnings)} warning(s), {len(exported.defaults_applied)} default(s) "
        f"applied"
        + (f", {len(exported.problems)} problem(s) (draft)" if exported.problems else ""),
        err=True,
    )


def _refused(error: MxlimsError) -> None:
    """The refusal's own sentence (what to do) when it has one, then one line per problem."""
    lines = problem_lines(error)
    said = error.message
    if "problem(s) in" in said or any(said in line for line in lines):
        fail(lines)  # the summary would only repeat the lines
    fail([said, *lines])


@sheet.command("import")
def import_sheet(
    site: Site,
    file: SheetFile,
    proposal: Proposal = None,
    name: Annotated[
        str | None,
        typer.Option(help="shipment name, for a sheet without one (else: its first dewar)"),
    ] = None,
    encoding: Encoding = None,
    policy: Annotated[
        str,
        typer.Option(
            help="for objects already stored (a sheet uploaded again): "
            f"{' | '.join(POLICIES)}; merge for a facility's return"
        ),
    ] = "update_old",
    dry_run: DryRun = False,
    as_json: AsJson = False,
) -> None:
    """Import a sheet as a shipment; uploading a corrected sheet again updates it in place.

    Exit 1 with one line per problem (row, column) and nothing stored.
    """
    chosen = checked_policy(policy)
    data = _read_bytes(file)

    async def run(store: Store) -> dict[str, Any]:
        report = await store.import_sheet(
            site,
            data,
            filename=file.name,
            proposal=proposal,
            name=name,
            encoding=encoding,
            policy=chosen,
            dry_run=dry_run,
        )
        return report.to_dict()

    show_report(file.name, with_store(run), as_json)


@sheet.command("export")
def export_sheet(
    site: Site,
    shipment: Annotated[str, typer.Argument(help="uuid of a stored Shipment")],
    out: Out = None,
    proposal: Proposal = None,
    puck_type: PuckType = None,
    default: Defaults = None,
    draft: Draft = False,
    every_loss: EveryLoss = False,
) -> None:
    """A stored shipment as the facility's sheet, checked with that facility's own rules.

    What the facility requires and nothing stored gives comes from --proposal, --puck-type and
    --default; what is still missing is refused (every row and column) unless --draft. Losses,
    warnings and defaults applied are listed on stderr.
    """
    from mxlims_store.mappings import get_site

    defaults = _defaults(proposal, puck_type, default)

    async def run(store: Store) -> SheetExport:
        return await store.export_sheet(
            site, shipment, fmt=_format_of(out), defaults=defaults, draft=draft
        )

    try:
        exported = with_store_raising(run)
    except MxlimsError as error:
        _refused(error)
    _deliver(exported, get_site(site).code, out, every_loss=every_loss)


@sheet.command("convert")
def convert(
    source: Annotated[
        str,
        typer.Option(
            "--from",
            "--site",
            help="facility of the sheet: " + ", ".join(site_codes()),
        ),
    ],
    file: SheetFile,
    target: Annotated[
        str,
        typer.Option("--to", help="a facility code, or mxlims for an MXLIMS message"),
    ] = "mxlims",
    out: Out = None,
    proposal: Proposal = None,
    encoding: Encoding = None,
    puck_type: PuckType = None,
    default: Defaults = None,
    draft: Draft = False,
    every_loss: EveryLoss = False,
) -> None:
    """One facility's sheet as another's (or as MXLIMS); nothing is stored, no store is needed.

    The result is checked with the target facility's own import rules, as `sheet export` is.
    """
    from mxlims_store.mappings import convert_sheet, get_site, read_sheet

    data = _read_bytes(file)
    try:
        if target.lower() == "mxlims":
            if draft or puck_type or default:
                fail(["--draft, --puck-type and --default are for a facility's sheet (--to)"], 2)
            message = read_sheet(
                source, data, filename=file.name, proposal_code=proposal, encoding=encoding
            )
            if not message["Shipment"]["Shipment1"].get("proposalCode"):
                typer.echo("warning: no proposal in the sheet: give one with --proposal", err=True)
            if out is None:
                emit(message)
            else:
                write_out(out, json.dumps(message, indent=2, ensure_ascii=False) + "\n")
            return
        exported = convert_sheet(
            source,
            target,
            data,
            filename=file.name,
            encoding=encoding,
            fmt=_format_of(out),
            defaults=_defaults(proposal, puck_type, default),
            draft=draft,
        )
    except MxlimsError as error:
        _refused(error)
    _deliver(exported, get_site(target).code, out, every_loss=every_loss)
