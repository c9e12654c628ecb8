"""Spec-level assembly on any item attribute: ``form.constraints``, passages, objectives,
``exclude_when`` and parallel TCC, from item files on disk to proposed forms."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from psychometrics.bank import dump_item, load_bank
from psychometrics.cli import main
from psychometrics.errors import InputError
from psychometrics.irt.models import ItemParameters, expected_scores, item_information
from psychometrics.program.conditions import parse_condition, parse_constraint_key
from psychometrics.program.proposal import assemble_spec
from psychometrics.program.spec import check_spec, load_spec


def make_bank(root: Path, seed: int = 4) -> Path:
    """8 passages of 5 items (sets P1..P8) and 12 discrete items, with attributes and stats."""
    rng = np.random.default_rng(seed)
    folder = root / "bank" / "items"
    folder.mkdir(parents=True)
    for k in range(52):
        item = {
            "id": f"RD-{k:03d}",
            "version": 1,
            "status": "operational",
            "outcome": "R1",
            "cognitive_level": "apply",
            "type": "mcq",
            "stem": f"Question {k}?\n",
            "options": {"A": "a", "B": "b", "C": "c", "D": "d"},
            "key": "A",
            "attributes": {
                "dok": int(1 + k % 3),
                "words": int(80 + (k * 37) % 120),
                "standard": f"S{1 + k % 4}",
            },
            "stats": {
                "p": round(0.35 + 0.5 * ((k * 13) % 17) / 17, 3),
                "rpbis": 0.1 if k % 11 == 0 else 0.35,
                "n": 400,
            },  # fmt: skip
            "irt": {
                "model": "3pl",
                "a": round(float(rng.lognormal(0, 0.3)), 3),
                "b": round(float(rng.normal()), 3),
                "c": 0.2,
            },  # fmt: skip
        }
        if k < 40:
            item["set"] = f"P{1 + k // 5}"
        (folder / f"{item['id']}.yaml").write_text(dump_item(item), encoding="utf-8")
    return root / "bank"


SPEC = """\
credential: {id: reading, title: Reading}
outcomes:
  - {id: R1, title: Reading}
bank: bank
form:
  length: 12
  count: 1
  objective: sum
  target: {theta: [-1, 0, 1], weights: [1, 2, 1]}
  passages:
    count: 2
    items: {min: 3, max: 4}
  constraints:
    count where dok >= 3: {min: 4}
    count where standard in (S1, S2): {min: 3, max: 8}
    sum words: {max: 1700}
    mean p: {min: 0.45, max: 0.7}
  exclude_when: [rpbis < .15]
