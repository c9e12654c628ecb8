"""Ability estimation and score tables for calibrated items (any mix of models, missing data).

Four pattern scores, all in the logistic metric (D = 1):

=====  =======================================================================================
eap    posterior mean and posterior SD over a quadrature grid (Bock & Mislevy, 1982)
map    posterior mode; SE = 1 / sqrt(I(theta) + 1 / prior_sd^2)
ml     maximum likelihood; SE = 1 / sqrt(I(theta))
wle    Warm's (1989) weighted likelihood: root of  dlogL/dtheta + J(theta) / (2 I(theta)) = 0,
       J = sum_j sum_k P'_jk P''_jk / P_jk; SE = 1 / sqrt(I(theta))
=====  =======================================================================================

Cells coded :data:`~psychometrics.responses.NOT_PRESENTED` (-1) or NaN are left out of the
likelihood. ML, MAP and WLE are searched on ``[theta_bounds[0], theta_bounds[1]]``: a pattern
whose likelihood has no interior maximum (all correct, all wrong, or any pattern pushed to the
bound) gets the bound as its estimate and a flag, never an infinity. A person with no presented
item gets the prior (EAP/MAP) or NaN (ML/WLE) and the flag ``no_responses``.

Summed-score EAP tables use the Lord-Wingersky recursion of :mod:`psychometrics.irt.models`.

References
----------
Bock, R. D., & Mislevy, R. J. (1982). Adaptive EAP estimation of ability in a microcomputer
    environment. *Applied Psychological Measurement*, 6(4), 431-444.
Warm, T. A. (1989). Weighted likelihood estimation of ability in item response theory.
    *Psychometrika*, 54(3), 427-450.
Thissen, D., Pommerich, M., Billeaud, K., & Williams, V. S. L. (1995). Item response theory for
    scores on tests including polytomous items with ordered responses. *Applied Psychological
    Measurement*, 19(1), 39-49.
Thissen, D., & Wainer, H. (Eds.) (2001). *Test Scoring*, ch. 3-4. Lawrence Erlbaum.
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
    item_information,
    log_category_probabilities,
    summed_score_likelihood,
    test_characteristic_curve,
)
from psychometrics.responses import NOT_PRESENTED, ResponseMatrix

METHODS = ("eap", "map", "ml", "wle")
RELIABILITY_FORMULAS = {
    "mean_error": "sigma^2 / (sigma^2 + E[1 / I(theta)])",
    "mean_reliability": "E[sigma^2 I(theta) / (sigma^2 I(theta) + 1)]",
}
"""The two marginal reliabilities, by name: the formula each computes over N(mean, sigma^2)."""

WLE_SE_METHODS = {
    "information": "1 / sqrt(I(theta))",
    "curvature": "1 / sqrt(-d/dtheta of Warm's estimating equation)",
}
"""The WLE standard errors offered (``score_persons(wle_se=...)``), with what each computes."""
_SE_METHOD = {
    "eap": "posterior SD",
    "map": "1 / sqrt(I(theta) + 1 / prior_sd^2)",
    "ml": "1 / sqrt(I(theta))",
}

FLAG_ALL_CORRECT = "all_max"
"""Every presented item at its highest category (ML has no finite maximum)."""
FLAG_ALL_WRONG = "all_min"
"""Every presented item at category 0."""
FLAG_AT_BOUND = "at_bound"
"""The estimate sits at a theta bound (the likelihood kept rising towards it)."""
FLAG_NO_RESPONSES = "no_responses"
"""No presented item: nothing to score."""

_CHUNK_CELLS = 2_000_000  # patterns x items x categories held at once by ML/MAP/WLE


# --------------------------------------------------------------------------------------------
# quadrature
# --------------------------------------------------------------------------------------------


def normal_quadrature(
    *,
    n_points: int = 61,
    theta_range: tuple[float, float] | None = None,
    mean: float = 0.0,
    sd: float = 1.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Equally spaced nodes with normalised N(mean, sd) density weights.

    The default (61 points on ``mean +- 6 sd``, i.e. [-6, 6] for the standard prior) is the
    rectangular rule mirt uses for one dimension.

    Returns
    -------
    nodes, weights
        Arrays of shape ``(n_points,)``; ``weights`` sum to 1.
    """
    if int(n_points) < 3:
        raise ValueError(f"n_points must be at least 3, got {n_points}")
    if not sd > 0:
        raise ValueError(f"sd must be positive, got {sd}")
    if theta_range is None:
        theta_range = (mean - 6.0 * sd, mean + 6.0 * sd)
    lo, hi = (float(v) for v in theta_range)
    if not hi > lo:
        raise ValueError(f"theta_range must be increasing, got {theta_range}")
    nodes = np.linspace(lo, hi, int(n_points))
    logw = -0.5 * ((nodes - mean) / sd) ** 2
    w = np.exp(logw - logw.max())
    return nodes, w / w.sum()


