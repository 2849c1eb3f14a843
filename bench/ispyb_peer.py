"""The peer a facility would pick instead: ISPyB on MariaDB, doing the same work in the same run.

A private MariaDB (``tests/mariadb_server.py``) with ISPyB's own schema, built by upstream's own
SQL; MariaDB's default durability (InnoDB, ``innodb_flush_log_at_trx_commit=1``). The work is
the one our store does: read the same message file, build the rows, insert them with SQLAlchemy
Core bulk inserts (pymysql), commit.

- shipment: Shipping, Dewar, Container per puck, Protein per Macromolecule, Crystal per
  MacromoleculeSample, DiffractionPlan per MxExperiment (with its template sweep's numbers),
  BLSample per Pin (container, location = position, code = barcode): 4,991 rows for the
  6,591-object shipment.
- results: per pin DataCollectionGroup (the MxExperiment's times), DataCollection (the sweep),
  AutoProcProgram (MxProcessing), AutoProc, AutoProcIntegration, AutoProcScaling,
  AutoProcScaling_has_Int, AutoProcScalingStatistics (the ReflectionSet), and the
  DiffractionPlan marked done: 12,800 rows inserted, 1,600 updated.
- provenance up: the chain query from one AutoProcScalingStatistics row to its Shipping.
- results fetch: every row of one shipment, its samples and their results (joined, one query:
  Shipping down to BLSample with Crystal, Protein, DiffractionPlan, then each sample's
  DataCollectionGroup, DataCollection, AutoProcIntegration, AutoProcProgram, AutoProcScaling
  (through AutoProcScaling_has_Int), AutoProc and AutoProcScalingStatistics: what our results
  file holds).

Ids of the rows inserted come back by MariaDB's ``INSERT ... RETURNING`` (SQLAlchemy's
"insertmanyvalues"), so children are linked without a query per row.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

ROW_TABLES = (
    "Shipping",
    "Dewar",
    "Container",
    "Protein",
    "Crystal",
    "DiffractionPlan",
    "BLSample",
    "DataCollectionGroup",
    "DataCollection",
    "AutoProcProgram",
    "AutoProc",
    "AutoProcScaling",
    "AutoProcScalingStatistics",
    "AutoProcIntegration",
    "AutoProcScaling_has_Int",
)


class IspybPeer:
    def __init__(self, url: str) -> None:
        from sqlalchemy import MetaData, Table, create_engine, text

        self.engine = create_engine(url, pool_pre_ping=False)
        meta = MetaData()
        self.t = {name: Table(name, meta, autoload_with=self.engine) for name in ROW_TABLES}
        with self.engine.connect() as c:
            self.proposal = c.execute(text("SELECT min(proposalId) FROM Proposal")).scalar()
            self.session = c.execute(text("SELECT min(sessionId) FROM BLSession")).scalar()
        self.shipments: dict[str, int] = {}  # our shipment uuid -> shippingId
        self.samples: dict[str, dict[str, int]] = {}  # pin uuid -> its row ids
        self.inserted: list[tuple[str, list[int]]] = []  # since the last keep(): for undo()

    def _bulk(self, conn: Any, table: str, rows: list[dict[str, Any]]) -> list[int]:
        """Insert ``rows`` as SQLAlchemy Core's bulk insert (multi-row INSERTs of up to 1,000
        rows, ids by MariaDB's RETURNING, in the rows' order); their ids."""
        if not rows:
            return []
        target = self.t[table]
        [key] = target.primary_key.columns
        statement = target.insert().returning(key, sort_by_parameter_order=True)
        ids = [int(row[0]) for row in conn.execute(statement, rows)]
        self.inserted.append((table, ids))
        return ids

    def keep(self) -> None:
        self.inserted.clear()

    def undo(self) -> None:
        """Delete every row inserted since :meth:`keep` (a repeat leaves the size as it was)."""
        with self.engine.begin() as conn:
            for table, ids in reversed(self.inserted):
                target = self.t[table]
                [key] = target.primary_key.columns
                conn.execute(target.delete().where(key.in_(ids)))
        self.inserted.clear()

    # -- the shipment -------------------------------------------------------------------------

    def import_shipment(self, path: Path) -> int:
        """Read the shipment file, build its rows, insert and commit: the rows written."""
        message = json.loads(path.read_bytes())
        by_ref = {
            f"#/{kind}/{key}": obj
            for kind, group in message.items()
            if isinstance(group, dict)
            for key, obj in group.items()
        }
        written = 0
        with self.engine.begin() as conn:
            [shipment] = message["Shipment"].values()
            [shipping] = self._bulk(
                conn,
                "Shipping",
                [{"proposalId": self.proposal, "shippingName": shipment.get("name")}],
            )
            self.shipments[shipment["uuid"]] = shipping
            dewars = list(message["Dewar"].items())
            dewar_ids = self._bulk(
                conn,
                "Dewar",
                [{"shippingId": shipping, "barCode": d.get("barcode")} for _, d in dewars],
            )
            dewar_of = {f"#/Dewar/{k}": i for (k, _), i in zip(dewars, dewar_ids, strict=True)}
            pucks = list(message["Puck"].items())
            puck_ids = self._bulk(
                conn,
                "Container",
                [
                    {
                        "dewarId": dewar_of[p["containerRef"]["$ref"]],
                        "barcode": p.get("barcode"),
                        "containerType": "Puck",
                        "capacity": p.get("numberPositions"),
                    }
                    for _, p in pucks
                ],
            )
            puck_of = {f"#/Puck/{k}": i for (k, _), i in zip(pucks, puck_ids, strict=True)}
            proteins = list(message["Macromolecule"].items())
            protein_ids = self._bulk(
                conn,
                "Protein",
                [
                    {
                        "proposalId": self.proposal,
                        "acronym": p.get("acronym"),
                        "name": p.get("name"),
                    }
                    for _, p in proteins
                ],
            )
            protein_of = {
                f"#/Macromolecule/{k}": i for (k, _), i in zip(proteins, protein_ids, strict=True)
            }
            samples = list(message["MacromoleculeSample"].items())
            crystal_ids = self._bulk(
                conn,
                "Crystal",
                [
                    {"proteinId": protein_of[s["parentSampleRef"]["$ref"]], "name": s.get("name")}
                    for _, s in samples
                ],
            )
            crystal_of = {
                f"#/MacromoleculeSample/{k}": i
                for (k, _), i in zip(samples, crystal_ids, strict=True)
            }
            experiments = list(message["MxExperiment"].values())
            plan_rows = []
            for e in experiments:
                sweep = by_ref[e["templateDataRefs"][0]["$ref"]]
                plan_rows.append(
                    {
                        "experimentKind": e.get("experimentStrategy"),
                        "requiredResolution": e.get("expectedResolution"),
                        "exposureTime": sweep.get("exposureTime"),
                        "numberOfImages": sweep.get("numberImages"),
                        "axisRange": sweep.get("imageWidth"),
                    }
                )
            plan_ids = self._bulk(conn, "DiffractionPlan", plan_rows)
            plan_of_pin = {
                e["logisticalSampleRef"]["$ref"]: i
                for e, i in zip(experiments, plan_ids, strict=True)
            }
            pins = list(message["Pin"].items())
            sample_ids = self._bulk(
                conn,
                "BLSample",
                [
                    {
                        "containerId": puck_of[p["containerRef"]["$ref"]],
                        "crystalId": crystal_of[p["sampleRef"]["$ref"]],
                        "diffractionPlanId": plan_of_pin[f"#/Pin/{k}"],
                        "location": str(p.get("positionInPuck")),
                        "code": p.get("barcode"),
                        "name": k,
                    }
                    for k, p in pins
                ],
            )
            for (k, p), sample in zip(pins, sample_ids, strict=True):
                self.samples[p["uuid"]] = {
                    "blSampleId": sample,
                    "diffractionPlanId": plan_of_pin[f"#/Pin/{k}"],
                }
            written = 1 + len(dewars) + len(pucks) + len(proteins) + len(samples)
            written += len(experiments) + len(pins)
        return written

    # -- the results return --------------------------------------------------------------------

    def results_return(self, path: Path) -> int:
        """Read the results file, build its rows, insert and commit: the rows written."""
        message = json.loads(path.read_bytes())
        pins = message["Pin"]
        experiments = message["MxExperiment"]
        sweeps = message["CollectionSweep"]
        reflection_sets = message["ReflectionSet"]
        keys = sorted(pins, key=lambda k: int(k[3:]))
        with self.engine.begin() as conn:
            rows = []
            for k in keys:
                i = k[3:]
                experiment = experiments[f"MxExperiment{i}"]
                rows.append(
                    {
                        "sessionId": self.session,
                        "blSampleId": self.samples[pins[k]["uuid"]]["blSampleId"],
                        "experimentType": "OSC",
                        "startTime": experiment.get("startTime", "")[:19].replace("T", " "),
                        "endTime": experiment.get("endTime", "")[:19].replace("T", " "),
                    }
                )
            groups = self._bulk(conn, "DataCollectionGroup", rows)
            collections = self._bulk(
                conn,
                "DataCollection",
                [
                    {
                        "dataCollectionGroupId": g,
                        "imagePrefix": sweeps[f"CollectionSweep{k[3:]}"].get("prefix"),
                        "exposureTime": sweeps[f"CollectionSweep{k[3:]}"].get("exposureTime"),
                        "numberOfImages": sweeps[f"CollectionSweep{k[3:]}"].get("numberImages"),
                    }
                    for k, g in zip(keys, groups, strict=True)
                ],
            )
            programs = self._bulk(
                conn,
                "AutoProcProgram",
                [{"processingPrograms": "XDS", "processingStatus": 1} for _ in keys],
            )
            procs = self._bulk(conn, "AutoProc", [{"autoProcProgramId": p} for p in programs])
            integrations = self._bulk(
                conn,
                "AutoProcIntegration",
                [
                    {"dataCollectionId": c, "autoProcProgramId": p}
                    for c, p in zip(collections, programs, strict=True)
                ],
            )
            scalings = self._bulk(conn, "AutoProcScaling", [{"autoProcId": p} for p in procs])
            self._bulk(
                conn,
                "AutoProcScaling_has_Int",
                [
                    {"autoProcScalingId": s, "autoProcIntegrationId": i}
                    for s, i in zip(scalings, integrations, strict=True)
                ],
            )
            self._bulk(
                conn,
                "AutoProcScalingStatistics",
                [
                    {
                        "autoProcScalingId": s,
                        "scalingStatisticsType": "overall",
                        "resolutionLimitHigh": reflection_sets[f"ReflectionSet{k[3:]}"].get(
                            "operationalResolution"
                        ),
                        "nTotalObservations": reflection_sets[f"ReflectionSet{k[3:]}"].get(
                            "numberReflections"
                        ),
                    }
                    for k, s in zip(keys, scalings, strict=True)
                ],
            )
            plan = self.t["DiffractionPlan"]
            done = [self.samples[pins[k]["uuid"]]["diffractionPlanId"] for k in keys]
            conn.execute(
                plan.update().where(plan.c.diffractionPlanId.in_(done)).values(comments="Completed")
            )
        return 9 * len(keys)  # 8 inserted, 1 updated per pin

    # -- reads ---------------------------------------------------------------------------------

    def chain_up(self, statistics_id: int) -> list[Any]:
        """From one AutoProcScalingStatistics row up to its Shipping: ISPyB's provenance."""
        from sqlalchemy import text

        sql = text(
            "SELECT s.shippingId, d.dewarId, c.containerId, b.blSampleId, cr.crystalId, "
            "p.proteinId, g.dataCollectionGroupId, dc.dataCollectionId, ap.autoProcId "
            "FROM AutoProcScalingStatistics st "
            "JOIN AutoProcScaling sc ON sc.autoProcScalingId = st.autoProcScalingId "
            "JOIN AutoProc ap ON ap.autoProcId = sc.autoProcId "
            "JOIN AutoProcScaling_has_Int hi ON hi.autoProcScalingId = sc.autoProcScalingId "
            "JOIN AutoProcIntegration ai ON ai.autoProcIntegrationId = hi.autoProcIntegrationId "
            "JOIN DataCollection dc ON dc.dataCollectionId = ai.dataCollectionId "
            "JOIN DataCollectionGroup g ON g.dataCollectionGroupId = dc.dataCollectionGroupId "
            "JOIN BLSample b ON b.blSampleId = g.blSampleId "
            "JOIN Crystal cr ON cr.crystalId = b.crystalId "
            "JOIN Protein p ON p.proteinId = cr.proteinId "
            "JOIN Container c ON c.containerId = b.containerId "
            "JOIN Dewar d ON d.dewarId = c.dewarId "
            "JOIN Shipping s ON s.shippingId = d.shippingId "
            "WHERE st.autoProcScalingStatisticsId = :id"
        )
        with self.engine.connect() as conn:
            return list(conn.execute(sql, {"id": statistics_id}).fetchall())

    def statistics_ids(self) -> list[int]:
        from sqlalchemy import text

        with self.engine.connect() as conn:
            rows = conn.execute(
                text("SELECT autoProcScalingStatisticsId FROM AutoProcScalingStatistics")
            )
            return [int(r[0]) for r in rows]

    def shipment_fetch(self, shipping_id: int) -> int:
        """Every row of one shipment's tree with its samples and their results, down to the
        scaling statistics (our ReflectionSets), in one joined query: the rows fetched."""
        from sqlalchemy import text

        sql = text(
            "SELECT * FROM Shipping s JOIN Dewar d ON d.shippingId = s.shippingId "
            "JOIN Container c ON c.dewarId = d.dewarId "
            "JOIN BLSample b ON b.containerId = c.containerId "
            "JOIN Crystal cr ON cr.crystalId = b.crystalId "
            "JOIN Protein p ON p.proteinId = cr.proteinId "
            "LEFT JOIN DiffractionPlan dp ON dp.diffractionPlanId = b.diffractionPlanId "
            "LEFT JOIN DataCollectionGroup g ON g.blSampleId = b.blSampleId "
            "LEFT JOIN DataCollection dc ON dc.dataCollectionGroupId = g.dataCollectionGroupId "
            "LEFT JOIN AutoProcIntegration ai ON ai.dataCollectionId = dc.dataCollectionId "
            # the results themselves, as our file carries them (MxProcessing, ReflectionSet)
            "LEFT JOIN AutoProcProgram pg ON pg.autoProcProgramId = ai.autoProcProgramId "
            "LEFT JOIN AutoProcScaling_has_Int hi "
            "ON hi.autoProcIntegrationId = ai.autoProcIntegrationId "
            "LEFT JOIN AutoProcScaling sc ON sc.autoProcScalingId = hi.autoProcScalingId "
            "LEFT JOIN AutoProc ap ON ap.autoProcId = sc.autoProcId "
            "LEFT JOIN AutoProcScalingStatistics st ON st.autoProcScalingId = sc.autoProcScalingId "
            "WHERE s.shippingId = :id"
        )
        with self.engine.connect() as conn:
            return len(conn.execute(sql, {"id": shipping_id}).fetchall())

    def rows(self) -> int:
        from sqlalchemy import func, select

        with self.engine.connect() as conn:
            return sum(
                int(conn.execute(select(func.count()).select_from(self.t[n])).scalar() or 0)
                for n in ROW_TABLES
            )

    def close(self) -> None:
        self.engine.dispose()


def timed(work: Any, *args: Any) -> float:
    started = time.perf_counter()
    work(*args)
    return time.perf_counter() - started
