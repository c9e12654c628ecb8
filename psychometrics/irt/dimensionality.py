"""Dimensionality evidence: tetrachoric/polychoric correlations and their eigenvalues.

The inter-item correlation matrix is estimated pairwise (pairwise-complete persons) by the usual
two-step method: thresholds from each item's marginal proportions, then the correlation of the
underlying bivariate normal that maximises the likelihood of the pair's contingency table
(Olsson, 1979). For two dichotomous items this is the tetrachoric correlation. The bivariate
normal CDF is computed from Sheppard's integral
``Phi2(h, k; r) = Phi(h) Phi(k) + 1/(2 pi) int_0^asin(r) exp(-(h^2 + k^2 - 2 h k sin t) /
(2 cos^2 t)) dt`` with 40-point Gauss-Legendre quadrature; correlations are searched on
[-0.995, 0.995] by golden section, all pairs at once.

Evidence reported: the eigenvalues (largest first), the first-to-second eigenvalue ratio, the
share of the first, the number of negative eigenvalues (a polychoric matrix need not be positive
definite; it is not smoothed), and optionally Horn's parallel analysis against column-permuted
data (same marginals, no association) with a seed.

References
----------
Olsson, U. (1979). Maximum likelihood estimation of the polychoric correlation coefficient.
    *Psychometrika*, 44(4), 443-460.
Sheppard, W. F. (1900). On the calculation of the double integral expressing normal correlation.
    *Transactions of the Cambridge Philosophical Society*, 19, 23-66.
Horn, J. L. (1965). A rationale and test for the number of factors in factor analysis.
    *Psychometrika*, 30(2), 179-185.
Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*, ch. 2
    (the first-to-second eigenvalue ratio as evidence of a dominant dimension).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import special

from psychometrics.responses import NOT_PRESENTED, ResponseMatrix

_GL_X, _GL_W = np.polynomial.legendre.leggauss(40)
_BOUND = 8.0
_RHO_MAX = 0.995


def bivariate_normal_cdf(h, k, rho) -> np.ndarray:
    """``P(X <= h, Y <= k)`` for a standard bivariate normal with correlation ``rho``
    (broadcast over the three arguments; |rho| <= 0.995; infinite limits are clipped to +-8)."""
    h = np.clip(np.asarray(h, dtype=float), -_BOUND, _BOUND)
    k = np.clip(np.asarray(k, dtype=float), -_BOUND, _BOUND)
    rho = np.clip(np.asarray(rho, dtype=float), -_RHO_MAX, _RHO_MAX)
    h, k, rho = np.broadcast_arrays(h, k, rho)
    upper = np.arcsin(rho)
    t = 0.5 * upper[..., None] * (_GL_X + 1.0)
    s, c2 = np.sin(t), np.cos(t) ** 2
    hh, kk = h[..., None], k[..., None]
    integrand = np.exp(-(hh**2 + kk**2 - 2.0 * hh * kk * s) / (2.0 * c2))
    integral = 0.5 * upper * (integrand @ _GL_W)
    return special.ndtr(h) * special.ndtr(k) + integral / (2.0 * np.pi)


@dataclass(frozen=True)
class ParallelAnalysis:
    """Horn's parallel analysis.

    Attributes
    ----------
    mean, p95
        Mean and 95th percentile of each eigenvalue over the permuted data sets.
    n_factors
        Leading observed eigenvalues that exceed the 95th percentile.
    n_replications, seed
        Reproducibility.
    """

    mean: np.ndarray
    p95: np.ndarray
    n_factors: int
    n_replications: int
    seed: int | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean": self.mean.tolist(),
            "p95": self.p95.tolist(),
            "n_factors": self.n_factors,
            "n_replications": self.n_replications,
            "seed": self.seed,
        }


@dataclass(frozen=True)
class DimensionalityResult:
    """Eigenvalue evidence of the inter-item correlation matrix.

    Attributes
    ----------
    item_ids
        Row/column labels of ``correlation``.
    kind
        ``"polychoric"`` (tetrachoric for dichotomous pairs) or ``"pearson"``.
    correlation
        The matrix (NaN for pairs without variation in common persons, replaced by 0 for the
        eigenvalues).
    eigenvalues
        Largest first.
    first_to_second
        Ratio of the first to the second eigenvalue.
    first_share
        First eigenvalue divided by the number of items.
    n_negative
        Eigenvalues below -1e-10 (the matrix is not positive semi-definite if > 0).
    parallel
        Parallel analysis, or None.
    """

    item_ids: tuple[str, ...]
    kind: str
    correlation: np.ndarray
    eigenvalues: np.ndarray
    first_to_second: float
    first_share: float
    n_negative: int
    parallel: ParallelAnalysis | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "eigenvalues": self.eigenvalues.tolist(),
            "first_to_second": self.first_to_second,
            "first_share": self.first_share,
            "n_negative": self.n_negative,
            "parallel": None if self.parallel is None else self.parallel.to_dict(),
        }


def _scores(responses):
    if isinstance(responses, ResponseMatrix):
        return responses.scores.astype(np.int64), responses.item_ids
    arr = np.asarray(responses, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"responses must be 2-D (persons x items), got shape {arr.shape}")
    missing = np.isnan(arr) | (arr == NOT_PRESENTED)
    if np.any(~missing & ((arr < 0) | (arr != np.round(arr)))):
        raise ValueError("responses: scores must be non-negative integers, NaN or -1")
    out = np.where(missing, NOT_PRESENTED, arr).astype(np.int64)
    return out, tuple(f"item{j + 1}" for j in range(arr.shape[1]))


def polychoric_matrix(responses: ResponseMatrix | np.ndarray) -> np.ndarray:
    """Pairwise two-step polychoric (tetrachoric) correlation matrix; NaN where undefined."""
    scores, _ = _scores(responses)
    n_items = scores.shape[1]
    if n_items < 2:
        raise ValueError("responses: need at least two items")
    seen = scores != NOT_PRESENTED
    width = int(scores.max(initial=0)) + 1
    width = max(width, 2)
    # thresholds per item from its marginal: tau[j, 0] = -B, tau[j, k] = Phi^-1(P(X < k)), ...
    tau = np.full((n_items, width + 1), _BOUND)
    tau[:, 0] = -_BOUND
    for j in range(n_items):
        col = scores[seen[:, j], j]
        if col.size:
            cum = np.cumsum(np.bincount(col, minlength=width))[:-1] / col.size
            tau[j, 1:width] = special.ndtri(np.clip(cum, 1e-10, 1 - 1e-10))
    iu, ju = np.triu_indices(n_items, k=1)
    tables = np.zeros((iu.size, width, width))
    for p, (i, j) in enumerate(zip(iu, ju, strict=True)):  # loop over pairs, not persons
        both = seen[:, i] & seen[:, j]
        np.add.at(tables[p], (scores[both, i], scores[both, j]), 1.0)
    rows_used = (tables.sum(axis=2) > 0).sum(axis=1)
    cols_used = (tables.sum(axis=1) > 0).sum(axis=1)
    defined = (rows_used >= 2) & (cols_used >= 2)
    rho = _golden_section(tables, tau[iu], tau[ju])
    out = np.eye(n_items)
    out[iu, ju] = out[ju, iu] = np.where(defined, rho, np.nan)
    return out


def _loglik(rho, tables, tau_i, tau_j):
    corners = bivariate_normal_cdf(tau_i[:, :, None], tau_j[:, None, :], rho[:, None, None])
    cells = corners[:, 1:, 1:] - corners[:, :-1, 1:] - corners[:, 1:, :-1] + corners[:, :-1, :-1]
    logp = np.log(np.maximum(cells, 1e-300))
    return np.sum(np.where(tables > 0, tables * logp, 0.0), axis=(1, 2))


def _golden_section(tables, tau_i, tau_j, *, tol=1e-7):
    ratio = (np.sqrt(5.0) - 1.0) / 2.0
    lo = np.full(tables.shape[0], -_RHO_MAX)
    hi = np.full(tables.shape[0], _RHO_MAX)
    x1 = hi - ratio * (hi - lo)
    x2 = lo + ratio * (hi - lo)
    f1 = _loglik(x1, tables, tau_i, tau_j)
    f2 = _loglik(x2, tables, tau_i, tau_j)
    n_iter = int(np.ceil(np.log(tol / (2 * _RHO_MAX)) / np.log(ratio)))
    for _ in range(n_iter):  # golden-section steps, vectorised over item pairs
        left = f1 > f2  # the maximum lies in [lo, x2]
        hi = np.where(left, x2, hi)
        lo = np.where(left, lo, x1)
        new_x1 = np.where(left, hi - ratio * (hi - lo), x2)
        new_x2 = np.where(left, x1, lo + ratio * (hi - lo))
        f_eval = _loglik(np.where(left, new_x1, new_x2), tables, tau_i, tau_j)
        f1, f2 = np.where(left, f_eval, f2), np.where(left, f1, f_eval)
        x1, x2 = new_x1, new_x2
    return 0.5 * (lo + hi)


def pearson_matrix(responses: ResponseMatrix | np.ndarray) -> np.ndarray:
    """Pairwise-complete Pearson correlation matrix of the item scores."""
    scores, _ = _scores(responses)
    x = np.where(scores != NOT_PRESENTED, scores, np.nan).astype(float)
    n_items = x.shape[1]
    out = np.eye(n_items)
    for i in range(n_items):
        for j in range(i + 1, n_items):
            ok = ~np.isnan(x[:, i]) & ~np.isnan(x[:, j])
            a, b = x[ok, i], x[ok, j]
            r = np.nan
            if ok.sum() > 2 and a.std() > 0 and b.std() > 0:
                r = float(np.corrcoef(a, b)[0, 1])
            out[i, j] = out[j, i] = r
    return out


def _eigen(mat):
    return np.sort(np.linalg.eigvalsh(np.nan_to_num(mat, nan=0.0)))[::-1]


def dimensionality(
    responses: ResponseMatrix | np.ndarray,
    *,
    kind: str = "polychoric",
    n_replications: int = 0,
    seed: int | None = None,
) -> DimensionalityResult:
    """Eigenvalues of the inter-item correlation matrix and the first-to-second ratio.

    Parameters
    ----------
    responses
        Item scores (NaN or -1 = not presented).
    kind
        ``"polychoric"`` (default; tetrachoric for dichotomous pairs) or ``"pearson"``.
    n_replications
        Parallel analysis replications (0 = none). Each replication permutes every item's column
        independently (marginals kept, association removed).
    seed
        Seed of the permutations.
    """
    if kind not in ("polychoric", "pearson"):
        raise ValueError(f"kind must be 'polychoric' or 'pearson', got {kind!r}")
    if int(n_replications) < 0:
        raise ValueError("n_replications must be >= 0")
    scores, ids = _scores(responses)
    corr_fn = polychoric_matrix if kind == "polychoric" else pearson_matrix
    corr = corr_fn(scores)
    ev = _eigen(corr)
    parallel = None
    if n_replications:
        rng = np.random.default_rng(seed)
        sims = np.empty((int(n_replications), ev.size))
        for r in range(int(n_replications)):
            perm = np.column_stack([rng.permutation(scores[:, j]) for j in range(scores.shape[1])])
            sims[r] = _eigen(corr_fn(perm))
        p95 = np.quantile(sims, 0.95, axis=0)
        above = ev > p95
        n_factors = int(np.argmin(above)) if not above.all() else int(above.size)
        parallel = ParallelAnalysis(
            mean=sims.mean(axis=0),
            p95=p95,
            n_factors=n_factors,
            n_replications=int(n_replications),
            seed=seed,
        )
    return DimensionalityResult(
        item_ids=tuple(ids),
        kind=kind,
        correlation=corr,
        eigenvalues=ev,
        first_to_second=float(ev[0] / ev[1]) if ev.size > 1 and ev[1] != 0 else np.nan,
        first_share=float(ev[0] / ev.size),
        n_negative=int(np.sum(ev < -1e-10)),
        parallel=parallel,
    )