cut_score: {theta: 0.0}
"""


@pytest.fixture()
def spec_path(tmp_path):
    make_bank(tmp_path)
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def _items(spec, form):
    bank = load_bank(spec.bank)
    return [bank[i] for i in form.items]


def _params(items):
    return ItemParameters(
        item_ids=tuple(it.id for it in items), model=tuple(it.irt.model for it in items),
        a=[it.irt.a for it in items], b=[it.irt.b[0] for it in items],
        c=[it.irt.c for it in items],
    )  # fmt: skip


def test_every_row_of_the_spec_holds(spec_path):
    spec = load_spec(spec_path)
    result = assemble_spec(spec, time_limit=30)
    assert result.status == "optimal", result.message
    items = _items(spec, result.forms[0])
    assert len(items) == 12
    attrs = [it.attributes for it in items]
    assert sum(a["dok"] >= 3 for a in attrs) >= 4
    assert 3 <= sum(a["standard"] in ("S1", "S2") for a in attrs) <= 8
    assert sum(a["words"] for a in attrs) <= 1700
    assert 0.45 - 1e-9 <= np.mean([it.stats.p for it in items]) <= 0.7 + 1e-9
    assert all(it.stats.rpbis >= 0.15 for it in items)
    per_set: dict[str, int] = {}
    for it in items:
        if it.set:
            per_set[it.set] = per_set.get(it.set, 0) + 1
    assert len(per_set) == 2 and all(3 <= v <= 4 for v in per_set.values())
    # the objective is the weighted information of the form, recomputed from the item files
    info = item_information(_params(items), np.array([-1.0, 0.0, 1.0])).sum(axis=1)
    assert result.result.objective == pytest.approx(info @ np.array([1, 2, 1]), rel=1e-9)
    assert "exclude_when 'rpbis < .15' kept" in result.message


def test_target_tcc_and_parallel_tcc(spec_path):
    text = spec_path.read_text().replace(
        "  count: 1\n  objective: sum\n  target: {theta: [-1, 0, 1], weights: [1, 2, 1]}\n",
        "  count: 2\n  max_overlap: 0.25\n  objective: tcc\n"
        "  target: {theta: [-1, 0, 1], tcc: [4, 6.5, 9]}\n  parallel_tcc: 0.3\n",
    )
    spec_path.write_text(text)
    spec = load_spec(spec_path)
    result = assemble_spec(spec, time_limit=60)
    assert result.result.success, result.message
    theta = np.array([-1.0, 0.0, 1.0])
    curves = [expected_scores(_params(_items(spec, f)), theta).sum(axis=1) for f in result.forms]
    assert np.abs(curves[0] - curves[1]).max() <= 0.3 + 1e-6
    worst = max(np.abs(c - [4, 6.5, 9]).max() for c in curves)
    assert result.result.objective == pytest.approx(worst, abs=1e-9)


@pytest.mark.parametrize(
    ("old", "new", "needle"),
    [
        ("count where dok >= 3", "count where dok >> 3", "form.constraints"),
        ("sum words", "total words", "not 'count where"),
        ("[rpbis < .15]", "[rpbis <]", "form.exclude_when"),
        ("objective: sum", "objective: best", "unknown objective"),
        ("weights: [1, 2, 1]", "weights: [1, 2]", "2 values for 3 target thetas"),
        ("items: {min: 3, max: 4}", "items: {min: 0, max: 4}", "form.passages.items"),
    ],
)
def test_spec_errors_name_the_line(spec_path, old, new, needle):
    text = spec_path.read_text()
    assert old in text
    spec_path.write_text(text.replace(old, new, 1))
    problems = [p for p in check_spec(spec_path) if p.severity == "error"]
    assert any(needle in p.message for p in problems), problems
    line = next(i for i, t in enumerate(spec_path.read_text().splitlines(), 1) if new in t)
    assert any(p.line == line for p in problems if needle in p.message)
    run = CliRunner().invoke(main, ["assemble", str(spec_path)])
    assert run.exit_code != 0 and "Traceback" not in run.output


def test_missing_numeric_attribute_is_one_error(spec_path):
    spec_path.write_text(spec_path.read_text().replace("sum words", "sum minutes"))
    with pytest.raises(InputError, match="has no value 'minutes'"):
        assemble_spec(load_spec(spec_path), time_limit=10)


def test_conditions():
    cond = parse_condition("dok >= 3 and type == 'MC' and standard not in (2, 4)")
    assert [c.op for c in cond.clauses] == [">=", "==", "not in"]
    assert parse_constraint_key("mean p").kind == "mean"
    for bad in ("dok", "dok >= ", "standard in 2", "x == (a)"):
        with pytest.raises(ValueError):
            parse_condition(bad)


def test_exclude_items_used_on_more_than_k_earlier_forms(spec_path):
    folder = spec_path.parent / "bank" / "items"
    for k in range(40, 52):  # the discrete items: some used on 2 or 3 earlier forms
        path = folder / f"RD-{k:03d}.yaml"
        forms = [f"F{j}" for j in range(k % 4)]
        path.write_text(path.read_text() + f"exposure: {{forms: {forms}, administrations: "
                        f"{len(forms)}}}\n")  # fmt: skip
    spec_path.write_text(spec_path.read_text().replace("[rpbis < .15]", "[forms_used > 1]"))
    spec = load_spec(spec_path)
    result = assemble_spec(spec, time_limit=30)
    items = _items(spec, result.forms[0])
    assert all(it.exposure is None or len(it.exposure.forms) <= 1 for it in items)
    assert "forms_used > 1' kept 6 items" in result.message


def test_spec_check_warns_about_a_name_no_item_has(spec_path):
    spec_path.write_text(
        spec_path.read_text().replace("count where dok >= 3", "count where dokk >= 3")
    )
    run = CliRunner().invoke(main, ["spec", "check", str(spec_path)])
    line = next(i for i, t in enumerate(spec_path.read_text().splitlines(), 1) if "dokk" in t)
    assert f":{line}:" in run.output and "no item in the bank has a value 'dokk'" in run.output
