"""Schema 11: the ``id`` of a core table's row (logistical_samples, samples, jobs, datasets) is
its uuid's 16 bytes, a blob, when the uuid is canonical (8-4-4-4-12 lower-case hex digits, as
every uuid the model admits is: model/basic_types.UUID_PATTERN); any other text is kept as the
text it is. SQLite types values, not columns: a blob never equals a text, so the unique index
still keeps one row per uuid, and a non-canonical text asked for (an upper-case uuid, say) is
simply not found, never taken for the blob of its lower-case twin.

Why: the four unique indexes of ids are keyed by random uuids, so an import into a big store
dirties nearly every leaf of them, probes them and has the checkpoint copy them; as 16 bytes
instead of 36 characters they are ~1.8x smaller (docs/write-path.md, "Schema 11").

Order: a canonical uuid's text and its 16 bytes sort alike (hex digits in ASCII order, the
dashes at fixed places), so ``ORDER BY id`` and ranges on it keep the uuids' text order; texts
sort before every blob in SQLite, so a non-canonical id sorts before the canonical ones (a
range whose bound is not canonical compares as text: :func:`id_between`).

This module owns the encoding: :func:`key` (uuid -> what the ``id`` column holds),
:func:`uuid_of` (back), and :func:`keys_sql` (the SQL of "the keys of these uuids", sorted).
Everything that compares or reads a core table's ``id`` goes through it. Other tables (history
with its ``<uuid>@<revision>`` ids, events, the side and server tables) keep text ids.
"""

from __future__ import annotations

import functools
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from mxlims_store.store.collection_names import CORE_COLLECTIONS

Key = bytes | str  # what a core table's ``id`` column holds
CORE_TABLES = frozenset(CORE_COLLECTIONS)  # the tables whose ``id`` is a Key
# the SQL function turning a document's text into a Key, registered on every connection the
# backend opens (:func:`register`): only `check` and fills use it, never a schema object (the
# file stays readable and writable by the plain sqlite3 shell)
KEY_FUNCTION = "mxlims_uuid_key"
# A core table refuses a canonical uuid kept as text, in plain SQL (GLOB is case-sensitive):
# the sqlite3 shell, and an mxlims-store of schema 10 still running beside the process that
# upgraded the file (it writes uuids as texts), are refused such a write, where they stored a
# twin of the object that the store never finds (measured: a v10 server re-importing its
# shipment after the upgrade stored 9 such twins). Blobs pass at the first test; the length
# in bytes, because GLOB stops at a NUL (a uuid and a NUL is no canonical uuid: kept as text).
TEXT_UUID_CHECK = (
    "CHECK (typeof(id) <> 'text' OR length(CAST(id AS BLOB)) <> 36 OR id NOT GLOB '{}')".format(
        "-".join("[0-9a-f]" * n for n in (8, 4, 4, 4, 12))
    )
)


@functools.lru_cache(maxsize=4096)
def key(uuid: str) -> Key:
    """What the ``id`` column of a core table holds for ``uuid`` (checked as :func:`packed_keys`
    checks many: faster than the pattern; remembered for the next few thousand, as a walk's
    containers, shipment and proposal come back on every walk of that shipment)."""
    if len(uuid) == 36 and uuid[8] == uuid[13] == uuid[18] == uuid[23] == "-":
        digits = uuid.replace("-", "")
        try:
            packed = bytes.fromhex(digits)
        except ValueError:
            return uuid
        if packed.hex() == digits:  # lower case, no whitespace (fromhex reads both)
            return packed
    return uuid


def keys(uuids: Sequence[str]) -> list[Key]:
    """:func:`key` of each of ``uuids``: the common case (all canonical) checked and converted
    in a few calls for all (a call per uuid was ~0.5 us, ~3 ms of an import's 6,591)."""
    packed = packed_keys(uuids)
    if packed is not None:
        return [packed[at : at + 16] for at in range(0, len(packed), 16)]
    return [key(uuid) for uuid in uuids]


def packed_keys(uuids: Sequence[str]) -> bytes | None:
    """The keys of ``uuids`` joined, when every one is canonical (else None), checked at C
    speed: each element 36 characters (a comma after each, at every 37th place and nowhere
    else: without it, a 35-character text beside a 37-character one joined into two canonical
    uuids, other objects' keys), a dash at each of the four places and nowhere else, then the
    digits read as hex and written back the same (lower case, no whitespace, which ``fromhex``
    reads too). (A regular expression over the joined text took 1.4 ms for 6,591 uuids, and
    ``str.islower`` as long.)"""
    count = len(uuids)
    joined = ",".join(uuids) + ","
    if len(joined) != 37 * count or joined.count(",") != count or joined[36::37] != "," * count:
        return None
    if joined.count("-") != 4 * count:
        return None
    dashes = "-" * count
    if any(joined[at::37] != dashes for at in (8, 13, 18, 23)):
        return None
    digits = joined.replace("-", "").replace(",", "")
    try:
        packed = bytes.fromhex(digits)
    except ValueError:
        return None
    return packed if packed.hex() == digits else None


