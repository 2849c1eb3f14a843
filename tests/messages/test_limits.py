"""The quick clean-case pass of the storability check agrees with the thorough one."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from mxlims_store.messages.limits import _problems, storable_problems

KEYS = st.sampled_from(
    ["a", "extensions", "esrf.fr", "x.y", "$date", "nul\x00", "sampleRef", "$ref", "ü", "\ud800"]
) | st.text(max_size=4)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=3)
    | st.just("bad\ud800")
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
    max_leaves=25,
)


@settings(max_examples=400, deadline=None)
@given(VALUES, st.sampled_from(["object", "any"]))
def test_quick_and_thorough_checks_agree(value: Any, keys: str) -> None:
    assert storable_problems(value, "p", keys=keys) == _problems(value, "p", 0, keys)


def test_deep_nesting_takes_the_thorough_path() -> None:
    deep: Any = 1
    for _ in range(40):
        deep = {"k": deep}
    [problem] = storable_problems(deep, "p")
    assert "nested deeper" in problem.message
