"""Credential spec loading and validation: every error with its line number."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from psychometrics.cli import main
from psychometrics.errors import InputError
from psychometrics.program.spec import Range, check_spec, load_spec

EXAMPLE = Path(__file__).resolve().parents[1] / "specs" / "data-analytics-fundamentals.yaml"

GOOD = """\
credential:
  id: demo
  title: Demo credential
outcomes:
  - {id: O1, title: One}
  - {id: O2, title: Two}
bank: bank
form:
  length: 10
  count: 2
  max_overlap: 0.2
  blueprint:
    O1: 5
    O2: {min: 4, max: 6}
  target: {theta: [-0.5, 0.5]}
cut_score:
  theta: -0.4
"""


def _write(tmp_path: Path, text: str, name: str = "spec.yaml") -> Path:
    (tmp_path / "bank").mkdir(exist_ok=True)
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def _errors(path: Path) -> list[str]:
    return [str(p) for p in check_spec(path) if p.severity == "error"]


def test_good_spec_loads_with_paths_resolved(tmp_path):
    spec = load_spec(_write(tmp_path, GOOD))
    assert spec.bank == (tmp_path / "bank").resolve()
    assert spec.form.blueprint == {"O1": Range(5, 5), "O2": Range(4, 6)}
    assert spec.form.max_overlap_items == 2
    assert spec.target_theta == (-0.5, 0.5)
    assert spec.outcome_ids == ("O1", "O2")
    assert spec.cut_score.theta == -0.4
    assert spec.line("form", "blueprint", "O2") == 14
    assert _errors(tmp_path / "spec.yaml") == []


def test_target_defaults_to_cut_theta(tmp_path):
    spec = load_spec(_write(tmp_path, GOOD.replace("  target: {theta: [-0.5, 0.5]}\n", "")))
    assert spec.target_theta == (-0.4,)


def test_example_spec_is_valid():
    spec = load_spec(EXAMPLE)
    assert spec.credential.id == "data-analytics-fundamentals"
    assert spec.credential.achievement_type == "MicroCredential"
    assert spec.outcome_ids == ("DA1", "DA2", "DA3", "DA4", "DA5", "DA6")
    assert spec.form.length == 40 and spec.form.count == 2 and spec.form.max_overlap == 0.25
    assert spec.form.blueprint["DA2"] == Range(6, 8)
    assert spec.bank.name == "item_bank"
    assert [str(p) for p in check_spec(EXAMPLE) if p.severity == "error"] == []


@pytest.mark.parametrize(
    ("edit", "line", "fragment"),
    [
        # unknown key with a did-you-mean
        (("  count: 2", "  cuont: 2"), 10, "unknown key 'cuont'; did you mean 'count'?"),
        (("cut_score:", "cutscore:"), 16, "did you mean 'cut_score'?"),
        # blueprint outcome that the spec does not declare
        (("    O1: 5", "    O3: 5"), 13, "outcome 'O3' is not among the spec's outcomes"),
        # ranges that cannot sum to the length
        (("    O1: 5", "    O1: 7"), 12, "the minimums sum to 11, more than the form length 10"),
        (("    O1: 5", "    O1: 2"), 12, "the maximums sum to 8, fewer than the form length 10"),
        (("{min: 4, max: 6}", "{min: 6, max: 4}"), 14, "min 6 is larger than max 4"),
        # a missing bank path
        (("bank: bank", "bank: nowhere"), 7, "bank 'nowhere' not found"),
        # numbers out of range / wrong types
        (("  max_overlap: 0.2", "  max_overlap: 1.5"), 11, "form.max_overlap: must be"),
        (("  length: 10", "  length: ten"), 9, "form.length: expected a whole number"),
        # cut score: both, unknown method, method without inputs
        (("  theta: -0.4", "  theta: -0.4\n  method: angoff"), 16, "either theta or method"),
        (("  theta: -0.4", "  method: angof"), 17, "did you mean 'angoff'?"),
        (("  theta: -0.4", "  method: angoff"), 16, "method 'angoff' needs 'ratings'"),
        (
            ("  theta: -0.4", "  method: angoff\n  ratings: nope.csv"),
            18,
            "ratings file 'nope.csv' not found",
        ),
        (("  theta: -0.4", "  method: hofstee\n  min_cut: 50"), 16, "missing: max_cut"),
        # duplicate outcome id and duplicate key
        (("{id: O2, title: Two}", "{id: O1, title: Two}"), 6, "duplicate outcome id 'O1'"),
        (("  count: 2", "  count: 2\n  count: 3"), 11, "duplicate key"),
        # missing block
        (("outcomes:", "outcomez:"), 4, "unknown key 'outcomez'; did you mean 'outcomes'?"),
    ],
)
def test_each_error_is_reported_with_its_line(tmp_path, edit, line, fragment):
    old, new = edit
    assert old in GOOD
    path = _write(tmp_path, GOOD.replace(old, new, 1))
    errors = _errors(path)
    hits = [e for e in errors if fragment in e]
    assert hits, errors
    assert hits[0].startswith(f"{path}:{line}: "), hits[0]
    with pytest.raises(InputError):
        load_spec(path)


def test_missing_required_block(tmp_path):
    path = _write(tmp_path, GOOD.replace("bank: bank\n", ""))
    assert any("missing required block 'bank'" in e for e in _errors(path))


def test_not_yaml_and_missing_file(tmp_path):
    path = _write(tmp_path, "credential: [unclosed\n")
    problems = check_spec(path)
    assert len(problems) == 1 and "not valid YAML" in problems[0].message
    with pytest.raises(InputError, match="not valid YAML"):
        load_spec(path)
    with pytest.raises(InputError, match="spec file not found"):
        load_spec(tmp_path / "absent.yaml")


def test_load_spec_error_names_file_and_line(tmp_path):
    path = _write(tmp_path, GOOD.replace("  count: 2", "  count: 0"))
    with pytest.raises(InputError) as info:
        load_spec(path)
    assert info.value.file == str(path) and info.value.line == 10
    assert "form.count: must be >= 1" in str(info.value)


def test_outcome_without_blueprint_entry_is_a_warning(tmp_path):
    text = GOOD.replace(
        "  - {id: O2, title: Two}", "  - {id: O2, title: Two}\n  - {id: O3, title: X}"
    )
    path = _write(tmp_path, text)
    problems = check_spec(path)
    assert [p.severity for p in problems] == ["warning"]
    assert "outcome 'O3' has no entry" in problems[0].message


def test_cli_spec_check(tmp_path):
    runner = CliRunner()
    good = _write(tmp_path, GOOD)
    result = runner.invoke(main, ["spec", "check", str(good), "--no-bank"])
    assert result.exit_code == 0, result.output
    bad = _write(tmp_path, GOOD.replace("  count: 2", "  cuont: 2"), "bad.yaml")
    result = runner.invoke(main, ["spec", "check", str(bad), "--no-bank"])
    assert result.exit_code == 1
    assert f"{bad}:10: form.cuont: unknown key 'cuont'; did you mean 'count'?" in result.output


def test_to_dict_is_json(tmp_path):
    import json

    spec = load_spec(_write(tmp_path, GOOD))
    doc = json.loads(json.dumps(spec.to_dict()))
    assert doc["form"]["blueprint"]["O2"] == {"min": 4, "max": 6}
    assert doc["bank"] == str((tmp_path / "bank").resolve())
    assert "lines" not in doc


LIFECYCLE = (
    GOOD
    + """\
