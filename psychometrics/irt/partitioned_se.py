"""Standard errors of a partitioned calibration: the information matrix summed over partitions.

Louis' (1982) observed information is a sum over persons,

    I_obs = sum_i f_i ( E_post[-d2 l_c,i] - Cov_post(s_c,i) ),

with ``l_c,i`` person ``i``'s complete-data log-likelihood (responses to the items presented and
ability) and ``s_c,i`` its score. Each partition returns its share in the *expanded* parameter
space (every item parameter, the latent mean and SD); the shares are summed, the prior's negative
Hessian is added once, and the map to the free parameters (shared slopes, anchors, held
boundaries) is applied last -- the in-memory :func:`psychometrics.irt._se.information` does the
same on one pattern matrix, so the two agree up to summation order.

* Dense groups (persons presented one set of items) go through the engine's own
  :func:`psychometrics.irt._se.information` on the group's items.
* The sparse remainder (patterns as indicator columns ``item * K + score``) is computed here:
  ``E_post[s s^T]`` node by node from the co-occurring indicator pairs, ``E_post[s]`` from one
  gather per presented item, and the complete-data Hessian from the expected counts (it is linear
  in them, so it is computed once from the summed counts of all partitions).

``method="xpd"`` uses the cross-product of the per-pattern observed scores instead.

References
----------
Louis, T. A. (1982). Finding the observed information matrix when using the EM algorithm.
    *Journal of the Royal Statistical Society B*, 44(2), 226-233.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse

from psychometrics.irt import _families as fam
from psychometrics.irt._engine import Block, Latent, all_log_probs, latent_scores, log_weights
from psychometrics.irt._se import (
    complete_hessian,
    expanded_layout,
    free_information,
    information,
    map_matrix,
)

PAIR_BLOCK = 20_000
"""Indicator pairs per vectorized product (bounds a ``pairs x nodes x params`` temporary)."""
CELL_BLOCK = 40_000
"""Presented cells of sparse patterns per block of the posterior-mean scores."""


@dataclass(frozen=True)
class InformationShare:
    """One partition's share of the information, in the expanded parameter space."""

    info: np.ndarray  # (n_exp, n_exp): groups' information and the sparse -(E[ss'] - s s')
    counts: np.ndarray  # (J, K, Q) expected counts of the sparse patterns
    n_q: np.ndarray  # (Q,)

    def __add__(self, other: InformationShare) -> InformationShare:
        return InformationShare(
            self.info + other.info, self.counts + other.counts, self.n_q + other.n_q
        )


def partition_information(
    part, blocks: list[Block], lat: Latent, nodes: np.ndarray, *, method: str = "louis"
) -> InformationShare:
    """The information share of one :class:`~psychometrics.irt.partitioned.Partition`."""
    _, n_exp = expanded_layout(blocks)
    info = np.zeros((n_exp, n_exp))
    all_free = Latent(mean=lat.mean, sd=lat.sd, est_mean=True, est_sd=True)
    for g in part.groups:
        sub_blocks, to_global = _group_blocks(blocks, g.items, n_exp)
        g.patterns.dtype = np.float64
        sub = information(g.patterns, sub_blocks, all_free, nodes, None, method=method)
        rows = map_matrix(sub_blocks, all_free).argmax(axis=0)  # free column -> expanded row
        idx = to_global[rows]
        info[np.ix_(idx, idx)] += sub
    k_max = part.k_max
    counts = np.zeros((part.n_items, k_max, nodes.size))
    n_q = np.zeros(nodes.size)
    if part.freq.size:
        info -= _sparse_covariance(part, blocks, lat, nodes, counts, n_q, method)
    return InformationShare(info=info, counts=counts, n_q=n_q)


def finish(
    share: InformationShare,
    blocks: list[Block],
    lat: Latent,
    nodes: np.ndarray,
    c_prior,
    *,
    method: str = "louis",
) -> np.ndarray:
    """The information of the free parameters from the summed shares of all partitions."""
    info = share.info.copy()
    if method == "louis":
        info -= complete_hessian(share.counts, share.n_q, blocks, lat, nodes)
    return free_information(info, blocks, lat, c_prior)


