"""Issue 14: a 3PL without a prior on c, where the maximum puts c on its boundary (LSAT7).

The check is independent of the engine: the marginal likelihood of the 32 LSAT7 response patterns
is written here (the same 61 rectangular nodes on [-6, 6] and N(0, 1) weights as the engine) and
maximised by scipy's L-BFGS-B with the bound 0 <= c <= 0.95. At that bounded maximum, c of items 1,
3, 4 and 5 sits on its bound; credkit must find the same point (estimates to 2e-3: the two
optimisers stop at tolerances of about 1e-5 on a flat surface) and give standard errors for every
parameter off the boundary equal to those of the inverse finite-difference Hessian of the free
parameters (central differences with h = 1e-4 are accurate to ~1e-6 relative: 0.2 %).
"""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, log_expit, logit
from test_calibration_lsat import LSAT7, PATTERNS, _expand

from psychometrics.irt import CalibrationWarning, calibrate

NODES = np.linspace(-6, 6, 61)
LOGW = -0.5 * NODES**2 - np.logaddexp.reduce(-0.5 * NODES**2)
FREQ = np.asarray(LSAT7, dtype=float)


def loglik(a, d, c):
    z = a[None, :] * NODES[:, None] + d[None, :]  # (Q, J)
    with np.errstate(divide="ignore"):
        log_c = np.log(c)[None, :]
    log_1mc = np.log1p(-c)[None, :]
    log_p1 = np.logaddexp(log_c, log_1mc + log_expit(z))
    log_p0 = log_1mc + log_expit(-z)
    ll = PATTERNS @ log_p1.T + (1 - PATTERNS) @ log_p0.T  # (32, Q)
    return float(FREQ @ np.logaddexp.reduce(ll + LOGW, axis=1))


def _fit():
    def neg(v):
        return -loglik(v[0:5], v[5:10], v[10:15])

    start = np.concatenate([np.ones(5), np.ones(5), np.full(5, 0.1)])
    bounds = [(0.05, 5)] * 5 + [(-6, 6)] * 5 + [(0.0, 0.95)] * 5
    opt = minimize(neg, start, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15})
    opt = minimize(neg, opt.x, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15})
    return opt.x[0:5], opt.x[5:10], opt.x[10:15], -opt.fun


@pytest.fixture(scope="module")
def fitted():
    x = _expand(LSAT7)
    with pytest.warns(CalibrationWarning, match="c on its boundary") as caught:
        res = calibrate(x, model="3pl", c_prior=None)
    return res, caught


def test_boundary_c_is_held_at_zero_and_the_fit_converges(fitted):
    res, caught = fitted
    assert res.converged and res.iterations < 200
    held = [i for i, _ in res.boundary_items]
    assert held == ["item1", "item3", "item4", "item5"]
    assert all("held" in reason for _, reason in res.boundary_items)
    assert "item1, item3, item4, item5" in str(caught[0].message)
    assert res.n_parameters == 11  # 5 slopes, 5 intercepts, one c
    np.testing.assert_array_equal(res.params.c[[0, 2, 3, 4]], 0.0)
    assert res.summary()["boundary_items"][0] == {"id": "item1", "reason": res.boundary_items[0][1]}


def test_boundary_fit_matches_an_independent_bounded_maximum(fitted):
    res, _ = fitted
    a, d, c, ll = _fit()
    # the independent optimiser puts the same four c on the bound
    np.testing.assert_array_less(c[[0, 2, 3, 4]], 1e-6)
    assert c[1] > 0.2
    p = res.params
    np.testing.assert_allclose(p.a, a, atol=2e-3)
    np.testing.assert_allclose(-p.a * p.b[:, 0], d, atol=2e-3)
    assert p.c[1] == pytest.approx(c[1], abs=2e-3)
    assert res.loglik == pytest.approx(ll, abs=1e-4)
    # Kuhn-Tucker: moving a held c off 0 lowers the likelihood
    est_d = -p.a * p.b[:, 0]
    for j in (0, 2, 3, 4):
        cj = p.c.copy()
        cj[j] = 1e-4
        assert loglik(p.a, est_d, cj) < loglik(p.a, est_d, p.c)


def test_free_parameters_get_the_standard_errors_of_the_free_hessian(fitted):
    res, _ = fitted
    p = res.params
    assert np.all(np.isfinite(p.se_a)) and np.all(np.isfinite(p.se_b[:, 0]))
    assert np.isfinite(p.se_c[1]) and np.all(np.isnan(p.se_c[[0, 2, 3, 4]]))
    # free parameters in the engine's metric: a (5), d (5), logit c of item 2
    v0 = np.concatenate([p.a, -p.a * p.b[:, 0], [logit(p.c[1])]])

    def f(v):
        c = np.zeros(5)
        c[1] = expit(v[10])
        return loglik(v[0:5], v[5:10], c)

    n, h = v0.size, 1e-4
    eye = np.eye(n) * h
    hess = np.zeros((n, n))
    for i in range(n):
        for k in range(i, n):
            hess[i, k] = hess[k, i] = (
                f(v0 + eye[i] + eye[k])
                - f(v0 + eye[i] - eye[k])
                - f(v0 - eye[i] + eye[k])
                + f(v0 - eye[i] - eye[k])
            ) / (4 * h * h)
    cov = np.linalg.inv(-hess)
    se = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(p.se_a, se[0:5], rtol=2e-3)
    assert p.se_c[1] == pytest.approx(p.c[1] * (1 - p.c[1]) * se[10], rel=2e-3)
    for j in range(5):  # b = -d / a by the delta method
        idx = [j, 5 + j]
        grad = np.array([v0[5 + j] / v0[j] ** 2, -1 / v0[j]])
        assert p.se_b[j, 0] == pytest.approx(np.sqrt(grad @ cov[np.ix_(idx, idx)] @ grad), rel=2e-3)


def test_a_prior_on_c_keeps_every_c_free():
    x = _expand(LSAT7)
    res = calibrate(x, model="3pl")
    assert res.boundary_items == () and np.all(np.isfinite(res.params.se_c))


def test_a_uniform_beta_1_1_prior_on_c_gives_the_bounded_maximum():
    """Beta(1, 1) is flat on (0, 1): it has no mode to start c from, and its MAP is the
    bounded maximum likelihood found by the independent optimiser above."""
    x = _expand(LSAT7)
    with pytest.warns(CalibrationWarning, match="c on its boundary"):
        res = calibrate(x, model="3pl", c_prior=(1, 1))
    a, d, c, ll = _fit()
    assert res.converged
    assert [i for i, _ in res.boundary_items] == ["item1", "item3", "item4", "item5"]
    np.testing.assert_allclose(res.params.c, c, atol=2e-3)
    assert res.loglik == pytest.approx(ll, abs=1e-4)
