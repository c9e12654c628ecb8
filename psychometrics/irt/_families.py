"""Item response families in slope-intercept form, with analytic scores (internal).

The calibration engine works with one parameter vector per item:

=========  ===============================  ===========================================
family     parameters                       response function (node ``x``)
=========  ===============================  ===========================================
``dich2``  ``(a, d)``                       ``P(1) = s(a x + d)``
``dich3``  ``(a, d, g)``, ``c = s(g)``      ``P(1) = c + (1 - c) s(a x + d)``
``grm``    ``(a, d_1 .. d_{K-1})``          ``P(X >= k) = s(a x + d_k)``, ``d`` decreasing
``gpcm``   ``(a, d_1 .. d_{K-1})``          ``P(k) ~ exp(sum_{v <= k} (a x + d_v))``
``nominal`` ``(a, d_1 .. d_{K-1},``         ``P(k) ~ exp(a ak_k x + d_k)``, ``ak_0 = d_0 = 0``,
           ``ak_1 .. ak_{K-2})``            ``ak_{K-1} = K - 1``
=========  ===============================  ===========================================

with ``s`` the logistic function. In the reporting metric ``b = -d / a`` (``b_k = -d_k / a``).
Rasch, 1PL and PCM items are ``dich2``/``gpcm`` items with a fixed or shared slope.

The nominal family uses mirt's parameterisation (Thissen, Cai & Bock 2010): one slope ``a``,
scoring functions ``ak_k`` identified by ``ak_0 = 0`` and ``ak_{K-1} = K - 1``, and intercepts
``d_k`` with ``d_0 = 0``. Its columns keep ``a`` first and the intercepts next, so the generic
reporting ``b_k = -d_k / a`` applies; the free scoring functions come last. With ``K = 2`` it is
the 2PL; with ``ak_k = k`` it is the GPCM with ``d_k`` the cumulative step intercepts.

:func:`log_probs` returns ``log P(X = k | x)`` with shape ``(J, K, Q)``; :func:`scores` also
returns the derivatives ``d log P(X = k | x) / d par`` with shape ``(J, K, Q, P)``, from which the
engine builds M-step gradients, Fisher information and Louis' observed information.

References
----------
Baker, F. B., & Kim, S.-H. (2004). *Item Response Theory: Parameter Estimation Techniques*
    (2nd ed.), ch. 6-9. Marcel Dekker.
Samejima, F. (1969). *Psychometrika Monograph Supplement*, 17.
Muraki, E. (1992). *Applied Psychological Measurement*, 16(2), 159-176.
Bock, R. D. (1972). Estimating item parameters and latent ability when responses are scored in
    two or more nominal categories. *Psychometrika*, 37(1), 29-51.
Thissen, D., Cai, L., & Bock, R. D. (2010). The nominal categories item response model. In
    Nering & Ostini (Eds.), *Handbook of Polytomous Item Response Theory Models*. Routledge.
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, log_expit

FAMILIES = ("dich2", "dich3", "grm", "gpcm", "nominal")
_TINY = 1e-300
_LOG_TINY = np.log(_TINY)


def n_params(family: str, n_categories: int) -> int:
    """Length of one item's parameter vector."""
    if family == "dich2":
        return 2
    if family == "dich3":
        return 3
    if family == "nominal":
        return 2 * n_categories - 2  # a + (K - 1) intercepts + (K - 2) scoring functions
    return n_categories  # a + (K - 1) intercepts


def log_probs(family: str, par: np.ndarray, nodes: np.ndarray) -> np.ndarray:
    """``log P(X = k | node)``, shape ``(J, K, Q)``, floored at ``log(1e-300)``."""
    return scores(family, par, nodes, derivatives=False)[0]


def scores(family: str, par: np.ndarray, nodes: np.ndarray, *, derivatives: bool = True):
    """Log probabilities and (optionally) their parameter derivatives.

    Returns
    -------
    logp : ndarray, shape ``(J, K, Q)``
    dlogp : ndarray, shape ``(J, K, Q, P)`` or None
    """
    par = np.asarray(par, dtype=float)
    x = nodes[None, :]
    a = par[:, 0:1]
    if family in ("dich2", "dich3"):
        z = a * x + par[:, 1:2]
        s = expit(z)
        lp1_star, lp0_star = log_expit(z), log_expit(-z)
        if family == "dich2":
            logp = np.stack([lp0_star, lp1_star], axis=1)
            if not derivatives:
                return _floor(logp), None
            d = np.empty(par.shape[:1] + (2, x.shape[1], 2))
            d[:, 1, :, 0] = (1.0 - s) * x
            d[:, 1, :, 1] = 1.0 - s
            d[:, 0, :, 0] = -s * x
            d[:, 0, :, 1] = -s
            return _floor(logp), d
        g = par[:, 2:3]
        c = expit(g)
        with np.errstate(divide="ignore"):
            log_c, log_1mc = log_expit(g), log_expit(-g)
        lp1 = np.logaddexp(log_c, log_1mc + lp1_star)
        lp0 = log_1mc + lp0_star
        logp = np.stack([lp0, lp1], axis=1)
        if not derivatives:
            return _floor(logp), None
        p1 = np.exp(lp1)
        w = (1.0 - c) * s * (1.0 - s) / p1  # dP/dz / P
        d = np.empty(par.shape[:1] + (2, x.shape[1], 3))
        d[:, 1, :, 0] = w * x
        d[:, 1, :, 1] = w
        d[:, 1, :, 2] = c * (1.0 - c) * (1.0 - s) / p1
        d[:, 0, :, 0] = -s * x
        d[:, 0, :, 1] = -s
        d[:, 0, :, 2] = -c
        return _floor(logp), d
    if family == "grm":
        return _grm(par, x, derivatives)
    if family == "gpcm":
        return _gpcm(par, x, derivatives)
    if family == "nominal":
        return _nominal(par, x, derivatives)
    raise ValueError(f"unknown family {family!r}")


