"""Applying reconcile's matches to a read message: the stored uuids in place of the sender's
(kept as identifiers under the sender's facility domain), every link pointed at them, and the
stored names and barcodes kept."""

from __future__ import annotations

from typing import Any

from mxlims_store.mappings.site_registry import list_sites
from mxlims_store.messages import ReadResult
from mxlims_store.messages.reader import ExternalLink
from mxlims_store.model.links import FOREIGN_KEY_FIELDS

UNKNOWN_FACILITY = "facility.invalid"  # reserved name (RFC 2606): the sender said no domain


def facility_domain(read: ReadResult) -> str | None:
    """The domain of the facility whose sheet columns the message's objects carry."""
    domains = {site.domain for site in list_sites()}
    for obj in read.objects:
        for domain in obj.get("extensions") or {}:
            if domain in domains:
                return str(domain)
    return None


def keep_stored_labels(
    read: ReadResult, matches: dict[str, Any], stored: dict[str, dict[str, Any]]
) -> list[str]:
    """A matched object keeps the name and barcode it is stored with (the user's shipment stays
    the user's, not renamed after the facility's first dewar); what the message said is told."""
    warnings = []
    for obj in read.objects:
        match = matches.get(obj["uuid"])
        if match is None or match.uuid not in stored:
            continue
        document = stored[match.uuid]
        for field in ("name", "barcode"):
            mine, theirs = document.get(field), obj.get(field)
            if mine and theirs is not None and theirs != mine:
                del obj[field]
                warnings.append(
                    f"{obj['mxlimsType']} {match.uuid} keeps its {field} {mine!r} (the message "
                    f"calls it {theirs!r})"
                )
    return warnings


def rewrite(read: ReadResult, new: dict[str, str]) -> list[str]:
    """Give matched objects their stored uuids (the facility's kept as an identifier) and point
    every link at them."""
    if not new:
        return []
    domain = facility_domain(read)
    warnings = []
    if domain is None:
        domain = UNKNOWN_FACILITY
        warnings.append(
            f"{len(new)} object(s) matched stored ones; the message names no facility, so "
            f"their uuids in it are kept as identifiers under {UNKNOWN_FACILITY!r}"
        )
    for obj in read.objects:
        if obj["uuid"] in new:
            obj["identifiers"] = {**(obj.get("identifiers") or {}), domain: obj["uuid"]}
            obj["uuid"] = new[obj["uuid"]]
        for field in FOREIGN_KEY_FIELDS:
            value = obj.get(field)
            if isinstance(value, str):
                obj[field] = new.get(value, value)
            elif isinstance(value, list):
                obj[field] = [new.get(v, v) for v in value]
    read.keys = {path: new.get(uuid, uuid) for path, uuid in read.keys.items()}
    read.stubs = {new.get(uuid, uuid): core for uuid, core in read.stubs.items()}
    read.external_links = [
        ExternalLink(link.path, link.rule, new.get(link.target_uuid, link.target_uuid))
        for link in read.external_links
    ]
    return warnings
