"""Issue 14: the WLE standard-error options and the two marginal reliability formulas.

Both are checked against direct computations written here from the 2PL response function (LSAT7
parameters from mirt's test suite, as in test_scoring.py), not from credkit's scoring code:

* Warm's criterion ``log L + log I / 2`` is differentiated twice numerically (h = 1e-3, error
  ~1e-6 relative); for the 2PL its derivative is the WLE estimating equation, so the curvature
  SE must match to 1e-4 relative. The information SE is ``1 / sqrt(sum a^2 P Q)`` at the estimate.
* Marginal reliability is integrated with scipy's adaptive quadrature of the same formulas over
  N(0, 1) and N(0.3, 1.4^2); credkit's 241-point rule on +-8 sd agrees to 1e-6.
"""

import numpy as np
import pytest
from scipy import integrate
from scipy.special import expit
from test_scoring import LSAT7_A, LSAT7_D, PATTERNS, lsat7_params

from psychometrics.irt.scoring import (
    RELIABILITY_FORMULAS,
    WLE_SE_METHODS,
    information_table,
    marginal_reliability,
    score_persons,
)


def _info(t):
    p = expit(LSAT7_A * t + LSAT7_D)
    return float(np.sum(LSAT7_A**2 * p * (1 - p)))


def _warm(t, x):
    p = expit(LSAT7_A * t + LSAT7_D)
    return float(np.sum(x * np.log(p) + (1 - x) * np.log1p(-p))) + 0.5 * np.log(_info(t))


def test_wle_standard_errors_information_and_curvature():
    params = lsat7_params()
    x = PATTERNS[1:-1]  # mixed patterns: finite WLE
    info = score_persons(x, params, method="wle")
    curv = score_persons(x, params, method="wle", wle_se="curvature")
    np.testing.assert_allclose(info.theta, curv.theta)  # same estimates
    assert info.se_method == WLE_SE_METHODS["information"] == "1 / sqrt(I(theta))"
    assert curv.to_dict()["se_method"] == WLE_SE_METHODS["curvature"]
    h = 1e-3
    for row, t, se_i, se_c in zip(x, info.theta, info.se, curv.se, strict=True):
        assert se_i == pytest.approx(1 / np.sqrt(_info(t)), rel=1e-8)
        d2 = (_warm(t + h, row) - 2 * _warm(t, row) + _warm(t - h, row)) / h**2
        assert se_c == pytest.approx(1 / np.sqrt(-d2), rel=1e-4)
    # the two differ (most for short tests): here by up to several per cent
    assert np.max(np.abs(curv.se / info.se - 1)) > 0.01


def test_wle_se_option_is_validated_and_other_methods_say_their_se():
    params = lsat7_params()
    with pytest.raises(ValueError, match="wle_se"):
        score_persons(PATTERNS, params, method="wle", wle_se="warm")
    assert score_persons(PATTERNS, params).se_method == "posterior SD"
    assert "prior_sd" in score_persons(PATTERNS, params, method="map").se_method


@pytest.mark.parametrize(("mean", "sd"), [(0.0, 1.0), (0.3, 1.4)])
def test_marginal_reliability_both_formulas(mean, sd):
    params = lsat7_params()

    def dens(t):
        return np.exp(-0.5 * ((t - mean) / sd) ** 2) / (sd * np.sqrt(2 * np.pi))

    lo, hi = mean - 10 * sd, mean + 10 * sd
    err = integrate.quad(lambda t: dens(t) / _info(t), lo, hi, epsabs=1e-12)[0]
    mean_rel = integrate.quad(
        lambda t: dens(t) * sd**2 * _info(t) / (sd**2 * _info(t) + 1), lo, hi, epsabs=1e-12
    )[0]
    kw = {
        "prior_mean": mean,
        "prior_sd": sd,
        "n_points": 241,
        "theta_range": (lo + 2 * sd, hi - 2 * sd),
    }
    assert marginal_reliability(params, **kw) == pytest.approx(sd**2 / (sd**2 + err), abs=1e-6)
    other = marginal_reliability(params, formula="mean_reliability", **kw)
    assert other == pytest.approx(mean_rel, abs=1e-6)
    assert other > marginal_reliability(params, **kw)  # Jensen: information varies with theta


def test_information_table_states_its_reliability_formula():
    params = lsat7_params()
    tab = information_table(params)
    assert tab.reliability_formula == RELIABILITY_FORMULAS["mean_error"]
    other = information_table(params, reliability="mean_reliability")
    assert other.to_dict()["reliability_formula"] == "E[sigma^2 I(theta) / (sigma^2 I(theta) + 1)]"
    assert other.marginal_reliability == pytest.approx(
        marginal_reliability(params, formula="mean_reliability")
    )
    with pytest.raises(ValueError, match="reliability must be"):
        information_table(params, reliability="alpha")
    with pytest.raises(ValueError, match="formula must be"):
        marginal_reliability(params, formula="alpha")
