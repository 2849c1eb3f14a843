"""Small edges of the API: numbers too small, JSON that is not UTF-8, framing of the docs, an
XLSX without a worksheet, over-long names."""

from __future__ import annotations

import io
import json
import re
import zipfile

import httpx
from openpyxl import Workbook

from tests.factories import shipment_message


async def test_a_number_that_underflows_is_refused_like_one_that_overflows(
    client: httpx.AsyncClient,
) -> None:
    text = json.dumps(shipment_message(1))
    for number, said in (("1e-400", "stored as 0"), ("1e400", "finite")):
        body = text.replace('"positionInPuck": 1', f'"positionInPuck": 1, "holderLength": {number}')
        answer = await client.post(
            "/messages", content=body, headers={"Content-Type": "application/json"}
        )
        assert answer.status_code == 422, answer.text
        [problem] = answer.json()["problems"]
        assert problem["path"] == "Pin/Pin1/holderLength" and said in problem["message"]
    zero = text.replace('"positionInPuck": 1', '"positionInPuck": 1, "holderLength": 0e-400')
    answer = await client.post(
        "/messages", content=zero, headers={"Content-Type": "application/json"}
    )
    assert answer.status_code == 201, answer.text  # a zero written as such stays a zero


async def test_a_json_body_must_be_utf8(client: httpx.AsyncClient) -> None:
    text = json.dumps(shipment_message(1))
    for encoding in ("utf-16", "utf-32"):
        answer = await client.post(
            "/messages?dry_run=true",
            content=text.encode(encoding),
            headers={"Content-Type": "application/json"},
        )
        assert answer.status_code == 400, (encoding, answer.text)
        assert "UTF-8" in answer.json()["message"]


async def test_the_api_docs_may_not_be_framed(client: httpx.AsyncClient) -> None:
    for path in ("/docs", "/redoc"):
        answer = await client.get(f"http://testserver{path}")
        assert answer.status_code == 200
        assert answer.headers["x-frame-options"] == "DENY"
        assert "frame-ancestors 'none'" in answer.headers["content-security-policy"]


def _xlsx_without_worksheet() -> bytes:
    workbook = Workbook()
    workbook.active["A1"] = "x"
    saved = io.BytesIO()
    workbook.save(saved)
    source = zipfile.ZipFile(io.BytesIO(saved.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            data = source.read(name)
            if name == "xl/workbook.xml":
                data = re.sub(rb"<sheets>.*</sheets>", b"<sheets />", data)
            target.writestr(name, data)
    return out.getvalue()


async def test_an_xlsx_without_a_worksheet_is_a_clear_422(client: httpx.AsyncClient) -> None:
    xlsx = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    answer = await client.post(
        "/sheets/dls?proposal=mx1",
        content=_xlsx_without_worksheet(),
        headers={"Content-Type": xlsx},
    )
    assert answer.status_code == 422, answer.text
    assert "no worksheet" in answer.text


async def test_names_and_free_text_have_length_limits(client: httpx.AsyncClient) -> None:
    message = shipment_message(1)
    message["Shipment"]["Shipment1"]["name"] = "N" * 10_000_000
    message["Pin"]["Pin1"]["comments"] = "c" * 70_000
    answer = await client.post("/messages", json=message)
    assert answer.status_code == 422
    assert answer.json()["problems"] == [
        {"path": "Shipment/Shipment1/name", "message": "at most 200 characters (10,000,000 given)"},
        {
            "path": "Pin/Pin1/comments",
            "message": "text of at most 65,536 characters (70,000 given)",
        },
    ]
    stored = shipment_message(1)
    assert (await client.post("/messages", json=stored)).status_code == 201
    pin = stored["Pin"]["Pin1"]["uuid"]
    patched = await client.patch(
        f"/objects/{pin}", json={"barcode": "B" * 201}, headers={"If-Match": '"1"'}
    )
    assert patched.status_code == 422
    assert patched.json()["problems"][0]["path"] == "barcode"