# ----------------------------------------------------------------------------- dense groups


def _group_blocks(blocks: list[Block], items: np.ndarray, n_exp: int):
    """The blocks restricted to a group's items (positions local to the group), and the global
    expanded position of every local expanded one (mean and SD last)."""
    offsets, _ = expanded_layout(blocks)
    local = {int(j): i for i, j in enumerate(items)}
    out, to_global = [], []
    for b, blk in enumerate(blocks):
        sel = np.array([jj for jj, j in enumerate(blk.items) if int(j) in local], dtype=np.int64)
        if sel.size == 0:
            continue
        out.append(
            Block(
                model=blk.model,
                family=blk.family,
                n_categories=blk.n_categories,
                items=np.array([local[int(blk.items[jj])] for jj in sel], dtype=np.int64),
                par=blk.par[sel].copy(),
                free_cols=blk.free_cols.copy(),
                shared_slope=False,  # per item here; the global map joins shared slopes
                fixed=blk.fixed,
            )
        )
        if not blk.fixed:
            n_par = blk.par.shape[1]
            to_global.append((offsets[b] + sel[:, None] * n_par + np.arange(n_par)).ravel())
    to_global.append(np.array([n_exp - 2, n_exp - 1]))
    return out, np.concatenate(to_global).astype(np.int64)


# ----------------------------------------------------------------------------- sparse patterns


def _score_table(blocks: list[Block], n_items: int, k_max: int, nodes: np.ndarray, lat: Latent):
    """Complete-data score contributions per indicator column.

    Returns ``D`` of shape ``(J * K + 2, Q, P)``: ``D[j * K + k, q]`` is ``d log P_j(k | q)`` over
    item ``j``'s parameters, row ``J * K`` the latent scores ``d log w_q / d(mean, sd)``, the
    last row zeros (padding); and ``E`` of shape ``(J * K + 2, P)``, the expanded position of each
    entry (-1: fixed, not estimated, or padding).
    """
    offsets, n_exp = expanded_layout(blocks)
    n_par = max([2] + [blk.par.shape[1] for blk in blocks])
    n_rows = n_items * k_max + 2
    d = np.zeros((n_rows, nodes.size, n_par))
    e = np.full((n_rows, n_par), -1, dtype=np.int64)
    for b, blk in enumerate(blocks):
        if blk.fixed:
            continue
        deriv = fam.scores(blk.family, blk.par, nodes)[1]  # (J_b, K_b, Q, P_b)
        p_b = blk.par.shape[1]
        free = blk.free_cols.copy()
        free[0] |= blk.shared_slope
        for jj, j in enumerate(blk.items):
            for k in range(blk.n_categories):
                row = int(j) * k_max + k
                d[row, :, :p_b] = deriv[jj, k]
                e[row, :p_b] = np.where(free, offsets[b] + jj * p_b + np.arange(p_b), -1)
    d[n_rows - 2, :, :2] = latent_scores(nodes, lat.mean, lat.sd)
    e[n_rows - 2, :2] = [n_exp - 2, n_exp - 1]
    d[~np.isfinite(d)] = 0.0  # derivatives of held boundary values (never mapped)
    return d, e


