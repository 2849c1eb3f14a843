"""Who is asking, what they may do, and the one function that scopes every read.

Every read of the store (get, find, count, links, provenance, export, results, sheets, history)
builds its filter with :func:`readable`, so filtering by the caller's proposal grants lives in
exactly one place; every write asks the caller's ``may_*`` methods.

Roles:

- ``member``: reads and writes the objects of its proposals, nothing else;
- ``staff`` (facility staff): reads everything; writes results and logistics anywhere (imports,
  PATCH), deletes nothing, manages no keys;
- ``admin``: everything, API keys included. The CLI on a local data directory is the admin.
"""

from __future__ import annotations

import getpass
from dataclasses import dataclass
from typing import Any, Literal

from mxlims_store.store.documents import META

Role = Literal["member", "staff", "admin"]
ROLES: tuple[Role, ...] = ("member", "staff", "admin")


@dataclass(frozen=True)
class Caller:
    """The actor behind a request. ``proposals`` are a member's grants; ``None`` reads all."""

    actor: str = "local"
    proposals: frozenset[str] | None = None
    role: Role | None = None  # None: admin when unrestricted, member when given proposals
    beamline: str | None = None  # a staff key's beamline: the default where one is asked for

    @property
    def effective_role(self) -> Role:
        if self.role is not None:
            return self.role
        return "admin" if self.proposals is None else "member"

    def may_read(self, proposal: str | None) -> bool:
        return self.proposals is None or proposal in self.proposals

    def may_write(self, proposal: str | None) -> bool:
        if self.effective_role in ("admin", "staff"):
            return True
        return self.proposals is not None and proposal in self.proposals

    def may_delete(self, proposal: str | None) -> bool:
        if self.effective_role == "staff":
            return False
        return self.may_write(proposal)

    @property
    def is_admin(self) -> bool:
        return self.effective_role == "admin"


LOCAL = Caller()


def local_admin() -> Caller:
    """The CLI on a local data directory: the admin, named after the operating-system user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = "local"
    return Caller(f"{user} (cli)", None, "admin")


def readable(caller: Caller, query: dict[str, Any] | None = None) -> dict[str, Any]:
    """``query`` narrowed to the objects ``caller`` may see."""
    query = dict(query or {})
    if caller.proposals is None:
        return query
    scope = {f"{META}.proposal": {"$in": sorted(caller.proposals)}}
    return {"$and": [query, scope]} if query else scope
