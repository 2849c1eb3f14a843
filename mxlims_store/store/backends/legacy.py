"""One-time conversion of a data directory written by the old journal/snapshot engine.

That engine kept ``snapshot.json`` (every document at journal sequence ``seq``) and
``journal.jsonl`` (one line per acknowledged write after it). The store only ever wrote a few
shapes: inserts, and replaces/deletes of one ``_id`` at one ``_meta.revision``, and deletes of
history entries by ``_id`` list. Those are replayed here, in order, into a new SQLite file, which
is written under a temporary name and renamed only when complete; the old files are then moved
into ``legacy-<time>/`` beside it, never deleted. Anything else in the journal stops the
conversion with one line, leaving the directory as it was.

The old codec turned ``{"$date": ...}`` objects into datetimes whatever they were; here they are
read as written, and only the store's own times (``_meta.createdAt``/``updatedAt``, history
``time``) become the ISO text every backend now stores.
"""

from __future__ import annotations

import itertools
import json
import logging
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from mxlims_store.errors import StoreBroken

SNAPSHOT = "snapshot.json"
JOURNAL = "journal.jsonl"
LOCK = "LOCK"
log = logging.getLogger(__name__)


def is_legacy(data_dir: Path) -> bool:
    return (data_dir / SNAPSHOT).exists() or (data_dir / JOURNAL).exists()


def convert_if_legacy(data_dir: Path, database: str, target: Path) -> dict[str, int] | None:
    """Convert once when ``data_dir`` holds the old engine's files and no SQLite database yet.

    Returns the number of documents per collection converted, or None when there was nothing
    to convert.
    """
    if target.exists() or not is_legacy(data_dir):
        return None
    from mxlims_store.store.backends.sqlite_create import create_database  # no cycle at load

    collections = read_legacy(data_dir, database)
    partial = target.with_name(target.name + ".converting")
    partial.unlink(missing_ok=True)
    os.close(os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))  # private, as new
    create_database(partial, {name: list(docs.values()) for name, docs in collections.items()})
    partial.replace(target)
    keep = data_dir / f"legacy-{datetime.now(UTC).strftime('%Y%m%dT%H%M%SZ')}"
    keep.mkdir()
    for name in (SNAPSHOT, JOURNAL, LOCK):
        if (data_dir / name).exists():
            (data_dir / name).replace(keep / name)
    counts = {name: len(docs) for name, docs in collections.items()}
    log.warning("converted the old data directory %s into %s: %s", data_dir, target, counts)
    return counts


def read_legacy(data_dir: Path, database: str) -> dict[str, dict[str, dict[str, Any]]]:
    """Documents by collection and ``_id``, as the old engine held them at its last write."""
    snapshot_path = data_dir / SNAPSHOT
    journal_path = data_dir / JOURNAL
    collections: dict[str, dict[str, dict[str, Any]]] = {}
    seq = 0
    if snapshot_path.exists():
        try:
            snapshot = json.loads(snapshot_path.read_bytes())
            seq = int(snapshot.get("seq", 0))
            for name, content in snapshot.get("databases", {}).get(database, {}).items():
                collections[name] = {d["_id"]: d for d in content.get("documents", [])}
        except (ValueError, TypeError, KeyError, AttributeError) as error:
            raise StoreBroken(f"cannot convert {snapshot_path}: unreadable ({error})") from None
    elif journal_path.exists() and _first_sequence(journal_path) > 1:
        raise StoreBroken(
            f"cannot convert {data_dir}: {SNAPSHOT} is missing but the journal "
            "does not start at the beginning; restore the snapshot first"
        )
    if journal_path.exists():
        later = [r for r in _records(journal_path) if _sequence(r) > seq]
        if later and _sequence(later[0]) != seq + 1:
            raise StoreBroken(
                f"cannot convert {data_dir}: the journal goes on from {_sequence(later[0])} but "
                f"the snapshot ends at {seq}; writes {seq + 1} to {_sequence(later[0]) - 1} "
                "are missing"
            )
        for record in later:
            if record.get("d") == database:
                try:
                    _replay(collections, record)
                except (KeyError, TypeError, AttributeError, IndexError) as error:
                    raise StoreBroken(
                        f"cannot convert {journal_path}: record {record.get('s')} is not one "
                        f"the old engine wrote ({type(error).__name__}: {error})"
                    ) from None
    renamed = 0
    for name, documents in collections.items():
        for document in documents.values():
            _plain_times(name, document)
            renamed += _escape_dollar_keys(document)
    if renamed:
        log.warning("%d key(s) beginning with '$' in user data kept as '\uff04...'", renamed)
    return collections


