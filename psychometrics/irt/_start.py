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
from scipy.special import ndtri

_D2 = 1.702**2


def _normal_pdf(z: np.ndarray) -> np.ndarray:
    return np.exp(-0.5 * z**2) / np.sqrt(2.0 * np.pi)


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
    sum_x = vals.sum(axis=0)
    sum_x2 = np.einsum("ij,ij->j", vals, vals)
    if pres.all():
        # every item presented: the rest proportion is (total - x) / rest_possible with one
        # rest_possible per item, so its moments are sums of total and x (no persons x items temp)
        n = np.full(vals.shape[1], float(vals.shape[0]))
        rest_possible = max_score.sum() - max_score
        scale = np.divide(
            1.0, rest_possible, out=np.zeros_like(rest_possible), where=rest_possible > 0
        )
        x_total = vals.T @ total
        mx = sum_x / n
        my = (total.sum() - sum_x) * scale / n
        sxy = (x_total - sum_x2) * scale / n - mx * my
        syy = (total @ total - 2 * x_total + sum_x2) * scale**2 / n - my**2
    else:
        presf = pres.astype(float)
        possible = presf @ max_score
        rest_possible = possible[:, None] - presf * max_score[None, :]
        rest = np.divide(
            total[:, None] - vals, rest_possible, out=np.zeros_like(vals), where=rest_possible > 0
        )
        # presented-weighted Pearson correlation of item score and rest proportion
        n = np.maximum(presf.sum(axis=0), 1.0)
        mx = sum_x / n
        my = (rest * presf).sum(axis=0) / n
        sxy = (vals * rest).sum(axis=0) / n - mx * my
        syy = (rest**2 * presf).sum(axis=0) / n - my**2
    sxx = sum_x2 / n - mx**2
    ok = (sxx > 0) & (syy > 0)
    rpb = np.where(ok, sxy / np.sqrt(np.where(ok, sxx * syy, 1.0)), 0.3)
    k_max = int(np.max(n_categories))
    cum_all = np.stack([(scores >= k).sum(axis=0) / n for k in range(1, k_max)], axis=1)
    cum_all = np.clip(cum_all, 0.005, 0.995)
    cum = [cum_all[j, : int(n_categories[j]) - 1] for j in range(scores.shape[1])]
    p = cum_all[:, 0]
    factor = np.where(n_categories == 2, np.sqrt(p * (1 - p)) / _normal_pdf(ndtri(p)), 1.15)
    r = np.clip(rpb * factor, 0.1, 0.9)
    return r, cum


def slope_from_r(r: np.ndarray) -> np.ndarray:
    return np.clip(1.702 * r / np.sqrt(1.0 - r**2), 0.25, 4.0)


def intercepts(cum: np.ndarray, a: float) -> np.ndarray:
    """Slope-intercept thresholds ``d_k`` reproducing the cumulative proportions (decreasing)."""
    d = ndtri(cum) * np.sqrt(_D2 + a**2)
    for k in range(1, d.size):  # keep strictly decreasing
        d[k] = min(d[k], d[k - 1] - 0.05)
    return d


def gpcm_steps(scores_j: np.ndarray, n_cat: int, a: float) -> np.ndarray:
    """Step intercepts of a (G)PCM item from adjacent-category log odds."""
    x = scores_j[scores_j >= 0]
    counts = np.array([(x == k).sum() for k in range(n_cat)], dtype=float) + 0.5
    return np.log(counts[1:] / counts[:-1]) * np.sqrt(1.0 + a**2 / _D2)


def nominal_starts(
    scores: np.ndarray, n_categories: np.ndarray, models, items: np.ndarray
) -> np.ndarray:
    """Starting values ``(a, d_1..d_{K-1}, ak_1..ak_{K-2})`` of nominal items (one block).

    A proficiency proxy per person is the mean over the other presented items of ``1`` for the
    highest category of a nominal item (the keyed option when coded last) and of
    ``score / (K - 1)`` for any other item. The scoring function of category ``k`` starts at
    ``(K - 1) (m_k - m_0) / (m_{K-1} - m_0)``, with ``m_k`` the mean proxy of the persons who
    chose ``k``; ``a`` at the normal-ogive slope of the item-proxy correlation of the highest
    category, divided by ``K - 1``; ``d_k`` at the log odds of category ``k`` against 0.
    """
    k_all = np.asarray(n_categories)
    nominal = np.asarray(models) == "nominal"
    pres = scores >= 0
    top = (k_all - 1).astype(float)
    val = np.where(pres, scores, 0).astype(float)
    val = np.where(nominal[None, :], (val == top[None, :]).astype(float), val / top[None, :])
    total, count = (val * pres).sum(axis=1), pres.sum(axis=1)
    k = int(k_all[items[0]])
    out = np.zeros((items.size, 2 * k - 2))
    for i, j in enumerate(items):  # loop over the block's items; persons are vectorized
        own = pres[:, j]
        n_rest = count[own] - 1
        rest = np.where(n_rest > 0, (total[own] - val[own, j]) / np.maximum(n_rest, 1), 0.5)
        x = scores[own, j]
        freq = np.array([(x == c).sum() for c in range(k)], dtype=float) + 0.5
        means = np.array([rest[x == c].mean() if np.any(x == c) else rest.mean() for c in range(k)])
        hit = (x == k - 1).astype(float)
        sd = float(np.std(rest) * np.std(hit))
        r = float(np.mean((rest - rest.mean()) * (hit - hit.mean())) / sd) if sd > 0 else 0.3
        p = float(np.clip(hit.mean(), 0.005, 0.995))
        r = float(np.clip(r * np.sqrt(p * (1 - p)) / _normal_pdf(ndtri(p)), 0.1, 0.9))
        a = float(slope_from_r(np.array([r]))[0]) / (k - 1)
        spread = means[k - 1] - means[0]
        ak = np.arange(k, dtype=float)
        if spread > 1e-3:
            ak = np.clip((k - 1) * (means - means[0]) / spread, -(k - 1.0), 2.0 * (k - 1))
        out[i, 0] = a
        out[i, 1:k] = np.log(freq[1:] / freq[0])
        out[i, k:] = ak[1 : k - 1]
    return out
