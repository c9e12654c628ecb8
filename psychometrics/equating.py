"""IRT true-score equating between two forms whose items are on one scale.

For a raw score ``x`` on form X strictly between the sum of the lower asymptotes
``C_X = sum_j c_j`` and the maximum, the true-score equivalent on form Y is ``TCC_Y(theta_x)``
with ``theta_x`` the root of ``TCC_X(theta) = x`` (Newton's method on the TCC, safeguarded by
bisection; the TCC is strictly increasing). Scores at or below ``C_X`` have no theta; they follow
Kolen & Brennan's convention of linear interpolation between ``(0, 0)`` and ``(C_X, C_Y)``
(for forms without guessing, ``C_X = 0`` and only ``x = 0`` is affected, mapping to 0). The
maximum maps to the maximum of form Y.

References
----------
Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*,
    ch. 13. Erlbaum.
Kolen, M. J., & Brennan, R. L. (2014). *Test Equating, Scaling, and Linking* (3rd ed.),
    section 6.4 (IRT true-score equating; scores below the sum of the c-parameters). Springer.
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
