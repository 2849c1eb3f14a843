"""Import an MXLIMS message: every check first, then the writes in bulk, one batch per collection.

Round trips do not grow with the number of objects: one ``$in`` read per collection involved,
one history write, one bulk write per collection. The import is idempotent by uuid: objects
left without a uuid get one derived from the message's content hash, and a re-run after a
crash finds what the first run wrote (same content) and writes only the rest.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import ValidationError
from pymongo import InsertOne, ReplaceOne
from pymongo.errors import BulkWriteError

from mxlims_store.errors import Conflict, InvalidMessage, Problem
from mxlims_store.messages import ReadResult, read_message
from mxlims_store.model.registry import MODEL_VERSION, parse_object
from mxlims_store.store import history
from mxlims_store.store.access import Caller
from mxlims_store.store.collections import CORE_COLLECTIONS, HISTORY, collection_of
from mxlims_store.store.documents import META, from_document, to_document
from mxlims_store.store.gateway import Database

Policy = Literal["reject_new", "update_old", "error"]
POLICIES: tuple[Policy, ...] = ("reject_new", "update_old", "error")
Progress = Callable[[int, int], None]  # (objects written so far, objects to write)


@dataclass
class ImportReport:
    import_id: str
    policy: Policy
    dry_run: bool
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)
    keys: dict[str, str] = field(default_factory=dict)  # "Pin/Pin1" -> uuid

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class _Plan:
    writes: dict[str, list[InsertOne[Any] | ReplaceOne[Any]]] = field(default_factory=dict)
    history: list[dict[str, Any]] = field(default_factory=list)
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)


def content_hash(message: Any) -> str:
    canonical = json.dumps(message, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    # surrogatepass: a lone surrogate must reach the reader, which reports it with its path
    return hashlib.sha256(canonical.encode("utf-8", "surrogatepass")).hexdigest()[:32]


async def import_message(
    db: Database,
    message: Any,
    *,
    caller: Caller,
    policy: Policy = "reject_new",
    dry_run: bool = False,
    proposal: str | None = None,
    allow_missing_targets: bool = False,
    progress: Progress | None = None,
) -> ImportReport:
    if policy not in POLICIES:
        raise InvalidMessage(
            [Problem("policy", f"unknown policy {policy!r}; use one of {POLICIES}")]
        )
    import_id = content_hash(message)
    read = read_message(message, uuid_seed=import_id)
    existing = await _existing(db, read)
    last_revisions = await _last_revisions(db, read, existing, import_id)
    problems = _check_external_links(read, existing, caller, allow_missing_targets)
    proposal = proposal or _proposal_of(read, caller)
    plan, conflicts = _plan(
        read, existing, last_revisions, policy, import_id, caller, proposal, problems
    )
    if problems:
        raise InvalidMessage(problems)
    if conflicts:
        raise Conflict(f"{len(conflicts)} object(s) already stored (policy 'error')", conflicts)
    report = ImportReport(
        import_id,
        policy,
        dry_run,
        dict(plan.created),
        dict(plan.updated),
        dict(plan.unchanged),
        read.keys,
    )
    if not dry_run:
        await _write(db, plan, progress)
    return report


async def _existing(db: Database, read: ReadResult) -> dict[str, dict[str, Any]]:
    """Stored documents for every uuid the message holds or links to, in whichever collection
    they are (a uuid names one object across all four): one query per collection."""
    uuids = [obj["uuid"] for obj in read.objects] + list(read.stubs)
    found: dict[str, dict[str, Any]] = {}
    for collection in CORE_COLLECTIONS:
        for document in await db[collection].find({"_id": {"$in": uuids}}).to_list(None):
            found[document["_id"]] = document
    return found


async def _last_revisions(
    db: Database, read: ReadResult, existing: dict[str, dict[str, Any]], import_id: str
) -> dict[str, int]:
    """For uuids about to be created: the last revision their history knows (a uuid deleted and
    created anew continues its count, so an old ETag can never match the new object). This
    import's own entries are left out: its re-run after a crash plans the same revisions."""
    new = [o["uuid"] for o in read.objects if o["uuid"] not in existing]
    if not new:
        return {}
    pipeline = [
        {"$match": {"uuid": {"$in": new}, "importId": {"$ne": import_id}}},
        {"$group": {"_id": "$uuid", "revision": {"$max": "$revision"}}},
    ]
    cursor = await db[HISTORY].aggregate(pipeline)
    return {row["_id"]: int(row["revision"]) for row in await cursor.to_list(None)}


