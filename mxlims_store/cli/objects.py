"""Store commands: import, get, find, provenance, export, history, stats."""

from __future__ import annotations

import json
import sys
from collections import Counter
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from mxlims_store.cli.app import app, emit, fail, problem_lines, read_json, with_store, write_out
from mxlims_store.errors import InvalidQuery
from mxlims_store.store.policies import GRAMMAR, POLICIES, Policy

if TYPE_CHECKING:  # the rest loads inside the command that needs it (see cli/app.py)
    from mxlims_store.answers import HistoryEntry, MxlimsObject, Stats
    from mxlims_store.store import Store
    from mxlims_store.store.navigation import ExportedMessage, Provenance

Uuid = Annotated[str, typer.Argument(help="uuid of a stored MXLIMS object")]


DryRun = Annotated[bool, typer.Option("--dry-run", help="check and report, store nothing")]
AsJson = Annotated[
    bool, typer.Option("--json", help="print the full report (every local key -> uuid)")
]


@app.command("import")
def import_(
    file: Annotated[Path, typer.Argument(help="MXLIMS message file")],
    policy: Annotated[
        str, typer.Option(help=f"for uuids already stored: {' | '.join(POLICIES)}")
    ] = "reject_new",
    dry_run: DryRun = False,
    as_json: AsJson = False,
    proposal: Annotated[
        str | None,
        typer.Option(
            help="proposal of new objects, and whose open shipments a merge/update_old import "
            "matches objects of unknown uuid against (default: the message's proposalCode)"
        ),
    ] = None,
) -> None:
    """Import a message; prints a summary (--json: the full report)."""
    from rich.progress import Progress

    chosen = checked_policy(policy)
    message = read_json(file)

    async def run(store: Store) -> dict[str, Any]:
        # a spinner on a terminal while the import works; nothing when output is piped
        with Progress(transient=True, disable=dry_run or not sys.stderr.isatty()) as bar:
            bar.add_task(f"importing {file.name}", total=None)
            report = await store.import_message(
                message, policy=chosen, dry_run=dry_run, proposal=proposal
            )
        return report.to_dict()

    show_report(file.name, with_store(run), as_json)


def checked_policy(policy: str) -> Policy:
    """The --policy given, if it is one (exit 2 otherwise)."""
    for known in POLICIES:
        if policy == known:
            return known
    fail([f"--policy must be one of {', '.join(POLICIES)}"], 2)


def show_report(name: str, report: dict[str, Any], as_json: bool) -> None:
    """An import's report: a person's summary, or (--json) the full report."""
    if as_json:
        emit(report)
    else:
        typer.echo(summary(name, report))


def summary(name: str, report: dict[str, Any]) -> str:
    """A person's view of an import report: what was created, updated or kept, per type."""

    def counted(counts: dict[str, int]) -> str:
        per_type = ", ".join(f"{t} {n:,}" for t, n in sorted(counts.items()))
        return f"{sum(counts.values()):,}" + (f" ({per_type})" if per_type else "")

    verb = "would import" if report.get("dryRun") else "imported"
    lines = [
        f"{verb} {name}:",
        f"  created   {counted(report['created'])}",
        f"  updated   {counted(report['updated'])}",
        f"  unchanged {counted(report['unchanged'])}",
    ]
    if report.get("differing"):
        lines.append(f"  kept as stored although different {counted(report['differing'])}")
        lines.append("    (--policy merge sets what the message carries)")
    if report.get("matched"):
        by = Counter(m["by"] for m in report["matched"].values())
        per_way = ", ".join(f"{n:,} by {how}" for how, n in sorted(by.items()))
        lines.append(f"  matched   {len(report['matched']):,} stored object(s) ({per_way})")
    shipments = [u for key, u in report["keys"].items() if key.startswith("Shipment/")]
    lines += [f"  shipment  {uuid}" for uuid in shipments]
    lines += [f"  warning   {warning}" for warning in report.get("warnings", [])]
    return "\n".join(lines)


@app.command()
def get(uuid: Uuid) -> None:
    """One object in MXLIMS form (links as {"$ref": uuid}), its bookkeeping under "_meta"."""

    async def run(store: Store) -> MxlimsObject:
        return await store.get(uuid)

    emit(with_store(run))


