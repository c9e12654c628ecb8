"""Differential item functioning (DIF): Mantel-Haenszel and logistic regression.

:func:`dif_analysis` screens every item of a response matrix for DIF between a *focal* and a
*reference* group, matched on an observed score:

Mantel-Haenszel (0/1 items)
    Continuity-corrected MH chi-square and p, the common odds ratio ``alpha_MH`` and
    ``MH D-DIF = -2.35 ln(alpha_MH)`` with its standard error (Robins, Breslow & Greenland 1986;
    Phillips & Holland 1987), classified A/B/C by the ETS rule (Zwick 2012):

    * **A** if the MH chi-square is not significant at ``alpha`` or ``|D| < 1``;
    * **C** otherwise, if ``|D| >= 1.5`` and ``|D|`` is significantly greater than 1
      (one-sided z test ``(|D| - 1) / SE > z_{1-alpha}``);
    * **B** otherwise.

    A negative D means the item is harder for the focal group than for reference-group members of
    the same score: it *favors the reference group*.

Polytomous items
    Mantel's (1963) chi-square for ordered categories and the standardized mean difference
    ``SMD = sum_k w_Fk (mean_Fk - mean_Rk)`` (Dorans & Schmitt 1991), classified AA/BB/CC by the ETS
    rule of Zwick, Thayer & Mazzeo (1997): CC if the Mantel test is significant and
    ``|SMD / SD| > .25``, BB if significant and ``|SMD / SD| > .17``, AA otherwise (SD = item-score
    SD of the two groups together). Logistic-regression DIF uses the proportional-odds ordinal
    model (Zumbo 1999) with the same three models, tests and R-squared change; the Jodoin-Gierl
    cut-offs were derived for 0/1 items and are applied to these as a screen only.

Logistic regression (0/1 items; Swaminathan & Rogers 1990)
    Three models of the item score: (1) matching score; (2) + group; (3) + score x group, fitted
    by Newton-Raphson (IRLS) with step halving. A person enters the likelihood only through
    their (block, matching score, group, item score) cell, so the models are fitted to those
    cells weighted by their counts: the same maximum as a fit over persons, with work and memory
    that do not grow with the number of persons. Likelihood-ratio tests: uniform (2 vs 1, 1 df),
    non-uniform (3 vs 2, 1 df), combined (3 vs 1, 2 df). Effect size: the change in Nagelkerke
    R-squared from model 1 to model 3, classified by Jodoin & Gierl (2001): A if the combined test
    is not significant or ``dR2 < .035``, B if ``.035 <= dR2 <= .070``, C if ``dR2 > .070``.

Matching score
    ``matching="total"`` (default): the sum score of the anchor items *plus the studied item*
    (Holland & Thayer 1988); ``"rest"``: the anchor sum without the studied item. Persons are used
    for an item when it was presented to them and they belong to the focal or reference group;
    the matching score sums their presented anchor items (see the CTT module for the missing-data
    rule).

Purification (``purify=True``)
    Two stages (Holland & Thayer 1988; Zwick 2012): stage 1 matches on all items; items classified
    in ``purify_classes`` (default B and C, or BB and CC) by a method are removed from *that
    method's* matching score in stage 2 (the studied item itself is always kept in a total
    matching score). The reported statistics are those of stage 2.

Minimum group sizes
    When fewer than ``min_focal`` focal or ``min_reference`` reference persons saw an item the
    statistics are still reported but the item is not classified (class ``None``) and ``note``
    says why. The defaults (100 and 100) are a program choice; Zwick (2012) reviews the ETS minima.

References
----------
Dorans, N. J., & Schmitt, A. P. (1991). Constructed response and differential item functioning:
    A pragmatic approach. ETS RR-91-47.
Holland, P. W., & Thayer, D. T. (1988). Differential item performance and the Mantel-Haenszel
    procedure. In H. Wainer & H. I. Braun (Eds.), *Test validity* (pp. 129-145). Erlbaum.
Jodoin, M. G., & Gierl, M. J. (2001). Evaluating Type I error and power rates using an effect size
    measure with the logistic regression procedure for DIF detection. *Applied Measurement in
    Education*, 14, 329-349.
Mantel, N. (1963). Chi-square tests with one degree of freedom: extensions of the Mantel-Haenszel
    procedure. *JASA*, 58, 690-700.
Mantel, N., & Haenszel, W. (1959). Statistical aspects of the analysis of data from retrospective
    studies of disease. *JNCI*, 22, 719-748.
Nagelkerke, N. J. D. (1991). A note on a general definition of the coefficient of determination.
    *Biometrika*, 78, 691-692.
Phillips, A., & Holland, P. W. (1987). Estimators of the variance of the Mantel-Haenszel log-odds-
    ratio estimate. *Biometrics*, 43, 425-431.
Robins, J., Breslow, N., & Greenland, S. (1986). Estimators of the Mantel-Haenszel variance
    consistent in both sparse data and large-strata limiting models. *Biometrics*, 42, 311-323.
Swaminathan, H., & Rogers, H. J. (1990). Detecting differential item functioning using logistic
    regression procedures. *Journal of Educational Measurement*, 27, 361-370.
Zumbo, B. D. (1999). *A handbook on the theory and methods of differential item functioning
    (DIF)*. Ottawa: Department of National Defense.
Zwick, R. (2012). A review of ETS differential item functioning assessment procedures: Flagging
    rules, minimum sample size requirements, and criterion refinement. ETS RR-12-08.
Zwick, R., Thayer, D. T., & Mazzeo, J. (1997). Descriptive and inferential procedures for
    assessing differential item functioning in polytomous items. *Applied Measurement in
    Education*, 10, 321-344.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy import special, stats

from psychometrics.responses import NOT_PRESENTED, ResponseMatrix

__all__ = [
    "DIFResult",
    "ItemDIF",
    "LogisticFit",
    "MantelHaenszel",
    "dif_analysis",
    "ets_class",
    "fit_logistic",
    "fit_ordinal_logistic",
    "jodoin_gierl_class",
    "mantel_haenszel",
]

DELTA_SCALE = 2.35
"""MH D-DIF = -2.35 ln(alpha_MH): the ETS delta metric (Holland & Thayer 1988)."""


# --------------------------------------------------------------------------------------------
# Mantel-Haenszel on 2x2xK tables


@dataclass(frozen=True)
class MantelHaenszel:
    """Mantel-Haenszel statistics of a stack of 2x2 tables.

    Attributes
    ----------
    chi2, p
        Continuity-corrected MH chi-square (1 df) and its p-value.
    alpha
        MH common odds ratio (reference odds of success over focal odds).
    delta
        ``-2.35 ln(alpha)``; negative favors the reference group.
    delta_se
        Standard error of ``delta`` (Robins-Breslow-Greenland / Phillips-Holland).
    n_strata
        Strata with at least two persons (the ones that carry information).
    """

    chi2: float
    p: float
    alpha: float
    delta: float
    delta_se: float
    n_strata: int


def mantel_haenszel(tables: np.ndarray) -> MantelHaenszel:
    """Mantel-Haenszel test and common odds ratio of K 2x2 tables.

    Parameters
    ----------
    tables
        Array of shape ``(K, 2, 2)``: ``tables[k] = [[A, B], [C, D]]`` with rows reference /
        focal and columns right / wrong at score level k.

    Returns
    -------
    MantelHaenszel

    Notes
    -----
    ``alpha_MH = sum(A D / T) / sum(B C / T)``;
    ``chi2 = (|sum A - sum E(A)| - 0.5)^2 / sum Var(A)`` (0 when the difference is below 0.5, as
    in R's ``mantelhaen.test``) with ``E(A) = n_R m_1 / T`` and
    ``Var(A) = n_R n_F m_1 m_0 / (T^2 (T - 1))`` (strata with ``T < 2`` are left out);
    ``Var(ln alpha) = sum P R / (2 R+^2) + sum (P S + Q R) / (2 R+ S+) + sum Q S / (2 S+^2)`` with
    ``P = (A + D) / T``, ``Q = (B + C) / T``, ``R = A D / T``, ``S = B C / T``.

    References
    ----------
    Mantel & Haenszel (1959); Holland & Thayer (1988); Robins, Breslow & Greenland (1986);
    Phillips & Holland (1987) -- full entries in the module docstring.
    """
    t = np.asarray(tables, dtype=float)
    if t.ndim != 3 or t.shape[1:] != (2, 2):
        raise ValueError(f"tables must have shape (K, 2, 2), got {t.shape}")
    if np.any(t < 0) or not np.all(np.isfinite(t)):
        raise ValueError("tables must hold finite non-negative counts")
    a, b, c, d = t[:, 0, 0], t[:, 0, 1], t[:, 1, 0], t[:, 1, 1]
    return _mh_from_counts(a, b, c, d)


def _mh_from_counts(a, b, c, d) -> MantelHaenszel:
    total = a + b + c + d
    keep = total >= 2
    a, b, c, d, total = a[keep], b[keep], c[keep], d[keep], total[keep]
    n_r, n_f = a + b, c + d
    m1, m0 = a + c, b + d
    ea = n_r * m1 / total
    va = n_r * n_f * m1 * m0 / (total**2 * (total - 1))
    var_sum = va.sum()
    if var_sum > 0:
        chi2 = max(abs(a.sum() - ea.sum()) - 0.5, 0.0) ** 2 / var_sum
        p = float(stats.chi2.sf(chi2, 1))
    else:
        chi2, p = math.nan, math.nan
    r = a * d / total
    s = b * c / total
    rs, ss = r.sum(), s.sum()
    if rs > 0 and ss > 0:
        alpha = rs / ss
        pp = (a + d) / total
        qq = (b + c) / total
        var_ln = (
            (pp * r).sum() / (2 * rs**2)
            + (pp * s + qq * r).sum() / (2 * rs * ss)
            + (qq * s).sum() / (2 * ss**2)
        )
        delta = -DELTA_SCALE * math.log(alpha)
        delta_se = DELTA_SCALE * math.sqrt(var_ln)
    else:
        delta_se = math.nan
        if rs > 0:  # no B*C anywhere: the reference group always does better
            alpha, delta = math.inf, -math.inf
        elif ss > 0:
            alpha, delta = 0.0, math.inf
        else:
            alpha, delta = math.nan, math.nan
    return MantelHaenszel(
        chi2=float(chi2),
        p=p,
        alpha=float(alpha),
        delta=float(delta),
        delta_se=float(delta_se),
        n_strata=int(keep.sum()),
    )


def ets_class(delta: float, delta_se: float, p: float, *, alpha: float = 0.05) -> str | None:
    """ETS A/B/C category of an MH D-DIF value (Zwick 2012, ETS RR-12-08).

    A: the MH chi-square is not significant (``p >= alpha``) or ``|D| < 1``; C: otherwise, if
    ``|D| >= 1.5`` and ``(|D| - 1) / SE > z_{1-alpha}`` (significantly greater than 1,
    one-sided); B: the rest. The A condition comes first, as in Zwick's definitions: a sparse
    table whose D is large but whose MH chi-square is not significant is A, not C.
    Returns None when D or its SE is not finite.
    """
    if not (np.isfinite(delta) and np.isfinite(delta_se)):
        return None
    size = abs(delta)
    if size < 1.0 or not (np.isfinite(p) and p < alpha):
        return "A"
    z = stats.norm.ppf(1.0 - alpha)
    if size >= 1.5 and delta_se > 0 and (size - 1.0) / delta_se > z:
        return "C"
    return "B"


def jodoin_gierl_class(r2_delta: float, p: float, *, alpha: float = 0.05) -> str | None:
    """Jodoin & Gierl (2001) class of a Nagelkerke R-squared change (2-df test ``p``).

    A: not significant or ``dR2 < .035``; B: ``.035 <= dR2 <= .070``; C: ``dR2 > .070``.
    """
    if not (np.isfinite(r2_delta) and np.isfinite(p)):
        return None
    if p >= alpha or r2_delta < 0.035:
        return "A"
    return "B" if r2_delta <= 0.070 else "C"


# --------------------------------------------------------------------------------------------
# logistic regression


@dataclass(frozen=True)
class LogisticFit:
    """A fitted logistic regression.

    Attributes
    ----------
    coef
        Coefficients (in the order of the design columns).
    loglik
        Maximized log-likelihood.
    iterations
        Newton steps taken.
    converged
        Whether the convergence criterion was met.
    message
        Why it stopped.
    """

    coef: np.ndarray
    loglik: float
    iterations: int
    converged: bool
    message: str


def fit_logistic(
    x: np.ndarray, y: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10
) -> LogisticFit:
    """Maximum-likelihood logistic regression by Newton-Raphson (IRLS) with step halving.

    Parameters
    ----------
    x
        Design matrix ``(n, p)`` (include a column of ones for the intercept).
    y
        0/1 outcomes ``(n,)``.
    max_iter, tol
        Stop after ``max_iter`` steps, or when the log-likelihood improves by less than
        ``tol * (1 + |loglik|)`` and the largest step is below ``sqrt(tol)``.

    Returns
    -------
    LogisticFit
        ``converged=False`` (with a message) under separation or when the iteration limit is hit;
        the log-likelihood is then the best one reached, close to its supremum.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=float)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError("x must be (n, p) and y (n,)")
    return _fit_binomial(x, y, 1.0, max_iter=max_iter, tol=tol)


