"""A command line Click cannot use (an option's value of the wrong kind, an unknown option or
command, a missing argument) is one line on stderr naming the command and what to fix, exit 2,
as a setting that cannot be used is one line: never Typer's framed usage box. Checked for every
command and every option that takes a number, walked from the application itself, so a new
command or option is covered without a line here."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import typer
from typer.testing import CliRunner

from mxlims_store.cli import app

runner = CliRunner()


def invoke(args: list[str]) -> Any:
    return runner.invoke(app, args, prog_name="mxlims-store")


def _commands(group: Any, path: tuple[str, ...] = ()) -> Iterator[tuple[tuple[str, ...], Any]]:
    for name, command in group.commands.items():
        if hasattr(command, "commands"):  # a group (Typer's, or Click's own)
            yield from _commands(command, (*path, name))
        else:
            yield (*path, name), command


COMMANDS = list(_commands(typer.main.get_command(app)))
NUMBER_OPTIONS = [
    (path, option.opts[0])
    for path, command in COMMANDS
    for option in command.params
    if option.param_type_name == "option"
    and option.type.name.split()[0] in ("int", "integer", "float")  # "int range" too
]


def _one_line(result: Any, path: tuple[str, ...], names: str) -> None:
    lines = result.stderr.strip().splitlines()
    assert result.exit_code == 2, result.output
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith(f"mxlims-store {' '.join(path)}".rstrip() + ": "), lines[0]
    assert names in lines[0] and "╭" not in lines[0]
    assert result.stdout == ""


def test_every_command_is_walked() -> None:
    assert len(COMMANDS) > 20 and len(NUMBER_OPTIONS) > 5  # the walk found the application


@pytest.mark.parametrize(("path", "option"), NUMBER_OPTIONS, ids=lambda v: str(v))
def test_an_option_value_of_the_wrong_kind_is_one_line(path: tuple[str, ...], option: str) -> None:
    _one_line(invoke([*path, option, "abc"]), path, option)


@pytest.mark.parametrize("path", [p for p, _ in COMMANDS], ids=" ".join)
def test_an_unknown_option_is_one_line(path: tuple[str, ...]) -> None:
    _one_line(invoke([*path, "--no-such-option"]), path, "--no-such-option")


def test_an_unknown_command_a_missing_argument_and_a_range_are_one_line() -> None:
    _one_line(invoke(["bogus"]), (), "bogus")
    _one_line(invoke(["keys", "bogus"]), ("keys",), "bogus")
    _one_line(invoke(["get"]), ("get",), "uuid")
    _one_line(invoke(["provenance", "--depth", "-3", "x"]), ("provenance",), "--depth")
    _one_line(invoke(["serve", "--port", "abc"]), ("serve",), "--port")


def test_help_and_a_bare_group_still_show_help() -> None:
    assert invoke(["serve", "--help"]).exit_code == 0
    bare = invoke(["keys"])  # no_args_is_help: the help, as before
    assert "create" in bare.output and len(bare.output.splitlines()) > 3
