"""Classical start values: the item-rest correlation equals numpy's Pearson correlation."""

import numpy as np
from scipy.stats import norm

from psychometrics.irt._start import classical_starts


def _data(seed=0, n=2000):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    x = np.zeros((n, 12), dtype=np.int8)
    for j in range(12):
        k = 2 if j < 6 else 4
        eta = 1.1 * theta + rng.normal(scale=0.9, size=n)
        x[:, j] = np.clip(np.floor(eta + k / 2), 0, k - 1)
    return x, np.array([2] * 6 + [4] * 6)


def _expected_r(x, n_cat):
    max_score = n_cat - 1
    total = x.sum(axis=1)
    r = []
    for j in range(x.shape[1]):
        rest = (total - x[:, j]) / (max_score.sum() - max_score[j])
        rpb = np.corrcoef(x[:, j], rest)[0, 1]
        if n_cat[j] == 2:
            p = np.clip(x[:, j].mean(), 0.005, 0.995)
            rpb *= np.sqrt(p * (1 - p)) / norm.pdf(norm.ppf(p))
        else:
            rpb *= 1.15
        r.append(np.clip(rpb, 0.1, 0.9))
    return np.array(r)


def test_item_rest_correlation_without_missing_cells():
    x, n_cat = _data()
    r, cum = classical_starts(x, n_cat)
    np.testing.assert_allclose(r, _expected_r(x, n_cat), rtol=1e-10)
    np.testing.assert_allclose(cum[7], [(x[:, 7] >= k).mean() for k in (1, 2, 3)], rtol=1e-12)


def test_a_missing_cell_takes_the_general_path_with_the_same_result_elsewhere():
    x, n_cat = _data(seed=1)
    r_full, _ = classical_starts(x, n_cat)
    y = np.vstack([x, np.full((1, x.shape[1]), -1, dtype=np.int8)])  # a person with no responses
    r_missing, _ = classical_starts(y, n_cat)
    np.testing.assert_allclose(r_missing, r_full, rtol=1e-10)
