"""The query subset means the same on every backend, refuses what it does not cover, and uses
the indexes on SQLite."""

from __future__ import annotations

from typing import Any

import pytest

from mxlims_store.store.backends import Backend, Write
from mxlims_store.store.backends.sqlite import SqliteBackend
from mxlims_store.store.backends.sqlite_query import Compiler
from mxlims_store.store.filters import UnsupportedQuery, parse

DOCS: dict[str, dict[str, Any]] = {
    "a": {"n": 3, "s": "x", "flag": True, "list": [1, 2], "sub": {"k": 1}},
    "b": {"n": 3.0, "s": "3", "flag": False, "list": ["x"], "sub": [{"k": 2}, {"k": [5, 6]}]},
    "c": {"n": "3", "s": None, "list": [], "sub": {"k": None}},
    "d": {"n": 1, "list": [[3]], "sub": [{"j": 1}], "barcode": "PK-1"},
    "e": {"n": True, "s": "y", "list": [None, 4]},
    "f": {
        "identifiers": [{"domain": "icebear.fi", "value": "S-1"}, {"domain": "x.org", "value": 7}],
        "extensions": [{"domain": "esrf.fr", "fields": {"beam": 12, "tag": "t"}}],
        "barcode": "PK-2",
        "mxlimsType": "Pin",
    },
}

CASES: list[tuple[dict[str, Any], set[str]]] = [
    ({"n": 3}, {"a", "b"}),  # 3 == 3.0; never "3", never true
    ({"n": "3"}, {"c"}),
    ({"n": True}, {"e"}),
    ({"n": {"$ne": 3}}, {"c", "d", "e", "f"}),  # missing fields satisfy $ne
    ({"n": {"$gt": 1}}, {"a", "b"}),  # no cross-type comparison
    ({"n": {"$gte": "3"}}, {"c"}),
    ({"n": {"$in": [1, "3"]}}, {"c", "d"}),
    ({"n": {"$nin": [1, 3]}}, {"c", "e", "f"}),
    ({"s": None}, {"c", "d", "f"}),  # null or missing
    ({"s": {"$ne": None}}, {"a", "b", "e"}),
    ({"s": {"$exists": True}}, {"a", "b", "c", "e"}),
    ({"s": {"$exists": False}}, {"d", "f"}),
    ({"list": 2}, {"a"}),  # arrays hold their elements
    ({"list": 3}, set()),  # but not those of nested arrays
    ({"list": None}, {"e", "f"}),  # missing, or an array holding null
    ({"list": {"$lt": 2}}, {"a"}),
    ({"list": {"$exists": True}}, {"a", "b", "c", "d", "e"}),
    ({"sub.k": 1}, {"a"}),
    ({"sub.k": 5}, {"b"}),  # through an array of objects, then an array
    ({"sub.k": {"$exists": True}}, {"a", "b", "c"}),
    ({"sub.k": {"$ne": 2}}, {"a", "c", "d", "e", "f"}),
    ({"$or": [{"n": 1}, {"s": "y"}]}, {"d", "e"}),
    ({"$and": [{"n": 3}, {"flag": True}]}, {"a"}),
    ({"n": {"$gt": 0, "$lt": 2}}, {"d"}),
    ({"barcode": "PK-1"}, {"d"}),  # declared index
    ({"barcode": {"$in": ["PK-1", "PK-2"]}}, {"d", "f"}),
    ({"barcode": {"$gt": "PK-1"}}, {"f"}),
    ({"_id": {"$in": ["a", "c", "zz"]}}, {"a", "c"}),
    ({"_id": {"$gt": "d"}}, {"e", "f"}),
    ({"identifiers": {"$elemMatch": {"domain": "icebear.fi", "value": "S-1"}}}, {"f"}),
    ({"identifiers": {"$elemMatch": {"domain": "x.org", "value": 7}}}, {"f"}),
    ({"identifiers": {"$elemMatch": {"domain": "icebear.fi", "value": "S-2"}}}, set()),
    ({"extensions": {"$elemMatch": {"domain": "esrf.fr"}}}, {"f"}),
    ({"extensions": {"$elemMatch": {"domain": "esrf.fr", "fields.beam": {"$gt": 10}}}}, {"f"}),
    ({"extensions": {"$elemMatch": {"domain": "esrf.fr", "fields.tag": "u"}}}, set()),
    ({"sub": {"$elemMatch": {"k": 2}}}, {"b"}),
    ({"mxlimsType": "Pin"}, {"f"}),
]


