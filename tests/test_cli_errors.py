"""Hostile and clumsy input to the finished ``credkit`` commands (reviewer R1).

Every case: exit status != 0, exactly one line on stderr naming the file, line or field, no
traceback, and nothing that was on disk before is lost or half-written.
"""

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from psychometrics.cli import main
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.params_io import write_params

IDS = tuple(f"I{j + 1}" for j in range(5))


@pytest.fixture
def files(tmp_path):
    a = np.array([0.99, 1.08, 1.71, 0.77, 0.74])
    d = np.array([1.86, 0.81, 1.81, 0.49, 1.85])
    params = tmp_path / "params.csv"
    write_params(
        params, ItemParameters(item_ids=IDS, model=("2pl",) * 5, a=a, b=-d / a, c=np.zeros(5))
    )
    rng = np.random.default_rng(7)
    data = (rng.random((60, 5)) < 0.7).astype(int)
    lines = ["person_id," + ",".join(IDS)]
    lines += [f"P{i}," + ",".join(map(str, row)) for i, row in enumerate(data)]
    resp = tmp_path / "responses.csv"
    resp.write_text("\n".join(lines) + "\n")
    header_only = tmp_path / "header.csv"
    header_only.write_text(lines[0] + "\n")
    return tmp_path, params, resp, header_only


def fails(*args, where):
    """Run ``credkit *args``; assert the one-line-error contract; return stderr."""
    result = CliRunner().invoke(main, [str(a) for a in args])
    err = result.stderr
    assert result.exit_code != 0, result.stdout
    assert "Traceback" not in err and not (
        result.exception is not None and not isinstance(result.exception, SystemExit)
    ), repr(result.exception)
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert str(where) in lines[0], lines[0]
    assert result.stdout == ""
    return lines[0]


def unchanged(path):
    before = path.read_bytes()

    class _Check:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            assert path.read_bytes() == before, f"{path} was modified"

    return _Check()


# --- scoring commands: an output path that is also an input ---------------------------------


def test_score_out_equal_to_responses_is_refused(files):
    tmp, params, resp, _ = files
    with unchanged(resp):
        fails("score", resp, "--params", params, "--out", resp, where=resp)


def test_score_table_and_info_out_equal_to_params_is_refused(files):
    tmp, params, resp, _ = files
    with unchanged(params):
        fails("score-table", "--params", params, "--out", params, where="--out")
        fails("info", "--params", params, "--out", tmp / "." / "params.csv", where="--out")
        fails("equate", "--from", params, "--to", params, "--out", params, where="--out")
        fails("link", "--new", params, "--base", params, "--out", params, where="--out")


def test_fit_outputs_equal_to_inputs_are_refused(files):
    tmp, params, resp, _ = files
    with unchanged(resp), unchanged(params):
        fails("fit", resp, "--params", params, "--persons-out", resp, where="--persons-out")
        fails("fit", resp, "--params", params, "--plot-data", params, where="--plot-data")


def test_output_under_a_file_is_one_line_not_a_traceback(files):
    tmp, params, resp, _ = files
    with unchanged(resp):
        bad = resp / "x.csv"
        fails("score", resp, "--params", params, "--out", bad, where=bad)
        fails("info", "--params", params, "--out", bad, where=bad)
        fails("equate", "--from", params, "--to", params, "--out", bad, where=bad)


def test_header_only_responses_are_an_error(files):
    tmp, params, resp, header = files
    fails("score", header, "--params", params, "--json", where=header)
    fails("dimensionality", header, "--json", where=header)


# --- analyze ---------------------------------------------------------------------------------


def test_analyze_out_equal_to_responses_is_refused(files):
    tmp, params, resp, _ = files
    with unchanged(resp):
        fails("analyze", resp, "--out", resp, where="--out")
        fails("analyze", resp, "--out", resp / "items.csv", where=resp)


def test_analyze_header_only_is_an_error(files):
    tmp, params, resp, header = files
    fails("analyze", header, "--json", where=header)


# --- cutscore --------------------------------------------------------------------------------


def test_cutscore_convert_non_finite_theta_is_one_line(files):
    tmp, params, resp, _ = files
    fails("cutscore", "convert", "--params", params, "--theta", "nan", "--json", where="--theta")
    fails("cutscore", "convert", "--params", params, "--raw", "inf", "--json", where="--raw")


