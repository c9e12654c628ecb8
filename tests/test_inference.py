"""The full covariance, sandwich SEs and Wald tests (psychometrics.irt.inference).

The independent references are written here: the marginal log-likelihood of each person over the
engine's quadrature (61 equally spaced nodes on [-6, 6], normal weights renormalised to sum to
one), differentiated numerically. The engine computes its information analytically (Louis) and
its person scores from the E-step, so agreement checks the whole chain, names included.
"""

from __future__ import annotations

import math
import warnings

import numpy as np
import pytest
from scipy.optimize import minimize
from scipy.special import expit, logsumexp
from scipy.stats import beta as beta_dist
from scipy.stats import chi2

from psychometrics.irt import calibrate
from psychometrics.irt.inference import ParameterCovariance, WaldResult, wald_test

NODES = np.linspace(-6.0, 6.0, 61)


def _simulate(n, a, b, c=None, *, seed, latent=None):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n) if latent is None else latent(rng, n)
    p = expit(a * (theta[:, None] - b))
    if c is not None:
        p = c + (1 - c) * p
    return (rng.random((n, a.size)) < p).astype(int)


def _person_loglik(x, a, d, g=None, sd=1.0):
    """Marginal log-likelihood of each person (2PL / 3PL / Rasch in slope-intercept form)."""
    z = np.outer(NODES, a) + d  # (Q, J)
    p = expit(z) if g is None else expit(g) + (1 - expit(g)) * expit(z)
    p = np.clip(p, 1e-300, 1 - 1e-16)
    ll_q = (x == 1) @ np.log(p).T + (x == 0) @ np.log1p(-p).T  # (n, Q); -1 not presented
    logw = -0.5 * (NODES / sd) ** 2
    logw = logw - logsumexp(logw)
    return logsumexp(ll_q + logw, axis=1)


def _person_gradients(fun, theta, h=1e-5):
    """Central-difference gradient of each person's log-likelihood, shape (n, P)."""
    cols = []
    for k in range(theta.size):
        up, dn = theta.copy(), theta.copy()
        up[k] += h
        dn[k] -= h
        cols.append((fun(up) - fun(dn)) / (2 * h))
    return np.stack(cols, axis=1)


def _hessian(total, theta, h=1e-4):
    n = theta.size
    hess = np.empty((n, n))
    for i in range(n):
        for j in range(i, n):
            vals = []
            for si, sj in ((1, 1), (1, -1), (-1, 1), (-1, -1)):
                t = theta.copy()
                t[i] += si * h
                t[j] += sj * h
                vals.append(total(t))
            hess[i, j] = hess[j, i] = (vals[0] - vals[1] - vals[2] + vals[3]) / (4 * h * h)
    return hess


def _close(mat, ref):
    """Largest difference relative to the scale sqrt(ref_ii ref_jj) of its entry."""
    scale = np.sqrt(np.outer(np.diag(ref), np.diag(ref)))
    return float(np.max(np.abs(mat - ref) / scale))


