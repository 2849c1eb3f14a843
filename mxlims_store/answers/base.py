"""Base of every answer: snake_case in Python, camelCase in JSON, readable as its JSON."""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, ValuesView
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ConfigDict, RootModel
from pydantic.alias_generators import to_camel


class Answer(BaseModel):
    """Base of every answer: snake_case in Python, camelCase in JSON."""

    model_config = ConfigDict(
        alias_generator=to_camel,
        validate_by_name=True,
        validate_by_alias=True,
        serialize_by_alias=True,
    )

    def to_dict(self) -> dict[str, Any]:
        """The answer as JSON data (camelCase), as the API sends it and the CLI prints it."""
        return self.model_dump(mode="json", exclude_none=False)

    # An answer also reads as its JSON (``step["mxlimsType"]``, ``"cut" in step``): the names a
    # client sees; a field left unset (null) is absent, as the API leaves it out.

    def __getitem__(self, key: str) -> Any:
        return self.to_dict()[key]

    def __contains__(self, key: object) -> bool:
        return self.to_dict().get(str(key)) is not None


V = TypeVar("V")


class MappingAnswer(RootModel[dict[str, V]], Generic[V]):
    """An answer that is a JSON object of one kind of value (keys chosen by the data: types,
    uuids), readable as the mapping it is."""

    def to_dict(self) -> dict[str, V]:
        return dict(self.root)

    def __getitem__(self, key: str) -> V:
        return self.root[key]

    def __iter__(self) -> Iterator[str]:  # type: ignore[override]  # a mapping's keys
        return iter(self.root)

    def __len__(self) -> int:
        return len(self.root)

    def __eq__(self, other: object) -> bool:  # equal to the same answer, or to its mapping
        if isinstance(other, dict):
            return self.root == other
        return super().__eq__(other)

    __hash__ = None  # type: ignore[assignment]  # mutable, as a dict

    def get(self, key: str, default: V | None = None) -> V | None:
        return self.root.get(key, default)

    def items(self) -> ItemsView[str, V]:
        return self.root.items()

    def values(self) -> ValuesView[V]:
        return self.root.values()
