"""The one exception tree of mxlims-store.

    MxlimsError                       base; every error the library raises on purpose
    ├── NotFound                      no object with that uuid (or no such site, schema ...)
    ├── Conflict                      uuid clash under policy "error", delete refused ...
    │   ├── StaleRevision             a write based on an old revision
    │   └── WriteConflict             a concurrent writer got there first; nothing of ours landed
    ├── InvalidMessage                bad MXLIMS input; carries every problem as {path, message}
    ├── InvalidQuery                  a question the store cannot answer as asked (unknown field,
    │                                 an operator or value the field does not take): each
    │                                 problem names its parameter
    ├── MappingError                  bad facility sheet; every problem as {row, column, message}
    ├── Unauthenticated               no valid API key (missing, unknown, revoked or expired)
    ├── PermissionDenied              the caller's grants do not cover the object
    ├── Unavailable                   the store cannot take the request now (busy, disk full,
    │                                 read-only): retry later; reads may still work
    └── StoreBroken                   the store cannot be opened at all (corrupt file, old format,
                                      unreachable server): one line that names the file or URL

The API maps the classes to 404 / 409 / 412 / 422 / 403 / 503 in one handler; the CLI prints the
problems one per line. Nothing here knows about HTTP.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class Problem:
    """One problem in an MXLIMS document, located by a JSON path like ``Pin/Pin3/containerRef``."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"


@dataclass(frozen=True)
class SheetProblem:
    """One problem in a spreadsheet: 1-based row as the user sees it, and the column header."""

    row: int | None
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column {self.column!r}")
        return f"{', '.join(where) or 'sheet'}: {self.message}"


def _summary(problems: list[Problem] | list[SheetProblem], where: str, shown: int = 3) -> str:
    """``2 problem(s) in X: first; second`` — enough to act on from a log line."""
    head = "; ".join(str(p) for p in problems[:shown])
    more = f"; ... and {len(problems) - shown} more" if len(problems) > shown else ""
    return f"{len(problems)} problem(s) in {where}: {head}{more}"


class MxlimsError(Exception):
    """Base class of every error raised on purpose by mxlims-store."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def to_dict(self) -> dict[str, object]:
        return {"error": type(self).__name__, "message": self.message}


class NotFound(MxlimsError):
    """The requested object (or site, schema, ...) does not exist or is not visible."""


class Conflict(MxlimsError):
    """The request clashes with what is stored; ``problems`` locates each clash when known."""

    def __init__(self, message: str, problems: list[Problem] | None = None) -> None:
        super().__init__(message)
        self.problems = problems or []

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "problems": [asdict(p) for p in self.problems]}


class StaleRevision(Conflict):
    """A write was based on a revision that is no longer current."""

    def __init__(self, uuid: str, expected: int, current: int) -> None:
        super().__init__(
            f"object {uuid} is at revision {current}, not {expected}: re-read it and retry"
        )
        self.uuid, self.expected, self.current = uuid, expected, current


MAX_PROBLEMS = 1000  # an error body stays small however bad the input: the first ones and the count


class _WithProblems(MxlimsError):
    """An error carrying every problem found (the first :data:`MAX_PROBLEMS`; ``total`` counts
    them all)."""

    subject = "the input"

    def __init__(self, problems: list[Problem], message: str | None = None) -> None:
        self.total = len(problems)
        self.problems = problems[:MAX_PROBLEMS]
        super().__init__(message or _summary(problems, self.subject))

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "problems": [asdict(p) for p in self.problems]}


class InvalidMessage(_WithProblems):
    """An MXLIMS message (or object) is invalid; ``problems`` locate each by JSON path."""

    subject = "MXLIMS input"


class InvalidQuery(_WithProblems):
    """A question the store cannot answer as asked; ``problems`` name the parameters
    (``where/0``, ``type``, ``limit`` ...)."""

    subject = "the query"


class MappingError(MxlimsError):
    """A facility spreadsheet is invalid; ``problems`` lists the problems with row and column
    (the first :data:`MAX_PROBLEMS`; ``total`` counts them all)."""

    def __init__(self, problems: list[SheetProblem], message: str | None = None) -> None:
        self.total = len(problems)
        self.problems = problems[:MAX_PROBLEMS]
        super().__init__(message or _summary(problems, "the sheet"))

    def to_dict(self) -> dict[str, object]:
        return {**super().to_dict(), "problems": [asdict(p) for p in self.problems]}


class PermissionDenied(MxlimsError):
    """The caller may not see or change this object."""


class WriteConflict(Conflict):
    """Another writer changed or created some of these objects first (``uuids``)."""

    def __init__(self, uuids: list[str]) -> None:
        shown = ", ".join(uuids[:3]) + (f" and {len(uuids) - 3} more" if len(uuids) > 3 else "")
        super().__init__(
            f"{len(uuids)} object(s) were changed by someone else meanwhile ({shown}); "
            "nothing of this request was stored where the store has transactions: re-run it"
        )
        self.uuids = uuids


class Unavailable(MxlimsError):
    """The store cannot serve this request now (another writer holds the lock, the disk is full
    or read-only); it recovers by itself, so the request can be retried."""


class StoreBroken(MxlimsError):
    """The store cannot be opened: the message names the file or server and what to do."""


class Unauthenticated(MxlimsError):
    """No key, or a key that is malformed, unknown, revoked or expired (the message never says
    which, so that keys cannot be probed)."""
