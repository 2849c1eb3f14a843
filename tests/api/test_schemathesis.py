"""Property-based run over the OpenAPI document: whatever schemathesis sends, never a 5xx.

In process (ASGI), on an in-memory store seeded with a small shipment and its results; path
uuids are drawn from the generated ones and the stored ones, so the routes are exercised on
objects that exist too. A few examples per operation keep it CI-sized (~10 s).
"""

from __future__ import annotations

import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from schemathesis.checks import not_a_server_error

from api.main import create_app
from mxlims_store.config import Settings
from mxlims_store.store import Store
from mxlims_store.store.backend import open_store
from tests.api.conftest import make_settings
from tests.factories import results_message, shipment_message

SHIPMENT = shipment_message(3)
RESULTS = results_message(SHIPMENT)
STORED = sorted(
    {
        obj["uuid"]
        for message in (SHIPMENT, RESULTS)
        for key, objects in message.items()
        if key != "version"
        for obj in objects.values()
    }
)


@asynccontextmanager
async def seeded_store(settings: Settings) -> AsyncIterator[Store]:
    """The in-memory store with the shipment and its results (whenever the lifespan starts)."""
    async with open_store(settings) as store:
        await store.import_message(SHIPMENT)
        await store.import_message(RESULTS, policy="update_old")
        yield store


APP = create_app(
    make_settings(Path(tempfile.gettempdir()) / "mxlims-schemathesis"), opener=seeded_store
)
schema = schemathesis.openapi.from_asgi("/openapi.json", APP)


@schema.hook
def flatmap_path_parameters(
    context: Any, path_parameters: dict[str, Any]
) -> st.SearchStrategy[Any]:
    if "uuid" not in (path_parameters or {}):
        return st.just(path_parameters)
    stored = [{**path_parameters, "uuid": uuid} for uuid in STORED]
    return st.sampled_from([path_parameters, *stored])


@schema.hook
def flatmap_headers(context: Any, headers: dict[str, Any] | None) -> st.SearchStrategy[Any]:
    """Writes also carry the ETag of the stored revision, so some of them get through."""
    if context.operation is None or context.operation.method.upper() not in ("PATCH", "DELETE"):
        return st.just(headers)
    return st.sampled_from([headers, {**(headers or {}), "If-Match": '"1"'}])


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(checks=[not_a_server_error])
