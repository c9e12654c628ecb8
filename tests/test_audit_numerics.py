"""Independent numerical checks written by the numerics review (reviewer R2).

Each test computes its expected values without the function under test: from a published
formula written out here, a brute-force enumeration, or a Monte Carlo simulation (tolerances
stated per test and justified by the simulation size).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from psychometrics import classification as cl
from psychometrics.irt.models import ItemParameters


def _params_3pl(a, b, c) -> ItemParameters:
    n = len(a)
    return ItemParameters(
        item_ids=tuple(f"i{j}" for j in range(n)),
        model=("3pl",) * n,
        a=np.asarray(a, float),
        b=np.asarray(b, float),
        c=np.asarray(c, float),
    )


# ---------------------------------------------------------------------------------------------
# Rudner (2001, 2005): the estimate stands in for the true theta
# ---------------------------------------------------------------------------------------------


def test_rudner_examinee_false_positive_is_observed_pass_of_a_true_fail():
    """Rudner (2005) / irtQ ``cac_rud``: each estimate is treated as the true theta and the
    observed estimate is N(theta_hat, se^2). An examinee whose estimate is below the cut is truly
    failing; the probability that the observed estimate reaches the cut is a false *positive*.
    Monte Carlo: 400,000 observed draws per examinee; the binomial SE of each rate is below
    sqrt(.25 / 2.8e6) = 3e-4, tolerance 2e-3."""
    theta = np.array([-1.2, -0.5, -0.1, 0.0, 0.3, 0.8, 1.9])
    se = np.array([0.4, 0.3, 0.35, 0.3, 0.25, 0.3, 0.5])
    cut = 0.1
    rng = np.random.default_rng(2005)
    draws = theta[:, None] + se[:, None] * rng.standard_normal((theta.size, 400_000))
    true_pass = (theta >= cut)[:, None]
    obs_pass = draws >= cut
    res = cl.rudner(theta, se, cuts=cut)
    assert res.false_positive == pytest.approx(np.mean(obs_pass & ~true_pass), abs=2e-3)
    assert res.false_negative == pytest.approx(np.mean(~obs_pass & true_pass), abs=2e-3)
    assert res.pass_rate == pytest.approx(np.mean(obs_pass), abs=2e-3)
    assert res.true_pass_rate == pytest.approx(np.mean(theta >= cut), abs=1e-12)
    # exact: the truly failing examinees (theta < cut) contribute P(N(theta, se) >= cut)
    fail = theta < cut
    fp = np.sum(stats.norm.sf((cut - theta[fail]) / se[fail])) / theta.size
    assert res.false_positive == pytest.approx(fp, abs=1e-12)


def test_rudner_examinee_equals_population_version_at_the_same_thetas():
    """The examinee version with se = 1 / sqrt(I(theta)) and equal weights is the population
    version at those thetas (which puts the true theta at the node and the estimate around it):
    every index, false positive and negative and the joint table included, must agree."""
    params = _params_3pl(
        [1.2, 0.8, 1.5, 1.0, 0.9, 1.4], [-1.0, -0.3, 0.0, 0.4, 0.9, 1.5], [0.2] * 6
    )
    from psychometrics.irt.models import test_information

    t = np.linspace(-3, 3, 41)
    se = 1.0 / np.sqrt(test_information(params, t))
    ex = cl.rudner(t, se, cuts=[-0.5, 0.7])
    pop = cl.rudner_population(params, cuts=[-0.5, 0.7], thetas=t, weights=np.ones(t.size))
    for field in (
        "accuracy",
        "consistency",
        "false_positive",
        "false_negative",
        "kappa",
        "pass_rate",
        "true_pass_rate",
    ):
        assert getattr(ex, field) == pytest.approx(getattr(pop, field), abs=1e-12), field
    np.testing.assert_allclose(np.array(ex.joint), np.array(pop.joint), atol=1e-12)
    assert not math.isclose(ex.false_positive, ex.false_negative)  # the check can tell them apart
