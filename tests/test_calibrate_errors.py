"""Hostile and clumsy input to `credkit calibrate` and `irt.calibrate` (reviewer R3).

Every CLI case: exit status != 0, exactly one error line on stderr naming the file, line, field
or option, no other line but progress lines, no traceback, nothing on stdout (``--json``
included), and nothing that was on disk before is lost or half-written.

Progress lines depend on wall-clock time (a loaded machine prints them where a fast one does
not), so :func:`run` turns them off, and :func:`fails` asserts on content, never on a line count.
"""

import re
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest
from click.testing import CliRunner
from test_calibration_bank import _letters_csv, small_bank  # noqa: F401 (a fixture)

from psychometrics.cli import main

IDS = tuple(f"I{j + 1}" for j in range(6))


def _write_wide(path: Path, data: np.ndarray, ids=IDS) -> Path:
    lines = ["person_id," + ",".join(ids)]
    lines += [
        f"P{i}," + ",".join("" if v < 0 else str(v) for v in row) for i, row in enumerate(data)
    ]
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.fixture
def resp(tmp_path) -> Path:
    """300 persons x 6 2PL items (enough for a quick, well-identified calibration)."""
    rng = np.random.default_rng(11)
    theta = rng.normal(size=300)
    a = np.array([1.0, 1.4, 0.8, 1.2, 1.6, 0.9])
    b = np.array([-1.0, -0.4, 0.0, 0.3, 0.8, 1.2])
    data = (rng.random((300, 6)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(int)
    return _write_wide(tmp_path / "responses.csv", data)


PROGRESS_LINE = re.compile(r"EM step \d+: log-likelihood \S+|computing standard errors")
NO_PROGRESS = {"CREDKIT_PROGRESS_INTERVAL": "0"}


def run(*args, env=NO_PROGRESS):
    """``credkit calibrate *args``, by default without progress lines (they depend on time)."""
    return CliRunner(env=env).invoke(main, ["calibrate", *[str(a) for a in args]])


def fails(*args, where, env=NO_PROGRESS):
    """Run ``credkit calibrate *args``; assert the one-line-error contract; return the error.

    The contract is about content: exactly one ``credkit: error`` line, naming ``where``; any
    other stderr line is a progress line (no warning, no second line of the message); no
    traceback; nothing on stdout."""
    result = run(*args, env=env)
    err = result.stderr
    assert result.exit_code != 0, result.stdout
    assert "Traceback" not in err and not (
        result.exception is not None and not isinstance(result.exception, SystemExit)
    ), repr(result.exception)
    lines = err.strip().splitlines()
    errors = [line for line in lines if line.startswith("credkit: error")]
    assert len(errors) == 1, err
    others = [line for line in lines if line not in errors and not PROGRESS_LINE.fullmatch(line)]
    assert not others, err
    assert str(where) in errors[0], errors[0]
    assert result.stdout == ""
    return errors[0]


def unchanged(path):
    before = path.read_bytes()

    class _Check:
        def __enter__(self):
            return self

        def __exit__(self, *exc):
            assert path.read_bytes() == before, f"{path} was modified"

    return _Check()


# --- output paths --------------------------------------------------------------------------------


def test_out_equal_to_responses_is_refused(resp):
    with unchanged(resp):
        fails(resp, "--out", resp, where="--out")
        fails(resp, "--out", resp.parent / "." / resp.name, "--json", where="--out")


def test_out_equal_to_anchors_is_refused(resp, tmp_path):
    anchors = tmp_path / "anchors.csv"
    assert run(resp, "--out", anchors).exit_code == 0
    with unchanged(anchors):
        fails(resp, "--anchors", anchors, "--out", anchors, where="--out")


def test_out_over_a_bank_item_file_is_refused(resp, tmp_path):
    bank = tmp_path / "bank"
    (bank / "items").mkdir(parents=True)
    item = bank / "items" / "I1.yaml"
    item.write_text("id: I1\n")
    with unchanged(item):
        fails(resp, "--bank", bank, "--out", item, where="--out")


# --- options -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args, where",
    [
        (["--tol", "nan"], "--tol"),
        (["--tol", "inf"], "--tol"),
        (["--tol", "-1"], "--tol"),
        (["--max-iter", "0"], "--max-iter"),
        (["--quadrature", "1"], "--quadrature"),
        (["--quadrature", "10000000"], "--quadrature"),
        (["--c-prior", "nonsense"], "--c-prior"),
        (["--c-prior", "1,2,3"], "--c-prior"),
        (["--c-prior", "nan,inf", "--model", "3pl"], "--c-prior"),
        (["--c-prior", "0.5,17", "--model", "3pl"], "--c-prior"),
        (["--engine", "girth", "--model", "3pl"], "--engine"),
        (["--engine", "girth", "--model", "2pl", "--poly-model", "grm"], "--poly-model"),
        (["--update-bank"], "--bank"),
        (["--omit-code", ""], "--omit-code"),
        (["--omit-code", "1"], "--omit-code"),
        (["--calibration-id", " "], "--calibration-id"),
    ],
)
def test_bad_options_name_the_option(resp, tmp_path, args, where):
    out = tmp_path / "params.csv"
    fails(resp, "--out", out, *args, where=where)
    fails(resp, "--out", out, "--json", *args, where=where)
    assert not out.exists()


def test_girth_with_anchors_names_the_option(resp, tmp_path):
    anchors = tmp_path / "anchors.csv"
    assert run(resp, "--out", anchors).exit_code == 0
    fails(
        resp,
        "--out",
        tmp_path / "o.csv",
        "--engine",
        "girth",
        "--anchors",
        anchors,
        where="--anchors",
    )


def test_polytomous_item_under_a_dichotomous_model_names_item_and_option(resp, tmp_path):
    rng = np.random.default_rng(3)
    data = rng.integers(0, 2, (40, 6))
    data[:, 5] = np.arange(40) % 30  # 30 score categories
    poly = _write_wide(tmp_path / "poly.csv", data)
    msg = fails(poly, "--out", tmp_path / "o.csv", "--model", "2pl", where="I6")
    assert "30 score categories" in msg and "--poly-model" in msg and "poly_model" not in msg
    assert str(poly) in msg


# --- anchors and banks ---------------------------------------------------------------------------

ANCHOR_HEADER = "item_id,model,a,b,c,se_a,se_b,se_c\n"


def test_anchors_none_of_which_are_in_the_responses_is_an_error(resp, tmp_path):
    anchors = tmp_path / "anchors.csv"
    anchors.write_text(ANCHOR_HEADER + "ZZ1,2pl,1,0,0,,,\nZZ2,2pl,1.2,0.5,0,,,\n")
    out = tmp_path / "o.csv"
    msg = fails(resp, "--anchors", anchors, "--out", out, where=anchors)
    assert "none of the 2 anchor items" in msg
    assert not out.exists()


def test_anchors_partly_missing_warn_and_name_them(resp, tmp_path):
    anchors = tmp_path / "anchors.csv"
    anchors.write_text(ANCHOR_HEADER + "I1,2pl,1,-1,0,,,\nZZ9,2pl,1.2,0.5,0,,,\n")
    result = run(resp, "--anchors", anchors, "--out", tmp_path / "o.csv", "--json")
    assert result.exit_code == 0, result.stderr
    assert "1 of 2 anchor items are not in" in result.stderr and "ZZ9" in result.stderr
    assert result.stdout.startswith("{")


@pytest.mark.parametrize(
    "row, where",
    [
        ("I1,2pl,abc,0,0,,,", ":2: a"),
        ("I1,2pl,-1,0,0,,,", ":2: a"),
        ("I1,2pl,1,nan,0,,,", ":2: b"),
        ("I1,3pl,1,0,1.5,,,", ":2: c"),
        ("I1,4pl,1,0,0,,,", ":2: model"),
    ],
)
def test_bad_numbers_in_anchors_name_line_and_column(resp, tmp_path, row, where):
    anchors = tmp_path / "anchors.csv"
    anchors.write_text(ANCHOR_HEADER + row + "\n")
    fails(resp, "--anchors", anchors, "--out", tmp_path / "o.csv", where=f"{anchors}{where}")


def test_bank_without_items_is_named(resp, tmp_path):
    empty = tmp_path / "not_a_bank"
    empty.mkdir()
    (empty / "notes.txt").write_text("hello\n")
    msg = fails(resp, "--bank", empty, "--out", tmp_path / "o.csv", where=empty)
    assert "item bank" in msg
    fails(resp, "--bank", resp, "--out", tmp_path / "o.csv", where="--bank")


# --- non-convergence ------------------------------------------------------------------------------


def test_strict_non_convergence_is_one_line_and_writes_nothing(resp, tmp_path):
    out = tmp_path / "o.csv"
    out.write_text("old\n")
    with unchanged(out):
        msg = fails(resp, "--out", out, "--max-iter", "2", "--strict", "--json", where=resp)
    assert "did not converge" in msg and "--strict" in msg


def test_non_convergence_without_strict_is_a_warning_and_recorded(resp, tmp_path):
    import json

    out = tmp_path / "o.csv"
    result = run(resp, "--out", out, "--max-iter", "2", "--json")
    assert result.exit_code == 0
    assert "warning: did not converge" in result.stderr
    assert json.loads(result.stdout)["converged"] is False


def test_update_bank_without_convergence_leaves_the_bank_untouched(small_bank, tmp_path):  # noqa: F811
    bank_root, items = small_bank
    resp = tmp_path / "letters.csv"
    _letters_csv(resp, items, 300)
    files = sorted((bank_root / "items").iterdir())
    before = {f: f.read_bytes() for f in files}
    out = tmp_path / "o.csv"
    msg = fails(
        resp,
        "--bank",
        bank_root,
        "--model",
        "3pl",
        "--poly-model",
        "grm",
        "--update-bank",
        "--max-iter",
        "2",
        "--out",
        out,
        where="--update-bank",
    )
    assert "did not converge" in msg
    assert {f: f.read_bytes() for f in files} == before and not out.exists()


# --- the Python API: arguments are validated once and named --------------------------------------

X = (np.random.default_rng(0).random((60, 4)) < 0.6).astype(int)


@pytest.mark.parametrize(
    "data, kwargs, exc, match",
    [
        ([["a", "b"], ["c", "d"]], {}, ValueError, "responses: scores must be numbers"),
        (np.zeros((5, 0), int), {}, ValueError, "no item columns"),
        (np.where(X == 1, np.inf, 0.0), {}, ValueError, "responses: scores must be integers"),
        (X * 1e6, {}, ValueError, "responses: scores must be integers"),  # was an int16 overflow
        (np.full((4, 3), -1), {}, ValueError, "0 person"),
        (X[:1], {}, ValueError, "1 person"),
        (X, {"quadrature": 10**7}, ValueError, "quadrature"),  # was a hang
        (X, {"quadrature": True}, ValueError, "quadrature"),
        (X, {"tol": float("inf")}, ValueError, "tol"),
        (X, {"tol": "a"}, ValueError, "tol"),
        (X, {"ll_tol": float("nan")}, ValueError, "ll_tol"),
        (X, {"c_prior": 5, "model": "3pl"}, ValueError, "c_prior"),
        (X, {"theta_range": (1, 2, 3)}, ValueError, "theta_range"),
        (X, {"theta_range": (-1e6, 1e6)}, ValueError, "theta_range"),
        (X, {"latent": "ab"}, ValueError, "latent"),
        (X, {"progress": "x"}, TypeError, "progress"),
        (X, {"progress_interval": -1}, ValueError, "progress_interval"),
        (X, {"progress_interval": float("nan")}, ValueError, "progress_interval"),
        (X, {"progress_interval": "2"}, ValueError, "progress_interval"),
    ],
)
def test_api_rejects_bad_arguments_by_name(data, kwargs, exc, match):
    from psychometrics.irt import calibrate

    with pytest.raises(exc, match=match):
        calibrate(data, **kwargs)


# --- response files ---------------------------------------------------------------------------


def test_unreadable_response_files_are_named(tmp_path):
    out = tmp_path / "o.csv"
    fails(tmp_path / "missing.csv", "--out", out, where="missing.csv")
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    fails(empty, "--out", out, where=empty)
    header = tmp_path / "header.csv"
    header.write_text("person_id,I1,I2\n")
    msg = fails(header, "--out", out, "--json", where=header)
    assert "0 person" in msg
    latin = tmp_path / "latin.csv"
    latin.write_bytes(b"person_id,I1\nP1,\xff\n")
    fails(latin, "--out", out, where="UTF-8")
    fails(tmp_path, "--out", out, where="RESPONSES")
    assert not out.exists()


@pytest.mark.parametrize("cell", ["x", "-1", "0.5", "1e3x"])
def test_a_bad_score_names_line_and_column(resp, tmp_path, cell):
    lines = resp.read_text().splitlines()
    cells = lines[4].split(",")
    cells[3] = cell
    lines[4] = ",".join(cells)
    bad = tmp_path / "bad.csv"
    bad.write_text("\n".join(lines) + "\n")
    fails(bad, "--out", tmp_path / "o.csv", where=f"{bad}:5: I3")


def test_blank_column_constant_item_and_empty_person_are_left_out_with_warnings(tmp_path):
    import json

    rng = np.random.default_rng(5)
    data = (rng.random((200, 6)) < 0.6).astype(int)
    data[:, 1] = -1  # never presented
    data[:, 2] = 1  # constant
    data[7, :] = -1  # a person with no responses
    path = _write_wide(tmp_path / "r.csv", data)
    result = run(path, "--out", tmp_path / "o.csv", "--json")
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert {d["id"] for d in summary["dropped_items"]} == {"I2", "I3"}
    assert [d["id"] for d in summary["dropped_persons"]] == ["P7"]
    assert "I2" in result.stderr and "I3" in result.stderr and "1 person" in result.stderr


def test_degenerate_estimates_are_flagged_not_silent(tmp_path):
    """Two persons with opposite patterns: EM 'converges' to slopes of ~300 (the likelihood
    rises without bound); such items must be warned about and recorded, not written silently."""
    import json

    data = np.array([[1, 0, 1, 1], [0, 1, 0, 0]])
    path = _write_wide(tmp_path / "two.csv", data, ids=IDS[:4])
    result = run(path, "--out", tmp_path / "o.csv", "--json")
    assert result.exit_code == 0, result.stderr
    flagged = json.loads(result.stdout)["flagged_items"]
    assert {f["id"] for f in flagged} == {"I1", "I2", "I3", "I4"}
    assert "extreme estimates" in result.stderr
    result = run(path, "--out", tmp_path / "o.csv")
    assert "extreme estimate: item I1" in result.stdout


@pytest.mark.parametrize("row", ["I1,2pl,1e300,0,0,,,", "I1,2pl,1,1e6,0,,,"])
def test_implausible_anchor_values_name_the_anchor_file_and_item(resp, tmp_path, row):
    anchors = tmp_path / "anchors.csv"
    anchors.write_text(ANCHOR_HEADER + row + "\n")
    msg = fails(resp, "--anchors", anchors, "--out", tmp_path / "o.csv", where=anchors)
    assert "'I1'" in msg and str(resp) not in msg


def test_rasch_on_unrelated_items_stops_with_a_message_not_a_traceback(tmp_path):
    """Independent coin flips under Rasch: the latent SD's MLE is 0, EM walks out of the
    parameter space. It used to crash (TypeError in the convergence check); now it stops,
    warns and records why, and --strict turns that into one error line."""
    import json

    from psychometrics.irt import calibrate
    from psychometrics.irt.calibration import ConvergenceWarning

    data = np.random.default_rng(1).integers(0, 2, (30, 3))
    with pytest.warns(ConvergenceWarning, match="latent SD went to 0"):
        result = calibrate(data, model="rasch", se="xpd")
    assert not result.converged and "latent SD" in result.message
    assert np.all(np.isfinite(result.params.b[:, 0]))
    path = _write_wide(tmp_path / "coins.csv", data, ids=IDS[:3])
    out = tmp_path / "o.csv"
    r = run(path, "--model", "rasch", "--se", "xpd", "--out", out, "--json")
    assert r.exit_code == 0 and json.loads(r.stdout)["converged"] is False
    fails(path, "--model", "rasch", "--out", tmp_path / "p.csv", "--strict", where="latent SD")


def test_girth_failures_are_one_line_errors(resp, tmp_path, monkeypatch):
    """girth's 1PL/Rasch estimator indexes out of bounds on blank cells (IndexError traceback),
    and its 2PL can return NaN difficulties; both are errors naming --engine."""
    lines = resp.read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0] + ","  # one blank cell
    blanks = tmp_path / "blanks.csv"
    blanks.write_text("\n".join(lines) + "\n")
    msg = fails(
        blanks,
        "--engine",
        "girth",
        "--model",
        "rasch",
        "--out",
        tmp_path / "o.csv",
        where="--engine girth",
    )
    assert "engine='" not in msg
    tiny = np.array([[1, 1, 0], [0, 0, -1], [0, 1, 0], [1, 0, 1], [0, 0, 1]])
    path = _write_wide(tmp_path / "tiny.csv", tiny, ids=IDS[:3])
    # these data gave NaN only while the blank reached girth as a wrapped score (31073, not
    # girth's missing code); girth's NaN is now simulated
    import psychometrics.irt.girth_engine as girth_engine

    real_fit = girth_engine._girth_fit

    def nan_fit(*args):
        a, b = real_fit(*args)
        return a, np.where(np.arange(b.shape[0])[:, None] == 1, np.nan, b)

    monkeypatch.setattr(girth_engine, "_girth_fit", nan_fit)
    fails(
        path,
        "--engine",
        "girth",
        "--model",
        "2pl",
        "--out",
        tmp_path / "o.csv",
        where="--engine girth",
    )


