"""Which MXLIMS versions a message may declare, and how older ones are brought up to date.

The official 0.6.11 and 0.6.12 example messages differ from 0.6.13 only in their data, not in
shape, so reading them needs nothing but the version bump. A future version with a real change
adds its upgrade function here, in this one place.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from mxlims_store.model.registry import MODEL_VERSION

Upgrade = Callable[[dict[str, Any]], dict[str, Any]]


def _same_shape(message: dict[str, Any]) -> dict[str, Any]:
    return {**message, "version": MODEL_VERSION}


# version -> function returning the message in MODEL_VERSION form.
UPGRADES: dict[str, Upgrade] = {
    MODEL_VERSION: lambda message: message,
    "0.6.12": _same_shape,
    "0.6.11": _same_shape,
}

SUPPORTED_VERSIONS: tuple[str, ...] = tuple(UPGRADES)