# --------------------------------------------------------------------------------------------
# results
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ThetaScores:
    """Ability estimates of a set of persons.

    Attributes
    ----------
    person_ids
        Row labels.
    theta
        Estimates, shape ``(n_persons,)``; NaN only for ML/WLE with no presented item.
    se
        Standard errors (EAP: posterior SD).
    method
        ``"eap"``, ``"map"``, ``"ml"`` or ``"wle"``.
    flags
        Per person, ``""`` or ``;``-joined flags (``all_max``, ``all_min``, ``at_bound``,
        ``no_responses``).
    sum_score
        Sum of the presented item scores (a nominal item counts 1 for its highest category, the
        key when options are coded with the key last).
    n_presented
        Number of presented items per person.
    prior_mean, prior_sd
        The normal prior (used by EAP and MAP).
    theta_bounds
        Search interval of ML/MAP/WLE.
    metric
        The theta metric.
    se_method
        How ``se`` was computed, in words (e.g. ``"1 / sqrt(I(theta))"``).
    """

    person_ids: tuple[str, ...]
    theta: np.ndarray
    se: np.ndarray
    method: str
    flags: tuple[str, ...]
    sum_score: np.ndarray
    n_presented: np.ndarray
    prior_mean: float = 0.0
    prior_sd: float = 1.0
    theta_bounds: tuple[float, float] = (-6.0, 6.0)
    metric: str = METRIC
    se_method: str = ""

    @property
    def n_flagged(self) -> int:
        return sum(1 for f in self.flags if f)

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "metric": self.metric,
            "prior": {"mean": self.prior_mean, "sd": self.prior_sd},
            "theta_bounds": list(self.theta_bounds),
            "se_method": self.se_method,
            "persons": [
                {
                    "person_id": p,
                    "theta": float(t),
                    "se": float(s),
                    "sum_score": int(x),
                    "n_presented": int(n),
                    "flags": f,
                }
                for p, t, s, x, n, f in zip(
                    self.person_ids,
                    self.theta,
                    self.se,
                    self.sum_score,
                    self.n_presented,
                    self.flags,
                    strict=True,
                )
            ],
        }


@dataclass(frozen=True)
class ScoreTable:
    """Summed score -> EAP theta table (Lord-Wingersky), with an optional reporting scale.

    Attributes
    ----------
    item_ids
        The items whose summed score the table converts.
    sum_score
        0, 1, ..., maximum possible summed score.
    theta, se
        EAP of theta given the summed score, and its posterior SD.
    expected_proportion
        Model-implied proportion of the population (the prior) at each summed score.
    scale_score, scale_se
        ``slope * theta + intercept`` (rounded, clipped) and ``|slope| * se``; None without a
        scale.
    prior_mean, prior_sd
        The population distribution used.
    scale
        The reporting scale settings (``slope, intercept, round, min, max``), or None.
    metric
        The theta metric.
    """

    item_ids: tuple[str, ...]
    sum_score: np.ndarray
    theta: np.ndarray
    se: np.ndarray
    expected_proportion: np.ndarray
    scale_score: np.ndarray | None = None
    scale_se: np.ndarray | None = None
    prior_mean: float = 0.0
    prior_sd: float = 1.0
    scale: dict[str, Any] | None = None
    metric: str = METRIC

    def to_dict(self) -> dict[str, Any]:
        rows = []
        for i, s in enumerate(self.sum_score):
            row = {
                "sum_score": int(s),
                "theta": float(self.theta[i]),
                "se": float(self.se[i]),
                "expected_proportion": float(self.expected_proportion[i]),
            }
            if self.scale_score is not None and self.scale_se is not None:
                row["scale_score"] = float(self.scale_score[i])
                row["scale_se"] = float(self.scale_se[i])
            rows.append(row)
        return {
            "item_ids": list(self.item_ids),
            "metric": self.metric,
            "prior": {"mean": self.prior_mean, "sd": self.prior_sd},
            "scale": self.scale,
            "rows": rows,
        }


