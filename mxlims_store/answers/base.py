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
        # A field whose value is its own JSON (text, a whole number, true/false, null) is read
        # as it is: ``step["mxlimsType"]`` over a provenance's dozen steps dumped each whole
        # (~2.5 us a step); anything else is read from the dump, as the API sends it.
        name = _json_names(type(self)).get(key)
        if name is not None:
            value = getattr(self, name)
            if type(value) in _AS_JSON:
                return value
        return self.to_dict()[key]

    def __contains__(self, key: object) -> bool:
        try:
            return self[str(key)] is not None
        except KeyError:
            return False


# Values that model_dump(mode="json") gives back as they are (exactly these types: a float may
# turn into null, an enum or a subclass into something else)
_AS_JSON = frozenset({str, int, bool, type(None)})
_NAMES: dict[type[Answer], dict[str, str]] = {}


def _json_names(cls: type[Answer]) -> dict[str, str]:
    """The JSON name (camelCase, or an alias such as ``from``) of each field of ``cls``, to its
    Python name."""
    names = _NAMES.get(cls)
    if names is None:
        names = _NAMES[cls] = {
            field.serialization_alias or field.alias or name: name
            for name, field in cls.model_fields.items()
        }
    return names


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