def _runaway_letters(bank_root, items, path):
    mcq = [it for it in items if it.type == "mcq"][:4]
    wrong = [next(o for o in it.options if o not in it.key) for it in mcq]
    rows = ["person," + ",".join(it.id for it in mcq)]
    rows += ["p1," + ",".join(it.key[0] for it in mcq), "p2," + ",".join(wrong)]
    path.write_text("\n".join(rows) + "\n")
    return path


def test_update_bank_refuses_extreme_estimates(small_bank, tmp_path):  # noqa: F811
    """A converged run whose estimates ran away (tiny sample) must not go into the bank."""
    bank_root, items = small_bank
    # two persons: one right on every item, one wrong: slopes run away
    resp = _runaway_letters(bank_root, items, tmp_path / "letters.csv")
    files = sorted((bank_root / "items").iterdir())
    before = {f: f.read_bytes() for f in files}
    out = tmp_path / "o.csv"
    r = run(resp, "--bank", bank_root, "--model", "2pl", "--out", out, "--json")
    assert r.exit_code == 0 and "extreme" in r.stderr, r.stderr
    out.unlink()
    fails(
        resp,
        "--bank",
        bank_root,
        "--model",
        "2pl",
        "--update-bank",
        "--out",
        out,
        where="--update-bank",
    )
    assert {f: f.read_bytes() for f in files} == before and not out.exists()


