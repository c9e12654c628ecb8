"""Tetrachoric/polychoric correlations and eigenvalue evidence.

The independent reference is scipy's bivariate normal CDF (Genz's algorithm): contingency tables
are built from known thresholds and a known correlation, and the estimator must give that
correlation back.
"""

import numpy as np
import pytest
from scipy import stats

from psychometrics.irt.dimensionality import (
    bivariate_normal_cdf,
    dimensionality,
    polychoric_matrix,
)


def _table_data(rho, tau_x, tau_y, n=200_000):
    """Persons whose (x, y) table is n * P(cell) under a bivariate normal (rounded counts)."""
    mvn = stats.multivariate_normal(mean=[0, 0], cov=[[1, rho], [rho, 1]])
    bx = np.concatenate([[-np.inf], tau_x, [np.inf]])
    by = np.concatenate([[-np.inf], tau_y, [np.inf]])

    def cdf(h, k):
        if h == -np.inf or k == -np.inf:
            return 0.0
        h, k = min(h, 12.0), min(k, 12.0)
        return mvn.cdf([h, k])

    rows = []
    for a in range(len(bx) - 1):
        for b in range(len(by) - 1):
            p = cdf(bx[a + 1], by[b + 1]) - cdf(bx[a], by[b + 1]) - cdf(bx[a + 1], by[b])
            p += cdf(bx[a], by[b])
            rows += [[a, b]] * int(round(n * p))
    return np.array(rows)


def test_bivariate_normal_cdf_matches_scipy():
    for h, k, r in [(0.3, -0.5, 0.6), (1.2, 0.4, -0.8), (-2.0, 1.0, 0.95), (0.0, 0.0, 0.0)]:
        ref = stats.multivariate_normal(cov=[[1, r], [r, 1]]).cdf([h, k])
        assert bivariate_normal_cdf(h, k, r) == pytest.approx(ref, abs=1e-7)


@pytest.mark.parametrize(
    ("rho", "tau_x", "tau_y"),
    [
        (0.6, [0.3], [-0.5]),  # tetrachoric
        (-0.35, [1.1], [0.2]),
        (0.45, [-0.8, 0.4], [-1.0, 0.0, 0.9]),  # polychoric 3 x 4
    ],
)
def test_recovers_known_correlation_from_exact_table(rho, tau_x, tau_y):
    """Counts = round(200000 * P(cell)); rounding perturbs proportions by < 3e-6, which moves
    the estimate by well under 1e-3."""
    data = _table_data(rho, tau_x, tau_y)
    got = polychoric_matrix(data)
    assert got[0, 1] == pytest.approx(rho, abs=1e-3)
    assert got[1, 0] == got[0, 1] and got[0, 0] == 1


def test_one_factor_data_has_dominant_first_eigenvalue_two_factor_does_not():
    rng = np.random.default_rng(4)
    n, n_items = 2000, 10
    theta = rng.standard_normal(n)
    b = np.linspace(-1, 1, n_items)
    one = (rng.random((n, n_items)) < 1 / (1 + np.exp(-1.7 * (theta[:, None] - b)))).astype(int)
    one_dim = dimensionality(one, n_replications=5, seed=1)
    assert one_dim.first_to_second > 4
    assert one_dim.parallel is not None and one_dim.parallel.n_factors == 1
    theta2 = rng.standard_normal(n)
    both = np.where(np.arange(n_items) < 5, theta[:, None], theta2[:, None])
    two = (rng.random((n, n_items)) < 1 / (1 + np.exp(-1.7 * (both - b)))).astype(int)
    two_dim = dimensionality(two, n_replications=5, seed=1)
    assert two_dim.first_to_second < 1.5
    assert two_dim.parallel.n_factors == 2
    # reproducible with the seed
    again = dimensionality(two, n_replications=5, seed=1)
    np.testing.assert_array_equal(again.parallel.p95, two_dim.parallel.p95)


def test_tetrachoric_exceeds_pearson_for_dichotomous_items_and_handles_missing():
    rng = np.random.default_rng(9)
    z = rng.multivariate_normal([0, 0, 0], [[1, 0.5, 0.5], [0.5, 1, 0.5], [0.5, 0.5, 1]], 3000)
    x = (z > [0.5, -0.2, 1.0]).astype(float)
    x[:100, 0] = np.nan
    poly = dimensionality(x)
    pear = dimensionality(x, kind="pearson")
    iu = np.triu_indices(3, 1)
    assert np.all(poly.correlation[iu] > pear.correlation[iu])
    np.testing.assert_allclose(poly.correlation[iu], 0.5, atol=0.06)  # SE ~ 0.025 at N = 3000
    assert poly.eigenvalues.sum() == pytest.approx(3.0)
    assert poly.to_dict()["kind"] == "polychoric"


def test_dimensionality_bad_arguments():
    with pytest.raises(ValueError, match="kind"):
        dimensionality(np.zeros((5, 3)), kind="spearman")
    with pytest.raises(ValueError, match="2-D"):
        dimensionality(np.zeros(5))
    with pytest.raises(ValueError, match="two items"):
        polychoric_matrix(np.zeros((5, 1)))
    constant = np.array([[0, 1], [0, 0], [0, 1]])
    assert np.isnan(polychoric_matrix(constant)[0, 1])
