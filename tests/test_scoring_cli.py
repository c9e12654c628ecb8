"""credkit score / score-table / info / fit / dimensionality / link / equate end to end, including
broken input (one-line error, exit 1, no traceback, nothing written)."""

import csv
import json

import numpy as np
import pytest
from click.testing import CliRunner

from psychometrics.cli import main
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.params_io import read_params, write_params
from psychometrics.irt.scoring import score_persons
from psychometrics.linking import transform

LSAT7_A = np.array([0.9876, 1.0808, 1.7075, 0.765, 0.7357])
LSAT7_D = np.array([1.8559, 0.808, 1.8052, 0.486, 1.8545])
LSAT7_FREQ = [12, 19, 1, 7, 3, 19, 3, 17, 10, 5, 3, 7, 7, 23, 8, 28, 7, 39, 11, 34, 14, 51, 15, 90]
LSAT7_FREQ += [6, 25, 7, 35, 18, 136, 32, 308]
IDS = tuple(f"Item.{j + 1}" for j in range(5))


def lsat7_params():
    return ItemParameters(
        item_ids=IDS, model=("2pl",) * 5, a=LSAT7_A, b=-LSAT7_D / LSAT7_A, c=np.zeros(5)
    )


@pytest.fixture
def files(tmp_path):
    params = tmp_path / "params.csv"
    write_params(params, lsat7_params())
    pats = np.array([[int(ch) for ch in f"{i:05b}"] for i in range(32)])
    data = np.repeat(pats, LSAT7_FREQ, axis=0)
    lines = ["person_id," + ",".join(IDS)]
    for i, row in enumerate(data):
        cells = [str(v) for v in row]
        if i == 3:
            cells[2] = ""  # not presented
        lines.append(f"P{i:04d}," + ",".join(cells))
    resp = tmp_path / "responses.csv"
    resp.write_text("\n".join(lines) + "\n")
    return tmp_path, params, resp, data


def run(*args):
    result = CliRunner().invoke(main, [str(a) for a in args])
    return result


def read_csv(path):
    with open(path, newline="") as fh:
        return list(csv.DictReader(fh))


