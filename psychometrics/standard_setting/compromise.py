"""Compromise methods against the observed score distribution: Hofstee and Beuk.

References
----------
Beuk, C. H. (1984). A method for reaching a compromise between absolute and relative standards in
    examinations. *Journal of Educational Measurement*, 21(2), 147-152.
Hofstee, W. K. B. (1983). The case for compromise in educational selection and grading. In
    S. B. Anderson & J. S. Helmick (Eds.), *On Educational Testing* (pp. 109-127). Jossey-Bass.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from psychometrics.standard_setting._common import ToDict, check_scores
from psychometrics.standard_setting.conversion import round_raw


def _cut_grid(scores: np.ndarray, lo: float, hi: float) -> np.ndarray:
    """Candidate cuts: the integers in [lo, hi] for integer scores, else the distinct scores."""
    if np.all(scores == np.round(scores)):
        grid = np.arange(math.ceil(lo), math.floor(hi) + 1, dtype=float)
    else:
        grid = np.unique(scores[(scores >= lo) & (scores <= hi)])
    return np.unique(np.concatenate([[lo, hi], grid]))


def _fail_rate(scores: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """Proportion of scores strictly below each cut (pass = score >= cut)."""
    s = np.sort(scores)
    return np.searchsorted(s, cuts, side="left") / s.size


def _interp_fail_rate(scores: np.ndarray, x: np.ndarray) -> np.ndarray:
    """Fail rate linearly interpolated between the integer cuts (for integer scores)."""
    x = np.asarray(x, dtype=float)
    if np.all(scores == np.round(scores)):
        lo, hi = np.floor(x), np.ceil(x)
        f_lo, f_hi = _fail_rate(scores, lo), _fail_rate(scores, hi)
        return f_lo + (x - lo) * (f_hi - f_lo)
    return _fail_rate(scores, x)


def _first_crossing(x: np.ndarray, diff: np.ndarray) -> float | None:
    """First x where a piecewise-linear increasing-ish ``diff`` reaches 0 (linear interpolation)."""
    if diff[0] >= 0:
        return float(x[0])
    for i in range(1, x.size):
        if diff[i] >= 0:
            x0, x1, d0, d1 = x[i - 1], x[i], diff[i - 1], diff[i]
            return float(x0 + (x1 - x0) * (-d0) / (d1 - d0))
    return None


@dataclass(frozen=True)
class HofsteeResult(ToDict):
    """Hofstee compromise cut.

    Attributes
    ----------
    method
        ``"hofstee"``.
    raw_cut
        Where the fail-rate curve (interpolated linearly between integer cuts) meets the Hofstee
        line; a bound when they do not meet inside the bounds (see ``status``).
    fail_rate
        The fail rate on the line at ``raw_cut`` (= the interpolated observed fail rate).
    raw_cut_rounded
        ``raw_cut`` rounded by ``rounding``.
    observed_fail_rate
        Proportion of examinees with a score below ``raw_cut_rounded``.
    status
        ``"ok"``; ``"fail_rate_above_line"`` (even the lowest acceptable cut fails more than the
        line allows: cut = min_cut); ``"fail_rate_below_line"`` (even the highest acceptable cut
        fails fewer: cut = max_cut).
    min_cut, max_cut, min_fail, max_fail
        The panel's bounds (cuts in raw-score units, fail rates as proportions).
    n
        Number of scores.
    rounding
        Rounding rule.
    """

    method: str
    raw_cut: float
    fail_rate: float
    raw_cut_rounded: float
    observed_fail_rate: float
    status: str
    min_cut: float
    max_cut: float
    min_fail: float
    max_fail: float
    n: int
    rounding: str


def hofstee(
    scores,
    *,
    min_cut: float,
    max_cut: float,
    min_fail: float,
    max_fail: float,
    rounding: str = "ceil",
) -> HofsteeResult:
    """Hofstee's compromise between an absolute cut and an acceptable fail rate.

    The panel states the lowest and highest acceptable cut and the lowest and highest acceptable
    fail rate. The line from ``(min_cut, max_fail)`` to ``(max_cut, min_fail)`` is intersected
    with the observed fail-rate curve ``F(x) = P(score < x)``; for integer scores ``F`` is
    interpolated linearly between integer cuts, so the crossing is exact on that polygon.

    Parameters
    ----------
    scores
        Observed summed scores.
    min_cut, max_cut
        Acceptable range of the raw cut.
    min_fail, max_fail
        Acceptable range of the fail rate, as proportions in [0, 1].
    rounding
        Rounding rule of ``raw_cut_rounded`` (see :func:`round_raw`).

    References
    ----------
    Hofstee, W. K. B. (1983). Cizek & Bunch (2007), ch. 13.
    """
    s = check_scores(scores)
    if not min_cut < max_cut:
        raise ValueError("min_cut: must be below max_cut")
    if not 0.0 <= min_fail < max_fail <= 1.0:
        raise ValueError("min_fail, max_fail: need 0 <= min_fail < max_fail <= 1 (proportions)")
    grid = _cut_grid(s, min_cut, max_cut)
    line = max_fail - (max_fail - min_fail) * (grid - min_cut) / (max_cut - min_cut)
    diff = _interp_fail_rate(s, grid) - line
    status = "ok"
    cut = _first_crossing(grid, diff)
    if diff[0] > 0:
        status, cut = "fail_rate_above_line", float(min_cut)
    elif cut is None:
        status, cut = "fail_rate_below_line", float(max_cut)
    fail = float(_interp_fail_rate(s, np.array([cut]))[0])
    rounded = round_raw(cut, rounding)
    return HofsteeResult(
        method="hofstee",
        raw_cut=cut,
        fail_rate=fail,
        raw_cut_rounded=rounded,
        observed_fail_rate=float(_fail_rate(s, np.array([rounded]))[0]),
        status=status,
        min_cut=float(min_cut),
        max_cut=float(max_cut),
        min_fail=float(min_fail),
        max_fail=float(max_fail),
        n=int(s.size),
        rounding=rounding,
    )


@dataclass(frozen=True)
class BeukResult(ToDict):
    """Beuk compromise cut.

    Attributes
    ----------
    method
        ``"beuk"``.
    raw_cut
        Where the observed pass-rate curve (interpolated between integer cuts) meets the Beuk line.
    pass_rate, fail_rate
        Pass rate on the line at ``raw_cut`` and its complement.
    raw_cut_rounded, observed_pass_rate
        Rounded cut and the proportion scoring at or above it.
    mean_cut, mean_pass_rate, sd_cut, sd_pass_rate
        Panel summaries: the line passes through ``(mean_cut, mean_pass_rate)`` with slope
        ``sd_pass_rate / sd_cut``.
    status
        ``"ok"`` or ``"no_crossing"`` (then ``raw_cut`` is NaN).
    n, rounding
        Number of scores; rounding rule.
    """

    method: str
    raw_cut: float
    pass_rate: float
    fail_rate: float
    raw_cut_rounded: float
    observed_pass_rate: float
    mean_cut: float
    mean_pass_rate: float
    sd_cut: float
    sd_pass_rate: float
    status: str
    n: int
    rounding: str


def beuk(
    scores,
    *,
    mean_cut: float,
    mean_pass_rate: float,
    sd_cut: float,
    sd_pass_rate: float,
    rounding: str = "ceil",
) -> BeukResult:
    """Beuk's compromise between the panel's cut and its expected pass rate.

    Each panelist states a cut (raw-score units) and the pass rate they expect. The line through
    the panel mean ``(mean_cut, mean_pass_rate)`` with slope ``sd_pass_rate / sd_cut`` is
    intersected with the observed pass-rate curve ``P(x) = P(score >= x)`` (interpolated linearly
    between integer cuts for integer scores). The slope moves the cut and the pass rate by the same
    number of panel SDs.

    Use :func:`beuk_from_judgments` to pass the panelists' judgments directly.

    References
    ----------
    Beuk, C. H. (1984). Cizek & Bunch (2007), ch. 13.
    """
    s = check_scores(scores)
    if not 0.0 <= mean_pass_rate <= 1.0:
        raise ValueError("mean_pass_rate: must be a proportion in [0, 1]")
    if sd_cut < 0 or sd_pass_rate < 0:
        raise ValueError("sd_cut, sd_pass_rate: must be >= 0")
    lo = min(float(s.min()), mean_cut) - 1.0
    hi = max(float(s.max()), mean_cut) + 1.0
    grid = _cut_grid(s, lo, hi)
    observed = 1.0 - _interp_fail_rate(s, grid)
    status = "ok"
    if sd_cut == 0:
        cut = float(mean_cut)
    else:
        line = mean_pass_rate + (sd_pass_rate / sd_cut) * (grid - mean_cut)
        found = _first_crossing(grid, line - observed)
        cut = math.nan if found is None else found
        if found is None:
            status = "no_crossing"
    rate = float(1.0 - _interp_fail_rate(s, np.array([cut]))[0]) if math.isfinite(cut) else math.nan
    rounded = round_raw(cut, rounding) if math.isfinite(cut) else math.nan
    observed_rate = (
        float(1.0 - _fail_rate(s, np.array([rounded]))[0]) if math.isfinite(rounded) else math.nan
    )
    return BeukResult(
        method="beuk",
        raw_cut=cut,
        pass_rate=rate,
        fail_rate=1.0 - rate,
        raw_cut_rounded=rounded,
        observed_pass_rate=observed_rate,
        mean_cut=float(mean_cut),
        mean_pass_rate=float(mean_pass_rate),
        sd_cut=float(sd_cut),
        sd_pass_rate=float(sd_pass_rate),
        status=status,
        n=int(s.size),
        rounding=rounding,
    )


def beuk_from_judgments(scores, cuts, pass_rates, *, rounding: str = "ceil") -> BeukResult:
    """Beuk cut from each panelist's cut (raw units) and expected pass rate (proportion).

    SDs use ddof = 1.
    """
    k = np.asarray(cuts, dtype=float)
    p = np.asarray(pass_rates, dtype=float)
    if k.shape != p.shape or k.size < 2:
        raise ValueError("cuts, pass_rates: need the same number (>= 2) of judgments")
    return beuk(
        scores,
        mean_cut=float(k.mean()),
        mean_pass_rate=float(p.mean()),
        sd_cut=float(k.std(ddof=1)),
        sd_pass_rate=float(p.std(ddof=1)),
        rounding=rounding,
    )
