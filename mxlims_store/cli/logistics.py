"""event, where, status, delete: the journey of dewars and the state of their samples."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

from mxlims_store.cli.app import app, emit, with_store

if TYPE_CHECKING:
    from mxlims_store.answers import BeamlineSample, Deleted, Event, Status, Whereabouts
    from mxlims_store.store import Store

Ref = Annotated[str, typer.Argument(help="a uuid, or a barcode as scanned")]


@app.command()
def event(
    ref: Ref,
    state: Annotated[
        str,
        typer.Argument(
            help="prepared, shipped, received, stored, at_beamline, returned, closed; "
            "for a pin also mounted, unmounted"
        ),
    ],
    location: Annotated[str | None, typer.Option(help="where it is, in words")] = None,
    facility: Annotated[str | None, typer.Option(help="the facility it is at")] = None,
    beamline: Annotated[str | None, typer.Option(help="the beamline it is at")] = None,
    storage_position: Annotated[str | None, typer.Option(help="the shelf, bay or slot")] = None,
    tracking_number: Annotated[str | None, typer.Option(help="the carrier's number")] = None,
    note: Annotated[str | None, typer.Option(help="anything worth telling")] = None,
    sample_changer_position: Annotated[
        int | None, typer.Option(help="at_beamline: the puck's position in the sample changer")
    ] = None,
) -> None:
    """Record a logistics event for a shipment, dewar or container."""

    async def run(store: Store) -> Event:
        return await store.record_event(
            ref,
            state,
            location=location,
            facility=facility,
            beamline=beamline,
            storagePosition=storage_position,
            trackingNumber=tracking_number,
            note=note,
            sampleChangerPosition=sample_changer_position,
        )

    emit(with_store(run))


@app.command()
def where(ref: Ref) -> None:
    """Current state, location and every event of a shipment, dewar or container, as JSON."""

    async def run(store: Store) -> Whereabouts:
        return await store.where(ref)

    emit(with_store(run))


@app.command()
def status(
    uuid: Annotated[str, typer.Argument(help="a shipment's or dewar's uuid")],
    as_json: Annotated[bool, typer.Option("--json", help="the whole status as JSON")] = False,
) -> None:
    """Counts per sample status, and one line per pin (position, status, best result)."""

    async def run(store: Store) -> Status:
        return await store.status(uuid)

    found = with_store(run)
    if as_json:
        emit(found)
        return
    for line in status_lines(found):
        typer.echo(line)


def status_lines(status: Status) -> list[str]:
    """A status as people read it: a headline with the counts, then one line per pin."""
    counts = ", ".join(f"{n} {state}" for state, n in status.counts.items() if n)
    where = f" ({status.state})" if status.state else ""
    lines = [f"{status.mxlims_type} {status.name or status.uuid}{where}: {counts or 'no samples'}"]
    for pin in status.positions:
        result = ", ".join(
            f"{label} {pin[key]}"
            for key, label in (("resolution", "d"), ("spaceGroup", "sg"), ("completeness", "%"))
            if pin.get(key) is not None
        )
        lines.append(
            "\t".join(
                str(pin.get(key) if pin.get(key) is not None else "-")
                for key in ("container", "position", "barcode", "sample", "status")
            )
            + (f"\t{result}" if result else "")
        )
    return lines


@app.command()
def delete(
    uuid: Annotated[str, typer.Argument(help="the object's uuid")],
    cascade: Annotated[
        bool, typer.Option("--cascade", help="also delete everything that points at it")
    ] = False,
) -> None:
    """Delete an object; refused while others point at it, unless --cascade."""

    async def run(store: Store) -> Deleted:
        return await store.delete(uuid, cascade=cascade)

    emit({"deleted": with_store(run)})


@app.command()
def samples(
    proposal: Annotated[str, typer.Argument(help="the proposal code")],
    beamline: Annotated[str | None, typer.Option(help="only pucks at this beamline")] = None,
    loaded: Annotated[
        bool | None, typer.Option("--loaded/--all", help="only pucks now at a beamline")
    ] = None,
) -> None:
    """The proposal's pins as MXCuBE lists samples (sampleId, containerCode, ...), as JSON."""

    async def run(store: Store) -> list[BeamlineSample]:
        return await store.samples(proposal, beamline=beamline, loaded=loaded)

    emit(with_store(run))
