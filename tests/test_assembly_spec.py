"""Assembly from a spec and a bank on disk, ``credkit assemble`` and ``credkit spec check``."""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner

from psychometrics.bank import dump_item, load_bank
from psychometrics.cli import main
from psychometrics.errors import InfeasibleError, InputError
from psychometrics.irt.models import ItemParameters, item_information, test_characteristic_curve
from psychometrics.program.check import check_spec_and_bank
from psychometrics.program.proposal import assemble_spec, bank_problems, form_ids, write_forms
from psychometrics.program.spec import load_spec

OUTCOMES = ("DA1", "DA2", "DA3")


def make_bank(root: Path, *, n_per: int = 12, seed: int = 0) -> Path:
    """A small seeded bank: 3PL mcq items, one GRM rubric item, an enemy pair and a set."""
    rng = np.random.default_rng(seed)
    folder = root / "bank" / "items"
    folder.mkdir(parents=True, exist_ok=True)
    k = 0
    for outcome in OUTCOMES:
        for j in range(n_per):
            k += 1
            item = {
                "id": f"DA-{k:04d}",
                "version": 1,
                "status": "pretest" if j == n_per - 1 else "operational",
                "outcome": outcome,
                "cognitive_level": ("remember", "apply", "analyze")[j % 3],
                "type": "mcq",
                "stem": f"Question {k}?\n",
                "options": {"A": "a", "B": "b", "C": "c", "D": "d"},
                "key": "ABCD"[k % 4],
                "expected_seconds": 60 + 10 * (k % 5),
                "irt": {
                    "model": "3pl",
                    "a": round(float(rng.lognormal(0, 0.3)), 3),
                    "b": round(float(rng.normal()), 3),
                    "c": 0.2,
                },
            }
            if k in (1, 2):
                item["enemies"] = ["DA-0002" if k == 1 else "DA-0001"]
            if k in (3, 4):
                item["set"] = "S1"
            (folder / f"{item['id']}.yaml").write_text(dump_item(item), encoding="utf-8")
    rubric = {
        "id": "DA-0900",
        "version": 1,
        "status": "operational",
        "outcome": "DA3",
        "cognitive_level": "analyze",
        "type": "rubric",
        "stem": "Explain.\n",
        "max_score": 2,
        "score_levels": {0: "no", 1: "partly", 2: "fully"},
        "expected_seconds": 300,
        "irt": {"model": "grm", "a": 1.4, "b1": -0.8, "b2": 0.3},
    }
    (folder / "DA-0900.yaml").write_text(dump_item(rubric), encoding="utf-8")
    return root / "bank"


SPEC = """\
credential: {id: demo, title: Demo credential}
outcomes:
  - {id: DA1, title: One}
  - {id: DA2, title: Two}
  - {id: DA3, title: Three}
bank: bank
form:
  length: 9
  count: 2
  max_overlap: 0.34
  blueprint:
    DA1: 3
    DA2: {min: 2, max: 4}
    DA3: {min: 2, max: 4}
  cognitive_levels: {apply: {min: 2}}
  max_seconds: 900
  target: {theta: [-0.5, 0.5]}
cut_score: {theta: -0.2}
"""


@pytest.fixture()
def spec_path(tmp_path):
    make_bank(tmp_path)
    path = tmp_path / "spec.yaml"
    path.write_text(SPEC, encoding="utf-8")
    return path


def _edit(spec_path: Path, old: str, new: str) -> Path:
    text = spec_path.read_text()
    assert old in text
    spec_path.write_text(text.replace(old, new, 1))
    return spec_path


def test_assembled_forms_meet_the_spec(spec_path):
    spec = load_spec(spec_path)
    bank = load_bank(spec.bank)
    result = assemble_spec(spec, time_limit=20)
    assert result.status == "optimal" and result.gap <= 0.01
    assert [f.id for f in result.forms] == ["form-A", "form-B"]
    a, b = (set(f.items) for f in result.forms)
    assert len(a & b) <= 3  # floor(0.34 * 9)
    for form in result.forms:
        items = [bank[i] for i in form.items]
        assert len(items) == 9
        assert all(it.status == "operational" for it in items)
        counts = {o: sum(it.outcome == o for it in items) for o in OUTCOMES}
        assert counts["DA1"] == 3 and 2 <= counts["DA2"] <= 4 and 2 <= counts["DA3"] <= 4
        assert counts == form.blueprint
        assert sum(it.cognitive_level == "apply" for it in items) >= 2
        assert sum(it.expected_seconds for it in items) <= 900
        assert not {"DA-0001", "DA-0002"} <= set(form.items)
        assert len({"DA-0003", "DA-0004"} & set(form.items)) in (0, 2)
        # delivery order: outcomes in spec order
        ranks = [OUTCOMES.index(o) for o in form.outcomes]
        assert ranks == sorted(ranks)
        assert form.keys == tuple("".join(it.key) for it in items)
        # information and TCC recomputed independently from the item files
        rows = [it.irt for it in items]
        params = ItemParameters(
            item_ids=form.items,
            model=tuple(r.model for r in rows),
            a=[r.a for r in rows],
            b=[list(r.b) + [np.nan] * (2 - len(r.b)) for r in rows],
            c=[r.c for r in rows],
        )
        theta = [-0.5, 0.5, -0.2]
        info = item_information(params, theta).sum(axis=1)
        tcc = test_characteristic_curve(params, theta)
        np.testing.assert_allclose(form.information_at_target, info[:2], rtol=1e-10)
        np.testing.assert_allclose(form.tcc_at_target, tcc[:2], rtol=1e-10)
        assert form.information_at_cut == pytest.approx(info[2], rel=1e-10)
        assert form.tcc_at_cut == pytest.approx(tcc[2], rel=1e-10)


