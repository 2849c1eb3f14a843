"""Flatness in alternation (bench.import_turns): each large repeat against the small ones
made right before and right after it."""

from __future__ import annotations

import pytest

from bench.import_turns import bracketed_ratios


def test_each_large_repeat_is_set_against_the_small_ones_around_it() -> None:
    # the host twice as slow for the second pair: 1.2 each time, not 1.2 / 2.4 / ...
    small = [1.0, 1.0, 2.0, 2.0]
    large = [1.2, 2.4 * (2**0.5) / 2, 2.4]
    assert bracketed_ratios(small, large) == pytest.approx([1.2, 1.2, 1.2])


def test_a_drift_across_a_pair_cancels() -> None:
    # the host slowing down steadily: the small ones before and after a large one bracket it
    small = [1.0, 1.21, 1.4641]
    large = [1.1 * 1.1, 1.1 * 1.331]
    assert bracketed_ratios(small, large) == pytest.approx([1.1, 1.1])
    # set against the small one before it only, each pair would read 1.21
    assert [b / a for a, b in zip(small, large, strict=False)] == pytest.approx([1.21, 1.21])


@pytest.mark.parametrize("smalls", [3, 4])
def test_one_small_repeat_more_than_large_ones_is_required(smalls: int) -> None:
    with pytest.raises(ValueError, match="need 5 small"):
        bracketed_ratios([1.0] * smalls, [1.0] * 4)