@pytest.fixture
async def loaded(backend: Backend) -> Backend:
    await backend.prepare()
    writes = [
        Write("logistical_samples", key, {"_id": key, **doc}, None, {"_id": f"h-{key}"})
        for key, doc in DOCS.items()
    ]
    await backend.commit(writes)
    return backend


# mongomock compares as Python does (True == 1); MongoDB, like the SQLite engine, does not.
MONGOMOCK_BOOL_AS_NUMBER = ({"n": True}, {"n": {"$in": [1, "3"]}}, {"n": {"$nin": [1, 3]}})


@pytest.mark.parametrize(("filter", "expected"), CASES, ids=[str(c[0]) for c in CASES])
async def test_the_subset_means_the_same_everywhere(
    loaded: Backend, filter: dict[str, Any], expected: set[str], request: pytest.FixtureRequest
) -> None:
    if filter in MONGOMOCK_BOOL_AS_NUMBER and "mongomock" in request.node.callspec.id:
        request.applymarker(pytest.mark.xfail(strict=True, reason="mongomock: True == 1"))
    found = {d["_id"] for d in await loaded.find("logistical_samples", filter)}
    assert found == expected
    assert await loaded.count("logistical_samples", filter) == len(expected)


@pytest.mark.parametrize(
    "filter",
    [
        {"n": {"$regex": "x"}},
        {"$where": "1"},
        {"n": {"k": 1}},  # whole-object equality
        {"list": [1, 2]},  # whole-array equality
        {"sub.0.k": 1},  # array positions
        {"sub.k": None},  # null through a path
        {"n": {"$lt": True}},
        {"$or": []},
        {'a"b': 1},
        {"n": {"$exists": 1}},
    ],
)
async def test_outside_the_subset_is_refused_loudly(loaded: Backend, filter: Any) -> None:
    with pytest.raises(UnsupportedQuery):
        await loaded.find("logistical_samples", filter)


def test_sorted_results_and_limits_agree() -> None:
    assert parse({"a": 1, "b": {"$in": [1]}}).to_mongo() == {
        "$and": [{"a": {"$eq": 1}}, {"b": {"$in": [1]}}]
    }


@pytest.mark.parametrize(
    ("filter", "index"),
    [
        ({"containerId": "u"}, "logistical_samples__containerId"),
        ({"containerId": {"$in": ["u", "v"]}}, "logistical_samples__containerId"),
        ({"barcode": "PK-1"}, "logistical_samples__barcode"),
        ({"mxlimsType": "Pin"}, "logistical_samples__mxlimsType"),
        ({"identifiers": {"$elemMatch": {"domain": "d", "value": "v"}}}, "logistical_samples_keys"),
        ({"extensions": {"$elemMatch": {"domain": "d"}}}, "logistical_samples_keys"),
        ({"_meta.proposal": {"$in": ["mx1", "mx2"]}}, "logistical_samples___meta_proposal"),
    ],
)
async def test_sqlite_uses_the_declared_indexes(
    tmp_path: Any, filter: dict[str, Any], index: str
) -> None:
    backend = SqliteBackend(tmp_path / "plan.sqlite3")
    await backend.prepare()
    compiler = Compiler(backend.tables["logistical_samples"])
    where = compiler.where(parse(filter))
    sql = f"EXPLAIN QUERY PLAN SELECT doc FROM logistical_samples WHERE {where}"
    plan = " | ".join(
        row[3] for row in backend._connection().execute(sql, compiler.params).fetchall()
    )
    await backend.close()
    assert index in plan and "SCAN logistical_samples" not in plan, plan


@pytest.mark.parametrize(
    "where",
    [{'unitCell.a"b': 1}, {"unitCell.0": 1}, {"unitCell.a": None}],
    ids=["quote", "position", "null-through-path"],
)
async def test_a_users_question_outside_the_subset_is_a_422_not_a_crash(
    where: dict[str, Any],
) -> None:
    from mxlims_store.errors import InvalidQuery
    from mxlims_store.store.queries import FindQuery, build_filter

    with pytest.raises(InvalidQuery):
        build_filter(FindQuery("MxProcessing", where))
