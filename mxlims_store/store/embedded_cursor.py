"""Cursors of the embedded backend, shaped like ``AsyncCursor`` and ``AsyncCommandCursor``."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from typing import Any

from pymongo.errors import InvalidOperation


class EmbeddedCommandCursor:
    """Results computed up front (aggregate, list_indexes), shaped like ``AsyncCommandCursor``."""

    def __init__(self, documents: list[dict[str, Any]] | None = None) -> None:
        self._buffer: deque[dict[str, Any]] | None = (
            deque(documents) if documents is not None else None
        )
        self._closed = False

    def _documents(self) -> deque[dict[str, Any]]:
        if self._buffer is None:
            self._buffer = deque()
        return self._buffer

    @property
    def alive(self) -> bool:
        return not self._closed and bool(self._buffer is None or self._buffer)

    async def to_list(self, length: int | None = None) -> list[dict[str, Any]]:
        if length is not None and length < 1:
            raise ValueError("to_list() length must be greater than 0")
        if self._closed:
            return []
        buffer = self._documents()
        if length is None or length >= len(buffer):
            result = list(buffer)
            buffer.clear()
            return result
        return [buffer.popleft() for _ in range(length)]

    def __aiter__(self) -> EmbeddedCommandCursor:
        return self

    async def __anext__(self) -> dict[str, Any]:
        buffer = self._documents()
        if self._closed or not buffer:
            raise StopAsyncIteration
        return buffer.popleft()

    async def next(self) -> dict[str, Any]:
        return await self.__anext__()

    async def close(self) -> None:
        self._closed = True
        self._buffer = deque()

    async def __aenter__(self) -> EmbeddedCommandCursor:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()


def _sort_spec(key_or_list: Any, direction: Any = None) -> list[tuple[str, Any]]:
    if isinstance(key_or_list, str):
        return [(key_or_list, 1 if direction is None else direction)]
    if isinstance(key_or_list, dict):
        return list(key_or_list.items())
    return [(key, 1) if isinstance(key, str) else (key[0], key[1]) for key in key_or_list]


class EmbeddedCursor(EmbeddedCommandCursor):
    """A lazy ``find``: the query runs (one round trip) when the first results are wanted."""

    def __init__(
        self,
        run: Callable[[dict[str, Any]], list[dict[str, Any]]],
        options: dict[str, Any],
    ) -> None:
        super().__init__()
        self._run = run
        self._options = options

    def _documents(self) -> deque[dict[str, Any]]:
        if self._buffer is None:
            self._buffer = deque(self._run(self._options))
        return self._buffer

    def _chain(self) -> EmbeddedCursor:
        if self._buffer is not None or self._closed:
            raise InvalidOperation("cannot set options after executing query")
        return self

    def sort(self, key_or_list: Any, direction: Any = None) -> EmbeddedCursor:
        self._chain()._options["sort"] = _sort_spec(key_or_list, direction)
        return self

    def skip(self, skip: int) -> EmbeddedCursor:
        if not isinstance(skip, int) or skip < 0:
            raise ValueError("skip must be a non-negative int")
        self._chain()._options["skip"] = skip
        return self

    def limit(self, limit: int) -> EmbeddedCursor:
        if not isinstance(limit, int):
            raise TypeError("limit must be an integer")
        self._chain()._options["limit"] = limit
        return self

    def __aiter__(self) -> EmbeddedCursor:
        return self
