"""Examinee-centred methods: contrasting groups, borderline group and borderline regression.

References
----------
Livingston, S. A., & Zieky, M. J. (1982). *Passing Scores: A Manual for Setting Standards of
    Performance on Educational and Occupational Tests*. Educational Testing Service.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from scipy import stats

from psychometrics.standard_setting._common import ToDict, check_scores


@dataclass(frozen=True)
class ContrastingGroupsResult(ToDict):
    """Contrasting-groups cut.

    Attributes
    ----------
    method
        ``"contrasting-groups"``.
    criterion
        ``"logistic"`` (score where the fitted P(master | score) equals ``probability``) or
        ``"youden"`` (the cut maximizing sensitivity + specificity - 1, pass = score >= cut;
        the lowest such cut).
    raw_cut
        The cut by ``criterion``.
    logistic_cut, youden_cut
        Both cuts, for comparison.
    intercept, slope
        The logistic regression of mastery on score.
    probability
        P(master) defining the logistic cut.
    false_positive, false_negative
        Among all examinees, the proportion of non-masters at or above ``raw_cut`` and of masters
        below it.
    n_masters, n_nonmasters
        Group sizes.
    status, message
        ``"ok"`` or ``"separated"`` (the groups do not overlap: the logistic fit does not exist and
        the logistic cut is the midpoint between the groups).
    """

    method: str
    criterion: str
    raw_cut: float
    logistic_cut: float
    youden_cut: float
    intercept: float
    slope: float
    probability: float
    false_positive: float
    false_negative: float
    n_masters: int
    n_nonmasters: int
    status: str
    message: str = ""


def _scores_and(scores, other, *, name: str, dtype: type) -> tuple[np.ndarray, np.ndarray]:
    """Checked scores and a per-examinee array ``other`` (ValueError naming ``name``)."""
    s = check_scores(scores)
    x = np.asarray(other, dtype=dtype).reshape(-1)
    if x.shape != s.shape:
        raise ValueError(f"{name}: must have one entry per score")
    return s, x


def _logistic_fit(x: np.ndarray, y: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10):
    """Newton-Raphson (IRLS) for logit P(y = 1) = b0 + b1 x; returns (b0, b1, converged)."""
    center, spread = x.mean(), x.std() or 1.0
    z = (x - center) / spread
    X = np.column_stack([np.ones_like(z), z])
    beta = np.zeros(2)
    for _ in range(max_iter):
        p = 1.0 / (1.0 + np.exp(-(X @ beta)))
        w = p * (1 - p)
        grad = X.T @ (y - p)
        hess = X.T @ (X * w[:, None])
        try:
            step = np.linalg.solve(hess, grad)
        except np.linalg.LinAlgError:
            return math.nan, math.nan, False
        beta = beta + step
        if np.max(np.abs(step)) < tol:
            return beta[0] - beta[1] * center / spread, beta[1] / spread, True
    return beta[0] - beta[1] * center / spread, beta[1] / spread, False


def contrasting_groups(
    scores,
    masters,
    *,
    criterion: str = "logistic",
    probability: float = 0.5,
) -> ContrastingGroupsResult:
    """Contrasting-groups cut from examinees judged masters or non-masters.

    Parameters
    ----------
    scores
        Observed scores.
    masters
        True for an examinee judged a master (qualified), False for a non-master.
    criterion
        ``"logistic"``: the score where the logistic regression of mastery on score gives
        ``P(master) = probability`` (Livingston & Zieky, 1982, smoothing by logistic regression);
        ``"youden"``: the observed cut maximizing sensitivity + specificity - 1.
    probability
        P(master) at the logistic cut (0.5 by default, equal weight to both errors).

    References
    ----------
    Livingston, S. A., & Zieky, M. J. (1982). *Passing Scores*. ETS. Cizek & Bunch (2007),
    ch. 8. Youden, W. J. (1950). Index for rating diagnostic tests. *Cancer*, 3(1), 32-35.
    """
    s, m = _scores_and(scores, masters, name="masters", dtype=bool)
    if criterion not in ("logistic", "youden"):
        raise ValueError(f"criterion: expected 'logistic' or 'youden', got {criterion!r}")
    if not 0.0 < probability < 1.0:
        raise ValueError("probability: must be in (0, 1)")
    n_m, n_n = int(m.sum()), int((~m).sum())
    if n_m == 0 or n_n == 0:
        raise ValueError("masters: need at least one master and one non-master")
    # Youden: candidate cuts at the distinct scores (pass = score >= cut)
    cand = np.unique(s)
    sens = np.array([(s[m] >= c).mean() for c in cand])
    spec = np.array([(s[~m] < c).mean() for c in cand])
    youden_cut = float(cand[int(np.argmax(sens + spec - 1.0))])
    status, message = "ok", ""
    separated = s[m].min() > s[~m].max()
    if separated:
        b0 = b1 = math.nan
        logistic_cut = float((s[m].min() + s[~m].max()) / 2.0)
        status = "separated"
        message = "masters and non-masters do not overlap; logistic cut = midpoint between groups"
    else:
        b0, b1, ok = _logistic_fit(s, m.astype(float))
        logit = math.log(probability / (1.0 - probability))
        logistic_cut = float((logit - b0) / b1) if ok and b1 > 0 else math.nan
        if not ok or not b1 > 0:
            status = "failed"
            message = "logistic regression did not give an increasing fit; use criterion='youden'"
    cut = logistic_cut if criterion == "logistic" else youden_cut
    fp = float(np.mean(~m & (s >= cut))) if math.isfinite(cut) else math.nan
    fn = float(np.mean(m & (s < cut))) if math.isfinite(cut) else math.nan
    return ContrastingGroupsResult(
        method="contrasting-groups",
        criterion=criterion,
        raw_cut=cut,
        logistic_cut=logistic_cut,
        youden_cut=youden_cut,
        intercept=float(b0),
        slope=float(b1),
        probability=float(probability),
        false_positive=fp,
        false_negative=fn,
        n_masters=n_m,
        n_nonmasters=n_n,
        status=status,
        message=message,
    )


@dataclass(frozen=True)
class BorderlineResult(ToDict):
    """Borderline-group or borderline-regression cut.

    Attributes
    ----------
    method
        ``"borderline-group"`` or ``"borderline-regression"``.
    raw_cut
        Median score of the borderline group, or the regression's predicted score at the
        borderline rating.
    se_raw
        Group: ``sqrt(pi / 2) * SD / sqrt(n)`` (large-sample SE of a median under normality).
        Regression: the OLS standard error of the mean prediction at the borderline rating.
    n
        Examinees in the borderline group (group) or in the regression (regression).
    borderline
        The rating value that means "borderline".
    intercept, slope, r_squared
        The regression of score on rating (NaN for the group method).
    """

    method: str
    raw_cut: float
    se_raw: float
    n: int
    borderline: float
    intercept: float = math.nan
    slope: float = math.nan
    r_squared: float = math.nan


def borderline_group(scores, ratings, *, borderline: float) -> BorderlineResult:
    """Borderline-group cut: the median score of the examinees rated borderline.

    References
    ----------
    Livingston & Zieky (1982). Cizek & Bunch (2007), ch. 8.
    """
    s, r = _scores_and(scores, ratings, name="ratings", dtype=float)
    group = s[np.isclose(r, borderline)]
    if group.size == 0:
        raise ValueError(f"ratings: no examinee is rated borderline ({borderline:g})")
    se = (
        math.sqrt(math.pi / 2) * group.std(ddof=1) / math.sqrt(group.size)
        if group.size > 1
        else math.nan
    )
    return BorderlineResult(
        method="borderline-group",
        raw_cut=float(np.median(group)),
        se_raw=float(se),
        n=int(group.size),
        borderline=float(borderline),
    )


def borderline_regression(scores, ratings, *, borderline: float) -> BorderlineResult:
    """Borderline-regression cut: regress score on the global rating, predict at borderline.

    References
    ----------
    Wood, T. J., Humphrey-Murto, S. M., & Norman, G. R. (2006). Standard setting in a small scale
    OSCE: A comparison of the modified borderline-group method and the borderline regression
    method. *Advances in Health Sciences Education*, 11(2), 115-122.
    """
    s, r = _scores_and(scores, ratings, name="ratings", dtype=float)
    if s.size < 3 or np.unique(r).size < 2:
        raise ValueError("ratings: need at least 3 examinees and 2 distinct ratings")
    fit = stats.linregress(r, s)
    pred = fit.intercept + fit.slope * borderline
    resid = s - (fit.intercept + fit.slope * r)
    sigma2 = float(resid @ resid) / (s.size - 2)
    sxx = float(np.sum((r - r.mean()) ** 2))
    se = math.sqrt(sigma2 * (1.0 / s.size + (borderline - r.mean()) ** 2 / sxx))
    return BorderlineResult(
        method="borderline-regression",
        raw_cut=float(pred),
        se_raw=se,
        n=int(s.size),
        borderline=float(borderline),
        intercept=float(fit.intercept),
        slope=float(fit.slope),
        r_squared=float(fit.rvalue**2),
    )
