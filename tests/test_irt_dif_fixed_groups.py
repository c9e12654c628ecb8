"""Issue 14: anchors by group in the multiple-group calibration (parameters fixed to bank values
in some groups only; every group's mean and SD then estimated) and its identification rules.

Independent checks: (1) on a small three-group case (items 1-2 fixed at bank values in the
reference group only and estimated, shared, in the two others; items 3-5 invariant) the maximum
of the three-group marginal likelihood written out here (2PL, the same 61 nodes, each group's
N(mean, sd) weights), found by scipy's L-BFGS-B from a neutral start, equals the reported
log-likelihood to 2e-3 and its estimates to 5e-3 (the optimiser's tolerance; SEs are ~0.05-0.1),
and the reported SEs of the group means equal the inverse numerical Hessian's to 2 %; (2) a
simulation with known truth recovers every group's mean and SD (N = 2,000 per group, bound 0.1,
about 3 SEs); (3) unidentified models raise a ValueError naming the groups.
"""

import numpy as np
import pytest
from scipy import optimize
from scipy.special import expit

from psychometrics.irt.models import ItemParameters, category_probabilities
from psychometrics.irt.multigroup import calibrate_groups

NODES = np.linspace(-6, 6, 61)
GROUPS = ("R", "A", "B")


def _simulate(params, theta, rng):
    probs = category_probabilities(params, theta)
    u = rng.random((theta.size, params.n_items, 1))
    return np.sum(u > np.cumsum(probs, axis=2)[:, :, :-1], axis=2).astype(int)


def _data(seed, n, j, dists):
    rng = np.random.default_rng(seed)
    ids = tuple(f"i{k + 1}" for k in range(j))
    a = rng.lognormal(0.0, 0.25, j)
    b = rng.uniform(-1.5, 1.5, j)[:, None]
    bank = ItemParameters(item_ids=ids, model=("2pl",) * j, a=a, b=b, c=np.zeros(j))
    x = np.vstack([_simulate(bank, m + s * rng.standard_normal(n), rng) for m, s in dists])
    return x, np.repeat(GROUPS, n), bank


def test_fixed_in_the_reference_group_only_maximises_a_hand_coded_likelihood():
    x, g, bank = _data(21, 400, 5, [(0.3, 0.9), (-0.4, 1.2), (0.6, 0.8)])
    fixed = bank.subset(["i1", "i2"])
    res = calibrate_groups(
        x, g, item_ids=bank.item_ids, reference="R", fixed={"R": fixed}, tol=1e-7
    )
    assert res.fixed == (("i1", "R"), ("i2", "R"))
    # fixed in R: exactly the bank values; estimated (shared) in A and B
    np.testing.assert_allclose(res.group_params["R"].a[:2], fixed.a)
    np.testing.assert_allclose(res.group_params["A"].a, res.group_params["B"].a)
    assert res.n_parameters == 2 * 2 + 3 * 2 + 6  # i1, i2 in A+B; i3-i5; 3 means and SDs

    def negll(v):
        # v: (a, d) of i1, i2 in A and B (shared), of i3-i5 in every group; mean, log SD by group
        a = np.tile(np.r_[fixed.a, v[[4, 6, 8]]], (3, 1))
        d = np.tile(np.r_[-fixed.a * fixed.b[:, 0], v[[5, 7, 9]]], (3, 1))
        a[1:, :2] = v[[0, 2]]
        d[1:, :2] = v[[1, 3]]
        total = 0.0
        for k, name in enumerate(GROUPS):
            prob = expit(a[k][None, :] * NODES[:, None] + d[k][None, :])
            xs = x[g == name]
            ll = xs @ np.log(prob).T + (1 - xs) @ np.log1p(-prob).T
            logw = -0.5 * ((NODES - v[10 + 2 * k]) / np.exp(v[11 + 2 * k])) ** 2
            total += np.logaddexp.reduce(ll + logw - np.logaddexp.reduce(logw), axis=1).sum()
        return -total

    v0 = np.zeros(16)
    v0[0:10:2] = 1.0
    bounds = [(-4.0, 4.0)] * 10 + [(-3.0, 3.0), (-1.5, 1.5)] * 3
    opt = optimize.minimize(
        negll, v0, method="L-BFGS-B", jac="3-point", bounds=bounds,
        options={"ftol": 1e-15, "gtol": 1e-7, "maxiter": 5000},
    )  # fmt: skip
    assert res.loglik == pytest.approx(-opt.fun, abs=2e-3)
    np.testing.assert_allclose(res.latent_means, opt.x[10::2], atol=5e-3)
    np.testing.assert_allclose(res.latent_sds, np.exp(opt.x[11::2]), atol=5e-3)
    pa = res.group_params["A"]
    np.testing.assert_allclose(pa.a, opt.x[[0, 2, 4, 6, 8]], atol=5e-3)
    h, n = 1e-3, opt.x.size
    eye = np.eye(n) * h
    v = opt.x
    hess = np.array(
        [
            [
                (negll(v + eye[i] + eye[k]) - negll(v + eye[i] - eye[k])
                 - negll(v - eye[i] + eye[k]) + negll(v - eye[i] - eye[k])) / (4 * h * h)
                for k in range(n)
            ]
            for i in range(n)
        ]
    )  # fmt: skip
    se = np.sqrt(np.diag(np.linalg.inv(hess)))
    np.testing.assert_allclose(res.latent_mean_ses, se[10::2], rtol=0.02)


