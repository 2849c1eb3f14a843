"""The provenance turns of the benchmark (bench.measure._ups): spread in time, each side warmed
again after the gap on what it walked before, never on what the turn then times."""

from __future__ import annotations

from bench import measure
from bench.peer_turns import TURNS


class Turns:
    """The peer's side, as the worker drives it: which rounds it was asked for."""

    def __init__(self) -> None:
        self.rounds: list[tuple[int, int, int]] = []

    def chain_round(self, turn: int, turns: int, warm: int = 0) -> None:
        self.rounds.append((turn, turns, warm))


async def _walked(gap: float) -> tuple[list[str], list[list[float]], Turns]:
    walked: list[str] = []

    async def up(uuid: str) -> None:
        walked.append(uuid)

    turns = Turns()
    uuids = [f"u{i:03}" for i in range(40)]
    durations = await measure._ups(uuids, up, turns, gap)  # type: ignore[arg-type]
    return walked, durations, turns


async def test_spread_turns_warm_each_side_on_earlier_items_only() -> None:
    walked, durations, turns = await _walked(0.001)
    assert [len(d) for d in durations] == [4] * TURNS  # every uuid timed once, in its turn
    assert turns.rounds == [(t, TURNS, measure.TURN_WARM_UP) for t in range(TURNS)]
    # the first warm-up, then per turn: the two walked before it (untimed), then its four
    position = measure.WARM_UP
    for turn in range(TURNS):
        share = [f"u{i:03}" for i in range(4 * turn, 4 * turn + 4)]
        warm = [f"u{i:03}" for i in range(4 * turn - 2, 4 * turn)] if turn else []
        assert walked[position : position + len(warm) + 4] == [*warm, *share]
        position += len(warm) + 4
    assert position == len(walked)


async def test_turns_without_a_gap_are_back_to_back() -> None:
    walked, durations, turns = await _walked(0.0)
    assert len(walked) == measure.WARM_UP + 40 and all(len(d) == 4 for d in durations)
    assert all(warm == 0 for _, _, warm in turns.rounds)