def _fit_binomial(x, y, trials, *, max_iter, tol) -> LogisticFit:
    """Newton-Raphson of a binomial logit: ``y`` successes of ``trials`` (1.0 for 0/1 data)
    at each design row; rows of persons with equal covariates give the same fit grouped."""
    beta = np.zeros(x.shape[1])

    def loglik(b):
        eta = x @ b
        return float(np.sum(y * eta - trials * np.logaddexp(0.0, eta)))

    ll = loglik(beta)
    for it in range(1, max_iter + 1):
        mu = special.expit(x @ beta)
        grad = x.T @ (y - trials * mu)
        hess = (x * (trials * mu * (1.0 - mu))[:, None]).T @ x
        try:
            step = np.linalg.solve(hess + 1e-12 * np.eye(x.shape[1]), grad)
        except np.linalg.LinAlgError:
            step = np.linalg.lstsq(hess, grad, rcond=None)[0]
        t = 1.0
        while True:
            cand = beta + t * step
            ll_new = loglik(cand)
            if ll_new >= ll - 1e-12 or t < 1e-10:
                break
            t *= 0.5
        gain = ll_new - ll
        beta, ll = cand, max(ll_new, ll)
        if np.max(np.abs(t * step)) < math.sqrt(tol) and abs(gain) <= tol * (1.0 + abs(ll)):
            return LogisticFit(beta, ll, it, True, "converged")
        if np.max(np.abs(beta)) > 50:
            return LogisticFit(beta, ll, it, False, "coefficients diverge (separation)")
    return LogisticFit(beta, ll, max_iter, False, f"no convergence in {max_iter} iterations")