def uuid_of(stored: Any) -> Any:
    """The uuid a core table's ``id`` value names (a text stays as it is)."""
    if type(stored) is bytes and len(stored) == 16:
        h = stored.hex()
        return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"
    return stored


def uuid_sql(column: str) -> str:
    """SQL giving the uuid text of a core table's ``id`` value ``column`` (a text as it is)."""
    h = f"lower(hex({column}))"
    parts = " || '-' || ".join(
        f"substr({h}, {start}, {length})"
        for start, length in ((1, 8), (9, 4), (13, 4), (17, 4), (21, 12))
    )
    blob = f"typeof({column}) = 'blob' AND length({column}) = 16"
    return f"(CASE WHEN {blob} THEN {parts} ELSE {column} END)"


def sorted_keys(uuids: Iterable[str]) -> dict[Key, str]:
    """Key -> uuid of ``uuids``, each once, in the index's order (what :func:`keys_sql` reads
    when given it): a probe's rows map back to their uuids without converting each."""
    ordered = sorted(set(uuids))
    found = dict(zip(keys(ordered), ordered, strict=True))
    if any(type(k) is str for k in found):  # texts sort before blobs in SQLite
        found = dict(sorted(found.items(), key=lambda item: type(item[0]) is bytes))
    return found


def keys_sql(
    uuids: Iterable[str] | dict[Key, str], bind: Callable[[Any], str], ordered: bool = False
) -> str:
    """A SELECT of one column, ``key``: the Keys of ``uuids``, each once, in the index's order
    (texts first, then the blobs: a join driven by it probes the index leaf after leaf, see
    sqlite_unit.documents_by_uuid). The canonical ones come from one concatenated blob, cut
    16 bytes per element of a JSON list of zeros (``json_each`` of 6,591 zeros and ``substr``:
    ~1 ms where a recursive CTE over the blob took ~2.3 and ``json_each`` of the texts ~2);
    the others from ``json_each`` of their texts. ``bind(value)`` binds a parameter and gives
    its placeholder, called in the order the placeholders appear; ``ordered``: ``uuids`` is a
    sorted list without repeats already (or a :func:`sorted_keys`)."""
    packed = None
    if isinstance(uuids, dict):
        found: list[Key] = list(uuids)
    else:
        listed = uuids if ordered and isinstance(uuids, list) else sorted(set(uuids))
        packed = packed_keys(listed)  # the common case: all canonical, nothing converted twice
        found = [] if packed is not None else list(sorted_keys(listed))
    if packed is None:
        texts = [k for k in found if type(k) is str]
        blobs = [k for k in found if type(k) is bytes] if texts else found
        packed = b"".join(blobs)  # type: ignore[arg-type]  # (bytes only)
    else:
        texts = []
    parts = []
    if texts:
        parts.append(f"SELECT value AS key FROM json_each({bind(_json(texts))})")
    if packed:
        parts.append(
            f"SELECT substr({bind(packed)}, j.key * 16 + 1, 16) AS key "
            f"FROM json_each({bind(_zeros(len(packed) // 16))}) AS j"
        )
    return " UNION ALL ".join(parts) or "SELECT NULL AS key WHERE 0"


# ``id IN (...)`` of a fixed text (statements cached by their text: sqlite_walk), bound with
# :func:`in_keys_params`: the canonical ones cut from one blob, the others as JSON texts
IN_KEYS = (
    "SELECT substr(?, j.key * 16 + 1, 16) FROM json_each(?) AS j "
    "UNION ALL SELECT value FROM json_each(?)"
)


def in_keys_params(uuids: Sequence[str]) -> list[Any]:
    """The three parameters of :data:`IN_KEYS` for ``uuids``."""
    packed = packed_keys(uuids)
    if packed is not None:
        return [packed, _zeros(len(uuids)), "[]"]
    found = keys(uuids)
    blobs = [k for k in found if type(k) is bytes]
    texts = [k for k in found if type(k) is str]
    return [b"".join(blobs), _zeros(len(blobs)), _json(texts)]


