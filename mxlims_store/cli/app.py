"""The Typer application and its shared helpers; commands live in sibling modules.

Every module of the CLI imports at its top only Typer and light modules: the store, the
pydantic model, the answers, the mappings, the web server and the ISPyB driver load inside
the command that needs them, so that a command starts as fast as the work it does allows
(`mxlims-store stats` does not load the spreadsheet engine). tests/cli/test_startup.py holds
the list of what must stay out of a plain start.
"""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer

from mxlims_store.cli.usage import OneLineUsageErrors
from mxlims_store.errors import Conflict, MxlimsError

if TYPE_CHECKING:
    from mxlims_store.store import Store

T = TypeVar("T")

app = typer.Typer(
    help="mxlims-store: a LIMS for macromolecular crystallography that speaks MXLIMS.",
    cls=OneLineUsageErrors,  # a command line that cannot be used: one line, not a usage box
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)
DEBUG = {"on": False}  # --debug: tracebacks for unexpected failures, for bug reports


def _version(value: bool) -> None:
    if value:
        from importlib import metadata

        from mxlims_store.model.registry import MODEL_VERSION

        try:
            version = metadata.version("mxlims-store")
        except metadata.PackageNotFoundError:  # pragma: no cover - a bare source tree
            version = "0+unknown"
        typer.echo(f"mxlims-store {version} (MXLIMS {MODEL_VERSION})")
        raise typer.Exit()


@app.callback()
def main(
    version: Annotated[
        bool,
        typer.Option("--version", callback=_version, is_eager=True, help="print the version"),
    ] = False,
    debug: Annotated[
        bool, typer.Option("--debug", help="show a traceback when something unexpected fails")
    ] = False,
) -> None:
    """mxlims-store: a LIMS for macromolecular crystallography that speaks MXLIMS."""
    DEBUG["on"] = debug
    odd = _odd_dotenv()  # before any command reads or creates anything
    if odd is not None:
        fail([odd])


def _odd_dotenv() -> str | None:
    from mxlims_store.store_location import dotenv_problem

    try:
        return dotenv_problem(Path.cwd())
    except OSError:  # no working directory any more: no .env to read either
        return None


def emit(value: Any) -> None:
    """Print JSON on stdout (the machine-readable result of a command): the library's answers
    in the same shape (camelCase) as the API sends them."""
    json.dump(value, sys.stdout, indent=2, ensure_ascii=False, default=_as_json)
    sys.stdout.write("\n")


def _as_json(value: Any) -> Any:
    from pydantic import BaseModel  # every answer is one (mxlims_store.answers)

    return value.model_dump(mode="json") if isinstance(value, BaseModel) else str(value)


def fail(lines: list[str], code: int = 1) -> NoReturn:
    for line in lines:
        typer.echo(line, err=True)
    raise typer.Exit(code)


def problem_lines(error: MxlimsError, prefix: str = "") -> list[str]:
    problems = getattr(error, "problems", None)
    if problems:
        # a conflict's own message says what to do ("... or ask for a cascade"); the others'
        # only count and repeat their problems
        lead = [f"{prefix}{error.message}"] if isinstance(error, Conflict) else []
        return lead + [f"{prefix}{p}" for p in problems]
    return [f"{prefix}{error.message}"]


def write_out(path: Path, content: bytes | str) -> None:
    """Write a command's --out file, or exit 1 with one line saying why it cannot be written."""
    try:
        if isinstance(content, str):
            path.write_text(content, encoding="utf-8")
        else:
            path.write_bytes(content)
    except OSError as error:
        if DEBUG["on"]:
            raise
        fail([f"{path}: cannot write: {error.strerror or error}"])


def parse_json_file(path: Path) -> Any:
    """A JSON file's content; ValueError with a line naming the file and where JSON broke."""
    from mxlims_store.messages.jsontext import loads

    try:
        return loads(path.read_bytes())
    except OSError as error:
        raise ValueError(f"{path}: cannot read: {error.strerror or error}") from error
    except (ValueError, UnicodeDecodeError) as error:
        raise ValueError(f"{path}: not valid JSON: {error}") from error


def read_json(path: Path) -> Any:
    """A JSON file, or exit 1 with the reason."""
    try:
        return parse_json_file(path)
    except ValueError as error:
        fail([str(error)])


def with_store(action: Callable[[Store], Awaitable[T]]) -> T:
    """Run ``action`` on the configured store; library errors become one line each and exit 1."""
    try:
        return with_store_raising(action)
    except MxlimsError as error:
        fail(problem_lines(error))


def with_store_raising(action: Callable[[Store], Awaitable[T]]) -> T:
    """``with_store`` for a command that says more about a library error than its lines."""
    from mxlims_store.config import get_settings
    from mxlims_store.store.access import local_admin
    from mxlims_store.store.backend import open_store

    settings = get_settings()  # a bad setting: one line, before anything is opened

    async def run() -> T:
        async with open_store(settings) as store:
            # the CLI on a local data directory is its admin, named in history by the OS user
            return await action(store.acting_as(local_admin()))

    try:
        return asyncio.run(run())
    except MxlimsError:
        raise
    except KeyboardInterrupt:
        fail(["interrupted: nothing of the unfinished command was stored"], 130)
    except OSError as error:
        if DEBUG["on"]:
            raise
        fail([f"cannot proceed: {error.strerror or error} ({error.filename or 'the store'})"])


# Register the commands (their modules use `app` from here).
from mxlims_store.cli import (  # noqa: E402, F401
    ispyb,
    keys,
    logistics,
    maintenance,
    messages,
    objects,
    serve,
    sheets,
)
