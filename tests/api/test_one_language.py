"""One language: the CLI and the API ask in one grammar and answer in one shape, and HTTP
manners (a version prefix, Location, gzip, UTF-8 queries)."""

from __future__ import annotations

import asyncio
import gzip
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from typer.testing import CliRunner

from mxlims_store.api.main import create_app
from mxlims_store.cli import app as cli
from mxlims_store.config import get_settings
from tests.api.conftest import make_settings, running
from tests.factories import results_message, shipment_message

QUESTIONS: list[tuple[str | None, list[str]]] = [
    ("Pin", ["positionInPuck<3"]),
    ("Pin", ["positionInPuck:in=[1,4]", "barcode!=PIN-4"]),
    ("Pin", ["barcode=PIN-2"]),
    (None, ["barcode:exists=true", "mxlimsType=Dewar"]),
    ("Dewar", ['barcode:in=["DW-1", "DW-9"]']),
    ("Puck", ["positionInDewar:exists=false"]),
    ("Pin", ["name=123"]),  # a text field: the text "123", not a number
]
WRONG: list[tuple[str | None, list[str], str]] = [
    ("Pin", ["positionInPuck=abc"], "takes a number"),
    ("Pin", ["positionInPuck<<3"], "'<3' is not one"),
    (None, ["jobStatus=Complete"], "'Completed'"),
    ("Pin", ["colour=red"], "not a searchable field of Pin"),
    ("Nope", [], "unknown MXLIMS type"),
    # beyond a 64-bit integer: the condition named as any other (was "where/positionInPuck/$lt")
    ("Pin", ["positionInPuck<99999999999999999999999"], "where/0: positionInPuck: '999"),
    ("Pin", ["positionInPuck:in=[1, 99999999999999999999999]"], "where/0: positionInPuck: '999"),
    ("Pin", ["positionInPuck!=99999999999999999999999"], "where/0: positionInPuck: '999"),
]


