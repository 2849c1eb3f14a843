"""How big a run is: the full benchmark of the issue, and the smoke run the tests use."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Plan:
    mode: str
    pins: int  # per shipment: 1,600 pins make the ~6,600-object shipment of a full beamtime
    sizes: tuple[int, ...]  # stores grown after the one-shipment store, in objects
    http_at: int  # the size whose store the HTTP figures are taken on
    samples: int  # uuids, barcodes and ReflectionSets behind each p50
    repeats: int  # runs of each single-shot measurement (median)
    cli_repeats: int  # runs of the `mxlims-store stats` subprocess (median)
    validation_times: int  # runs of each validator per file (median)
    validation_budget: float  # seconds one slow validator may spend per file (>= 1 run)
    http_gets: int
    http_posts: int
    http_pins: int  # pins of each POSTed shipment
    refusal_objects: int  # bad objects in the message refused as too large (bench.refusal)
    # the shipment import and results return (ours and ISPyB's), each a pair of turns of
    # ~0.3 s: one state of each CPU, so single pairs spread 0.7-1.6 (round 14: 15, not 9)
    import_repeats: int = 15
    # passes of the provenance turns over the same ReflectionSets, back to back: ten turns
    # last half a second, inside one state of each CPU; thirty passes some ten seconds, over
    # several (docs/performance.md, "Two speeds per CPU")
    read_passes: int = 1
    # turns of the results file, each followed by the peer's fetch: ten last some three
    # seconds, one or two states of each CPU (round 14: 0.79-0.95 from stage to stage)
    file_turns: int = 10
    concurrency: int = 16
    seed: int = 20250301


FULL = Plan(
    mode="full",
    pins=1600,
    sizes=(50_000, 200_000),
    http_at=50_000,
    samples=200,
    repeats=3,
    cli_repeats=3,
    validation_times=5,
    validation_budget=30.0,  # pure-Python jsonschema takes ~12 s per shipment file
    http_gets=200,
    http_posts=32,
    http_pins=16,
    refusal_objects=2_000_000,  # 63 MiB, under the default body limit of 64 MiB
    read_passes=30,
    file_turns=30,
)

SMOKE = Plan(
    mode="smoke",
    pins=20,
    sizes=(600, 1_200),
    http_at=600,
    samples=20,
    repeats=2,
    cli_repeats=1,
    validation_times=2,
    validation_budget=2.0,
    http_gets=20,
    http_posts=4,
    http_pins=4,
    refusal_objects=250_001,  # just over the limit: the same path, 8 MiB
    import_repeats=2,
)
