"""What the store holds, what a delete removed, and the maintenance answers (backup, check)."""

from __future__ import annotations

from pydantic import Field, RootModel

from mxlims_store.answers.base import Answer


class Stats(RootModel[dict[str, int]]):
    """Number of stored objects per MXLIMS type (those the caller may see)."""

    def to_dict(self) -> dict[str, int]:
        return dict(self.root)


class Deleted(RootModel[list[str]]):
    """The uuids a delete removed: the object, and with a cascade everything below it."""

    def to_dict(self) -> list[str]:
        return list(self.root)


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