@pytest.fixture
async def both(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[tuple[httpx.AsyncClient, dict[str, Any]]]:
    """The API and the CLI on one data directory holding a five-pin shipment."""
    settings = make_settings(tmp_path)
    monkeypatch.setenv("MXLIMS_DATA_DIR", str(settings.data_dir))
    monkeypatch.delenv("MXLIMS_MONGODB_URL", raising=False)
    get_settings.cache_clear()
    message = shipment_message(5)
    message["Pin"]["Pin2"]["name"] = "123"
    async with running(create_app(settings)) as client:
        assert (await client.post("/messages", json=message)).status_code == 201
        yield client, message
    get_settings.cache_clear()


async def _cli(*args: str) -> Any:
    """The command, run as a user runs it (its own event loop: in a thread beside the test's)."""
    return await asyncio.to_thread(CliRunner().invoke, cli, list(args))


async def _cli_find(type_: str | None, where: list[str]) -> Any:
    args = ["find", *(["--type", type_] if type_ else []), "--total"]
    for condition in where:
        args += ["--where", condition]
    return await _cli(*args)


@pytest.mark.parametrize(("type_", "where"), QUESTIONS, ids=[" & ".join(q[1]) for q in QUESTIONS])
async def test_the_cli_and_the_api_give_the_same_items(
    both: tuple[httpx.AsyncClient, dict[str, Any]], type_: str | None, where: list[str]
) -> None:
    client, _ = both
    params = (
        [("where", w) for w in where] + [("total", "true")] + ([("type", type_)] if type_ else [])
    )
    over_http = await client.get("/objects", params=params)
    assert over_http.status_code == 200, over_http.text
    by_cli = await _cli_find(type_, where)
    assert by_cli.exit_code == 0, by_cli.output
    assert json.loads(by_cli.stdout) == over_http.json()  # the same items, in the same shape
    assert over_http.json()["total"] == len(over_http.json()["items"]) > 0


@pytest.mark.parametrize(("type_", "where", "says"), WRONG, ids=[w[2] for w in WRONG])
async def test_the_cli_and_the_api_refuse_the_same_questions_alike(
    both: tuple[httpx.AsyncClient, dict[str, Any]], type_: str | None, where: list[str], says: str
) -> None:
    client, _ = both
    params = [("where", w) for w in where] + ([("type", type_)] if type_ else [])
    over_http = await client.get("/objects", params=params)
    assert over_http.status_code == 422 and over_http.json()["error"] == "InvalidQuery"
    assert says in over_http.text
    by_cli = await _cli_find(type_, where)
    assert by_cli.exit_code == 2 and says in by_cli.stderr


async def test_an_object_is_one_shape_in_mxlims_form_from_the_cli_and_the_api(
    both: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    client, message = both
    pin = message["Pin"]["Pin1"]["uuid"]
    over_http = (await client.get(f"/objects/{pin}")).json()
    by_cli = json.loads((await _cli("get", pin)).stdout)
    assert by_cli == over_http
    assert over_http["containerRef"] == {"$ref": message["Puck"]["Puck1"]["uuid"]}
    assert over_http["_meta"]["revision"] == 1 and "containerId" not in over_http
    # what a GET answers, a PATCH takes: move the pin with its MXLIMS link
    other = message["Puck"]["Puck1"]["uuid"]
    moved = await client.patch(
        f"/objects/{pin}",
        json={"containerRef": {"$ref": other}, "positionInPuck": 9},
        headers={"If-Match": '"1"'},
    )
    assert moved.status_code == 200, moved.text
    assert moved.json()["containerRef"] == {"$ref": other} and moved.json()["positionInPuck"] == 9


async def test_a_provenance_chain_reads_as_a_sentence(
    both: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    client, message = both
    pin = message["Pin"]["Pin1"]
    steps = (await client.get(f"/objects/{pin['uuid']}/provenance")).json()
    chain = " in ".join(s["label"] for s in steps if s.get("link") in (None, "containerRef"))
    assert chain == (
        f"Pin {pin['barcode']} (position 1) in Puck {message['Puck']['Puck1']['barcode']} in "
        f"Dewar {message['Dewar']['Dewar1']['barcode']} in Shipment "
        f"{message['Shipment']['Shipment1']['uuid']}"
    )
    links = (await client.get(f"/objects/{pin['uuid']}/links")).json()
    assert links["label"] == f"Pin {pin['barcode']} (position 1)"
    assert links["forward"][0]["label"].startswith("Puck ")


async def test_http_manners(both: tuple[httpx.AsyncClient, dict[str, Any]]) -> None:
    client, message = both
    # the API under its version prefix; /health also at the root, the old unprefixed paths gone
    assert (await client.get("http://testserver/health")).status_code == 200
    assert (await client.get("http://testserver/objects")).status_code == 404
    # 201 says where the new resource is
    created = await client.post("/messages", json=results_message(message))
    assert created.status_code == 201
    location = created.headers["Location"]
    assert location.startswith("/api/v1/objects/")
    assert (await client.get(f"http://testserver{location}")).status_code == 200
    shipment = message["Shipment"]["Shipment1"]["uuid"]
    # large answers are compressed for a client that accepts it
    raw = await client.get(f"/shipments/{shipment}/results", headers={"Accept-Encoding": "gzip"})
    assert raw.headers["content-encoding"] == "gzip"
    assert json.loads(raw.content)["Shipment"]  # httpx decodes; the bytes sent were gzip
    assert gzip.compress(raw.content)  # (and a client without gzip gets plain JSON:)
    plain = await client.get(
        f"/shipments/{shipment}/results", headers={"Accept-Encoding": "identity"}
    )
    assert "content-encoding" not in plain.headers
    # a query string that is not UTF-8 is refused, not searched for U+FFFD
    broken = await client.get("/objects?where=barcode=%ED%A0%80")
    assert broken.status_code == 422 and broken.json()["error"] == "InvalidQuery"


async def test_a_question_is_read_as_asked_or_refused(
    both: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    client, _ = both
    for query, says in (
        ("type=Pin&wher=positionInPuck<3", "unknown query parameter(s) wher"),
        ("type=Pin&type=Dewar", "type given twice"),
        ("type=Pin&where=positionInPuck=3&where=positionInPuck=4", "two = conditions"),
        ("after=zzzz", "'zzzz' is not a lower-case RFC 4122"),
    ):
        refused = await client.get(f"/objects?{query}")
        assert refused.status_code == 422 and says in refused.text, (query, refused.text)
    dry = await client.post(
        "/sheets/esrf?dryRun=true", content=b"x", headers={"content-type": "text/csv"}
    )
    assert dry.status_code == 422 and "dryRun" in dry.text  # never stored by a misspelling
    both_ends = await client.get("/objects?type=Pin&where=positionInPuck>1&where=positionInPuck<3")
    assert [i["positionInPuck"] for i in both_ends.json()["items"]] == [2]
    value_with_operators = await client.get("/objects", params={"where": "barcode=a<=b"})
    assert value_with_operators.status_code == 200


async def test_a_patch_link_is_a_ref_to_a_uuid_given_one_way(
    both: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    client, message = both
    pin, puck = message["Pin"]["Pin1"]["uuid"], message["Puck"]["Puck1"]["uuid"]
    for body, says in (
        ({"containerRef": {"$ref": None}}, "a link is"),
        ({"containerRef": {"$ref": puck, "extra": 1}}, "a link is"),
        ({"containerRef": {"$ref": puck}, "containerId": puck}, "not both"),
    ):
        refused = await client.patch(f"/objects/{pin}", json=body, headers={"If-Match": '"1"'})
        assert refused.status_code == 422 and says in refused.text, (body, refused.text)
    moved = await client.patch(
        f"/objects/{pin}",
        json={"containerRef": {"$ref": puck}, "positionInPuck": 12},
        headers={"If-Match": '"1"'},
    )
    assert moved.status_code == 200
    history = (await client.get(f"/objects/{pin}/history")).json()
    assert history[0]["changes"]["containerRef"]["after"] == {"$ref": puck}  # the object's form


async def test_head_answers_as_get_without_a_body(
    both: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    client, message = both
    pin = message["Pin"]["Pin1"]["uuid"]
    got, head = await client.get(f"/objects/{pin}"), await client.head(f"/objects/{pin}")
    assert head.status_code == 200 and head.content == b""
    assert head.headers["etag"] == got.headers["etag"]
    assert (await client.head("http://testserver/health")).status_code == 200


async def test_a_site_that_is_no_domain_is_refused(
    both: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    client, message = both
    shipment = message["Shipment"]["Shipment1"]["uuid"]
    for site in ("esrf .fr", "..esrf.fr", "*.esrf.fr", "atlantis"):
        refused = await client.get(f"/objects/{shipment}/export", params={"site": site})
        assert refused.status_code == 422 and "esrf (esrf.fr)" in refused.text, site
    for site in ("ESRF", "MASSIF1.ESRF.FR", "icebear.fi"):
        answered = await client.get(f"/objects/{shipment}/export", params={"site": site})
        assert answered.status_code == 200, site


async def test_a_patch_that_changes_nothing_keeps_the_revision(
    both: tuple[httpx.AsyncClient, dict[str, Any]],
) -> None:
    client, message = both
    pin = message["Pin"]["Pin1"]
    same = await client.patch(
        f"/objects/{pin['uuid']}", json={"barcode": pin["barcode"]}, headers={"If-Match": '"1"'}
    )
    assert same.status_code == 200 and same.headers["etag"] == '"1"'
    assert len((await client.get(f"/objects/{pin['uuid']}/history")).json()) == 1
