"""JSON paths and ``$ref`` pointers as used in MXLIMS messages (``Pin/Pin3/containerRef``)."""

from __future__ import annotations

from collections.abc import Iterable


def join(*parts: object) -> str:
    return "/".join(str(p) for p in parts if p != "")


def pointer(type_name: str, key: str) -> str:
    """The ``$ref`` value for an object at ``message[type_name][key]``."""
    return f"#/{type_name}/{key}"


def parse_pointer(ref: str) -> tuple[str, str] | None:
    """``#/Pin/Pin1`` -> ("Pin", "Pin1"); None for anything else."""
    if not ref.startswith("#/"):
        return None
    parts = ref[2:].split("/")
    if len(parts) != 2 or not all(parts):
        return None
    return parts[0], parts[1]


def loc_path(prefix: str, loc: Iterable[object]) -> str:
    """A pydantic error location appended to a message path."""
    return join(prefix, *loc)