def _check_external_links(
    read: ReadResult, existing: dict[str, dict[str, Any]], caller: Caller, allow_missing: bool
) -> list[Problem]:
    """Stubs name stored objects the caller may see; a link to one must allow its type.

    An object of another proposal counts as missing: its existence and type are not told.
    """
    problems: list[Problem] = []
    path_of = {uuid: path for path, uuid in read.keys.items()}

    def visible(uuid: str) -> dict[str, Any] | None:
        target = existing.get(uuid)
        return target if target is not None and caller.may_read(_proposal(target)) else None

    if not allow_missing:
        for uuid in read.stubs:
            if visible(uuid) is None:
                problems.append(Problem(path_of[uuid], f"stub {uuid} names no object in the store"))
    for link in read.external_links:
        target = visible(link.target_uuid)
        if target is not None and not link.rule.allows(target["mxlimsType"]):
            allowed = ", ".join(link.rule.targets)
            problems.append(
                Problem(link.path, f"links to a stored {target['mxlimsType']}; allowed: {allowed}")
            )
    return problems


def _proposal(document: dict[str, Any]) -> str | None:
    proposal = document[META].get("proposal")
    return None if proposal is None else str(proposal)


def _proposal_of(read: ReadResult, caller: Caller) -> str | None:
    """The owning proposal of new objects: the message's shipment, else the caller's only grant."""
    codes = {str(o["proposalCode"]) for o in read.objects if o.get("proposalCode")}
    if len(codes) == 1:
        return codes.pop()
    if caller.proposals is not None and len(caller.proposals) == 1:
        return next(iter(caller.proposals))
    return None


def _plan(
    read: ReadResult,
    existing: dict[str, dict[str, Any]],
    last_revisions: dict[str, int],
    policy: Policy,
    import_id: str,
    caller: Caller,
    proposal: str | None,
    problems: list[Problem],
) -> tuple[_Plan, list[Problem]]:
    plan, conflicts = _Plan(), []
    now = datetime.now(UTC)
    path_of = {uuid: path for path, uuid in read.keys.items()}
    for obj in read.objects:
        uuid, type_name = obj["uuid"], obj["mxlimsType"]
        path = path_of.get(uuid, uuid)
        stored = existing.get(uuid)
        if stored is None:
            if not caller.may_write(proposal):
                problems.append(
                    Problem(path, f"you may not create objects for proposal {proposal!r}")
                )
                continue
            revision = last_revisions.get(uuid, 0) + 1
            meta = _meta(
                revision, now, caller.actor, import_id, proposal, created=(now, caller.actor)
            )
            _add_write(plan, obj, meta, None, "create", import_id, now, caller.actor)
            plan.created[type_name] += 1
            continue
        if not caller.may_write(_proposal(stored)):
            problems.append(Problem(path, f"uuid {uuid} is taken by an object you may not change"))
            continue
        if stored["mxlimsType"] != type_name:
            problems.append(
                Problem(path, f"uuid {uuid} is a stored {stored['mxlimsType']}, not a {type_name}")
            )
            continue
        stored_obj = from_document(stored)
        own_rerun = stored[META].get("importId") == import_id
        if policy == "error" and not own_rerun:
            conflicts.append(Problem(path, f"uuid {uuid} is already stored"))
            continue
        merged = {**stored_obj, **obj} if policy == "update_old" else stored_obj
        if merged == stored_obj:
            plan.unchanged[type_name] += 1
        elif _valid(merged, path, problems):
            revision = stored[META]["revision"]
            meta = {**stored[META], **_meta(revision + 1, now, caller.actor, import_id)}
            _add_write(plan, merged, meta, stored, "update", import_id, now, caller.actor)
            plan.updated[type_name] += 1
    return plan, conflicts


def _valid(obj: dict[str, Any], path: str, problems: list[Problem]) -> bool:
    try:
        parse_object(obj)
    except ValidationError as error:
        problems.extend(
            Problem(f"{path}/{'/'.join(map(str, e['loc']))}", e["msg"]) for e in error.errors()
        )
        return False
    return True


