"""``push --results``: what came back for a shipment, into ISPyB's result tables, in the same
transaction as the shipment.

- a Crystal (in the loop of a pin) -> BLSubSample of the pin's BLSample;
- a measured CollectionSweep (one with a source Job) -> a DataCollectionGroup of the session and
  the pin, and its DataCollection (times from the source Job, in the site's time zone);
- an MxProcessing -> AutoProcProgram, AutoProc (space group, cell) and one AutoProcIntegration
  per input sweep;
- a ReflectionSet -> AutoProcScaling (linked to the integrations) and AutoProcScalingStatistics:
  ISPyB holds exactly overall, innerShell and outerShell (the first and the last shell); the
  shells between are losses in the report.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mxlims_store.ispyb.database import Ispyb
from mxlims_store.ispyb.events import naive_time
from mxlims_store.ispyb.identity import mapped_rows
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.ispyb.ownership import foreign
from mxlims_store.ispyb.push import Pushed
from mxlims_store.ispyb.report import IspybRefused, PushReport, named
from mxlims_store.ispyb.rows import Rows, existing, put
from mxlims_store.ispyb.shipment import ShipmentObjects
from mxlims_store.ispyb.table import mapping

STATUS = {"Completed": 1, "Failed": 0, "Aborted": 0}


def _of_type(objs: ShipmentObjects, type_name: str) -> list[dict[str, Any]]:
    return sorted(
        (o for o in objs.everything.values() if o["mxlimsType"] == type_name),
        key=lambda o: o["uuid"],
    )


def push_results(
    conn: sa.Connection,
    ispyb: Ispyb,
    objs: ShipmentObjects,
    options: PushOptions,
    report: PushReport,
    pushed: Pushed,
) -> None:
    table_of = mapping().tables
    rows = Rows(ispyb, report)
    known = mapped_rows(objs.everything, options.domain)
    pins = {p["uuid"] for p in objs.pins}
    crystals = [c for c in _of_type(objs, "Crystal") if c.get("containerRef") in pins]
    sweeps = [
        s
        for s in _of_type(objs, "CollectionSweep")
        if s.get("sourceRef") and objs.pin_of(s.get("logisticalSampleRef"))
    ]
    sweep_ids = {s["uuid"] for s in sweeps}
    processings = [
        p for p in _of_type(objs, "MxProcessing") if sweep_ids & set(p.get("inputDataRefs") or [])
    ]
    processing_ids = {p["uuid"] for p in processings}
    reflection_sets = [
        r for r in _of_type(objs, "ReflectionSet") if r.get("sourceRef") in processing_ids
    ]

    def row(obj: dict[str, Any], table: str) -> Any:
        mapped = known.get(obj["uuid"])
        if not mapped or mapped[0] != table:
            return None
        if foreign(conn, ispyb, table, [mapped[1]], pushed.proposal_id):
            return None  # another proposal's row: never taken over
        return existing(conn, ispyb, table, [mapped[1]]).get(mapped[1])

    values: dict[str, dict[str, Any]] = {}
    for obj in [*crystals, *sweeps, *processings]:
        spec = table_of[obj["mxlimsType"]]
        values[obj["uuid"]] = rows.values(obj, spec.ispyb, spec.own())
        rows.losses_of(obj, ["jobStatus", "startTime", "endTime"])
    for obj in processings:
        values["AutoProc/" + obj["uuid"]] = rows.values(
            obj, "AutoProc", table_of["MxProcessing"].elsewhere("AutoProc")
        )
    statistics: dict[str, list[tuple[str, dict[str, Any]]]] = {}
    for obj in reflection_sets:
        rows.losses_of(obj, ["reflectionStatisticsOverall", "reflectionStatisticsShells"])
        shells = obj.get("reflectionStatisticsShells") or []
        chosen = [("overall", obj.get("reflectionStatisticsOverall"))]
        if shells:
            chosen += [("innerShell", shells[0]), ("outerShell", shells[-1])]
        if len(shells) > 2:
            report.losses.append(
                f"{named(obj)}: {len(shells) - 2} shells between the inner and the outer left "
                "out (AutoProcScalingStatistics holds overall, innerShell, outerShell)"
            )
        statistics[obj["uuid"]] = [
            (kind, rows.values(stats, "AutoProcScalingStatistics", mapping().statistics))
            for kind, stats in chosen
            if isinstance(stats, dict)
        ]
    if rows.problems:
        raise IspybRefused(rows.problems)

    for obj in crystals:
        row_values = {**values[obj["uuid"]], "blSampleId": pushed.ids[obj["containerRef"]]}
        row_values["blSubSampleUUID"] = obj["uuid"]
        found = row(obj, "BLSubSample") or _by_uuid(
            conn, ispyb, obj["uuid"], row_values["blSampleId"]
        )
        pushed.keep(obj, "BLSubSample", put(conn, ispyb, report, "BLSubSample", row_values, found))
    for obj in sweeps:
        _sweep(
            conn,
            ispyb,
            report,
            pushed,
            objs,
            obj,
            values[obj["uuid"]],
            row(obj, "DataCollection"),
            options,
            repair=obj["uuid"] not in known,
        )
    for obj in processings:
        found = row(obj, "AutoProcProgram")
        if found is None and obj["uuid"] not in known:
            inputs = [pushed.ids[u] for u in obj.get("inputDataRefs") or [] if u in sweep_ids]
            found = _found_program(conn, ispyb, inputs, values[obj["uuid"]])
            report.repaired["AutoProcProgram"] += found is not None
        job = {
            **values[obj["uuid"]],
            **_times(obj, options, "processingStartTime", "processingEndTime"),
        }
        if obj.get("jobStatus") in STATUS:
            job["processingStatus"] = STATUS[obj["jobStatus"]]
        program = put(conn, ispyb, report, "AutoProcProgram", job, found)
        pushed.keep(obj, "AutoProcProgram", program)
        auto_proc = _child(conn, ispyb, "AutoProc", "autoProcProgramId", program)
        pushed.ids["AutoProc/" + obj["uuid"]] = put(
            conn,
            ispyb,
            report,
            "AutoProc",
            {**values["AutoProc/" + obj["uuid"]], "autoProcProgramId": program},
            auto_proc,
        )
        for sweep in obj.get("inputDataRefs") or []:
            if sweep in pushed.ids and sweep in sweep_ids:
                _integration(conn, ispyb, report, pushed.ids[sweep], program)
    taken: set[int] = set()
    for obj in reflection_sets:
        program = pushed.ids[obj["sourceRef"]]
        scaling_values = {"autoProcId": pushed.ids["AutoProc/" + obj["sourceRef"]]}
        found = row(obj, "AutoProcScaling")
        if found is None and obj["uuid"] not in known:
            found = _found_scaling(conn, ispyb, scaling_values["autoProcId"], taken)
            report.repaired["AutoProcScaling"] += found is not None
        scaling = put(conn, ispyb, report, "AutoProcScaling", scaling_values, found)
        taken.add(scaling)
        pushed.keep(obj, "AutoProcScaling", scaling)
        _scaling_links(conn, ispyb, report, scaling, program)
        _statistics(conn, ispyb, report, scaling, statistics[obj["uuid"]])
    for key in [k for k in pushed.ids if k.startswith("AutoProc/")]:
        del pushed.ids[key]  # bookkeeping of this push, not an object


def _times(
    job: dict[str, Any] | None, options: PushOptions, start: str, end: str
) -> dict[str, Any]:
    times = {}
    for field_name, column in (("startTime", start), ("endTime", end)):
        if job and job.get(field_name):
            times[column] = naive_time(job[field_name], options.timezone)
    return times


def _sweep(
    conn: sa.Connection,
    ispyb: Ispyb,
    report: PushReport,
    pushed: Pushed,
    objs: ShipmentObjects,
    sweep: dict[str, Any],
    values: dict[str, Any],
    found: Any,
    options: PushOptions,
    *,
    repair: bool,
) -> None:
    pin = objs.pin_of(sweep.get("logisticalSampleRef"))
    assert pin is not None  # chosen for it
    sample_id = pushed.ids[pin["uuid"]]
    if found is None and repair:
        found = _found_collection(conn, ispyb, sample_id, values)
        report.repaired["DataCollection"] += found is not None
    times = _times(objs.everything.get(sweep["sourceRef"]), options, "startTime", "endTime")
    group_values = {"sessionId": pushed.session_id, "blSampleId": sample_id, **times}
    group_row = None
    if found is not None:
        group_row = existing(conn, ispyb, "DataCollectionGroup", [found.dataCollectionGroupId]).get(
            found.dataCollectionGroupId
        )
    group = put(conn, ispyb, report, "DataCollectionGroup", group_values, group_row)
    collection = {
        **values,
        **times,
        "dataCollectionGroupId": group,
        "BLSAMPLEID": sample_id,
        "SESSIONID": pushed.session_id,
    }
    crystal = sweep.get("logisticalSampleRef")
    if crystal in pushed.ids and pushed.tables.get(crystal) == "BLSubSample":
        collection["blSubSampleId"] = pushed.ids[crystal]
    pushed.keep(
        sweep, "DataCollection", put(conn, ispyb, report, "DataCollection", collection, found)
    )


# Rows of a push interrupted between ISPyB's commit and the identity map, found again.


def _found_collection(
    conn: sa.Connection, ispyb: Ispyb, sample: int, values: dict[str, Any]
) -> Any:
    """The sample's DataCollection with the sweep's file template (and directory)."""
    if not values.get("fileTemplate"):
        return None
    t = ispyb.t("DataCollection")
    query = sa.select(t).where(
        t.c["BLSAMPLEID"] == sample, t.c.fileTemplate == values["fileTemplate"]
    )
    if values.get("imageDirectory"):
        query = query.where(t.c.imageDirectory == values["imageDirectory"])
    return conn.execute(query.order_by(t.c.dataCollectionId)).first()


def _found_program(
    conn: sa.Connection, ispyb: Ispyb, collections: list[int], values: dict[str, Any]
) -> Any:
    """The AutoProcProgram integrating these DataCollections, with the same programs."""
    if not collections:
        return None
    program, integration = ispyb.t("AutoProcProgram"), ispyb.t("AutoProcIntegration")
    query = (
        sa.select(program)
        .join(integration, integration.c.autoProcProgramId == program.c.autoProcProgramId)
        .where(integration.c.dataCollectionId.in_(collections))
        .order_by(program.c.autoProcProgramId)
    )
    if values.get("processingPrograms"):
        query = query.where(program.c.processingPrograms == values["processingPrograms"])
    return conn.execute(query).first()


def _found_scaling(conn: sa.Connection, ispyb: Ispyb, auto_proc: int, taken: set[int]) -> Any:
    t = ispyb.t("AutoProcScaling")
    query = sa.select(t).where(t.c.autoProcId == auto_proc).order_by(t.c.autoProcScalingId)
    return next((r for r in conn.execute(query) if r.autoProcScalingId not in taken), None)


def _by_uuid(conn: sa.Connection, ispyb: Ispyb, uuid: str, sample: int) -> Any:
    """The pin's own BLSubSample with this uuid (another pin's is never taken over)."""
    t = ispyb.t("BLSubSample")
    query = sa.select(t).where(t.c.blSubSampleUUID == uuid, t.c.blSampleId == sample)
    return conn.execute(query).first()


def _child(conn: sa.Connection, ispyb: Ispyb, table: str, column: str, parent: int) -> Any:
    t = ispyb.t(table)
    key = t.primary_key.columns[0]
    return conn.execute(sa.select(t).where(t.c[column] == parent).order_by(key)).first()


def _integration(
    conn: sa.Connection, ispyb: Ispyb, report: PushReport, collection: int, program: int
) -> None:
    t = ispyb.t("AutoProcIntegration")
    there = conn.execute(
        sa.select(t.c.autoProcIntegrationId).where(
            t.c.dataCollectionId == collection, t.c.autoProcProgramId == program
        )
    ).first()
    if there is None:
        conn.execute(t.insert().values(dataCollectionId=collection, autoProcProgramId=program))
        report.created["AutoProcIntegration"] += 1


def _scaling_links(
    conn: sa.Connection, ispyb: Ispyb, report: PushReport, scaling: int, program: int
) -> None:
    integration, link = ispyb.t("AutoProcIntegration"), ispyb.t("AutoProcScaling_has_Int")
    ids = conn.execute(
        sa.select(integration.c.autoProcIntegrationId).where(
            integration.c.autoProcProgramId == program
        )
    ).scalars()
    there = set(
        conn.execute(
            sa.select(link.c.autoProcIntegrationId).where(link.c.autoProcScalingId == scaling)
        ).scalars()
    )
    for integration_id in ids:
        if integration_id not in there:
            conn.execute(
                link.insert().values(
                    autoProcScalingId=scaling, autoProcIntegrationId=integration_id
                )
            )
            report.created["AutoProcScaling_has_Int"] += 1


def _statistics(
    conn: sa.Connection,
    ispyb: Ispyb,
    report: PushReport,
    scaling: int,
    chosen: list[tuple[str, dict[str, Any]]],
) -> None:
    t = ispyb.t("AutoProcScalingStatistics")
    there = {
        r.scalingStatisticsType: r
        for r in conn.execute(sa.select(t).where(t.c.autoProcScalingId == scaling))
    }
    for kind, values in chosen:
        row_values = {**values, "autoProcScalingId": scaling, "scalingStatisticsType": kind}
        put(conn, ispyb, report, "AutoProcScalingStatistics", row_values, there.get(kind))
