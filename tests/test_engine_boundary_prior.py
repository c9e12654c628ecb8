"""A 3PL c on its boundary under a Beta(1, beta) prior (LSAT7).

With ``alpha = 1`` the prior's density ``(1 - c)^(beta - 1)`` is finite and largest at ``c = 0``,
so the posterior mode can put ``c`` on 0 just as the likelihood alone does. The engine must hold
such ``c`` at 0 (as without a prior) instead of failing or drifting towards ``logit(c) = -inf``.
The check is independent of the engine: the log posterior (the marginal likelihood written in
``test_calibration_boundary`` plus ``sum (beta - 1) log(1 - c)``) is maximised here by scipy's
L-BFGS-B with the bound ``0 <= c <= 0.95``; credkit must find the same bounded maximum (estimates
to 2e-3, log posterior to 1e-4: both optimisers stop at tolerances of ~1e-5 on a flat surface)
and give the free parameters the standard errors of the inverse finite-difference Hessian of
the log posterior in them (central differences, h = 1e-4: 0.2 %).
"""

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, logit
from test_calibration_boundary import loglik
from test_calibration_lsat import LSAT7, _expand

from psychometrics.irt import CalibrationWarning, calibrate


def log_posterior(a, d, c, beta):
    return loglik(a, d, c) + (beta - 1.0) * float(np.sum(np.log1p(-c)))


def bounded_mode(beta):
    def neg(v):
        return -log_posterior(v[0:5], v[5:10], v[10:15], beta)

    start = np.concatenate([np.ones(5), np.ones(5), np.full(5, 0.1)])
    bounds = [(0.05, 5)] * 5 + [(-6, 6)] * 5 + [(0.0, 0.95)] * 5
    opt = minimize(neg, start, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15})
    opt = minimize(neg, opt.x, method="L-BFGS-B", bounds=bounds, options={"ftol": 1e-15})
    return opt.x[0:5], opt.x[5:10], opt.x[10:15], -opt.fun


@pytest.mark.parametrize("beta", [1.5, 5.0])
def test_beta_one_prior_holds_boundary_c_like_no_prior(beta):
    x = _expand(LSAT7)
    with pytest.warns(CalibrationWarning, match="c on its boundary"):
        res = calibrate(x, model="3pl", c_prior=(1.0, beta))
    assert res.converged
    a, d, c, lp = bounded_mode(beta)
    on_bound = np.flatnonzero(c < 1e-6)
    assert on_bound.size >= 4  # the prior pulls towards 0: at least the four of the no-prior fit
    held = [int(i.removeprefix("item")) - 1 for i, _ in res.boundary_items]
    assert held == list(on_bound)
    p = res.params
    np.testing.assert_array_equal(p.c[on_bound], 0.0)
    np.testing.assert_allclose(p.a, a, atol=2e-3)
    np.testing.assert_allclose(-p.a * p.b[:, 0], d, atol=2e-3)
    np.testing.assert_allclose(p.c, c, atol=2e-3)
    est_d = -p.a * p.b[:, 0]
    assert log_posterior(p.a, est_d, p.c, beta) == pytest.approx(lp, abs=1e-4)
    # Kuhn-Tucker: moving a held c off 0 lowers the log posterior
    for j in on_bound:
        cj = p.c.copy()
        cj[j] = 1e-4
        assert log_posterior(p.a, est_d, cj, beta) < log_posterior(p.a, est_d, p.c, beta)
    assert res.n_parameters == 10 + (5 - on_bound.size)
    assert np.all(np.isnan(p.se_c[on_bound])) and np.all(np.isfinite(p.se_a))


def test_free_parameters_get_the_standard_errors_of_the_log_posterior_hessian():
    beta = 1.5
    x = _expand(LSAT7)
    with pytest.warns(CalibrationWarning, match="c on its boundary"):
        res = calibrate(x, model="3pl", c_prior=(1.0, beta))
    p = res.params
    free_c = np.flatnonzero(p.c > 0)
    assert free_c.tolist() == [1]
    v0 = np.concatenate([p.a, -p.a * p.b[:, 0], [logit(p.c[1])]])

    def f(v):
        c = np.zeros(5)
        c[1] = expit(v[10])
        return log_posterior(v[0:5], v[5:10], c, beta)

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
    se = np.sqrt(np.diag(np.linalg.inv(-hess)))
    np.testing.assert_allclose(p.se_a, se[0:5], rtol=2e-3)
    assert p.se_c[1] == pytest.approx(p.c[1] * (1 - p.c[1]) * se[10], rel=2e-3)


def test_a_prior_with_alpha_above_one_still_keeps_every_c_free():
    x = _expand(LSAT7)
    res = calibrate(x, model="3pl", c_prior=(2.0, 10.0))
    assert res.boundary_items == ()
    assert np.all(res.params.c > 0) and np.all(np.isfinite(res.params.se_c))
