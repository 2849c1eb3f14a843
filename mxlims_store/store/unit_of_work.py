"""One write = one unit of work: read what it checks, check, write, in one transaction.

Every write path (message and sheet import, PATCH, DELETE, logistics events) runs its reading,
checking and committing as ``await run(db, work)``: ``work(tx)`` gets the backend inside one
transaction (:meth:`Backend.unit`) and does everything through ``tx``. A unit that lost a race
(a WriteConflict: a revision moved on, a uuid taken, a container changed under it) is run again
from the start, reading what the winner wrote, so the rules are checked against it; after
:data:`ATTEMPTS` the conflict is the answer (one line, HTTP 409, CLI exit 1).

A problem the database finds (its unique index on a container's positions) is the rules' own
problem with the JSON path of the written object: :func:`located` renames the uuid the backend
knows to the path the caller gave.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

from mxlims_store.errors import InvalidMessage, Problem, WriteConflict
from mxlims_store.store.backends import Backend

T = TypeVar("T")
ATTEMPTS = 5


async def run(db: Backend, work: Callable[[Any], Awaitable[T]], *, attempts: int = ATTEMPTS) -> T:
    for attempt in range(1, attempts + 1):
        try:
            return await db.unit(work)
        except WriteConflict:
            if attempt == attempts:
                raise
            # another writer changed what this one read: let it finish, then read again
            await asyncio.sleep(random.uniform(0.005, 0.02) * attempt)
    raise AssertionError("unreachable")  # pragma: no cover - the loop returns or raises


def located(error: InvalidMessage, path_of: dict[str, str], message_form: bool) -> InvalidMessage:
    """The database's problems (``<uuid>/<field>``) at the caller's paths."""
    renamed = []
    for problem in error.problems:
        uuid, _, field = problem.path.partition("/")
        if uuid in path_of:
            path = f"{path_of[uuid]}/{field}"
        else:  # a PATCH names the field as sent; otherwise the uuid stays
            path = problem.path if message_form else field
        renamed.append(Problem(path, problem.message))
    return InvalidMessage(renamed)
