"""Silent acceptance, one test per defect of issue 17: every invalid input is one clear error."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from test_bank_lint import BASE, OTHER, write_bank

from psychometrics.bank import lint_bank, load_bank
from psychometrics.bank.fmt import format_bank
from psychometrics.bank.newitem import new_item
from psychometrics.bank.parse import ID_PATTERN
from psychometrics.bank.yamlio import dump_item, parse_yaml
from psychometrics.cli import main
from psychometrics.errors import InputError
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.params_io import read_params
from psychometrics.standard_setting.angoff import angoff
from psychometrics.standard_setting.ratings import read_ratings

ROOT = Path(__file__).resolve().parents[1]


# ---------------------------------------------------------------- duplicate YAML keys


@pytest.mark.parametrize("field, second", [("key", "key: A\n"), ("status", "status: draft\n")])
def test_a_duplicate_top_level_key_is_an_error_with_its_line(tmp_path, field, second):
    folder = write_bank(tmp_path, BASE, OTHER)
    path = folder / "items" / "DA-0001.yaml"
    text = path.read_text() + second
    path.write_text(text)
    n_lines = text.count("\n")
    report = lint_bank(folder)
    assert not report.ok
    (error,) = [f for f in report.errors if f.file == str(path)]
    assert error.line == n_lines and f"duplicate key '{field}'" in error.message
    with pytest.raises(InputError, match=f"DA-0001.yaml:{n_lines}: .*duplicate key '{field}'"):
        load_bank(folder)


def test_a_duplicate_nested_key_is_an_error():
    text = "options:\n  A: one\n  B: two\n  A: three\n"
    with pytest.raises(InputError, match=r"x.yaml:4: yaml: duplicate key 'A' \(first on line 2\)"):
        parse_yaml(text, file="x.yaml")
    with pytest.raises(InputError, match="duplicate key 'a'"):
        parse_yaml("irt: {a: 1, a: 2}\n")
    data, _ = parse_yaml("score_levels: {1: x, '1': y}\n")  # an int and a string: two keys
    assert len(data["score_levels"]) == 2


# ---------------------------------------------------------------- out-of-model parameters


def _params_file(tmp_path, body: str, header="item_id,model,a,b,c") -> Path:
    path = tmp_path / "params.csv"
    path.write_text(header + "\n" + body)
    return path


@pytest.mark.parametrize(
    "header, row, field, words",
    [
        ("item_id,model,a,b1,b2,b3", "R1,grm,1.2,0.5,-0.3,1.0", "b2", "must increase"),
        ("item_id,model,a,b1,b2", "R1,grm,1.2,0.5,0.5", "b2", "must increase"),
        ("item_id,model,a,b,c", "I1,2pl,1.0,1e308,", "b", "outside"),
        ("item_id,model,a,b,c", "I1,2pl,1e308,0.1,", "a", "slope"),
        ("item_id,model,a,b,c", "I1,3pl,1.0,0.1,1.5", "c", "[0, 1)"),
        ("item_id,model,a,b,c", "I1,2pl,1.0,0.1,0.2", "c", "no lower asymptote"),
        ("item_id,model,a,b,c,se_a", "I1,2pl,1.0,0.1,,-0.1", "se_a", "standard error"),
        ("item_id,model,a,b,c", "I1,2pl,1.0,inf,", "b", "finite"),
    ],
)
def test_out_of_model_parameters_are_refused_with_line_and_field(
    tmp_path, header, row, field, words
):
    path = _params_file(tmp_path, "OK1,2pl,1.0,0.0,\n" + row + "\n", header=header)
    if "b1" in header:
        path = _params_file(tmp_path, row + "\n", header=header)
    with pytest.raises(InputError) as info:
        read_params(path)
    err = info.value
    assert err.file == str(path) and err.field == field and words in err.message
    assert err.line == (2 if "b1" in header else 3)


def test_disordered_partial_credit_steps_stay_legal(tmp_path):
    """Step parameters of the (generalized) partial credit model may be reversed (Masters 1982),
    unlike graded-response boundaries."""
    path = _params_file(tmp_path, "R1,gpcm,1.0,0.8,-0.4\n", header="item_id,model,a,b1,b2")
    params = read_params(path)
    assert params.b[0, 0] == 0.8 and params.b[0, 1] == -0.4


def test_cli_score_refuses_disordered_grm_thresholds(tmp_path):
    path = _params_file(tmp_path, "R1,grm,1.2,0.5,-0.3\n", header="item_id,model,a,b1,b2")
    (tmp_path / "resp.csv").write_text("person_id,R1\nP1,1\nP2,2\n")
    result = CliRunner().invoke(main, ["score", str(tmp_path / "resp.csv"), "--params", str(path)])
    assert result.exit_code != 0
    assert "params.csv:2: b2: item 'R1': graded-response thresholds must increase" in result.output
    assert "Traceback" not in result.output


def test_bank_rejects_non_finite_and_absurd_irt_values(tmp_path):
    for value in (".nan", ".inf", "1e308"):
        item = copy.deepcopy(BASE)
        folder = write_bank(tmp_path / value.strip("."), item, OTHER)
        path = folder / "items" / "DA-0001.yaml"
        path.write_text(path.read_text().replace("b: 0.2", f"b: {value}"))
        with pytest.raises(InputError, match="DA-0001.yaml:.*irt"):
            load_bank(folder)


# ---------------------------------------------------------------- Angoff rounds


def _angoff_files(tmp_path, extra_rows: str):
    ids = ("I1", "I2", "I3")
    params = ItemParameters(
        item_ids=ids, model=("2pl",) * 3, a=np.ones(3), b=np.array([-0.5, 0.0, 0.5]), c=np.zeros(3)
    )
    rows = "".join(f"{r},{i},0.6,2\n" for r in ("R1", "R2") for i in ids)
    path = tmp_path / "ratings.csv"
    path.write_text("rater,item_id,rating,round\n" + extra_rows + rows)
    return path, params


@pytest.mark.parametrize(
    "row, field, words",
    [
        ("R1,I1,1.5,1\n", "rating", "exceeds its maximum score 1"),
        ("R1,I1,101,1\n", "rating", "exceeds its maximum score 1"),
    ],
)
def test_invalid_rows_of_a_round_not_analysed_are_errors(tmp_path, row, field, words):
    path, params = _angoff_files(tmp_path, row)
    ratings = read_ratings(path)
    with pytest.raises(InputError) as info:
        angoff(ratings, params, round=2)
    assert info.value.line == 2 and info.value.field == field and words in info.value.message


@pytest.mark.parametrize(
    "row, words",
    [
        ("R1,I1,0.5,\n", "missing round"),
        ("R1,I1,0.5,9223372036854775809\n", "round must be in 1..1000"),
        ("R1,I1,0.5,1.5\n", "not a positive integer round"),
        ("R1,I1,0.5,٣\n", "not a positive integer round"),
    ],
)
def test_bad_rounds_are_errors_when_reading(tmp_path, row, words):
    path, _ = _angoff_files(tmp_path, row)
    with pytest.raises(InputError, match=f"ratings.csv:2: round: .*{words}"):
        read_ratings(path)


def test_an_incomplete_round_not_analysed_is_left_out_with_a_warning(tmp_path):
    path, params = _angoff_files(tmp_path, "R1,I1,0.5,1\nR9,UNKNOWN,0.5,1\n")
    with pytest.warns(UserWarning, match="round 1 is left out"):
        result = angoff(read_ratings(path), params, round=2)
    assert list(result.round_cuts) == [2]


# ---------------------------------------------------------------- ids, bank new


@pytest.mark.parametrize("text", ["DA-7777\n", "DA-7777\n\n", "DA 7777", "", "-DA", "A" * 65])
def test_id_pattern_refuses_trailing_newlines_and_other_junk(text):
    assert not ID_PATTERN.match(text)


def test_an_item_id_with_a_trailing_newline_is_refused(tmp_path):
    item = {**copy.deepcopy(BASE), "id": "DA-0001\n", "enemies": []}
    folder = tmp_path / "bank" / "items"
    folder.mkdir(parents=True)
    (folder / "DA-0001.yaml").write_text(dump_item(item))
    with pytest.raises(InputError, match="id"):
        load_bank(folder.parent)


def _program(tmp_path) -> Path:
    shutil.copytree(ROOT / "specs", tmp_path / "specs", ignore=shutil.ignore_patterns("data"))
    bank = write_bank(tmp_path, BASE, OTHER)
    (tmp_path / "item_bank").symlink_to(bank, target_is_directory=True)
    return tmp_path / "item_bank"


def test_bank_new_refuses_an_outcome_the_specs_do_not_have(tmp_path):
    bank = _program(tmp_path)
    runner = CliRunner()
    bad = runner.invoke(main, ["bank", "new", "--outcome", "DA9", "--bank", str(bank)])
    assert bad.exit_code == 1
    assert (
        "'DA9' is not an outcome of" in bad.output and "data-analytics-fundamentals" in bad.output
    )
    assert "did you mean 'DA" in bad.output
    assert sorted(p.name for p in (bank / "items").iterdir()) == ["DA-0001.yaml", "DA-0002.yaml"]
    good = runner.invoke(main, ["bank", "new", "--outcome", "DA6", "--bank", str(bank)])
    assert good.exit_code == 0, good.output


def test_bank_new_without_a_spec_checks_the_items_outcomes(tmp_path):
    bank = write_bank(tmp_path, BASE, OTHER)  # no specs/ folder: the items name DA1 only
    bad = CliRunner().invoke(main, ["bank", "new", "--outcome", "XX1", "--bank", str(bank)])
    assert bad.exit_code == 1 and "the bank's items" in bad.output
    spec = ROOT / "specs" / "data-analytics-fundamentals.yaml"
    ok = CliRunner().invoke(
        main, ["bank", "new", "--outcome", "DA4", "--bank", str(bank), "--spec", str(spec)]
    )
    assert ok.exit_code == 0, ok.output
    with pytest.raises(InputError, match="--outcome"):
        new_item(bank, outcome="DA9", outcomes=("DA1", "DA2"), outcomes_source="spec.yaml")


def test_files_made_by_bank_new_are_checked_by_format(tmp_path):
    bank = write_bank(tmp_path, BASE, OTHER)
    made = [new_item(bank, outcome="DA1", item_type=kind) for kind in ("mcq", "msq", "rubric")]
    result = format_bank(bank, check=True)
    assert result.skipped == () and result.changed == ()
    assert result.unchanged == 2 + len(made)
    made[0].write_text(made[0].read_text().replace("version: 1\n", "") + "version: 1\n")
    assert format_bank(bank, check=True).changed == (str(made[0]),)


# ---------------------------------------------------------------- items: prose, control characters


@pytest.mark.parametrize(
    "change, field, rule",
    [
        ({"stem": 12}, "stem", "bad-type"),
        ({"rationale": 3.5}, "rationale", "bad-type"),
        ({"stem": "Which is\x00 right?\n"}, "stem", "control-character"),
        (
            {"options": {**BASE["options"], "C": "In\x1b[31mterval"}},
            "options.C",
            "control-character",
        ),
    ],
)
def test_numbers_as_prose_and_control_characters_are_errors(tmp_path, change, field, rule):
    folder = write_bank(tmp_path, {**copy.deepcopy(BASE), **change}, OTHER)
    report = lint_bank(folder)
    assert [(f.field, f.rule) for f in report.errors] == [(field, rule)]
    with pytest.raises(InputError, match=field.replace(".", r"\.")):
        load_bank(folder)


def test_tabs_and_newlines_in_text_stay_legal(tmp_path):
    folder = write_bank(tmp_path, {**copy.deepcopy(BASE), "stem": "a\tb\n\nc\n"}, OTHER)
    assert load_bank(folder)["DA-0001"].stem == "a\tb\n\nc\n"


@pytest.mark.parametrize("other_enemies, rule", [([], "not-mutual"), (None, "missing")])
def test_loading_the_bank_enforces_the_enemy_rules(tmp_path, other_enemies, rule):
    items = [copy.deepcopy(BASE)]
    if other_enemies is not None:
        items.append({**copy.deepcopy(OTHER), "enemies": other_enemies})
    folder = write_bank(tmp_path, *items)
    with pytest.raises(InputError, match=r"DA-0001.yaml:\d+: enemies\[0\]: enemy 'DA-0002'"):
        load_bank(folder)
    report = lint_bank(folder)
    assert [f.rule for f in report.errors] == [f"enemy-{rule}"]  # reported once


def test_assemble_with_an_empty_bank_is_one_error(tmp_path):
    shutil.copytree(ROOT / "specs", tmp_path / "specs", ignore=shutil.ignore_patterns("forms"))
    (tmp_path / "item_bank" / "items").mkdir(parents=True)
    result = CliRunner().invoke(
        main, ["assemble", str(tmp_path / "specs" / "data-analytics-fundamentals.yaml")]
    )
    assert result.exit_code == 1
    assert "item_bank" in result.output and "the bank holds no items" in result.output
    assert "Traceback" not in result.output
