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
