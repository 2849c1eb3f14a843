"""Safe by default: a caller nobody described has no rights, so a Store opened without a caller
is refused (PermissionDenied, never data, nothing written) on every method that reads or writes
objects, keys or backups. Rights are given explicitly: an API key, the CLI's local admin, the
library's own SYSTEM walks."""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any, get_args, get_origin, get_type_hints

import pytest
from pydantic import BaseModel

from mxlims_store.config import Settings
from mxlims_store.errors import PermissionDenied
from mxlims_store.store import NOBODY, SYSTEM, Caller, FindQuery, Store, local_admin
from mxlims_store.store.access import readable
from mxlims_store.store.backend import open_store
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.existence import WHERE_NONE_WAS
from tests.acting import ADMIN
from tests.factories import shipment_message

ALICE = Caller("alice", frozenset({"mx1234"}))

# Methods a bare store may still call: opening and pinging the store (the library's own
# bookkeeping), who-am-I, turning a presented key into a caller, naming a caller.
WITHOUT_RIGHTS = {"init", "ping", "identity", "authenticate", "authenticate_id", "acting_as"}


def every_call(uuid: str, key_id: str, tmp_path: Path) -> dict[str, Callable[[Store], Any]]:
    """One call of each public Store method that reads or writes objects, keys or backups."""
    return {
        "import_message": lambda s: s.import_message(shipment_message(1)),
        "import_sheet": lambda s: s.import_sheet("esrf", b"a,b\n1,2\n"),
        "export_sheet": lambda s: s.export_sheet("esrf", uuid),
        "get": lambda s: s.get(uuid),
        "find": lambda s: s.find(FindQuery("Pin")),
        "update": lambda s: s.update(uuid, {"name": "taken"}, revision=1),
        "delete": lambda s: s.delete(uuid, cascade=True),
        "links": lambda s: s.links(uuid),
        "provenance": lambda s: s.provenance(uuid, direction="down"),
        "export": lambda s: s.export(uuid),
        "shipment_results": lambda s: s.shipment_results(uuid),
        "history": lambda s: s.history(uuid),
        "stats": lambda s: s.stats(),
        "record_event": lambda s: s.record_event(uuid, "prepared"),
        "where": lambda s: s.where(uuid),
        "by_barcode": lambda s: s.by_barcode("PK-1"),
        "status": lambda s: s.status(uuid),
        "shipments": lambda s: s.shipments(),
        "layout": lambda s: s.layout(uuid),
        "labels": lambda s: s.labels([uuid]),
        "proposal_shipments": lambda s: s.proposal_shipments("mx1234"),
        "proposal_results": lambda s: s.proposal_results("mx1234"),
        "samples": lambda s: s.samples("mx1234"),
        "create_key": lambda s: s.create_key(name="sneaky", role="admin"),
        "list_keys": lambda s: s.list_keys(),
        "revoke_key": lambda s: s.revoke_key(key_id),
        "count_keys": lambda s: s.count_keys(),
        "backup": lambda s: s.backup(tmp_path / "copy.sqlite3"),
        "check": lambda s: s.check(),
    }


def public_methods() -> set[str]:
    return {
        name
        for name, member in inspect.getmembers(Store)
        if not name.startswith("_") and callable(member)
    }


def test_a_caller_nobody_described_has_no_rights() -> None:
    for nobody in (Caller(), NOBODY, Caller("member of nothing", None)):
        assert not nobody.may_read("mx1234") and not nobody.may_read(None)
        assert not nobody.may_write("mx1234") and not nobody.may_delete("mx1234")
        assert not nobody.is_admin and not nobody.reads_everything
        assert readable(nobody, {"mxlimsType": "Pin"}) != {"mxlimsType": "Pin"}  # narrowed
    for admin in (local_admin(), SYSTEM, Caller.admin("someone")):
        assert admin.is_admin and admin.may_delete("mx1234") and admin.may_read(None)