def _fit(x, model, se, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calibrate(x, model=model, se=se, tol=1e-7, ll_tol=1e-12, **kw)


# ----------------------------------------------------------------------------- covariance


def _twopl_case():
    a = np.array([0.8, 1.2, 1.6, 1.0, 2.0])
    b = np.array([-1.0, -0.3, 0.0, 0.6, 1.2])
    return _simulate(500, a, b, seed=11)


def _twopl_reference(x, cov_si):
    """Per-person gradients and total-log-likelihood Hessian at the engine's estimates."""
    n_items = x.shape[1]
    names = cov_si.names
    order = [names.index((f"item{j + 1}", p)) for j in range(n_items) for p in ("a", "d")]
    theta = cov_si.estimates[order]

    def fun(t):
        return _person_loglik(x, t[0::2], t[1::2])

    grads = _person_gradients(fun, theta)
    hess = _hessian(lambda t: float(fun(t).sum()), theta)
    return order, grads, hess


def test_covariance_names_order_and_ses():
    x = _twopl_case()
    res = _fit(x, "2pl", "louis")
    cov = res.covariance
    assert isinstance(cov, ParameterCovariance)
    assert cov.metric == "irt" and cov.method == "louis"
    assert cov.names == tuple((f"item{j + 1}", p) for j in range(5) for p in ("a", "b"))
    assert cov.matrix.shape == (10, 10)
    np.testing.assert_allclose(cov.matrix, cov.matrix.T)
    # the diagonal is the SE table (the same delta method, now for the whole matrix)
    np.testing.assert_allclose(cov.se[0::2], res.params.se_a, rtol=1e-10)
    np.testing.assert_allclose(cov.se[1::2], res.params.se_b[:, 0], rtol=1e-10)
    np.testing.assert_allclose(cov.estimates[1::2], res.params.b[:, 0])
    assert cov.index("item3:b") == 5 and cov.index(("item3", "a")) == 4
    with pytest.raises(KeyError):
        cov.index("item9:a")
    with pytest.raises(AttributeError):
        cov.method = "x"  # frozen
    assert not cov.matrix.flags.writeable
    # metric round trip is exact (the two Jacobians are inverses)
    si = cov.in_metric("slope-intercept")
    assert si.names[:2] == (("item1", "a"), ("item1", "d"))
    np.testing.assert_allclose(si.estimates[1::2], -res.params.a * res.params.b[:, 0])
    back = si.in_metric("irt")
    np.testing.assert_allclose(back.matrix, cov.matrix, rtol=1e-10, atol=1e-14)
    d = cov.to_dict()
    assert d["names"][0] == ["item1", "a"] and len(d["matrix"]) == 10
    rows = cov.to_rows()
    assert rows[0][:5] == ["item_id", "parameter", "estimate", "se", "item1:a"]
    assert float(rows[3][4 + 2]) == pytest.approx(cov.matrix[2, 2])


def test_louis_covariance_is_the_inverse_numerical_hessian():
    """The whole matrix, off-diagonal entries included, in the slope-intercept metric."""
    x = _twopl_case()
    res = _fit(x, "2pl", "louis")
    si = res.covariance.in_metric("slope-intercept")
    order, _, hess = _twopl_reference(x, si)
    ref = np.linalg.inv(-hess)
    mat = si.matrix[np.ix_(order, order)]
    # measured 9e-7 (finite differences with h = 1e-4 on a log-likelihood of ~ -1,500)
    assert _close(mat, ref) < 1e-4


def test_covariance_includes_the_free_latent_parameters():
    a = np.ones(5)
    b = np.array([-1.0, -0.5, 0.0, 0.5, 1.0])
    x = _simulate(600, a, 1.3 * b, seed=5, latent=lambda rng, n: 1.3 * rng.normal(size=n))
    res = _fit(x, "rasch", "louis")
    cov = res.covariance
    assert cov.names[-1] == ("latent", "sd")
    assert ("item1", "a") not in cov.names  # fixed at 1
    assert cov.se[-1] == pytest.approx(res.latent_sd_se, rel=1e-12)
    np.testing.assert_allclose(cov.se[:-1], res.params.se_b[:, 0], rtol=1e-10)


def test_no_covariance_without_standard_errors():
    x = _twopl_case()
    res = _fit(x, "2pl", "none")
    assert res.covariance is None
    with pytest.raises(ValueError, match="no covariance"):
        wald_test(res, "item1:a = 1")


# ----------------------------------------------------------------------------- sandwich


def test_sandwich_equals_numerical_sandwich_2pl():
    """Bread = -Hessian, meat = sum of outer products of numerical per-person gradients."""
    x = _twopl_case()
    res = _fit(x, "2pl", "sandwich")
    assert res.se_method == "sandwich" and res.covariance.method == "sandwich"
    si = res.covariance.in_metric("slope-intercept")
    order, grads, hess = _twopl_reference(x, si)
    score = grads.sum(axis=0)
    meat = grads.T @ grads - np.outer(score, score) / x.shape[0]
    inv = np.linalg.inv(-hess)
    ref = inv @ meat @ inv
    mat = si.matrix[np.ix_(order, order)]
    assert _close(mat, ref) < 1e-4  # measured 1.8e-6
    # and it is not Louis' matrix: the check can tell them apart
    louis = _fit(x, "2pl", "louis").covariance.in_metric("slope-intercept").matrix
    assert _close(louis[np.ix_(order, order)], ref) > 1e-2


def test_sandwich_with_items_not_presented():
    """Booklet-like data: 30 % of the responses missing completely at random."""
    x = _twopl_case().copy()
    rng = np.random.default_rng(2)
    x[rng.random(x.shape) < 0.3] = -1
    res = _fit(x, "2pl", "sandwich")
    si = res.covariance.in_metric("slope-intercept")
    order, grads, hess = _twopl_reference(x, si)
    score = grads.sum(axis=0)
    meat = grads.T @ grads - np.outer(score, score) / x.shape[0]
    inv = np.linalg.inv(-hess)
    assert _close(si.matrix[np.ix_(order, order)], inv @ meat @ inv) < 1e-4


def test_sandwich_with_a_free_latent_sd():
    a = np.ones(4)
    b = np.array([-0.8, -0.2, 0.3, 0.9])
    x = _simulate(500, a, b, seed=3, latent=lambda rng, n: 1.2 * rng.normal(size=n))
    res = _fit(x, "rasch", "sandwich")
    si = res.covariance.in_metric("slope-intercept")
    order = [si.names.index((f"item{j + 1}", "d")) for j in range(4)] + [
        si.names.index(("latent", "sd"))
    ]
    theta = si.estimates[order]

    def fun(t):
        return _person_loglik(x, np.ones(4), t[:4], sd=t[4])

    grads = _person_gradients(fun, theta)
    hess = _hessian(lambda t: float(fun(t).sum()), theta)
    score = grads.sum(axis=0)
    meat = grads.T @ grads - np.outer(score, score) / x.shape[0]
    inv = np.linalg.inv(-hess)
    ref = inv @ meat @ inv
    assert _close(si.matrix[np.ix_(order, order)], ref) < 1e-4  # measured 2.7e-7


def test_sandwich_with_the_c_prior_3pl():
    """With a prior: bread = -(Hessian of loglik + log prior); meat = centred score products."""
    a = np.array([1.0, 1.5, 1.2, 1.8])
    b = np.array([-0.5, 0.0, 0.4, 0.8])
    c = np.full(4, 0.2)
    x = _simulate(800, a, b, c, seed=21)
    prior = (5.0, 17.0)
    res = _fit(x, "3pl", "sandwich", c_prior=prior)
    si = res.covariance.in_metric("slope-intercept")
    order = [si.names.index((f"item{j + 1}", p)) for j in range(4) for p in ("a", "d", "logit_c")]
    theta = si.estimates[order]

    def fun(t):
        return _person_loglik(x, t[0::3], t[1::3], t[2::3])

    def total(t):
        return float(fun(t).sum() + beta_dist.logpdf(expit(t[2::3]), *prior).sum())

    grads = _person_gradients(fun, theta)
    hess = _hessian(total, theta, h=1e-3)  # less rounding error on this scale
    score = grads.sum(axis=0)
    meat = grads.T @ grads - np.outer(score, score) / x.shape[0]
    inv = np.linalg.inv(-hess)
    ref = inv @ meat @ inv
    assert _close(si.matrix[np.ix_(order, order)], ref) < 5e-4  # measured 4.6e-5
    # the person scores sum to minus the prior gradient (the reason the meat is centred)
    cc = expit(theta[2::3])
    prior_grad = (prior[0] - 1) * (1 - cc) - (prior[1] - 1) * cc
    np.testing.assert_allclose(score[2::3], -prior_grad, atol=0.05 * np.abs(prior_grad).max())


def test_sandwich_close_to_louis_under_the_true_model():
    """Correct specification: both estimate the same covariance. 2PL, 10 items, N = 5,000;
    the meat's sampling error makes SE ratios scatter by a few per cent, so 10 %."""
    a = np.linspace(0.7, 2.0, 10)
    b = np.linspace(-1.5, 1.5, 10)
    x = _simulate(5000, a, b, seed=8)
    louis = _fit(x, "2pl", "louis").covariance
    sand = _fit(x, "2pl", "sandwich").covariance
    ratio = sand.se / louis.se
    assert np.all(np.abs(ratio - 1) < 0.10), ratio
    assert abs(float(np.mean(ratio)) - 1) < 0.03


def test_sandwich_is_not_offered_by_girth():
    with pytest.raises(ValueError, match="sandwich"):
        calibrate(_twopl_case(), model="2pl", se="sandwich", engine="girth")


# ----------------------------------------------------------------------------- Wald tests


def test_wald_by_hand():
    x = _twopl_case()
    res = _fit(x, "2pl", "louis")
    cov = res.covariance
    i1, i2, i3 = cov.index("item1:a"), cov.index("item2:a"), cov.index("item3:b")
    beta = cov.estimates
    v = cov.matrix
    # two constraints: a1 = a2 and b3 = 0.1
    r_mat = np.zeros((2, len(beta)))
    r_mat[0, i1], r_mat[0, i2], r_mat[1, i3] = 1.0, -1.0, 1.0
    r = np.array([0.0, 0.1])
    diff = r_mat @ beta - r
    w = diff @ np.linalg.inv(r_mat @ v @ r_mat.T) @ diff
    out = wald_test(res, ["item1:a = item2:a", "item3:b = 0.1"])
    assert isinstance(out, WaldResult)
    assert out.statistic == pytest.approx(w, rel=1e-10)
    assert out.df == 2
    assert out.p_value == pytest.approx(chi2.sf(w, 2), rel=1e-10)
    assert out.names == (("item1", "a"), ("item2", "a"), ("item3", "b"))
    np.testing.assert_array_equal(out.matrix, [[1, -1, 0], [0, 0, 1]])
    np.testing.assert_allclose(out.rhs, [0.0, 0.1])
    # the same constraints written as coefficient mappings, or with the other sign
    alt = wald_test(res, [({"item1:a": 1, ("item2", "a"): -1}, 0.0), "-item3:b + 0.1 = 0"])
    assert alt.statistic == pytest.approx(w, rel=1e-10)
    # one constraint on one parameter: the square of the z statistic from the SE table
    z = (res.params.a[0] - 1.0) / res.params.se_a[0]
    assert wald_test(res, "item1:a = 1").statistic == pytest.approx(z**2, rel=1e-10)
    # a combination with coefficients
    two = wald_test(res, "2*item1:a = item2:a + item4:a")
    j = [cov.index(n) for n in ("item1:a", "item2:a", "item4:a")]
    g = np.array([2.0, -1.0, -1.0])
    w2 = (g @ beta[j]) ** 2 / (g @ v[np.ix_(j, j)] @ g)
    assert two.statistic == pytest.approx(w2, rel=1e-10)
    assert two.constraints == ("2*item1:a - 1*item2:a - 1*item4:a = 0",)
    # location constraints differ by metric; slopes do not
    si = wald_test(res, "item1:a = item2:a", metric="slope-intercept")
    assert si.statistic == pytest.approx(w_slopes(cov), rel=1e-8)
    d_test = wald_test(res, "item1:d = item2:d", metric="slope-intercept")
    assert d_test.names == (("item1", "d"), ("item2", "d"))
    assert d_test.statistic != pytest.approx(wald_test(res, "item1:b = item2:b").statistic)


def w_slopes(cov):
    """a1 = a2 by hand."""
    j = [cov.index("item1:a"), cov.index("item2:a")]
    g = np.array([1.0, -1.0])
    return float((g @ cov.estimates[j]) ** 2 / (g @ cov.matrix[np.ix_(j, j)] @ g))


def test_wald_errors_name_the_problem():
    x = _twopl_case()
    res = _fit(x, "2pl", "louis")
    with pytest.raises(ValueError, match=r"item9:a, item1:q"):
        wald_test(res, ["item9:a = item1:a", "item1:q = 0"])
    with pytest.raises(ValueError, match="linearly dependent"):
        wald_test(res, ["item1:a = item2:a", "item2:a = item1:a"])
    with pytest.raises(ValueError, match="one equation"):
        wald_test(res, "item1:a")
    with pytest.raises(ValueError, match="every coefficient is zero"):
        wald_test(res, "item1:a = item1:a")
    with pytest.raises(ValueError, match="cannot read"):
        wald_test(res, "x*item1:a = 1")
    with pytest.raises(ValueError, match="metric"):
        wald_test(res, "item1:a = 1", metric="logit")
    with pytest.raises(TypeError, match="CalibrationResult"):
        wald_test({"a": 1}, "item1:a = 1")
    with pytest.raises(ValueError, match="non-empty"):
        wald_test(res, [])
    # the 1PL slope is shared: constraining two items' slopes tests nothing
    one = _fit(x, "1pl", "louis")
    with pytest.raises(ValueError, match="singular"):
        wald_test(one, "item1:a = item2:a")
    assert wald_test(one, "item1:a = 1").df == 1


def test_wald_agrees_with_a_constrained_likelihood_ratio():
    """H0 true (a1 = 1): W against LR = 2 (ll_free - ll_constrained), the constrained maximum
    found by scipy on the likelihood written here. Both are chi-square(1) under H0 and differ
    by O(N^-1/2); at N = 3,000 they agree to well within 0.3 (measured: see the note)."""
    a = np.array([1.0, 1.4, 0.9, 1.7, 1.2])
    b = np.array([-0.8, -0.2, 0.1, 0.5, 1.0])
    for seed in (31, 32, 33):
        x = _simulate(3000, a, b, seed=seed)
        res = _fit(x, "2pl", "louis")
        si = res.covariance.in_metric("slope-intercept")
        theta = np.array(
            [si.estimates[si.index((f"item{j + 1}", p))] for j in range(5) for p in ("a", "d")]
        )
        ll_free = float(_person_loglik(x, theta[0::2], theta[1::2]).sum())
        assert ll_free == pytest.approx(res.loglik, abs=1e-6)

        def negll(t, x=x):
            full = np.concatenate([[1.0], t])
            return -float(_person_loglik(x, full[0::2], full[1::2]).sum())

        con = minimize(negll, theta[1:], method="BFGS", options={"gtol": 1e-6})
        lr = 2.0 * (ll_free + con.fun)
        w = wald_test(res, "item1:a = 1").statistic
        assert abs(w - lr) < 0.3 + 0.1 * lr, (seed, w, lr)


def test_wald_against_lr_1pl_versus_2pl():
    """Equal slopes (4 constraints) against the 1PL fit: the LR test of the nested models."""
    a = np.full(5, 1.3)
    b = np.array([-1.0, -0.4, 0.0, 0.5, 1.1])
    stats = []
    for seed in (41, 42, 43):
        x = _simulate(3000, a, b, seed=seed)
        free = _fit(x, "2pl", "louis")
        one = _fit(x, "1pl", "none")
        lr = 2.0 * (free.loglik - one.loglik)
        w = wald_test(free, [f"item{j}:a = item{j + 1}:a" for j in range(1, 5)])
        assert w.df == 4
        stats.append((w.statistic, lr))
        assert abs(w.statistic - lr) < 0.5 + 0.1 * lr, (seed, w.statistic, lr)
    assert math.isfinite(sum(s for s, _ in stats))


def test_covariance_of_graded_items_with_anchors():
    """Polytomous names (b1, b2, ...), anchors left out, the free latent mean and SD last."""
    from psychometrics.irt import ItemParameters

    rng = np.random.default_rng(4)
    n, n_items = 1500, 5
    theta = rng.normal(0.3, 1.1, size=n)
    a = np.array([1.0, 1.4, 0.9, 1.2, 1.6])
    b = np.array([[-1.0, 0.2], [-0.6, 0.5], [-0.2, 0.9], [-1.2, 0.0], [-0.4, 0.7]])
    p_ge = expit(a[None, :, None] * (theta[:, None, None] - b[None]))  # (n, J, 2)
    u = rng.random((n, n_items))
    x = (u[:, :, None] < p_ge).sum(axis=2)
    anchors = ItemParameters(
        item_ids=("item1", "item2"),
        model=("grm", "grm"),
        a=a[:2],
        b=b[:2],
        c=np.zeros(2),
    )
    res = _fit(x, "grm", "louis", anchors=anchors)
    cov = res.covariance
    expect = [(f"item{j}", p) for j in (3, 4, 5) for p in ("a", "b1", "b2")]
    assert cov.names == tuple(expect + [("latent", "mean"), ("latent", "sd")])
    np.testing.assert_allclose(cov.se[0:9:3], res.params.se_a[2:], rtol=1e-10)
    np.testing.assert_allclose(cov.se[1:9:3], res.params.se_b[2:, 0], rtol=1e-10)
    np.testing.assert_allclose(cov.se[2:9:3], res.params.se_b[2:, 1], rtol=1e-10)
    assert cov.se[-2] == pytest.approx(res.latent_mean_se, rel=1e-10)
    assert cov.se[-1] == pytest.approx(res.latent_sd_se, rel=1e-10)
    assert cov.index("sd") == cov.index("latent:sd") == len(cov.names) - 1
    si = cov.in_metric("slope-intercept")
    assert si.names[:3] == (("item3", "a"), ("item3", "d1"), ("item3", "d2"))
    # the latent mean is tested like any other parameter
    z = res.latent_mean / res.latent_mean_se
    assert wald_test(res, "latent:mean = 0").statistic == pytest.approx(z**2, rel=1e-10)
    assert wald_test(res, "mean = 0").statistic == pytest.approx(z**2, rel=1e-10)


def test_boundary_c_is_left_out():
    """A 3PL c held at 0 (no prior) is fixed: it has no row; the item's a and b do."""
    a = np.array([1.2, 1.0, 1.5, 0.8, 1.3, 1.1])
    b = np.array([-0.5, 0.0, 0.5, -1.0, 1.0, 0.2])
    c = np.array([0.0, 0.25, 0.0, 0.0, 0.2, 0.0])
    x = _simulate(2000, a, b, c, seed=9)
    res = _fit(x, "3pl", "sandwich", c_prior=None)
    held = {i for i, _ in res.boundary_items}
    assert held  # the check needs at least one held c
    names = set(res.covariance.names)
    for j in range(6):
        item = f"item{j + 1}"
        assert (item, "a") in names and (item, "b") in names
        assert ((item, "c") in names) == (item not in held)
    assert res.covariance.matrix.shape == (18 - len(held),) * 2
    with pytest.raises(ValueError, match="unknown parameter"):
        wald_test(res, f"{sorted(held)[0]}:c = 0")


def test_cli_sandwich_standard_errors(tmp_path):
    """``credkit calibrate --se sandwich`` writes the same SEs as the Python call."""
    import json

    from click.testing import CliRunner

    from psychometrics.cli import main
    from psychometrics.irt import read_params

    x = _twopl_case()
    path = tmp_path / "responses.csv"
    lines = ["person_id," + ",".join(f"item{j + 1}" for j in range(x.shape[1]))]
    lines += [f"p{i}," + ",".join(str(v) for v in row) for i, row in enumerate(x)]
    path.write_text("\n".join(lines) + "\n")
    out = tmp_path / "params.csv"
    r = CliRunner().invoke(
        main,
        ["calibrate", str(path), "--model", "2pl", "--se", "sandwich", "--out", str(out), "--json"],
    )
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["se_method"] == "sandwich"
    api = _fit(x, "2pl", "sandwich")
    got = read_params(out)
    np.testing.assert_allclose(got.se_a, api.params.se_a, rtol=2e-3)
    np.testing.assert_allclose(got.se_b[:, 0], api.params.se_b[:, 0], rtol=2e-3)


def test_cli_covariance_file(tmp_path):
    """``--covariance FILE``: CSV (or JSON by suffix) of the named matrix; refused without SEs,
    before anything is written."""
    import csv
    import json

    from click.testing import CliRunner

    from psychometrics.cli import main

    x = _twopl_case()
    path = tmp_path / "responses.csv"
    lines = ["person_id," + ",".join(f"item{j + 1}" for j in range(x.shape[1]))]
    lines += [f"p{i}," + ",".join(str(v) for v in row) for i, row in enumerate(x)]
    path.write_text("\n".join(lines) + "\n")
    api = calibrate(x, model="2pl").covariance  # the CLI's defaults
    for name in ("cov.csv", "cov.json"):
        target = tmp_path / name
        args = [
            "calibrate",
            str(path),
            "--out",
            str(tmp_path / "p.csv"),
            "--covariance",
            str(target),
        ]
        r = CliRunner().invoke(main, [*args, "--json"])
        assert r.exit_code == 0, r.output
        assert json.loads(r.stdout)["covariance"] == str(target)
        if name.endswith(".json"):
            d = json.loads(target.read_text())
            assert d["method"] == "louis" and d["metric"] == "irt"
            assert [tuple(n) for n in d["names"]] == list(api.names)
            np.testing.assert_allclose(d["matrix"], api.matrix, rtol=1e-12)
        else:
            rows = list(csv.reader(target.open()))
            assert rows[0][:6] == ["item_id", "parameter", "estimate", "se", "item1:a", "item1:b"]
            assert [tuple(r[:2]) for r in rows[1:]] == list(api.names)
            np.testing.assert_allclose(
                np.array([r[4:] for r in rows[1:]], dtype=float), api.matrix, rtol=1e-12
            )
    out = tmp_path / "none.csv"
    r = CliRunner().invoke(
        main,
        [
            "calibrate",
            str(path),
            "--se",
            "none",
            "--out",
            str(out),
            "--covariance",
            str(tmp_path / "c.csv"),
        ],
    )
    assert r.exit_code != 0 and "--covariance needs standard errors" in r.output
    assert not out.exists() and not (tmp_path / "c.csv").exists()
    same = tmp_path / "same.csv"
    r = CliRunner().invoke(
        main, ["calibrate", str(path), "--out", str(same), "--covariance", str(same)]
    )
    assert r.exit_code != 0 and "must be different files" in r.output and not same.exists()