def test_compromise_methods_refuse_negative_raw_scores(tmp_path):
    scores = tmp_path / "scores.csv"
    scores.write_text("person_id,score\n" + "".join(f"P{i},{i % 6}\n" for i in range(40)))
    scores.write_text(scores.read_text().replace("P3,3\n", "P3,-4\n"))
    hof = ("--min-cut", 1, "--max-cut", 4, "--min-fail", 0.1, "--max-fail", 0.5, "--json")
    fails("cutscore", "hofstee", "--scores", scores, *hof, where=f"{scores}:5: score")
    beuk = ("--mean-cut", 3, "--mean-pass-rate", 0.5, "--sd-cut", 1, "--sd-pass-rate", 0.1)
    fails("cutscore", "beuk", "--scores", scores, *beuk, where=f"{scores}:5: score")


# --- assemble --------------------------------------------------------------------------------

ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def spec_copy(tmp_path):
    text = (ROOT / "specs" / "data-analytics-fundamentals.yaml").read_text()
    text = text.replace("../item_bank", str(ROOT / "item_bank"))
    text = text.replace("data/", str(ROOT / "specs" / "data") + "/")
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    return spec


def test_assemble_refuses_bad_out_folders_before_solving(spec_copy, tmp_path):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep\n")
    with unchanged(a_file):
        fails("assemble", spec_copy, "--out", a_file / "forms", "--json", where="--out")
    items = ROOT / "item_bank" / "items"
    before = sorted(p.name for p in items.iterdir())
    fails("assemble", spec_copy, "--out", items, "--json", where="item bank")
    assert sorted(p.name for p in items.iterdir()) == before


def test_assemble_non_finite_cut_theta(spec_copy):
    fails("assemble", spec_copy, "--cut-theta", "nan", "--json", where="--cut-theta")


# --- bank ------------------------------------------------------------------------------------


def test_bank_commands_refuse_a_folder_that_is_not_a_bank(tmp_path):
    empty = tmp_path / "not_a_bank"
    empty.mkdir()
    for args in (
        ("bank", "lint", empty),
        ("bank", "stats", empty),
        ("bank", "format", empty),
        ("bank", "new", "--outcome", "DA1", "--bank", empty),
        ("bank", "status", "DA-0001", "--to", "retired", "--bank", empty),
        ("bank", "export", empty, "--out", tmp_path / "x.zip"),
    ):
        fails(*args, where="not an item bank")
    assert list(empty.iterdir()) == []


def test_bank_export_never_writes_into_the_item_folder(tmp_path):
    import shutil

    bank = tmp_path / "bank"
    shutil.copytree(ROOT / "item_bank" / "items", bank / "items")
    item = bank / "items" / "DA-0001.yaml"
    with unchanged(item):
        fails("bank", "export", bank, "--out", item, where="item folder")
        fails("bank", "export", bank, "--format", "csv", "--out", item, where="item folder")
    assert not (bank / "items" / "new.zip").exists()


# --- more: ranges and empty data -------------------------------------------------------------


def test_link_drift_threshold_must_be_positive(files):
    tmp, params, resp, _ = files
    fails("link", "--new", params, "--base", params, "--drift-threshold", -1, where="--drift")


def test_analyze_without_any_response_or_keys(files, tmp_path):
    tmp, params, resp, header = files
    blank = tmp / "blank.csv"
    blank.write_text(header.read_text() + "P1,,,,,\nP2,,,,,\n")
    fails("analyze", blank, "--json", where=blank)
    empty_bank = tmp_path / "bank" / "items"
    empty_bank.mkdir(parents=True)
    fails("analyze", resp, "--bank", empty_bank.parent, "--json", where="--bank")


def test_classify_livingston_lewis_cut_outside_the_score_range(tmp_path):
    scores = tmp_path / "scores.csv"
    scores.write_text("person_id,score\n" + "".join(f"P{i},{i % 6}\n" for i in range(40)))
    common = ("--method", "livingston-lewis", "--scores", scores, "--reliability", 0.8)
    for cut in (99, 0, "nan"):
        fails("classify", "--cut", cut, *common, "--max-score", 5, "--json", where="--cut")


