"""A key's name, proposals and beamline are one line of text, as object names are: the name is
the actor of every change the key makes (history, pages, logs), so a line break in it would
forge a second line there. An expiry date too far ahead for a date (9999-12-31 works through
that day: 10000-01-01) was a traceback; it is a problem like any bad date. Both backends."""

from __future__ import annotations

import pytest

from mxlims_store.errors import InvalidMessage
from mxlims_store.store import Store


@pytest.mark.parametrize(
    ("fields", "path"),
    [
        ({"name": "Ada\nroot (cli) deleted everything"}, "name"),
        ({"name": "Ada\x00"}, "name"),
        ({"proposals": ["mx1234\n"]}, "proposals"),
        ({"role": "staff", "proposals": [], "beamline": "ID23-1\r"}, "beamline"),
        ({"expires": "9999-12-31"}, "expires"),
        ({"expires": "9999-12-31T23:59:59-12:00"}, "expires"),
    ],
)
async def test_a_key_field_that_cannot_be_used_is_a_problem(
    store: Store, fields: dict[str, object], path: str
) -> None:
    wanted: dict[str, object] = {"name": "Ada", "role": "member", "proposals": ["mx1234"]}
    wanted.update(fields)
    with pytest.raises(InvalidMessage) as refused:
        await store.create_key(**wanted)  # type: ignore[arg-type]
    assert [p.path for p in refused.value.problems] == [path]
    assert all(not k.name.startswith("Ada") for k in await store.list_keys())  # nothing stored


async def test_ordinary_keys_are_made_as_before(store: Store) -> None:
    made = await store.create_key(
        name="Ada (mx1234)", role="member", proposals=["mx1234"], expires="2099-12-31"
    )
    assert made.name == "Ada (mx1234)" and str(made.expires).startswith("2100-01-01")
