"""Base of every answer: snake_case in Python, camelCase in JSON, readable as its JSON."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict
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