def _floor(logp: np.ndarray) -> np.ndarray:
    return np.maximum(logp, _LOG_TINY)


def _grm(par, x, derivatives):
    n_items, n_par = par.shape
    n_cat = n_par
    a, d = par[:, :1], par[:, 1:]
    z = a[:, :, None] * x[:, None, :] + d[:, :, None]  # (J, K-1, Q)
    s = expit(z)
    sc = expit(-z)
    # cumulative P(X >= k), k = 0..K, and its complement, padded with 1/0 and 0/1
    upper = np.concatenate([np.ones_like(s[:, :1]), s, np.zeros_like(s[:, :1])], axis=1)
    lower = np.concatenate([np.zeros_like(s[:, :1]), sc, np.ones_like(s[:, :1])], axis=1)
    # P_k = upper_k - upper_{k+1} = lower_{k+1} - lower_k; use the form without cancellation
    p_hi = upper[:, :-1] - upper[:, 1:]
    p_lo = lower[:, 1:] - lower[:, :-1]
    use_lo = upper[:, :-1] > 0.5
    p = np.where(use_lo, p_lo, p_hi)
    bad = p <= 0
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.where(bad, _LOG_TINY, np.log(np.where(bad, 1.0, p)))
    if np.any(~np.isfinite(logp)):
        logp = np.where(np.isfinite(logp), logp, _LOG_TINY)
    if not derivatives:
        return logp, None
    w = np.zeros((n_items, n_cat + 1, x.shape[1]))
    w[:, 1:n_cat] = s * sc
    pp = np.maximum(p, _TINY)
    dp_da = x[:, None, :] * (w[:, :-1] - w[:, 1:])
    dlog = np.zeros((n_items, n_cat, x.shape[1], n_par))
    dlog[..., 0] = dp_da / pp
    for m in range(1, n_cat):  # intercept d_m enters P_m (+) and P_{m-1} (-)
        dlog[:, m, :, m] = w[:, m] / pp[:, m]
        dlog[:, m - 1, :, m] = -w[:, m] / pp[:, m - 1]
    return logp, dlog


def _gpcm(par, x, derivatives):
    n_items, n_par = par.shape
    n_cat = n_par
    a, d = par[:, :1], par[:, 1:]
    k = np.arange(n_cat, dtype=float)
    cum_d = np.concatenate([np.zeros((n_items, 1)), np.cumsum(d, axis=1)], axis=1)
    numer = k[None, :, None] * (a[:, :, None] * x[:, None, :]) + cum_d[:, :, None]
    logp = numer - np.logaddexp.reduce(numer, axis=1, keepdims=True)
    logp = _floor(logp)
    if not derivatives:
        return logp, None
    p = np.exp(logp)
    mean_k = np.einsum("k,jkq->jq", k, p)
    dlog = np.zeros((n_items, n_cat, x.shape[1], n_par))
    dlog[..., 0] = x[:, None, :] * (k[None, :, None] - mean_k[:, None, :])
    # P(X >= v) for v = 1..K-1
    tail = np.cumsum(p[:, ::-1], axis=1)[:, ::-1]
    for v in range(1, n_cat):
        dlog[:, :, :, v] = (k[None, :, None] >= v) - tail[:, v : v + 1, :]
    return logp, dlog


def nominal_scoring(par: np.ndarray) -> np.ndarray:
    """Scoring functions ``ak_0 .. ak_{K-1}`` of nominal items, shape ``(J, K)``."""
    n_items, n_par = par.shape
    n_cat = (n_par + 2) // 2
    ak = np.empty((n_items, n_cat))
    ak[:, 0] = 0.0
    ak[:, n_cat - 1] = n_cat - 1.0
    ak[:, 1 : n_cat - 1] = par[:, n_cat:]
    return ak


def _nominal(par, x, derivatives):
    n_items, n_par = par.shape
    n_cat = (n_par + 2) // 2
    a = par[:, :1]
    ak = nominal_scoring(par)
    d = np.concatenate([np.zeros((n_items, 1)), par[:, 1:n_cat]], axis=1)
    z = (a * ak)[:, :, None] * x[:, None, :] + d[:, :, None]  # (J, K, Q)
    logp = _floor(z - np.logaddexp.reduce(z, axis=1, keepdims=True))
    if not derivatives:
        return logp, None
    p = np.exp(logp)
    mean_ak = np.einsum("jk,jkq->jq", ak, p)
    dlog = np.empty((n_items, n_cat, x.shape[1], n_par))
    # d log P_k / d theta_p = d z_k / d theta_p - sum_m P_m d z_m / d theta_p
    dlog[..., 0] = x[:, None, :] * (ak[:, :, None] - mean_ak[:, None, :])
    eye = np.eye(n_cat)
    for v in range(1, n_cat):
        dlog[..., v] = eye[v][None, :, None] - p[:, v : v + 1, :]
    for v in range(1, n_cat - 1):
        dlog[..., n_cat - 1 + v] = (a[:, :, None] * x[:, None, :]) * (
            eye[v][None, :, None] - p[:, v : v + 1, :]
        )
    return logp, dlog