def _meta(
    revision: int,
    now: datetime,
    actor: str,
    import_id: str,
    proposal: str | None = None,
    created: tuple[datetime, str] | None = None,
) -> dict[str, Any]:
    meta: dict[str, Any] = {
        "revision": revision,
        "updatedAt": now,
        "updatedBy": actor,
        "modelVersion": MODEL_VERSION,
        "importId": import_id,
    }
    if created is not None:
        meta.update(createdAt=created[0], createdBy=created[1], proposal=proposal)
    return meta


def _add_write(
    plan: _Plan,
    obj: dict[str, Any],
    meta: dict[str, Any],
    stored: dict[str, Any] | None,
    operation: history.Operation,
    import_id: str,
    now: datetime,
    actor: str,
) -> None:
    document = to_document(obj, meta)
    collection = collection_of(obj["mxlimsType"])
    write: InsertOne[Any] | ReplaceOne[Any]
    if stored is None:
        write = InsertOne(document)
    else:  # only over the revision that was checked: a concurrent change is not overwritten
        write = ReplaceOne(
            {"_id": obj["uuid"], f"{META}.revision": stored[META]["revision"]}, document
        )
    plan.writes.setdefault(collection, []).append(write)
    before = _fields(stored) if stored is not None else None
    plan.history.append(
        history.entry(
            obj["uuid"],
            meta["revision"],
            operation,
            actor,
            now,
            before,
            _fields(document),
            proposal=meta.get("proposal"),
            import_id=import_id,
        )
    )


def _fields(document: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in document.items() if k not in ("_id", META)}


async def _write(db: Database, plan: _Plan, progress: Progress | None) -> None:
    # History first, keyed by the import: if the process dies between the two, the re-run plans
    # the same revisions and finds the entries the first run wrote.
    total = sum(len(w) for w in plan.writes.values())
    if plan.history:
        await _insert_ignoring_duplicates(db[HISTORY], [InsertOne(e) for e in plan.history])
    done, lost = 0, []
    for collection, writes in plan.writes.items():
        try:
            result = await db[collection].bulk_write(writes, ordered=False)
            missed = len(writes) - result.inserted_count - result.matched_count
        except BulkWriteError as error:
            missed = _concurrent_changes(error, writes)
        if missed:
            lost.append(collection)
        done += len(writes)
        if progress is not None:
            progress(done, total)
    if lost:
        await _forget_lost_history(db, plan, lost)
        raise Conflict("some objects were changed by someone else during the import; re-run it")


def _concurrent_changes(error: BulkWriteError, writes: list[Any]) -> int:
    """How many writes lost a race (duplicate uuid); anything else is refused input."""
    failures = error.details.get("writeErrors", [])
    refused = [f for f in failures if f.get("code") != DUPLICATE_KEY]
    if refused:
        problems = [Problem(_uuid_of(writes[f["index"]]), str(f.get("errmsg"))) for f in refused]
        raise InvalidMessage(problems, "the database refused some objects")
    unmatched = len(writes) - error.details.get("nInserted", 0) - error.details.get("nMatched", 0)
    return int(max(unmatched, len(failures)))


def _uuid_of(write: Any) -> str:
    document = getattr(write, "_doc", None) or {}
    return str(document.get("_id", ""))


async def _forget_lost_history(db: Database, plan: _Plan, collections: list[str]) -> None:
    """Remove the history entries of writes that did not land: history tells what happened."""
    planned = {e["uuid"]: e for e in plan.history}
    landed: set[str] = set()
    for collection in collections:
        uuids = [_uuid_of(w) for w in plan.writes[collection]]
        for document in await db[collection].find({"_id": {"$in": uuids}}, {META: 1}).to_list(None):
            entry, meta = planned[document["_id"]], document[META]
            if (meta.get("importId"), meta["revision"]) == (entry["importId"], entry["revision"]):
                landed.add(document["_id"])
        forget = [planned[u]["_id"] for u in uuids if u not in landed]
        if forget:
            await db[HISTORY].delete_many({"_id": {"$in": forget}})


async def _insert_ignoring_duplicates(collection: Any, inserts: list[InsertOne[Any]]) -> None:
    try:
        await collection.bulk_write(inserts, ordered=False)
    except BulkWriteError as error:
        if any(e.get("code") != DUPLICATE_KEY for e in error.details.get("writeErrors", [])):
            raise


DUPLICATE_KEY = 11000
