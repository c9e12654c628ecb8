"""Decision accuracy and consistency of pass/fail (or multi-level) classifications.

=====================  ===========================================================================
method                 model of the observed classification
=====================  ===========================================================================
Rudner (examinees)     each examinee's estimate stands in for the true theta (its category is
                       the true one); the observed estimate ~ N(theta_hat, SE^2) (Rudner 2005)
Rudner (population)    theta_hat ~ N(theta, SE(theta)^2), SE(theta) = 1 / sqrt(test information),
                       averaged over a latent distribution (quadrature)
Lee                    summed score X | theta from the Lord-Wingersky recursion, averaged over a
                       latent distribution; true status from the true score TCC(theta)
Livingston-Lewis       true proportion-correct ~ four-parameter beta (two-parameter fallback),
                       X | true ~ binomial on the effective test length (no IRT needed)
=====================  ===========================================================================

Definitions (every method): with categories ``0..K`` (``K`` cuts; a score at or above a cut is
in the higher category),

* accuracy = P(observed category = true category);
* consistency = P(two independent parallel administrations give the same category)
  = ``E[sum_k P(k | true)^2]``;
* false positive = P(observed category above the true one) (passed but truly below the cut);
* false negative = P(observed category below the true one);
* kappa = (consistency - chance) / (1 - chance), chance = ``sum_k m_k^2`` with ``m_k`` the
  marginal observed proportions.

References
----------
Rudner, L. M. (2001). Computing the expected proportions of misclassified examinees. *Practical
    Assessment, Research & Evaluation*, 7(14).
Rudner, L. M. (2005). Expected classification accuracy. *Practical Assessment, Research &
    Evaluation*, 10(13).
Lee, W.-C. (2010). Classification consistency and accuracy for complex assessments using item
    response theory. *Journal of Educational Measurement*, 47(1), 1-17.
Livingston, S. A., & Lewis, C. (1995). Estimating the consistency and accuracy of
    classifications based on test scores. *Journal of Educational Measurement*, 32(2), 179-197.
Hanson, B. A. (1991). *Method of moments estimates for the four-parameter beta compound binomial
    model and the calculation of classification consistency indexes* (ACT Research Report 91-5).
Lord, F. M. (1965). A strong true-score theory, with applications. *Psychometrika*, 30(3),
    239-270.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import stats

from psychometrics.irt.models import (
    METRIC,
    ItemParameters,
    category_probabilities,
    expected_scores,
    summed_score_likelihood,
    test_characteristic_curve,
    test_information,
)
from psychometrics.standard_setting import raw_for_theta


def _plain(value: Any) -> Any:
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()]
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value


@dataclass(frozen=True)
class DecisionResult:
    """Classification accuracy and consistency.

    Attributes
    ----------
    method
        ``"rudner"``, ``"rudner-population"``, ``"lee"`` or ``"livingston-lewis"``.
    accuracy, consistency
        See the module docstring.
    false_positive, false_negative
        P(observed category above / below the true category).
    kappa
        Cohen's kappa of the two parallel classifications (chance-corrected consistency).
    cuts
        The cuts used, on ``cut_scale``.
    cut_scale
        ``"theta"`` or ``"raw"``.
    pass_rate
        Proportion observed in the top category (at or above the highest cut): with one cut,
        the pass rate.
    true_pass_rate
        Proportion truly in the top category.
    joint
        ``joint[k][l]`` = P(true category k, observed category l).
    n
        Examinees (Rudner, Livingston-Lewis) or quadrature points (population methods).
    metric
        Theta metric (IRT methods) or ``"raw score"``.
    """

    method: str
    accuracy: float
    consistency: float
    false_positive: float
    false_negative: float
    kappa: float
    cuts: tuple[float, ...]
    cut_scale: str
    pass_rate: float
    true_pass_rate: float
    joint: tuple[tuple[float, ...], ...]
    n: int
    metric: str = METRIC

    def to_dict(self) -> dict[str, Any]:
        """The result as plain JSON-ready Python values."""
        return _plain(asdict(self))


def _check_cuts(cuts) -> np.ndarray:
    c = np.sort(np.atleast_1d(np.asarray(cuts, dtype=float)).reshape(-1))
    if c.size == 0 or not np.all(np.isfinite(c)):
        raise ValueError("cuts: need one or more finite cut values")
    if np.any(np.diff(c) <= 0):
        raise ValueError("cuts: must be distinct")
    return c


def _summarize(
    method: str,
    probs: np.ndarray,
    true_cat: np.ndarray,
    weights: np.ndarray,
    cuts: np.ndarray,
    cut_scale: str,
    n: int,
    metric: str,
    *,
    observed_cat: np.ndarray | None = None,
) -> DecisionResult:
    """Indices from per-unit category probabilities.

    ``probs[i, k]`` is P(observed category k) for unit i whose true category is ``true_cat[i]``
    (every method, Rudner's examinee version included). With ``observed_cat`` the roles swap:
    ``probs[i, k]`` is P(true category k) and ``observed_cat`` the observed category; the joint
    table is transposed accordingly (no caller uses this at present).
    """
    w = weights / weights.sum()
    n_cat = probs.shape[1]
    ref = true_cat if observed_cat is None else observed_cat
    onehot = np.eye(n_cat)[ref]  # (n_units, n_cat)
    # joint over (reference category, modelled category)
    joint = (w[:, None, None] * onehot[:, :, None] * probs[:, None, :]).sum(axis=0)
    if observed_cat is not None:
        joint = joint.T  # rows true, columns observed
    accuracy = float(np.trace(joint))
    upper = float(np.triu(joint, 1).sum())  # observed above true
    lower = float(np.tril(joint, -1).sum())
    consistency = float(np.sum(w * np.sum(probs**2, axis=1)))
    marginal = (w[:, None] * probs).sum(axis=0)  # category proportions of one replication
    chance = float(np.sum(marginal**2))
    kappa = (consistency - chance) / (1.0 - chance) if chance < 1.0 else math.nan
    return DecisionResult(
        method=method,
        accuracy=accuracy,
        consistency=consistency,
        false_positive=upper,
        false_negative=lower,
        kappa=float(kappa),
        cuts=tuple(float(c) for c in cuts),
        cut_scale=cut_scale,
        pass_rate=float(joint[:, -1].sum()),
        true_pass_rate=float(joint[-1, :].sum()),
        joint=tuple(tuple(float(x) for x in row) for row in joint),
        n=int(n),
        metric=metric,
    )


def _normal_category_probs(center: np.ndarray, sd: np.ndarray, cuts: np.ndarray) -> np.ndarray:
    """P(category k) for N(center, sd^2); categories split at the cuts (shape (n, K + 1))."""
    edges = np.concatenate([[-np.inf], cuts, [np.inf]])
    cdf = stats.norm.cdf((edges[None, :] - center[:, None]) / sd[:, None])
    return np.diff(cdf, axis=1)


def rudner(theta, se, *, cuts) -> DecisionResult:
    """Rudner's accuracy and consistency from examinees' theta estimates and standard errors.

    As in Rudner (2005) and irtQ's ``cac_rud``, each estimate ``theta_hat_i`` stands in for the
    examinee's true theta: the true category ``t_i`` is that of ``theta_hat_i``, and the observed
    estimate is ``N(theta_hat_i, se_i^2)``. With ``p_ik`` the resulting probability that the
    observed category is k: accuracy = ``mean_i p_{i, t_i}``, consistency =
    ``mean_i sum_k p_ik^2``, false positive (observed above true) = ``mean_i sum_{k > t_i} p_ik``,
    false negative = ``mean_i sum_{k < t_i} p_ik``; ``pass_rate`` is the expected observed pass
    rate ``mean_i P(observed top category)`` and ``true_pass_rate`` the share of estimates in it.

    Parameters
    ----------
    theta
        Theta estimates, shape ``(n,)``.
    se
        Their standard errors (positive), shape ``(n,)``.
    cuts
        One or more theta cuts; a theta at or above a cut is in the higher category.

    References
    ----------
    Rudner, L. M. (2001, 2005).
    """
    t = np.asarray(theta, dtype=float).reshape(-1)
    s = np.asarray(se, dtype=float).reshape(-1)
    if t.shape != s.shape or t.size == 0:
        raise ValueError("theta, se: need the same (non-zero) number of values")
    if not (np.all(np.isfinite(t)) and np.all(np.isfinite(s)) and np.all(s > 0)):
        raise ValueError("theta, se: must be finite, se > 0")
    c = _check_cuts(cuts)
    probs = _normal_category_probs(t, s, c)  # P(observed category k | true theta = theta_hat)
    true_cat = np.searchsorted(c, t, side="right")
    return _summarize("rudner", probs, true_cat, np.ones(t.size), c, "theta", t.size, METRIC)


def quadrature(
    *, mean: float = 0.0, sd: float = 1.0, n_points: int = 81, width: float = 6.0
) -> tuple[np.ndarray, np.ndarray]:
    """Equally spaced nodes over ``mean +- width * sd`` with normalized normal-density weights."""
    if sd <= 0 or n_points < 3:
        raise ValueError("sd must be > 0 and n_points >= 3")
    nodes = np.linspace(mean - width * sd, mean + width * sd, n_points)
    w = stats.norm.pdf(nodes, mean, sd)
    return nodes, w / w.sum()


def split_quadrature(
    *, mean: float = 0.0, sd: float = 1.0, split_at=(), n_points: int = 81, width: float = 6.0
) -> tuple[np.ndarray, np.ndarray]:
    """Gauss-Legendre nodes and normal-density weights on ``mean +- width * sd``, with a
    segment boundary at every ``split_at`` point inside that range.

    Every node lies strictly inside one segment, so a quantity that jumps at a split point (the
    true pass/fail status at a theta cut) is integrated exactly: the weights of a segment sum
    to its normal probability mass to within ~1e-12, not to a sum of whole nodes' weights that
    jumps as the cut moves between fixed nodes.
    """
    if sd <= 0 or n_points < 3:
        raise ValueError("sd must be > 0 and n_points >= 3")
    lo, hi = mean - width * sd, mean + width * sd
    inner = sorted({float(x) for x in np.atleast_1d(split_at) if lo < float(x) < hi})
    edges = [lo, *inner, hi]
    per = max(20, int(math.ceil(n_points / (len(edges) - 1))))
    x, gw = np.polynomial.legendre.leggauss(per)
    nodes, weights = [], []
    for a, b in zip(edges[:-1], edges[1:], strict=True):
        t = 0.5 * (b - a) * x + 0.5 * (a + b)
        nodes.append(t)
        weights.append(0.5 * (b - a) * gw * stats.norm.pdf(t, mean, sd))
    w = np.concatenate(weights)
    return np.concatenate(nodes), w / w.sum()


def _latent(thetas, weights, mean, sd, n_points, split_at=()) -> tuple[np.ndarray, np.ndarray]:
    if thetas is None:
        return split_quadrature(mean=mean, sd=sd, split_at=split_at, n_points=n_points)
    t = np.asarray(thetas, dtype=float).reshape(-1)
    w = np.ones(t.size) if weights is None else np.asarray(weights, dtype=float).reshape(-1)
    if w.shape != t.shape or np.any(w < 0) or w.sum() <= 0 or not np.all(np.isfinite(t)):
        raise ValueError("thetas, weights: same length, finite, weights >= 0 with positive sum")
    return t, w / w.sum()


def rudner_population(
    params: ItemParameters,
    *,
    cuts,
    thetas=None,
    weights=None,
    mean: float = 0.0,
    sd: float = 1.0,
    n_points: int = 81,
) -> DecisionResult:
    """Rudner's indices over a latent distribution, with ``SE(theta) = 1 / sqrt(I(theta))``.

    At each node the estimate is ``N(theta, 1 / I(theta))`` (I = test information); the indices
    are averaged with the latent weights (given ``thetas``/``weights``, e.g. estimates from a
    sample, or ``N(mean, sd^2)`` on ``n_points`` equally spaced nodes).

    References
    ----------
    Rudner, L. M. (2001, 2005).
    """
    c = _check_cuts(cuts)
    t, w = _latent(thetas, weights, mean, sd, n_points, split_at=c)
    se = 1.0 / np.sqrt(test_information(params, t))
    probs = _normal_category_probs(t, se, c)
    true_cat = np.searchsorted(c, t, side="right")
    return _summarize("rudner-population", probs, true_cat, w, c, "theta", t.size, params.metric)


def lee(
    params: ItemParameters,
    *,
    raw_cuts,
    thetas=None,
    weights=None,
    mean: float = 0.0,
    sd: float = 1.0,
    n_points: int = 81,
    true_theta_cuts=None,
) -> DecisionResult:
    """Lee's IRT accuracy and consistency from summed-score distributions.

    At each latent node the distribution of the summed score is computed by the Lord-Wingersky
    recursion; a summed score at or above a raw cut is in the higher observed category. The true
    category at theta is that of the true score ``TCC(theta)`` against the raw cuts (or of theta
    against ``true_theta_cuts`` when given). Indices are averaged over the latent weights.

    Parameters
    ----------
    params
        The form's items (any mixture of models).
    raw_cuts
        Summed-score cuts (pass = score >= cut).
    thetas, weights
        Latent nodes and weights (default: ``N(mean, sd^2)`` on ``n_points`` nodes over +-6 SD).
    true_theta_cuts
        Optional theta cuts defining the true classification (same number as ``raw_cuts``).

    References
    ----------
    Lee, W.-C. (2010). Lord & Wingersky (1984).
    """
    c = _check_cuts(raw_cuts)
    if true_theta_cuts is None:
        split = [_theta_for_true_score(params, cut) for cut in c]
    else:
        split = list(_check_cuts(true_theta_cuts))
    split = [x for x in split if x is not None]
    t, w = _latent(thetas, weights, mean, sd, n_points, split_at=split)
    dist = summed_score_likelihood(params, t)  # (n_nodes, max + 1)
    scores = np.arange(dist.shape[1])
    obs_cat = np.searchsorted(c, scores, side="right")
    probs = np.zeros((t.size, c.size + 1))
    np.add.at(probs.T, obs_cat, dist.T)
    if true_theta_cuts is None:
        true_cat = np.searchsorted(c, test_characteristic_curve(params, t), side="right")
    else:
        tc = _check_cuts(true_theta_cuts)
        if tc.size != c.size:
            raise ValueError("true_theta_cuts: need as many cuts as raw_cuts")
        true_cat = np.searchsorted(tc, t, side="right")
    return _summarize("lee", probs, true_cat, w, c, "raw", t.size, params.metric)


def _theta_for_true_score(params: ItemParameters, score: float) -> float | None:
    """The theta where the TCC equals ``score`` (None when the TCC never reaches it on
    [-20, 20]): where the true classification of Lee's method changes."""
    from scipy.optimize import brentq

    lo, hi = -20.0, 20.0
    f_lo, f_hi = (float(test_characteristic_curve(params, np.array([x]))[0]) for x in (lo, hi))
    if not f_lo < score < f_hi:
        return None
    return float(
        brentq(
            lambda x: float(test_characteristic_curve(params, np.array([x]))[0]) - score,
            lo,
            hi,
            xtol=1e-12,
        )
    )


# --------------------------------------------------------------------------------------------
# Livingston-Lewis
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class LivingstonLewisResult(DecisionResult):
    """Livingston-Lewis indices plus the fitted true-score model.

    Attributes
    ----------
    effective_length
        Effective test length n (rounded, >= 1).
    beta_model
        ``"four-parameter"`` or ``"two-parameter"`` (used when the four-parameter moment fit
        gives no valid beta on [0, 1]).
    alpha, beta, lower, upper
        Parameters of the true proportion-correct beta distribution on ``[lower, upper]``.
    reliability, min_score, max_score
        The inputs.
    """

    effective_length: int = 0
    beta_model: str = ""
    alpha: float = math.nan
    beta: float = math.nan
    lower: float = 0.0
    upper: float = 1.0
    reliability: float = math.nan
    min_score: float = 0.0
    max_score: float = math.nan


def _beta4_moments(m1, var, skew, kurt):
    """Four-parameter beta (alpha, beta, lower, upper) matching mean, variance, skewness and
    (non-excess) kurtosis; None when no valid beta matches (Hanson, 1991)."""
    denom = 6.0 + 3.0 * skew**2 - 2.0 * kurt
    if var <= 0 or denom == 0:
        return None
    nu = 6.0 * (kurt - skew**2 - 1.0) / denom
    if not (math.isfinite(nu) and nu > 0):
        return None
    root = 1.0 / math.sqrt(1.0 + 16.0 * (nu + 1.0) / ((nu + 2.0) ** 2 * skew**2)) if skew else 0.0
    big, small = nu / 2.0 * (1.0 + root), nu / 2.0 * (1.0 - root)
    a, b = (small, big) if skew > 0 else (big, small)
    span = math.sqrt(var) * math.sqrt((2.0 + nu) ** 2 * skew**2 + 16.0 * (1.0 + nu)) / 2.0
    lower = m1 - a / nu * span
    if not (a > 0 and b > 0 and span > 0):
        return None
    return a, b, lower, lower + span


def livingston_lewis(
    scores,
    *,
    reliability: float,
    cuts,
    min_score: float = 0.0,
    max_score: float,
    beta_model: str = "four-parameter",
    n_bins: int = 2000,
) -> LivingstonLewisResult:
    """Livingston & Lewis (1995) accuracy and consistency without IRT.

    1. Effective test length ``n = ((mu - a)(b - mu) - r s^2) / (s^2 (1 - r))`` (rounded), for
       mean ``mu``, variance ``s^2``, reliability ``r`` and score range ``[a, b]``.
    2. Scores are rescaled to ``X' = n (X - a) / (b - a)``; the true proportion ``tau`` has raw
       moments ``E[tau^k] = E[X'(X'-1)...(X'-k+1)] / (n(n-1)...(n-k+1))`` under the binomial
       error model (Lord, 1965), and a four-parameter beta is fitted to its first four moments
       (method of moments, Hanson, 1991). When that fit is invalid or leaves [0, 1], a
       two-parameter beta on [0, 1] is fitted to the mean and variance.
    3. Given ``tau``, ``X' ~ Binomial(n, tau)``; the observed classification passes when
       ``X' >= n (cut - a) / (b - a)``, the true one when ``tau >= (cut - a) / (b - a)``.
       The beta is integrated on ``n_bins`` equal-width bins (CDF differences at midpoints).

    Parameters
    ----------
    scores
        Observed total scores.
    reliability
        Reliability of the scores (e.g. coefficient alpha), in (0, 1).
    cuts
        Raw-score cuts (pass = score >= cut).
    min_score, max_score
        Possible score range.
    beta_model
        ``"four-parameter"`` (with fallback) or ``"two-parameter"``.
    n_bins
        Integration bins on the true-score scale.

    References
    ----------
    Livingston & Lewis (1995). Hanson (1991). Lord (1965).
    """
    x = np.asarray(scores, dtype=float).reshape(-1)
    if x.size < 2 or not np.all(np.isfinite(x)):
        raise ValueError("scores: need at least two finite scores")
    if not 0.0 < reliability < 1.0:
        raise ValueError("reliability: must be in (0, 1)")
    if not max_score > min_score:
        raise ValueError("max_score: must exceed min_score")
    if np.any(x < min_score) or np.any(x > max_score):
        raise ValueError("scores: outside [min_score, max_score]")
    if beta_model not in ("four-parameter", "two-parameter"):
        raise ValueError("beta_model: expected 'four-parameter' or 'two-parameter'")
    c = _check_cuts(cuts)
    a_, b_ = float(min_score), float(max_score)
    mu, s2 = float(x.mean()), float(x.var())
    if s2 <= 0:
        raise ValueError("scores: no variance")
    n_eff = ((mu - a_) * (b_ - mu) - reliability * s2) / (s2 * (1.0 - reliability))
    n = max(1, int(round(n_eff)))
    xp = n * (x - a_) / (b_ - a_)
    fact = [np.ones_like(xp)]
    for k in range(1, 5):
        fact.append(fact[-1] * (xp - (k - 1)))
    moments = []
    for k in range(1, 5):
        denom = math.prod(n - i for i in range(k))
        moments.append(float(fact[k].mean()) / denom if denom > 0 else math.nan)
    m1 = moments[0]
    var = moments[1] - m1**2
    fit = None
    if beta_model == "four-parameter" and n >= 4 and all(math.isfinite(m) for m in moments):
        m3 = moments[2] - 3 * m1 * moments[1] + 2 * m1**3
        m4 = moments[3] - 4 * m1 * moments[2] + 6 * m1**2 * moments[1] - 3 * m1**4
        if var > 0:
            fit = _beta4_moments(m1, var, m3 / var**1.5, m4 / var**2)
        if fit is not None and not (fit[2] >= 0.0 and fit[3] <= 1.0):
            fit = None
    model_used = "four-parameter"
    if fit is None:
        model_used = "two-parameter"
        if not (0 < m1 < 1 and 0 < var < m1 * (1 - m1)):
            raise ValueError("scores: the true-score moments admit no beta distribution")
        common = m1 * (1 - m1) / var - 1.0
        fit = (m1 * common, (1 - m1) * common, 0.0, 1.0)
    alpha, beta, lower, upper = fit
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    w = np.diff(stats.beta.cdf(edges, alpha, beta))
    tau = lower + (upper - lower) * (edges[:-1] + edges[1:]) / 2.0
    cut_prop = (c - a_) / (b_ - a_)
    k = np.arange(n + 1)
    pmf = stats.binom.pmf(k[None, :], n, tau[:, None])  # (bins, n + 1)
    obs_cat_k = np.searchsorted(n * cut_prop - 1e-9, k, side="right")
    probs = np.zeros((tau.size, c.size + 1))
    np.add.at(probs.T, obs_cat_k, pmf.T)
    true_cat = np.searchsorted(cut_prop, tau, side="right")
    base = _summarize("livingston-lewis", probs, true_cat, w, c, "raw", x.size, "raw score")
    return LivingstonLewisResult(
        **{f: getattr(base, f) for f in DecisionResult.__dataclass_fields__},
        effective_length=n,
        beta_model=model_used,
        alpha=float(alpha),
        beta=float(beta),
        lower=float(lower),
        upper=float(upper),
        reliability=float(reliability),
        min_score=a_,
        max_score=b_,
    )


# --------------------------------------------------------------------------------------------
# conditional SEM and pass rates
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConditionalSEM:
    """Conditional standard errors of measurement at a theta.

    Attributes
    ----------
    theta
        Where they are evaluated (e.g. the cut).
    se_theta
        ``1 / sqrt(I(theta))`` (test information).
    se_raw
        ``sqrt(sum_j Var(X_j | theta))``: SD of the summed score at theta.
    true_score
        ``TCC(theta)``.
    """

    theta: float
    se_theta: float
    se_raw: float
    true_score: float

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


def conditional_sem(params: ItemParameters, theta: float) -> ConditionalSEM:
    """Conditional SEM on the theta and summed-score scales at ``theta``.

    References
    ----------
    Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*,
        ch. 5. Erlbaum.
    """
    t = np.array([float(theta)])
    info = float(test_information(params, t)[0])
    probs = category_probabilities(params, t)[0]  # (items, cats)
    k = np.arange(probs.shape[1], dtype=float)
    mean = expected_scores(params, t)[0]
    var = float(np.sum((probs * (k[None, :] - mean[:, None]) ** 2).sum(axis=1)))
    return ConditionalSEM(
        theta=float(theta),
        se_theta=1.0 / math.sqrt(info) if info > 0 else math.inf,
        se_raw=math.sqrt(var),
        true_score=float(mean.sum()),
    )


@dataclass(frozen=True)
class PassRates:
    """Observed pass rates.

    Attributes
    ----------
    cut
        The cut (pass = score >= cut).
    overall
        Proportion passing.
    n
        Examinees.
    by_group
        ``{group: proportion passing}`` (empty without groups).
    n_by_group
        ``{group: examinees}``.
    """

    cut: float
    overall: float
    n: int
    by_group: dict[str, float]
    n_by_group: dict[str, int]

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


def pass_rates(scores, *, cut: float, groups: Sequence[str] | None = None) -> PassRates:
    """Proportion at or above ``cut``, overall and per group (blank group labels are skipped)."""
    s = np.asarray(scores, dtype=float).reshape(-1)
    if s.size == 0:
        raise ValueError("scores: no scores")
    passed = s >= cut
    by, nby = {}, {}
    if groups is not None:
        g = np.asarray([str(x) for x in groups])
        if g.shape != s.shape:
            raise ValueError("groups: must have one label per score")
        for label in sorted(set(g.tolist()) - {""}):
            mask = g == label
            by[label] = float(passed[mask].mean())
            nby[label] = int(mask.sum())
    return PassRates(float(cut), float(passed.mean()), int(s.size), by, nby)


# --------------------------------------------------------------------------------------------
# one entry point for the build (the spec's decision block)
# --------------------------------------------------------------------------------------------

DECISION_METHODS = ("rudner", "lee", "livingston-lewis")


@dataclass(frozen=True)
class DecisionReport:
    """Everything a report says about pass/fail decisions at one cut.

    Attributes
    ----------
    result
        Accuracy, consistency, false positive/negative rates (:class:`DecisionResult`).
    theta_cut
        The theta cut (NaN for Livingston-Lewis).
    raw_cut
        The summed-score cut used (Lee, Livingston-Lewis) or ``TCC(theta_cut)`` rounded by
        ``rounding`` (Rudner; NaN without parameters).
    csem
        Conditional SEM at the theta cut (None for Livingston-Lewis).
    pass_rates
        Observed pass rates overall and by group (None without examinee scores).
    latent
        Where the indices were averaged: ``"examinees"`` (their estimates) or
        ``"N(mean, sd)"`` quadrature.
    """

    result: DecisionResult
    theta_cut: float
    raw_cut: float
    csem: ConditionalSEM | None
    pass_rates: PassRates | None
    latent: str

    def to_dict(self) -> dict[str, Any]:
        return _plain(asdict(self))


def decision_accuracy(
    method: str,
    *,
    params: ItemParameters | None = None,
    theta_cut: float | None = None,
    thetas=None,
    se=None,
    groups: Sequence[str] | None = None,
    mean: float = 0.0,
    sd: float = 1.0,
    rounding: str = "ceil",
    scores=None,
    raw_cut: float | None = None,
    reliability: float | None = None,
    min_score: float = 0.0,
    max_score: float | None = None,
) -> DecisionReport:
    """Decision accuracy and consistency by the spec's ``decision.method``.

    Parameters
    ----------
    method
        ``"rudner"``: with ``thetas`` and ``se`` the examinee version, else the population version
        over ``N(mean, sd^2)``; ``"lee"``: Lord-Wingersky at the examinees' ``thetas`` (Lee's
        D method) or over ``N(mean, sd^2)``, raw cut = ``TCC(theta_cut)`` rounded by
        ``rounding`` unless ``raw_cut`` is given; ``"livingston-lewis"``: from ``scores``,
        ``reliability``, ``raw_cut`` and the score range (no IRT).
    params
        The form's items (IRT methods).
    theta_cut
        The theta cut (IRT methods).
    thetas, se
        Examinees' theta estimates and standard errors (optional; pass rates by group need them).
    groups
        Group label per examinee, for pass rates by group.
    mean, sd
        Latent distribution when no examinee estimates are given.
    rounding
        Rounding rule of the raw cut (see :func:`psychometrics.standard_setting.round_raw`).
    scores, raw_cut, reliability, min_score, max_score
        Livingston-Lewis inputs (``raw_cut`` also overrides Lee's raw cut).

    Returns
    -------
    DecisionReport

    References
    ----------
    Rudner (2001, 2005); Lee (2010); Livingston & Lewis (1995).
    """
    if method not in DECISION_METHODS:
        raise ValueError(f"method: expected one of {', '.join(DECISION_METHODS)}, got {method!r}")
    if method == "livingston-lewis":
        if scores is None or reliability is None or max_score is None or raw_cut is None:
            raise ValueError(
                "scores, reliability, max_score, raw_cut: required by livingston-lewis"
            )
        res = livingston_lewis(
            scores,
            reliability=reliability,
            cuts=raw_cut,
            min_score=min_score,
            max_score=max_score,
        )
        rates = pass_rates(scores, cut=raw_cut, groups=groups)
        return DecisionReport(res, math.nan, float(raw_cut), None, rates, "examinees")
    if params is None or theta_cut is None:
        raise ValueError(f"params, theta_cut: required by {method}")
    have = thetas is not None
    if method == "rudner":
        if have and se is None:
            raise ValueError("se: required with thetas by rudner")
        res = (
            rudner(thetas, se, cuts=theta_cut)
            if have
            else rudner_population(params, cuts=theta_cut, mean=mean, sd=sd)
        )
        cut_raw = raw_for_theta(params, theta_cut, rounding=rounding)
    else:
        cut_raw = (
            float(raw_cut)
            if raw_cut is not None
            else raw_for_theta(params, theta_cut, rounding=rounding)
        )
        res = lee(params, raw_cuts=cut_raw, thetas=thetas, mean=mean, sd=sd)
    rates = pass_rates(thetas, cut=theta_cut, groups=groups) if have else None
    return DecisionReport(
        result=res,
        theta_cut=float(theta_cut),
        raw_cut=float(cut_raw),
        csem=conditional_sem(params, theta_cut),
        pass_rates=rates,
        latent="examinees" if have else f"N({mean:g}, {sd:g})",
    )
