"""The provenance turns of the benchmark (bench.measure._ups): passes of the same turns back to
back, each turn of ours followed by the peer's matching round."""

from __future__ import annotations

from bench import measure
from bench.peer_turns import TURNS


class Turns:
    """The peer's side, as the worker drives it: which rounds it was asked for."""

    def __init__(self) -> None:
        self.rounds: list[tuple[int, int]] = []

    def chain_round(self, turn: int, turns: int) -> None:
        self.rounds.append((turn, turns))


async def test_passes_repeat_the_same_turns_paired_with_the_peers_rounds() -> None:
    walked: list[str] = []

    async def up(uuid: str) -> None:
        walked.append(uuid)

    turns = Turns()
    uuids = [f"u{i:03}" for i in range(40)]
    durations = await measure._ups(uuids, up, turns, 3)  # type: ignore[arg-type]
    assert [len(d) for d in durations] == [4] * (3 * TURNS)  # a turn: a share of four
    assert turns.rounds == [(t, TURNS) for t in range(TURNS)] * 3  # the peer's, in step
    assert walked == [*uuids[: measure.WARM_UP], *uuids, *uuids, *uuids]
    # one pass: the turns of before
    one = Turns()
    assert len(await measure._ups(uuids, up, one, 1)) == TURNS  # type: ignore[arg-type]
    assert one.rounds == [(t, TURNS) for t in range(TURNS)]
