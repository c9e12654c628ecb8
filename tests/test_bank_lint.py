"""Lint: each rule has a failing case (the rule fires) and a passing case (the clean bank)."""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner

from psychometrics.bank import lint_bank, load_bank
from psychometrics.bank.lint import key_position_test, negative_stem_words
from psychometrics.bank.yamlio import dump_item
from psychometrics.cli import main
from psychometrics.errors import InputError

BASE = {
    "id": "DA-0001",
    "version": 2,
    "status": "operational",
    "outcome": "DA1",
    "cognitive_level": "apply",
    "type": "mcq",
    "stem": "A survey records shoe sizes in EU sizes.\n\nWhich level of measurement is this?\n",
    "options": {"A": "Nominal", "B": "Ordinal", "C": "Interval", "D": "Ratio"},
    "key": "D",
    "rationale": "Sizes have a true zero and equal steps.",
    "enemies": ["DA-0002"],
    "set": None,
    "author": "J. Writer",
    "reviewers": ["A. Reviewer"],
    "expected_seconds": 60,
    "irt": {"model": "3pl", "a": 1.1, "b": 0.2, "c": 0.18, "calibration": "cal-1", "n": 900},
    "stats": {"p": 0.6, "rpbis": 0.4, "n": 900},
    "history": [],
    "exposure": {"forms": ["F1"], "administrations": 900},
}
OTHER = {
    **copy.deepcopy(BASE),
    "id": "DA-0002",
    "stem": "Which sampling design gives every subset of size n the same chance?\n",
    "options": {"A": "Simple random", "B": "Stratified", "C": "Cluster", "D": "Quota"},
    "key": "A",
    "enemies": ["DA-0001"],
}


def write_bank(tmp_path, *items):
    folder = tmp_path / "bank" / "items"
    folder.mkdir(parents=True, exist_ok=True)
    for item in items:
        (folder / f"{item['id']}.yaml").write_text(dump_item(item), encoding="utf-8")
    return tmp_path / "bank"


def rules(report):
    return {f.rule for f in report.findings}


def test_clean_bank_has_no_findings(tmp_path):
    report = lint_bank(write_bank(tmp_path, BASE, OTHER), outcomes=["DA1"])
    assert report.findings == ()
    assert report.ok and report.n_files == 2


def _mutate(path, value):
    item = copy.deepcopy(BASE)
    node = item
    parts = path.split(".")
    for p in parts[:-1]:
        node = node[p]
    if value is _DELETE:
        del node[parts[-1]]
    else:
        node[parts[-1]] = value
    return item


_DELETE = object()

ERROR_CASES = [
    ("stem", _DELETE, "missing-field", "stem"),
    ("key", "E", "key-not-option", "key"),
    ("options", {"A": "Nominal", "B": " nominal ", "C": "Ratio"}, "duplicate-option", "options.B"),
    ("options", {"D": "Ratio"}, "few-options", "options"),
    ("status", "published", "unknown-status", "status"),
    ("type", "essay", "unknown-type", "type"),
    ("irt.a", 0.0, "irt-range", "irt.a"),
    ("irt.a", -0.5, "irt-range", "irt.a"),
    ("irt.c", 0.5, "irt-range", "irt.c"),
    ("irt.c", -0.01, "irt-range", "irt.c"),
    ("irt.b", 6.5, "irt-range", "irt.b"),
    ("irt.b", -7, "irt-range", "irt.b"),
    ("irt.b", "hard", "bad-number", "irt.b"),
    ("irt.model", "grm", "irt-model", "irt.model"),
    ("stats.p", 1.2, "stats-range", "stats.p"),
    ("version", 0, "bad-type", "version"),
    ("created", "yesterday", "bad-date", "created"),
    ("enemies", ["DA-0002", "DA-0099"], "enemy-missing", "enemies[1]"),
    ("enemies", ["DA-0002", "DA-0001"], "enemy-self", "enemies"),
    ("id", "DA-0009", "id-filename", "id"),
]


@pytest.mark.parametrize(("path", "value", "rule", "field"), ERROR_CASES)
def test_error_rules_fire(tmp_path, path, value, rule, field):
    item = _mutate(path, value)
    folder = write_bank(tmp_path, OTHER)
    (folder / "items" / "DA-0001.yaml").write_text(dump_item(item))
    report = lint_bank(folder)
    hits = [f for f in report.errors if f.rule == rule]
    assert hits, report.findings
    assert hits[0].field == field
    assert hits[0].file.endswith("DA-0001.yaml") and hits[0].line >= 1


def test_enemy_not_mutual(tmp_path):
    other = {**copy.deepcopy(OTHER), "enemies": []}
    report = lint_bank(write_bank(tmp_path, BASE, other))
    (hit,) = [f for f in report.errors if f.rule == "enemy-not-mutual"]
    assert hit.file.endswith("DA-0001.yaml") and "DA-0002" in hit.message