def _sequence(record: Any) -> int:
    value = record.get("s") if isinstance(record, dict) else None
    if not isinstance(value, int):
        raise StoreBroken(f"cannot convert: a journal record has no sequence number: {record!r}")
    return value


def _escape_dollar_keys(value: Any) -> int:
    """Keys of user data beginning with '$' (which the store now refuses at the door) are kept
    with a full-width dollar sign, as sheet headers are, so that the object stays editable."""
    count = 0
    if isinstance(value, dict):
        for key in list(value):
            count += _escape_dollar_keys(value[key])
            if isinstance(key, str) and key.startswith("$"):
                value["\uff04" + key[1:]] = value.pop(key)
                count += 1
    elif isinstance(value, list):
        for item in value:
            count += _escape_dollar_keys(item)
    return count


def _first_sequence(path: Path) -> int:
    with path.open("rb") as lines:
        for line in lines:
            try:
                return int(json.loads(line).get("s", 0))
            except (ValueError, AttributeError):
                return 0
    return 0


def _records(path: Path) -> list[dict[str, Any]]:
    lines = path.read_bytes().split(b"\n")
    records: list[dict[str, Any]] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ValueError("not an object")
            records.append(record)
        except ValueError:
            if any(rest.strip() for rest in lines[number:]):
                raise StoreBroken(f"cannot convert {path}: line {number} is damaged") from None
            log.warning("%s: ignoring the torn last line %d", path, number)
    for before, after in itertools.pairwise(records):
        if _sequence(after) != _sequence(before) + 1:
            raise StoreBroken(f"cannot convert {path}: a line after {before.get('s')} is missing")
    return records


def _replay(collections: dict[str, dict[str, dict[str, Any]]], record: dict[str, Any]) -> None:
    op = record.get("op")
    documents = collections.setdefault(record.get("c", ""), {})
    if op == "bulk":
        for request in record.get("reqs", []):
            _apply(documents, request, record)
    elif op == "drop_collection":
        documents.clear()
    elif op == "drop_database":
        collections.clear()
    elif op not in ("create_indexes", "drop_index", "drop_indexes", "create_collection"):
        raise StoreBroken(f"cannot convert: journal record {record.get('s')} is a {op!r}")


def _apply(documents: dict[str, dict[str, Any]], request: dict[str, Any], record: Any) -> None:
    kind = request.get("t")
    if kind == "InsertOne":
        documents.setdefault(request["doc"]["_id"], request["doc"])  # a duplicate was refused
        return
    matches = _matching(documents, request.get("filter"))
    if kind == "ReplaceOne" and not request.get("upsert"):
        for key in matches[:1]:
            documents[key] = {**request["doc"], "_id": key}
    elif kind in ("DeleteOne", "DeleteMany"):
        for key in matches[:1] if kind == "DeleteOne" else matches:
            del documents[key]
    else:
        raise StoreBroken(f"cannot convert: journal record {record.get('s')} holds a {kind!r}")


def _matching(documents: dict[str, dict[str, Any]], filter: Any) -> list[str]:
    """Keys matching the old store's filters: ``_id`` (value or ``$in``), ``_meta.revision``."""
    if not isinstance(filter, dict) or set(filter) - {"_meta.revision"} != {"_id"}:
        raise StoreBroken(f"cannot convert: a journal filter {filter!r} is not one the store wrote")
    wanted = filter["_id"]
    keys = wanted.get("$in", []) if isinstance(wanted, dict) else [wanted]
    revision = filter.get("_meta.revision")
    return [
        key
        for key in keys
        if key in documents
        and (revision is None or documents[key].get("_meta", {}).get("revision") == revision)
    ]


def _plain_times(collection: str, document: dict[str, Any]) -> None:
    meta = document.get("_meta") or {}
    places = [(meta, "createdAt"), (meta, "updatedAt")]
    if collection == "history":
        places.append((document, "time"))
    for holder, key in places:
        value = holder.get(key)
        if isinstance(value, dict) and isinstance(value.get("$date"), str):
            when = datetime.fromisoformat(value["$date"])
            when = when.replace(tzinfo=UTC) if when.tzinfo is None else when.astimezone(UTC)
            holder[key] = when.isoformat(timespec="microseconds")
