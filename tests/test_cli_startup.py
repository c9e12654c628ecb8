"""The command line starts without importing the numeric stack, and its command list is honest."""

from __future__ import annotations

import subprocess
import sys

import click
import pytest
from click.testing import CliRunner

from psychometrics.cli import COMMANDS, main


def test_help_and_version_import_neither_numpy_nor_scipy():
    code = (
        "import sys\n"
        "from click.testing import CliRunner\n"
        "from psychometrics.cli import main\n"
        "for args in (['--help'], ['--version']):\n"
        "    assert CliRunner().invoke(main, args).exit_code == 0\n"
        "heavy = sorted(m for m in sys.modules if m.split('.')[0] in ('numpy', 'scipy', 'girth',"
        " 'jinja2', 'yaml'))\n"
        "print(','.join(heavy))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""


@pytest.mark.parametrize("lazy", COMMANDS, ids=[c.name for c in COMMANDS])
def test_listed_help_is_the_commands_own_first_sentence(lazy):
    command = lazy.load()
    assert isinstance(command, click.Command)
    assert command.name == lazy.name
    assert lazy.short_help == command.get_short_help_str(limit=1000)


def test_every_command_is_listed_once_and_runs_its_help():
    names = [c.name for c in COMMANDS]
    assert len(names) == len(set(names))
    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    for name in names:
        assert f"  {name} " in result.output
        assert CliRunner().invoke(main, [name, "--help"]).exit_code == 0


def test_a_mistyped_command_gets_a_suggestion():
    result = CliRunner().invoke(main, ["calibrat"])
    assert result.exit_code == 2
    assert "Did you mean 'calibrate'?" in result.output