def test_priors_off_the_theta_scale_are_refused(files):
    tmp, params, resp, _ = files
    # a prior SD of 1e9 used to give theta = 0, se = 0 for everybody, silently
    fails("score", resp, "--params", params, "--prior-sd", 1e9, "--json", where="--prior-sd")
    fails("score", resp, "--params", params, "--prior-mean", 1e300, "--json", where="--prior-mean")
    fails("score-table", "--params", params, "--prior-sd", 50, "--json", where="--prior-sd")
    fails("classify", "--params", params, "--cut", 0, "--sd", 1e9, "--json", where="--sd")
    fails("classify", "--params", params, "--cut", 0, "--mean", "inf", "--json", where="--mean")


# --- hostile YAML ----------------------------------------------------------------------------


def _alias_bomb():
    text = 'a: &a ["lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol", "lol"]\n'
    prev = "a"
    for name in "bcdefghi":
        text += f"{name}: &{name} [" + ", ".join([f"*{prev}"] * 9) + "]\n"
        prev = name
    return text


def test_spec_alias_bomb_and_deep_nesting_are_refused_quickly(tmp_path):
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text(_alias_bomb())  # spec check used to hang on this
    deep = tmp_path / "deep.yaml"
    deep.write_text("credential: " + "[" * 5000 + "]" * 5000 + "\n")  # was a RecursionError
    for spec in (bomb, deep):
        fails("assemble", spec, "--json", where=spec)
        result = CliRunner().invoke(main, ["spec", "check", str(spec)])
        assert result.exit_code == 1
        assert result.exception is None or isinstance(result.exception, SystemExit)
        assert "Traceback" not in result.stderr
    assert "aliases" in CliRunner().invoke(main, ["spec", "check", str(bomb)]).stdout
    assert "levels deep" in CliRunner().invoke(main, ["spec", "check", str(deep)]).stdout


def test_deeply_nested_form_file(files):
    tmp, params, resp, _ = files
    deep = tmp / "form.yaml"
    deep.write_text("items: " + "[" * 5000 + "]" * 5000 + "\n")
    fails("classify", "--params", params, "--form", deep, "--cut", 0, where=deep)


def test_dimensionality_names_an_item_without_variance(files):
    tmp, params, resp, header = files
    rows = resp.read_text().splitlines()
    blank_last = tmp / "blank_item.csv"  # I5 never presented: its correlations were set to 0
    blank_last.write_text("\n".join([rows[0]] + [r.rsplit(",", 1)[0] + "," for r in rows[1:]]))
    fails("dimensionality", blank_last, "--json", where=f"{blank_last}: I5: no responses")
    constant = tmp / "constant.csv"
    constant.write_text("\n".join([rows[0]] + [r.rsplit(",", 1)[0] + ",1" for r in rows[1:]]))
    fails("dimensionality", constant, "--json", where="I5: every response is 1")


def test_analyze_unknown_dif_group_is_the_only_stderr_line(files):
    tmp, params, resp, _ = files
    rows = resp.read_text().splitlines()
    grouped = tmp / "grouped.csv"
    body = [
        f"{r.split(',', 1)[0]},{'FM'[k % 2]},{r.split(',', 1)[1]}" for k, r in enumerate(rows[1:])
    ]
    grouped.write_text("\n".join(["person_id,group," + rows[0].split(",", 1)[1], *body]) + "\n")
    dif = ("--group", "group", "--focal", "F")
    # without --json a "read N persons" progress line used to come first
    fails("analyze", grouped, *dif, "--reference", "X", where="reference group 'X'")
    fails("analyze", grouped, *dif, "--reference", "F", where="same value")


def test_cutscore_convert_two_forms_with_one_name(files):
    tmp, params, resp, _ = files
    for sub, items in (("a", "[I1, I2, I3]"), ("b", "[I3, I4, I5]")):
        (tmp / sub).mkdir()
        (tmp / sub / "form-A.yaml").write_text(f"items: {items}\n")
    forms = ("--form", tmp / "a" / "form-A.yaml", "--form", tmp / "b" / "form-A.yaml")
    # the second form used to replace the first in the output, silently
    fails("cutscore", "convert", "--params", params, *forms, "--theta", 0, where="form-A")