def test_every_group_mean_and_sd_recovered_with_bank_anchors_in_one_group():
    dists = [(0.3, 0.9), (-0.5, 1.2), (0.8, 0.7)]
    x, g, bank = _data(22, 2000, 12, dists)
    res = calibrate_groups(
        x, g, item_ids=bank.item_ids, reference="R", fixed={"R": bank.subset(bank.item_ids[:5])}
    )
    assert res.converged
    for k, (m, s) in enumerate(dists):
        assert res.latent_means[k] == pytest.approx(m, abs=0.1)
        assert res.latent_sds[k] == pytest.approx(s, abs=0.1)
        assert 0 < res.latent_mean_ses[k] < 0.1
    # fixed in different groups (each group anchored by its own bank items) works too
    res2 = calibrate_groups(
        x, g, item_ids=bank.item_ids, reference="R",
        fixed={"A": bank.subset(["i1", "i2", "i3"]), "B": bank.subset(["i4", "i5", "i6"])},
    )  # fmt: skip
    for k, (m, s) in enumerate(dists):
        assert res2.latent_means[k] == pytest.approx(m, abs=0.15)
        assert res2.latent_sds[k] == pytest.approx(s, abs=0.15)


def test_unidentified_models_raise_a_clear_error():
    x, g, bank = _data(23, 150, 6, [(0, 1), (0, 1), (0, 1)])
    ids = bank.item_ids
    with pytest.raises(ValueError, match=r"not identified: the scale of group\(s\) A, B"):
        calibrate_groups(
            x, g, item_ids=ids, reference="R", fixed={"R": bank.subset(ids[:2])}, free_items=ids
        )
    with pytest.raises(ValueError, match=r"not identified.*group\(s\) A, B.*held invariant"):
        calibrate_groups(x, g, item_ids=ids, reference="R", free_items=ids)
    # fixed in A only: i1, i2 are shared by R and B, which are linked to each other, not to A
    with pytest.raises(ValueError, match=r"group\(s\) R, B is not set"):
        calibrate_groups(
            x, g, item_ids=ids, reference="R",
            fixed={"A": bank.subset(ids[:2])}, free_items=ids[2:],
        )  # fmt: skip
    with pytest.raises(ValueError, match="fixed: 'Z' is not one of the groups"):
        calibrate_groups(x, g, item_ids=ids, fixed={"Z": bank})
    with pytest.raises(ValueError, match=r"fixed\['R'\]: not an item: q1"):
        calibrate_groups(
            x, g, item_ids=ids, fixed={"R": bank.with_values(item_ids=("q1", *ids[1:]))}
        )
    with pytest.raises(TypeError, match="ItemParameters"):
        calibrate_groups(x, g, item_ids=ids, fixed={"R": {"i1": 1.0}})
