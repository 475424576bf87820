"""README.md tells the truth about `trackyard server`'s flags."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from trackyard.cli import server

README = (Path(__file__).resolve().parent.parent / "README.md").read_text()
FLAGS = [p for p in server.params if isinstance(p, click.Option) and p.name != "help"]


@pytest.mark.parametrize("option", FLAGS, ids=lambda option: option.name)
def test_every_server_flag_is_in_the_readme(option):
    section = README.split("## `trackyard server`", 1)[1].split("\n## ", 1)[0]
    assert f"`{max(option.opts, key=len)}" in section


@pytest.mark.parametrize("option", FLAGS, ids=lambda option: option.name)
def test_every_server_flag_reads_the_environment_variable_named_after_it(option):
    expected = "TRACKYARD_" + re.sub(r"\W", "_", option.name or "").upper()
    envvars = [option.envvar] if isinstance(option.envvar, str) else option.envvar or []
    assert expected in envvars
