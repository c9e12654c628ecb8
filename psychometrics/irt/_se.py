"""Standard errors: observed information by Louis' formula, or the cross-product (internal).

At the estimate, the observed information of the marginal likelihood is (Louis, 1982)

    I_obs = E[-d2 l_c] - sum_i f_i Cov_post(s_ic)

where ``l_c`` is the complete-data log-likelihood (responses and ability) and ``s_ic`` the
complete-data score of pattern ``i``. The first term is the negative Hessian of the expected
complete-data log-likelihood (computed from the quadrature counts by central differences of its
analytic gradient); the second is computed exactly from node-wise cross-product matrices of the
response indicators, without numerical differentiation of the E-step. The result is identical to
the Oakes (1999) identity. ``xpd`` uses the cross-product of the per-pattern observed scores
instead (cheaper, less accurate in small samples). Priors add their negative Hessian.

References
----------
Louis, T. A. (1982). Finding the observed information matrix when using the EM algorithm.
    *Journal of the Royal Statistical Society B*, 44(2), 226-233.
Oakes, D. (1999). Direct calculation of the information matrix via the EM algorithm. *JRSS B*,
    61(2), 479-482.
Chalmers, R. P. (2018). Numerical approximation of the observed information matrix with Oakes'
    identity. *British Journal of Mathematical and Statistical Psychology*, 71(3), 415-436.
"""

from __future__ import annotations

import numpy as np
from scipy.linalg.blas import dsyrk
from scipy.special import expit

from psychometrics.irt import _families as fam
from psychometrics.irt._engine import Block, Latent, all_log_probs, latent_scores, log_weights
from psychometrics.irt._estep import Patterns, estep, posterior_chunks


def expanded_layout(blocks: list[Block]):
    """Offsets of each free block in the expanded space (every item parameter + mean, sd)."""
    offsets, pos = {}, 0
    for b, blk in enumerate(blocks):
        if blk.fixed:
            continue
        offsets[b] = pos
        pos += blk.par.size
    return offsets, pos + 2


def map_matrix(blocks: list[Block], lat: Latent) -> np.ndarray:
    """``T`` with expanded = T @ free (0/1; shared slopes map several rows to one column)."""
    offsets, n_exp = expanded_layout(blocks)
    cols = []
    for b, blk in enumerate(blocks):
        if blk.fixed:
            continue
        n_par = blk.par.shape[1]
        base = offsets[b] + np.arange(len(blk.items))[:, None] * n_par
        if blk.shared_slope:
            cols.append(list(base[:, 0]))
            free = np.flatnonzero(blk.free_cols[1:]) + 1
        else:
            free = np.flatnonzero(blk.free_cols)
        cols.extend([[int(e)] for e in (base + free[None, :]).ravel()])
    if lat.est_mean:
        cols.append([n_exp - 2])
    if lat.est_sd:
        cols.append([n_exp - 1])
    t = np.zeros((n_exp, len(cols)))
    for k, rows in enumerate(cols):
        t[rows, k] = 1.0
    return t


