"""Property-based run over the OpenAPI document with a member's key: whatever schemathesis
sends, never a 5xx, and never a body naming another proposal's objects.

In process (ASGI), on a store seeded with the member's shipment and its results and with another
proposal's shipment; path uuids are drawn from the generated ones and from both proposals'
stored ones, so the routes are exercised on objects that exist, visible or not. A few examples
per operation keep it CI-sized (~10 s).
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

SHIPMENT = shipment_message(3, proposal="mx1234")
RESULTS = results_message(SHIPMENT)
OTHERS = shipment_message(2, proposal="mx9999")


def uuids(*messages: dict[str, Any]) -> list[str]:
    return sorted(
        {
            obj["uuid"]
            for message in messages
            for key, objects in message.items()
            if key != "version"
            for obj in objects.values()
        }
    )


STORED = uuids(SHIPMENT, RESULTS, OTHERS)
FORBIDDEN = uuids(OTHERS)
MEMBER: dict[str, str] = {}
SEEN: set[int] = set()  # statuses answered: the run counts only if the key got requests through


@asynccontextmanager
async def seeded_store(settings: Settings) -> AsyncIterator[Store]:
    """Both proposals' data and the member's key (whenever the lifespan starts)."""
    async with open_store(settings) as store:
        await store.import_message(SHIPMENT)
        await store.import_message(RESULTS, policy="update_old")
        await store.import_message(OTHERS)
        created = await store.create_key(name="member", role="member", proposals=["mx1234"])
        MEMBER["Authorization"] = f"Bearer {created['key']}"
        yield store


APP = create_app(
    make_settings(Path(tempfile.mkdtemp(prefix="mxlims-schemathesis-"))), opener=seeded_store
)
schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", APP)


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
    """Every request carries the member's key (unless schemathesis set one itself); writes also
    carry the ETag of the stored revision, so some of them get through."""
    keyed = {**MEMBER, **(headers or {})}
    if context.operation is None or context.operation.method.upper() not in ("PATCH", "DELETE"):
        return st.just(keyed)
    return st.sampled_from([keyed, {**keyed, "If-Match": '"1"'}])


def no_other_proposal(ctx: Any, response: Any, case: Any) -> bool | None:
    """No body names an object of the proposal the member has no grant for."""
    SEEN.add(response.status_code)
    leaked = [uuid for uuid in FORBIDDEN if uuid in response.text]
    assert not leaked, f"{case.method} {case.path} answered with another proposal's {leaked}"
    return None


@schema.parametrize()
@settings(
    max_examples=25,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
def test_no_server_errors(case: schemathesis.Case[Any]) -> None:
    case.call_and_validate(checks=[not_a_server_error, no_other_proposal])


def test_the_run_went_through_with_the_key() -> None:
    assert {200, 404} <= SEEN, SEEN
