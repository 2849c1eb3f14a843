"""What the store holds, what a delete removed, and the maintenance answers (backup, check)."""

from __future__ import annotations

from collections.abc import Iterator

from pydantic import Field, RootModel

from mxlims_store.answers.base import Answer, MappingAnswer


class Stats(MappingAnswer[int]):
    """Number of stored objects per MXLIMS type (those the caller may see)."""


class Deleted(RootModel[list[str]]):
    """The uuids a delete removed: the object, and with a cascade everything below it."""

    def to_dict(self) -> list[str]:
        return list(self.root)

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]  # the uuids
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def __eq__(self, other: object) -> bool:  # equal to the same answer, or to its list
        if isinstance(other, list):
            return self.root == other
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a list


class BackupReport(Answer):
    """A backup written: where, how large."""

    file: str = Field(description="the new file holding the copy")
    bytes: int
    pages: int = Field(description="SQLite pages copied")


class CheckReport(Answer):
    """Every problem ``check`` found, one line each; none: the store keeps every rule."""

    problems: list[str]

    @property
    def ok(self) -> bool:
        return not self.problems
