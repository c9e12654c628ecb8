"""Agreement among panelists: intraclass correlations and raters far from the panel.

References
----------
Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: Uses in assessing rater
    reliability. *Psychological Bulletin*, 86(2), 420-428.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from psychometrics.standard_setting._common import ToDict


@dataclass(frozen=True)
class ICCResult(ToDict):
    """Intraclass correlations of a items-by-raters rating matrix (Shrout & Fleiss, 1979).

    Items are the targets and raters the judges; two-way random effects, absolute agreement.

    Attributes
    ----------
    icc_single
        ICC(2,1): reliability of one rater's item ratings.
    icc_average
        ICC(2,k): reliability of the mean of the k raters' ratings.
    n_items, n_raters
        Dimensions of the complete matrix used.
    """

    icc_single: float
    icc_average: float
    n_items: int
    n_raters: int


def icc(matrix: np.ndarray) -> ICCResult:
    """ICC(2,1) and ICC(2,k) of a complete targets-by-judges matrix.

    ``ICC(2,1) = (BMS - EMS) / (BMS + (k - 1) EMS + k (JMS - EMS) / n)`` and
    ``ICC(2,k) = (BMS - EMS) / (BMS + (JMS - EMS) / n)`` with between-target, between-judge and
    residual mean squares of the two-way ANOVA without replication.

    References
    ----------
    Shrout, P. E., & Fleiss, J. L. (1979). *Psychological Bulletin*, 86(2), 420-428, Table 2.
    """
    x = np.asarray(matrix, dtype=float)
    if x.ndim != 2 or np.isnan(x).any():
        raise ValueError("matrix: expected a complete 2-D array (targets x judges)")
    n, k = x.shape
    if n < 2 or k < 2:
        return ICCResult(math.nan, math.nan, n, k)
    grand = x.mean()
    ss_rows = k * np.sum((x.mean(axis=1) - grand) ** 2)
    ss_cols = n * np.sum((x.mean(axis=0) - grand) ** 2)
    ss_err = np.sum((x - grand) ** 2) - ss_rows - ss_cols
    bms = ss_rows / (n - 1)
    jms = ss_cols / (k - 1)
    ems = ss_err / ((n - 1) * (k - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        single = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
        average = (bms - ems) / (bms + (jms - ems) / n)
    return ICCResult(float(single), float(average), n, k)


def flag_outlying_raters(cuts: np.ndarray, *, z: float = 2.5) -> np.ndarray:
    """Leave-one-out z rule: rater r is flagged when ``|cut_r - mean(others)| > z * SD(others)``.

    Needs at least 4 raters (3 others to estimate an SD); fewer raters are never flagged. When the
    other raters agree exactly (SD 0), any rater who differs from them is flagged.
    """
    cuts = np.asarray(cuts, dtype=float)
    n = cuts.size
    flags = np.zeros(n, dtype=bool)
    if n < 4:
        return flags
    for r in range(n):  # loop over raters (a handful), not examinees
        others = np.delete(cuts, r)
        sd = others.std(ddof=1)
        dev = abs(cuts[r] - others.mean())
        flags[r] = dev > z * sd if sd > 0 else dev > 1e-12
    return flags


OUTLIER_SHARE = 0.10
"""Default absolute limit: 10 % of the form's maximum raw score."""
OUTLIER_MIN_POINTS = 2.0
"""Default smallest distance (raw points) at which the relative rule may flag a rater."""


def panel_outliers(
    cuts: np.ndarray,
    *,
    max_score: float,
    points: float | None = None,
    z: float = 2.5,
    min_points: float = OUTLIER_MIN_POINTS,
) -> tuple[np.ndarray, np.ndarray, str]:
    """Raters far from the panel in one round, by an absolute and a relative limit.

    Rater r's distance is ``cut_r - mean(cuts of the other raters)`` in raw-score points. The
    rater is flagged when the distance exceeds the absolute limit ``points`` (default 10 % of the
    form's maximum raw score), or when it exceeds ``z`` SDs of the other raters' cuts *and* at
    least ``min_points`` raw points. The second condition keeps a very agreeing panel (a tiny SD
    in a final round) from flagging a rater who is a fraction of a point away, which a
    facilitator would not call far. The relative part needs at least 3 other raters.

    Parameters
    ----------
    cuts
        The raters' raw cuts in one round.
    max_score
        The rated form's maximum raw score.
    points
        Absolute limit in raw points (default ``0.10 * max_score``).
    z
        Relative limit in SDs of the other raters' cuts.
    min_points
        Smallest distance the relative limit may flag.

    Returns
    -------
    deviations, flags, rule
        Each rater's signed distance from the others' mean, the flags, and the rule in words.

    References
    ----------
    Cizek, G. J., & Bunch, M. B. (2007). *Standard Setting*, ch. 6 (monitoring panelists between
        rounds). Sage. Hambleton, R. K., & Pitoniak, M. J. (2006). Setting performance standards.
        In R. L. Brennan (Ed.), *Educational Measurement* (4th ed.), pp. 433-470.
    """
    cuts = np.asarray(cuts, dtype=float).reshape(-1)
    if not (math.isfinite(max_score) and max_score > 0):
        raise ValueError(f"max_score: must be a positive number, got {max_score}")
    if not (math.isfinite(z) and z > 0):
        raise ValueError(f"z: must be a positive number, got {z}")
    limit = OUTLIER_SHARE * max_score if points is None else float(points)
    if not (math.isfinite(limit) and limit > 0):
        raise ValueError(f"points: must be a positive number, got {points}")
    n = cuts.size
    dev = np.zeros(n)
    flags = np.zeros(n, dtype=bool)
    if n >= 2:
        total = cuts.sum()
        others_mean = (total - cuts) / (n - 1)
        dev = cuts - others_mean
        flags = np.abs(dev) > limit
        if n >= 4:
            # leave-one-out SDs from sums of squares (no loop over raters)
            sq = (cuts**2).sum()
            var = ((sq - cuts**2) - (n - 1) * others_mean**2) / (n - 2)
            sd = np.sqrt(np.maximum(var, 0.0))
            flags |= (np.abs(dev) > z * sd) & (np.abs(dev) >= min_points)
    share = (
        ""
        if points is not None
        else f" ({100 * OUTLIER_SHARE:.0f}% of the {max_score:g}-point maximum)"
    )
    rule = (
        f"far from the panel: more than {limit:.1f} raw points{share} from the mean of the "
        f"other raters, or more than {z:g} SD of the other raters' cuts and at least "
        f"{min_points:g} points away; applied in every round"
    )
    return dev, flags, rule
