"""Response-pattern compression and the Bock-Aitkin E-step as matrix products (internal).

Persons with identical response strings (not-presented cells included, as their own code) are
collapsed to one pattern with a frequency. For pattern ``i`` the log-likelihood at quadrature node
``q`` is

    LL[i, q] = sum_j pres[i, j] log P_j0(q) + sum_{j, k >= 1} [x_ij = k] (log P_jk(q) - log P_j0(q))

i.e. one matrix product of the 0/1 indicator matrix ``X`` (patterns x categories >= 1) with a
(categories x nodes) matrix, plus a product with the "presented" indicators of the items that have
missing cells. Expected counts come back the same way: ``r = X^T W`` with ``W`` the posterior
weights times the pattern frequencies. Patterns are processed in chunks so that memory stays
bounded for millions of persons.

References
----------
Bock, R. D., & Aitkin, M. (1981). Marginal maximum likelihood estimation of item parameters:
    application of an EM algorithm. *Psychometrika*, 46(4), 443-459.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

CACHE_BYTES = 768 * 1024**2
"""Indicator matrices are kept between EM steps when they fit in this many bytes."""
FLOAT_CACHE_BYTES = 512 * 1024**2
"""Kept indicators are float32 up to this many bytes (used as they are by the float32 E-step),
uint8 beyond (a quarter of the memory; widened block by block, which costs ~30 % more CPU in a
float32 E-step: 2PL 100 x 200,000, 0.09 -> 0.12 s). A million persons on 100 items keep 400 MB
of float32 indicators; two million on 70 would keep 560 MB of float32, so 140 MB of uint8."""


@dataclass
class Patterns:
    """Compressed responses: unique patterns, frequencies and indicator layout."""

    codes: np.ndarray  # (n_pat, J) small ints, -1 = not presented
    freq: np.ndarray  # (n_pat,) float
    n_categories: np.ndarray  # (J,)
    cat_offset: np.ndarray  # (J,) first indicator column of item j (categories 1..K-1)
    n_cat_cols: int
    miss_items: np.ndarray  # items with at least one not-presented cell
    chunk_size: int
    dtype: type = np.float64
    _cache: dict = field(default_factory=dict, repr=False)

    @property
    def n_patterns(self) -> int:
        return self.codes.shape[0]

    @property
    def n_items(self) -> int:
        return self.codes.shape[1]

    def chunks(self):
        for start in range(0, self.n_patterns, self.chunk_size):
            yield slice(start, min(start + self.chunk_size, self.n_patterns))

    def indicators(self, sl: slice, *, widen: bool = True) -> tuple[np.ndarray, np.ndarray]:
        """Transposed indicators ``(X_cat^T, X_pres^T)`` of the patterns in ``sl``.

        C-contiguous ``(columns, patterns)`` arrays in :attr:`dtype`. They are kept between EM
        steps: as float32 (0/1 are exact) when all chunks take at most
        :data:`FLOAT_CACHE_BYTES` so, else as uint8 (one byte a cell, the size of the responses
        themselves) up to :data:`CACHE_BYTES`; beyond that they are rebuilt at each call. With
        ``widen=False`` the kept arrays are returned as they are (float32 or uint8) and the
        caller converts the cache-sized blocks it uses.
        """
        hit = self._cache.get(sl.start)
        if hit is None:
            codes = self.codes[sl]
            n = codes.shape[0]
            cells = self.n_patterns * (self.n_cat_cols + self.miss_items.size)
            store = np.float32 if 4 * cells <= FLOAT_CACHE_BYTES else np.uint8
            xt_cat = np.zeros((self.n_cat_cols, n), dtype=store)
            rows, items = np.nonzero(codes >= 1)
            xt_cat[self.cat_offset[items] + codes[rows, items].astype(np.int64) - 1, rows] = 1
            xt_pres = np.ascontiguousarray((codes[:, self.miss_items] >= 0).T, dtype=store)
            hit = (xt_cat, xt_pres)
            if cells * np.dtype(store).itemsize <= CACHE_BYTES:
                self._cache[sl.start] = hit
        if not widen:
            return hit
        return hit[0].astype(self.dtype, copy=False), hit[1].astype(self.dtype, copy=False)

    def drop_cache(self, dtype=None) -> None:
        """Forget the cached indicators (``dtype`` is accepted for compatibility and ignored:
        one uint8 copy serves every precision)."""
        self._cache.clear()


def compress(scores: np.ndarray, n_categories: np.ndarray, *, chunk_size: int) -> Patterns:
    """Collapse identical rows of ``scores`` (int, -1 = not presented) into patterns."""
    dtype = np.int8 if int(np.max(n_categories)) < 127 else np.int16
    codes = np.ascontiguousarray(scores, dtype=dtype)
    n, m = codes.shape
    freq = np.ones(n)
    if n > 1 and _worth_compressing(codes):
        view = codes.view(np.dtype((np.void, codes.dtype.itemsize * m))).ravel()
        _, first, counts = np.unique(view, return_index=True, return_counts=True)
        codes = codes[first]
        freq = counts.astype(float)
    n_categories = np.asarray(n_categories, dtype=np.int64)
    cat_offset = np.concatenate([[0], np.cumsum(n_categories - 1)[:-1]]).astype(np.int64)
    miss_items = np.flatnonzero(np.any(codes < 0, axis=0))
    return Patterns(
        codes=codes,
        freq=freq,
        n_categories=n_categories,
        cat_offset=cat_offset,
        n_cat_cols=int(np.sum(n_categories - 1)),
        miss_items=miss_items,
        chunk_size=max(1, int(chunk_size)),
    )


def _worth_compressing(codes: np.ndarray, sample: int = 20_000) -> bool:
    """Compress unless a sample of rows shows that nearly every response pattern is unique."""
    n = codes.shape[0]
    if n <= 2 * sample:
        return True
    rows = codes[:: n // sample][:sample]
    view = np.ascontiguousarray(rows).view(np.dtype((np.void, rows.shape[1] * rows.itemsize)))
    return np.unique(view).size < 0.8 * rows.shape[0]


@dataclass
class EStepResult:
    loglik: float
    counts: np.ndarray  # (J, Kmax, Q) expected counts r_jkq
    n_q: np.ndarray  # (Q,) expected number of persons at each node


def estep(
    pat: Patterns, logp: np.ndarray, log_weights: np.ndarray, nodes: np.ndarray | None = None
) -> EStepResult:
    """One E-step.

    Parameters
    ----------
    pat
        Compressed responses.
    logp
        ``log P(X_j = k | node q)``, shape ``(J, Kmax, Q)`` (entries beyond an item's categories
        are ignored).
    log_weights
        Log prior weights of the nodes, shape ``(Q,)``, normalised to sum to one.
    nodes
        The quadrature nodes. When given, indicator columns whose log-odds against category 0
        are linear in the node (2PL/Rasch/1PL and (G)PCM items) enter the log-likelihood through
        a rank-2 product instead of a product with all nodes.
    """
    n_items, _, n_q = logp.shape
    delta, base_miss, base_const = _node_matrices(pat, logp)
    base_const = base_const + log_weights
    design = _design(delta, nodes)
    r_cat = np.zeros((pat.n_cat_cols, n_q))
    r_pres = np.zeros((pat.miss_items.size, n_q))
    n_node = np.zeros(n_q)
    loglik = 0.0
    dtype = pat.dtype
    for sl in pat.chunks():
        xt_cat_all, xt_pres_all = pat.indicators(sl, widen=False)
        for start in range(0, sl.stop - sl.start, SUB_BLOCK):
            sub = slice(start, min(start + SUB_BLOCK, sl.stop - sl.start))
            xt_cat = xt_cat_all[:, sub].astype(dtype, copy=False)
            xt_pres = xt_pres_all[:, sub].astype(dtype, copy=False)
            post_t, ll_rows = _posterior_t(xt_cat, xt_pres, design, base_miss, base_const, dtype)
            freq = pat.freq[sl.start + sub.start : sl.start + sub.stop]
            loglik += float(freq @ ll_rows)
            post_t *= freq.astype(dtype)[None, :]
            r_cat += xt_cat @ post_t.T
            if xt_pres.shape[0]:
                r_pres += xt_pres @ post_t.T
            n_node += post_t.sum(axis=1, dtype=np.float64)
    counts = expand_counts(pat, r_cat, r_pres, n_node, logp.shape[1])
    return EStepResult(loglik=loglik, counts=counts, n_q=n_node)


SUB_BLOCK = 8192
"""Patterns per pass of the posterior computation inside a chunk: the (nodes x patterns) work
array of a block (2-4 MB) stays in cache across its half-dozen passes. CPU seconds of one E-step,
2PL 100 items x 200,000, one thread: float32 0.109 -> 0.089, float64 0.199 -> 0.148 against
whole chunks of 50,000 patterns (2,048-16,384 were within 20 % of 8,192)."""


def _node_matrices(pat: Patterns, logp: np.ndarray):
    n_items = logp.shape[0]
    cols_item = np.repeat(np.arange(n_items), pat.n_categories - 1)
    cols_cat = np.arange(pat.n_cat_cols) - pat.cat_offset[cols_item] + 1
    delta = logp[cols_item, cols_cat, :] - logp[cols_item, 0, :]
    base_miss = logp[pat.miss_items, 0, :]
    full = np.ones(n_items, dtype=bool)
    full[pat.miss_items] = False
    base_const = logp[full, 0, :].sum(axis=0)
    return delta, base_miss, base_const


def _design(delta: np.ndarray, nodes: np.ndarray | None):
    """How the indicator columns enter the log-likelihood: ``(matrix, nodes, n_linear_terms)``.

    Rows of ``delta`` that are exactly linear in the nodes (``alpha + beta * x``) are replaced by
    their two coefficients, so that ``X @ delta`` costs two columns instead of Q.
    """
    if nodes is None or delta.shape[0] == 0:
        return delta, None
    xc = nodes - nodes.mean()
    beta = delta @ xc / (xc @ xc)
    alpha = delta.mean(axis=1) - beta * nodes.mean()
    resid = np.abs(delta - alpha[:, None] - beta[:, None] * nodes[None, :]).max(axis=1)
    lin = resid <= 1e-9 * (1.0 + np.abs(delta).max(axis=1))
    if not lin.any():
        return delta, None
    if lin.all():
        return np.stack([beta, alpha], axis=1), nodes
    rest = np.where(lin[:, None], 0.0, delta)
    return np.concatenate([np.stack([beta * lin, alpha * lin], axis=1), rest], axis=1), nodes


def _posterior_t(xt_cat, xt_pres, design, base_miss, base_const, dtype=np.float64):
    """Posterior over nodes, laid out ``(nodes, patterns)``, and each pattern's log-likelihood.

    The ``(Q, n)`` layout makes the max / sum / normalisation over nodes run along contiguous
    rows of length n (vectorized), which is several times faster than reducing short rows.
    """
    matrix, nodes = design if isinstance(design, tuple) else (design, None)
    prod = matrix.T.astype(dtype) @ xt_cat
    if nodes is None:
        ll = prod
    else:
        ll = np.multiply.outer(nodes.astype(dtype), prod[0])
        ll += prod[1][None, :]
        if prod.shape[0] > 2:
            ll += prod[2:]
    if xt_pres.shape[0]:
        ll += base_miss.T.astype(dtype) @ xt_pres
    ll += base_const.astype(dtype)[:, None]
    top = ll.max(axis=0)
    ll -= top[None, :]
    np.exp(ll, out=ll)
    total = ll.sum(axis=0, dtype=np.float64)
    ll *= (1.0 / total).astype(dtype)[None, :]
    return ll, np.log(total) + top.astype(np.float64)


SE_BLOCK = 512
"""Patterns per block of the standard-error products. Louis' SEs loop over the quadrature nodes
with one weighted rank-k update per node; a block of 512 patterns keeps its weighted indicator
matrix in cache across the nodes. Single-threaded CPU seconds of the SE step against blocks of
50,000 patterns: 2PL 100 x 20,000 1.48 -> 0.80, 3PL 100 x 20,000 2.29 -> 0.95, GRM 20 x 10,000
(5 categories) 0.52 -> 0.36 (best of 3; 1,024 to 4,096 were in between)."""


def posterior_chunks(pat: Patterns, logp: np.ndarray, log_weights: np.ndarray, *, block=SE_BLOCK):
    """Yield ``(slice, X_cat, X_pres, posterior)`` by blocks of ``block`` patterns, in float64.

    Blocks subdivide the E-step chunks, whose cached indicators they reuse.
    """
    delta, base_miss, base_const = _node_matrices(pat, logp)
    delta = (delta, None)
    base_const = base_const + log_weights
    for sl in pat.chunks():
        xt_cat_all, xt_pres_all = pat.indicators(sl)
        for start in range(0, sl.stop - sl.start, block):
            sub = slice(start, min(start + block, sl.stop - sl.start))
            xt_cat = np.ascontiguousarray(xt_cat_all[:, sub], dtype=np.float64)
            xt_pres = np.ascontiguousarray(xt_pres_all[:, sub], dtype=np.float64)
            post_t, _ = _posterior_t(xt_cat, xt_pres, delta, base_miss, base_const, np.float64)
            yield (
                slice(sl.start + sub.start, sl.start + sub.stop),
                np.ascontiguousarray(xt_cat.T),
                np.ascontiguousarray(xt_pres.T),
                np.ascontiguousarray(post_t.T),
            )


def expand_counts(pat, r_cat, r_pres, n_node, k_max):
    """Per-item expected counts ``r[j, k, q]`` from the indicator-space products."""
    n_items = pat.n_items
    counts = np.zeros((n_items, k_max, n_node.size))
    n_jq = np.broadcast_to(n_node, (n_items, n_node.size)).copy()
    if pat.miss_items.size:
        n_jq[pat.miss_items] = r_pres
    cols_item = np.repeat(np.arange(n_items), pat.n_categories - 1)
    cols_cat = np.arange(pat.n_cat_cols) - pat.cat_offset[cols_item] + 1
    counts[cols_item, cols_cat, :] = r_cat
    counts[:, 0, :] = n_jq - counts[:, 1:, :].sum(axis=1)
    np.maximum(counts, 0.0, out=counts)
    return counts
