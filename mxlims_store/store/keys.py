"""API keys: created and revoked by an admin, presented with every HTTP request.

A key reads ``mxk.<id>.<secret>``: the id is public (it names the key in lists, history and
logs), the secret is 256 random bits. Only a SHA-256 of the secret is stored (a slow password
hash buys nothing for a secret of that strength), compared in constant time. A key is looked up
on every request, so a revocation takes effect on the next one. Its last use is recorded at most
once a minute, so that reads do not turn into writes.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from mxlims_store.errors import (
    Conflict,
    InvalidMessage,
    NotFound,
    PermissionDenied,
    Problem,
    Unauthenticated,
    Unavailable,
)
from mxlims_store.messages.limits import plain_name
from mxlims_store.store.access import ROLES, Caller
from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.collections import KEYS
from mxlims_store.store.documents import META, now
from mxlims_store.store.history import Operation, entry
from mxlims_store.store.store_secret import KEY_DOCUMENTS, SECRET_ID

PREFIX = "mxk"
LAST_USE_EVERY = timedelta(minutes=1)
_SHOWN = (
    "name",
    "role",
    "proposals",
    "beamline",
    "expires",
    "createdAt",
    "createdBy",
    "revokedAt",
    "lastUsed",
)


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def public(document: dict[str, Any]) -> dict[str, Any]:
    """A key as listed: never its hash."""
    return {"id": document["_id"], **{k: document.get(k) for k in _SHOWN}}


def _check(
    name: str, role: str, proposals: list[str], expires: str | None, beamline: str | None = None
) -> list[Problem]:
    problems = []
    # one line each, as object names: a key's name is the actor of its changes (history, logs)
    if beamline is not None and not plain_name(beamline):
        problems.append(Problem("beamline", "one line of text, no NUL, tab or line break"))
    elif beamline is not None and (not beamline.strip() or len(beamline) > 100):
        problems.append(Problem("beamline", "give a beamline name of 1 to 100 characters"))
    if beamline is not None and role == "member":
        problems.append(Problem("beamline", "a member key has no beamline; a staff key may"))
    if not plain_name(name):
        problems.append(Problem("name", "one line of text, no NUL, tab or line break"))
    elif not name.strip() or len(name) > 100:
        problems.append(Problem("name", "give a name of 1 to 100 characters"))
    if role not in ROLES:
        problems.append(Problem("role", f"must be one of {', '.join(ROLES)}"))
    if role == "member" and not proposals:
        problems.append(Problem("proposals", "a member key needs at least one proposal"))
    if role != "member" and proposals:
        problems.append(Problem("proposals", f"a {role} key sees every proposal; give none"))
    if any(not p.strip() or len(p) > 64 or not plain_name(p) for p in proposals):
        problems.append(Problem("proposals", "proposal codes are 1 to 64 characters, one line"))
    if expires is not None:
        try:
            moment = _end(expires)
        except (ValueError, OverflowError):  # 9999-12-31 works through that day: year 10000
            problems.append(Problem("expires", "an ISO date or time, e.g. 2027-06-30"))
        else:
            if moment <= datetime.now(UTC):
                problems.append(Problem("expires", "lies in the past"))
    return problems


def _end(expires: str) -> datetime:
    """When a key stops working: a date means the end of that day (UTC), a time that time."""
    moment = datetime.fromisoformat(expires)
    if len(expires.strip()) == 10:  # a date alone: the key works through that day
        moment += timedelta(days=1)
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _expiry(expires: str | None) -> str | None:
    return None if expires is None else _end(expires).isoformat(timespec="seconds")


def _entry(
    document: dict[str, Any], operation: Operation, caller: Caller, time: str
) -> dict[str, Any]:
    """The history entry of a key change: the key as listed after it (admins only see it: it
    belongs to no proposal)."""
    revision = document[META]["revision"]
    shown = public(document)
    return entry(
        document["_id"], revision, operation, caller.actor, time, None, shown, proposal=None
    )


async def create(
    db: Backend,
    caller: Caller,
    *,
    name: str,
    role: str,
    proposals: list[str] | None = None,
    expires: str | None = None,
    beamline: str | None = None,
) -> dict[str, Any]:
    """A new key; the answer holds the secret ``key``, which is never shown again. A staff
    key's ``beamline`` is the default of its events and sample lists at the beamline."""
    if not caller.is_admin:
        raise PermissionDenied("only an admin manages API keys")
    codes = sorted(set(proposals or []))
    problems = _check(name, role, codes, expires, beamline)
    if problems:
        raise InvalidMessage(problems)
    key_id, secret = secrets.token_hex(8), secrets.token_urlsafe(32)
    time = now()
    document = {
        "_id": key_id,
        "name": name.strip(),
        "role": role,
        "proposals": codes,
        "beamline": beamline.strip() if beamline else None,
        "expires": _expiry(expires),
        "hash": _digest(secret),
        "createdAt": time,
        "createdBy": caller.actor,
        "revokedAt": None,
        "lastUsed": None,
        META: {"revision": 1},
    }
    entry = _entry(document, "create", caller, time)
    await db.commit([Write(KEYS, key_id, document, None, entry)])
    return {**public(document), "key": f"{PREFIX}.{key_id}.{secret}"}


