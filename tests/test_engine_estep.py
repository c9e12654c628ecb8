"""The E-step against a dense posterior computed here, for every way its indicators are kept.

The engine keeps the response indicators between EM steps as float32, as uint8 or not at all
(by size), and walks each chunk in cache-sized sub-blocks; none of this may change the
expected counts or the log-likelihood. The reference below builds the full (persons x nodes)
log-likelihood with plain numpy indexing, one person per row, no compression.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import logsumexp

from psychometrics.irt import _estep
from psychometrics.irt._estep import compress, estep

NODES = np.linspace(-4.0, 4.0, 21)


def _data(n=9_000, seed=0):
    rng = np.random.default_rng(seed)
    n_cat = np.array([2, 2, 2, 3, 4, 2, 3])
    theta = rng.normal(size=n)
    scores = np.empty((n, n_cat.size), dtype=np.int64)
    logp = np.full((n_cat.size, 4, NODES.size), -np.inf)
    for j, k in enumerate(n_cat):
        cuts = np.sort(rng.normal(size=k - 1))[::-1]
        a = rng.uniform(0.5, 2.0)
        star = 1 / (1 + np.exp(-(a * NODES[None] + cuts[:, None])))
        star = np.vstack([np.ones(NODES.size), star, np.zeros(NODES.size)])
        logp[j, :k] = np.log(star[:-1] - star[1:])
        p_star = 1 / (1 + np.exp(-(a * theta[:, None] + cuts[None])))
        scores[:, j] = (rng.random(n)[:, None] < p_star).sum(axis=1)
    scores[rng.random(scores.shape) < 0.1] = -1
    logp = np.where(np.isfinite(logp), logp, np.log(1e-300))
    return scores, n_cat, logp


def _reference(scores, n_cat, logp, log_w):
    ll = np.tile(log_w, (scores.shape[0], 1))
    for j in range(scores.shape[1]):
        seen = scores[:, j] >= 0
        ll[seen] += logp[j, scores[seen, j]]
    total = logsumexp(ll, axis=1)
    post = np.exp(ll - total[:, None])
    counts = np.zeros((scores.shape[1], logp.shape[1], NODES.size))
    for j in range(scores.shape[1]):
        for k in range(n_cat[j]):
            counts[j, k] = post[scores[:, j] == k].sum(axis=0)
    return total.sum(), counts, post.sum(axis=0)


@pytest.mark.parametrize("keep", ["float32", "uint8", "none"])
@pytest.mark.parametrize("chunk", [50_000, 1_234])
def test_estep_matches_a_dense_posterior(monkeypatch, keep, chunk):
    monkeypatch.setattr(_estep, "SUB_BLOCK", 700)  # several sub-blocks per chunk
    if keep == "uint8":
        monkeypatch.setattr(_estep, "FLOAT_CACHE_BYTES", 0)
    if keep == "none":
        monkeypatch.setattr(_estep, "CACHE_BYTES", 0)
    scores, n_cat, logp = _data()
    log_w = -0.5 * NODES**2
    log_w -= logsumexp(log_w)
    ll_ref, counts_ref, n_ref = _reference(scores, n_cat, logp, log_w)
    pat = compress(scores, n_cat, chunk_size=chunk)
    assert pat.n_patterns > 2 * 700
    for _ in range(2):  # a second call uses what the first one kept
        res = estep(pat, logp, log_w, NODES)
        assert res.loglik == pytest.approx(ll_ref, rel=1e-12)
        np.testing.assert_allclose(res.counts, counts_ref, rtol=1e-9, atol=1e-9)
        np.testing.assert_allclose(res.n_q, n_ref, rtol=1e-9, atol=1e-9)
    kept = list(pat._cache.values())
    if keep == "none":
        assert not kept
    else:
        assert kept and all(a.dtype == np.dtype(keep) for pair in kept for a in pair)
    pat.dtype = np.float32  # single precision: ~1e-7 relative per cell, 1e-5 overall
    res = estep(pat, logp, log_w, NODES)
    assert res.loglik == pytest.approx(ll_ref, rel=1e-6)
    np.testing.assert_allclose(res.counts, counts_ref, rtol=1e-3, atol=1e-2)
