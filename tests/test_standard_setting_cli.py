"""``credkit cutscore ...`` and ``credkit classify``: JSON contracts, readable output, bad input."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
from click.testing import CliRunner

from psychometrics.cli import main
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.params_io import write_params

A = np.array([1.0, 1.5, 0.8, 2.0, 1.2, 0.9])
B = np.array([-1.0, 0.0, 0.5, 1.0, -0.5, 0.2])
C = np.array([0.2, 0.25, 0.0, 0.1, 0.2, 0.15])
IDS = tuple(f"DA-{j:04d}" for j in range(1, 7))


def p3(theta, rows=slice(None)):
    return C[rows] + (1 - C[rows]) / (1 + np.exp(-A[rows] * (theta - B[rows])))


def tcc_root(raw, rows=slice(None)):
    lo, hi = -6.0, 6.0
    for _ in range(200):
        mid = (lo + hi) / 2
        lo, hi = (mid, hi) if p3(mid, rows).sum() < raw else (lo, mid)
    return (lo + hi) / 2


@pytest.fixture
def files(tmp_path):
    params = ItemParameters(item_ids=IDS, model=("3pl",) * 6, a=A, b=B, c=C)
    write_params(tmp_path / "params.csv", params)
    (tmp_path / "A.yaml").write_text(
        "form_id: A\nitems:\n" + "".join(f"  - id: {i}\n    outcome: DA1\n" for i in IDS[:4])
    )
    (tmp_path / "B.yaml").write_text("items: [DA-0003, DA-0004, DA-0005, DA-0006]\n")
    ratings = {"R1": [0.8, 0.6, 0.5, 0.3, 0.7, 0.6], "R2": [0.9, 0.5, 0.4, 0.2, 0.6, 0.5]}
    (tmp_path / "ratings.csv").write_text(
        "rater,item_id,rating\n"
        + "".join(
            f"{r},{i},{v}\n" for r, vs in ratings.items() for i, v in zip(IDS, vs, strict=True)
        )
    )
    scores = [2, 3, 4, 5, 5, 6, 6, 7, 8, 9]
    (tmp_path / "scores.csv").write_text(
        "person_id,score\n" + "".join(f"P{k},{s}\n" for k, s in enumerate(scores))
    )
    return tmp_path


def run(args, ok=True):
    result = CliRunner().invoke(main, [str(a) for a in args])
    if ok:
        assert result.exit_code == 0, result.output
    return result


def test_angoff_json_contract_and_values(files):
    out = json.loads(
        run(["cutscore", "angoff", files / "ratings.csv", "--params", files / "params.csv",
             "--form", files / "A.yaml", "--json"]).stdout
    )  # fmt: skip
    for key in ("method", "raw_cut", "theta_cut", "se_raw", "se_theta", "raters", "rater_cuts"):
        assert key in out
    # form A = first four items: R1 2.2, R2 2.0 -> 2.1; SE = SD(2.2, 2.0)/sqrt(2) = .1
    assert out["method"] == "angoff" and out["raters"] == ["R1", "R2"]
    assert out["rater_cuts"] == pytest.approx([2.2, 2.0])
    assert out["raw_cut"] == pytest.approx(2.1)
    assert out["se_raw"] == pytest.approx(math.sqrt(0.02) / math.sqrt(2))
    assert out["theta_cut"] == pytest.approx(tcc_root(2.1, slice(0, 4)), abs=1e-8)
    # a form file listing plain ids works too
    out_b = json.loads(
        run(["cutscore", "angoff", files / "ratings.csv", "--params", files / "params.csv",
             "--form", files / "B.yaml", "--json"]).stdout
    )  # fmt: skip
    assert out_b["raw_cut"] == pytest.approx((0.5 + 0.3 + 0.7 + 0.6 + 0.4 + 0.2 + 0.6 + 0.5) / 2)
    text = run(["cutscore", "angoff", files / "ratings.csv", "--params", files / "params.csv"])
    assert "raw cut" in text.stdout and "theta cut" in text.stdout


def test_hofstee_json_contract(files):
    out = json.loads(
        run(["cutscore", "hofstee", "--scores", files / "scores.csv", "--min-cut", 4,
             "--max-cut", 8, "--min-fail", 0.1, "--max-fail", 0.5, "--json"]).stdout
    )  # fmt: skip
    # worked example (see test_standard_setting.test_hofstee_worked_example)
    assert out["raw_cut"] == pytest.approx(5 + 1 / 3)
    assert out["fail_rate"] == pytest.approx(0.3 + 0.2 / 3)


def test_other_methods_run_and_print_json(files, tmp_path):
    (tmp_path / "bm.csv").write_text("rater,rating\nR1,2\nR2,3\nR3,3\n")
    out = json.loads(
        run(["cutscore", "bookmark", tmp_path / "bm.csv", "--params", files / "params.csv",
             "--rp", 0.67, "--json"]).stdout
    )  # fmt: skip
    assert out["method"] == "bookmark" and out["pages"] == [2, 3, 3]
    loc = np.sort(B + np.log((0.67 - C) / 0.33) / A)
    assert out["theta_cut"] == pytest.approx(loc[2])
    booklet = json.loads(
        run(["cutscore", "booklet", "--params", files / "params.csv", "--json"]).stdout
    )
    assert booklet["locations"] == pytest.approx(loc.tolist())

    (tmp_path / "beuk.csv").write_text("rater,cut,pass_rate\nA,5,0.55\nB,7,0.65\n")
    out = json.loads(
        run(["cutscore", "beuk", "--scores", files / "scores.csv", "--judgments",
             tmp_path / "beuk.csv", "--json"]).stdout
    )  # fmt: skip
    assert out["method"] == "beuk" and 5 < out["raw_cut"] < 7

    rows = [(f"P{k}", s, "master" if s >= 6 else "nonmaster") for k, s in enumerate(range(12))]
    rows[5] = ("P5", 5, "master")
    rows[7] = ("P7", 7, "nonmaster")
    (tmp_path / "cg.csv").write_text(
        "person_id,score,rating\n" + "".join(f"{p},{s},{r}\n" for p, s, r in rows)
    )
    out = json.loads(
        run(["cutscore", "contrasting-groups", "--scores", tmp_path / "cg.csv", "--json"]).stdout
    )
    assert out["method"] == "contrasting-groups" and 4 < out["raw_cut"] < 8

    (tmp_path / "bl.csv").write_text(
        "person_id,score,rating\nP1,10,fail\nP2,14,borderline\nP3,15,borderline\nP4,20,pass\n"
    )
    out = json.loads(
        run(["cutscore", "borderline", "--scores", tmp_path / "bl.csv", "--json"]).stdout
    )
    assert out["raw_cut"] == 14.5 and out["n"] == 2
    (tmp_path / "bl2.csv").write_text(
        "person_id,score,rating\nP1,10,0\nP2,14,1\nP3,15,1\nP4,20,2\n"
    )
    out = json.loads(
        run(["cutscore", "borderline", "--scores", tmp_path / "bl2.csv", "--method",
             "regression", "--borderline", 1, "--json"]).stdout
    )  # fmt: skip
    slope, intercept = np.polyfit([0, 1, 1, 2], [10, 14, 15, 20], 1)
    assert out["raw_cut"] == pytest.approx(intercept + slope)


def test_convert_carries_theta_to_forms(files):
    out = json.loads(
        run(["cutscore", "convert", "--params", files / "params.csv", "--form", files / "A.yaml",
             "--form", files / "B.yaml", "--theta", 0.3, "--slope", 10, "--intercept", 500,
             "--scale-round", 0, "--json"]).stdout
    )  # fmt: skip
    assert out["raw_cuts"] == {
        "A": math.ceil(p3(0.3, slice(0, 4)).sum()),
        "B": math.ceil(p3(0.3, slice(2, 6)).sum()),
    }
    assert out["scale_cut"] == 503


def test_classify_json_contract(files, tmp_path):
    keys = ("method", "accuracy", "consistency", "false_positive", "false_negative")
    out = json.loads(
        run(["classify", "--params", files / "params.csv", "--cut", 0.0, "--json"]).stdout
    )
    assert all(k in out for k in keys) and out["method"] == "rudner-population"
    (tmp_path / "th.csv").write_text(
        "person_id,theta,se,group\nP1,-1,0.4,F\nP2,0.2,0.3,M\nP3,1.1,0.5,F\n"
    )
    out = json.loads(
        run(["classify", "--params", files / "params.csv", "--cut", 0.0, "--scores",
             tmp_path / "th.csv", "--json"]).stdout
    )  # fmt: skip
    assert out["method"] == "rudner" and out["pass_rates"]["by_group"] == {"F": 0.5, "M": 1.0}
    out = json.loads(
        run(["classify", "--params", files / "params.csv", "--cut", 0.0, "--method", "lee",
             "--json"]).stdout
    )  # fmt: skip
    assert out["method"] == "lee" and out["raw_cut"] == math.ceil(p3(0.0).sum())
    text = run(["classify", "--params", files / "params.csv", "--cut", 0.0]).stdout
    assert "accuracy" in text and "CSEM" in text


@pytest.mark.parametrize(
    ("content", "words"),
    [
        ("rater,item_id,rating\nR1,DA-0001,0.5\nR1,DA-0002,oops\n", "ratings.csv:3: rating:"),
        ("rater,item_id\nR1,DA-0001\n", "ratings.csv:1: rating: missing column"),
        ("rater,item_id,rating\nR1,DA-0001,0.5\n", "no rating for item"),
    ],
)
def test_angoff_bad_ratings_one_line_error(files, content, words):
    (files / "ratings.csv").write_text(content)
    res = run(
        ["cutscore", "angoff", files / "ratings.csv", "--params", files / "params.csv", "--json"],
        ok=False,
    )
    assert res.exit_code == 1 and res.stdout == ""
    assert words in res.stderr and len(res.stderr.strip().splitlines()) == 1
    assert "Traceback" not in res.output


@pytest.mark.parametrize(
    ("form", "words"),
    [
        ("items: [DA-0001, DA-9999]\n", "form items not in params.csv: DA-9999"),
        ("items: [DA-0001\n", "malformed YAML"),
        ("title: no items\n", "items: expected a non-empty 'items:' list"),
        ("items:\n  - {outcome: DA1}\n", "items[0]"),
    ],
)
def test_bad_form_files(files, form, words):
    (files / "F.yaml").write_text(form)
    res = run(
        ["cutscore", "angoff", files / "ratings.csv", "--params", files / "params.csv",
         "--form", files / "F.yaml"],
        ok=False,
    )  # fmt: skip
    assert res.exit_code == 1 and words in res.stderr
    assert len(res.stderr.strip().splitlines()) == 1


def test_bad_scores_and_options(files, tmp_path):
    (tmp_path / "th.csv").write_text("person_id,theta,se\nP1,0.1,0.3\nP2,0.2,0\n")
    res = run(
        ["classify", "--params", files / "params.csv", "--cut", 0, "--scores", tmp_path / "th.csv"],
        ok=False,
    )
    assert res.exit_code == 1 and "th.csv:3: se: se must be positive" in res.stderr
    res = run(
        ["cutscore", "hofstee", "--scores", files / "scores.csv", "--min-cut", 4, "--max-cut",
         8, "--min-fail", 10, "--max-fail", 50],
        ok=False,
    )  # fmt: skip
    assert res.exit_code == 1 and "proportions" in res.stderr
    res = run(["cutscore", "beuk", "--scores", files / "scores.csv"], ok=False)
    assert res.exit_code == 1 and "--judgments" in res.stderr
    res = run(["classify", "--cut", 0], ok=False)
    assert res.exit_code == 1 and "--params" in res.stderr
    (tmp_path / "s.csv").write_text("person_id,score\nP1,4\nP1,5\n")
    res = run(
        ["cutscore", "hofstee", "--scores", tmp_path / "s.csv", "--min-cut", 4, "--max-cut", 8,
         "--min-fail", 0.1, "--max-fail", 0.5],
        ok=False,
    )  # fmt: skip
    assert res.exit_code == 1 and "s.csv:3: person_id: duplicate" in res.stderr


def test_classify_livingston_lewis_and_convert_from_raw(files, tmp_path):
    rng = np.random.default_rng(5)
    true = rng.beta(5, 3, 2000)
    scores = rng.binomial(30, true)
    (tmp_path / "raw.csv").write_text(
        "person_id,score\n" + "".join(f"P{k},{s}\n" for k, s in enumerate(scores))
    )
    out = json.loads(
        run(["classify", "--method", "livingston-lewis", "--cut", 18, "--scores",
             tmp_path / "raw.csv", "--reliability", 0.8, "--max-score", 30, "--json"]).stdout
    )  # fmt: skip
    assert out["method"] == "livingston-lewis" and 0.5 < out["accuracy"] <= 1
    assert out["pass_rates"]["overall"] == pytest.approx(np.mean(scores >= 18))
    out = json.loads(
        run(["cutscore", "convert", "--params", files / "params.csv", "--raw", 3.3,
             "--rounding", "none", "--json"]).stdout
    )  # fmt: skip
    assert out["theta_cut"] == pytest.approx(tcc_root(3.3), abs=1e-8)
    assert out["raw_cuts"]["all"] == pytest.approx(3.3, abs=1e-8)
