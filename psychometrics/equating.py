"""IRT true-score and observed-score equating between two forms whose items are on one scale.

For a raw score ``x`` on form X strictly between the sum of the lower asymptotes
``C_X = sum_j c_j`` and the maximum, the true-score equivalent on form Y is ``TCC_Y(theta_x)``
with ``theta_x`` the root of ``TCC_X(theta) = x`` (Newton's method on the TCC, safeguarded by
bisection; the TCC is strictly increasing). Scores at or below ``C_X`` have no theta; they follow
Kolen & Brennan's convention of linear interpolation between ``(0, 0)`` and ``(C_X, C_Y)``
(for forms without guessing, ``C_X = 0`` and only ``x = 0`` is affected, mapping to 0). The
maximum maps to the maximum of form Y.

IRT observed-score equating (:func:`observed_score_equating`) builds each form's marginal
summed-score distribution in a population of thetas (Lord-Wingersky recursion, summed over
quadrature nodes) and equates the two distributions by equipercentile equating with the uniform
continuization of Kolen & Brennan (2014, ch. 2).

References
----------
Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*,
    ch. 13. Erlbaum.
Kolen, M. J., & Brennan, R. L. (2014). *Test Equating, Scaling, and Linking* (3rd ed.),
    section 6.4 (IRT true-score equating; scores below the sum of the c-parameters), section 6.5
    (IRT observed-score equating) and section 2.5 (equipercentile equating, percentile ranks).
    Springer.
Lord, F. M., & Wingersky, M. S. (1984). Comparison of IRT true-score and equipercentile
    observed-score "equatings". *Applied Psychological Measurement*, 8(4), 453-461.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from typing import Any

import numpy as np

from psychometrics.irt.models import (
    METRIC,
    ItemParameters,
    category_probabilities,
    category_probability_derivatives,
    summed_score_likelihood,
    test_characteristic_curve,
)


@dataclass(frozen=True)
class EquatingResult:
    """Raw score on form X -> true-score equivalent on form Y.

    Attributes
    ----------
    raw_x
        The form X raw scores converted.
    theta
        The theta whose form X true score is ``raw_x`` (NaN at or below ``c_sum_x`` and at the
        maximum).
    equivalent_y
        The form Y equivalents.
    c_sum_x, c_sum_y
        Sums of the lower asymptotes of the two forms.
    max_x, max_y
        Maximum raw scores.
    region
        Per score: ``"interpolated"`` (at or below ``c_sum_x``), ``"tcc"`` or ``"maximum"``.
    converged
        False if Newton/bisection did not reach the tolerance for some score.
    metric
        The theta metric.
    """

    raw_x: np.ndarray
    theta: np.ndarray
    equivalent_y: np.ndarray
    c_sum_x: float
    c_sum_y: float
    max_x: int
    max_y: int
    region: tuple[str, ...]
    converged: bool = True
    metric: str = METRIC

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "method": "IRT true-score equating (Kolen & Brennan 2014, sec. 6.4)",
            "c_sum_x": self.c_sum_x,
            "c_sum_y": self.c_sum_y,
            "max_x": self.max_x,
            "max_y": self.max_y,
            "converged": self.converged,
            "rows": [
                {"raw_x": float(x), "theta": float(t), "equivalent_y": float(y), "region": r}
                for x, t, y, r in zip(
                    self.raw_x, self.theta, self.equivalent_y, self.region, strict=True
                )
            ],
        }


def _tcc_slope(params: ItemParameters, theta: np.ndarray) -> np.ndarray:
    probs = category_probabilities(params, theta)
    deriv = category_probability_derivatives(params, theta, probs=probs)
    k = np.arange(probs.shape[2], dtype=float)
    return (deriv @ k).sum(axis=1)


def theta_for_true_score(
    params: ItemParameters,
    score,
    *,
    tol: float = 1e-10,
    max_iter: int = 100,
    bounds: tuple[float, float] = (-40.0, 40.0),
) -> tuple[np.ndarray, bool]:
    """Solve ``TCC(theta) = score`` for scores strictly between the asymptotes (vectorised).

    Newton steps that leave the current bracket are replaced by bisection.

    Returns
    -------
    theta, converged
    """
    score = np.atleast_1d(np.asarray(score, dtype=float))
    lo = np.full(score.shape, float(bounds[0]))
    hi = np.full(score.shape, float(bounds[1]))
    theta = np.zeros(score.shape)
    done = np.zeros(score.shape, dtype=bool)
    for _ in range(max_iter):
        f = test_characteristic_curve(params, theta) - score
        done = np.abs(f) < tol
        if np.all(done):
            break
        lo = np.where(f < 0, theta, lo)
        hi = np.where(f > 0, theta, hi)
        slope = _tcc_slope(params, theta)
        with np.errstate(divide="ignore", invalid="ignore"):
            step = theta - f / slope
        bad = ~np.isfinite(step) | (step <= lo) | (step >= hi)
        theta = np.where(done, theta, np.where(bad, 0.5 * (lo + hi), step))
    return theta, bool(np.all(done))


def true_score_equating(
    form_x: ItemParameters,
    form_y: ItemParameters,
    *,
    raw_x=None,
    tol: float = 1e-10,
) -> EquatingResult:
    """Equate form X raw scores to form Y by IRT true-score equating.

    Parameters
    ----------
    form_x, form_y
        Item parameters of the two forms, on the same theta scale (link first if needed).
    raw_x
        Scores to convert (default: every integer 0..max of form X).
    tol
        Tolerance on ``TCC_X(theta) - x``.

    References
    ----------
    Lord (1980), ch. 13; Kolen & Brennan (2014), sec. 6.4.
    """
    for name, value in (("form_x", form_x), ("form_y", form_y)):
        if not isinstance(value, ItemParameters):
            raise TypeError(f"{name} must be ItemParameters, got {type(value).__name__}")
    max_x = int(np.sum(form_x.n_categories - 1))
    max_y = int(np.sum(form_y.n_categories - 1))
    c_x, c_y = float(np.sum(form_x.c)), float(np.sum(form_y.c))
    raw = np.arange(max_x + 1, dtype=float) if raw_x is None else np.atleast_1d(raw_x)
    raw = np.asarray(raw, dtype=float)
    if np.any(~np.isfinite(raw)) or np.any(raw < 0) or np.any(raw > max_x):
        raise ValueError(f"raw_x must lie in [0, {max_x}]")
    theta = np.full(raw.shape, np.nan)
    out = np.empty(raw.shape)
    region = np.empty(raw.shape, dtype=object)
    low = raw <= c_x
    top = raw >= max_x
    mid = ~low & ~top
    out[low] = raw[low] * (c_y / c_x) if c_x > 0 else 0.0
    region[low] = "interpolated"
    out[top] = max_y
    region[top] = "maximum"
    converged = True
    if np.any(mid):
        t, converged = theta_for_true_score(form_x, raw[mid], tol=tol)
        theta[mid] = t
        out[mid] = test_characteristic_curve(form_y, t)
        region[mid] = "tcc"
        if not converged:
            warnings.warn(
                "true-score equating: the TCC root was not found to the tolerance for some scores",
                RuntimeWarning,
                stacklevel=2,
            )
    return EquatingResult(
        raw_x=raw,
        theta=theta,
        equivalent_y=out,
        c_sum_x=c_x,
        c_sum_y=c_y,
        max_x=max_x,
        max_y=max_y,
        region=tuple(str(r) for r in region),
        converged=converged,
    )


@dataclass(frozen=True)
class ObservedScoreEquatingResult:
    """Raw score on form X -> observed-score equivalent on form Y.

    Attributes
    ----------
    raw_x
        Every raw score of form X, 0..``max_x``.
    equivalent_y
        The form Y equipercentile equivalents (continuous, in [-0.5, ``max_y`` + 0.5]).
    percentile_rank_x
        Percentile rank of each form X score in the population (0..100).
    distribution_x, distribution_y
        The marginal summed-score distributions of the two forms in the population.
    max_x, max_y
        Maximum raw scores.
    population
        The theta population in words, e.g. ``"N(0, 1), 61 nodes on [-6, 6]"``.
    metric
        The theta metric.
    """

    raw_x: np.ndarray
    equivalent_y: np.ndarray
    percentile_rank_x: np.ndarray
    distribution_x: np.ndarray
    distribution_y: np.ndarray
    max_x: int
    max_y: int
    population: str
    metric: str = METRIC

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "method": "IRT observed-score equating (Kolen & Brennan 2014, sec. 6.5)",
            "population": self.population,
            "max_x": self.max_x,
            "max_y": self.max_y,
            "rows": [
                {"raw_x": float(x), "percentile_rank": float(p), "equivalent_y": float(y)}
                for x, p, y in zip(
                    self.raw_x, self.percentile_rank_x, self.equivalent_y, strict=True
                )
            ],
        }


def marginal_score_distribution(params: ItemParameters, theta, weights) -> np.ndarray:
    """Summed-score distribution of a form in a population: ``sum_q w_q P(S = s | theta_q)``.

    Parameters
    ----------
    params
        The form's item parameters.
    theta, weights
        Quadrature nodes and their weights (normalised here to sum to 1).

    Returns
    -------
    ndarray, shape ``(max_score + 1,)``

    References
    ----------
    Lord & Wingersky (1984); Kolen & Brennan (2014), sec. 6.5.
    """
    w = np.asarray(weights, dtype=float).reshape(-1)
    t = np.asarray(theta, dtype=float).reshape(-1)
    if t.shape != w.shape or w.size == 0:
        raise ValueError("weights: must have one weight per theta node")
    if np.any(~np.isfinite(w)) or np.any(w < 0) or w.sum() <= 0:
        raise ValueError("weights: must be non-negative with a positive sum")
    dist = w @ summed_score_likelihood(params, t) / w.sum()
    return dist / dist.sum()


def percentile_ranks(distribution) -> np.ndarray:
    """Percentile rank of every integer score under the uniform continuization (K&B eq. 2.14)."""
    f = np.asarray(distribution, dtype=float)
    cum = np.cumsum(f)
    below = np.concatenate(([0.0], cum[:-1]))
    return 100.0 * (below + 0.5 * f)


def equipercentile(distribution_x, distribution_y) -> np.ndarray:
    """Equipercentile equivalents on Y of every integer score of X (K&B eqs. 2.14-2.18).

    Both distributions are continuized by spreading each score's probability uniformly over
    ``[x - 0.5, x + 0.5]``; the equivalent of ``x`` is the Y score with the same percentile rank.
    Scores of Y with zero probability are skipped by the inverse, as in K&B's eq. 2.17.
    """
    fx = np.asarray(distribution_x, dtype=float)
    fy = np.asarray(distribution_y, dtype=float)
    p = percentile_ranks(fx) / 100.0
    gy = np.cumsum(fy)
    gy_below = np.concatenate(([0.0], gy[:-1]))
    # smallest y with G(y) > p (the upper score of K&B eq. 2.17)
    upper = np.searchsorted(gy, p, side="right")
    upper = np.clip(upper, 0, fy.size - 1)
    with np.errstate(divide="ignore", invalid="ignore"):
        frac = (p - gy_below[upper]) / fy[upper]
    frac = np.where(np.isfinite(frac), np.clip(frac, 0.0, 1.0), 0.5)
    return upper - 0.5 + frac


def observed_score_equating(
    form_x: ItemParameters,
    form_y: ItemParameters,
    *,
    theta=None,
    weights=None,
) -> ObservedScoreEquatingResult:
    """Equate form X raw scores to form Y by IRT observed-score equating.

    Parameters
    ----------
    form_x, form_y
        Item parameters of the two forms, on the same theta scale (link first if needed).
    theta, weights
        The population's theta distribution as quadrature nodes and weights (default: N(0, 1)
        on 61 equally spaced nodes on [-6, 6]). For a synthetic population, pass the weighted
        combination of the two groups' distributions.

    Returns
    -------
    ObservedScoreEquatingResult

    References
    ----------
    Lord & Wingersky (1984); Kolen & Brennan (2014), secs. 2.5 and 6.5.
    """
    for name, value in (("form_x", form_x), ("form_y", form_y)):
        if not isinstance(value, ItemParameters):
            raise TypeError(f"{name} must be ItemParameters, got {type(value).__name__}")
    if (theta is None) != (weights is None):
        raise ValueError("theta and weights: give both or neither")
    if theta is None:
        theta = np.linspace(-6.0, 6.0, 61)
        weights = np.exp(-0.5 * theta**2)
        population = "N(0, 1), 61 nodes on [-6, 6]"
    else:
        t = np.asarray(theta, dtype=float).reshape(-1)
        population = f"{t.size} theta nodes given by the caller"
    fx = marginal_score_distribution(form_x, theta, weights)
    fy = marginal_score_distribution(form_y, theta, weights)
    return ObservedScoreEquatingResult(
        raw_x=np.arange(fx.size, dtype=float),
        equivalent_y=equipercentile(fx, fy),
        percentile_rank_x=percentile_ranks(fx),
        distribution_x=fx,
        distribution_y=fy,
        max_x=fx.size - 1,
        max_y=fy.size - 1,
        population=population,
    )