def test_duplicate_id_in_two_files(tmp_path):
    folder = write_bank(tmp_path, BASE, OTHER)
    (folder / "items" / "DA-0003.yaml").write_text(dump_item({**BASE, "enemies": []}))
    report = lint_bank(folder)
    assert "duplicate-id" in rules(report)
    assert "id-filename" in rules(report)


def test_outcome_not_in_spec(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text("outcomes:\n  - {id: DA2, title: x}\n  - {id: DA3, title: y}\n")
    folder = write_bank(tmp_path, BASE, OTHER)
    report = lint_bank(folder, outcomes=["DA2", "DA3"])
    hits = [f for f in report.errors if f.rule == "unknown-outcome"]
    assert len(hits) == 2 and "DA1" in hits[0].message
    assert lint_bank(folder, outcomes=["DA1"]).ok


def test_malformed_yaml_and_not_mapping(tmp_path):
    folder = write_bank(tmp_path, BASE, OTHER)
    (folder / "items" / "DA-0003.yaml").write_text("id: [unclosed\n")
    (folder / "items" / "DA-0004.yaml").write_text("- just\n- a list\n")
    report = lint_bank(folder)
    by_file = {f.file.rsplit("/", 1)[-1]: f for f in report.errors}
    assert "malformed YAML" in by_file["DA-0003.yaml"].message
    assert by_file["DA-0004.yaml"].rule == "not-mapping"


def test_rubric_and_msq_items(tmp_path):
    rubric = {
        **{k: v for k, v in BASE.items() if k not in ("options", "key")},
        "id": "DA-0003",
        "type": "rubric",
        "enemies": [],
        "max_score": 2,
        "score_levels": {0: "nothing", 1: "partly", 2: "fully"},
        "irt": {"model": "grm", "a": 1.0, "b1": -0.5, "b2": 0.7},
    }
    msq = {**copy.deepcopy(BASE), "id": "DA-0004", "type": "msq", "key": ["A", "C"], "enemies": []}
    msq["irt"] = {"model": "2pl", "a": 1.0, "b": 0.0}
    folder = write_bank(tmp_path, BASE, OTHER, rubric, msq)
    assert lint_bank(folder).findings == ()
    bad = {**rubric, "irt": {"model": "grm", "a": 1.0, "b1": 0.7, "b2": -0.5}}
    (folder / "items" / "DA-0003.yaml").write_text(dump_item(bad))
    assert "irt-range" in rules(lint_bank(folder))
    bad = {**rubric, "irt": {"model": "grm", "a": 1.0, "b1": 0.7}}
    (folder / "items" / "DA-0003.yaml").write_text(dump_item(bad))
    assert "irt-range" in rules(lint_bank(folder))


WARNING_CASES = [
    ("options.C", "None of the above", "all-none-above", "options.C"),
    ("options.A", "All of the answers", "all-none-above", "options.A"),
    ("options.B", "None of these", "all-none-above", "options.B"),
    ("stem", "Which of these levels of measurement is NOT ordered?\n", "negative-stem", "stem"),
    ("stem", "A survey.\n\nWhich statement is not true?\n", "negative-stem", "stem"),
    ("stem", "Each option EXCEPT one is a level.\n\nWhich one?\n", "negative-stem", "stem"),
    (
        "options.D",
        "Ratio, because shoe sizes have a true zero and equal intervals",
        "long-key",
        "options.D",
    ),
    ("stem", "TODO write it\n", "todo", "stem"),
    ("cognitive_level", _DELETE, "no-level", "cognitive_level"),
    ("irt.a", 4.5, "irt-high-a", "irt.a"),
    ("extra_field", "x", "unknown-field", "extra_field"),
]


@pytest.mark.parametrize(("path", "value", "rule", "field"), WARNING_CASES)
def test_warning_rules_fire(tmp_path, path, value, rule, field):
    folder = write_bank(tmp_path, _mutate(path, value), OTHER)
    report = lint_bank(folder)
    hits = [f for f in report.findings if f.rule == rule]
    assert hits and hits[0].severity == "warning" and hits[0].field == field
    assert report.ok  # warnings alone never fail lint


@pytest.mark.parametrize(
    ("stem", "expected"),
    [
        ("Which level is **NOT** ordered?", []),
        ("Which level is *not* ordered?", []),
        ("Which level is <em>NOT</em> ordered?", []),
        ("The analyst did not drop rows. Which chart fits best?", []),
        ("Which chart is the least misleading?", ["least"]),
        ("Which is NOT a measure of spread?", ["NOT"]),
        ("What does this return?\n\n```sql\nSELECT 1 WHERE NOT x;\n```\n", []),
        ("What does `WHERE x IS NOT NULL` keep?", []),
    ],
)
def test_negative_stem_detection(stem, expected):
    assert negative_stem_words(stem) == expected


def test_key_length_threshold_is_stated_and_respected(tmp_path):
    # key 'Ratio' (5) vs mean distractor 7: fine; a key twice as long but < 10 chars longer: fine
    item = _mutate("options", {"A": "abc", "B": "abd", "C": "abe", "D": "abcdefghi"})
    item["irt"]["c"] = 0.1
    report = lint_bank(write_bank(tmp_path, item, OTHER))
    assert "long-key" not in rules(report)
    report = lint_bank(write_bank(tmp_path, item, OTHER), key_length_min_diff=5)
    assert "long-key" in rules(report)


def _many(n, keys, tmp_path):
    items = []
    for i in range(n):
        item = copy.deepcopy(BASE)
        item.update(id=f"DA-{i + 1:04d}", key=keys[i % len(keys)], enemies=[])
        item["stem"] = f"Question number {i}?\n"
        items.append(item)
    return write_bank(tmp_path, *items)


def test_key_position_balance(tmp_path):
    # 40 items all keyed D: counts (0, 0, 0, 40), chi2 = 120 on 3 df, p ~ 1e-25 < .01
    folder = _many(40, ["D"], tmp_path)
    report = lint_bank(folder)
    (hit,) = [f for f in report.findings if f.rule == "key-balance"]
    assert "A: 0, B: 0, C: 0, D: 40" in hit.message and hit.line == 0
    (rec,) = key_position_test(load_bank(folder))
    assert rec["chi2"] == pytest.approx(120.0)  # sum (o - e)^2 / e = 3 * 100/10 + 900/10


def test_key_position_balanced_and_small_banks_pass(tmp_path):
    assert "key-balance" not in rules(lint_bank(_many(40, ["A", "B", "C", "D"], tmp_path / "x")))
    # 12 items: expected count 3 < 5, the test is not run
    assert "key-balance" not in rules(lint_bank(_many(12, ["D"], tmp_path / "y")))


def test_load_bank_raises_first_error_with_location(tmp_path):
    folder = write_bank(tmp_path, _mutate("key", "E"), OTHER)
    with pytest.raises(InputError) as err:
        load_bank(folder)
    assert err.value.field == "key" and err.value.line == yaml_line(folder, "key")
    assert str(err.value).startswith(str(folder / "items" / "DA-0001.yaml"))


def yaml_line(folder, field):
    text = (folder / "items" / "DA-0001.yaml").read_text().splitlines()
    return next(i + 1 for i, line in enumerate(text) if line.startswith(f"{field}:"))


def test_cli_lint_exit_codes_and_format(tmp_path):
    runner = CliRunner()
    folder = write_bank(tmp_path, BASE, OTHER)
    ok = runner.invoke(main, ["bank", "lint", str(folder)])
    assert ok.exit_code == 0, ok.output
    (folder / "items" / "DA-0001.yaml").write_text(dump_item(_mutate("key", "E")))
    bad = runner.invoke(main, ["bank", "lint", str(folder)])
    assert bad.exit_code == 1
    line = f"{folder}/items/DA-0001.yaml:{yaml_line(folder, 'key')}: key: error: key 'E'"
    assert line in bad.output
    assert "Traceback" not in bad.output
    missing = runner.invoke(main, ["bank", "lint", str(tmp_path / "nope")])
    assert missing.exit_code == 1 and "bank directory not found" in missing.output


def test_cli_lint_with_spec(tmp_path):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        yaml.safe_dump(
            {
                "credential": {"id": "x", "title": "X"},
                "outcomes": [{"id": "DA2", "title": "Two"}],
                "bank": "bank",
                "form": {"length": 2, "blueprint": {"DA2": 2}},
            }
        )
    )
    folder = write_bank(tmp_path, BASE, OTHER)
    result = CliRunner().invoke(main, ["bank", "lint", str(folder), "--spec", str(spec)])
    assert result.exit_code == 1
    assert "outcome: error: outcome 'DA1' is not in the spec (DA2)" in result.output


def test_an_impossible_date_is_an_error_naming_its_line(tmp_path):
    import shutil as _shutil

    from psychometrics.bank import lint_bank as _lint

    items = tmp_path / "bank" / "items"
    items.mkdir(parents=True)
    source = Path(__file__).resolve().parents[1] / "item_bank" / "items" / "DA-0001.yaml"
    _shutil.copy(source, items / "DA-0001.yaml")
    lines = (items / "DA-0001.yaml").read_text().splitlines()
    k = next(i for i, ln in enumerate(lines) if ln.startswith("created:"))
    lines[k] = "created: 2026-13-01"
    (items / "DA-0001.yaml").write_text("\n".join(lines) + "\n")
    report = _lint(tmp_path / "bank")
    [error] = report.errors
    assert error.line == k + 1 and error.field == "created"
    assert "'2026-13-01' is not a valid date" in error.message
