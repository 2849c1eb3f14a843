"""bench.post_messages splits the server's CPU per POST by thread (no store: pure arithmetic)."""

from __future__ import annotations

from bench.post_messages import _split


def test_the_split_names_the_loop_the_busiest_other_thread_and_the_rest() -> None:
    before = {"100": 1.0, "101": 2.0, "102": 0.5, "children": 0.25}
    after = {"100": 2.0, "101": 4.0, "102": 0.75, "103": 0.25, "children": 0.75}
    split = _split(before, after, 100, 10)  # pid 100: its main thread runs the event loop
    assert split == {
        "event_loop": 100.0,
        "busiest_other_thread": 200.0,
        "other_threads": 50.0,  # 102's quarter second and 103's, new since
        "child_processes": 50.0,
    }
