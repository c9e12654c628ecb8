"""``credkit calibrate --model nominal``: keyed items by the option chosen, on the example bank."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from psychometrics.bank import bank_keys, load_bank
from psychometrics.cli import main
from psychometrics.irt.params_io import read_params

ROOT = Path(__file__).resolve().parent.parent
RESPONSES = ROOT / "item_bank" / "calibration" / "responses.csv"
BANK = ROOT / "item_bank"


def _run(*args):
    base = ["calibrate", str(RESPONSES), "--bank", str(BANK), "--ignore", "booklet"]
    return CliRunner().invoke(main, base + [str(a) for a in args])


@pytest.fixture(scope="module")
def fitted(tmp_path_factory):
    out = tmp_path_factory.mktemp("nominal") / "params.csv"
    res = _run("--model", "nominal", "--poly-model", "grm", "--se", "none", "--out", out)
    assert res.exit_code == 0, res.output
    return read_params(out), out


def test_keyed_items_are_nominal_with_one_category_per_chosen_option(fitted):
    fitted, _ = fitted
    key = bank_keys(load_bank(BANK))
    single = {i for i, k in key.items() if k.is_keyed and len(k.correct) == 1}
    models = dict(zip(fitted.item_ids, fitted.model, strict=True))
    nominal = {i for i, m in models.items() if m == "nominal"}
    assert nominal and nominal == single & set(models)
    for j, item in enumerate(fitted.item_ids):
        if models[item] == "nominal":
            k = int(fitted.n_categories[j])
            assert 2 <= k <= len(key[item].options)
            assert fitted.ak[j, 0] == 0 and fitted.ak[j, k - 1] == k - 1
            # the options file column names each category's letter, the key last
            names = fitted.options[j]
            assert len(names) == k and names[-1] in key[item].correct
            assert set(names) <= set(key[item].options)
        elif key[item].is_keyed:  # multiple-select items keep their 0/1 scores
            assert models[item] == "2pl"
        else:
            assert models[item] == "grm"
    # the key (coded last) is the most attractive option for able candidates on most items:
    # its slope a (K - 1) exceeds every distractor's a ak_k
    rows = [j for j, m in enumerate(fitted.model) if m == "nominal"]
    key_best = [
        np.all(fitted.ak[j, : int(fitted.n_categories[j]) - 1] < fitted.n_categories[j] - 1)
        for j in rows
    ]
    assert np.mean(key_best) > 0.9


def test_table_shows_scoring_functions(tmp_path):
    res = _run(
        "--model", "nominal", "--poly-model", "grm", "--se", "none", "--out", tmp_path / "p.csv"
    )
    assert res.exit_code == 0, res.output
    nominal_lines = [line for line in res.output.splitlines() if " nominal " in line]
    assert nominal_lines and all("ak: 0.000 " in line for line in nominal_lines)


def test_rubric_items_need_poly_model(tmp_path):
    res = _run("--model", "nominal", "--out", tmp_path / "p.csv")
    assert res.exit_code != 0
    assert "--poly-model" in res.output and "Traceback" not in res.output
    assert not (tmp_path / "p.csv").exists()


def test_no_bank_update_with_nominal(tmp_path):
    res = _run(
        "--model", "nominal", "--poly-model", "grm", "--update-bank", "--out", tmp_path / "p.csv"
    )
    assert res.exit_code != 0
    assert "nominal" in res.output and "Traceback" not in res.output


def test_score_with_nominal_parameters(fitted, tmp_path):
    _, params_path = fitted
    out = tmp_path / "scores.csv"
    args = ["score", RESPONSES, "--bank", BANK, "--params", params_path, "--ignore", "booklet"]
    res = CliRunner().invoke(main, [str(a) for a in args] + ["--out", str(out)])
    assert res.exit_code == 0, res.output
    theta = np.loadtxt(out, delimiter=",", skiprows=1, usecols=1)
    assert theta.size == 3000 and np.all(np.isfinite(theta))
    assert 0.8 < theta.std() < 1.1  # EAP under N(0, 1) on a long test


def test_sparse_path_refuses_option_letters(tmp_path):
    long_file = tmp_path / "long.csv"
    long_file.write_text("person_id,item_id,response\nP1,DA-0002,A\nP2,DA-0002,B\n")
    args = ["calibrate", long_file, "--long", "--bank", BANK, "--model", "nominal"]
    args += ["--scheduler", "local", "--out", tmp_path / "p.csv"]
    res = CliRunner().invoke(main, [str(a) for a in args])
    assert res.exit_code != 0
    assert "in-memory path" in res.output and "Traceback" not in res.output
