"""The shared item inputs (--bank, --params, --form, --key) on every command that reads items,
checked on the worked example against values computed here from the raw files."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from psychometrics.cli import main

ROOT = Path(__file__).resolve().parent.parent
RESPONSES = ROOT / "specs" / "data" / "responses.csv"
FORMS = ROOT / "specs" / "forms" / "data-analytics-fundamentals"
FORM_A, FORM_B = FORMS / "form-A.yaml", FORMS / "form-B.yaml"
BANK = ROOT / "item_bank"


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def form_items(path: Path) -> list[str]:
    return [entry["id"] for entry in yaml.safe_load(path.read_text())["items"]]


def item_file(item_id: str) -> dict:
    return yaml.safe_load((BANK / "items" / f"{item_id}.yaml").read_text())


def expected_sum_scores(form_path: Path, form_id: str) -> dict[str, int]:
    """Raw scores from the CSV and the item files' keys, without credkit."""
    items = form_items(form_path)
    keys = {i: item_file(i).get("key") for i in items}
    out = {}
    with RESPONSES.open(newline="") as handle:
        for row in csv.DictReader(handle):
            if row["form"] != form_id:
                continue
            total = 0
            for item in items:
                cell = row[item].strip()
                if keys[item] is None:  # a rubric item: the integer score
                    total += int(cell) if cell not in ("", "*") else 0
                else:
                    total += cell == keys[item]
            out[row["person_id"]] = total
    return out


def test_score_with_bank_and_form_scores_the_form_takers_only(tmp_path):
    out = tmp_path / "scores.csv"
    r = run("score", RESPONSES, "--bank", BANK, "--form", FORM_A, "--out", out)
    assert r.exit_code == 0, r.output
    assert "form form-A" in r.output
    with out.open() as handle:
        got = {row["person_id"]: int(row["sum_score"]) for row in csv.DictReader(handle)}
    assert got == expected_sum_scores(FORM_A, "form-A")


def test_score_table_and_info_take_the_forms_items():
    items = form_items(FORM_A)
    max_score = sum(
        (item_file(i).get("max_score") or 1) if item_file(i).get("key") is None else 1
        for i in items
    )
    r = run("score-table", "--bank", BANK, "--form", FORM_A, "--json")
    assert r.exit_code == 0, r.output
    table = json.loads(r.output)
    assert [row["sum_score"] for row in table["rows"]] == list(range(max_score + 1))
    r = run("info", "--bank", BANK, "--form", FORM_B)
    assert r.exit_code == 0 and r.output.startswith(f"{len(form_items(FORM_B))} items")


def test_a_missing_parameter_file_is_named():
    r = run("score", RESPONSES, "--params", BANK / "x.csv", "--form", FORM_A)
    assert r.exit_code == 1 and "x.csv: file not found" in r.output


def test_letters_scored_without_a_key_say_how_to_give_one(tmp_path):
    from psychometrics.bank import bank_parameters, load_bank
    from psychometrics.irt.params_io import params_to_csv

    params = tmp_path / "params.csv"
    params.write_text(params_to_csv(bank_parameters(load_bank(BANK), item_ids=form_items(FORM_A))))
    r = run("score", RESPONSES, "--params", params, "--form", FORM_A)
    assert r.exit_code == 1
    assert "is not an integer score" in r.output and "--bank" in r.output and "--key" in r.output
    r = run("score", RESPONSES, "--params", params, "--bank", BANK, "--form", FORM_A)
    assert r.exit_code == 0, r.output


def test_a_column_outside_the_bank_is_named_with_a_hint():
    r = run("score", RESPONSES, "--bank", BANK)
    assert r.exit_code == 1
    assert "column 'group' is not an item of the bank" in r.output and "--ignore group" in r.output


def test_neither_params_nor_bank_is_one_line():
    r = run("info", "--form", FORM_A)
    assert r.exit_code == 1 and "--params" in r.output and "--bank" in r.output


@pytest.mark.slow
def test_fit_runs_form_by_form_on_a_two_form_file(tmp_path):
    lz = tmp_path / "lz.csv"
    r = run("fit", RESPONSES, "--bank", BANK, "--ignore", "group", "--persons-out", lz)
    assert r.exit_code == 0, r.output
    assert "Form form-A" in r.stdout and "Form form-B" in r.stdout
    with lz.open() as handle:
        rows = list(csv.DictReader(handle))
    counts = {f: sum(row["form"] == f for row in rows) for f in ("form-A", "form-B")}
    assert counts == {
        "form-A": len(expected_sum_scores(FORM_A, "form-A")),
        "form-B": len(expected_sum_scores(FORM_B, "form-B")),
    }


def test_dimensionality_of_one_published_form():
    r = run("dimensionality", RESPONSES, "--bank", BANK, "--form", FORM_A, "--kind", "pearson")
    assert r.exit_code == 0, r.output
    assert "correlations of 40 items" in r.stdout
    assert "negative eigenvalue" not in r.stdout


