"""Observed-score equating: random groups and the nonequivalent groups with anchor test (NEAT).

Scores are integers on ``0..K``; the inputs are frequency tables (see :func:`frequencies` and
:func:`bivariate_frequencies`), as in Kolen and Brennan (2014) and the R package ``equate``:

- random groups (:func:`equate_random_groups`): ``mean``, ``linear`` and ``equipercentile``
  (percentile-rank continuization), with optional log-linear presmoothing
  (:func:`loglinear_presmooth`) and analytic standard errors;
- NEAT (:func:`equate_neat`, anchor internal or external): ``tucker``, ``levine`` (observed
  score), ``levine_true``, ``chained_linear``, ``frequency_estimation`` and
  ``chained_equipercentile``, on a synthetic population ``w1 P + (1 - w1) Q``;
- bootstrap standard errors of any of them (:func:`bootstrap_se`).

The IRT true-score and observed-score tables live in :mod:`psychometrics.equating`.

References
----------
Kolen, M. J., & Brennan, R. L. (2014). *Test Equating, Scaling, and Linking* (3rd ed.).
    Springer. (ch. 2 equipercentile and percentile ranks; ch. 3 log-linear presmoothing;
    ch. 4-5 Tucker, Levine, frequency estimation, chained; ch. 7 standard errors.)
Holland, P. W., & Thayer, D. T. (2000). Univariate and bivariate loglinear models for discrete
    test score distributions. *Journal of Educational and Behavioral Statistics*, 25, 133-183.
Albano, A. D. (2016). equate: An R package for observed-score linking and equating. *Journal
    of Statistical Software*, 74(8), 1-36.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

__all__ = [
    "NEAT_METHODS",
    "RANDOM_GROUPS_METHODS",
    "ObservedEquating",
    "bivariate_frequencies",
    "bootstrap_se",
    "equate_neat",
    "equate_random_groups",
    "frequencies",
    "loglinear_presmooth",
    "percentile_ranks",
]

RANDOM_GROUPS_METHODS = ("mean", "linear", "equipercentile")
NEAT_METHODS = (
    "tucker",
    "levine",
    "levine_true",
    "chained_linear",
    "frequency_estimation",
    "chained_equipercentile",
)


@dataclass(frozen=True)
class ObservedEquating:
    """Form-Y equivalents of the form-X score points.

    Attributes
    ----------
    method, design
        The equating method and ``"random_groups"`` or ``"neat"``.
    scores
        Form-X score points ``0..K_X``.
    equated
        Their form-Y equivalents (the conversion table).
    se
        Analytic standard errors per score point (None where no closed form is used).
    slope, intercept
        Of a linear method (None for equipercentile methods).
    w1
        Weight of the population taking X in the synthetic population (NEAT), else None.
    smoothing
        ``"none"`` or ``"loglinear"`` with its degrees, e.g. ``"loglinear (4, 2)"``.
    synthetic
        NEAT: mean and standard deviation of X and Y in the synthetic population
        (``{"x": (mean, sd), "y": (mean, sd)}``); None otherwise.
    """

    method: str
    design: str
    scores: np.ndarray
    equated: np.ndarray
    se: np.ndarray | None = None
    slope: float | None = None
    intercept: float | None = None
    w1: float | None = None
    smoothing: str = "none"
    synthetic: dict[str, tuple[float, float]] | None = None

    def convert(self, x) -> np.ndarray:
        """Y equivalents of any X scores (linear methods exactly; others by interpolation)."""
        x = np.asarray(x, dtype=float)
        if self.slope is not None and self.intercept is not None:
            return self.intercept + self.slope * x
        return np.interp(x, self.scores, self.equated)

    def to_dict(self) -> dict:
        return {
            "method": self.method,
            "design": self.design,
            "scores": self.scores.tolist(),
            "equated": self.equated.tolist(),
            "se": None if self.se is None else self.se.tolist(),
            "slope": self.slope,
            "intercept": self.intercept,
            "w1": self.w1,
            "smoothing": self.smoothing,
            "synthetic": self.synthetic,
        }


# --------------------------------------------------------------------------------------------
# Frequency tables
# --------------------------------------------------------------------------------------------


def frequencies(scores, *, max_score: int) -> np.ndarray:
    """Counts of the integer scores ``0..max_score``; ValueError names bad scores."""
    s = _integer_scores(scores, "scores", max_score)
    return np.bincount(s, minlength=max_score + 1).astype(float)


def bivariate_frequencies(total, anchor, *, max_total: int, max_anchor: int) -> np.ndarray:
    """Counts of (total, anchor) pairs, shape ``(max_total + 1, max_anchor + 1)``."""
    t = _integer_scores(total, "total", max_total)
    v = _integer_scores(anchor, "anchor", max_anchor)
    if t.shape != v.shape:
        raise ValueError("total, anchor: expected one anchor score per total score")
    table = np.zeros((max_total + 1, max_anchor + 1))
    np.add.at(table, (t, v), 1.0)
    return table


def _integer_scores(scores, name: str, max_score: int) -> np.ndarray:
    if not isinstance(max_score, int | np.integer) or max_score < 1:
        raise ValueError(f"max_score: must be a positive integer, got {max_score!r}")
    s = np.asarray(scores, dtype=float).reshape(-1)
    if s.size == 0:
        raise ValueError(f"{name}: no scores")
    if not np.all(np.isfinite(s)) or np.any(s != np.round(s)) or s.min() < 0 or s.max() > max_score:
        raise ValueError(f"{name}: scores must be integers in 0..{max_score}")
    return s.astype(np.int64)


def _check_freq(freq, name: str, ndim: int) -> np.ndarray:
    f = np.asarray(freq, dtype=float)
    if f.ndim != ndim or min(f.shape) < 2:
        raise ValueError(f"{name}: expected a {ndim}-D frequency table with 2+ score points")
    if not np.all(np.isfinite(f)) or np.any(f < 0) or f.sum() <= 0:
        raise ValueError(f"{name}: frequencies must be finite, non-negative and not all zero")
    return f


# --------------------------------------------------------------------------------------------
# Log-linear presmoothing
# --------------------------------------------------------------------------------------------


def loglinear_presmooth(freq, *, degrees=(4, 2), max_iter: int = 200, tol: float = 1e-12):
    """Smoothed frequencies from a polynomial log-linear model (Poisson maximum likelihood).

    Parameters
    ----------
    freq
        Counts: 1-D over ``0..K``, or 2-D over (total, anchor).
    degrees
        1-D: the polynomial degree (an int, or the first entry of a pair). 2-D:
        ``(main, interaction)``: powers ``1..main`` of each score and the products
        ``x^i v^j`` with ``1 <= i, j <= interaction`` (``equate``'s default ``list(4, 2, 2)``
        is ``(4, 2)``).
    max_iter, tol
        Newton iterations and the convergence tolerance on the relative change of the
        log-likelihood gradient (the fitted moments).

    Returns
    -------
    numpy.ndarray
        Fitted counts of the same shape; they keep the total and the first ``degree``
        moments (and the cross moments) of ``freq``.

    References
    ----------
    Holland, P. W., & Thayer, D. T. (2000). Univariate and bivariate loglinear models for
        discrete test score distributions. *JEBS*, 25, 133-183.
    """
    f = np.asarray(freq, dtype=float)
    f = _check_freq(f, "freq", f.ndim if f.ndim in (1, 2) else 1)
    if np.ndim(degrees) == 0:
        degrees = (int(degrees), 0)
    main, inter = (int(d) for d in degrees)
    if main < 1 or inter < 0:
        raise ValueError("degrees: main degree >= 1 and interaction degree >= 0")
    if f.ndim == 1:
        x = np.arange(f.size, dtype=float)
        columns = [x**k for k in range(1, main + 1)]
    else:
        xg, vg = np.meshgrid(
            np.arange(f.shape[0], dtype=float), np.arange(f.shape[1], dtype=float), indexing="ij"
        )
        x, v = xg.reshape(-1), vg.reshape(-1)
        columns = [x**k for k in range(1, main + 1)] + [v**k for k in range(1, main + 1)]
        columns += [x**i * v**j for i in range(1, inter + 1) for j in range(1, inter + 1)]
    counts = f.reshape(-1)
    design = np.column_stack([np.ones(counts.size), *columns])
    # an orthonormal basis of the same column space: same fit, well-conditioned Newton steps
    q, r = np.linalg.qr(design / np.abs(design).max(axis=0))
    keep = np.abs(np.diag(r)) > 1e-10 * np.abs(np.diag(r)).max()
    basis = q[:, keep]
    beta = np.zeros(basis.shape[1])
    eta0 = np.log(counts.mean())
    beta = np.linalg.lstsq(basis, np.full(counts.size, eta0), rcond=None)[0]
    target = basis.T @ counts
    scale = np.abs(target).max()

    def loglik(b):
        eta = basis @ b
        return float(counts @ eta - np.exp(eta).sum())

    current = loglik(beta)
    for _ in range(max_iter):
        m = np.exp(basis @ beta)
        grad = target - basis.T @ m
        if np.abs(grad).max() <= tol * scale:
            break
        hess = basis.T @ (basis * m[:, None])
        step = np.linalg.solve(hess, grad)
        t = 1.0
        while t > 1e-8:
            trial = beta + t * step
            value = loglik(trial)
            if np.isfinite(value) and value >= current - 1e-12 * abs(current):
                beta, current = trial, value
                break
            t /= 2
        else:
            break
    return np.exp(basis @ beta).reshape(f.shape)


# --------------------------------------------------------------------------------------------
# Percentile ranks and the equipercentile function
# --------------------------------------------------------------------------------------------


def percentile_ranks(freq) -> np.ndarray:
    """Percentile ranks (as proportions) of the integer score points: ``F(x - 1) + f(x) / 2``."""
    f = np.asarray(freq, dtype=float)
    p = f / f.sum()
    return np.cumsum(p) - p / 2


def _pr_of(x: np.ndarray, freq: np.ndarray) -> np.ndarray:
    """Percentile rank of (possibly non-integer) scores ``x`` on the score scale of ``freq``."""
    p = freq / freq.sum()
    cum = np.concatenate([[0.0], np.cumsum(p)])  # cum[k] = F(k - 1)
    xs = np.floor(x + 0.5).astype(np.int64)
    upper = cum[np.clip(xs + 1, 0, p.size)]
    lower = cum[np.clip(xs, 0, p.size)]
    return lower + (x - (xs - 0.5)) * (upper - lower)


def _inverse_pr(prank: np.ndarray, freq: np.ndarray) -> np.ndarray:
    """Y scores with percentile rank ``prank`` (K&B eq. 2.18, upper and lower versions
    averaged where Y has empty score points, as ``equate`` does)."""
    p = freq / freq.sum()
    k_max = p.size - 1
    fy = np.round(np.cumsum(p), 10)
    prank = np.round(np.asarray(prank, dtype=float), 10)
    out = np.empty(prank.shape)
    out[prank <= 0] = -0.5
    out[prank >= 1] = k_max + 0.5
    inside = (prank > 0) & (prank < 1)
    q = prank[inside]
    # upper: the smallest score with F(y) > q
    u = np.searchsorted(fy, q, side="right")
    below = np.where(u > 0, fy[np.maximum(u - 1, 0)], 0.0)
    upper = u - 0.5 + (q - below) / (fy[u] - below)
    if np.any(p == 0):
        # lower: the largest score with F(y - 1) < q, i.e. F(l) < q <= F(l + 1)
        lo = np.searchsorted(fy, q, side="left") - 1
        valid = lo >= 0
        lower = upper.copy()
        li = lo[valid]
        lower[valid] = li + 0.5 + (q[valid] - fy[li]) / (fy[li + 1] - fy[li])
        upper = (upper + lower) / 2
    out[inside] = upper
    return out


def _equipercentile(fx: np.ndarray, fy: np.ndarray) -> np.ndarray:
    return _inverse_pr(percentile_ranks(fx), fy)


def _equipercentile_se(fx: np.ndarray, fy: np.ndarray) -> np.ndarray:
    """Analytic SE of random-groups equipercentile equating (K&B eq. 7.18; Lord, 1982)."""
    nx, ny = fx.sum(), fy.sum()
    q = np.round(percentile_ranks(fx), 10)
    cum = np.round(np.cumsum(fy / ny), 10)
    se = np.zeros(q.size)
    inside = (q > 0) & (q < 1)
    u = np.searchsorted(cum, q[inside], side="right")
    gm = np.where(u > 0, cum[np.maximum(u - 1, 0)], 0.0)
    g0 = cum[u] - gm
    qi = q[inside]
    var = (1 - qi) * qi / (nx * g0**2) + (gm - qi**2 + (qi - gm) ** 2 / g0) / (ny * g0**2)
    se[inside] = np.sqrt(np.maximum(var, 0.0))
    return se


# --------------------------------------------------------------------------------------------
# Moments of frequency tables (``equate``'s n - 1 convention)
# --------------------------------------------------------------------------------------------


def _moments(freq: np.ndarray) -> tuple[float, float]:
    s = np.arange(freq.size, dtype=float)
    n = freq.sum()
    mean = float(freq @ s / n)
    var = float((freq @ (s * s) - n * mean**2) / (n - 1))
    return mean, var


def _bivariate_moments(table: np.ndarray):
    """Means and variances of total and anchor and their covariance."""
    t = np.arange(table.shape[0], dtype=float)
    v = np.arange(table.shape[1], dtype=float)
    n = table.sum()
    mt, vt = _moments(table.sum(axis=1))
    mv, vv = _moments(table.sum(axis=0))
    cov = float((t @ table @ v - n * mt * mv) / (n - 1))
    return mt, vt, mv, vv, cov


# --------------------------------------------------------------------------------------------
# Random groups
# --------------------------------------------------------------------------------------------


def equate_random_groups(
    x_freq,
    y_freq,
    *,
    method: str = "equipercentile",
    smoothing: str = "none",
    degree: int = 4,
) -> ObservedEquating:
    """Equate form X to form Y taken by randomly equivalent groups.

    Parameters
    ----------
    x_freq, y_freq
        Counts of the scores ``0..K_X`` and ``0..K_Y`` (:func:`frequencies`).
    method
        ``"mean"``, ``"linear"`` or ``"equipercentile"``.
    smoothing
        ``"none"`` or ``"loglinear"`` (presmoothing both distributions, equipercentile only).
    degree
        Degree of the log-linear polynomial.

    Returns
    -------
    ObservedEquating
        The conversion table and analytic standard errors (normal-theory for ``linear``,
        Lord's for unsmoothed ``equipercentile``).

    References
    ----------
    Kolen, M. J., & Brennan, R. L. (2014). *Test Equating, Scaling, and Linking* (3rd ed.),
        ch. 2, 3 and 7. Springer.
    """
    fx = _check_freq(x_freq, "x_freq", 1)
    fy = _check_freq(y_freq, "y_freq", 1)
    if method not in RANDOM_GROUPS_METHODS:
        raise ValueError(f"method: expected one of {', '.join(RANDOM_GROUPS_METHODS)}")
    smoothing = _check_smoothing(smoothing, method)
    scores = np.arange(fx.size, dtype=float)
    if method in ("mean", "linear"):
        mx, vx = _moments(fx)
        my, vy = _moments(fy)
        slope = 1.0 if method == "mean" else float(np.sqrt(vy / vx))
        intercept = my - slope * mx
        z = (scores - mx) / np.sqrt(vx)
        nx, ny = fx.sum(), fy.sum()
        if method == "mean":
            se = np.sqrt(np.full(scores.size, vx / nx + vy / ny))
        else:
            # normal theory (K&B eq. 7.22; Braun & Holland, 1982)
            se = np.sqrt(vy * (1 / nx + 1 / ny) * (1 + z**2 / 2))
        return ObservedEquating(
            method, "random_groups", scores, intercept + slope * scores, se, slope, intercept
        )
    label = "none"
    se = None
    if smoothing == "loglinear":
        fx = loglinear_presmooth(fx, degrees=degree)
        fy = loglinear_presmooth(fy, degrees=degree)
        label = f"loglinear ({degree})"
    else:
        se = _equipercentile_se(fx, fy)
    return ObservedEquating(
        method, "random_groups", scores, _equipercentile(fx, fy), se, smoothing=label
    )


def _check_smoothing(smoothing: str, method: str) -> str:
    if smoothing not in ("none", "loglinear"):
        raise ValueError("smoothing: expected 'none' or 'loglinear'")
    if (
        smoothing == "loglinear"
        and "equipercentile" not in method
        and method != ("frequency_estimation")
    ):
        raise ValueError(f"smoothing: presmoothing applies to equipercentile methods, not {method}")
    return smoothing


# --------------------------------------------------------------------------------------------
# NEAT
# --------------------------------------------------------------------------------------------


def equate_neat(
    x_table,
    y_table,
    *,
    method: str = "tucker",
    w1: float | None = None,
    internal_anchor: bool = True,
    smoothing: str = "none",
    degrees=(4, 2),
) -> ObservedEquating:
    """Equate form X (taken by population P) to form Y (population Q) through an anchor V.

    Parameters
    ----------
    x_table, y_table
        Bivariate counts (total, anchor) in P and in Q (:func:`bivariate_frequencies`); the
        anchor scales must be the same.
    method
        One of :data:`NEAT_METHODS`: ``tucker``, ``levine`` (observed score), ``levine_true``,
        ``chained_linear``, ``frequency_estimation``, ``chained_equipercentile``.
    w1
        Weight of P in the synthetic population; None = proportional to the sample sizes
        (``N_P / (N_P + N_Q)``, ``equate``'s default).
    internal_anchor
        The anchor items count in the total score (Levine methods only).
    smoothing, degrees
        Bivariate log-linear presmoothing of both tables (equipercentile methods), see
        :func:`loglinear_presmooth`.

    Returns
    -------
    ObservedEquating
        The conversion table, slope and intercept of linear methods, the weight, and the
        synthetic means and SDs (standard deviations with ``n - 1``).

    References
    ----------
    Kolen, M. J., & Brennan, R. L. (2014). *Test Equating, Scaling, and Linking* (3rd ed.),
        ch. 4 (Tucker, Levine) and 5 (frequency estimation, chained). Springer.
    """
    xt = _check_freq(x_table, "x_table", 2)
    yt = _check_freq(y_table, "y_table", 2)
    if xt.shape[1] != yt.shape[1]:
        raise ValueError("x_table, y_table: the anchor scales differ (columns)")
    if method not in NEAT_METHODS:
        raise ValueError(f"method: expected one of {', '.join(NEAT_METHODS)}")
    smoothing = _check_smoothing(smoothing, method)
    if w1 is None:
        w1 = float(xt.sum() / (xt.sum() + yt.sum()))
    elif not 0 <= w1 <= 1:
        raise ValueError("w1: must lie in [0, 1]")
    w2 = 1.0 - w1
    scores = np.arange(xt.shape[0], dtype=float)
    label = "none"
    if smoothing == "loglinear":
        xt = loglinear_presmooth(xt, degrees=degrees)
        yt = loglinear_presmooth(yt, degrees=degrees)
        label = f"loglinear ({degrees[0]}, {degrees[1]})"

    if method == "frequency_estimation":
        h1, h2 = xt.sum(axis=0), yt.sum(axis=0)
        with np.errstate(divide="ignore", invalid="ignore"):
            cond_x = np.where(h1 > 0, xt / h1, 0.0)  # f(x | v) in P
            cond_y = np.where(h2 > 0, yt / h2, 0.0)
        xs = (w1 * xt + w2 * cond_x * h2).sum(axis=1)
        ys = (w1 * cond_y * h1 + w2 * yt).sum(axis=1)
        synth = {"x": _mean_sd(xs), "y": _mean_sd(ys)}
        return ObservedEquating(
            method, "neat", scores, _equipercentile(xs, ys), None, None, None, w1, label, synth
        )
    if method == "chained_equipercentile":
        vx = _equipercentile(xt.sum(axis=1), xt.sum(axis=0))  # X -> V in P
        pr = _pr_of(vx, yt.sum(axis=0))  # percentile rank of those V scores in Q
        equated = _inverse_pr(pr, yt.sum(axis=1))
        return ObservedEquating(method, "neat", scores, equated, None, None, None, w1, label)

    mx, vx_, mxv, vxv, cxv = _bivariate_moments(xt)
    my, vy_, myv, vyv, cyv = _bivariate_moments(yt)
    if method == "chained_linear":
        slope = float(np.sqrt(vy_ / vyv) * np.sqrt(vxv / vx_))
        intercept = float(my + np.sqrt(vy_ / vyv) * (mxv - myv) - slope * mx)
        return ObservedEquating(
            method, "neat", scores, intercept + slope * scores, None, slope, intercept, w1
        )
    if method == "tucker":
        g1, g2 = cxv / vxv, cyv / vyv
    elif internal_anchor:
        g1, g2 = vx_ / cxv, vy_ / cyv
    else:
        g1, g2 = (vx_ + cxv) / (vxv + cxv), (vy_ + cyv) / (vyv + cyv)
    dm, dv = mxv - myv, vxv - vyv
    msx = mx - w2 * dm * g1
    msy = my + w1 * dm * g2
    sdx = float(np.sqrt(vx_ - w2 * dv * g1**2 + w1 * w2 * dm**2 * g1**2))
    sdy = float(np.sqrt(vy_ + w1 * dv * g2**2 + w1 * w2 * dm**2 * g2**2))
    slope = g2 / g1 if method == "levine_true" else sdy / sdx
    intercept = float(msy - slope * msx)
    return ObservedEquating(
        method, "neat", scores, intercept + slope * scores, None, float(slope), intercept, w1,
        "none", {"x": (float(msx), sdx), "y": (float(msy), sdy)},
    )  # fmt: skip


def _mean_sd(freq: np.ndarray) -> tuple[float, float]:
    mean, var = _moments(freq)
    return mean, float(np.sqrt(var))


# --------------------------------------------------------------------------------------------
# Bootstrap
# --------------------------------------------------------------------------------------------


def bootstrap_se(
    equate: Callable[..., ObservedEquating],
    x_freq,
    y_freq,
    *,
    n_replications: int = 500,
    seed: int | np.random.Generator | None = None,
    **kwargs,
) -> np.ndarray:
    """Bootstrap standard errors of an equating, per form-X score point.

    Each replication redraws both samples (a multinomial draw of the same size from each
    observed frequency table, uni- or bivariate) and repeats ``equate(x, y, **kwargs)``; the
    standard error is the standard deviation (``n - 1``) of the equated scores over the
    replications.

    Parameters
    ----------
    equate
        :func:`equate_random_groups` or :func:`equate_neat`.
    x_freq, y_freq
        The observed frequency tables.
    n_replications
        Bootstrap replications (at least 2).
    seed
        Seed or generator (results are reproducible).

    References
    ----------
    Kolen, M. J., & Brennan, R. L. (2014). *Test Equating, Scaling, and Linking* (3rd ed.),
        sec. 7.1. Springer.
    """
    if not isinstance(n_replications, int | np.integer) or n_replications < 2:
        raise ValueError("n_replications: must be an integer >= 2")
    rng = np.random.default_rng(seed)
    fx = np.asarray(x_freq, dtype=float)
    fy = np.asarray(y_freq, dtype=float)
    base = equate(fx, fy, **kwargs)
    draws = np.empty((n_replications, base.equated.size))
    nx, ny = int(round(fx.sum())), int(round(fy.sum()))
    px = (fx / fx.sum()).reshape(-1)
    py = (fy / fy.sum()).reshape(-1)
    for r in range(n_replications):
        bx = rng.multinomial(nx, px).reshape(fx.shape).astype(float)
        by = rng.multinomial(ny, py).reshape(fy.shape).astype(float)
        draws[r] = equate(bx, by, **kwargs).equated
    return draws.std(axis=0, ddof=1)
