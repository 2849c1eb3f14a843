"""A command line that cannot be used is one line, as a setting that cannot be used is.

Click (inside Typer) reports an option's value of the wrong kind, an unknown option or command
and a missing argument by printing the usage, a hint and the error in a frame: six lines where
one says it. The application's group catches those errors where every command is parsed (its
own context, and each command it invokes) and prints ``mxlims-store <command>: <what is
wrong> (-h for help)``, exit 2 as before. A bare group (``mxlims-store keys``) still shows its
help: that is asked for, not an error. A setting that cannot be used (``SettingsError``) that a
command met outside the store helper is its one line too, exit 1.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import typer
from typer.core import TyperGroup

try:  # Typer from 0.2x carries its own copy of Click; before, it used Click itself
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - an older Typer
    from click import exceptions as click_errors  # type: ignore[no-redef]


class OneLineUsageErrors(TyperGroup):
    """The application's top group: a usage error anywhere below it is one line on stderr."""

    def make_context(self, *args: Any, **kwargs: Any) -> Any:
        with _one_line():
            return super().make_context(*args, **kwargs)

    def invoke(self, ctx: Any) -> Any:
        with _one_line(), _setting_one_line():
            return super().invoke(ctx)


@contextmanager
def _one_line() -> Iterator[None]:
    try:
        yield
    except click_errors.NoArgsIsHelpError:
        raise  # a bare group shows its help
    except click_errors.UsageError as error:
        command = error.ctx.command_path if error.ctx is not None else "mxlims-store"
        what = " ".join(error.format_message().split())  # one line, whatever Click wrote
        typer.echo(f"{command}: {what} (-h for help)", err=True)
        raise typer.Exit(error.exit_code) from None


@contextmanager
def _setting_one_line() -> Iterator[None]:
    """A setting that cannot be used, met by a command that reads the settings itself (`init`,
    `restore`, `ispyb`): its one line and exit 1, as the store helper says it for the others."""
    try:
        yield
    except Exception as error:
        from mxlims_store.config import SettingsError  # here: a command may not need it

        if not isinstance(error, SettingsError):
            raise
        typer.echo(error.message, err=True)
        raise typer.Exit(1) from None
