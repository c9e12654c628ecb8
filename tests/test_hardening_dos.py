"""Denial of service: long cells, devices and FIFOs, and huge rounds give one clear error fast."""

from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest
from click.testing import CliRunner
from test_bank_lint import BASE, OTHER, write_bank

from psychometrics.bank.store import read_item_file
from psychometrics.cli import main
from psychometrics.errors import InputError
from psychometrics.fileio import read_user_text
from psychometrics.responses import MAX_CELL_CHARS, ItemKey, read_responses
from psychometrics.standard_setting.ratings import read_ratings

KEY = {f"I{j}": ItemKey(options=("A", "B", "C", "D"), correct=frozenset("A")) for j in range(3)}


def _wide(tmp_path, rows: list[list[str]]) -> str:
    path = tmp_path / "resp.csv"
    text = "person_id,I0,I1,I2\n" + "".join(",".join(r) + "\n" for r in rows)
    path.write_text(text)
    return str(path)


@pytest.mark.parametrize("length", [100_000, 10_000, MAX_CELL_CHARS + 1])
def test_a_long_cell_is_one_error_naming_its_line_and_column(tmp_path, length):
    rows = [[f"P{k}", "A", "B", "C"] for k in range(600)]
    rows[417][2] = "B" * length
    path = _wide(tmp_path, rows)
    with pytest.raises(InputError) as info:
        read_responses(path, key=KEY)
    err = info.value
    assert err.line == 419 and err.field == "I1" and "more than" in err.message


def test_a_long_cell_over_the_csv_field_limit_is_an_error_not_a_csv_error(tmp_path):
    path = _wide(tmp_path, [["P1", "A", "A", "A"], ["P2", '"' + "x" * 140_000 + '"', "A", "A"]])
    with pytest.raises(InputError, match="resp.csv:3"):
        read_responses(path)


def test_a_repeated_letter_is_not_read_as_that_letter(tmp_path):
    path = _wide(tmp_path, [["P1", "A", "B", "C"], ["P2", "A" * 1000, "B", "C"]])
    with pytest.raises(InputError, match=r"resp.csv:3: I0: response 'AAAA"):
        read_responses(path, key=KEY)
    ok = read_responses(_wide(tmp_path, [["P1", "A", " B ", "c"]]), key=KEY)
    assert ok.scores.tolist() == [[1, 0, 0]]


def test_long_cells_within_the_limit_do_not_size_every_cell(tmp_path):
    """Whitespace-padded valid cells: read correctly; the raw text keeps its narrow width."""
    rows = [[f"P{k}", "A", "B", "D"] for k in range(300)]
    rows[5][1] = " " * (MAX_CELL_CHARS - 2) + "A"
    result = read_responses(_wide(tmp_path, rows), key=KEY)
    assert result.scores[5].tolist() == [1, 0, 0]
    assert result.raw.dtype.itemsize <= 4  # U1: the stripped responses, not the padded cell


def test_reading_in_blocks_gives_the_same_matrix(tmp_path, monkeypatch):
    import psychometrics.responses as responses

    rng = np.random.default_rng(3)
    letters = np.array(["A", "B", "C", "D", "", "*"])
    rows = [[f"P{k}", *letters[rng.integers(0, 6, 3)]] for k in range(500)]
    path = _wide(tmp_path, rows)
    whole = read_responses(path, key=KEY)
    monkeypatch.setattr(responses, "BLOCK_CHARS", 64)  # a handful of rows per block
    blocks = read_responses(path, key=KEY)
    assert blocks.person_ids == whole.person_ids
    assert np.array_equal(blocks.scores, whole.scores)
    assert np.array_equal(blocks.omitted, whole.omitted)
    assert np.array_equal(blocks.raw, whole.raw)
    rows[400][0] = "P7"
    with pytest.raises(
        InputError, match=r"resp.csv:402: duplicate person id 'P7' \(first on line 9\)"
    ):
        read_responses(_wide(tmp_path, rows), key=KEY)


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
@pytest.mark.parametrize("reader", [read_user_text, read_responses, read_ratings])
def test_devices_are_refused_before_reading(reader):
    with pytest.raises(InputError, match="/dev/zero: not a regular file"):
        reader("/dev/zero")


@pytest.mark.skipif(not os.path.exists("/dev/zero"), reason="needs /dev/zero")
def test_a_device_as_item_file_is_a_finding():
    item, findings = read_item_file("/dev/zero")
    assert item is None and "not a regular file" in findings[0].message


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_fifo_is_refused_without_hanging(tmp_path):
    fifo = tmp_path / "responses.csv"
    os.mkfifo(fifo)
    # a child process, so that a hang fails the test by timeout instead of blocking the run
    code = (
        "import sys\n"
        "from psychometrics.cli import main\n"
        "sys.argv = ['credkit', 'analyze', sys.argv[1]]\n"
        "main()\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, str(fifo)], capture_output=True, text=True, timeout=120
    )
    assert result.returncode != 0
    assert "not a regular file" in result.stderr and "Traceback" not in result.stderr


def test_bank_lint_skips_a_fifo_item_file(tmp_path):
    if not hasattr(os, "mkfifo"):
        pytest.skip("needs FIFOs")
    bank = write_bank(tmp_path, BASE, OTHER)
    os.mkfifo(bank / "items" / "DA-0003.yaml")
    result = CliRunner().invoke(main, ["bank", "lint", str(bank)])  # must not block on it
    assert result.exit_code == 0 and "2 item files" in result.output