def _zeros(count: int) -> str:
    """A JSON list of ``count`` zeros: ``json_each`` of it numbers the 16-byte cuts of a
    packed blob (its ``key`` column, 0 to count - 1)."""
    return "[" + ",".join("0" * count) + "]"


def _json(texts: list[Any]) -> str:
    """A JSON list of ``texts`` (the rare ids that are not canonical uuids). The standard
    library's, imported here: `mxlims-store stats` opens the file through this module, and
    loads neither it nor orjson (tests/cli/test_startup.py)."""
    import json

    return json.dumps(texts)


def keys_params(
    uuids: Iterable[str] | dict[Key, str], ordered: bool = False
) -> tuple[str, list[Any]]:
    """:func:`keys_sql` with plain ``?`` placeholders, and its parameters."""
    params: list[Any] = []

    def bind(value: Any) -> str:
        params.append(value)
        return "?"

    return keys_sql(uuids, bind, ordered), params


def text_kept(connection: sqlite3.Connection) -> list[str]:
    """For ``check``: one line per row of a core table whose id is a canonical uuid kept as
    text (written by another tool than the store): the store never finds it by its uuid, and
    the unique index would not keep its twin out. Texts sort before every blob: the index's
    range below the empty blob holds them all, and nothing else."""
    lines = []
    for name in CORE_COLLECTIONS:
        for (stored,) in connection.execute(
            f"SELECT id FROM \"{name}\" WHERE id < X'' ORDER BY id"
        ):
            if type(stored) is str and type(key(stored)) is bytes:
                lines.append(
                    f"{name} {stored}: its id is kept as text, not as the 16-byte key the "
                    "store finds it by (written by another tool?)"
                )
    return lines


def numbers_of(
    connection: sqlite3.Connection, table: str, uuids: Iterable[str]
) -> dict[tuple[str, str], int]:
    """(table, uuid) -> row number of the ``uuids`` core table ``table`` holds: its index of
    ids probed in key order (the probes walk the tree), each row's id mapped back to its uuid
    by the keys asked (sqlite_links.numbers_for, stored_before)."""
    asked = sorted_keys(uuids)
    sql, params = keys_params(asked)
    rows = connection.execute(
        f'SELECT t.id, t.n FROM ({sql}) AS k CROSS JOIN "{table}" AS t ON t.id = k.key', params
    )
    return {(table, asked[key]): number for key, number in rows}


# A find by up to this many uuids binds each key (``id IN (?, ?)``): a walk's levels ask one
# to three a table, and the two ``json_each`` of IN_KEYS cost more than the few placeholders
# (one statement text per count, each prepared once by the statement cache); more: IN_KEYS.
LISTED_KEYS = 8


def ids_shape(count: int) -> int:
    """How a find by ``count`` uuids binds them (:func:`id_params`): as that many keys, or 0:
    the three parameters of IN_KEYS."""
    return count if 0 < count <= LISTED_KEYS else 0


@functools.cache
def ids_where(shape: int) -> str:
    """The condition of a find by uuids bound as ``shape`` says (:func:`ids_shape`)."""
    if shape == 1:
        return "id = ?"
    return f"id IN ({', '.join('?' * shape) if shape else IN_KEYS})"


def id_params(uuids: list[str]) -> list[Any]:
    """The parameters of a find by ``uuids`` in a core table (:func:`ids_where` of
    :func:`ids_shape`): their keys, or IN_KEYS' three parameters for many."""
    return list(map(key, uuids)) if 0 < len(uuids) <= LISTED_KEYS else in_keys_params(uuids)


def id_between(op: str, bound: str, bind: Callable[[Any], str]) -> str:
    """``id <op> bound`` in a core table. A canonical bound is a key, compared with the keys
    (the order of their uuids' texts, by the index: paging by ``after``); any other text (no
    uuid the model admits: a cursor made up) compares as text, as it did before schema 11:
    with the texts kept as ids, and with the keys' uuids (read row by row)."""
    stored = key(bound)
    if type(stored) is bytes:
        return f"id {op} {bind(stored)}"
    texts = f"id {op} {bind(bound)}" + (" AND id < X''" if ">" in op else "")
    return f"(({texts}) OR (id >= X'' AND {uuid_sql('id')} {op} {bind(bound)}))"


def register(connection: sqlite3.Connection) -> None:
    """:data:`KEY_FUNCTION` on ``connection`` (``check`` and the fills compare a document's
    text values with ids in SQL)."""
    connection.create_function(KEY_FUNCTION, 1, _sql_key, deterministic=True)


def _sql_key(value: Any) -> Any:
    return key(value) if type(value) is str else value
