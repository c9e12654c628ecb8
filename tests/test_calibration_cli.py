"""``credkit calibrate``: outputs, JSON contract, anchors, engines and broken input."""

import json

import numpy as np
import pytest
from click.testing import CliRunner
from test_calibration_lsat import LSAT6, _expand

from psychometrics.cli import main
from psychometrics.irt import read_params


@pytest.fixture()
def lsat_csv(tmp_path):
    x = _expand(LSAT6)
    lines = ["person,Q1,Q2,Q3,Q4,Q5,sex,form"]
    for i, row in enumerate(x):
        lines.append(f"p{i},{','.join(map(str, row))},{'F' if i % 2 else 'M'},A")
    path = tmp_path / "resp.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def test_calibrate_writes_params_and_prints_summary(lsat_csv, tmp_path):
    out = tmp_path / "params.csv"
    r = run(
        "calibrate", lsat_csv, "--model", "2pl", "--out", out, "--group", "sex", "--ignore", "form"
    )
    assert r.exit_code == 0, r.output
    assert "log-likelihood -2466.65" in r.output
    assert "observed information (Louis 1982)" in r.output and "D = 1" in r.output
    params = read_params(out)
    assert params.item_ids == ("Q1", "Q2", "Q3", "Q4", "Q5")
    np.testing.assert_allclose(params.a, [0.8254, 0.7229, 0.8905, 0.6886, 0.6575], atol=0.01)
    assert np.all(np.isfinite(params.se_a)) and np.all(np.isfinite(params.se_b[:, 0]))
    header = out.read_text().splitlines()[0]
    assert header == "item_id,model,a,b,c,se_a,se_b,se_c"


def test_json_output_is_only_json_with_the_contract_keys(lsat_csv, tmp_path):
    out = tmp_path / "params.csv"
    r = CliRunner().invoke(
        main,
        ["calibrate", str(lsat_csv), "--model", "rasch", "--out", str(out), "--json"]
        + ["--group", "sex", "--group", "form"],
    )
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    for key in ("model", "loglik", "aic", "bic", "iterations", "converged", "n_persons"):
        assert key in data
    assert data["n_items"] == 5 and data["n_persons"] == 1000
    assert data["model"] == "rasch" and data["converged"] is True
    assert data["loglik"] == pytest.approx(-2466.938, abs=0.01)
    assert data["se_method"] == "louis" and data["metric"] == "logistic, D = 1"
    assert data["latent_sd"] == pytest.approx(0.7551, abs=0.01)