def fit_ordinal_logistic(
    x: np.ndarray, y: np.ndarray, *, max_iter: int = 100, tol: float = 1e-10
) -> LogisticFit:
    """Proportional-odds (cumulative logit) regression by maximum likelihood.

    ``logit P(Y >= c | x) = tau_c + x beta`` for ``c = 1..K-1`` with ``tau_1 > ... > tau_{K-1}``
    (kept ordered by writing ``tau_c = tau_1 - sum_{m=2..c} exp(u_m)``), fitted by BFGS with the
    analytic gradient (:func:`scipy.optimize.minimize`).

    Parameters
    ----------
    x
        Predictors ``(n, p)`` without an intercept column (the thresholds play that role).
    y
        Categories ``0..K-1`` (every category should occur).
    max_iter, tol
        Iteration limit and gradient tolerance (``gtol = sqrt(tol)`` scaled by n).

    Returns
    -------
    LogisticFit
        ``coef`` = ``(tau_1..tau_{K-1}, beta)``; with K = 2 this is the binary logistic
        regression with intercept ``tau_1``.

    References
    ----------
    McCullagh, P. (1980). Regression models for ordinal data. *JRSS B*, 42, 109-142.
    Zumbo, B. D. (1999). *A handbook on the theory and methods of differential item functioning
    (DIF): Logistic regression modeling as a unitary framework for binary and Likert-type
    (ordinal) item scores*. Ottawa: Department of National Defense.
    """
    x = np.asarray(x, dtype=float)
    y = np.asarray(y, dtype=int)
    if x.ndim != 2 or y.shape != (x.shape[0],):
        raise ValueError("x must be (n, p) and y (n,)")
    k = int(y.max()) + 1
    if k < 2 or y.min() < 0:
        raise ValueError("y must hold categories 0..K-1 with K >= 2")
    return _fit_cumulative(x, y, 1.0, max_iter=max_iter, tol=tol)


