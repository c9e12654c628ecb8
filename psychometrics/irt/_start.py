"""Starting values for the EM engine from classical item statistics (internal).

Slopes come from the item-rest correlation turned into a biserial correlation and then into a
normal-ogive slope (``a = 1.702 r / sqrt(1 - r^2)``); intercepts from the proportions in or above
each category, corrected for the marginalisation over a N(0, 1) ability:
``E[logistic(a theta + d)] ~ Phi(d / sqrt(1.702^2 + a^2))``.

References
----------
Lord, F. M., & Novick, M. R. (1968). *Statistical Theories of Mental Test Scores*, ch. 16.
    Addison-Wesley (slope and threshold from biserial correlation and p-value).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import norm

_D2 = 1.702**2


def classical_starts(scores: np.ndarray, n_categories: np.ndarray):
    """Per item: item-rest biserial-type correlation and cumulative proportions ``P(X >= k)``.

    Returns
    -------
    r : ndarray, shape ``(J,)``
    cum : list of arrays, ``cum[j][k-1] = P(X_j >= k)``, k = 1..K_j-1
    """
    pres = scores >= 0
    vals = np.where(pres, scores, 0).astype(float)
    max_score = (n_categories - 1).astype(float)
    total = vals.sum(axis=1)
    possible = (pres * max_score).sum(axis=1)
    n_items = scores.shape[1]
    r = np.zeros(n_items)
    cum = []
    for j in range(n_items):  # loop over items (a few hundred at most), vectorized over persons
        mask = pres[:, j]
        x = vals[mask, j]
        rest_possible = possible[mask] - max_score[j]
        rest = np.divide(
            total[mask] - x, rest_possible, out=np.zeros(x.size), where=rest_possible > 0
        )
        k = np.arange(1, int(n_categories[j]))
        cum_j = np.array([(x >= kk).mean() for kk in k]) if x.size else np.full(k.size, 0.5)
        cum.append(np.clip(cum_j, 0.005, 0.995))
        if x.size > 2 and x.std() > 0 and rest.std() > 0:
            rpb = float(np.corrcoef(x, rest)[0, 1])
        else:
            rpb = 0.3
        if n_categories[j] == 2:
            p = cum[-1][0]
            factor = np.sqrt(p * (1 - p)) / norm.pdf(norm.ppf(p))
        else:
            factor = 1.15
        r[j] = np.clip(rpb * factor, 0.1, 0.9)
    return r, cum


def slope_from_r(r: np.ndarray) -> np.ndarray:
    return np.clip(1.702 * r / np.sqrt(1.0 - r**2), 0.25, 4.0)


def intercepts(cum: np.ndarray, a: float) -> np.ndarray:
    """Slope-intercept thresholds ``d_k`` reproducing the cumulative proportions (decreasing)."""
    d = norm.ppf(cum) * np.sqrt(_D2 + a**2)
    for k in range(1, d.size):  # keep strictly decreasing
        d[k] = min(d[k], d[k - 1] - 0.05)
    return d


def gpcm_steps(scores_j: np.ndarray, n_cat: int, a: float) -> np.ndarray:
    """Step intercepts of a (G)PCM item from adjacent-category log odds."""
    x = scores_j[scores_j >= 0]
    counts = np.array([(x == k).sum() for k in range(n_cat)], dtype=float) + 0.5
    return np.log(counts[1:] / counts[:-1]) * np.sqrt(1.0 + a**2 / _D2)
