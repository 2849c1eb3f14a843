"""Facility sheets over HTTP: upload, download in another facility's layout, losses, errors."""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass

import httpx
import pytest

from tests.conftest import FIXTURES

SHEETS = FIXTURES / "sheets"
CSV = {"content-type": "text/csv"}


async def test_upload_then_download_as_another_facility(client: httpx.AsyncClient) -> None:
    data = (SHEETS / "esrf_shipment.csv").read_bytes()
    dry = await client.post("/sheets/esrf?dry_run=true&proposal=mx42", content=data, headers=CSV)
    assert dry.status_code == 200 and dry.json()["created"]["Pin"] == 14
    assert (await client.get("/stats")).json() == {}
    created = await client.post("/sheets/ESRF?proposal=mx42", content=data, headers=CSV)
    assert created.status_code == 201, created.text
    shipment = created.json()["keys"]["Shipment/Shipment1"]
    assert (await client.get(f"/objects/{shipment}")).json()["data"]["proposalCode"] == "mx42"

    sheet = await client.get(f"/shipments/{shipment}/sheet", params={"site": "dls"})
    assert sheet.status_code == 200 and sheet.headers["content-type"].startswith("text/csv")
    rows = list(csv.reader(io.StringIO(sheet.content.decode("utf-8-sig"))))
    assert len(rows) == 15
    lost = int(sheet.headers["X-MXLIMS-Losses"])
    losses = (
        await client.get(f"/shipments/{shipment}/sheet/losses", params={"site": "dls"})
    ).json()
    assert lost == len(losses) > 0 and all(loss["reason"] for loss in losses)
    xlsx = await client.get(
        f"/shipments/{shipment}/sheet", params={"site": "sls", "format": "xlsx"}
    )
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"


async def test_xlsx_upload(client: httpx.AsyncClient) -> None:
    kind = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    response = await client.post(
        "/sheets/sls?filename=s.xlsx",
        content=(SHEETS / "sls_shipment.xlsx").read_bytes(),
        headers={"content-type": kind},
    )
    assert response.status_code == 201, response.text


@dataclass(frozen=True)
class Bad:
    id: str
    path: str
    body: bytes
    headers: dict[str, str]
    status: int
    says: str


BAD = [
    Bad(
        "bad-sheet-row-column",
        "/sheets/esrf",
        (SHEETS / "esrf_shipment_bad.csv").read_bytes(),
        CSV,
        422,
        "row",
    ),
    Bad("unknown-site", "/sheets/atlantis", b"a,b\n1,2\n", CSV, 404, "esrf"),
    Bad(
        "wrong-content-type",
        "/sheets/esrf",
        b"{}",
        {"content-type": "application/json"},
        415,
        "csv",
    ),
    Bad("empty-body", "/sheets/esrf", b"", CSV, 400, "empty"),
    Bad("empty-sheet", "/sheets/esrf", b"\n\n", CSV, 422, "empty"),
]


@pytest.mark.parametrize("case", BAD, ids=lambda c: c.id)
async def test_bad_uploads(client: httpx.AsyncClient, case: Bad) -> None:
    response = await client.post(case.path, content=case.body, headers=case.headers)
    assert response.status_code == case.status, response.text
    assert case.says in response.text.lower()
    assert (await client.get("/stats")).json() == {}


async def test_sheet_of_a_non_shipment_or_unknown_uuid(client: httpx.AsyncClient) -> None:
    data = (SHEETS / "dls_shipment.csv").read_bytes()
    pin = (await client.post("/sheets/dls", content=data, headers=CSV)).json()["keys"]["Pin/Pin1"]
    assert (await client.get(f"/shipments/{pin}/sheet", params={"site": "dls"})).status_code == 422
    unknown = "0196f23a-dce0-2560-baac-f1b23ec9e0dd"
    assert (
        await client.get(f"/shipments/{unknown}/sheet", params={"site": "dls"})
    ).status_code == 404
    bad_format = await client.get(
        f"/shipments/{pin}/sheet", params={"site": "dls", "format": "ods"}
    )
    assert bad_format.status_code == 422


async def test_the_site_parameter_never_reaches_a_header_raw(client: httpx.AsyncClient) -> None:
    data = (SHEETS / "esrf_shipment.csv").read_bytes()
    shipment = (await client.post("/sheets/esrf", content=data, headers=CSV)).json()["keys"][
        "Shipment/Shipment1"
    ]
    for site in ("ESRF\n", " esrf\r\nX-Evil: 1"):
        response = await client.get(f"/shipments/{shipment}/sheet", params={"site": site})
        if response.status_code == 200:
            assert response.headers["content-disposition"].endswith(f'{shipment}-esrf.csv"')
            assert "x-evil" not in response.headers
        else:
            assert response.status_code == 404
