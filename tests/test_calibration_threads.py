"""Issue 20: BLAS threads under credkit's control, and the EM step count in the message."""

import re
import warnings

import numpy as np
import pytest
from click.testing import CliRunner
from test_calibration_recovery import make_params, simulate
from threadpoolctl import threadpool_info

from psychometrics.cli import main
from psychometrics.irt import ConvergenceWarning, calibrate
from psychometrics.irt.threads import DEFAULT_THREADS, THREADS_ENV, blas_threads, resolve_threads


def _blas_threads_now() -> set[int]:
    return {i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}


@pytest.fixture(scope="module")
def big_3pl():
    """Enough distinct response patterns (>= 5,000) for the float32 phase to run."""
    rng = np.random.default_rng(20)
    true = make_params("3pl", 30, rng)
    return simulate(true, rng.standard_normal(6000), rng)


@pytest.mark.parametrize("max_iter", [6, 9])
def test_unconverged_two_phase_message_counts_every_em_step(big_3pl, max_iter):
    with pytest.warns(ConvergenceWarning) as caught:
        res = calibrate(big_3pl, model="3pl", c_prior=None, max_iter=max_iter, se="none")
    assert not res.converged
    # the case: max_iter // 2 steps in float32, the rest in float64, all counted
    assert res.iterations == max_iter
    assert res.message.startswith(f"did not converge in {max_iter} EM steps")
    first = max_iter // 2
    assert f"float32 E-step phase: {first}, stopped at its limit" in res.message
    assert f"float64 phase: {max_iter - first}, stopped at its limit" in res.message
    assert str(caught[0].message) == res.message


def test_converged_message_counts_match_iterations(big_3pl):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = calibrate(big_3pl, model="2pl", se="none")
    assert res.converged
    total = int(re.match(r"converged after (\d+) EM steps", res.message).group(1))
    phases = re.search(r"float32 E-step phase: (\d+); float64 phase: (\d+)\)", res.message)
    assert total == res.iterations == int(phases.group(1)) + int(phases.group(2))


def test_single_phase_message_has_no_phase_breakdown():
    rng = np.random.default_rng(3)
    x = simulate(make_params("3pl", 8, rng), rng.standard_normal(400), rng)
    with pytest.warns(ConvergenceWarning):
        res = calibrate(x, model="3pl", c_prior=None, max_iter=5, se="none")
    assert res.iterations == 5
    assert res.message.startswith("did not converge in 5 EM steps: last max parameter change")
    assert "float32" not in res.message


@pytest.mark.parametrize("threads", [1, 2])
def test_calibrate_runs_blas_on_the_requested_threads_and_restores_them(threads):
    rng = np.random.default_rng(4)
    x = simulate(make_params("2pl", 10, rng), rng.standard_normal(500), rng)
    before = _blas_threads_now()
    seen: list[set[int]] = []
    calibrate(
        x,
        model="2pl",
        threads=threads,
        progress=lambda _m: seen.append(_blas_threads_now()),
        progress_interval=0,
    )
    assert seen and all(s == {threads} for s in seen)
    assert _blas_threads_now() == before


def test_default_is_one_thread_or_the_environment_variable(monkeypatch):
    monkeypatch.delenv(THREADS_ENV, raising=False)
    assert resolve_threads() == DEFAULT_THREADS == 1
    monkeypatch.setenv(THREADS_ENV, " 3 ")
    assert resolve_threads() == 3
    assert resolve_threads(2) == 2  # the argument wins over the environment
    with blas_threads() as n:
        assert n == 3 and _blas_threads_now() == {3}


@pytest.mark.parametrize("text", ["two", "0", "-1", "1.5"])
def test_a_bad_environment_variable_is_one_error_naming_it(monkeypatch, text):
    monkeypatch.setenv(THREADS_ENV, text)
    with pytest.raises(ValueError, match=f"^{THREADS_ENV}: expected a whole number"):
        resolve_threads()


@pytest.mark.parametrize(("value", "error"), [(0, ValueError), (True, TypeError), (2.0, TypeError)])
def test_bad_threads_argument_names_it(value, error):
    with pytest.raises(error, match="threads"):
        calibrate(np.array([[0, 1], [1, 0], [1, 1], [0, 0]]), threads=value)


def test_estimates_do_not_depend_on_the_thread_count():
    rng = np.random.default_rng(5)
    x = simulate(make_params("2pl", 12, rng), rng.standard_normal(1500), rng)
    one, two = (calibrate(x, model="2pl", threads=n) for n in (1, 2))
    # only the summation order of BLAS may differ
    np.testing.assert_allclose(one.params.a, two.params.a, rtol=1e-8)
    np.testing.assert_allclose(one.params.se_a, two.params.se_a, rtol=1e-6)


def _lsat_like_csv(tmp_path):
    rng = np.random.default_rng(6)
    x = simulate(make_params("2pl", 5, rng), rng.standard_normal(300), rng)
    lines = ["person," + ",".join(f"Q{j + 1}" for j in range(5))]
    lines += [f"p{i}," + ",".join(map(str, row)) for i, row in enumerate(x)]
    path = tmp_path / "resp.csv"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(("args", "env", "expected"), [([], {}, 1), (["--threads", "2"], {}, 2)])
def test_cli_threads_option_reaches_calibrate(tmp_path, monkeypatch, args, env, expected):
    import psychometrics.cli.calibrate as cli_calibrate

    monkeypatch.delenv(THREADS_ENV, raising=False)
    seen = {}

    def spy(*a, **kw):
        seen["threads"] = kw["threads"]
        seen["blas"] = _blas_threads_now()
        return calibrate(*a, **kw)

    monkeypatch.setattr(cli_calibrate, "calibrate", spy)
    path = _lsat_like_csv(tmp_path)
    r = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(tmp_path / "p.csv"), *args])
    assert r.exit_code == 0, r.output
    assert seen == {"threads": expected, "blas": {expected}}


def test_cli_threads_from_the_environment_and_bad_values(tmp_path, monkeypatch):
    path = _lsat_like_csv(tmp_path)
    out = tmp_path / "p.csv"
    r = CliRunner().invoke(
        main, ["calibrate", str(path), "--out", str(out)], env={THREADS_ENV: "2"}
    )
    assert r.exit_code == 0, r.output
    for args, env in ((["--threads", "0"], {}), ([], {THREADS_ENV: "many"})):
        out.unlink(missing_ok=True)
        r = CliRunner().invoke(main, ["calibrate", str(path), "--out", str(out), *args], env=env)
        assert r.exit_code == 2 and "Traceback" not in r.output
        lines = r.output.strip().splitlines()
        assert len(lines) == 1 and "--threads" in lines[0]
        assert THREADS_ENV in lines[0]
        assert not out.exists()
