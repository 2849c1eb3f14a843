"""Logistics events into ISPyB (``--events``): each event of a dewar (or of its shipment) is one
``DewarTransportHistory`` row at the event's own time (ISPyB's naive times, in the site's time
zone); the dewar's current status and location follow its last event, and its containers get a
``ContainerHistory`` row and a status (at the beamline: ``processing``, which ISPyB's sample
queries need). The state vocabulary is the declared table's (``mapping.toml``). An event already
in ISPyB (same dewar, status and time) is not written again."""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from mxlims_store.ispyb.database import Ispyb
from mxlims_store.ispyb.report import PushReport
from mxlims_store.ispyb.table import mapping


def naive_time(stamp: str, zone: str) -> datetime:
    """An aware ISO time as ISPyB keeps it: naive, in the site's time zone, whole seconds."""
    aware = datetime.fromisoformat(stamp)
    if aware.tzinfo is None:
        return aware.replace(microsecond=0)
    return aware.astimezone(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)


def now_naive(zone: str) -> datetime:
    """Now, as ISPyB keeps times (naive, the site's time zone, whole seconds)."""
    return datetime.now(ZoneInfo(zone)).replace(tzinfo=None, microsecond=0)


def place(event: dict[str, Any]) -> str:
    return str(
        event.get("beamline")
        or event.get("storagePosition")
        or event.get("location")
        or event.get("facility")
        or ""
    )


def write(
    conn: sa.Connection,
    ispyb: Ispyb,
    report: PushReport,
    events: dict[int, list[dict[str, Any]]],
    containers: dict[int, list[int]],
    zone: str,
) -> None:
    """``events`` per ISPyB dewarId (oldest first); ``containers`` per dewarId."""
    dewar_states, container_states = mapping().dewar_states, mapping().container_states
    history, dewar = ispyb.t("DewarTransportHistory"), ispyb.t("Dewar")
    container, container_history = ispyb.t("Container"), ispyb.t("ContainerHistory")
    there = (
        {
            (r.dewarId, r.dewarStatus, r.arrivalDate)
            for r in conn.execute(sa.select(history).where(history.c.dewarId.in_(sorted(events))))
        }
        if events
        else set()
    )
    for dewar_id, journey in sorted(events.items()):
        for event in journey:
            status = dewar_states.get(event["state"], event["state"])
            when = naive_time(event["time"], zone)
            location = place(event)[:45]
            if (dewar_id, status, when) in there:
                continue
            conn.execute(
                history.insert().values(
                    dewarId=dewar_id, dewarStatus=status, storageLocation=location, arrivalDate=when
                )
            )
            report.created["DewarTransportHistory"] += 1
            state = container_states.get(event["state"])
            for container_id in containers.get(dewar_id, []):
                conn.execute(
                    container_history.insert().values(
                        containerId=container_id,
                        location=location or None,
                        status=state or status,
                        blTimeStamp=when,
                        currentDewarId=dewar_id,
                        beamlineName=(event.get("beamline") or None),
                    )
                )
                report.created["ContainerHistory"] += 1
        if not journey:
            continue
        last = journey[-1]
        conn.execute(
            dewar.update()
            .where(dewar.c.dewarId == dewar_id)
            .values(
                dewarStatus=dewar_states.get(last["state"], last["state"]),
                storageLocation=place(last)[:45] or None,
            )
        )
        state = container_states.get(last["state"])
        if state and containers.get(dewar_id):
            values: dict[str, Any] = {"containerStatus": state}
            if last.get("beamline"):
                values["beamlineLocation"] = str(last["beamline"])[:20]
            conn.execute(
                container.update()
                .where(container.c.containerId.in_(containers[dewar_id]))
                .values(**values)
            )