# --- progress lines: wall-clock time must not change what a test sees ----------------------------


@pytest.fixture
def slow_machine(monkeypatch):
    """Every reading of the calibration's clock is 100 s after the previous one: a machine so
    loaded that each EM step takes longer than any progress interval."""
    from psychometrics.irt import _engine, calibration

    state = {"now": 0.0}

    def perf_counter():
        state["now"] += 100.0
        return state["now"]

    clock = SimpleNamespace(perf_counter=perf_counter)
    monkeypatch.setattr(_engine, "time", clock)
    monkeypatch.setattr(calibration, "time", clock)


def test_update_bank_refusal_is_one_error_line_on_a_slow_machine(
    small_bank,  # noqa: F811
    tmp_path,
    slow_machine,
):
    """The refusal stays a one-line error even when progress lines are printed (they used to
    break a line-count assertion on a loaded machine)."""
    bank_root, items = small_bank
    resp = _runaway_letters(bank_root, items, tmp_path / "letters.csv")
    out = tmp_path / "o.csv"
    args = (resp, "--bank", bank_root, "--model", "2pl", "--update-bank", "--out", out)
    with_progress = {"CREDKIT_PROGRESS_INTERVAL": "2"}
    assert "EM step" in run(*args, env=with_progress).stderr  # the slow clock did print some
    fails(*args, where="--update-bank", env=with_progress)
    assert not out.exists()


