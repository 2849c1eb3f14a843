"""Who is asking, what they may do, and the one function that scopes every read.

Every read of the store (get, find, count, links, provenance, export, results, sheets, history)
builds its filter with :func:`readable`, so filtering by the caller's proposal grants lives in
exactly one place; every write asks the caller's ``may_*`` methods.

Roles:

- ``member``: reads and writes the objects of its proposals, nothing else;
- ``staff`` (facility staff): reads everything; writes results and logistics anywhere (imports,
  PATCH), deletes nothing, manages no keys;
- ``admin``: everything, API keys included. The CLI on a local data directory is the admin.

Nothing is granted by default: ``Caller()`` (and so ``Store(db)`` without a caller) reads
nothing, writes nothing and is no admin. Rights are said where they are given: an API key's
caller (``keys.py``), :func:`local_admin` for the CLI, :meth:`Caller.admin` for a named admin,
and :data:`SYSTEM` where the library itself must see everything (each use says why).
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
    """The actor behind a request. A ``member`` reads and writes only its ``proposals`` (none
    given: nothing at all); ``staff`` and ``admin`` read every proposal whatever ``proposals``
    says. The defaults are a member of no proposal: a caller nobody described has no rights."""

    actor: str = "nobody"
    proposals: frozenset[str] | None = frozenset()
    role: Role = "member"
    beamline: str | None = None  # a staff key's beamline: the default where one is asked for

    @classmethod
    def admin(cls, actor: str) -> Caller:
        """An admin named ``actor`` (in history): every proposal, API keys, maintenance."""
        return cls(actor, None, "admin")

    @property
    def effective_role(self) -> Role:
        return self.role

    @property
    def reads_everything(self) -> bool:
        return self.role in ("admin", "staff")

    def may_read(self, proposal: str | None) -> bool:
        if self.reads_everything:
            return True
        return self.proposals is not None and proposal in self.proposals

    def may_write(self, proposal: str | None) -> bool:
        if self.reads_everything:
            return True
        return self.proposals is not None and proposal in self.proposals

    def may_delete(self, proposal: str | None) -> bool:
        if self.effective_role == "staff":
            return False
        return self.may_write(proposal)

    @property
    def is_admin(self) -> bool:
        return self.effective_role == "admin"


NOBODY = Caller()  # what a Store opened without a caller acts as: no rights at all

# The library's own walks, never a request's: where a rule spans proposals, the library must see
# every object (a delete's walk finds every object below, also those hidden from the caller).
# Only library code uses it, each use with a comment saying why; no API or CLI path hands it on.
# (Numbering's backfill and check's rules read the backend itself, with no caller at all.)
SYSTEM = Caller.admin("mxlims-store (system)")


def local_admin() -> Caller:
    """The CLI on a local data directory: the admin, named after the operating-system user."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):  # no passwd entry (some containers)
        user = "local"
    return Caller.admin(f"{user} (cli)")


def readable(caller: Caller, query: dict[str, Any] | None = None) -> dict[str, Any]:
    """``query`` narrowed to the objects ``caller`` may see."""
    query = dict(query or {})
    if caller.reads_everything:
        return query
    scope = {f"{META}.proposal": {"$in": sorted(caller.proposals or ())}}
    return {"$and": [query, scope]} if query else scope