def _fit_cumulative(x, y, weight, *, max_iter, tol) -> LogisticFit:
    """Proportional-odds fit of categories ``y`` observed ``weight`` times at each design row
    (1.0 for one person a row); the tolerance scales with the number of persons."""
    from scipy import optimize

    n, p = x.shape
    persons = float(np.sum(np.broadcast_to(weight, (n,))))
    k = int(y.max()) + 1
    m = k - 1
    # start: thresholds at the marginal cumulative logits, slopes 0
    cum = np.array([np.sum(weight * (y >= c)) / persons for c in range(1, k)])
    cum = np.clip(cum, 1e-4, 1 - 1e-4)
    tau0 = special.logit(cum)
    tau0 = np.minimum.accumulate(tau0 - np.arange(m) * 1e-3)
    start = np.concatenate([[tau0[0]], np.log(np.maximum(-np.diff(tau0), 1e-3)), np.zeros(p)])
    rows = np.arange(n)

    def unpack(theta):
        steps = np.exp(theta[1:m])
        tau = theta[0] - np.concatenate([[0.0], np.cumsum(steps)])
        return tau, steps, theta[m:]

    def negll(theta):
        tau, steps, beta = unpack(theta)
        eta = x @ beta
        # cumulative probabilities with the bounds P(Y >= 0) = 1, P(Y >= K) = 0
        cdf = np.column_stack([np.ones(n), special.expit(tau[None, :] + eta[:, None]), np.zeros(n)])
        dens = cdf * (1.0 - cdf)
        prob = np.maximum(cdf[rows, y] - cdf[rows, y + 1], 1e-300)
        ll = np.sum(weight * np.log(prob))
        # d log P / d (tau_c + eta) for the upper (c = y) and lower (c = y + 1) bounds
        g_up = weight * dens[rows, y] / prob
        g_lo = -weight * dens[rows, y + 1] / prob
        g_tau = np.zeros((n, m + 2))
        g_tau[rows, y] += g_up
        g_tau[rows, y + 1] += g_lo
        g_tau = g_tau[:, 1 : m + 1].sum(axis=0)  # per threshold tau_1..tau_m
        grad_beta = x.T @ (g_up + g_lo)
        grad_t1 = g_tau.sum()
        # tau_c depends on u_j (j = 2..c) with derivative -exp(u_j)
        tail = np.cumsum(g_tau[::-1])[::-1]  # tail[c] = sum of g_tau over thresholds >= c
        grad_u = -steps * tail[1:]
        grad = np.concatenate([[grad_t1], grad_u, grad_beta])
        return -ll, -grad

    res = optimize.minimize(
        negll,
        start,
        jac=True,
        method="BFGS",
        options={"maxiter": max_iter * 10, "gtol": math.sqrt(tol) * max(1.0, persons / 100)},
    )
    tau, _, beta = unpack(res.x)
    coef = np.concatenate([tau, beta])
    ok = bool(res.success) or (
        res.status == 2 and np.max(np.abs(negll(res.x)[1])) < 1e-4 * max(1.0, persons / 100)
    )
    message = "converged" if ok else f"ordinal fit: {res.message}"
    return LogisticFit(coef, float(-res.fun), int(res.nit), ok, message)


def _nagelkerke(ll_model: float, ll_null: float, n: int) -> float:
    """Nagelkerke (1991) R-squared: Cox-Snell R2 divided by its maximum."""
    cs = 1.0 - math.exp(2.0 * (ll_null - ll_model) / n)
    top = 1.0 - math.exp(2.0 * ll_null / n)
    return cs / top if top > 0 else math.nan


# --------------------------------------------------------------------------------------------
# the screening


