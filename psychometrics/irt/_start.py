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
    presf = pres.astype(float)
    vals = np.where(pres, scores, 0).astype(float)
    max_score = (n_categories - 1).astype(float)
    total = vals.sum(axis=1)
    possible = presf @ max_score
    rest_possible = possible[:, None] - presf * max_score[None, :]
    rest = np.divide(
        total[:, None] - vals, rest_possible, out=np.zeros_like(vals), where=rest_possible > 0
    )
    # presented-weighted Pearson correlation of item score and rest proportion, all items at once
    n = np.maximum(presf.sum(axis=0), 1.0)
    mx = vals.sum(axis=0) / n
    my = (rest * presf).sum(axis=0) / n
    sxy = (vals * rest).sum(axis=0) / n - mx * my
    sxx = (vals**2).sum(axis=0) / n - mx**2
    syy = (rest**2 * presf).sum(axis=0) / n - my**2
    ok = (sxx > 0) & (syy > 0)
    rpb = np.where(ok, sxy / np.sqrt(np.where(ok, sxx * syy, 1.0)), 0.3)
    k_max = int(np.max(n_categories))
    cum_all = np.stack([(vals >= k).sum(axis=0) / n for k in range(1, k_max)], axis=1)
    cum_all = np.clip(cum_all, 0.005, 0.995)
    cum = [cum_all[j, : int(n_categories[j]) - 1] for j in range(scores.shape[1])]
    p = cum_all[:, 0]
    factor = np.where(n_categories == 2, np.sqrt(p * (1 - p)) / norm.pdf(norm.ppf(p)), 1.15)
    r = np.clip(rpb * factor, 0.1, 0.9)
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
