"""Issue 14: C2 (Cai & Monroe 2014) for polytomous tests, and CFI / TLI beside RMSEA and SRMSR.

The independent check is a brute-force computation written here for four 3-category GRM items:
all 81 response patterns, their marginal probabilities from the GRM written out (61 rectangular
nodes on [-6, 6], N(0, 1)), the C2 moment vector of each pattern (category indicators of every
item, cross-products of every pair of item scores), its exact covariance over the patterns, the
Jacobian by central differences with respect to (a, b) per item, and C2 = N e' C e. It shares no
code with credkit's C2 except the response data; the two must agree to 1e-6 relative (finite
differences of the same order on both sides). The same brute force with every slope 0 and the
observed category proportions gives the independence model's statistic for CFI and TLI.
"""

import itertools
import warnings

import numpy as np
import pytest
from scipy.special import expit
from test_calibration_recovery import make_params, simulate

from psychometrics.irt import calibrate
from psychometrics.irt.fit import c2, m2

NODES = np.linspace(-6, 6, 61)
W = np.exp(-0.5 * NODES**2) / np.exp(-0.5 * NODES**2).sum()
PATS = np.array(list(itertools.product(range(3), repeat=4)))  # (81, 4)


def grm_probs(a, b, nodes):
    """(Q, J, 3) category probabilities of 3-category GRM items, written out."""
    up1 = expit(a[None, :] * (nodes[:, None] - b[None, :, 0]))
    up2 = expit(a[None, :] * (nodes[:, None] - b[None, :, 1]))
    return np.stack([1 - up1, up1 - up2, up2], axis=2)


def moments(pats):
    ind = np.concatenate([(pats == k).astype(float) for k in (1, 2)], axis=1)  # (P, 8)
    ind = ind[:, [0, 4, 1, 5, 2, 6, 3, 7]]  # item-major: (i1 k1, i1 k2, i2 k1, ...)
    iu, ju = np.triu_indices(4, 1)
    return np.hstack([ind, pats[:, iu] * pats[:, ju]])


U = moments(PATS)


def pattern_probs(probs, weights):
    per = probs[:, np.arange(4)[None, :], PATS]  # (Q, 81, 4)
    return weights @ np.prod(per, axis=2)


def brute_c2(x, a, b):
    n = x.shape[0]
    obs = moments(x).mean(axis=0)

    def pi_of(v):
        return pattern_probs(grm_probs(v[:4], v[4:].reshape(4, 2), NODES), W) @ U

    v0 = np.concatenate([a, b.ravel()])
    jac = np.empty((U.shape[1], v0.size))
    for c in range(v0.size):
        e = np.zeros(v0.size)
        e[c] = 1e-5
        jac[:, c] = (pi_of(v0 + e) - pi_of(v0 - e)) / 2e-5
    stat = quad(obs, pattern_probs(grm_probs(a, b, NODES), W), jac, n)
    # independence model: observed category proportions, parameters p_i1, p_i2 per item
    p0 = np.stack([(x == k).mean(axis=0) for k in range(3)], axis=1)  # (4, 3)

    def pi0(q):
        probs = q.reshape(1, 4, 3)
        return pattern_probs(probs, np.ones(1)) @ U

    jac0 = np.empty((U.shape[1], 8))
    for c, (j, k) in enumerate(itertools.product(range(4), (1, 2))):
        e = np.zeros((4, 3))
        e[j, k], e[j, 0] = 1e-6, -1e-6
        jac0[:, c] = (pi0((p0 + e).ravel()) - pi0((p0 - e).ravel())) / 2e-6
    stat0 = quad(obs, pattern_probs(p0[None], np.ones(1)), jac0, n)
    return stat, stat0


def quad(obs, pp, jac, n):
    pi = pp @ U
    gamma = (U * pp[:, None]).T @ U - np.outer(pi, pi)
    q, _ = np.linalg.qr(jac, mode="complete")
    comp = q[:, jac.shape[1] :]
    e = comp.T @ (obs - pi)
    return float(n * e @ np.linalg.solve(comp.T @ gamma @ comp, e))


@pytest.fixture(scope="module")
def grm_fit():
    rng = np.random.default_rng(14)
    true = make_params("grm", 4, rng, n_cat=3)
    x = simulate(true, rng.standard_normal(800), rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return x, calibrate(x, model="grm", se="none").params


def test_c2_matches_a_brute_force_over_all_response_patterns(grm_fit):
    x, p = grm_fit
    res = c2(x, p)
    stat, stat0 = brute_c2(x, p.a, p.b[:, :2])
    assert res.statistic == "C2" and res.df == 8 + 6 - 12
    assert res.m2 == pytest.approx(stat, rel=1e-6)
    df0 = 14 - 8
    assert res.cfi == pytest.approx(1 - max(stat - 2, 0) / max(stat0 - df0, stat - 2, 0), rel=1e-6)
    assert res.tli == pytest.approx((stat0 / df0 - stat / 2) / (stat0 / df0 - 1), rel=1e-6)
    d = res.to_dict()
    assert d["statistic"] == "C2" and d["C2"] == res.m2 and "CFI" in d and "TLI" in d


def test_c2_equals_m2_for_dichotomous_items():
    rng = np.random.default_rng(15)
    x = simulate(make_params("2pl", 6, rng), rng.standard_normal(700), rng)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = calibrate(x, model="2pl", se="none").params
    a, b = c2(x, p), m2(x, p)
    assert a.m2 == pytest.approx(b.m2, rel=1e-8) and a.df == b.df
    assert a.cfi == pytest.approx(b.cfi, rel=1e-8) and a.tli == pytest.approx(b.tli, rel=1e-8)
    assert 0.98 < b.cfi <= 1.0 and b.tli > 0.95  # data from the model


def test_c2_flags_a_misspecified_model_that_m2_style_indices_then_rate_lower():
    # two independent factors fitted with one: CFI well below the well-specified fit's
    rng = np.random.default_rng(16)
    true = make_params("grm", 8, rng, n_cat=3)
    t1, t2 = rng.standard_normal((2, 1500))
    x = np.hstack(
        [
            simulate(true.subset(true.item_ids[:4]), t1, rng),
            simulate(true.subset(true.item_ids[4:]), t2, rng),
        ]
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        p = calibrate(x, model="grm", item_ids=true.item_ids, se="none").params
    res = c2(x, p)
    assert res.p < 1e-6 and res.cfi < 0.9 and res.rmsea > 0.05


def test_model_fit_reports_c2_for_polytomous_tests(grm_fit):
    from psychometrics.irt.fit import model_fit

    x, p = grm_fit
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rep = model_fit(x, p)
    d = rep.to_dict()
    assert rep.c2 is not None and d["C2"] == pytest.approx(c2(x, p).m2)
    assert d["C2_df"] == 2 and d["CFI"] is not None and d["TLI"] is not None
    assert any("C2 (Cai & Monroe 2014)" in n for n in rep.notes)
