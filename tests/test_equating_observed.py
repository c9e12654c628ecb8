"""Observed-score equating against published values and simulations with known truth.

Data (tests/data/equate): KBneat (Kolen & Brennan's 36-item NEAT example, 12-item internal
anchor, 1,655 + 1,638 examinees) and ACTmath (K&B's 40-item random-groups example), taken from
the R package equate (Albano; CRAN, github.com/cran/equate data/*.rda, converted to CSV).

Published values:
- equate's vignette (Albano, 2016, JSS 74(8), sec. 5.4): frequency estimation equipercentile
  with log-linear presmoothing (equate's default degrees) and proportional weights on KBneat:
  w1 = 0.5025812, synthetic X 16.726 (6.761), synthetic Y 17.742 (6.805), equated X 16.834
  (6.594), concordance 0..5 to 8 decimals, and the equivalents of 3, 29, 8, 7, 13 to 6; mean
  equating of ACTmath: intercept -0.8726.
- Kolen & Brennan (2014), Table 2.7: ACTmath equipercentile equivalents of X = 1..7 to 4
  decimals.
Tolerances are half a unit of the last published digit.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from psychometrics.equating_observed import (
    NEAT_METHODS,
    bivariate_frequencies,
    bootstrap_se,
    equate_neat,
    equate_random_groups,
    frequencies,
    loglinear_presmooth,
    percentile_ranks,
)

DATA = Path(__file__).parent / "data" / "equate"


def _kbneat():
    x = np.loadtxt(DATA / "kbneat_x.csv", delimiter=",", skiprows=1)
    y = np.loadtxt(DATA / "kbneat_y.csv", delimiter=",", skiprows=1)
    xt = bivariate_frequencies(x[:, 0], x[:, 1], max_total=36, max_anchor=12)
    yt = bivariate_frequencies(y[:, 0], y[:, 1], max_total=36, max_anchor=12)
    return x, xt, yt


def _act():
    act = np.loadtxt(DATA / "actmath.csv", delimiter=",", skiprows=1)
    return act[:, 1], act[:, 2]


def test_frequency_estimation_with_presmoothing_matches_equate_vignette():
    x, xt, yt = _kbneat()
    assert xt.sum() == 1655 and yt.sum() == 1638
    fe = equate_neat(xt, yt, method="frequency_estimation", smoothing="loglinear")
    assert fe.w1 == pytest.approx(0.5025812, abs=5e-8)
    assert fe.synthetic["x"] == pytest.approx((16.726, 6.761), abs=5e-4)
    assert fe.synthetic["y"] == pytest.approx((17.742, 6.805), abs=5e-4)
    published = [0.04288325, 1.11109348, 2.18987042, 3.27622528, 4.36895117, 5.46596150]
    assert fe.equated[:6] == pytest.approx(published, abs=5e-9)
    new = fe.convert([3, 29, 8, 7, 13])
    assert new == pytest.approx([3.276225, 29.814745, 8.696398, 7.614016, 14.125088], abs=5e-7)
    yx = fe.equated[x[:, 0].astype(int)]
    assert (yx.mean(), yx.std(ddof=1)) == pytest.approx((16.834, 6.594), abs=5e-4)


def test_random_groups_match_kolen_brennan_and_equate():
    fx, fy = _act()
    mean = equate_random_groups(fx, fy, method="mean")
    assert mean.intercept == pytest.approx(-0.8726, abs=5e-5)
    eq = equate_random_groups(fx, fy)
    assert eq.equated[1:8] == pytest.approx(
        [0.9796, 1.6462, 2.2856, 2.8932, 3.6205, 4.4997, 5.5148], abs=5e-5
    )


def test_loglinear_presmoothing_keeps_the_moments():
    fx, _ = _act()
    s = np.arange(fx.size, dtype=float)
    for degree in (2, 3, 4, 6):
        fit = loglinear_presmooth(fx, degrees=degree)
        for k in range(degree + 1):
            assert fit @ s**k == pytest.approx(fx @ s**k, rel=1e-8)
        assert np.all(fit > 0)
    _, xt, _ = _kbneat()
    fit = loglinear_presmooth(xt, degrees=(3, 1))
    t, v = np.meshgrid(np.arange(37.0), np.arange(13.0), indexing="ij")
    for term in (t, v, t**3, v**3, t * v):
        assert (fit * term).sum() == pytest.approx((xt * term).sum(), rel=1e-8)


def test_tucker_recovers_the_synthetic_linear_equating_when_its_assumptions_hold():
    # P and Q differ in the anchor; X | V and Y | V are the same linear regressions in both
    rng = np.random.default_rng(11)
    n = 200_000

    def group(mean_v, sd_v):
        v = rng.normal(mean_v, sd_v, n)
        return v, 4 + 2.4 * v + rng.normal(0, 2.5, n), 6 + 2.5 * v + rng.normal(0, 2.0, n)

    vp, xp, _ = group(10.0, 2.0)
    vq, _, yq = group(11.0, 2.4)

    def table(total, anchor):
        t = np.clip(np.round(total), 0, 60)
        a = np.clip(np.round(anchor), 0, 20)
        return bivariate_frequencies(t, a, max_total=60, max_anchor=20)

    w1 = 0.5
    res = equate_neat(table(xp, vp), table(yq, vq), method="tucker", w1=w1)
    # the truth: the synthetic anchor mixture, pushed through the common regressions
    mv = w1 * 10 + (1 - w1) * 11
    vv = w1 * 4 + (1 - w1) * 2.4**2 + w1 * (1 - w1) * 1.0
    sx, sy = np.sqrt(2.4**2 * vv + 2.5**2), np.sqrt(2.5**2 * vv + 2.0**2)
    slope = sy / sx
    intercept = (6 + 2.5 * mv) - slope * (4 + 2.4 * mv)
    assert res.slope == pytest.approx(slope, abs=0.01)
    assert res.convert(30.0) == pytest.approx(intercept + slope * 30, abs=0.1)


@pytest.mark.parametrize("method", NEAT_METHODS)
def test_neat_methods_reduce_to_random_groups_when_the_groups_are_the_same(method):
    # P = Q: every NEAT method equals the random-groups equating of the same distributions
    _, xt, _ = _kbneat()
    rng = np.random.default_rng(2)
    t, v = np.meshgrid(np.arange(37), np.arange(13), indexing="ij")
    # form Y: the same examinees, total shifted by about one point
    y_total = np.clip(t + 1, 0, 36)
    yt = np.zeros_like(xt)
    np.add.at(yt, (y_total.reshape(-1), v.reshape(-1)), xt.reshape(-1))
    res = equate_neat(xt, yt, method=method, w1=float(rng.uniform(0.2, 0.8)))
    kind = "equipercentile" if "equipercentile" in method or "frequency" in method else "linear"
    direct = equate_random_groups(xt.sum(axis=1), yt.sum(axis=1), method=kind)
    inside = slice(3, 30)
    if method == "levine_true":  # true-score slope gamma_Y / gamma_X; equal reliabilities here
        assert res.slope == pytest.approx(direct.slope, abs=0.02)
    else:
        assert res.equated[inside] == pytest.approx(direct.equated[inside], abs=1e-6)


def test_analytic_standard_errors_agree_with_the_bootstrap():
    fx, fy = _act()
    for method in ("linear", "equipercentile"):
        res = equate_random_groups(fx, fy, method=method)
        boot = bootstrap_se(equate_random_groups, fx, fy, n_replications=400, seed=5,
                            method=method)  # fmt: skip
        inside = slice(8, 35)  # away from the sparse tails
        ratio = boot[inside] / res.se[inside]
        # 400 replications: each bootstrap SD is within about 7 % (2 SE) of its mean
        assert np.median(ratio) == pytest.approx(1.0, abs=0.08)
        assert np.all((ratio > 0.7) & (ratio < 1.4))


def test_levine_true_score_slope_does_not_depend_on_the_weight():
    _, xt, yt = _kbneat()
    a = equate_neat(xt, yt, method="levine_true", w1=0.0)
    b = equate_neat(xt, yt, method="levine_true", w1=1.0)
    assert a.slope == pytest.approx(b.slope, rel=1e-12)


def test_inputs_are_validated():
    fx, fy = _act()
    with pytest.raises(ValueError, match="method"):
        equate_random_groups(fx, fy, method="circle")
    with pytest.raises(ValueError, match="smoothing"):
        equate_random_groups(fx, fy, method="linear", smoothing="loglinear")
    with pytest.raises(ValueError, match="x_freq"):
        equate_random_groups([-1, 2], fy)
    with pytest.raises(ValueError, match="scores"):
        frequencies([1, 2.5], max_score=4)
    _, xt, yt = _kbneat()
    with pytest.raises(ValueError, match="anchor"):
        equate_neat(xt, yt[:, :5])
    with pytest.raises(ValueError, match="w1"):
        equate_neat(xt, yt, w1=1.5)
    assert percentile_ranks([1, 1])[0] == pytest.approx(0.25)
