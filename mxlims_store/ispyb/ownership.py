"""Which proposal an ISPyB row belongs to, so that a push only ever touches its own proposal's
rows: an identity map or a uuid column pointing at another proposal's row (a stale map, a copied
uuid, a hand-made ``identifiers`` entry) is not followed; the object gets a row of its own."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from mxlims_store.ispyb.database import Ispyb

# table -> the joins to a table with proposalId: (next table, its column, the previous table's).
_TO_SHIPPING = [("Dewar", "dewarId", "dewarId"), ("Shipping", "shippingId", "shippingId")]
PATHS: dict[str, list[tuple[str, str, str]]] = {
    "Shipping": [],
    "Protein": [],
    "Dewar": [("Shipping", "shippingId", "shippingId")],
    "Container": _TO_SHIPPING,
    "BLSample": [("Container", "containerId", "containerId"), *_TO_SHIPPING],
    "Crystal": [("Protein", "proteinId", "proteinId")],
    "DiffractionPlan": [
        ("BLSample_has_DataCollectionPlan", "dataCollectionPlanId", "diffractionPlanId"),
        ("BLSample", "blSampleId", "blSampleId"),
        ("Container", "containerId", "containerId"),
        *_TO_SHIPPING,
    ],
    "BLSubSample": [
        ("BLSample", "blSampleId", "blSampleId"),
        ("Container", "containerId", "containerId"),
        *_TO_SHIPPING,
    ],
    "DataCollection": [("BLSession", "sessionId", "SESSIONID")],
    "AutoProcProgram": [
        ("AutoProcIntegration", "autoProcProgramId", "autoProcProgramId"),
        ("DataCollection", "dataCollectionId", "dataCollectionId"),
        ("BLSession", "sessionId", "SESSIONID"),
    ],
    "AutoProcScaling": [
        ("AutoProc", "autoProcId", "autoProcId"),
        ("AutoProcIntegration", "autoProcProgramId", "autoProcProgramId"),
        ("DataCollection", "dataCollectionId", "dataCollectionId"),
        ("BLSession", "sessionId", "SESSIONID"),
    ],
}


def foreign(
    conn: sa.Connection, ispyb: Ispyb, table: str, ids: list[int], proposal_id: int
) -> set[int]:
    """The ids among ``ids`` that are not (only) the proposal's: another's, or nobody's."""
    wanted = sorted(set(ids))
    if not wanted:
        return set()
    start = ispyb.t(table)
    key = start.primary_key.columns[0]
    query: Any = sa.select(key, start.c.proposalId if not PATHS[table] else sa.null())
    previous, joined = start, start
    last = start
    for name, column, previous_column in PATHS[table]:
        nxt = ispyb.t(name)
        joined = joined.join(nxt, nxt.c[column] == previous.c[previous_column])
        previous = last = nxt
    if PATHS[table]:
        query = sa.select(key, last.c.proposalId).select_from(joined)
    found: dict[int, set[Any]] = {}
    for row_id, owner in conn.execute(query.where(key.in_(wanted))):
        found.setdefault(int(row_id), set()).add(owner)
    return {i for i in wanted if found.get(i) != {proposal_id}}
