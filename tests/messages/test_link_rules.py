"""Every rule of the link table: an allowed target is accepted, a forbidden one refused; and the
table says exactly what the official schemas say (targets and reverse-link names).

A generic core type (``Job``, ``Sample`` ...) is a link target only as a uuid stub, and never the
source of a link in a message: the official message schemas hold only stubs under those keys."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.messages import read_message
from mxlims_store.model.links import LINK_RULES, LinkRule
from mxlims_store.model.registry import CORE_TYPES
from tests.conftest import REFERENCE, needs_shared
from tests.factories import minimal, stub

MESSAGE_RULES = [r for r in LINK_RULES if r.source not in CORE_TYPES]
GENERIC_RULES = [r for r in LINK_RULES if r.source in CORE_TYPES]


def _message(rule: LinkRule, target: str) -> dict[str, Any]:
    target_key = f"{target}2" if target == rule.source else f"{target}1"
    reference = {"$ref": f"#/{target}/{target_key}"}
    source = minimal(rule.source, **{rule.ref_key: [reference] if rule.many else reference})
    message: dict[str, Any] = {"version": "0.6.13", rule.source: {f"{rule.source}1": source}}
    target_object = stub(target) if target in CORE_TYPES else minimal(target)
    message.setdefault(target, {})[target_key] = target_object
    return message


def _forbidden(rule: LinkRule) -> str:
    return next(t for t in ("Shipment", "Macromolecule", "Dewar") if t not in rule.targets)


def _id(rule: LinkRule) -> str:
    return f"{rule.source}.{rule.field}"


@pytest.mark.parametrize("rule", MESSAGE_RULES, ids=_id)
def test_allowed_targets_are_accepted(rule: LinkRule) -> None:
    for target in rule.targets:
        result = read_message(_message(rule, target))
        [source] = [
            o for o in result.objects if o["uuid"] == result.keys[f"{rule.source}/{rule.source}1"]
        ]
        assert source[rule.field] == (
            [result.keys[_target_path(rule, target)]]
            if rule.many
            else result.keys[_target_path(rule, target)]
        )


def _target_path(rule: LinkRule, target: str) -> str:
    return f"{target}/{target}{2 if target == rule.source else 1}"


@pytest.mark.parametrize("rule", MESSAGE_RULES, ids=_id)
def test_a_forbidden_target_is_refused(rule: LinkRule) -> None:
    with pytest.raises(InvalidMessage) as caught:
        read_message(_message(rule, _forbidden(rule)))
    [problem] = caught.value.problems
    suffix = "/0" if rule.many else ""
    assert problem.path == f"{rule.source}/{rule.source}1/{rule.ref_key}{suffix}"
    assert f"not {_forbidden(rule)}" in problem.message


@pytest.mark.parametrize("rule", GENERIC_RULES, ids=_id)
def test_a_generic_object_is_no_link_source_in_a_message(rule: LinkRule) -> None:
    with pytest.raises(InvalidMessage) as caught:
        read_message(_message(rule, rule.targets[0]))
    [problem] = caught.value.problems
    assert problem.path == f"{rule.source}/{rule.source}1"
    assert "concrete types" in problem.message


@needs_shared
def test_the_table_matches_the_official_object_schemas() -> None:
    official = set()
    for path in sorted((REFERENCE / "0.6.13/schemas/objects").glob("*.json")):
        schema = json.loads(path.read_text())
        for key, spec in schema.get("properties", {}).items():
            if not key.endswith(("Ref", "Refs")):
                continue
            text = json.dumps(spec)
            targets = tuple(re.findall(r"references/(\w+)Ref\.json", text))
            [reverse] = set(re.findall(r'"reverseLinkName": "(\w+)"', text))
            field = key[:-4] + "Ids" if key.endswith("Refs") else key[:-3] + "Id"
            official.add((path.stem, field, frozenset(targets), reverse))
    ours = {(r.source, r.field, frozenset(r.targets), r.reverse) for r in LINK_RULES}
    assert ours == official