@dataclass(frozen=True)
class ItemDIF:
    """DIF statistics of one item.

    Attributes
    ----------
    item_id
        The item.
    polytomous
        True for an item with scores above 1 (Mantel / SMD instead of MH; ordinal logistic
        regression).
    n_reference, n_focal
        Persons of each group who saw the item.
    mh_chi2, mh_p
        MH chi-square (continuity corrected) and p for 0/1 items; Mantel's chi-square and p for
        polytomous items.
    mh_alpha, mh_delta, mh_delta_se
        Common odds ratio, MH D-DIF and its SE (0/1 items; NaN otherwise).
    ets_class
        ``A``/``B``/``C`` (0/1 items) or ``AA``/``BB``/``CC`` (polytomous); None when not
        classified (see ``note``).
    favors
        ``"reference"``, ``"focal"`` or None (no difference), from the sign of D (or SMD).
    smd, smd_effect
        Standardized mean difference (focal minus reference, focal weights) and SMD / SD.
    lr_chi2_uniform, lr_p_uniform, lr_chi2_nonuniform, lr_p_nonuniform, lr_chi2, lr_p
        Likelihood-ratio tests: uniform (1 df), non-uniform (1 df), combined (2 df).
    lr_r2_delta, lr_r2_delta_uniform, lr_r2_delta_nonuniform
        Nagelkerke R-squared changes: model 3 - 1, 2 - 1, 3 - 2.
    lr_class
        Jodoin-Gierl ``A``/``B``/``C``; None when not classified.
    lr_converged
        All three logistic fits converged.
    note
        Why an item was not classified or other caveats; empty when none.
    """

    item_id: str
    polytomous: bool
    n_reference: int
    n_focal: int
    mh_chi2: float
    mh_p: float
    mh_alpha: float
    mh_delta: float
    mh_delta_se: float
    ets_class: str | None
    favors: str | None
    smd: float
    smd_effect: float
    lr_chi2_uniform: float
    lr_p_uniform: float
    lr_chi2_nonuniform: float
    lr_p_nonuniform: float
    lr_chi2: float
    lr_p: float
    lr_r2_delta: float
    lr_r2_delta_uniform: float
    lr_r2_delta_nonuniform: float
    lr_class: str | None
    lr_converged: bool
    note: str


@dataclass(frozen=True)
class DIFResult:
    """Result of :func:`dif_analysis`.

    Attributes
    ----------
    items
        Per-item DIF statistics.
    focal, reference
        The two group values compared.
    n_focal, n_reference
        Persons in each group.
    matching
        ``"total"`` or ``"rest"``.
    purified
        Whether two-stage purification was run.
    mh_removed, lr_removed
        Items dropped from the MH and LR matching scores in stage 2 (empty without purification).
    alpha
        Significance level of every test.
    min_focal, min_reference
        Minimum group sizes for classification.
    blocks
        Block (form) labels the matching was done within; empty when not blocked.
    """

    items: tuple[ItemDIF, ...]
    focal: str
    reference: str
    n_focal: int
    n_reference: int
    matching: str
    purified: bool
    mh_removed: tuple[str, ...]
    lr_removed: tuple[str, ...]
    alpha: float
    min_focal: int
    min_reference: int
    blocks: tuple[str, ...] = ()

    def item(self, item_id: str) -> ItemDIF:
        """The statistics of one item by id."""
        for it in self.items:
            if it.item_id == item_id:
                return it
        raise KeyError(item_id)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def dif_analysis(
    responses: ResponseMatrix | np.ndarray,
    groups: Sequence[str] | np.ndarray,
    *,
    focal: str,
    reference: str,
    item_ids: Sequence[str] | None = None,
    blocks: Sequence[str] | np.ndarray | None = None,
    matching: str = "total",
    purify: bool = False,
    purify_classes: Sequence[str] = ("B", "C", "BB", "CC"),
    min_focal: int = 100,
    min_reference: int = 100,
    alpha: float = 0.05,
    logistic: bool = True,
    max_iter: int = 100,
    tol: float = 1e-10,
) -> DIFResult:
    """Screen items for DIF with Mantel-Haenszel and logistic regression.

    Parameters
    ----------
    responses
        A :class:`~psychometrics.responses.ResponseMatrix` or an ``(n_persons, n_items)`` score
        array (NaN or -1 = not presented).
    groups
        Group value of every person (persons in neither group are left out).
    focal, reference
        The group values to compare.
    item_ids
        Item labels when ``responses`` is an array.
    blocks
        Optional block (form) label of every person, for data pooled over forms whose total
        scores are not on one scale: the MH / Mantel / SMD strata become (block, matching score),
        and the logistic models get one intercept per block with the matching score
        standardized within block.
    matching
        ``"total"`` (anchor sum including the studied item) or ``"rest"`` (excluding it).
    purify
        Run the two-stage purification of the matching score.
    purify_classes
        Stage-1 classes whose items leave the matching score in stage 2.
    min_focal, min_reference
        Minimum persons of each group who saw an item before it is classified.
    alpha
        Significance level of the tests in the classification rules.
    logistic
        Also run logistic-regression DIF (0/1 items).
    max_iter, tol
        Newton-Raphson limits of the logistic fits (see :func:`fit_logistic`).

    Returns
    -------
    DIFResult

    Raises
    ------
    ValueError
        Bad shapes, an unknown ``matching``, ``focal == reference``, or a group value that does
        not occur in ``groups`` (the message lists the values present).

    Warns
    -----
    RuntimeWarning
        When a logistic fit does not converge (usually separation in a small group).
    """
    scores, items = _scores_and_ids(responses, item_ids)
    g = np.asarray(groups).astype(str)
    if g.shape != (scores.shape[0],):
        raise ValueError(
            f"groups must have one value per person ({scores.shape[0]}), got {g.shape}"
        )
    focal, reference = str(focal), str(reference)
    if focal == reference:
        raise ValueError("focal and reference must be different group values")
    present = sorted(set(g.tolist()))
    for name, value in (("focal", focal), ("reference", reference)):
        if value not in present:
            shown = ", ".join(repr(v) for v in present[:10])
            raise ValueError(f"{name} group {value!r} does not occur in groups (values: {shown})")
    if matching not in ("total", "rest"):
        raise ValueError(f"matching must be 'total' or 'rest', got {matching!r}")
    if not 0.0 < alpha < 1.0:
        raise ValueError("alpha must be in (0, 1)")
    if min_focal < 0 or min_reference < 0:
        raise ValueError("min_focal and min_reference must be >= 0")

    block_codes = None
    if blocks is not None:
        bl = np.asarray(blocks).astype(str)
        if bl.shape != g.shape:
            raise ValueError(f"blocks must have one label per person ({g.size}), got {bl.shape}")

    in_groups = (g == focal) | (g == reference)
    block_labels: tuple[str, ...] = ()
    if blocks is not None:
        labels, block_codes = np.unique(bl[in_groups], return_inverse=True)
        block_labels = tuple(str(v) for v in labels)
    # the scores keep their compact integer type: every item is studied one column at a time
    x = scores if in_groups.all() else scores[in_groups]
    is_focal = g[in_groups] == focal
    poly = x.max(axis=0, initial=0) > 1

    settings = dict(
        focal_mask=is_focal,
        block_codes=block_codes,
        matching=matching,
        min_focal=min_focal,
        min_reference=min_reference,
        alpha=alpha,
        logistic=logistic,
        max_iter=max_iter,
        tol=tol,
    )
    all_items = np.ones(len(items), dtype=bool)
    stage = _screen(x, poly, items, anchor_mh=all_items, anchor_lr=all_items, **settings)
    mh_removed: tuple[str, ...] = ()
    lr_removed: tuple[str, ...] = ()
    if purify:
        classes = set(purify_classes)
        drop_mh = np.array([it.ets_class in classes for it in stage], dtype=bool)
        drop_lr = np.array([it.lr_class in classes for it in stage], dtype=bool)
        mh_removed = tuple(i for i, d in zip(items, drop_mh, strict=True) if d)
        lr_removed = tuple(i for i, d in zip(items, drop_lr, strict=True) if d)
        if drop_mh.any() or drop_lr.any():
            stage = _screen(x, poly, items, anchor_mh=~drop_mh, anchor_lr=~drop_lr, **settings)
    return DIFResult(
        items=tuple(stage),
        focal=focal,
        reference=reference,
        n_focal=int(is_focal.sum()),
        n_reference=int((~is_focal).sum()),
        matching=matching,
        purified=bool(purify),
        mh_removed=mh_removed,
        lr_removed=lr_removed,
        alpha=alpha,
        min_focal=min_focal,
        min_reference=min_reference,
        blocks=block_labels,
    )