@dataclass(frozen=True)
class InformationTable:
    """Item and test information, TCC and conditional SEM over a theta grid.

    Attributes
    ----------
    theta
        The grid, shape ``(n_theta,)``.
    item_ids
        Column labels of ``item_information``.
    item_information
        Shape ``(n_theta, n_items)``.
    test_information
        Sum over items, shape ``(n_theta,)``.
    tcc
        Expected summed score (test characteristic curve).
    csem
        Conditional standard error of measurement of theta, ``1 / sqrt(test_information)``.
    marginal_reliability
        By :attr:`reliability_formula` over the prior (see :func:`marginal_reliability`).
    reliability_formula
        The formula of ``marginal_reliability``, in words (:data:`RELIABILITY_FORMULAS`).
    metric
        The theta metric.
    """

    theta: np.ndarray
    item_ids: tuple[str, ...]
    item_information: np.ndarray
    test_information: np.ndarray
    tcc: np.ndarray
    csem: np.ndarray
    marginal_reliability: float
    metric: str = METRIC
    reliability_formula: str = RELIABILITY_FORMULAS["mean_error"]

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "marginal_reliability": self.marginal_reliability,
            "reliability_formula": self.reliability_formula,
            "rows": [
                {
                    "theta": float(t),
                    "information": float(i),
                    "csem": float(s),
                    "tcc": float(e),
                }
                for t, i, s, e in zip(
                    self.theta, self.test_information, self.csem, self.tcc, strict=True
                )
            ],
        }


# --------------------------------------------------------------------------------------------
# input alignment
# --------------------------------------------------------------------------------------------


def _check_params(params: ItemParameters) -> None:
    if not isinstance(params, ItemParameters):
        raise TypeError(f"params must be ItemParameters, got {type(params).__name__}")


def align_scores(
    responses: ResponseMatrix | np.ndarray, params: ItemParameters
) -> tuple[np.ndarray, tuple[str, ...]]:
    """Integer score matrix aligned to the items of ``params`` (-1 = not presented).

    A :class:`ResponseMatrix` is matched by item id (every response column must have
    parameters; parameter items absent from the responses count as not presented). A plain
    array must have one column per item of ``params``, NaN or -1 for not presented.

    Raises
    ------
    ValueError
        Naming ``responses`` when a column has no parameters or a score is outside the item's
        categories.
    """
    _check_params(params)
    if isinstance(responses, ResponseMatrix):
        missing = [i for i in responses.item_ids if i not in params]
        if missing:
            raise ValueError(
                f"responses: no parameters for item(s) {', '.join(missing[:5])}"
                + (f" and {len(missing) - 5} more" if len(missing) > 5 else "")
            )
        out = np.full((responses.n_persons, params.n_items), NOT_PRESENTED, dtype=np.int64)
        cols = [params.index(i) for i in responses.item_ids]
        out[:, cols] = responses.scores
        person_ids = responses.person_ids
    else:
        arr = np.asarray(responses, dtype=float)
        if arr.ndim != 2 or arr.shape[1] != params.n_items:
            raise ValueError(
                f"responses must have shape (n_persons, {params.n_items}), got {arr.shape}"
            )
        missing = np.isnan(arr) | (arr == NOT_PRESENTED)
        bad = ~missing & ((arr < 0) | (arr != np.round(arr)))
        if np.any(bad):
            raise ValueError("responses: scores must be non-negative integers, NaN or -1")
        out = np.where(missing, NOT_PRESENTED, arr).astype(np.int64)
        person_ids = tuple(str(i + 1) for i in range(arr.shape[0]))
    too_high = out > (params.n_categories - 1)[None, :]
    if np.any(too_high):
        i, j = (int(v[0]) for v in np.nonzero(too_high))
        raise ValueError(
            f"responses: person {person_ids[i]} has score {out[i, j]} on item "
            f"{params.item_ids[j]}, which has only {params.n_categories[j]} categories"
        )
    return out, tuple(person_ids)


def _pattern_loglik(params: ItemParameters, patterns: np.ndarray, theta: np.ndarray):
    """Log-likelihood of each pattern at each theta, shape ``(n_theta, n_patterns)``."""
    logp = log_category_probabilities(params, theta)
    ll = np.zeros((theta.size, patterns.shape[0]))
    for j in range(params.n_items):  # loop over items; patterns are vectorised
        x = patterns[:, j]
        seen = x != NOT_PRESENTED
        if np.any(seen):
            ll[:, seen] += logp[:, j, x[seen]]
    return ll


# --------------------------------------------------------------------------------------------
# pattern scoring
# --------------------------------------------------------------------------------------------