def _sparse_covariance(part, blocks, lat, nodes, counts, n_q, method) -> np.ndarray:
    """``sum_i f_i Cov_post(s_c,i)`` of the sparse patterns (``xpd``: ``-sum f_i s_i s_i'``),
    in the expanded space; adds their expected counts to ``counts``/``n_q``."""
    _, n_exp = expanded_layout(blocks)
    k_max = part.k_max
    logp = all_log_probs(blocks, part.n_items, k_max, nodes)
    lp = logp.reshape(-1, nodes.size)
    lw = log_weights(nodes, lat.mean, lat.sd)
    d, e = _score_table(blocks, part.n_items, k_max, nodes, lat)
    const, pad = d.shape[0] - 2, d.shape[0] - 1
    m1 = np.zeros((n_exp, n_exp))
    m2 = np.zeros((n_exp, n_exp))
    flat_counts = counts.reshape(-1, nodes.size)
    lengths = np.diff(part.indptr)
    longest = int(lengths.max()) + 1
    per_block = max(1, CELL_BLOCK // longest)
    for start in range(0, part.freq.size, per_block):
        stop = min(start + per_block, part.freq.size)
        lo, hi = part.indptr[start], part.indptr[stop]
        n = stop - start
        x = sparse.csr_matrix(
            (np.ones(hi - lo), part.cols[lo:hi], part.indptr[start : stop + 1] - lo),
            shape=(n, lp.shape[0]),
        )
        ll = x @ lp + lw[None, :]
        ll -= ll.max(axis=1, keepdims=True)
        post = np.exp(ll)
        post /= post.sum(axis=1, keepdims=True)
        freq = part.freq[start:stop]
        w = post * freq[:, None]
        flat_counts += x.T @ w
        n_q += w.sum(axis=0)
        # each pattern's indicator columns plus the latent row, padded to one width
        cols = np.full((n, longest), pad, dtype=np.int64)
        ln = lengths[start:stop]
        row = np.repeat(np.arange(n), ln)
        cols[row, np.arange(hi - lo) - np.repeat(part.indptr[start:stop] - lo, ln)] = part.cols[
            lo:hi
        ]
        cols[np.arange(n), ln] = const
        # posterior mean scores: s_bar[i] = sum over the pattern's columns of post_i @ D[col]
        s_vals = np.einsum("nq,nlqp->nlp", post, d[cols])
        s_pos = e[cols]
        ok = s_pos >= 0
        s_bar = sparse.csr_matrix(
            (s_vals[ok], (np.broadcast_to(np.arange(n)[:, None, None], ok.shape)[ok], s_pos[ok])),
            shape=(n, n_exp),
        )
        m2 += (s_bar.T @ s_bar.multiply(freq[:, None]).tocsr()).toarray()
        if method == "louis":
            _add_posterior_second_moment(m1, cols, w, d, e, pad)
    return m1 - m2 if method == "louis" else -m2


def _add_posterior_second_moment(m1, cols, w, d, e, pad) -> None:
    """``m1 += sum_i sum_q w_iq s_i(q) s_i(q)'`` with ``s_i(q) = sum_{c in i} D[c, q]``.

    Grouped by pairs of indicator columns: ``C[(c1, c2), q] = sum_i w_iq [c1, c2 in i]``, then
    ``m1[E[c1], E[c2]] += sum_q C[(c1, c2), q] D[c1, q] D[c2, q]'``.
    """
    n, width = cols.shape
    n_rows = d.shape[0]
    a = np.repeat(cols, width, axis=1)  # (n, width^2): c1
    b = np.tile(cols, (1, width))  # c2
    keep = (a != pad) & (b != pad)
    key = (a * n_rows + b)[keep]
    owner = np.broadcast_to(np.arange(n)[:, None], a.shape)[keep]
    uniq, inverse = np.unique(key, return_inverse=True)
    incidence = sparse.csr_matrix(
        (np.ones(key.size), (inverse.ravel(), owner)), shape=(uniq.size, n)
    )
    c_pairs = incidence @ w  # (pairs, Q)
    c1, c2 = uniq // n_rows, uniq % n_rows
    flat = m1.reshape(-1)
    n_exp = m1.shape[0]
    for s in range(0, uniq.size, PAIR_BLOCK):
        sl = slice(s, s + PAIR_BLOCK)
        left = c_pairs[sl, :, None] * d[c1[sl]]  # (x, Q, P)
        block = np.einsum("xqa,xqb->xab", left, d[c2[sl]])
        e1 = np.broadcast_to(e[c1[sl]][:, :, None], block.shape)
        e2 = np.broadcast_to(e[c2[sl]][:, None, :], block.shape)
        ok = (e1 >= 0) & (e2 >= 0)
        np.add.at(flat, (e1[ok] * n_exp + e2[ok]), block[ok])