def _scores_and_ids(responses, item_ids):
    if isinstance(responses, ResponseMatrix):
        return np.asarray(responses.scores), list(responses.item_ids)
    arr = np.array(responses, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"responses must be 2-D (persons x items), got shape {arr.shape}")
    miss = np.isnan(arr) | (arr == NOT_PRESENTED)
    ok = arr[~miss]
    if np.any((ok < 0) | (ok != np.round(ok))):
        raise ValueError("responses must be non-negative integer scores, NaN or -1")
    out = np.where(miss, NOT_PRESENTED, arr).astype(np.int64)
    ids = list(item_ids) if item_ids is not None else [f"item{j + 1}" for j in range(arr.shape[1])]
    if len(ids) != arr.shape[1]:
        raise ValueError("item_ids must have one label per column of responses")
    return out, ids


def _anchor_sums(x, anchor, chunk_rows: int = 65_536):
    """Sum of every person's presented anchor-item scores (float, exact: integer sums), computed
    over blocks of rows so that no float copy of the score matrix is made."""
    out = np.zeros(x.shape[0])
    cols = np.flatnonzero(anchor)
    for start in range(0, x.shape[0], chunk_rows):
        block = x[start : start + chunk_rows][:, cols]
        out[start : start + chunk_rows] = np.where(block > 0, block, 0).sum(axis=1, dtype=float)
    return out


def _matching_score(a, y, in_anchor, matching):
    """Matching score for one studied item of the persons who saw it: the anchor sum ``a`` plus
    the item's own score ``y`` when it is outside the anchor (total), or minus it when it is
    inside (rest)."""
    if matching == "total":
        return a + y * (not in_anchor)
    return a - y * in_anchor


