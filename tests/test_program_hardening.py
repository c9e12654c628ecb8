"""Malformed program inputs get one clear error: an empty required block, a FIFO as an
administration's responses, a form id with a trailing newline."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from psychometrics.cli import main
from psychometrics.errors import InputError
from psychometrics.program.forms.model import FORM_ID_PATTERN

ROOT = Path(__file__).resolve().parent.parent
SPEC = "data-analytics-fundamentals.yaml"


@pytest.fixture
def spec_copy(tmp_path):
    for name in ("specs", "item_bank"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path / "specs" / SPEC


@pytest.mark.parametrize("block", ["credential", "outcomes", "bank", "form"])
def test_a_null_required_block_is_an_error_on_its_line(spec_copy, block):
    lines = spec_copy.read_text().splitlines(keepends=True)
    start = next(k for k, line in enumerate(lines) if line.startswith(f"{block}:"))
    end = next(
        (k for k in range(start + 1, len(lines)) if lines[k][:1] not in (" ", "\n", "#")),
        len(lines),
    )
    text = "".join(lines[:start] + [f"{block}: null\n"] + lines[end:])
    spec_copy.write_text(text)
    result = CliRunner().invoke(main, ["spec", "check", str(spec_copy)])
    assert result.exit_code == 1
    assert f"{SPEC}:{start + 1}: {block}: the block is empty (null)" in result.output


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_spec_check_refuses_a_fifo_as_responses_without_reading_it(spec_copy):
    responses = spec_copy.parent / "data" / "responses.csv"
    responses.unlink()
    os.mkfifo(responses)  # opening it for reading would block forever
    result = CliRunner().invoke(main, ["spec", "check", str(spec_copy)])
    assert result.exit_code == 1
    assert re.search(r"responses.*not a (regular )?file", result.output), result.output


@pytest.mark.parametrize("form_id", ["form-A\n", "form-A\r", " form-A", ""])
def test_form_ids_must_match_whole(form_id):
    assert FORM_ID_PATTERN.fullmatch(form_id) is None


def test_a_form_id_with_a_trailing_newline_is_refused():
    from psychometrics.bank import load_bank
    from psychometrics.program.forms import form_from_items

    bank = load_bank(ROOT / "item_bank")
    with pytest.raises(InputError, match="form"):
        form_from_items("form-A\n", ["DA-0002"], bank=bank, credential_id="c")
