"""Import an MXLIMS message: every check first, then one commit of every write with its history.

Round trips do not grow with the number of objects: one ``$in`` read per collection involved,
one read of the history of new uuids, one commit (a transaction on SQLite and on a MongoDB
replica set). The import is also idempotent by uuid: objects left without a uuid get one
derived from the message's content hash, so where no transaction exists a re-run after a
crash finds what the first run wrote (same content) and writes only the rest.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

from mxlims_store.answers import ImportReport
from mxlims_store.errors import Conflict, InvalidMessage, Problem
from mxlims_store.messages import ReadResult, read_message
from mxlims_store.messages.clean_read import store_valid
from mxlims_store.messages.errors import object_problems
from mxlims_store.messages.reader import refuse_oversized
from mxlims_store.store import integrity, unit_of_work
from mxlims_store.store.access import Caller
from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.collection_names import COLLECTION_OF_CORE
from mxlims_store.store.collections import CORE_COLLECTIONS, HISTORY, collection_of
from mxlims_store.store.collector import collector_paused
from mxlims_store.store.collector import settle_long_lived as settle_long_lived  # api/main.py's
from mxlims_store.store.documents import META, from_document, now
from mxlims_store.store.external_links import external_link_problems
from mxlims_store.store.history import ImportWrites
from mxlims_store.store.import_id import content_hash, seed_scope
from mxlims_store.store.merging import differences, overlay, without
from mxlims_store.store.numbering import commit_numbered
from mxlims_store.store.ownership import owners, relabel_problems, stored_owner, visible_documents
from mxlims_store.store.policies import POLICIES, Policy
from mxlims_store.store.read_processes import read_elsewhere
from mxlims_store.store.reconcile import reconciled

TAKEN = "this uuid cannot be used here; leave it out or use another"  # the one fact told
PLANNED_HERE = 256  # objects: a plan of a 16-pin shipment (68) takes ~0.3 ms, made in place


@dataclass
class _Plan:
    writes: list[Write] = field(default_factory=list)
    final: list[tuple[dict[str, Any], str | None]] = field(default_factory=list)  # for the rules
    created: Counter[str] = field(default_factory=Counter)
    updated: Counter[str] = field(default_factory=Counter)
    unchanged: Counter[str] = field(default_factory=Counter)
    differing: Counter[str] = field(default_factory=Counter)
    differing_fields: dict[str, list[str]] = field(default_factory=dict)
    outcomes: dict[str, str] = field(default_factory=dict)  # per object (path): what happens
    numbered: list[dict[str, Any]] = field(default_factory=list)  # creations' _meta, in order


async def import_message(
    db: Backend,
    message: Any,
    *,
    caller: Caller,
    policy: Policy = "reject_new",
    dry_run: bool = False,
    proposal: str | None = None,
    cleared: dict[str, set[str]] | None = None,
) -> ImportReport:
    """Import ``message``; ``cleared`` (uuid -> fields) names stored fields that ``update_old``
    and ``merge`` remove before setting the message's: what a re-uploaded sheet could have
    given and left empty (``extensions/<domain>`` for a whole extension slot)."""
    if policy not in POLICIES:
        raise InvalidMessage(
            [Problem("policy", f"unknown policy {policy!r}; use one of {POLICIES}")]
        )
    settle_long_lived()
    with collector_paused():  # (what the import made is freed before the collector resumes)
        return await _imported(db, message, caller, policy, dry_run, proposal, cleared or {})


async def _imported(
    db: Backend,
    message: Any,
    caller: Caller,
    policy: Policy,
    dry_run: bool,
    proposal: str | None,
    gone: dict[str, set[str]],
) -> ImportReport:
    # Reading, checking and planning: off the event loop; reading (most of it) in another
    # process when the server asks, before the write lock (held only for what is read).
    import_id, read = await read_elsewhere(
        partial(_read, scope=seed_scope(caller, proposal)), message
    )
    if dry_run:
        return await _checked(db, read, import_id, caller, policy, True, proposal, gone)
    # One unit of work: what the rules read cannot change before the commit, in any process.
    return await unit_of_work.run(
        db, lambda tx: _checked(tx, read, import_id, caller, policy, False, proposal, gone)
    )


async def _checked(
    db: Backend,
    read: ReadResult,
    import_id: str,
    caller: Caller,
    policy: Policy,
    dry_run: bool,
    proposal: str | None,
    cleared: dict[str, set[str]],
) -> ImportReport:
    """Every check against what is stored, then (unless a dry run) the one commit."""
    # What is stored of the message, read once: reconcile asks which uuids are stored, and the
    # plan needs their documents (read again where reconcile rewrote uuids to stored ones).
    existing = await _existing(db, read)
    matched, matched_warnings = await reconciled(
        db, read, caller, policy, proposal, existing.keys()
    )
    if matched:
        existing = await _existing(db, read)
    last_revisions = await _last_revisions(db, read, existing, import_id, caller)
    path_of = {uuid: path for path, uuid in read.keys.items()}  # made once, read everywhere
    problems = external_link_problems(read, existing, caller, path_of)
    # Objects the caller may not see are as good as absent: ownership never follows them, so
    # no answer tells whether they exist or whose they are.
    visible = visible_documents(existing, caller)
    owner_of = owners(read, visible, caller, proposal)
    planned = partial(
        _planned,
        *(read, path_of, existing, last_revisions, policy, import_id, caller, owner_of, problems),
    )
    if len(read.objects) <= PLANNED_HERE:  # a hop to a thread, the write lock held, cost more
        plan, conflicts = _plan(planned, problems, cleared)
    else:
        plan, conflicts = await asyncio.to_thread(_plan, planned, problems, cleared)
    broken, warnings = await integrity.check(
        db, plan.final, path_of, visible=caller.may_read, stored=existing
    )
    problems.extend(broken)
    if problems:
        raise InvalidMessage(problems)
    if conflicts:
        raise Conflict(f"{len(conflicts)} object(s) already stored (policy 'error')", conflicts)
    # Built from values of the declared types (made here, the policy checked on entry): not
    # validated again, which copied its thousands of keys and outcomes one string at a time.
    report = ImportReport.model_construct(
        import_id=import_id,
        policy=policy,
        dry_run=dry_run,
        created=dict(plan.created),
        updated=dict(plan.updated),
        unchanged=dict(plan.unchanged),
        keys=read.keys,
        shipment=next((u for k, u in read.keys.items() if k.startswith("Shipment/")), None),
        warnings=read.not_carried + matched_warnings + warnings,
        differing=dict(plan.differing),
        differing_fields=plan.differing_fields,
        matched=matched,
        outcomes=plan.outcomes,
    )
    if not dry_run:
        try:
            await commit_numbered(db, plan.writes, plan.numbered)  # each creation numbered
        except InvalidMessage as error:  # the database's own unique index: the same problem
            raise unit_of_work.located(error, path_of, message_form=True) from None
    return report


def _read(message: Any, scope: str = "") -> tuple[str, ReadResult]:
    refuse_oversized(message)  # before the hash, which would encode all of a huge message
    import_id = content_hash(message)
    return import_id, read_message(message, uuid_seed=import_id + scope)


async def _existing(db: Backend, read: ReadResult) -> dict[str, dict[str, Any]]:
    """Stored documents for every uuid the message holds or links to, in whichever collection
    they are (a uuid names one object across all four): one query per collection, in one call
    where the backend has it (a unit of work on SQLite)."""
    by_uuid = getattr(db, "documents_by_uuid", None)
    if by_uuid is not None:
        wanted: dict[str, list[str]] = {collection: [] for collection in CORE_COLLECTIONS}
        uuids_of: dict[str, list[str]] = {}  # type -> its collection's list (looked up once)
        for obj in read.objects:
            type_name = obj["mxlimsType"]
            if type_name not in uuids_of:
                uuids_of[type_name] = wanted[collection_of(type_name)]
            uuids_of[type_name].append(obj["uuid"])
        for uuid, core in read.stubs.items():
            wanted[COLLECTION_OF_CORE[core]].append(uuid)
        found: dict[str, dict[str, Any]] = await by_uuid(wanted)
        return found
    uuids = [obj["uuid"] for obj in read.objects] + list(read.stubs)
    found = {}
    for collection in CORE_COLLECTIONS:
        for document in await db.find(collection, {"_id": {"$in": uuids}}):
            found[document["_id"]] = document
        if found:  # found in one collection: not asked for in the next
            uuids = [uuid for uuid in uuids if uuid not in found]
        if not uuids:
            break
    return found


async def _last_revisions(
    db: Backend,
    read: ReadResult,
    existing: dict[str, dict[str, Any]],
    import_id: str,
    caller: Caller,
) -> dict[str, int]:
    """For uuids about to be created: the last revision their history knows (a uuid deleted and
    created anew continues its count, so an old ETag can never match the new object). This
    import's own entries are left out: its re-run after a crash plans the same revisions."""
    new = [o["uuid"] for o in read.objects if o["uuid"] not in existing]
    if not new:
        return {}
    # Indexed by (uuid, revision): the cost follows the message, never the size of the store.
    # (This import's own entries are left out here, not in the query: most imports find none.)
    history_of = getattr(db, "history_of", None)
    entries = await (history_of(new) if history_of else db.find(HISTORY, {"uuid": {"$in": new}}))
    last: dict[str, int] = {}
    for entry in entries:
        if entry.get("importId") == import_id:
            continue
        last[entry["uuid"]] = max(last.get(entry["uuid"], 0), int(entry["revision"]))
        if not caller.may_read((entry.get(META) or {}).get("proposal")):
            last[entry["uuid"]] = -1  # another proposal's deleted object: "taken", nothing more
    return last