def test_write_forms_yaml(spec_path, tmp_path):
    spec = load_spec(spec_path)
    result = assemble_spec(spec, time_limit=20)
    paths = write_forms(result, tmp_path / "out", spec=spec)
    assert [p.name for p in paths] == ["form-A.yaml", "form-B.yaml"]
    doc = yaml.safe_load(paths[0].read_text())
    assert doc["format"] == "credkit-form/1" and doc["status"] == "proposal"
    assert doc["form"] == "form-A" and doc["credential"] == "demo" and doc["published"] is None
    assert [i["id"] for i in doc["items"]] == list(result.forms[0].items)
    assert [i["position"] for i in doc["items"]] == list(range(1, 10))
    first = doc["items"][0]
    assert {"position", "id", "outcome", "key", "content_sha256", "parameters_sha256"} == set(first)
    assert re.fullmatch(r"sha256:[0-9a-f]{64}", first["content_sha256"])
    record = doc["assembly"]
    assert record["solver"].startswith("scipy.optimize.milp") and len(record["target"]) == 2
    assert record["target"][0]["information"] == pytest.approx(
        result.forms[0].information_at_target[0], rel=1e-5
    )
    assert {"credkit", "numpy", "scipy", "python"} <= set(record["versions"])


def test_published_forms_are_never_replaced(spec_path, tmp_path):
    from datetime import date

    from psychometrics.bank import load_bank
    from psychometrics.program.forms import load_forms, publish_forms

    spec = load_spec(spec_path)
    bank = load_bank(spec.bank)
    result = assemble_spec(spec, time_limit=20)
    out = tmp_path / "out"
    write_forms(result, out, spec=spec)
    published = publish_forms(out, bank=bank, credential_id="demo", on=date(2026, 1, 5))
    assert [f.form_id for f in published] == ["form-A", "form-B"]
    before = (out / "form-A.yaml").read_bytes()
    with pytest.raises(InputError, match="published and frozen"):
        write_forms(result, out, spec=spec)
    assert (out / "form-A.yaml").read_bytes() == before
    with pytest.raises(InputError, match="no proposed form to publish"):
        publish_forms(out, bank=bank, credential_id="demo")
    # new forms beside the published ones, under other ids
    write_forms(result, out, spec=spec, ids=["form-C", "form-D"])
    forms = load_forms(out)
    assert {k: f.status for k, f in forms.items()} == {
        "form-A": "published",
        "form-B": "published",
        "form-C": "proposal",
        "form-D": "proposal",
    }
    assert forms["form-A"].published == date(2026, 1, 5)
    assert forms["form-C"].item_ids == forms["form-A"].item_ids


def test_infeasible_spec_raises_with_the_reason(spec_path):
    _edit(spec_path, "    DA1: 3", "    DA1: 8")
    _edit(spec_path, "DA2: {min: 2, max: 4}", "DA2: {min: 0, max: 4}")
    _edit(spec_path, "DA3: {min: 2, max: 4}", "DA3: {min: 0, max: 4}")
    spec = load_spec(spec_path)
    with pytest.raises(InfeasibleError) as info:
        assemble_spec(spec, time_limit=10)
    # DA1 has 11 operational items; 2 forms x 8 with at most 3 shared need 13
    assert "outcome DA1 needs 2 forms x 8 items" in str(info.value)
    assert "at least 13 distinct operational calibrated items; the bank has 11" in str(info.value)
    problems = bank_problems(spec)
    assert problems and problems[0].line == 12  # the DA1 line of the blueprint


def test_unknown_include_id_names_the_spec_line(spec_path):
    _edit(spec_path, "cut_score:", "  include: [DA-0005, NOPE]\ncut_score:")
    spec = load_spec(spec_path)
    with pytest.raises(InputError) as info:
        assemble_spec(spec, time_limit=5)
    assert info.value.line == 18 and "item 'NOPE' is not in the bank" in str(info.value)
    problems = check_spec_and_bank(spec_path)
    assert any(p.line == 18 and "NOPE" in p.message for p in problems)