def test_anchors_fix_items_and_estimate_the_rest(lsat_csv, tmp_path):
    full = tmp_path / "full.csv"
    assert (
        run("calibrate", lsat_csv, "--out", full, "--group", "sex", "--group", "form").exit_code
        == 0
    )
    anchors = tmp_path / "anchors.csv"
    lines = full.read_text().splitlines()
    anchors.write_text("\n".join(lines[:4]) + "\n")  # Q1..Q3 fixed
    out = tmp_path / "new.csv"
    r = run(
        "calibrate", lsat_csv, "--out", out, "--anchors", anchors, "--json",
        "--group", "sex", "--group", "form",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["anchors"] == ["Q1", "Q2", "Q3"]
    new, old = read_params(out), read_params(full)
    np.testing.assert_allclose(new.a[:3], old.a[:3], rtol=1e-5)
    assert np.all(np.isnan(new.se_a[:3]))
    # anchored on the scale the same data defined, mean ~0 and sd ~1 and Q4/Q5 close to before
    assert abs(data["latent_mean"]) < 0.05 and abs(data["latent_sd"] - 1) < 0.05
    np.testing.assert_allclose(new.a[3:], old.a[3:], atol=0.05)


def test_girth_engine_from_the_cli(lsat_csv, tmp_path):
    out = tmp_path / "g.csv"
    r = run(
        "calibrate", lsat_csv, "--out", out, "--engine", "girth", "--json",
        "--group", "sex", "--group", "form",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    data = json.loads(r.stdout)
    assert data["engine"] == "girth"
    assert data["loglik"] == pytest.approx(-2466.653, abs=0.05)


def test_polytomous_and_mixed_models(tmp_path):
    rng = np.random.default_rng(4)
    theta = rng.standard_normal(800)
    mcq = (
        rng.random((800, 6)) < 1 / (1 + np.exp(-(theta[:, None] - np.linspace(-1, 1, 6))))
    ).astype(int)
    rub = np.clip(np.round(theta[:, None] + 1.5 + rng.normal(0, 0.8, (800, 2))), 0, 3).astype(int)
    path = tmp_path / "mixed.csv"
    rows = ["pid," + ",".join([f"m{j}" for j in range(6)] + ["r1", "r2"])]
    for i in range(800):
        cells = [str(v) for v in mcq[i]] + [str(v) for v in rub[i]]
        if i % 7 == 0:
            cells[2] = ""  # not presented
        rows.append(f"p{i}," + ",".join(cells))
    path.write_text("\n".join(rows) + "\n")
    out = tmp_path / "p.csv"
    r = run("calibrate", path, "--model", "2pl", "--out", out)
    assert r.exit_code == 1 and "--poly-model" in r.output and not out.exists()
    r = run("calibrate", path, "--model", "3pl", "--poly-model", "grm", "--out", out, "--json")
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["model"] == "mixed"
    params = read_params(out)
    assert params.model == ("3pl",) * 6 + ("grm", "grm")
    assert "b3" in out.read_text().splitlines()[0]


@pytest.mark.parametrize(
    "content,expected",
    [
        ("pid,i1,i2\np1,0,1\np2,x,0\n", ":3: i1: 'x' is not an integer score"),
        ("pid,i1,i2\np1,0,1\np1,1,0\n", "duplicate person id"),
        ("pid,i1,i2\np1,0,1\np2,1\n", "has 2 cells"),
        ("pid,i1,i2\np1,0,1\np2,1.5,0\n", "not an integer score"),
        ("", "empty"),
    ],
)
def test_broken_responses_give_one_line_and_no_output(tmp_path, content, expected):
    path = tmp_path / "bad.csv"
    path.write_text(content)
    out = tmp_path / "out.csv"
    out.write_text("keep me\n")
    r = run("calibrate", path, "--out", out)
    assert r.exit_code == 1
    assert expected in r.output
    assert len(r.output.strip().splitlines()) == 1 and "Traceback" not in r.output
    assert out.read_text() == "keep me\n"  # nothing on disk damaged


def test_broken_anchor_file_and_options(lsat_csv, tmp_path):
    bad = tmp_path / "anchors.csv"
    bad.write_text("item_id,model,a,b\nQ1,2pl,abc,0\n")
    out = tmp_path / "o.csv"
    r = run(
        "calibrate", lsat_csv, "--out", out, "--anchors", bad, "--group", "sex", "--group", "form"
    )
    assert r.exit_code == 1 and "anchors.csv:2: a: 'abc' is not a number" in r.output
    assert not out.exists()
    r = run(
        "calibrate",
        lsat_csv,
        "--out",
        out,
        "--c-prior",
        "0,1",
        "--ignore",
        "sex",
        "--ignore",
        "form",
    )
    assert r.exit_code == 1 and "--c-prior" in r.output
    r = run("calibrate", lsat_csv, "--out", out, "--group", "nosuch")
    assert r.exit_code == 1 and "nosuch" in r.output
    r = run("calibrate", lsat_csv, "--out", out, "--model", "4pl")
    assert r.exit_code == 2


def test_non_convergence_warns_and_strict_fails(lsat_csv, tmp_path):
    out = tmp_path / "o.csv"
    args = ["calibrate", lsat_csv, "--out", out, "--max-iter", "2", "--group", "sex"]
    r = run(*args, "--group", "form")
    assert r.exit_code == 0 and "warning: did not converge" in r.output
    assert "NOT CONVERGED" in r.output and out.exists()
    out.unlink()
    r = run(*args, "--group", "form", "--strict")
    assert r.exit_code == 1 and "did not converge" in r.output and not out.exists()


def test_long_format_gives_the_same_calibration(lsat_csv, tmp_path):
    rows = [line.split(",") for line in lsat_csv.read_text().splitlines()]
    header, body = rows[0], rows[1:]
    long_lines = ["person_id,item_id,response"]
    for row in body[::2]:  # every other person, one item left out for some: not presented
        for j in range(1, 6):
            if not (j == 3 and row[0].endswith("0")):
                long_lines.append(f"{row[0]},{header[j]},{row[j]}")
    long_csv = tmp_path / "long.csv"
    long_csv.write_text("\n".join(long_lines) + "\n")
    wide_lines = ["person," + ",".join(header[1:6])]
    for row in body[::2]:
        cells = row[1:6]
        if row[0].endswith("0"):
            cells[2] = ""
        wide_lines.append(row[0] + "," + ",".join(cells))
    wide_csv = tmp_path / "wide.csv"
    wide_csv.write_text("\n".join(wide_lines) + "\n")
    a = json.loads(
        run("calibrate", long_csv, "--long", "--out", tmp_path / "a.csv", "--json").stdout
    )
    b = json.loads(run("calibrate", wide_csv, "--out", tmp_path / "b.csv", "--json").stdout)
    assert a["n_persons"] == b["n_persons"] == 500
    assert a["loglik"] == pytest.approx(b["loglik"], abs=1e-6)