def _screen(
    x,
    poly,
    items,
    *,
    anchor_mh,
    anchor_lr,
    focal_mask,
    block_codes,
    matching,
    min_focal,
    min_reference,
    alpha,
    logistic,
    max_iter,
    tol,
):
    a_mh = _anchor_sums(x, anchor_mh)
    a_lr = a_mh if np.array_equal(anchor_mh, anchor_lr) else _anchor_sums(x, anchor_lr)
    out = []
    for j, item in enumerate(items):
        col = x[:, j]
        sel = col != NOT_PRESENTED
        y = col[sel].astype(float)
        f = focal_mask[sel]
        s_mh = _matching_score(a_mh[sel], y, anchor_mh[j], matching)
        blk = None if block_codes is None else block_codes[sel]
        n_f, n_r = int(f.sum()), int((~f).sum())
        notes = []
        small = n_f < min_focal or n_r < min_reference
        if small:
            notes.append(
                f"not classified: {n_f} focal (min {min_focal}), {n_r} reference "
                f"(min {min_reference})"
            )
        if poly[j]:
            res = _polytomous(y, f, _blocked(s_mh, blk), alpha=alpha)
            res["note"] = ""
        else:
            res = _binary_mh(y, f, _blocked(s_mh, blk), alpha=alpha)
        cls = None if small else res["ets_class"]
        if res["note"]:
            notes.append(res["note"])
        if logistic:
            lr = _lr_dif(
                y,
                f,
                s_mh if a_lr is a_mh else _matching_score(a_lr[sel], y, anchor_lr[j], matching),
                blk,
                alpha=alpha,
                max_iter=max_iter,
                tol=tol,
                ordinal=bool(poly[j]),
            )
            if lr["note"]:
                notes.append(lr["note"])
                if not lr["lr_converged"]:
                    warnings.warn(f"DIF {item}: {lr['note']}", RuntimeWarning, stacklevel=3)
            if small:
                lr["lr_class"] = None
        else:
            lr = _empty_lr()
        lr.pop("note", None)
        res.pop("note", None)
        res["ets_class"] = cls
        out.append(
            ItemDIF(
                item_id=item,
                polytomous=bool(poly[j]),
                n_reference=n_r,
                n_focal=n_f,
                note="; ".join(notes),
                **res,
                **lr,
            )
        )
    return out


def _blocked(s, blk):
    """Stratum key of (block, score): distinct for every pair (scores are integers >= 0)."""
    if blk is None:
        return s
    return blk * (float(s.max(initial=0.0)) + 1.0) + s


def _codes(values):
    """``np.unique(values, return_inverse=True)``, by counting when the values are small
    non-negative integers (matching scores, item scores, cell numbers): one pass instead of a
    sort of all persons, for every item."""
    values = np.asarray(values)
    if values.size == 0 or values.min() < 0 or values.max() > 4 * values.size + 1024:
        return np.unique(values, return_inverse=True)
    whole = values.astype(np.int64)
    if not np.array_equal(whole, values):
        return np.unique(values, return_inverse=True)
    seen = np.bincount(whole) > 0
    return np.flatnonzero(seen).astype(values.dtype), (np.cumsum(seen) - 1)[whole]


def _strata(s):
    _, k = _codes(s)
    return k, int(k.max()) + 1 if k.size else 0


def _binary_mh(y, f, s, *, alpha):
    k, n_k = _strata(s)
    ref = ~f
    a = np.bincount(k, weights=(ref & (y == 1)), minlength=n_k)
    b = np.bincount(k, weights=(ref & (y == 0)), minlength=n_k)
    c = np.bincount(k, weights=(f & (y == 1)), minlength=n_k)
    d = np.bincount(k, weights=(f & (y == 0)), minlength=n_k)
    mh = _mh_from_counts(a, b, c, d)
    cls = ets_class(mh.delta, mh.delta_se, mh.p, alpha=alpha)
    note = "" if cls is not None else "MH D-DIF undefined (an empty margin in every stratum)"
    favors = None
    if mh.alpha > 1:
        favors = "reference"
    elif mh.alpha < 1:
        favors = "focal"
    smd, es = _smd(y, f, k, n_k)
    return dict(
        mh_chi2=mh.chi2,
        mh_p=mh.p,
        mh_alpha=mh.alpha,
        mh_delta=mh.delta,
        mh_delta_se=mh.delta_se,
        ets_class=cls,
        favors=favors,
        smd=smd,
        smd_effect=es,
        note=note,
    )


def _smd(y, f, k, n_k):
    """Standardized mean difference with focal weights over strata holding both groups."""
    nf = np.bincount(k, weights=f, minlength=n_k)
    nr = np.bincount(k, weights=~f, minlength=n_k)
    sf = np.bincount(k, weights=y * f, minlength=n_k)
    sr = np.bincount(k, weights=y * (~f), minlength=n_k)
    both = (nf > 0) & (nr > 0)
    if not both.any():
        return math.nan, math.nan
    w = nf[both] / nf[both].sum()
    smd = float(np.sum(w * (sf[both] / nf[both] - sr[both] / nr[both])))
    sd = float(np.std(y, ddof=1)) if y.size > 1 else math.nan
    return smd, (smd / sd if sd > 0 else math.nan)


def _polytomous(y, f, s, *, alpha):
    """Mantel (1963) chi-square for ordered scores and SMD with the ETS AA/BB/CC rule."""
    k, n_k = _strata(s)
    t = np.bincount(k, minlength=n_k).astype(float)
    nf = np.bincount(k, weights=f, minlength=n_k)
    nr = t - nf
    sum_f = np.bincount(k, weights=y * f, minlength=n_k)
    sum_y = np.bincount(k, weights=y, minlength=n_k)
    sum_y2 = np.bincount(k, weights=y * y, minlength=n_k)
    keep = t >= 2
    e = nf[keep] * sum_y[keep] / t[keep]
    v = (
        nr[keep]
        * nf[keep]
        * (t[keep] * sum_y2[keep] - sum_y[keep] ** 2)
        / (t[keep] ** 2 * (t[keep] - 1))
    )
    if v.sum() > 0:
        chi2 = float((sum_f[keep].sum() - e.sum()) ** 2 / v.sum())
        p = float(stats.chi2.sf(chi2, 1))
    else:
        chi2, p = math.nan, math.nan
    smd, es = _smd(y, f, k, n_k)
    cls = None
    if np.isfinite(es) and np.isfinite(p):
        cls = "AA"
        if p < alpha and abs(es) > 0.25:
            cls = "CC"
        elif p < alpha and abs(es) > 0.17:
            cls = "BB"
    favors = None if not np.isfinite(smd) or smd == 0 else ("focal" if smd > 0 else "reference")
    return dict(
        mh_chi2=chi2,
        mh_p=p,
        mh_alpha=math.nan,
        mh_delta=math.nan,
        mh_delta_se=math.nan,
        ets_class=cls,
        favors=favors,
        smd=smd,
        smd_effect=es,
    )


