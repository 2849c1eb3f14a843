"""validate / normalize: MXLIMS files checked and rewritten without touching the store."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from mxlims_store.cli.app import app, emit, fail, parse_json_file, problem_lines, read_json
from mxlims_store.errors import InvalidMessage

Files = Annotated[list[Path], typer.Argument(help="MXLIMS message files (JSON)")]


@app.command()
def validate(files: Files) -> None:
    """Check MXLIMS files as import would, short of the store; exit 1 with one line per
    problem (file: JSON path: message), warnings on stderr."""
    from mxlims_store.store.offline_checks import check_message

    lines: list[str] = []
    for path in files:
        try:
            _, warnings = check_message(parse_json_file(path))
        except ValueError as error:
            lines.append(str(error))
        except InvalidMessage as error:
            lines += problem_lines(error, f"{path}: ")
        else:
            for warning in warnings:
                typer.echo(f"{path}: warning: {warning}", err=True)
    if lines:
        fail(lines)
    typer.echo(f"{len(files)} file(s) valid", err=True)


@app.command()
def normalize(file: Annotated[Path, typer.Argument(help="an MXLIMS message file")]) -> None:
    """Print the message rewritten through the model: uuids assigned, canonical keys, $ref links."""
    from mxlims_store.messages import read_message, write_message

    try:
        result = read_message(read_json(file))
    except InvalidMessage as error:
        fail(problem_lines(error, f"{file}: "))
    emit(write_message(result.objects))
