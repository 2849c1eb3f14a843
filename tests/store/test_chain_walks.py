"""The rules remember where chains end (each walked once however many pins share it), and that
never hides a cycle: one a chain runs into without coming back is not its start's problem."""

from __future__ import annotations

from mxlims_store.store import Store, integrity
from tests.factories import new_uuid


def _placed(type_name: str, uuid: str, container: str | None, position: int) -> dict[str, object]:
    obj: dict[str, object] = {"uuid": uuid, "mxlimsType": type_name}
    if container is not None:
        obj["containerId"] = container
        obj["positionInPuck" if type_name == "Pin" else "positionInDewar"] = position
    return obj


async def test_pins_into_a_cycle_are_fine_and_the_cycle_is_refused(store: Store) -> None:
    puck, dewar, other_puck = new_uuid(), new_uuid(), new_uuid()
    pins = [new_uuid() for _ in range(5)]
    written = [
        *(_placed("Pin", pin, puck, n) for n, pin in enumerate(pins[:3], start=1)),
        *(_placed("Pin", pin, other_puck, n) for n, pin in enumerate(pins[3:], start=1)),
        _placed("Puck", puck, dewar, 1),
        _placed("Dewar", dewar, puck, 1),  # puck in dewar in puck: round
        _placed("Puck", other_puck, None, 0),
    ]
    path_of = {obj["uuid"]: f"{obj['mxlimsType']}/{n}" for n, obj in enumerate(written)}
    problems, _ = await integrity.check(
        store.db, [(obj, "mx1") for obj in written], {str(k): v for k, v in path_of.items()}
    )
    cycles = sorted(p.path for p in problems if "cycle" in p.message)
    assert cycles == [f"{path_of[dewar]}/containerRef", f"{path_of[puck]}/containerRef"]


async def test_a_long_shared_chain_is_walked_for_every_start(store: Store) -> None:
    """Fifty pucks in a row, each in the next; a pin in each: no cycle, and none found."""
    pucks = [new_uuid() for _ in range(50)]
    written = [
        _placed("Puck", p, pucks[i + 1] if i + 1 < 50 else None, 1) for i, p in enumerate(pucks)
    ]
    written += [_placed("Pin", new_uuid(), p, 1) for p in pucks]
    written[49]["containerId"] = pucks[10]  # now the last comes back round to the eleventh
    written[49]["positionInDewar"] = 2
    path_of = {str(obj["uuid"]): f"x/{n}" for n, obj in enumerate(written)}
    problems, _ = await integrity.check(store.db, [(obj, "mx1") for obj in written], path_of)
    cycles = {p.path for p in problems if "cycle" in p.message}
    assert cycles == {f"x/{n}/containerRef" for n in range(10, 50)}