def test_equate_takes_published_forms_and_a_form_equates_to_itself():
    r = run("equate", "--from", FORM_A, "--to", FORM_A, "--bank", BANK, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert out["form_x"] == "form-A"
    above = [(r["raw_x"], r["equivalent_y"]) for r in out["rows"] if r["region"] != "interpolated"]
    assert above and all(abs(x - y) < 1e-6 for x, y in above)
    r = run("equate", "--from", FORM_B, "--to", FORM_A)
    assert r.exit_code == 1 and "is a form: give --bank" in r.output


def test_link_needs_exactly_one_base(tmp_path):
    r = run("link", "--new", RESPONSES, "--bank", BANK, "--base", RESPONSES)
    assert r.exit_code == 1 and "one of them" in r.output


def test_analyze_one_published_form():
    r = run("analyze", RESPONSES, "--bank", BANK, "--form", FORM_A, "--json")
    assert r.exit_code == 0, r.output
    out = json.loads(r.output)
    assert [row["item_id"] for row in out["items"]] == form_items(FORM_A)
    assert out["test"]["n_persons"] == len(expected_sum_scores(FORM_A, "form-A"))


def test_livingston_lewis_names_the_score_above_the_maximum(tmp_path):
    scores = tmp_path / "scores.csv"
    scores.write_text("person_id,score\nP1,12\nP2,41\nP3,39\n")
    r = run(
        "classify", "--method", "livingston-lewis", "--scores", scores, "--cut", "24",
        "--reliability", ".88", "--max-score", "40",
    )  # fmt: skip
    assert r.exit_code == 1
    assert f"{scores}:3: score: score 41 is outside" in r.output


def test_lee_states_theta_and_raw_cuts():
    r = run("classify", "--bank", BANK, "--form", FORM_A, "--cut", "-0.4", "--method", "lee")
    assert r.exit_code == 0, r.output
    first = r.output.splitlines()[0]
    assert "theta cut -0.4, raw cut" in first and "on raw)" not in first


def test_cut_score_commands_read_credkits_own_score_file(tmp_path):
    out = tmp_path / "scores.csv"
    assert run("score", RESPONSES, "--bank", BANK, "--form", FORM_A, "--out", out).exit_code == 0
    r = run(
        "cutscore", "hofstee", "--scores", out, "--min-cut", "20", "--max-cut", "28",
        "--min-fail", "0.2", "--max-fail", "0.5", "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    assert 20 <= json.loads(r.output)["raw_cut"] <= 28


@pytest.fixture
def spec_copy(tmp_path):
    for name in ("specs", "item_bank"):
        shutil.copytree(ROOT / name, tmp_path / name)
    return tmp_path / "specs" / "data-analytics-fundamentals.yaml"


def test_spec_check_names_a_group_column_the_responses_lack(spec_copy):
    text = spec_copy.read_text()
    spec_copy.write_text(text.replace("    group: group ", "    group: gendr "))
    r = run("spec", "check", spec_copy)
    assert r.exit_code == 1
    assert "administrations[0].group: 'gendr' is not a column of the responses" in r.output


def test_spec_check_misspelled_method_is_one_error_not_also_a_missing_block(spec_copy):
    text = spec_copy.read_text()
    assert "  method: angoff" in text
    spec_copy.write_text(text.replace("  method: angoff", "  method: angof", 1))
    r = run("spec", "check", spec_copy)
    assert r.exit_code == 1
    assert "did you mean 'angoff'?" in r.output
    assert "no cut_score block" not in r.output


def test_observed_score_equating_of_a_form_to_itself_is_the_identity():
    r = run(
        "equate", "--from", FORM_B, "--to", FORM_B, "--bank", BANK, "--method", "observed-score",
        "--json",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    rows = json.loads(r.output)["rows"]
    assert [row["raw_x"] for row in rows] == list(range(len(rows)))
    assert all(abs(row["equivalent_y"] - row["raw_x"]) < 1e-6 for row in rows)


def test_reliability_formula_and_wle_se_options_reach_the_output():
    r = run("info", "--bank", BANK, "--form", FORM_A, "--reliability-formula", "mean_reliability")
    assert r.exit_code == 0 and "(mean_reliability)" in r.output.splitlines()[0]
    both = {}
    for how in ("information", "curvature"):
        r = run(
            "score", RESPONSES, "--bank", BANK, "--form", FORM_A, "--method", "wle",
            "--wle-se", how, "--json",
        )  # fmt: skip
        assert r.exit_code == 0, r.output
        both[how] = json.loads(r.stdout)
    info, curv = (both[k]["persons"] for k in ("information", "curvature"))
    assert [p["theta"] for p in info] == [p["theta"] for p in curv]
    assert both["information"]["se_method"] != both["curvature"]["se_method"]
    assert [p["se"] for p in info] != [p["se"] for p in curv]
