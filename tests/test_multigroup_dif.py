"""Issue 14: multiple-group calibration and likelihood-ratio IRT DIF.

Checks: (1) the reported log-likelihood equals the two-group marginal likelihood written out here
from the 2PL formula (same 61 nodes, each group's N(mean, sd) weights) at the reported estimates,
to 1e-6 relative; (2) recovery of a planted focal-group mean and SD (N = 3,000 per group: SEs
about 0.03 and 0.025, bound 0.1); (3) power for a planted uniform (b + 0.6) and a non-uniform
(a x 2) DIF item, with a focal group 0.5 SD lower: both at p < .001, the non-uniform one with an
unsigned effect well above its signed one; clean items flagged at alpha = .05 at most 2 of 8
(expected 0.4; contamination of the anchors by the two DIF items can add a little). Type I
error over 200 replications is in benchmarks/irt_dif.py; more than two groups, anchors and
purification are in tests/test_irt_dif_groups.py.
"""

import warnings

import numpy as np
import pytest
from scipy.special import expit
from test_calibration_recovery import make_params, simulate

from psychometrics.irt.irt_dif import irt_dif
from psychometrics.irt.multigroup import calibrate_groups


def _two_groups(seed, n=3000, dif=False):
    rng = np.random.default_rng(seed)
    t = make_params("2pl", 10, rng)
    a, b = t.a.copy(), t.b.copy()
    if dif:
        b[2, 0] += 0.6
        a[4] *= 2.0
    x1 = simulate(t, rng.standard_normal(n), rng)
    x2 = simulate(t.with_values(a=a, b=b), -0.5 + 1.2 * rng.standard_normal(n), rng)
    return np.vstack([x1, x2]).astype(int), ["R"] * n + ["F"] * n


def test_multigroup_loglik_is_the_two_group_marginal_likelihood_and_recovers_impact():
    x, g = _two_groups(1)
    res = calibrate_groups(x, g, reference="R")
    assert res.converged and res.groups == ("R", "F")
    assert res.latent_means[0] == 0 and res.latent_sds[0] == 1
    assert res.latent_means[1] == pytest.approx(-0.5, abs=0.1)
    assert res.latent_sds[1] == pytest.approx(1.2, abs=0.1)
    nodes = np.linspace(-6, 6, 61)
    total = 0.0
    labels = np.array(g)
    for k, name in enumerate(res.groups):
        p = res.group_params[name]
        prob = expit(p.a[None, :] * (nodes[:, None] - p.b[None, :, 0]))  # (Q, J)
        xs = x[labels == name]
        ll = xs @ np.log(prob).T + (1 - xs) @ np.log1p(-prob).T  # (n, Q)
        logw = -0.5 * ((nodes - res.latent_means[k]) / res.latent_sds[k]) ** 2
        logw -= np.logaddexp.reduce(logw)
        total += np.logaddexp.reduce(ll + logw, axis=1).sum()
    assert res.loglik == pytest.approx(total, rel=1e-6)
    assert res.n_parameters == 20 + 2
    np.testing.assert_allclose(res.group_params["R"].a, res.group_params["F"].a)


@pytest.mark.slow
def test_lr_dif_finds_planted_uniform_and_non_uniform_dif():
    x, g = _two_groups(2, n=1500, dif=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # every fit converges
        res = irt_dif(x, g, reference="R", cut=0.0)
    by_id = {i.item_id: i for i in res.items}
    uni, non = by_id["item3"], by_id["item5"]
    assert uni.p < 1e-3 and non.p < 1e-3 and uni.df == non.df == 2
    assert uni.wald_p < 1e-3 and non.wald_p < 1e-2  # Wald from the freed model's information
    assert uni.wald == pytest.approx(uni.g2, rel=0.2)  # asymptotically equivalent
    assert uni.signed > 0.05  # harder for the focal group: favours the reference group
    assert non.unsigned > 2 * abs(non.signed)
    clean = [i for k, i in by_id.items() if k not in ("item3", "item5")]
    assert sum(i.flagged for i in clean) <= 2
    assert all(i.g2 >= 0 for i in res.items)
    d = res.to_dict()
    assert d["focal"] == "F" and d["cut"] == 0.0 and len(d["items"]) == 10


def test_multigroup_standard_errors_match_a_numerical_hessian_of_the_two_group_likelihood():
    """Observed-information SEs against the inverse finite-difference Hessian (h = 1e-3,
    ~1e-6 relative) of the two-group likelihood written out here: to 0.1 %."""
    rng = np.random.default_rng(9)
    t = make_params("2pl", 4, rng)
    x = np.vstack(
        [
            simulate(t, rng.standard_normal(500), rng),
            simulate(t, 0.4 + 0.8 * rng.standard_normal(500), rng),
        ]
    ).astype(int)
    g = np.array(["R"] * 500 + ["F"] * 500)
    res = calibrate_groups(x, g, reference="R", tol=1e-8)
    nodes = np.linspace(-6, 6, 61)

    def loglik(v):
        a, d, m, s = v[0:8:2], v[1:8:2], v[8], v[9]
        prob = expit(a[None, :] * nodes[:, None] + d[None, :])
        total = 0.0
        for name, mean, sd in (("R", 0.0, 1.0), ("F", m, s)):
            xs = x[g == name]
            ll = xs @ np.log(prob).T + (1 - xs) @ np.log1p(-prob).T
            logw = -0.5 * ((nodes - mean) / sd) ** 2
            total += np.logaddexp.reduce(ll + logw - np.logaddexp.reduce(logw), axis=1).sum()
        return total

    p = res.group_params["R"]
    v0 = np.concatenate(
        [np.column_stack([p.a, -p.a * p.b[:, 0]]).ravel(), [res.latent_means[1], res.latent_sds[1]]]
    )
    np.testing.assert_allclose(res.estimates, v0, rtol=1e-8)
    h, n = 1e-3, v0.size
    eye = np.eye(n) * h
    hess = np.array(
        [
            [
                (
                    loglik(v0 + eye[i] + eye[k])
                    - loglik(v0 + eye[i] - eye[k])
                    - loglik(v0 - eye[i] + eye[k])
                    + loglik(v0 - eye[i] - eye[k])
                )
                / (4 * h * h)
                for k in range(n)
            ]
            for i in range(n)
        ]
    )
    cov = np.linalg.inv(-hess)
    np.testing.assert_allclose(res.covariance, cov, rtol=2e-3, atol=1e-7)
    np.testing.assert_allclose(p.se_a, np.sqrt(np.diag(cov))[0:8:2], rtol=1e-3)
    assert res.latent_mean_ses[1] == pytest.approx(np.sqrt(cov[8, 8]), rel=1e-3)
    assert res.latent_sd_ses[1] == pytest.approx(np.sqrt(cov[9, 9]), rel=1e-3)
    assert np.isnan(res.latent_mean_ses[0])


def test_arguments_are_validated():
    x, g = _two_groups(3, n=200)
    with pytest.raises(ValueError, match="at least two groups"):
        calibrate_groups(x, ["R"] * len(g))
    with pytest.raises(ValueError, match="reference"):
        calibrate_groups(x, g, reference="Z")
    with pytest.raises(ValueError, match="free_items"):
        calibrate_groups(x, g, free_items=["nope"])
    with pytest.raises(ValueError, match="one label per person"):
        calibrate_groups(x, g[:-1])
    with pytest.raises(ValueError, match="at least two groups"):
        irt_dif(x, ["a"] * len(g))
