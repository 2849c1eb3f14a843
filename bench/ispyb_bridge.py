"""``python -m bench.ispyb_bridge [--pins 1600] [--shipments 20] [--out DIR]``: the ISPyB bridge
on a full beamtime's shipment (1,600 pins: ~6,600 objects), timed in seconds:

- push into an empty ISPyB (ISPyB's own build from ../shared/ispyb-database on a private MariaDB,
  the set-up of the write-path benchmark), pull it back, push it again (nothing to write);
- the same with an ISPyB already holding ``--shipments`` such shipments.

Writes ``ispyb.md`` and ``ispyb.json`` into ``--out`` (default: bench/).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from bench import REPO_ROOT
from bench.generate import PROPOSAL, shipment
from mxlims_store.ispyb.bridge import pull, push
from mxlims_store.ispyb.options import PushOptions
from mxlims_store.store import Store, local_admin
from mxlims_store.store.backends.sqlite import SqliteBackend

DOMAIN = "ispyb.bench"


def user_office(server: Any, database: str, proposal: str) -> None:
    """The proposal and its session 1, as a facility's user office creates them."""
    code, number = proposal[:2], proposal[2:]
    server.sql(
        f"INSERT INTO Proposal (personId, proposalCode, proposalNumber) VALUES (1, '{code}', "
        f"'{number}');\nINSERT INTO BLSession (proposalId, visit_number) SELECT proposalId, 1 "
        f"FROM Proposal WHERE proposalCode='{code}' AND proposalNumber='{number}';",
        database,
    )


async def _timed(work: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    done = await work
    return time.perf_counter() - start, done


async def measure(
    server: Any, database: str, folder: Path, pins: int, shipments: int, proposal: str = PROPOSAL
) -> dict[str, Any]:
    """Seconds of each step; the ISPyB database must hold ``proposal`` with session 1."""
    url = server.url(database)
    backend = SqliteBackend(folder / "bench-store.sqlite3")
    store = Store(backend, local_admin())  # the bridge as the CLI runs it: the local admin
    await store.init()
    options = PushOptions(DOMAIN, session=1)
    figures: dict[str, Any] = {"pins": pins, "shipmentsAlreadyThere": shipments}
    try:
        sent = [shipment(index, pins) for index in range(shipments + 2)]
        for one in sent:
            one.message["Shipment"]["Shipment1"]["proposalCode"] = proposal
            await store.import_message(one.message)
        figures["objects"] = len(sent[0].uuids)
        for label, one in (("empty", sent[0]), ("holding", sent[-1])):
            if label == "holding":
                for filler in sent[1:-1]:
                    await push(store, filler.uuid, url, options)
            seconds, report = await _timed(push(store, one.uuid, url, options))
            figures[f"push_{label}"] = round(seconds, 3)
            figures[f"rows_{label}"] = sum(report.created.values())
            seconds, _ = await _timed(
                pull(store, url, shipping_id=report.shipping_id, domain=DOMAIN)
            )
            figures[f"pull_{label}"] = round(seconds, 3)
            seconds, again = await _timed(push(store, one.uuid, url, options))
            assert not again.created and not again.updated, again.to_dict()
            figures[f"repush_{label}"] = round(seconds, 3)
    finally:
        await backend.close()
    return figures


def table(figures: dict[str, Any]) -> str:
    rows = [
        "| ISPyB | push (s) | rows written | pull (s) | push again, nothing to write (s) |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, name in (
        ("empty", "empty"),
        ("holding", f"holding {figures['shipmentsAlreadyThere']} shipments"),
    ):
        rows.append(
            f"| {name} | {figures[f'push_{label}']} | {figures[f'rows_{label}']} | "
            f"{figures[f'pull_{label}']} | {figures[f'repush_{label}']} |"
        )
    return (
        f"ISPyB bridge: one shipment of {figures['pins']} pins ({figures['objects']} objects)\n\n"
        + "\n".join(rows)
        + "\n"
    )


def main(argv: list[str] | None = None) -> int:
    sys.path.insert(0, str(REPO_ROOT))
    from tests.mariadb_server import build_ispyb, private_mariadb

    parser = argparse.ArgumentParser(prog="python -m bench.ispyb_bridge", description=__doc__)
    parser.add_argument("--pins", type=int, default=1600)
    parser.add_argument("--shipments", type=int, default=20)
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "bench")
    args = parser.parse_args(argv)
    with (
        tempfile.TemporaryDirectory(prefix="mxlims-bench-ispyb-") as work,
        private_mariadb(Path(work)) as server,
    ):
        build_ispyb(server, "ispyb")
        user_office(server, "ispyb", PROPOSAL)
        figures = asyncio.run(measure(server, "ispyb", Path(work), args.pins, args.shipments))
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "ispyb.json").write_text(json.dumps(figures, indent=2) + "\n")
    (args.out / "ispyb.md").write_text(table(figures))
    sys.stdout.write(table(figures))
    return 0


if __name__ == "__main__":
    sys.exit(main())
