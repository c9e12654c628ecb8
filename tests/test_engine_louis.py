"""Louis' observed information against a numerical Hessian of a likelihood written here.

Louis' identity ``-d2 log L = E[-d2 l_c | x] - Var[d l_c | x]`` holds at every parameter value,
so the engine's information is checked at arbitrary (not fitted) parameters: for a mix of
2PL, 1PL (shared slope), 3PL, graded and generalized partial credit items, fixed anchor items,
a free latent mean and SD, and responses missing by booklet and at random, it must equal the
negative Hessian of the marginal log-likelihood computed by central differences of the
likelihood below (which uses neither the engine's E-step nor its probability functions).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit, logsumexp

from psychometrics.irt import _engine, _se
from psychometrics.irt._engine import Block, Latent
from psychometrics.irt._estep import compress

NODES = np.linspace(-5.0, 5.0, 25)


def _probs(family: str, par: np.ndarray, k: int, x: np.ndarray) -> np.ndarray:
    """``P(X = 0..k-1 | x)`` of one item, shape ``(k, Q)``, from the textbook formulas."""
    a = par[0]
    if family in ("dich2", "dich3"):
        p = expit(a * x + par[1])
        if family == "dich3":
            c = expit(par[2])
            p = c + (1 - c) * p
        return np.stack([1 - p, p])
    if family == "grm":
        star = np.vstack([np.ones_like(x), expit(a * x[None] + par[1:k, None]), np.zeros_like(x)])
        return star[:-1] - star[1:]
    # gpcm: P(k) ~ exp(sum_{v <= k} (a x + d_v))
    z = np.vstack([np.zeros_like(x), np.cumsum(a * x[None] + par[1:k, None], axis=0)])
    return np.exp(z - logsumexp(z, axis=0))


def _person_loglik(scores, blocks, mean, sd) -> np.ndarray:
    """Each person's marginal log-likelihood over NODES with normal weights."""
    logw = -0.5 * ((NODES - mean) / sd) ** 2
    ll = np.tile(logw - logsumexp(logw), (scores.shape[0], 1))
    for blk in blocks:
        for jj, j in enumerate(blk.items):
            logp = np.log(_probs(blk.family, blk.par[jj], blk.n_categories, NODES))
            logp = np.vstack([logp, np.zeros(NODES.size)])  # row -1: not presented
            ll += logp[scores[:, j]]
    return logsumexp(ll, axis=1)


def _loglik(scores, blocks, mean, sd, c_prior=None) -> float:
    """Marginal log-likelihood (plus the Beta log prior on the free c)."""
    prior = 0.0
    for blk in blocks:
        if blk.family == "dich3" and c_prior is not None and not blk.fixed:
            c = expit(blk.par[:, 2])
            prior += np.sum((c_prior[0] - 1) * np.log(c) + (c_prior[1] - 1) * np.log(1 - c))
    return float(_person_loglik(scores, blocks, mean, sd).sum()) + prior