def score_persons(
    responses: ResponseMatrix | np.ndarray,
    params: ItemParameters,
    *,
    method: str = "eap",
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    n_points: int = 61,
    theta_range: tuple[float, float] | None = None,
    theta_bounds: tuple[float, float] = (-6.0, 6.0),
    tol: float = 1e-8,
    person_ids: tuple[str, ...] | None = None,
    wle_se: str = "information",
) -> ThetaScores:
    """Estimate theta for every person by EAP, MAP, ML or WLE.

    Parameters
    ----------
    responses
        A :class:`ResponseMatrix` (matched to ``params`` by item id) or an array with one column
        per item of ``params`` (NaN or -1 = not presented).
    params
        Item parameters, any mixture of models.
    method
        ``"eap"`` (default), ``"map"``, ``"ml"`` or ``"wle"``.
    prior_mean, prior_sd
        Normal prior of theta (EAP and MAP).
    n_points, theta_range
        Rectangular quadrature for EAP (default 61 points on ``prior_mean +- 6 prior_sd``).
    theta_bounds
        Search interval for ML/MAP/WLE (default [-6, 6]). Estimates never leave it.
    tol
        Bisection tolerance on theta for ML/MAP/WLE.
    person_ids
        Labels for an array input.
    wle_se
        Standard error of WLE estimates: ``"information"`` (default), ``1 / sqrt(I(theta))``,
        the asymptotic SE of the ML and WLE estimators alike (Warm 1989) and what most Rasch
        software prints; or ``"curvature"``, ``1 / sqrt(-psi'(theta))`` with ``psi`` Warm's
        estimating equation ``dlogL/dtheta + J / (2 I)`` (central difference, h = 1e-4), i.e.
        the curvature of Warm's criterion as mirt reports it. The two differ by O(1/n) and most
        for short tests. Ignored by the other methods (EAP: posterior SD; MAP:
        ``1 / sqrt(I + 1 / prior_sd^2)``; ML: ``1 / sqrt(I)``).

    Returns
    -------
    ThetaScores

    Notes
    -----
    Persons are compressed to their distinct response patterns; each pattern is scored once.
    ML/MAP/WLE first locate the maximum of the criterion on a 0.05-spaced grid over
    ``theta_bounds`` (``log L``, ``log L + log prior`` or ``log L + log I / 2``), then bisect the
    estimating equation between the neighbouring grid points (0.5 either side for WLE, whose
    criterion is exact only for 1PL/2PL/GPCM items). A grid maximum at a bound where the
    equation still points outwards is reported as the bound with flag ``at_bound``. If the root
    is not in that bracket, the equation is evaluated over the whole grid and the decreasing
    sign change nearest the criterion maximum is bisected.

    References
    ----------
    Bock & Mislevy (1982); Warm (1989); Baker, F. B., & Kim, S.-H. (2004). *Item Response
    Theory: Parameter Estimation Techniques* (2nd ed.), ch. 7.
    """
    method = str(method).lower()
    if method not in METHODS:
        raise ValueError(f"method must be one of {', '.join(METHODS)}, got {method!r}")
    if not prior_sd > 0:
        raise ValueError(f"prior_sd must be positive, got {prior_sd}")
    if not tol > 0:
        raise ValueError(f"tol must be positive, got {tol}")
    if wle_se not in WLE_SE_METHODS:
        raise ValueError(f"wle_se must be one of {', '.join(WLE_SE_METHODS)}, got {wle_se!r}")
    scores, ids = align_scores(responses, params)
    if person_ids is not None:
        if len(person_ids) != scores.shape[0]:
            raise ValueError("person_ids must have one label per row of responses")
        ids = tuple(person_ids)
    bounds = tuple(float(v) for v in theta_bounds)
    if not bounds[1] > bounds[0]:
        raise ValueError(f"theta_bounds must be increasing, got {bounds}")

    patterns, inverse = np.unique(scores, axis=0, return_inverse=True)
    inverse = inverse.reshape(-1)
    presented = patterns != NOT_PRESENTED
    n_seen = presented.sum(axis=1)
    maxcat = params.n_categories - 1
    all_max = (n_seen > 0) & np.all(~presented | (patterns == maxcat[None, :]), axis=1)
    all_min = (n_seen > 0) & np.all(~presented | (patterns == 0), axis=1)

    theta = np.empty(len(patterns))
    se = np.empty(len(patterns))
    at_bound = np.zeros(len(patterns), dtype=bool)
    width = int(params.b.shape[1]) + 1
    chunk = max(1, _CHUNK_CELLS // max(1, params.n_items * width))
    for lo in range(0, len(patterns), chunk):  # bounded memory: chunks of distinct patterns
        part = slice(lo, lo + chunk)
        if method == "eap":
            theta[part], se[part] = _eap(
                params, patterns[part], prior_mean, prior_sd, n_points, theta_range
            )
        else:
            theta[part], se[part], at_bound[part] = _mode(
                params,
                patterns[part],
                method=method,
                prior=(prior_mean, prior_sd),
                bounds=bounds,
                tol=tol,
                wle_se=wle_se,
            )
    code = (
        (n_seen == 0) * 1
        + ((n_seen > 0) & all_max) * 2
        + ((n_seen > 0) & all_min) * 4
        + ((n_seen > 0) & at_bound) * 8
    )
    names = (FLAG_NO_RESPONSES, FLAG_ALL_CORRECT, FLAG_ALL_WRONG, FLAG_AT_BOUND)
    table = [";".join(n for bit, n in enumerate(names) if c >> bit & 1) for c in range(16)]
    flags = [table[c] for c in code]
    counted = np.where(presented, patterns, 0)
    nominal = np.asarray(params.model) == "nominal"
    if nominal.any():  # a nominal item's codes are options: it counts 1 for the key (coded last)
        counted[:, nominal] = counted[:, nominal] == (params.n_categories[nominal] - 1)
    pattern_sum = counted.sum(axis=1)
    return ThetaScores(
        person_ids=ids,
        theta=theta[inverse],
        se=se[inverse],
        method=method,
        flags=tuple(flags[u] for u in inverse),
        sum_score=pattern_sum[inverse],
        n_presented=n_seen[inverse],
        prior_mean=float(prior_mean),
        prior_sd=float(prior_sd),
        theta_bounds=bounds,
        se_method=_SE_METHOD[method] if method != "wle" else WLE_SE_METHODS[wle_se],
    )


def _eap(params, patterns, prior_mean, prior_sd, n_points, theta_range):
    nodes, weights = normal_quadrature(
        n_points=n_points, theta_range=theta_range, mean=prior_mean, sd=prior_sd
    )
    log_post = _pattern_loglik(params, patterns, nodes) + np.log(weights)[:, None]
    log_post -= np.logaddexp.reduce(log_post, axis=0, keepdims=True)
    post = np.exp(log_post)
    mean = nodes @ post
    var = (nodes**2) @ post - mean**2
    return mean, np.sqrt(np.maximum(var, 0.0))


def _derivative_terms(params, theta, patterns, *, second: bool):
    """Score, test information and (optionally) Warm's J at per-pattern theta."""
    probs = category_probabilities(params, theta)  # (U, J, K)
    d1 = category_probability_derivatives(params, theta, probs=probs)
    presented = patterns != NOT_PRESENTED
    x = np.where(presented, patterns, 0)
    p_x = np.take_along_axis(probs, x[:, :, None], axis=2)[:, :, 0]
    d_x = np.take_along_axis(d1, x[:, :, None], axis=2)[:, :, 0]
    with np.errstate(divide="ignore", invalid="ignore"):
        score = np.where(presented, d_x / np.maximum(p_x, 1e-300), 0.0).sum(axis=1)
        safe = np.maximum(probs, 1e-300)
        info_jk = np.where(probs > 1e-300, d1**2 / safe, 0.0)
    info = np.where(presented, info_jk.sum(axis=2), 0.0).sum(axis=1)
    if not second:
        return score, info, None
    h = 1e-5
    d_plus = category_probability_derivatives(params, theta + h)
    d_minus = category_probability_derivatives(params, theta - h)
    d2 = (d_plus - d_minus) / (2 * h)
    with np.errstate(divide="ignore", invalid="ignore"):
        j_jk = np.where(probs > 1e-300, d1 * d2 / safe, 0.0)
    warm_j = np.where(presented, j_jk.sum(axis=2), 0.0).sum(axis=1)
    return score, info, warm_j


def _estimating_equation(params, theta, patterns, method, prior):
    score, info, warm_j = _derivative_terms(params, theta, patterns, second=method == "wle")
    if method == "ml":
        return score
    if method == "map":
        return score - (theta - prior[0]) / prior[1] ** 2
    with np.errstate(divide="ignore", invalid="ignore"):
        return score + np.where(info > 0, warm_j / (2 * info), 0.0)


def _mode(params, patterns, *, method, prior, bounds, tol, wle_se="information"):
    lo, hi = bounds
    n_grid = max(int(np.ceil((hi - lo) / 0.05)) + 1, 11)
    grid = np.linspace(lo, hi, n_grid)
    crit = _pattern_loglik(params, patterns, grid)
    presented = (patterns != NOT_PRESENTED).astype(float)
    if method == "map":
        crit = crit - 0.5 * ((grid[:, None] - prior[0]) / prior[1]) ** 2
    elif method == "wle":
        info = item_information(params, grid) @ presented.T  # (n_grid, U)
        with np.errstate(divide="ignore"):
            crit = crit + 0.5 * np.log(info)
    best = np.argmax(crit, axis=0)
    theta = grid[best].astype(float)
    at_bound = np.zeros(patterns.shape[0], dtype=bool)
    active = np.flatnonzero(presented.sum(axis=1) > 0)
    if active.size:
        sub = patterns[active]
        # ML/MAP maximise the criterion exactly: the root is next to its grid maximum. The WLE
        # criterion is only approximate for 3PL/GRM items: look 0.5 either side.
        reach = 10 if method == "wle" else 1
        a = grid[np.maximum(best[active] - reach, 0)]
        b = grid[np.minimum(best[active] + reach, n_grid - 1)]
        ok = (_estimating_equation(params, a, sub, method, prior) >= 0) & (
            _estimating_equation(params, b, sub, method, prior) <= 0
        )
        # the criterion is largest at a bound and still rising there: the estimate is the bound
        # (all correct / all wrong, or any pattern whose supremum lies beyond the bound)
        b_act = best[active]
        edge = ~ok & ((b_act == 0) | (b_act == n_grid - 1))
        if np.any(edge):
            e_idx = np.flatnonzero(edge)
            at = grid[b_act[e_idx]]
            g_edge = _estimating_equation(params, at, sub[e_idx], method, prior)
            rising = np.where(b_act[e_idx] == 0, g_edge <= 0, g_edge >= 0)
            theta[active[e_idx[rising]]] = at[rising]
            at_bound[active[e_idx[rising]]] = True
            edge[e_idx[~rising]] = False
        if not np.all(ok | edge):
            # the root is not next to the grid maximum of the criterion (possible for the 3PL
            # WLE, whose estimating equation is not the derivative of the criterion): scan
            fail = np.flatnonzero(~ok & ~edge)
            a_f, b_f, bound_f, lost = _scan_grid(
                params, grid, sub[fail], b_act[fail], method, prior
            )
            a[fail], b[fail] = a_f, b_f
            ok[fail] = ~np.isnan(a_f)
            theta[active[fail]] = np.where(np.isnan(bound_f), theta[active[fail]], bound_f)
            at_bound[active[fail]] = ~np.isnan(bound_f)
            if np.any(lost):
                warnings.warn(
                    f"{method}: no root of the estimating equation on the theta grid for "
                    f"{int(lost.sum())} response pattern(s); the grid maximum of the criterion "
                    "(0.05 spacing) is reported for them",
                    RuntimeWarning,
                    stacklevel=3,
                )
        idx = np.flatnonzero(ok)
        if idx.size:
            a, b, sub = a[idx], b[idx], sub[idx]
            n_iter = int(np.ceil(np.log2(max(float(np.max(b - a)), tol) / tol))) + 1
            for _ in range(n_iter):  # vectorised bisection over patterns
                mid = 0.5 * (a + b)
                up = _estimating_equation(params, mid, sub, method, prior) > 0
                a = np.where(up, mid, a)
                b = np.where(up, b, mid)
            theta[active[idx]] = 0.5 * (a + b)
    _, info, _ = _derivative_terms(params, theta, patterns, second=False)
    if method == "map":
        info = info + 1.0 / prior[1] ** 2
    if method == "wle" and wle_se == "curvature":
        h = 1e-4
        info = -(
            _estimating_equation(params, theta + h, patterns, method, prior)
            - _estimating_equation(params, theta - h, patterns, method, prior)
        ) / (2 * h)
    with np.errstate(divide="ignore"):
        se = np.where(info > 0, 1.0 / np.sqrt(np.maximum(info, 1e-300)), np.inf)
    none = presented.sum(axis=1) == 0
    if method == "map":
        theta[none] = prior[0]
        se[none] = prior[1]
    else:
        theta[none] = np.nan
        se[none] = np.nan
    at_bound &= ~none
    return theta, se, at_bound


def _scan_grid(params, grid, patterns, best, method, prior):
    """Brackets of the root nearest the criterion's grid maximum, by evaluating the estimating
    equation at every grid point. Returns (left, right, bound, lost): left/right NaN when there
    is no decreasing sign change; bound = the theta bound the equation pushes towards (NaN if
    none); lost = no root and no consistent sign."""
    g = np.stack(
        [
            _estimating_equation(params, np.full(patterns.shape[0], t), patterns, method, prior)
            for t in grid  # loop over grid points; patterns are vectorised
        ]
    )  # (n_grid, n_fail)
    down = (g[:-1] >= 0) & (g[1:] <= 0)  # (n_grid - 1, n_fail)
    steps = np.arange(grid.size - 1)[:, None]
    dist = np.where(down, np.abs(steps - best[None, :]), np.inf)
    pick = np.argmin(dist, axis=0)
    has = np.isfinite(dist.min(axis=0))
    left = np.where(has, grid[pick], np.nan)
    right = np.where(has, grid[np.minimum(pick + 1, grid.size - 1)], np.nan)
    rising = ~has & np.all(g > 0, axis=0)
    falling = ~has & np.all(g < 0, axis=0)
    bound = np.where(rising, grid[-1], np.where(falling, grid[0], np.nan))
    lost = ~has & ~rising & ~falling
    return left, right, bound, lost


# --------------------------------------------------------------------------------------------
# summed-score tables, information, reliability
# --------------------------------------------------------------------------------------------


def score_table(
    params: ItemParameters,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    n_points: int = 61,
    theta_range: tuple[float, float] | None = None,
    scale_slope: float | None = None,
    scale_intercept: float = 0.0,
    scale_round: int | None = None,
    scale_min: float | None = None,
    scale_max: float | None = None,
) -> ScoreTable:
    """Summed score -> EAP theta table by the Lord-Wingersky recursion.

    For each summed score ``s``: ``EAP(theta | s) = sum_q theta_q L_s(theta_q) w_q /
    sum_q L_s(theta_q) w_q`` with ``L_s`` the Lord-Wingersky likelihood of ``s`` and ``w`` the
    prior quadrature weights; ``expected_proportion[s] = sum_q L_s(theta_q) w_q``.

    Parameters
    ----------
    params
        The items of the form (any mixture of models).
    prior_mean, prior_sd, n_points, theta_range
        Population distribution and quadrature.
    scale_slope, scale_intercept
        Optional linear reporting scale ``slope * theta + intercept``.
    scale_round
        Decimals to round scale scores to (``0`` = whole numbers); None = no rounding.
    scale_min, scale_max
        Clip scale scores to this range.

    References
    ----------
    Thissen, Pommerich, Billeaud & Williams (1995); Lord & Wingersky (1984).
    """
    _check_params(params)
    nodes, weights = normal_quadrature(
        n_points=n_points, theta_range=theta_range, mean=prior_mean, sd=prior_sd
    )
    lik = summed_score_likelihood(params, nodes)  # (Q, S + 1)
    joint = lik * weights[:, None]
    marginal = joint.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        theta = (nodes @ joint) / marginal
        var = ((nodes**2) @ joint) / marginal - theta**2
    se = np.sqrt(np.maximum(var, 0.0))
    scale_score = scale_se = None
    scale = None
    if scale_slope is not None:
        if not np.isfinite(scale_slope) or scale_slope == 0:
            raise ValueError(f"scale_slope must be a non-zero number, got {scale_slope}")
        if scale_min is not None and scale_max is not None and scale_min > scale_max:
            raise ValueError("scale_min must not exceed scale_max")
        scale_score, scale_se = apply_scale(
            theta,
            se,
            slope=scale_slope,
            intercept=scale_intercept,
            decimals=scale_round,
            minimum=scale_min,
            maximum=scale_max,
        )
        scale = {
            "slope": float(scale_slope),
            "intercept": float(scale_intercept),
            "round": scale_round,
            "min": scale_min,
            "max": scale_max,
        }
    return ScoreTable(
        item_ids=params.item_ids,
        sum_score=np.arange(lik.shape[1]),
        theta=theta,
        se=se,
        expected_proportion=marginal,
        scale_score=scale_score,
        scale_se=scale_se,
        prior_mean=float(prior_mean),
        prior_sd=float(prior_sd),
        scale=scale,
    )


def apply_scale(
    theta,
    se=None,
    *,
    slope: float,
    intercept: float = 0.0,
    decimals: int | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
) -> tuple[np.ndarray, np.ndarray | None]:
    """Linear reporting scale: ``slope * theta + intercept``, rounded then clipped.

    Returns the scale scores and ``|slope| * se`` (None when ``se`` is None; not rounded).
    """
    theta = np.asarray(theta, dtype=float)
    out = slope * theta + intercept
    if decimals is not None:
        out = np.round(out, int(decimals))
    if minimum is not None or maximum is not None:
        out = np.clip(out, minimum, maximum)
    out_se = None if se is None else abs(slope) * np.asarray(se, dtype=float)
    return out, out_se


def marginal_reliability(
    params: ItemParameters,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    n_points: int = 61,
    theta_range: tuple[float, float] | None = None,
    formula: str = "mean_error",
) -> float:
    """Marginal reliability of theta over the N(mean, sd) prior, by one of two formulas.

    Parameters
    ----------
    params
        Item parameters.
    prior_mean, prior_sd
        The ability distribution.
    n_points, theta_range
        Rectangular quadrature (default 61 points on ``mean +- 6 sd``).
    formula
        ``"mean_error"`` (default): ``sigma^2 / (sigma^2 + E[1 / I(theta)])``, the true-score
        variance over itself plus the average error variance (Green et al. 1984; flexMIRT and
        BILOG-MG report this one). ``"mean_reliability"``: ``E[sigma^2 I / (sigma^2 I + 1)]``,
        the average of the conditional reliability; with N(0, 1) this is mirt's
        ``marginal_rxx`` (``E[I / (I + 1)]``). By Jensen's inequality the first is never above
        the second when information varies over theta; they agree when it does not.

    Returns
    -------
    float

    References
    ----------
    Green, B. F., Bock, R. D., Humphreys, L. G., Linn, R. L., & Reckase, M. D. (1984). Technical
        guidelines for assessing computerized adaptive tests. *Journal of Educational
        Measurement*, 21(4), 347-360.
    Chalmers, R. P. (2012). mirt. *Journal of Statistical Software*, 48(6) (``marginal_rxx``).
    """
    if formula not in RELIABILITY_FORMULAS:
        raise ValueError(
            f"formula must be one of {', '.join(RELIABILITY_FORMULAS)}, got {formula!r}"
        )
    _check_params(params)
    nodes, weights = normal_quadrature(
        n_points=n_points, theta_range=theta_range, mean=prior_mean, sd=prior_sd
    )
    info = item_information(params, nodes).sum(axis=1)
    var = prior_sd**2
    if formula == "mean_reliability":
        return float(weights @ (var * info / (var * info + 1.0)))
    err = float(weights @ (1.0 / np.maximum(info, 1e-300)))
    return var / (var + err)


def empirical_reliability(theta, se) -> float:
    """``var(theta) / (var(theta) + mean(se^2))`` over a sample of estimates (EAP scores).

    This is the ``rxx`` mirt reports for EAP and summed-score EAP scores.

    References
    ----------
    Chalmers, R. P. (2012). mirt: A multidimensional item response theory package for the R
        environment. *Journal of Statistical Software*, 48(6), 1-29 (``fscores``, ``rxx``).
    """
    theta = np.asarray(theta, dtype=float)
    se = np.asarray(se, dtype=float)
    keep = np.isfinite(theta) & np.isfinite(se)
    if keep.sum() < 2:
        raise ValueError("need at least two finite estimates")
    v = float(np.var(theta[keep], ddof=1))
    return v / (v + float(np.mean(se[keep] ** 2)))


def information_table(
    params: ItemParameters,
    theta=None,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    reliability: str = "mean_error",
) -> InformationTable:
    """Item and test information, TCC and CSEM at ``theta`` (default -4..4 by 0.25).

    ``reliability`` names the marginal reliability formula (see :func:`marginal_reliability`);
    the table records it.

    References
    ----------
    Lord, F. M. (1980). *Applications of Item Response Theory to Practical Testing Problems*,
        ch. 5. Erlbaum.
    """
    if reliability not in RELIABILITY_FORMULAS:
        raise ValueError(
            f"reliability must be one of {', '.join(RELIABILITY_FORMULAS)}, got {reliability!r}"
        )
    _check_params(params)
    theta = np.linspace(-4.0, 4.0, 33) if theta is None else np.atleast_1d(np.asarray(theta, float))
    if theta.ndim != 1 or not np.all(np.isfinite(theta)):
        raise ValueError("theta must be a 1-D array of finite numbers")
    item_info = item_information(params, theta)
    test_info = item_info.sum(axis=1)
    with np.errstate(divide="ignore"):
        csem = 1.0 / np.sqrt(test_info)
    return InformationTable(
        theta=theta,
        item_ids=params.item_ids,
        item_information=item_info,
        test_information=test_info,
        tcc=test_characteristic_curve(params, theta),
        csem=csem,
        marginal_reliability=marginal_reliability(
            params, prior_mean=prior_mean, prior_sd=prior_sd, formula=reliability
        ),
        reliability_formula=RELIABILITY_FORMULAS[reliability],
    )
