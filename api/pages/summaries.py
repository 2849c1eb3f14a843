"""Long lists made readable: what a sheet cannot hold summarised by kind with counts, problems
that say the same thing grouped on one line with their count and where they are."""

from __future__ import annotations

from dataclasses import dataclass
from dataclasses import field as dataclass_field
from typing import Any

EXAMPLES = 3  # objects named per kind of loss; the rest on demand
PLACES = 8  # rows/paths listed per group of identical problems


@dataclass
class LossKind:
    object_type: str
    field: str
    reason: str
    losses: list[Any] = dataclass_field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.losses)


def losses_by_kind(losses: list[Any]) -> list[LossKind]:
    """One entry per (type, field, reason), most frequent first (stable otherwise)."""
    kinds: dict[tuple[str, str, str], LossKind] = {}
    for loss in losses:
        key = (loss.object_type, loss.field, loss.reason)
        kinds.setdefault(key, LossKind(*key)).losses.append(loss)
    return sorted(kinds.values(), key=lambda k: -k.count)


@dataclass
class ProblemGroup:
    message: str
    places: list[str] = dataclass_field(default_factory=list)
    count: int = 0


def _place(problem: Any) -> str:
    path = getattr(problem, "path", None)
    if path is not None:
        return str(path) or "(the whole input)"
    row, column = getattr(problem, "row", None), getattr(problem, "column", None)
    return " ".join(p for p in (f"row {row}" if row is not None else "", column or "") if p)


def grouped_problems(problems: list[Any]) -> list[ProblemGroup]:
    """Problems with the same message on one line: the count and the first few places."""
    groups: dict[str, ProblemGroup] = {}
    for problem in problems:
        group = groups.setdefault(str(problem.message), ProblemGroup(str(problem.message)))
        group.count += 1
        if len(group.places) < PLACES:
            group.places.append(_place(problem))
    return list(groups.values())