def _plan(
    planned: Callable[..., tuple[_Plan, list[Problem], list[dict[str, Any]]]],
    problems: list[Problem],
    cleared: dict[str, set[str]],
) -> tuple[_Plan, list[Problem]]:
    """What the import writes and says (``planned``: :func:`_planned` given all but its last
    two). The objects it updates are validated together, a section of one type at a time
    (store_valid: the models' own rules); where any of them is not valid the plan is made
    again validating each, whose problems then say which and why."""
    told = len(problems)
    plan, conflicts, updated = planned(cleared, None)
    if updated and not store_valid(updated):
        del problems[told:]
        plan, conflicts, _ = planned(cleared, _valid)
    return plan, conflicts


def _planned(
    read: ReadResult,
    path_of: dict[str, str],
    existing: dict[str, dict[str, Any]],
    last_revisions: dict[str, int],
    policy: Policy,
    import_id: str,
    caller: Caller,
    owner_of: dict[str, str | None],
    problems: list[Problem],
    cleared: dict[str, set[str]],
    valid: Callable[[dict[str, Any], str, list[Problem]], bool] | None,
) -> tuple[_Plan, list[Problem], list[dict[str, Any]]]:
    """The plan; ``valid`` checks each object updated (None: they are only collected, in the
    list returned, for the caller to check together)."""
    plan, conflicts, updated = _Plan(), [], []
    time = now()
    # sourceVersion: the model version the message was written in
    writes = ImportWrites(
        actor=caller.actor, time=time, import_id=import_id, source_version=read.version
    )
    writable: dict[str | None, bool] = {}  # asked once per proposal, not once per object
    # the plan's lists and counts as locals: they are added to once or twice per object
    create, outcomes = writes.create, plan.outcomes
    to_write, final = plan.writes.append, plan.final.append
    created: dict[str, int] = {}  # plain counts, made the plan's Counter at the end
    for obj in read.objects:
        uuid, type_name = obj["uuid"], obj["mxlimsType"]
        path = path_of.get(uuid, uuid)
        stored = existing.get(uuid)
        if stored is None:
            proposal = owner_of.get(uuid)
            if proposal not in writable:
                writable[proposal] = caller.may_write(proposal)
            refused = None
            if not writable[proposal] or "proposalCode" in obj:
                refused = _refused_as_new(obj, proposal, caller, path)
            last = last_revisions.get(uuid, 0)
            if refused is None and last == -1:  # history another's
                refused = Problem(path, TAKEN)
            if refused is not None:
                problems.append(refused)
                continue
            to_write(create(obj, proposal, last + 1))
            final((obj, proposal))
            created[type_name] = created.get(type_name, 0) + 1
            outcomes[path] = "created"
            continue
        owner = stored_owner(stored)
        if owner not in writable:
            writable[owner] = caller.may_write(owner)
        if not writable[owner]:
            # one the caller may not see is as good as absent: what a new object would be
            # refused for comes first, so the answer is the same whether it exists or not
            refused = None
            if not caller.may_read(owner):
                refused = _refused_as_new(obj, owner_of.get(uuid), caller, path)
            problems.append(refused or Problem(path, TAKEN))
            continue
        if stored["mxlimsType"] != type_name:
            problems.append(
                Problem(path, f"uuid {uuid} is a stored {stored['mxlimsType']}, not a {type_name}")
            )
            continue
        own_rerun = stored[META].get("importId") == import_id
        if policy == "error" and not own_rerun:
            conflicts.append(Problem(path, f"uuid {uuid} is already stored"))
            continue
        if len(obj) == 2 and not cleared.get(uuid):  # uuid and type alone (a return's pins)
            plan.unchanged[type_name] += 1
            outcomes[path] = "unchanged"
            continue
        stored_obj = from_document(stored)
        if policy in ("update_old", "merge"):
            kept = without(stored_obj, cleared.get(uuid, set()))
            merged = overlay(kept, obj, deep=policy == "merge")
            relabelled = relabel_problems(caller, stored_obj, merged, path)
            if relabelled:
                problems.extend(relabelled)
                continue
        else:  # reject_new keeps what is stored, and says where the message differs
            merged = stored_obj
            differ = differences(stored_obj, obj)
            if differ:
                plan.differing[type_name] += 1
                plan.differing_fields[path] = differ
                outcomes[path] = "differing"
                continue
        if merged == stored_obj:
            plan.unchanged[type_name] += 1
            outcomes[path] = "unchanged"
        elif valid is None or valid(merged, path, problems):
            if valid is None:
                updated.append(merged)
            to_write(writes.update(stored, merged))
            final((merged, stored[META].get("proposal")))
            plan.updated[type_name] += 1
            outcomes[path] = "updated"
    plan.created.update(created)  # counted in the order first created, as the Counter did
    plan.numbered = writes.created
    return plan, conflicts, updated


def _refused_as_new(
    obj: dict[str, Any], proposal: str | None, caller: Caller, path: str
) -> Problem | None:
    """Why the caller may not create ``obj`` in ``proposal`` (None: it may). Asked before
    "taken", so a uuid hidden from the caller answers as one never stored: "taken" is told only
    to a caller who may write there (a sheet's uuids follow its content: a member of another
    proposal sending the very sheet stored must not learn that it was)."""
    if not caller.may_write(proposal):
        return Problem(path, _not_yours(proposal))
    named = obj.get("proposalCode")  # a member's object saying it is another's
    if named and not caller.may_write(str(named)):
        return Problem(f"{path}/proposalCode", _not_yours(str(named)))
    return None


def _not_yours(proposal: str | None) -> str:
    if proposal is None:
        return "belongs to no proposal: give one with the import, or a Shipment's proposalCode"
    return f"you may not create objects for proposal {proposal!r}"


def _valid(obj: dict[str, Any], path: str, problems: list[Problem]) -> bool:
    found = object_problems(obj, path)
    problems.extend(found)
    return not found
