"""The candidates' outputs of ``credkit build``: results.csv (the contract the badge issuer reads)
and one score report per candidate, outside the validity report folder."""

from __future__ import annotations

import csv
import math

import numpy as np
import pytest
from click.testing import CliRunner
from programs import make_program
from scipy import optimize

from psychometrics.cli import main
from psychometrics.program.build import build
from psychometrics.program.build.scores import RESULTS_COLUMNS

SCALE = "  scale: {slope: 50, intercept: 500, round: 0, min: 200, max: 800}\n"


def _with_scale(spec):
    text = spec.read_text()
    spec.write_text(text.replace("  round: 2\n", "  round: 2\n" + SCALE, 1))
    return spec


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("cands")
    spec = _with_scale(make_program(root))
    result = build(spec, log=lambda _m: None)
    with open(result.candidates_dir / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    return root, spec, result, rows


def test_results_csv_columns_rows_and_location(built):
    root, _, result, rows = built
    header = (result.candidates_dir / "results.csv").read_text().splitlines()[0]
    assert header == (
        "candidate_id,administration_id,form_id,attempt,raw_score,max_raw_score,theta,"
        "theta_se,scale_score,passed,completed_on"
    )
    assert tuple(header.split(",")) == RESULTS_COLUMNS
    assert result.candidates_dir == root / "reports" / "test-cred-candidates"
    assert result.out_dir not in result.candidates_dir.parents
    admin = result.state.administration
    assert [r["candidate_id"] for r in rows] == list(admin.responses.person_ids)
    assert {r["passed"] for r in rows} <= {"true", "false"}
    assert {r["completed_on"] for r in rows} == {"2026-03-06"}  # the window's end
    assert {r["attempt"] for r in rows} == {"1"}
    assert {r["administration_id"] for r in rows} == {"w1"}
    theta = np.asarray(result.state.theta.theta)
    got = np.array([float(r["theta"]) for r in rows])
    np.testing.assert_allclose(got, theta, atol=5e-5)


def test_pass_fail_agrees_with_the_raw_cut_and_the_scale_cut(built):
    _, _, result, rows = built
    cut = result.state.cut
    scale_cut = float(cut.scale_cut)
    for r in rows:
        raw, passed = float(r["raw_score"]), r["passed"] == "true"
        assert passed == (raw >= float(cut.raw_cuts[r["form_id"]]))
        assert passed == (float(r["scale_score"]) >= scale_cut)
        assert float(r["scale_score"]) == round(float(r["scale_score"]))  # round: 0
        assert 200 <= float(r["scale_score"]) <= 800
    for fid, conv in result.state.conversions.items():
        takers = [r for r in rows if r["form_id"] == fid]
        assert conv.n == len(takers)
        assert conv.pass_rate == pytest.approx(np.mean([r["passed"] == "true" for r in takers]))


def _tcc(p, t):
    return float(np.sum(p.c + (1 - p.c) / (1 + np.exp(-p.a * (t - p.b[:, 0])))))


def test_scale_scores_are_the_true_score_theta_on_the_reporting_scale(built):
    # independent: brentq on the 3PL TCC written out here, then 500 + 50 theta, rounded
    _, _, result, _ = built
    st = result.state
    cut = st.cut
    for fid, conv in st.conversions.items():
        p = st.params.subset(st.forms[fid])
        c_sum = float(np.sum(p.c))
        for x in range(conv.max_score + 1):
            if x <= c_sum:
                assert conv.scale[x] == 200  # lowest obtainable scale score
                continue
            if x == conv.max_score:
                assert conv.scale[x] == 800
                continue
            root = optimize.brentq(lambda t, x=x, p=p: _tcc(p, t) - x, -30, 30, xtol=1e-12)
            want = min(max(math.floor(500 + 50 * root + 0.5), 200), 800)
            if abs(x - cut.raw_cuts[fid]) <= 1:  # next to the cut: anchored to the decision
                assert (conv.scale[x] >= cut.scale_cut) == (x >= cut.raw_cuts[fid])
                assert abs(conv.scale[x] - want) <= 1
            else:
                assert conv.scale[x] == want, (fid, x)


def test_equating_tables_to_the_rated_form(built):
    _, _, result, _ = built
    conv = result.state.conversions
    ref = conv["A"] if "A" in conv else next(iter(conv.values()))
    np.testing.assert_allclose(ref.true_equivalent, ref.raw, atol=1e-9)
    np.testing.assert_allclose(ref.observed_equivalent, ref.raw, atol=1e-9)
    for c in conv.values():
        assert np.all(np.diff(c.observed_equivalent) > 0)
        mid = slice(3, c.max_score - 2)
        assert np.max(np.abs(c.true_equivalent[mid] - c.observed_equivalent[mid])) < 1.0
        assert c.observed_cut == pytest.approx(c.raw_cut_exact, abs=1.0)


def test_score_reports_are_outside_the_validity_report(built):
    _, _, result, rows = built
    html_files = sorted(p for p in result.candidates_dir.glob("*.html"))
    assert len(html_files) == len(rows)
    first = rows[0]
    page = (result.candidates_dir / f"{first['candidate_id']}.html").read_text()
    assert f">{first['scale_score']}<" in page
    assert ("Not passed" in page) == (first["passed"] == "false")
    assert "Tests only." in page  # the spec's intended use
    assert "too short to support decisions" in page
    assert "O1" in page and "O2" in page and "standard error" in page
    report = result.index.read_text()
    assert not any(r["candidate_id"] in report for r in rows[:50])
    assert not list(result.out_dir.rglob("results.csv"))


def test_outcome_bands_contain_the_subscore(built):
    _, _, result, _ = built
    for cand in result.state.candidates[:100]:
        assert sum(o.score for o in cand.outcomes) == pytest.approx(cand.raw_score)
        for o in cand.outcomes:
            assert o.low <= o.percent <= o.high
            assert o.label in ("below the standard", "near the standard", "above the standard")
            if o.label == "below the standard":
                assert o.high < o.standard


def test_candidates_out_inside_the_report_is_refused(built, tmp_path):
    _, spec, result, _ = built
    res = CliRunner().invoke(
        main,
        ["build", str(spec), "--candidates-out", str(result.out_dir / "cands")],
    )
    assert res.exit_code == 1
    assert "must not be inside the validity report folder" in res.output
    assert "Traceback" not in res.output
    assert (result.out_dir / "index.html").is_file()


def test_candidates_out_option_and_earlier_attempts(tmp_path):
    spec = _with_scale(make_program(tmp_path, n_persons=300))
    text = spec.read_text().replace(
        "administrations:\n",
        "administrations:\n  - id: w0\n    window: {start: 2026-01-05, end: 2026-01-09}\n"
        "    responses: data/responses.csv\n",
        1,
    )
    spec.write_text(text)
    out = tmp_path / "elsewhere" / "scores"
    res = CliRunner().invoke(main, ["build", str(spec), "--candidates-out", str(out)])
    assert res.exit_code == 0, res.output
    assert f"score reports: {out}" in res.output
    with open(out / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert {r["attempt"] for r in rows} == {"2"}  # everyone also sat w0, in January
    assert {r["administration_id"] for r in rows} == {"w1"}


def test_theta_pass_rule_scale_scores_agree_with_the_decisions(tmp_path):
    spec = _with_scale(make_program(tmp_path, n_persons=300))
    spec.write_text(spec.read_text().replace("  round: 2\n", "  round: 2\n  pass_rule: theta\n", 1))
    result = build(spec, log=lambda _m: None)
    cut = result.state.cut
    with open(result.candidates_dir / "results.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    theta = np.asarray(result.state.theta.theta)
    for r, t in zip(rows, theta, strict=True):
        passed = r["passed"] == "true"
        assert passed == (t >= cut.theta_cut)
        assert passed == (float(r["scale_score"]) >= float(cut.scale_cut))
        if abs(t - cut.theta_cut) > 0.05:  # away from the cut: 500 + 50 theta, rounded
            assert float(r["scale_score"]) == min(max(math.floor(500 + 50 * t + 0.5), 200), 800)
    for fid, conv in result.state.conversions.items():
        takers = [r["passed"] == "true" for r in rows if r["form_id"] == fid]
        assert conv.pass_rate == pytest.approx(np.mean(takers))
