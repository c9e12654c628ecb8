"""Issue 14: M2 with not-presented responses, from pairwise-available margins.

The check is a simulation with known truth: 2PL data with responses missing completely at random
(25 % of the cells), calibrated, then M2 from every available response per margin. If the
covariance of the margins ignored that each one rests on its own number of persons, M2 would be
inflated by roughly 1 / 0.75 for the first-order and 1 / 0.56 for the second-order margins; under
the right covariance M2 is approximately chi-square(df), so its mean over replications is df.
With 40 replications the mean of M2 / df has a standard error of about sqrt(2 / (40 df)) = 0.07
(df = 9): the band 0.8-1.25 is about three standard errors, and the rejection rate at alpha = .05
must stay below .15 (its binomial 99.9 % upper bound at n = 40 is about .14 when the true rate is
.05; we allow a little for the estimated parameters).
"""

import warnings

import numpy as np
import pytest
from test_calibration_recovery import make_params, simulate

from psychometrics.irt import calibrate
from psychometrics.irt.fit import m2


def _data(seed, n=1000, n_items=6, miss=0.25):
    rng = np.random.default_rng(seed)
    true = make_params("2pl", n_items, rng)
    x = simulate(true, rng.standard_normal(n), rng)
    x[rng.random(x.shape) < miss] = -1
    return x


def _fit(x):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return calibrate(x, model="2pl", se="none").params


def test_pairwise_equals_complete_cases_without_missing_data():
    x = _data(1, miss=0.0)
    p = _fit(x)
    a, b = m2(x, p), m2(x, p, missing="complete")
    assert a.missing == "pairwise" and b.missing == "complete"
    assert a.m2 == pytest.approx(b.m2, rel=1e-10) and a.df == b.df == 9
    assert a.srmsr == pytest.approx(b.srmsr, rel=1e-10)


def test_pairwise_uses_every_person_and_complete_cases_only_the_complete_ones():
    x = _data(2)
    p = _fit(x)
    pair, comp = m2(x, p), m2(x, p, missing="complete")
    assert pair.n_persons == int(np.sum(np.any(x >= 0, axis=1)))
    assert comp.n_persons == int(np.sum(np.all(x >= 0, axis=1))) < 300
    assert pair.to_dict()["missing"] == "pairwise"


@pytest.mark.slow
def test_pairwise_m2_is_chi_square_under_mcar_missingness():
    stats, rejections = [], 0
    for seed in range(40):
        x = _data(100 + seed)
        res = m2(x, _fit(x))
        stats.append(res.m2 / res.df)
        rejections += res.p < 0.05
    assert 0.8 < np.mean(stats) < 1.25
    assert rejections / 40 < 0.15


def test_a_pair_never_presented_together_is_an_error():
    x = _data(3, miss=0.0)
    x[:500, 0] = -1
    x[500:, 1] = -1
    with pytest.raises(ValueError, match="pair of items presented"):
        m2(x, _fit(x))
    with pytest.raises(ValueError, match="missing must be"):
        m2(x, _fit(x), missing="listwise")