@app.command()
def find(
    type_: Annotated[str | None, typer.Option("--type", help="MXLIMS type, e.g. Pin")] = None,
    where: Annotated[
        list[str] | None, typer.Option(help=GRAMMAR.replace("[", "\\["))  # not rich markup
    ] = None,
    identifier: Annotated[
        str | None, typer.Option(help="site identifier DOMAIN=VALUE, e.g. icebear.fi=SHP-1")
    ] = None,
    extension: Annotated[
        str | None,
        typer.Option(help="site extension DOMAIN[:FIELD=VALUE], e.g. esrf.fr:centringMethod=xray"),
    ] = None,
    limit: Annotated[int, typer.Option(help="page size (1..1000)")] = 100,
    after: Annotated[
        str | None, typer.Option(help="the 'next' cursor of the previous page")
    ] = None,
    total: Annotated[bool, typer.Option("--total", help="also count every match")] = False,
) -> None:
    """Find objects (the query grammar of GET /objects); prints {"items", "next", "total"}."""
    from mxlims_store.store.query_language import QueryText, parse_query

    try:
        query = parse_query(
            QueryText(type_, list(where or []), identifier, extension, limit, after, total)
        )
    except InvalidQuery as error:
        fail(problem_lines(error), 2)

    async def run(store: Store) -> dict[str, Any]:
        return (await store.find(query)).to_dict()

    emit(with_store(run))


@app.command()
def provenance(
    uuid: Uuid,
    down: Annotated[
        bool, typer.Option("--down", help="what it contains / what derives from it")
    ] = False,
    depth: Annotated[int | None, typer.Option(min=0)] = None,
) -> None:
    """Where an object came from (default) or what came from it: nodes with depth and link.
    A walk stops after 64 levels; stderr then says so (the steps there list what was cut)."""
    from mxlims_store.store.walk import cut_summary

    async def run(store: Store) -> Provenance:
        return await store.provenance(uuid, direction="down" if down else "up", depth=depth)

    steps = with_store(run)
    emit(steps)
    if steps.cut:
        typer.echo(f"truncated: {cut_summary(steps.cut)}", err=True)


@app.command()
def export(
    uuid: Uuid,
    out: Annotated[
        Path | None, typer.Option(help="write the message here instead of stdout")
    ] = None,
    site: Annotated[
        str | None,
        typer.Option(
            help="apply this site's extension overrides: esrf, esrf.fr or massif1.esrf.fr"
        ),
    ] = None,
    direction: Annotated[str, typer.Option(help="up | down | both")] = "both",
    depth: Annotated[int | None, typer.Option(min=0)] = None,
) -> None:
    """One MXLIMS message: the object and its linked neighbourhood (a shipment: with results).
    A walk stops after 64 levels; stderr then says so, and the links it did not follow are
    left out of the message (which imports anywhere)."""
    from mxlims_store.store.walk import cut_summary

    if direction not in ("up", "down", "both"):
        fail(["--direction must be up, down or both"], 2)

    async def run(store: Store) -> ExportedMessage:
        return await store.export(uuid, direction=direction, depth=depth, site=site)  # type: ignore[arg-type]

    message = with_store(run)
    if out is None:
        emit(message)
    else:
        write_out(out, json.dumps(message, indent=2, ensure_ascii=False) + "\n")
        typer.echo(f"wrote {out}", err=True)
    if message.cut:
        typer.echo(f"truncated: {cut_summary(message.cut)}", err=True)


@app.command()
def history(uuid: Uuid) -> None:
    """Every recorded change of an object, oldest first."""

    async def run(store: Store) -> list[HistoryEntry]:
        return await store.history(uuid)

    emit(with_store(run))


@app.command()
def stats() -> None:
    """Number of stored objects per MXLIMS type."""

    async def run(store: Store) -> Stats:
        return await store.stats()

    from mxlims_store.config import describe_store, get_settings

    counts = with_store(run)
    typer.echo(f"mxlims-store: {describe_store(get_settings())}", err=True)  # which store
    emit(counts)
