"""A cut on every scale: theta from a raw cut (TCC inversion), raw from theta, a reporting scale.

A theta cut carries to every parallel form through that form's test characteristic curve (TCC):
the raw cut of a form is ``TCC(theta_cut)`` rounded by a stated rule (default: up, so that no
summed score below the expected score of the borderline candidate passes). A raw cut on one form
is carried to theta by inverting that form's TCC with Brent's method.

References
----------
Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*, ch. 4.
    Erlbaum.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from psychometrics.irt.models import ItemParameters, test_characteristic_curve
from psychometrics.standard_setting._common import ToDict, check_choice

ROUNDING_RULES = ("ceil", "nearest", "floor", "none")
THETA_BOUNDS = (-6.0, 6.0)


@dataclass(frozen=True)
class ThetaFromRaw(ToDict):
    """Theta at which a form's TCC equals a raw score.

    Attributes
    ----------
    theta
        The theta cut (clipped to ``bounds`` when the raw score is outside the TCC's range there).
    raw
        The raw score that was inverted.
    status
        ``"ok"``; ``"undefined"`` for a NaN raw score; ``"below_floor"`` when the raw score
        is at or below the TCC at the lower bound
        (for 3PL items the TCC never falls below the sum of the c's); ``"above_ceiling"`` when it
        is at or above the TCC at the upper bound (the maximum score is reached only as theta
        goes to infinity).
    message
        Plain-words explanation when the status is not ``"ok"``.
    """

    theta: float
    raw: float
    status: str
    message: str = ""


def theta_for_raw(
    params: ItemParameters,
    raw: float,
    *,
    bounds: tuple[float, float] = THETA_BOUNDS,
    xtol: float = 1e-10,
) -> ThetaFromRaw:
    """Invert a form's test characteristic curve: the theta with ``TCC(theta) = raw``.

    Parameters
    ----------
    params
        The items of the form.
    raw
        The raw (summed-score) cut.
    bounds
        Theta interval searched; a raw score outside ``TCC(bounds)`` is clipped and flagged.
    xtol
        Absolute tolerance of Brent's root finder on theta.

    Returns
    -------
    ThetaFromRaw

    References
    ----------
    Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*,
        ch. 4. Erlbaum.
    """
    raw = float(raw)
    lo, hi = float(bounds[0]), float(bounds[1])
    if not lo < hi:
        raise ValueError("bounds: lower bound must be below upper bound")
    if not math.isfinite(raw):
        return ThetaFromRaw(math.nan, raw, "undefined", "the raw cut is not a finite number")
    t_lo, t_hi = test_characteristic_curve(params, [lo, hi])
    floor = float(np.sum(np.where(params.is_dichotomous, params.c, 0.0)))
    if raw <= t_lo:
        return ThetaFromRaw(
            lo,
            raw,
            "below_floor",
            f"raw cut {raw:.4g} is at or below the TCC at theta = {lo:g} ({t_lo:.4g}; sum of "
            f"lower asymptotes {floor:.4g}); theta cut clipped to {lo:g}",
        )
    if raw >= t_hi:
        return ThetaFromRaw(
            hi,
            raw,
            "above_ceiling",
            f"raw cut {raw:.4g} is at or above the TCC at theta = {hi:g} ({t_hi:.4g}; maximum "
            f"score {int(np.sum(params.max_scores))}); theta cut clipped to {hi:g}",
        )
    root = optimize.brentq(
        lambda t: float(test_characteristic_curve(params, [t])[0]) - raw, lo, hi, xtol=xtol
    )
    return ThetaFromRaw(float(root), raw, "ok")


def round_raw(value: float, rounding: str = "ceil") -> float:
    """Round a raw cut by a named rule (``ceil``, ``nearest`` (half up), ``floor``, ``none``).

    A tolerance of 1e-9 protects exact integers from floating-point noise (24.0000000001 -> 24).
    """
    check_choice(rounding, "rounding", ROUNDING_RULES)
    if rounding == "none":
        return float(value)
    if rounding == "ceil":
        return float(math.ceil(value - 1e-9))
    if rounding == "floor":
        return float(math.floor(value + 1e-9))
    return float(math.floor(value + 0.5 + 1e-9))


def raw_for_theta(params: ItemParameters, theta: float, *, rounding: str = "ceil") -> float:
    """Raw cut of a form for a theta cut: ``TCC(theta)`` rounded by ``rounding``.

    References
    ----------
    Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*,
        ch. 4. Erlbaum.
    """
    return round_raw(float(test_characteristic_curve(params, [float(theta)])[0]), rounding)


@dataclass(frozen=True)
class ReportingScale(ToDict):
    """A linear reporting scale ``scale = intercept + slope * theta``, rounded and clipped.

    Attributes
    ----------
    slope, intercept
        The linear transformation of theta.
    round
        Decimal places kept (half away from zero); ``None`` keeps full precision.
    min, max
        Clipping bounds (``None``: unbounded).
    """

    slope: float = 1.0
    intercept: float = 0.0
    round: int | None = None
    min: float | None = None
    max: float | None = None

    def __post_init__(self) -> None:
        if not (math.isfinite(self.slope) and self.slope > 0):
            raise ValueError(f"slope: must be a positive number, got {self.slope}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError("min: must not exceed max")

    def convert(self, theta):
        """Scale score(s) for theta value(s)."""
        x = self.intercept + self.slope * np.asarray(theta, dtype=float)
        if self.round is not None:
            f = 10.0 ** int(self.round)
            x = np.sign(x) * np.floor(np.abs(x) * f + 0.5) / f
        x = np.clip(
            x,
            -np.inf if self.min is None else self.min,
            np.inf if self.max is None else self.max,
        )
        return float(x) if np.ndim(x) == 0 else x
