"""The quick clean-case pass of the storability check agrees with the thorough one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mxlims_store.errors import InvalidMessage
from mxlims_store.messages import read_message
from mxlims_store.messages.limits import NAME_FIELDS, _problems, storable_problems
from tests.factories import new_uuid

KEYS = st.sampled_from(
    [
        "a",
        "extensions",
        "esrf.fr",
        "x.y",
        "$date",
        "nul\x00",
        "sampleRef",
        "$ref",
        "ü",
        "\ud800",
        "name",
        "barcode",
    ]
) | st.text(max_size=4)
SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**70), max_value=2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=3)
    | st.just("bad\ud800")
    | st.sampled_from(["a\nb", "nul\x00", "tab\t", "esc\x1b", "del\x7f", "nbsp\xa0", "x" * 201])
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


def _pin(**fields: Any) -> dict[str, Any]:
    return {
        "version": "0.6.13",
        "Pin": {"Pin1": {"mxlimsType": "Pin", "uuid": new_uuid(), **fields}},
    }


@pytest.mark.parametrize("field", sorted(NAME_FIELDS))
@pytest.mark.parametrize(
    "text",
    ["PIN\x00-1", "two\nlines", "tab\there", "cr\r", "esc\x1b[0m", "del\x7f", "nel\x85", "c1\x96"],
)
def test_names_refuse_control_characters(field: str, text: str) -> None:
    problems = storable_problems({field: text}, "Pin/Pin1")
    assert [p.path for p in problems] == [f"Pin/Pin1/{field}"]
    [problem] = problems
    assert "control characters" in problem.message
    assert "\n" not in problem.message  # one line, the character shown escaped
    assert repr(text[_first_control(text)]) in problem.message


def _first_control(text: str) -> int:
    return next(i for i, c in enumerate(text) if ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F)


def test_a_message_with_a_control_character_in_a_barcode_is_refused_with_its_path() -> None:
    with pytest.raises(InvalidMessage) as refused:
        read_message(_pin(barcode="PIN\x00-1"))
    [problem] = refused.value.problems
    assert problem.path == "Pin/Pin1/barcode"
    assert "'\\x00' at character 4" in problem.message


def test_a_del_or_c1_control_in_a_name_is_refused_on_the_clean_path_too() -> None:
    # DEL and C1 are printable to neither str.isprintable nor a label: the quick walk gives up
    # and the thorough reader says where
    for text in ("PIN\x7f1", "PIN\x851"):
        with pytest.raises(InvalidMessage) as refused:
            read_message(_pin(barcode=text))
        [problem] = refused.value.problems
        assert problem.path == "Pin/Pin1/barcode"
        assert "at character 4" in problem.message


@pytest.mark.parametrize("text", ["line one\nline two", "tab\tseparated", "crlf\r\n"])
def test_free_text_keeps_line_breaks_and_tabs(text: str) -> None:
    result = read_message(_pin(barcode="PIN-1", annotation=text))
    assert result.objects[0]["annotation"] == text


def test_names_keep_printable_unicode() -> None:
    result = read_message(_pin(name="Lysozyme ü β-lactam 溶菌酶", barcode="PIN-ü"))
    assert result.objects[0]["name"] == "Lysozyme ü β-lactam 溶菌酶"