def test_link_common_item_listed_twice_names_the_option(files):
    tmp, params, resp, _ = files
    fails("link", "--new", params, "--base", params, "--common", "I1,I1,I2", where="--common")


def test_cutscore_errors_name_the_options_the_user_typed(tmp_path, files):
    _, params, _, _ = files
    scores = tmp_path / "scores.csv"
    scores.write_text("person_id,score\n" + "".join(f"P{i},{i % 6}\n" for i in range(40)))
    hof = ("--min-fail", 0.1, "--max-fail", 0.5)
    fails("cutscore", "hofstee", "--scores", scores, "--min-cut", 4, "--max-cut", 1, *hof,
          where="--min-cut:")  # fmt: skip
    fails("cutscore", "convert", "--params", params, "--theta", 1, "--slope", 10,
          "--scale-min", 5, "--scale-max", 1, where="--scale-min:")  # fmt: skip


def test_bookmark_page_and_item_that_disagree(files):
    tmp, params, resp, _ = files
    booklet = CliRunner().invoke(main, ["cutscore", "booklet", "--params", str(params), "--json"])
    assert booklet.exit_code == 0
    placements = tmp / "placements.csv"
    # page 2 holds some item; name another one (the page used to win silently)
    placements.write_text("rater,rating,item_id\nR1,2,I9\nR2,3,\n")
    fails("cutscore", "bookmark", placements, "--params", params, where=f"{placements}:2: item_id")


def test_bank_export_unwritable_names_the_output(tmp_path, monkeypatch):
    import shutil

    import psychometrics.bank.qti as qti

    bank = tmp_path / "bank"
    shutil.copytree(ROOT / "item_bank" / "items", bank / "items")

    def denied(*args, **kwargs):
        raise PermissionError(13, "Permission denied", str(tmp_path / ".x.zip.abc.tmp"))

    monkeypatch.setattr(qti, "export_qti", denied)
    out = tmp_path / "x.zip"
    line = fails("bank", "export", bank, "--out", out, where=f"{out}: --out: cannot write")
    assert ".tmp" not in line


def test_assemble_unwritable_out_folder_fails_before_solving(spec_copy, tmp_path, monkeypatch):
    import os

    locked = tmp_path / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(locked) else real_access(p, mode)
    )
    fails("assemble", spec_copy, "--out", locked / "forms", "--json", where="cannot write in")


def test_unwritable_output_folder_fails_before_scoring(files, monkeypatch):
    import os

    tmp, params, resp, _ = files
    locked = tmp / "locked"
    locked.mkdir()
    real_access = os.access
    monkeypatch.setattr(
        os, "access", lambda p, mode: False if str(p) == str(locked) else real_access(p, mode)
    )
    out = locked / "scores.csv"
    fails("score", resp, "--params", params, "--out", out, where="cannot write in")
    fails("analyze", resp, "--out", out, where="cannot write in")
    assert not out.exists()


def test_cell_over_the_csv_size_limit_is_one_line(files):
    tmp, params, resp, _ = files
    rows = resp.read_text().splitlines()
    huge = tmp / "huge.csv"
    huge.write_text("\n".join([rows[0], rows[1], "P" * 200_000 + "," + rows[2].split(",", 1)[1]]))
    fails("score", huge, "--params", params, "--json", where=f"{huge}:3: malformed CSV")
    fails("analyze", huge, "--json", where=f"{huge}:3: malformed CSV")
    huge_params = tmp / "huge_params.csv"
    text = params.read_text()
    huge_params.write_text(text.replace("I1,", "I" * 200_000 + ",", 1))
    fails("score", resp, "--params", huge_params, where=huge_params)
    fails("link", "--new", huge_params, "--base", params, where=huge_params)
    fails("cutscore", "booklet", "--params", huge_params, where=huge_params)


def test_score_bounds_far_off_the_scale(files):
    tmp, params, resp, _ = files
    # --bounds -1e9 1e9 tried to allocate a 298 GiB search grid (MemoryError traceback)
    fails("score", resp, "--params", params, "--method", "ml", "--bounds", -1e9, 1e9,
          where="--bounds")  # fmt: skip


def test_dimensionality_negative_seed_names_the_option(files):
    tmp, params, resp, _ = files
    fails("dimensionality", resp, "--parallel", 2, "--seed", -1, where="--seed")
