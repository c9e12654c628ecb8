"""The README's commands run as written, on a copy of the worked example.

Each listed section's code blocks are read from README.md; every ``credkit`` line (backslash
continuations joined, ``# comments`` and ``[optional parts]`` dropped) is run in order in a
temporary copy of specs/ and item_bank/, and must exit 0.
"""

from __future__ import annotations

import re
import shlex
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from psychometrics.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"

SECTIONS = (
    "### Credential specs, published forms and administrations",
    "### The whole pipeline and the report",
)


def readme_commands(heading: str) -> list[str]:
    """The credkit command lines of the code blocks under ``heading`` (up to the next heading)."""
    text = README.read_text(encoding="utf-8")
    start = text.index(heading + "\n")
    following = re.search(r"^#{1,3} ", text[start + len(heading) :], flags=re.M)
    body = text[start : start + len(heading) + (following.start() if following else len(text))]
    commands = []
    for block in re.findall(r"^```\n(.*?)^```", body, flags=re.M | re.S):
        joined = re.sub(r"\\\n\s*", " ", block)
        for line in joined.splitlines():
            line = re.sub(r"\s+#.*$", "", line)
            line = re.sub(r"\s*\[[^\]]*\]", "", line).strip()
            if line.startswith("credkit "):
                commands.append(line)
    return commands


def test_readme_commands_are_found():
    found = readme_commands(SECTIONS[0])
    assert found[0] == "credkit spec check specs/data-analytics-fundamentals.yaml"
    assert any(c.startswith("credkit forms publish") for c in found)
    assert all("#" not in c and "[" not in c for c in found)


@pytest.fixture
def example_copy(tmp_path, monkeypatch):
    for name in ("specs", "item_bank"):
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "reports").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("heading", SECTIONS)
def test_readme_section_runs(heading, example_copy):
    runner = CliRunner()
    commands = readme_commands(heading)
    assert commands
    for command in commands:
        result = runner.invoke(main, shlex.split(command)[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{command}\n{result.output}"


def test_readme_commands_on_the_built_example_run(example_copy):
    """Commands that read the example's published forms and its report's params.csv (the rest of
    the cut-score tour uses placeholder files)."""
    runner = CliRunner()
    build = runner.invoke(main, ["build", "specs/data-analytics-fundamentals.yaml"])
    assert build.exit_code == 0, build.output
    commands = [
        c
        for heading in ("### Cut scores and decision accuracy",)
        for c in readme_commands(heading)
        if "reports/data-analytics-fundamentals/params.csv" in c
    ]
    assert len(commands) == 3
    for command in commands:
        result = runner.invoke(main, shlex.split(command)[1:], catch_exceptions=False)
        assert result.exit_code == 0, f"{command}\n{result.output}"
