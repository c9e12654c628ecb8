"""The README is executable: every ``credkit`` command it shows runs, in order, as written.

Every fenced code block of README.md is read; each ``credkit`` command in it (backslash
continuations joined, a ``... && credkit ...`` set-up line included) is run in document order in
one temporary copy of the repository's example files. Each must exit 0, unless the line is marked
``# fails: <why>``, in which case it must exit 1 or 2 with one line on stderr and no traceback.
The README's tour builds on itself (a calibration's ``params.csv`` is scored later), so the order
matters and one copy serves the whole tour.
"""

from __future__ import annotations

import re
import shlex
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner

from psychometrics.cli import main

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
COPIED = ("specs", "item_bank")
EXPECTED_FAILURE = re.compile(r"#\s*fails:\s*(?P<why>.+)$")


@dataclass(frozen=True)
class ReadmeCommand:
    line: int
    text: str
    fails: bool

    @property
    def args(self) -> list[str]:
        return shlex.split(self.text)[1:]


def readme_commands(text: str | None = None) -> list[ReadmeCommand]:
    """Every credkit command of the README's fenced code blocks, in document order."""
    text = README.read_text(encoding="utf-8") if text is None else text
    commands = []
    for match in re.finditer(r"^```[a-z]*\n(.*?)^```", text, flags=re.M | re.S):
        first_line = text.count("\n", 0, match.start(1)) + 1
        logical: list[tuple[int, str]] = []
        pending = ""
        logical_start = first_line
        for offset, raw in enumerate(match.group(1).splitlines()):
            start = first_line + offset if not pending else logical_start
            if raw.rstrip().endswith("\\") and not raw.lstrip().startswith("#"):
                if not pending:
                    logical_start = first_line + offset
                pending += raw.rstrip()[:-1] + " "
                continue
            logical.append((start, pending + raw))
            pending = ""
        for line_no, line in logical:
            fails = EXPECTED_FAILURE.search(line) is not None
            code = re.sub(r"(^|\s)#.*$", "", line).strip()
            code = code.split("&&")[-1].strip() if "&&" in code else code
            if code.startswith("credkit "):
                commands.append(ReadmeCommand(line_no, " ".join(code.split()), fails))
    return commands


def test_commands_are_read_with_continuations_comments_and_set_up_lines():
    text = (
        "```\npython -m pip install -e . && credkit build a.yaml\n```\n"
        "text\n```\ncredkit score r.csv --bank b \\\n    --out s.csv   # scores\n"
        "credkit classify --cut 99   # fails: outside the scale\n# credkit not-a-command\n```\n"
    )
    found = readme_commands(text)
    assert [c.text for c in found] == [
        "credkit build a.yaml",
        "credkit score r.csv --bank b --out s.csv",
        "credkit classify --cut 99",
    ]
    assert [c.fails for c in found] == [False, False, True]
    assert [c.line for c in found] == [2, 6, 8]


def test_the_readme_has_no_placeholder_files_or_optional_brackets():
    for command in readme_commands():
        assert "[" not in command.text, command
        assert not re.search(r"\b[A-Z_]{4,}\.(csv|yaml|zip)\b", command.text), command


@pytest.fixture
def example_copy(tmp_path, monkeypatch):
    for name in COPIED:
        shutil.copytree(ROOT / name, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "reports").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.slow
def test_every_readme_command_runs_in_order(example_copy):
    runner = CliRunner()
    commands = readme_commands()
    assert len(commands) >= 40
    for command in commands:
        result = runner.invoke(main, command.args)
        where = f"README.md:{command.line}: {command.text}\n{result.output}"
        assert result.exception is None or isinstance(result.exception, SystemExit), (
            f"{where}\n{result.exc_info}"
        )
        if command.fails:
            assert result.exit_code in (1, 2), where
            assert "Traceback" not in result.output, where
        else:
            assert result.exit_code == 0, where