def _empty_lr():
    return dict(
        lr_chi2_uniform=math.nan,
        lr_p_uniform=math.nan,
        lr_chi2_nonuniform=math.nan,
        lr_p_nonuniform=math.nan,
        lr_chi2=math.nan,
        lr_p=math.nan,
        lr_r2_delta=math.nan,
        lr_r2_delta_uniform=math.nan,
        lr_r2_delta_nonuniform=math.nan,
        lr_class=None,
        lr_converged=False,
    )


def _lr_dif(y, f, s, blk=None, *, alpha, max_iter, tol, ordinal=False):
    """Logistic-regression DIF of one item: binary (Swaminathan & Rogers 1990) or, for a
    polytomous item, proportional-odds ordinal (Zumbo 1999)."""
    out = _empty_lr()
    n = y.size
    levels, yk = _codes(y)
    counts = np.bincount(yk)
    if n < 3 or levels.size < 2:
        out["note"] = "logistic regression not run: the item score has no variance"
        return out
    if blk is not None:
        _, blk = np.unique(blk, return_inverse=True)
    if blk is None or blk.max() == 0:
        sd = s.std()
        z = (s - s.mean()) / sd if sd > 0 else np.zeros_like(s)
        blk = np.zeros(n, dtype=np.int64)
        n_blocks = 1
    else:  # one intercept per block, matching score standardized within block
        nb = np.bincount(blk).astype(float)
        mean = np.bincount(blk, weights=s) / nb
        var = np.maximum(np.bincount(blk, weights=s * s) / nb - mean**2, 0.0)
        sd = np.sqrt(var)
        z = (s - mean[blk]) / np.where(sd > 0, sd, 1.0)[blk]
        n_blocks = nb.size
    # yk: the categories that occur, renumbered 0..K-1 (empty ones carry no information)
    # The likelihood depends on a person only through (block, matching score, group, score):
    # the models are fitted to those cells with their counts, a few hundred rows however many
    # persons (z is a function of block and matching score, so one z per cell).
    _, s_code = _codes(s)
    cell = ((blk * (int(s_code.max()) + 1) + s_code) * 2 + f) * levels.size + yk
    per_cell = np.bincount(cell)
    cells = np.flatnonzero(per_cell)
    member = np.empty(per_cell.size, dtype=np.int64)
    member[cell] = np.arange(n)  # any person of a cell: they share z, group, block and score
    first = member[cells]
    weight = per_cell[cells].astype(float)
    z, gf, blk, yk = z[first], f[first].astype(float), blk[first], yk[first]
    intercepts = (blk[:, None] == np.arange(n_blocks)[None, :]).astype(float)
    designs = ((z,), (z, gf), (z, gf, z * gf))
    if ordinal:
        # the thresholds are the first block's intercepts, the other blocks get shifts
        fits = [
            _fit_cumulative(
                np.column_stack((intercepts[:, 1:], *cols)),
                yk,
                weight,
                max_iter=max_iter,
                tol=tol,
            )
            for cols in designs
        ]
    else:
        fits = [
            _fit_binomial(
                np.column_stack((intercepts, *cols)),
                weight * yk,
                weight,
                max_iter=max_iter,
                tol=tol,
            )
            for cols in designs
        ]
    ll0 = float(np.sum(counts * np.log(counts / n)))
    l1, l2, l3 = (fit.loglik for fit in fits)
    r1, r2, r3 = (_nagelkerke(ll, ll0, n) for ll in (l1, l2, l3))
    chi_u = max(2.0 * (l2 - l1), 0.0)
    chi_n = max(2.0 * (l3 - l2), 0.0)
    chi_c = max(2.0 * (l3 - l1), 0.0)
    out.update(
        lr_chi2_uniform=chi_u,
        lr_p_uniform=float(stats.chi2.sf(chi_u, 1)),
        lr_chi2_nonuniform=chi_n,
        lr_p_nonuniform=float(stats.chi2.sf(chi_n, 1)),
        lr_chi2=chi_c,
        lr_p=float(stats.chi2.sf(chi_c, 2)),
        lr_r2_delta=r3 - r1,
        lr_r2_delta_uniform=r2 - r1,
        lr_r2_delta_nonuniform=r3 - r2,
        lr_converged=all(fit.converged for fit in fits),
    )
    out["lr_class"] = jodoin_gierl_class(out["lr_r2_delta"], out["lr_p"], alpha=alpha)
    bad = [f"model {m + 1}: {fit.message}" for m, fit in enumerate(fits) if not fit.converged]
    out["note"] = "logistic fit did not converge (" + "; ".join(bad) + ")" if bad else ""
    return out
