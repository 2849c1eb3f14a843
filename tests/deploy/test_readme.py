"""The README keeps in step with the settings and with CI: every setting is explained, the
set-up is two commands (run; test) and CI runs the README's test command."""

from __future__ import annotations

import re

from mxlims_store.config import Settings
from tests.conftest import ROOT

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_in_the_readme() -> None:
    missing = [
        f"MXLIMS_{name.upper()}"
        for name in Settings.model_fields
        if f"`MXLIMS_{name.upper()}`" not in README
    ]
    assert not missing, missing


def test_the_two_commands_install_what_each_needs_and_ci_runs_the_test_one() -> None:
    setup = README.split("## Set-up: two commands", 1)[1].split("\n## ", 1)[0]
    run, test = re.findall(r"```sh\n(.+?)\n```", setup)[:2]
    assert "pip install . " in run and "[dev]" not in run  # running needs no dev tools
    assert "'.[dev]'" in test and "pytest" in test
    assert test in (ROOT / ".ci" / "run").read_text()
    assert "Python 3.11" in setup