@pytest.mark.parametrize(
    "how", [("--progress-interval", "0"), ("--progress-interval=0",), "CREDKIT_PROGRESS_INTERVAL"]
)
def test_progress_interval_zero_prints_no_progress_lines(resp, tmp_path, slow_machine, how):
    out = tmp_path / "o.csv"
    if how == "CREDKIT_PROGRESS_INTERVAL":
        result = run(resp, "--out", out, env={how: "0"})
    else:
        result = run(resp, "--out", out, *how, env={"CREDKIT_PROGRESS_INTERVAL": None})
    assert result.exit_code == 0, result.stderr
    assert result.stderr == "", result.stderr
    assert out.exists()


def test_progress_interval_default_prints_progress_on_a_slow_machine(resp, tmp_path, slow_machine):
    result = run(resp, "--out", tmp_path / "o.csv", env={"CREDKIT_PROGRESS_INTERVAL": None})
    assert result.exit_code == 0, result.stderr
    lines = result.stderr.splitlines()
    assert lines and all(PROGRESS_LINE.fullmatch(line) for line in lines), result.stderr
    assert lines[-1] == "computing standard errors"


@pytest.mark.parametrize("value", ["-1", "nan", "soon"])
def test_bad_progress_interval_is_one_line(resp, tmp_path, value):
    out = tmp_path / "o.csv"
    fails(resp, "--out", out, f"--progress-interval={value}", where="--progress-interval")
    assert not out.exists()


