"""The health pinger's notes picked by window: the 64-burst made several times has its pings
pooled from every burst's window (bench.downloads, ``c64_repeated``), and nothing between
the windows (the writes that make each burst start uncached) counts."""

from __future__ import annotations

from bench.health_pings import Pinger, summary


def test_pings_are_pooled_from_every_window_and_none_between() -> None:
    pinger = Pinger("127.0.0.1", 1)  # never started: its notes are set here
    pinger.noted = [(1.0, 0.001), (1.5, 0.009), (2.0, 0.002), (3.0, 0.003), (4.0, 0.004)]
    assert pinger.between([(1.0, 1.2), (2.9, 3.0)]) == [0.001, 0.003]  # ends included
    assert pinger.between([(0.0, 0.5)]) == []
    assert pinger.between([]) == []
    pooled = pinger.between([(0.9, 1.6), (3.9, 4.1)])
    assert summary(pooled) == {"p50": 4.0, "p99": 9.0, "max": 9.0, "n": 3}