def test_score_writes_scores_csv(files):
    tmp, params, resp, data = files
    out = tmp / "scores.csv"
    res = run("score", resp, "--params", params, "--method", "eap", "--out", out)
    assert res.exit_code == 0, res.output
    rows = read_csv(out)
    assert len(rows) == 1000
    assert list(rows[0])[:4] == ["person_id", "theta", "se", "sum_score"]
    x = data.astype(float)
    x[3, 2] = np.nan
    lib = score_persons(x, lsat7_params())
    np.testing.assert_allclose([float(r["theta"]) for r in rows], lib.theta, atol=1e-5)
    assert rows[3]["sum_score"] == str(int(np.nansum(x[3])))
    scaled = tmp / "scaled.csv"
    res = run(
        "score", resp, "--params", params, "--out", scaled, "--scale-slope", 10,
        "--scale-intercept", 50, "--round", 0, "--min", 35,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    for row in read_csv(scaled)[:50]:
        expect = max(35, round(10 * float(row["theta"]) + 50))
        assert float(row["scale_score"]) == expect
        assert float(row["scale_se"]) == pytest.approx(10 * float(row["se"]), rel=1e-4)
    res = run("score", resp, "--params", params, "--method", "ml", "--json")
    payload = json.loads(res.output)
    assert payload["method"] == "ml" and len(payload["persons"]) == 1000
    top = [p for p in payload["persons"] if p["sum_score"] == 5][0]
    assert top["theta"] == 6.0 and "at_bound" in top["flags"]


def test_score_table_with_reporting_scale(files):
    tmp, params, _, _ = files
    out = tmp / "table.csv"
    res = run(
        "score-table", "--params", params, "--out", out, "--scale-slope", 10,
        "--scale-intercept", 50, "--round", 0, "--min", 35, "--max", 60,
    )  # fmt: skip
    assert res.exit_code == 0, res.output
    rows = read_csv(out)
    assert [r["sum_score"] for r in rows] == ["0", "1", "2", "3", "4", "5"]
    # mirt's EAPsum theta for sum score 0 is -1.86979 -> 10 * -1.87 + 50 = 31.3 -> clipped 35
    assert float(rows[0]["theta"]) == pytest.approx(-1.86979, abs=2e-3)
    assert float(rows[0]["scale_score"]) == 35
    assert float(rows[5]["scale_score"]) == round(10 * float(rows[5]["theta"]) + 50)
    assert sum(float(r["expected_proportion"]) for r in rows) == pytest.approx(1.0, abs=1e-6)
    res = run("score-table", "--params", params, "--items", "Item.1,Item.3", "--json")
    assert len(json.loads(res.output)["rows"]) == 3


def test_info_table(files):
    _, params, _, _ = files
    res = run("info", "--params", params, "--json", "--step", 1)
    payload = json.loads(res.output)
    assert len(payload["rows"]) == 9 and 0 < payload["marginal_reliability"] < 1
    res = run("info", "--params", params)
    assert res.exit_code == 0 and "marginal reliability" in res.output


def test_fit_json_has_required_fields_and_mirt_values(files):
    tmp, params, resp, _ = files
    persons, plot = tmp / "pf.csv", tmp / "plot.json"
    res = run(
        "fit", resp, "--params", params, "--json", "--persons-out", persons, "--plot-data", plot
    )
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert {"M2", "M2_df", "M2_p", "RMSEA", "items", "q3_flags"} <= set(payload)
    assert {"item_id", "S_X2", "df", "p"} <= set(payload["items"][0])
    # person P0003 has a not-presented cell: S-X2/M2 use the 999 complete cases, so M2 is
    # near (not at) mirt's 11.93841 for all 1000 (dropping one 00110 pattern moves it ~0.17)
    assert payload["M2_df"] == 5 and payload["M2"] == pytest.approx(11.94, abs=0.5)
    assert any("999" in n for n in payload["notes"])
    assert len(read_csv(persons)) == 1000
    bins = json.loads(plot.read_text())["items"]["Item.1"]
    assert len(bins["observed"]) == 10 and sum(bins["n"]) == 1000
    text = run("fit", resp, "--params", params)
    assert "S-X2" in text.output and "M2 =" in text.output


def test_dimensionality_command(files):
    _, _, resp, _ = files
    res = run("dimensionality", resp, "--parallel", 3, "--seed", 1, "--json")
    payload = json.loads(res.output)
    assert payload["kind"] == "polychoric" and len(payload["eigenvalues"]) == 5
    assert payload["parallel"]["seed"] == 1


def test_link_and_equate(files):
    tmp, params, _, _ = files
    rng = np.random.default_rng(0)
    n = 12
    new = ItemParameters(
        item_ids=tuple(f"Q{j}" for j in range(n)),
        model=("3pl",) * n,
        a=rng.uniform(0.8, 1.8, n),
        b=rng.uniform(-2, 2, n),
        c=np.full(n, 0.2),
    )
    base = transform(new, A=1.1, B=0.3).subset([f"Q{j}" for j in range(8)])
    new_p, base_p, linked = tmp / "new.csv", tmp / "base.csv", tmp / "linked.csv"
    write_params(new_p, new)
    write_params(base_p, base)
    res = run("link", "--new", new_p, "--base", base_p, "--out", linked, "--json")
    assert res.exit_code == 0, res.output
    payload = json.loads(res.output)
    assert {"A", "B", "method", "common_items"} <= set(payload)
    assert payload["method"] == "stocking-lord" and len(payload["common_items"]) == 8
    assert payload["A"] == pytest.approx(1.1, abs=1e-4) and payload["B"] == pytest.approx(
        0.3, abs=1e-4
    )
    got = read_params(linked)
    assert got.n_items == 12
    np.testing.assert_allclose(got.b[:8, 0], base.b[:, 0], atol=1e-4)
    # few common items: a warning on stderr, still exit 0
    res = CliRunner().invoke(
        main, ["link", "--new", str(new_p), "--base", str(base_p), "--common", "Q0,Q1,Q2"]
    )
    assert res.exit_code == 0 and "warning" in res.stderr and "A =" in res.stdout
    res = run("equate", "--from", new_p, "--to", base_p, "--json")
    rows = json.loads(res.output)["rows"]
    assert len(rows) == 13 and rows[-1]["equivalent_y"] == 8
    res = run("equate", "--from", new_p, "--to", new_p, "--out", tmp / "eq.csv")
    assert res.exit_code == 0 and len(read_csv(tmp / "eq.csv")) == 13


# ---------------------------------------------------------------------------------------------
# broken input
# ---------------------------------------------------------------------------------------------


def _fails(res, *needles):
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    err = res.stderr.strip()
    assert err.count("\n") == 0 and err.startswith("credkit: error:"), err
    for needle in needles:
        assert needle in err, err


def test_broken_inputs_fail_cleanly(files):
    tmp, params, resp, _ = files
    out = tmp / "scores.csv"
    out.write_text("keep me\n")
    # unknown item in responses
    bad = tmp / "bad.csv"
    bad.write_text("person_id,Item.1,Zed\nP1,1,0\n")
    _fails(run("score", bad, "--params", params, "--out", out), "Zed", "bad.csv")
    # score above the item's categories
    bad.write_text("person_id,Item.1,Item.2\nP1,1,2\n")
    _fails(run("score", bad, "--params", params, "--out", out), "bad.csv:2", "Item.2")
    # unparseable cell
    bad.write_text("person_id,Item.1\nP1,x\n")
    _fails(run("score", bad, "--params", params, "--out", out), "bad.csv")
    # missing files
    _fails(run("score", tmp / "nope.csv", "--params", params, "--out", out), "not found")
    _fails(run("score", resp, "--params", tmp / "nope.csv", "--out", out), "not found")
    # broken params file
    bp = tmp / "bp.csv"
    bp.write_text("item_id,model,a,b\nItem.1,2pl,abc,0\n")
    _fails(run("score", resp, "--params", bp, "--out", out), "bp.csv:2", "a")
    _fails(run("score", resp, "--params", params, "--prior-sd", 0), "prior-sd")
    _fails(run("score", resp, "--params", params, "--round", 0, "--out", out), "--scale-slope")
    _fails(run("score", resp, "--params", params, "--scale-slope", 0, "--out", out), "non-zero")
    assert out.read_text() == "keep me\n"  # nothing damaged
    _fails(run("score-table", "--params", params, "--items", "Item.1,Nope"), "Nope")
    _fails(run("score-table", "--params", params, "--round", 0), "--scale-slope")
    _fails(run("info", "--params", params, "--step", 0), "step")
    _fails(run("fit", bad, "--params", params), "bad.csv")
    _fails(run("link", "--new", params, "--base", bp), "bp.csv")
    other = tmp / "other.csv"
    write_params(other, lsat7_params().with_values(item_ids=tuple("ABCDE")))
    _fails(run("link", "--new", params, "--base", other), "common item")
    _fails(run("link", "--new", params, "--base", params, "--common", "Item.1,X"), "X")
    _fails(run("equate", "--from", params, "--to", tmp / "nope.csv"), "not found")


def test_score_with_option_letters_and_a_key(files):
    """Letter responses scored against KEY.csv give the same thetas as the 0/1 file."""
    tmp, params, _, data = files
    key = tmp / "key.csv"
    key.write_text("item_id,key\n" + "".join(f"{i},B\n" for i in IDS))
    lines = ["person_id," + ",".join(IDS) + ",site"]
    for i, row in enumerate(data[:200]):
        lines.append(f"P{i}," + ",".join("B" if v else "C" for v in row) + ",x")
    letters = tmp / "letters.csv"
    letters.write_text("\n".join(lines) + "\n")
    out = tmp / "s.csv"
    res = run("score", letters, "--params", params, "--key", key, "--ignore", "site", "--out", out)
    assert res.exit_code == 0, res.output
    got = [float(r["theta"]) for r in read_csv(out)]
    np.testing.assert_allclose(got, score_persons(data[:200], lsat7_params()).theta, atol=1e-5)