def test_api_progress_interval_zero_reports_every_cycle_whatever_the_clock():
    """``progress_interval=0``: the messages do not depend on how fast the machine is."""
    from psychometrics.irt import calibrate

    rng = np.random.default_rng(5)
    theta = rng.normal(size=400)
    data = rng.random((400, 5)) < 1 / (1 + np.exp(-(theta[:, None] - np.linspace(-1, 1, 5))))
    messages: list[str] = []
    calibrate(data.astype(int), model="2pl", progress=messages.append, progress_interval=0)
    assert messages[-1] == "computing standard errors"
    steps = [m for m in messages if m.startswith("EM step ")]
    assert steps and all(PROGRESS_LINE.fullmatch(m) for m in messages)
    again: list[str] = []
    calibrate(data.astype(int), model="2pl", progress=again.append, progress_interval=0)
    assert again == messages


def test_strict_refuses_runaway_estimates(tmp_path):
    """--strict writes nothing when items have extreme estimates, as for non-convergence."""
    data = np.array([[1, 0, 1, 1], [0, 1, 0, 0]])
    path = _write_wide(tmp_path / "two.csv", data, ids=IDS[:4])
    out = tmp_path / "o.csv"
    result = run(path, "--out", out, "--strict")
    assert result.exit_code != 0
    assert "--strict" in result.stderr and "extreme estimates" in result.stderr
    assert "Traceback" not in result.output
    assert not out.exists()