def information(
    pat: Patterns,
    blocks: list[Block],
    lat: Latent,
    nodes: np.ndarray,
    c_prior,
    *,
    method: str = "louis",
) -> np.ndarray:
    """Observed (``louis``) or cross-product (``xpd``) information of the free parameters."""
    offsets, n_exp = expanded_layout(blocks)
    k_max = int(np.max(pat.n_categories))
    logp = all_log_probs(blocks, pat.n_items, k_max, nodes)
    logw = log_weights(nodes, lat.mean, lat.sd)
    s_lat = latent_scores(nodes, lat.mean, lat.sd)  # (Q, 2)
    derivs = {
        b: fam.scores(blk.family, blk.par, nodes)[1]
        for b, blk in enumerate(blocks)
        if not blk.fixed
    }
    miss_pos = {int(j): m for m, j in enumerate(pat.miss_items)}
    # items presented to exactly the same patterns (e.g. the same booklets) share one column
    pres_all = pat.codes[:, pat.miss_items] >= 0
    if pres_all.shape[1]:
        packed = np.packbits(pres_all, axis=0).T
        _, rep, group = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    else:
        rep, group = np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    group = np.asarray(group).reshape(-1)
    n_q = nodes.size
    n_z = pat.n_cat_cols + rep.size + 1
    const = n_z - 1

    info = np.zeros((n_exp, n_exp))
    m2 = np.zeros((n_exp, n_exp))
    c_q = np.zeros((n_q, n_z, n_z)) if method == "louis" else None
    for sl, x_cat, x_pres, post in posterior_chunks(pat, logp, logw):
        freq = pat.freq[sl]
        n = post.shape[0]
        s_bar = np.zeros((n, n_exp))
        for b, blk in enumerate(blocks):
            if blk.fixed:
                continue
            d = derivs[b]  # (J, K, Q, P)
            n_items_b, n_cat, _, n_par = d.shape
            span = slice(offsets[b], offsets[b] + n_items_b * n_par)
            base = (post @ d[:, 0].transpose(1, 0, 2).reshape(n_q, -1)).reshape(n, n_items_b, n_par)
            pres = np.ones((n, n_items_b))
            for jj, j in enumerate(blk.items):
                if int(j) in miss_pos:
                    pres[:, jj] = x_pres[:, miss_pos[int(j)]]
            acc = base * pres[:, :, None]
            for k in range(1, n_cat):
                diff = (d[:, k] - d[:, 0]).transpose(1, 0, 2).reshape(n_q, -1)
                g = (post @ diff).reshape(n, n_items_b, n_par)
                ind = x_cat[:, pat.cat_offset[blk.items] + k - 1]
                acc += g * ind[:, :, None]
            s_bar[:, span] = acc.reshape(n, -1)
        s_bar[:, -2:] = post @ s_lat
        m2 += s_bar.T @ (s_bar * freq[:, None])
        if c_q is not None:
            z = np.concatenate([x_cat, x_pres[:, rep], np.ones((n, 1))], axis=1)
            root_w = np.sqrt(post * freq[:, None])
            for q in range(n_q):  # symmetric rank-k update: upper triangle of Z^T diag(w_q) Z
                c_q[q] += dsyrk(1.0, z * root_w[:, q : q + 1], trans=1)

    if method == "xpd":
        info = m2
    else:
        big_b = np.zeros((n_z, n_exp, n_q))
        for b, blk in enumerate(blocks):
            if blk.fixed:
                continue
            d = derivs[b]
            n_items_b, n_cat, _, n_par = d.shape
            e_idx = offsets[b] + np.arange(n_items_b)[:, None] * n_par + np.arange(n_par)[None, :]
            for k in range(1, n_cat):
                c_idx = pat.cat_offset[blk.items] + k - 1
                big_b[c_idx[:, None], e_idx, :] = (d[:, k] - d[:, 0]).transpose(0, 2, 1)
            c_idx = np.array(
                [
                    pat.n_cat_cols + group[miss_pos[int(j)]] if int(j) in miss_pos else const
                    for j in blk.items
                ]
            )
            big_b[c_idx[:, None], e_idx, :] = d[:, 0].transpose(0, 2, 1)
        big_b[const, -2:, :] = s_lat.T
        upper = np.triu(np.ones((n_z, n_z), dtype=bool), 1)
        c_q += np.where(upper[None], c_q, 0.0).transpose(0, 2, 1)
        m1 = np.zeros((n_exp, n_exp))
        for q in range(n_q):
            bq = big_b[:, :, q]
            m1 += bq.T @ (c_q[q] @ bq)
        h_c = _complete_hessian(pat, blocks, lat, nodes, logp, logw, offsets, n_exp)
        info = -h_c - (m1 - m2)
    # priors (negative Hessian of the log prior, in the estimation parameterization)
    if c_prior is not None:
        alpha, beta = c_prior
        for b, blk in enumerate(blocks):
            if blk.fixed or blk.family != "dich3":
                continue
            c = expit(blk.par[:, 2])
            e = offsets[b] + np.arange(len(blk.items)) * 3 + 2
            info[e, e] += (alpha + beta - 2.0) * c * (1.0 - c)
    t = map_matrix(blocks, lat)
    return t.T @ info @ t


def _complete_hessian(pat, blocks, lat, nodes, logp, logw, offsets, n_exp):
    """Hessian of the expected complete-data log-likelihood (block diagonal)."""
    res = estep(pat, logp, logw)
    h = np.zeros((n_exp, n_exp))
    for b, blk in enumerate(blocks):
        if blk.fixed:
            continue
        counts = res.counts[blk.items, : blk.n_categories, :]
        n_items_b, n_par = blk.par.shape
        hb = np.zeros((n_items_b, n_par, n_par))
        for p in range(n_par):
            if not blk.free_cols[p] and not np.all(np.isfinite(blk.par[:, p])):
                continue  # a held boundary value (c = 0): its rows are not in the result
            step = 1e-5 * (1.0 + np.abs(blk.par[:, p]))
            grads = []
            for sign in (1.0, -1.0):
                par = blk.par.copy()
                par[:, p] += sign * step
                dlog = fam.scores(blk.family, par, nodes)[1]
                grads.append(np.einsum("jkq,jkqp->jp", counts, dlog))
            hb[:, :, p] = (grads[0] - grads[1]) / (2.0 * step[:, None])
        hb = 0.5 * (hb + hb.transpose(0, 2, 1))
        for jj in range(n_items_b):
            e = offsets[b] + jj * n_par
            h[e : e + n_par, e : e + n_par] = hb[jj]
    # latent mean and sd
    hl = np.zeros((2, 2))
    base = np.array([lat.mean, lat.sd])
    for p in range(2):
        step = 1e-5 * (1.0 + abs(base[p]))
        grads = []
        for sign in (1.0, -1.0):
            val = base.copy()
            val[p] += sign * step
            grads.append(res.n_q @ latent_scores(nodes, val[0], val[1]))
        hl[:, p] = (grads[0] - grads[1]) / (2.0 * step)
    h[-2:, -2:] = 0.5 * (hl + hl.T)
    return h


def covariance(info: np.ndarray) -> np.ndarray | None:
    """The inverse of an information matrix, or None when it is not positive definite."""
    info = 0.5 * (info + info.T)
    try:
        eig = np.linalg.eigvalsh(info)
    except np.linalg.LinAlgError:
        return None
    if not np.all(np.isfinite(eig)) or eig.min() <= 1e-10 * max(1.0, abs(eig.max())):
        return None
    return np.linalg.inv(info)