forms: published/
administrations:
  - id: w1
    window: {start: 2026-03-02, end: 2026-03-06}
    responses: r1.csv
  - id: w2
    responses: r2.csv
    form_column: booklet
retakes: {max_attempts: 3, wait_days: 30, max_overlap: 0.25}
"""
)


def test_lifecycle_blocks_load(tmp_path):
    from datetime import date

    path = _write(tmp_path, LIFECYCLE)
    spec = load_spec(path)
    assert spec.forms.folder == (tmp_path / "published").resolve()
    assert spec.forms.proposal is False
    assert [a.id for a in spec.administrations] == ["w1", "w2"]
    assert spec.administration.id == "w2"  # the most recent is the last listed
    assert spec.get_administration("w1").start == date(2026, 3, 2)
    assert spec.get_administration("w1").end == date(2026, 3, 6)
    assert spec.get_administration("w2").form_column == "booklet"
    assert (spec.retakes.max_attempts, spec.retakes.wait_days) == (3, 30)
    assert spec.retakes.max_overlap == 0.25
    assert spec.cut_score.pass_rule == "raw"
    with pytest.raises(InputError, match="no administration 'w9' .*w1, w2"):
        spec.get_administration("w9")


def test_forms_folder_defaults_next_to_the_spec(tmp_path):
    spec = load_spec(_write(tmp_path, GOOD))
    assert spec.forms.folder == (tmp_path / "forms" / "demo").resolve()
    assert spec.administrations == () and spec.administration is None


@pytest.mark.parametrize(
    ("old", "new", "line", "fragment"),
    [
        ("  - id: w2\n", "  - id: w1\n", 23, "duplicate id 'w1'"),
        ("{start: 2026-03-02,", "{start: 2026-13-02,", 21, "is not a valid date"),
        ("{start: 2026-03-02,", "{start: March,", 21, "expected a date YYYY-MM-DD"),
        ("{start: 2026-03-02,", "{start: 2026-03-02 09:00:00,", 21, "expected a date YYYY"),
        ("{start: 2026-03-02,", "{start: 20260302,", 21, "expected a date YYYY-MM-DD"),
        ("end: 2026-03-06}", "end: 2026-03-01}", 21, "end 2026-03-01 is before start"),
        ("  - id: w1\n    window", "  - window", 20, "each administration needs an 'id'"),
        ("max_attempts: 3", "max_attempts: 0", 26, "max_attempts: must be >= 1"),
        ("max_overlap: 0.25", "max_overlap: 1.5", 26, "max_overlap: must be >= 0 and <= 1"),
        ("wait_days: 30", "wait: 30", 26, "unknown key 'wait'"),
        ("forms: published/", "forms: {folder: published/, proposal: maybe}", 18, "true/false"),
        ("  theta: -0.4\n", "  theta: -0.4\n  pass_rule: median\n", 18, "not one of raw, theta"),
    ],
)
def test_lifecycle_block_errors_name_the_line(tmp_path, old, new, line, fragment):
    text = textwrap.dedent(LIFECYCLE)
    assert old in text
    path = _write(tmp_path, text.replace(old, new, 1))
    errors = _errors(path)
    assert any(e.startswith(f"{path}:{line}: ") and fragment in e for e in errors), errors


def test_administration_and_administrations_together_is_an_error(tmp_path):
    text = LIFECYCLE + "administration:\n  responses: r1.csv\n"
    errors = _errors(_write(tmp_path, text))
    assert any("not both" in e for e in errors), errors