def test_target_defaults_to_cut_and_method_cut_needs_a_target(spec_path, tmp_path):
    _edit(spec_path, "  target: {theta: [-0.5, 0.5]}\n", "")
    result = assemble_spec(load_spec(spec_path), time_limit=10)
    assert result.forms[0].target_theta == (-0.2,)
    (tmp_path / "ratings.csv").write_text("rater,item_id,rating\nr1,DA-0001,0.5\n")
    _edit(
        spec_path, "cut_score: {theta: -0.2}", "cut_score: {method: angoff, ratings: ratings.csv}"
    )
    spec = load_spec(spec_path)
    with pytest.raises(InputError, match="form.target.theta is needed"):
        assemble_spec(spec, time_limit=5)
    assert assemble_spec(spec, time_limit=10, cut_theta=0.1).forms[0].target_theta == (0.1,)


def test_spec_check_against_bank(spec_path):
    assert [p for p in check_spec_and_bank(spec_path) if p.severity == "error"] == []
    _edit(spec_path, "    DA1: 3", "    DA1: {min: 3, max: 9}")
    _edit(spec_path, "  count: 2", "  count: 4")
    _edit(spec_path, "max_overlap: 0.34", "max_overlap: 0.0")
    problems = [p for p in check_spec_and_bank(spec_path) if p.severity == "error"]
    assert problems, "4 forms x 9 items without overlap need 36 distinct items; there are 33"
    assert any("need at least 36 distinct" in p.message for p in problems)


def test_form_ids():
    assert form_ids(3) == ("form-A", "form-B", "form-C")
    assert form_ids(28)[26:] == ("form-AA", "form-AB")


# ------------------------------------------------------------------------ CLI


def test_cli_assemble_json_and_files(spec_path, tmp_path):
    out = tmp_path / "forms"
    runner = CliRunner()
    result = runner.invoke(
        main, ["assemble", str(spec_path), "--out", str(out), "--json", "--time-limit", "20"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"status", "gap", "seconds", "forms"}
    assert doc["status"] == "optimal"
    assert [f["id"] for f in doc["forms"]] == ["form-A", "form-B"]
    assert all(len(f["items"]) == 9 and len(f["information_at_target"]) == 2 for f in doc["forms"])
    assert sorted(p.name for p in out.iterdir()) == ["form-A.yaml", "form-B.yaml"]


def test_cli_assemble_qti(spec_path, tmp_path):
    out = tmp_path / "forms"
    result = CliRunner().invoke(main, ["assemble", str(spec_path), "--out", str(out), "--qti"])
    assert result.exit_code == 0, result.output
    assert (out / "form-A.zip").stat().st_size > 0 and "wrote" in result.stdout


def test_cli_assemble_infeasible_is_one_line_and_writes_nothing(spec_path, tmp_path):
    _edit(spec_path, "max_seconds: 900", "max_seconds: 100")
    out = tmp_path / "forms"
    result = CliRunner().invoke(main, ["assemble", str(spec_path), "--out", str(out)])
    assert result.exit_code == 1
    lines = [ln for ln in result.stderr.splitlines() if ln.startswith("credkit: error")]
    assert len(lines) == 1 and "max_seconds is 100" in lines[0]
    assert f"{spec_path}:" in lines[0]
    assert "Traceback" not in result.output
    assert not out.exists()


def test_cli_assemble_bad_spec(spec_path):
    _edit(spec_path, "  count: 2", "  count: two")
    result = CliRunner().invoke(main, ["assemble", str(spec_path)])
    assert result.exit_code == 1
    assert "form.count: expected a whole number" in result.stderr


def test_cli_spec_check_with_bank(spec_path):
    result = CliRunner().invoke(main, ["spec", "check", str(spec_path)])
    assert result.exit_code == 0, result.output
    assert "ok" in result.stdout
    _edit(spec_path, "bank: bank", "bank: elsewhere")
    result = CliRunner().invoke(main, ["spec", "check", str(spec_path), "--json"])
    assert result.exit_code == 1
    doc = json.loads(result.stdout)
    assert doc["ok"] is False and doc["problems"][0]["line"] == 6


def test_spec_check_warns_about_bank_outcomes_the_spec_lacks(spec_path):
    _edit(spec_path, "  - {id: DA3, title: Three}\n", "")
    _edit(spec_path, "    DA3: {min: 2, max: 4}\n", "")
    _edit(spec_path, "DA2: {min: 2, max: 4}", "DA2: {min: 2, max: 6}")
    problems = check_spec_and_bank(spec_path)
    warnings = [
        p for p in problems if "outcome 'DA3', which the spec does not declare" in p.message
    ]
    assert len(warnings) == 1 and warnings[0].severity == "warning" and warnings[0].line == 2
