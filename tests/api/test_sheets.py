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
    assert (await client.get(f"/objects/{shipment}")).json()["proposalCode"] == "mx42"

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


async def test_an_export_the_facility_would_refuse_is_422_unless_defaults_or_a_draft(
    client: httpx.AsyncClient,
) -> None:
    data = (SHEETS / "esrf_shipment.csv").read_bytes()
    shipment = (await client.post("/sheets/esrf", content=data, headers=CSV)).json()["keys"][
        "Shipment/Shipment1"
    ]
    url = f"/shipments/{shipment}/sheet"
    refused = await client.get(url, params={"site": "dls"})
    assert refused.status_code == 422
    body = refused.json()
    assert "Diamond Light Source would refuse this sheet" in body["message"]
    assert {(p["row"], p["column"]) for p in body["problems"]} == {
        (row, column) for row in range(2, 16) for column in ("#proposalCode", "proposalNumber")
    }
    ok = await client.get(url, params={"site": "dls", "proposal": "mx42"})
    assert ok.status_code == 200 and ok.headers["X-MXLIMS-Defaults-Applied"] == "1"
    assert ok.headers["X-MXLIMS-Problems"] == "0"
    report = (await client.get(f"{url}/report", params={"site": "dls", "proposal": "mx42"})).json()
    assert report["site"] == "dls" and len(report["losses"]) == int(ok.headers["X-MXLIMS-Losses"])
    assert report["defaultsApplied"] == [
        {"column": "Shipment.proposalCode", "value": "mx42", "rows": 1, "source": "proposal"}
    ]
    draft = await client.get(url, params={"site": "dls", "draft": "true"})
    assert draft.status_code == 200 and draft.headers["X-MXLIMS-Problems"] == "28"
    defaults = await client.get(
        url,
        params=[
            ("site", "petraiii"),
            ("default", "proposalCode=I"),
            ("default", "proposalNumber=7"),
        ],
    )
    assert defaults.status_code == 200, defaults.text
    assert defaults.content.decode().splitlines()[1].startswith("I,7,")
    bad = await client.get(url, params={"site": "dls", "default": "nonsense"})
    assert bad.status_code == 422 and "COLUMN=VALUE" in bad.text


async def test_convert_without_storing(client: httpx.AsyncClient) -> None:
    data = (SHEETS / "esrf_shipment.csv").read_bytes()
    converted = await client.post(
        "/sheets/convert",
        params={"from": "esrf", "to": "dls", "proposal": "mx42"},
        content=data,
        headers=CSV,
    )
    assert converted.status_code == 200, converted.text
    assert converted.content.startswith(b"#proposalCode")
    assert int(converted.headers["X-MXLIMS-Losses"]) > 0
    report = await client.post(
        "/sheets/convert/report",
        params={"from": "esrf", "to": "dls", "proposal": "mx42"},
        content=data,
        headers=CSV,
    )
    assert len(report.json()["losses"]) == int(converted.headers["X-MXLIMS-Losses"])
    message = await client.post(
        "/sheets/convert", params={"from": "esrf", "to": "mxlims"}, content=data, headers=CSV
    )
    assert message.status_code == 200 and len(message.json()["Pin"]) == 14
    refused = await client.post(
        "/sheets/convert", params={"from": "esrf", "to": "dls"}, content=data, headers=CSV
    )
    assert refused.status_code == 422 and refused.json()["problems"][0]["row"] == 2
    unknown = await client.post(
        "/sheets/convert", params={"from": "esrf", "to": "atlantis"}, content=data, headers=CSV
    )
    assert unknown.status_code == 422 and "esrf" in unknown.text
    assert (await client.get("/stats")).json() == {}


async def test_reupload_is_200_with_the_changes_and_encoding_is_asked_for(
    client: httpx.AsyncClient,
) -> None:
    data = (SHEETS / "esrf_shipment.csv").read_bytes()
    assert (await client.post("/sheets/esrf", content=data, headers=CSV)).status_code == 201
    fixed = data.replace(b"hewl_1101,ESRF-PIN-300,P43212", b"hewl_1101,ESRF-PIN-300,P41212")
    again = await client.post("/sheets/esrf", content=fixed, headers=CSV)
    assert again.status_code == 200 and again.json()["updated"] == {"MxExperiment": 1}
    assert (await client.get("/stats")).json()["Shipment"] == 1
    latin = data.replace(b"hewl_1101", "hewl_Å".encode("cp1252"))
    refused = await client.post("/sheets/esrf", content=latin, headers=CSV)
    assert refused.status_code == 422
    assert refused.json()["problems"][0]["column"] == "sample acronym"
    read = await client.post(
        "/sheets/esrf?encoding=cp1252&dry_run=true", content=latin, headers=CSV
    )
    assert read.status_code == 200, read.text
    merge = await client.post("/sheets/esrf?policy=merge", content=fixed, headers=CSV)
    assert merge.status_code == 200 and merge.json()["policy"] == "merge"
    assert (
        await client.post("/sheets/esrf?policy=nope", content=data, headers=CSV)
    ).status_code == 422


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
    Bad("unknown-site", "/sheets/atlantis", b"a,b\n1,2\n", CSV, 422, "esrf (esrf.fr)"),
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
            assert response.status_code == 422