async def test_a_bare_store_is_refused_everything_and_learns_nothing(
    backend: Any, tmp_path: Path
) -> None:
    admin = Store(backend, ADMIN)
    await admin.init()
    message = shipment_message(2, proposal="mx1234")
    await admin.import_message(message)
    shipment = message["Shipment"]["Shipment1"]["uuid"]
    key = await admin.create_key(name="a key", role="member", proposals=["mx1234"])
    before = (await admin.stats()).to_dict()
    calls = every_call(shipment, key.id, tmp_path)
    assert set(calls) | WITHOUT_RIGHTS == public_methods()  # a new method must be listed here

    bare = Store(backend)  # no caller said
    for name, call in calls.items():
        try:
            outcome = call(bare)
            answer = await outcome if isinstance(outcome, Awaitable) else outcome
        except PermissionDenied as refused:
            assert "uuid" not in refused.message and shipment not in refused.message, name
            continue
        pytest.fail(f"{name}: a store without a caller answered {answer!r}")

    assert (await admin.stats()).to_dict() == before  # nothing written
    assert [k.revoked_at for k in await admin.list_keys()] == [None]
    assert not (tmp_path / "copy.sqlite3").exists()
    who = bare.identity()  # who-am-I still answers: nobody, with no proposal
    assert (who.name, who.role, who.proposals) == ("nobody", "member", [])


async def test_a_bare_store_acts_for_whoever_a_call_names(backend: Any) -> None:
    await Store(backend, ADMIN).init()
    message = shipment_message(1, proposal="mx1234")
    bare = Store(backend)
    await bare.import_message(message, caller=ALICE)
    pin = message["Pin"]["Pin1"]["uuid"]
    assert (await bare.get(pin, caller=ALICE)).meta["proposal"] == "mx1234"
    assert (await bare.acting_as(ALICE).stats())["Pin"] == 1
    with pytest.raises(PermissionDenied):
        await bare.get(pin)


async def test_open_store_gives_a_store_without_rights(tmp_path: Path) -> None:
    settings = Settings(_env_file=None, data_dir=tmp_path)
    async with open_store(settings, creation=WHERE_NONE_WAS) as store:
        with pytest.raises(PermissionDenied):
            await store.stats()
        assert (await store.acting_as(local_admin()).stats()).to_dict() == {}


async def test_a_member_key_with_no_proposal_reads_nothing(tmp_path: Path) -> None:
    store = Store(SqliteBackend(tmp_path / "store.sqlite3"), ADMIN)
    await store.init()
    await store.import_message(shipment_message(1, proposal="mx1234"))
    for member in (Caller("m", frozenset()), Caller("m", None, "member")):
        with pytest.raises(PermissionDenied):
            await store.find(FindQuery("Pin"), caller=member)
    await store.db.close()


# What a Store method answers that is not an answer model, and why.
NOT_ANSWERS = {
    "init": "opens the store: nothing to answer",
    "ping": "reachability: nothing to answer",
    "acting_as": "the same store acting for another caller",
    "authenticate": "the Caller behind a key (the API's own use, before any answer)",
    "authenticate_id": "the Caller behind a page session's key",
    "count_keys": "a number (whether the first admin key is still to be made)",
    "provenance": "a list of Step answers, with the walk's cut links beside it",
    "export": "an MXLIMS message: the standard's shape, not one of ours",
    "shipment_results": "an MXLIMS message: the standard's shape, not one of ours",
    "proposal_results": "an MXLIMS message: the standard's shape, not one of ours",
    "export_sheet": "a facility's spreadsheet file (bytes) with what it could not hold",
}


def test_every_other_method_answers_with_a_declared_model() -> None:
    assert set(NOT_ANSWERS) <= public_methods()
    for name in sorted(public_methods() - set(NOT_ANSWERS)):
        hint = get_type_hints(getattr(Store, name))["return"]
        model = get_args(hint)[0] if get_origin(hint) is list else hint
        assert isinstance(model, type) and issubclass(model, BaseModel), (name, hint)
        assert model.__module__.startswith("mxlims_store.answers."), (name, model)