async def listed(db: Backend, caller: Caller) -> list[dict[str, Any]]:
    if not caller.is_admin:
        raise PermissionDenied("only an admin manages API keys")
    found = await db.find(KEYS, KEY_DOCUMENTS, sort=[("createdAt", 1)])
    return [public(d) for d in found]


async def revoke(db: Backend, caller: Caller, key_id: str) -> dict[str, Any]:
    if not caller.is_admin:
        raise PermissionDenied("only an admin manages API keys")
    found = await db.find(KEYS, {"_id": key_id}, limit=1) if key_id != SECRET_ID else []
    if not found:
        raise NotFound(f"no API key {key_id}")
    document = found[0]
    if document.get("revokedAt"):
        return public(document)
    time = now()
    revision = document[META]["revision"]
    changed = {**document, "revokedAt": time, META: {"revision": revision + 1}}
    entry = _entry(changed, "update", caller, time)
    await db.commit([Write(KEYS, key_id, changed, revision, entry)])
    return public(changed)


async def count(db: Backend) -> int:
    return await db.count(KEYS, KEY_DOCUMENTS)


async def authenticate(db: Backend, presented: str | None) -> Caller:
    """The caller a presented key stands for; Unauthenticated, saying nothing more, if none."""
    refused = Unauthenticated("a valid API key is needed (Authorization: Bearer <key>)")
    parts = (presented or "").strip().split(".", 2)
    if len(parts) != 3 or parts[0] != PREFIX or not parts[1].isalnum() or len(parts[1]) > 32:
        raise refused
    found = await db.find(KEYS, {"_id": parts[1]}, limit=1)
    document = found[0] if found else None
    expected = document["hash"] if document else _digest("")
    matches = hmac.compare_digest(expected, _digest(parts[2]))  # same work when unknown
    if document is None or not matches or document.get("revokedAt"):
        raise refused
    moment = datetime.now(UTC)
    if _expired(document, moment):
        raise refused
    await _note_use(db, document, moment)
    return _caller(document)


async def caller_of(db: Backend, key_id: str) -> Caller:
    """The caller of the key with this id, while it is neither revoked nor expired (a page
    session keeps the key's id, never the key)."""
    found = await db.find(KEYS, {"_id": key_id}, limit=1) if key_id.isalnum() else []
    if not found or found[0].get("revokedAt") or _expired(found[0], datetime.now(UTC)):
        raise Unauthenticated("the key of this session is no longer valid")
    return _caller(found[0])


def _expired(document: dict[str, Any], moment: datetime) -> bool:
    expires = document.get("expires")
    return isinstance(expires, str) and datetime.fromisoformat(expires) <= moment


def _caller(document: dict[str, Any]) -> Caller:
    proposals = frozenset(document["proposals"]) if document["role"] == "member" else None
    return Caller(document["name"], proposals, document["role"], document.get("beamline"))


async def _note_use(db: Backend, document: dict[str, Any], moment: datetime) -> None:
    last = document.get("lastUsed")
    if last and moment - datetime.fromisoformat(last) < LAST_USE_EVERY:
        return
    revision = document[META]["revision"]
    used = {**document, "lastUsed": moment.isoformat(timespec="seconds")}
    try:
        await db.commit([Write(KEYS, document["_id"], used, revision, None)])
    except (Conflict, Unavailable):  # a busy store or a concurrent use must not refuse the key
        return