def _setup(seed=0):
    rng = np.random.default_rng(seed)
    n = 1_000
    theta = rng.normal(0.3, 1.2, n)
    blocks = [
        Block(
            "2pl",
            "dich2",
            2,
            np.array([0, 1, 2, 3]),
            np.array([[1.2, 0.3], [0.8, -0.5], [1.5, 0.9], [0.6, 0.1]]),
            np.ones(2, bool),
            False,
            False,
        ),
        Block(
            "1pl",
            "dich2",
            2,
            np.array([4, 5]),
            np.array([[0.9, -0.2], [0.9, 0.7]]),
            np.ones(2, bool),
            True,
            False,
        ),
        Block(
            "3pl",
            "dich3",
            2,
            np.array([6, 7]),
            np.array([[1.4, -0.4, -1.6], [1.0, 0.5, -1.2]]),
            np.ones(3, bool),
            False,
            False,
        ),
        Block(
            "grm",
            "grm",
            4,
            np.array([8, 9]),
            np.array([[1.1, 1.5, 0.2, -1.0], [0.7, 2.0, 0.0, -0.8]]),
            np.ones(4, bool),
            False,
            False,
        ),
        Block(
            "gpcm",
            "gpcm",
            3,
            np.array([10, 11]),
            np.array([[0.9, 0.4, -0.6], [1.3, -0.2, 0.3]]),
            np.ones(3, bool),
            False,
            False,
        ),
        Block(
            "2pl",
            "dich2",
            2,
            np.array([12, 13]),
            np.array([[1.0, 0.0], [1.3, -0.7]]),
            np.ones(2, bool),
            False,
            True,
        ),  # fixed anchors
    ]
    n_cat = np.array([2] * 8 + [4, 4, 3, 3, 2, 2])
    scores = np.empty((n, n_cat.size), dtype=np.int64)
    for blk in blocks:  # simulate from the same parameters (any data would do)
        for jj, j in enumerate(blk.items):
            p = _probs(blk.family, blk.par[jj], blk.n_categories, theta)
            cum = np.cumsum(p, axis=0)
            scores[:, j] = (rng.random(n)[None] > cum[:-1]).sum(axis=0)
    scores[: n // 3, [2, 9]] = -1  # booklet A has no items 2 and 9
    scores[n // 3 : 2 * n // 3, [5, 11]] = -1  # booklet B has no items 5 and 11
    scores[rng.random(scores.shape) < 0.05] = -1  # and 5 % missing at random
    lat = Latent(mean=0.25, sd=1.1, est_mean=True, est_sd=True)
    return scores, n_cat, blocks, lat


def _numerical_information(scores, blocks, lat, c_prior=None):
    phi0 = _engine.pack(blocks, lat)

    def f(phi):
        _engine.unpack(phi, blocks, lat)
        return _loglik(scores, blocks, lat.mean, lat.sd, c_prior)

    h = 2e-4 * (1.0 + np.abs(phi0))
    n = phi0.size
    hess = np.zeros((n, n))
    for i in range(n):
        for j in range(i, n):
            e_i, e_j = np.eye(n)[i] * h[i], np.eye(n)[j] * h[j]
            val = (
                f(phi0 + e_i + e_j)
                - f(phi0 + e_i - e_j)
                - f(phi0 - e_i + e_j)
                + f(phi0 - e_i - e_j)
            ) / (4 * h[i] * h[j])
            hess[i, j] = hess[j, i] = val
    _engine.unpack(phi0, blocks, lat)
    return -hess


def test_louis_equals_numerical_hessian_of_the_marginal_likelihood():
    c_prior = (5.0, 17.0)
    scores, n_cat, blocks, lat = _setup()
    pat = compress(scores, n_cat, chunk_size=400)  # several chunks
    info = _se.information(pat, blocks, lat, NODES, c_prior, method="louis")
    num = _numerical_information(scores, blocks, lat, c_prior)
    assert info.shape == num.shape == (33, 33)
    # central second differences with h ~ 2e-4: ~1e-6 relative truncation and rounding error
    scale = np.sqrt(np.outer(np.diag(num), np.diag(num)))
    assert np.max(np.abs(info - num) / scale) < 2e-5
    se, se_num = np.sqrt(np.diag(np.linalg.inv(info))), np.sqrt(np.diag(np.linalg.inv(num)))
    assert np.max(np.abs(se / se_num - 1)) < 1e-4


def test_linear_and_per_node_columns_give_the_same_information():
    """2PL columns take the three-moment route, graded columns the per-node one: both agree
    with the numerical Hessian when the same 2PL items are mixed with graded items or not."""
    scores, n_cat, blocks, lat = _setup(seed=1)
    keep = np.concatenate([blocks[0].items, blocks[5].items])
    sub = scores[:, keep]
    b0 = Block(
        "2pl", "dich2", 2, np.arange(4), blocks[0].par.copy(), np.ones(2, bool), False, False
    )
    b1 = Block(
        "2pl", "dich2", 2, np.arange(4, 6), blocks[5].par.copy(), np.ones(2, bool), False, True
    )
    pat = compress(sub, n_cat[keep], chunk_size=1_000)
    info = _se.information(pat, [b0, b1], lat, NODES, None)
    num = _numerical_information(sub, [b0, b1], lat)
    scale = np.sqrt(np.outer(np.diag(num), np.diag(num)))
    assert np.max(np.abs(info - num) / scale) < 2e-5


def test_cross_product_information_is_the_outer_product_of_pattern_scores():
    scores, n_cat, blocks, lat = _setup(seed=2)
    blocks = blocks[:2]
    keep = np.arange(6)
    sub = scores[:, keep]
    phi0 = _engine.pack(blocks, lat)
    sub = sub[:300]
    grads = np.zeros((sub.shape[0], phi0.size))
    for p in range(phi0.size):  # each person's score by central differences
        h = 1e-5 * (1 + abs(phi0[p]))
        vals = []
        for sign in (1, -1):
            phi = phi0.copy()
            phi[p] += sign * h
            _engine.unpack(phi, blocks, lat)
            vals.append(_person_loglik(sub, blocks, lat.mean, lat.sd))
        grads[:, p] = (vals[0] - vals[1]) / (2 * h)
    _engine.unpack(phi0, blocks, lat)
    pat300 = compress(sub, n_cat[keep], chunk_size=128)
    xpd300 = _se.information(pat300, blocks, lat, NODES, None, method="xpd")
    np.testing.assert_allclose(xpd300, grads.T @ grads, rtol=1e-6, atol=1e-6)
