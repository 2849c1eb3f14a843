"""Containers drawn as they are: a UniPuck's 5 + 11 positions on two rings, a SPINE puck's 10 on
one, a plate's rows x columns. One SVG element per position, its class the status of what sits
there (``empty`` when nothing does), its title what a person reads on hovering."""

from __future__ import annotations

import math
from typing import Any

from markupsafe import Markup, escape

SIZE = 120  # the drawing's own units; CSS scales it


def ring_places(capacity: int) -> list[tuple[float, float]]:
    """Centres of the positions, numbered clockwise from the top: inner ring first (a UniPuck's
    1-5), outer ring after (6-16); up to 12 positions sit on one ring (a SPINE puck)."""
    inner = 0 if capacity <= 12 else 5
    rings = [(inner, 24.0), (capacity - inner, 48.0)] if inner else [(capacity, 42.0)]
    places = []
    for count, radius in rings:
        for n in range(count):
            angle = 2 * math.pi * n / count - math.pi / 2
            places.append((60 + radius * math.cos(angle), 60 + radius * math.sin(angle)))
    return places


def _spot(x: float, y: float, r: float, position: dict[str, Any]) -> str:
    state = position["status"] or "empty"
    title = f"{position['position']} {position['label'] or ''} {state}".replace("  ", " ")
    return (
        f'<circle cx="{x:.0f}" cy="{y:.0f}" r="{r:g}" class="{state}">'
        f"<title>{escape(title)}</title></circle>"
    )


def container_svg(container: dict[str, Any]) -> Markup:
    """The container's drawing, labelled for screen readers with its counts."""
    positions = container["positions"]
    counts = ", ".join(f"{n} {s}" for s, n in container["counts"].items() if n)
    name = f"{container['kind']} {container['name']}: {container['filled']} of "
    name += f"{container['capacity']} positions filled{', ' + counts if counts else ''}"
    if container["rows"]:
        rows, columns = container["rows"], container["columns"]
        step = min(SIZE / max(columns, 1), 80 / max(rows, 1))
        width, height = step * columns, step * rows
        spots = [
            _spot((p["column"] - 0.5) * step, (p["row"] - 0.5) * step, step * 0.4, p)
            for p in positions
        ]
        box = f"0 0 {width:.0f} {height:.0f}"
    else:
        places = ring_places(len(positions))
        r = 9 if len(positions) <= 16 else max(3.0, 150 / len(positions))
        spots = [_spot(x, y, r, p) for (x, y), p in zip(places, positions, strict=True)]
        spots.insert(0, '<circle cx="60" cy="60" r="58" class="rim"/>')
        box = f"0 0 {SIZE} {SIZE}"
    return Markup(
        f'<svg class="layout" viewBox="{box}" role="img" aria-label="{escape(name)}">'
        + "".join(spots)
        + "</svg>"
    )
