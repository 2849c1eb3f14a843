"""Store-form MXLIMS objects <-> MongoDB documents.

A document is the object's standard fields, with ``_id`` = uuid, bookkeeping under ``_meta``
(never exported), and the domain-keyed dicts ``extensions``/``identifiers``/``urls`` stored as
lists of ``{"domain": ...}`` entries: domain names contain dots, which MongoDB cannot address
as a path nor index.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

META = "_meta"


def now() -> str:
    """The time of a change as stored: ISO 8601 in UTC with microseconds, so that documents hold
    JSON values only (every backend stores them alike) and times sort as text."""
    return datetime.now(UTC).isoformat(timespec="microseconds")


# field -> name of the value key in its list form
DOMAIN_LISTS = {"extensions": "fields", "identifiers": "value", "urls": "url"}


def to_document(obj: dict[str, Any], meta: dict[str, Any]) -> dict[str, Any]:
    # copied whole, then the few fields that differ replaced in place (their order kept): a
    # loop over every field of every object was a tenth of an import's planning
    document: dict[str, Any] = {"_id": obj["uuid"], **obj}
    del document["uuid"]
    for name, value_key in DOMAIN_LISTS.items():
        value = document.get(name)
        if isinstance(value, dict):
            document[name] = [{"domain": domain, value_key: v} for domain, v in value.items()]
    document[META] = meta
    return document


def from_document(document: dict[str, Any]) -> dict[str, Any]:
    """The MXLIMS object (store form) held in a document; bookkeeping left out."""
    obj: dict[str, Any] = {}
    for name, value in document.items():
        if name == META:
            continue
        if name == "_id":
            obj["uuid"] = value
        elif name in DOMAIN_LISTS and isinstance(value, list):
            value_key = DOMAIN_LISTS[name]
            obj[name] = {entry["domain"]: entry[value_key] for entry in value}
        else:
            obj[name] = value
    return obj


def identifier_filter(domain: str, value: str) -> dict[str, Any]:
    return {"identifiers": {"$elemMatch": {"domain": domain, "value": value}}}


def extension_filter(domain: str, field: str | None = None, value: Any = None) -> dict[str, Any]:
    match: dict[str, Any] = {"domain": domain}
    if field is not None:
        match[f"fields.{field}"] = value
    return {"extensions": {"$elemMatch": match}}
