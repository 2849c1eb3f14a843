"""A JSON number of thousands of digits: Python's own error told the client to call
sys.set_int_max_str_digits() on the server. It is refused in the reader's words, saying how long
it is, like any JSON that cannot be read."""

from __future__ import annotations

import pytest

from mxlims_store.messages.jsontext import loads


@pytest.mark.parametrize("number", ["9" * 5000, "-" + "1" * 4301])
def test_a_number_of_thousands_of_digits_is_refused_in_our_words(number: str) -> None:
    with pytest.raises(ValueError) as refused:
        loads(f'{{"version": "0.6.13", "n": {number}}}'.encode())
    said = str(refused.value)
    assert "set_int_max_str_digits" not in said
    assert f"{len(number.lstrip('-')):,} digits" in said


def test_long_but_readable_integers_still_read() -> None:
    assert loads(b'{"n": ' + b"9" * 4300 + b"}")["n"] == int("9" * 4300)
    assert loads(b'{"n": -12}')["n"] == -12
