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
    """Observed (``louis``) or cross-product (``xpd``) information of the free parameters.

    Louis' second-moment term ``sum_i f_i E_post[s_i s_i^T]`` is ``sum_q B_q^T C_q B_q`` with
    ``C_q = Z^T diag(f w_q) Z`` the node-wise weighted cross-products of the response
    indicators ``Z`` and ``B_q`` the complete-data score of each indicator at node ``q``. For
    indicator columns whose score is affine in the node, ``B_q = U_0 + x_q U_1`` (2PL, Rasch,
    1PL, GPCM, PCM and nominal items: the log-odds against category 0 are linear in the node),
    the sum over nodes collapses to three weighted Gram matrices ``Z^T diag(f E_post[x^m]) Z``,
    ``m = 0, 1, 2``; only the other columns (3PL and graded items, the presentation indicators
    and the constant) need one cross-product per node. The result is the same matrix.
    """
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
    lay = _louis_layout(pat, blocks, derivs, offsets, n_exp, s_lat, nodes)
    n_q = nodes.size
    louis = method == "louis"
    n_lin, n_oth = lay.lin_cols.size, lay.oth_rows.shape[0]
    m2 = np.zeros((n_exp, n_exp))
    g_m = np.zeros((3, n_lin, n_lin)) if louis else None
    c_ln = np.zeros((n_lin, n_oth * n_q)) if louis else None
    c_nn = np.zeros((n_oth, n_q * n_oth)) if louis else None
    powers = np.stack([np.ones(n_q), nodes, nodes**2], axis=1)  # (Q, 3)
    block = int(np.clip(SE_BYTES // (8 * n_q * max(n_oth, 1)), 512, 8192))
    for sl, x_cat, x_pres, post in posterior_chunks(pat, logp, logw, block=block):
        freq = pat.freq[sl]
        n = post.shape[0]
        moments = post @ powers  # (n, 3): E_post[1, x, x^2]
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
                m = lay.miss_pos.get(int(j))
                if m is not None:
                    pres[:, jj] = x_pres[:, m]
            acc = base * pres[:, :, None]
            for k in range(1, n_cat):
                lin = lay.affine.get((b, k))
                if lin is not None:  # E_post[u0 + x u1] = u0 + E_post[x] u1
                    g = lin[0][None] + moments[:, 1, None, None] * lin[1][None]
                else:
                    diff = (d[:, k] - d[:, 0]).transpose(1, 0, 2).reshape(n_q, -1)
                    g = (post @ diff).reshape(n, n_items_b, n_par)
                ind = x_cat[:, pat.cat_offset[blk.items] + k - 1]
                acc += g * ind[:, :, None]
            s_bar[:, span] = acc.reshape(n, -1)
        s_bar[:, -2:] = post @ s_lat
        root_f = np.sqrt(freq)[:, None]
        weighted = s_bar * root_f
        m2 += weighted.T @ weighted
        if not louis:
            continue
        z_oth = np.concatenate([x_cat[:, lay.oth_cat], x_pres[:, lay.rep], np.ones((n, 1))], axis=1)
        fw = post * freq[:, None]  # (n, Q)
        if n_lin:
            x_lin = x_cat[:, lay.lin_cols]
            wl = x_lin * root_f
            g_m[0] += wl.T @ wl
            for m in (1, 2):
                g_m[m] += x_lin.T @ (x_lin * (freq * moments[:, m])[:, None])
            # C_q[L, N] for every node: X_L^T diag(f w_q z_c) for each other column c
            c_ln += x_lin.T @ (fw[:, None, :] * z_oth[:, :, None]).reshape(n, -1)
        # C_q[N, N] for every node, as one product: Z_N^T [z_c w_q] over (q, c)
        c_nn += z_oth.T @ (fw[:, :, None] * z_oth[:, None, :]).reshape(n, -1)

    if method == "xpd":
        info = m2
    else:
        # sum_q B_q^T C_q B_q, split by linear (L) and other (N) columns
        u0, u1 = lay.u0, lay.u1
        m1 = np.zeros((n_exp, n_exp))
        if n_lin:
            m1 += u0.T @ g_m[0] @ u0 + u1.T @ g_m[2] @ u1
            cross = u0.T @ g_m[1] @ u1
            m1 += cross + cross.T
            b_n = lay.oth_rows.transpose(0, 2, 1).reshape(n_oth * n_q, n_exp)  # rows (c, q)
            theta = np.tile(nodes, n_oth)
            e0 = c_ln @ b_n
            e1 = (c_ln * theta[None, :]) @ b_n
            ln = u0.T @ e0 + u1.T @ e1
            m1 += ln + ln.T
        c_q = c_nn.reshape(n_oth, n_q, n_oth)
        for q in range(n_q):
            bq = lay.oth_rows[:, :, q]
            m1 += bq.T @ (c_q[:, q, :] @ bq)
        h_c = _complete_hessian(pat, blocks, lat, nodes, logp, logw, offsets, n_exp)
        info = -h_c - (m1 - m2)
    return free_information(info, blocks, lat, c_prior)


def free_information(info: np.ndarray, blocks: list[Block], lat: Latent, c_prior) -> np.ndarray:
    """The expanded-space information ``info`` plus the c prior's negative Hessian (in the
    estimation parameterization), mapped to the free parameters."""
    if c_prior is not None:
        offsets, _ = expanded_layout(blocks)
        alpha, beta = c_prior
        for b, blk in enumerate(blocks):
            if blk.fixed or blk.family != "dich3":
                continue
            c = expit(blk.par[:, 2])
            e = offsets[b] + np.arange(len(blk.items)) * 3 + 2
            info[e, e] += (alpha + beta - 2.0) * c * (1.0 - c)
    t = map_matrix(blocks, lat)
    return t.T @ info @ t


def louis_cost(pat: Patterns, blocks: list[Block], nodes: np.ndarray) -> float:
    """Floating-point operations of :func:`information` with ``method="louis"`` (an estimate).

    Per response pattern: the posterior (indicators x nodes), the expected scores (nodes x
    parameters) and their Gram matrix (parameters^2), three Gram matrices of the indicator
    columns with an affine score, and the per-node products of the other columns. Single
    threaded, about 1e10 of these take a second (2PL, 100 items: 1.4e5 per pattern).
    """
    n_q = nodes.size
    n_exp, n_lin, n_oth = 2, 0, 1 + int(pat.miss_items.size > 0)
    for blk in blocks:
        if blk.fixed:
            continue
        n_exp += blk.par.size
        n_cols = len(blk.items) * (blk.n_categories - 1)
        if blk.family in _AFFINE_FAMILIES:
            n_lin += n_cols
        else:
            n_oth += n_cols
    per_pattern = (
        2.0 * (pat.n_cat_cols + pat.miss_items.size) * n_q
        + 2.0 * n_q * n_exp
        + n_exp**2
        + 5.0 * n_lin**2
        + 2.0 * n_lin * n_oth * n_q
        + 2.0 * n_oth**2 * n_q
    )
    return float(pat.n_patterns) * per_pattern


_AFFINE_FAMILIES = ("dich2", "gpcm", "nominal")
"""Families whose indicator scores are affine in the node (the three-moment route)."""


SE_BYTES = 8 * 1024**2
"""Largest work array of one block of the standard-error products (patterns x nodes x other
columns, float64): blocks of 512 to 8,192 patterns."""


class _Layout:
    """How each column of ``Z = [X_cat, presentation groups, 1]`` enters the complete-data score.

    ``lin_cols`` are indicator columns whose score is ``u0 + x u1`` (rows of ``u0``/``u1``, in
    the expanded parameter space); ``affine[(block, k)]`` holds the same per item of a block
    ``(u0, u1)`` when every item of the block is affine for category ``k``. Every other column
    of ``Z`` (``oth_cat`` indicator columns, presentation groups ``rep``, the constant) has its
    score at each node in ``oth_rows`` ``(columns, n_exp, Q)``.
    """


def _louis_layout(pat, blocks, derivs, offsets, n_exp, s_lat, nodes) -> _Layout:
    lay = _Layout()
    lay.miss_pos = {int(j): m for m, j in enumerate(pat.miss_items)}
    # items presented to exactly the same patterns (e.g. the same booklets) share one column
    pres_all = pat.codes[:, pat.miss_items] >= 0
    if pres_all.shape[1]:
        packed = np.packbits(pres_all, axis=0).T
        _, rep, group = np.unique(packed, axis=0, return_index=True, return_inverse=True)
    else:
        rep, group = np.zeros(0, dtype=int), np.zeros(0, dtype=int)
    lay.rep = np.asarray(rep, dtype=np.int64)
    group = np.asarray(group).reshape(-1)
    n_q = nodes.size
    xc = nodes - nodes.mean()
    lin_cols, lin_u0, lin_u1, oth_cat, oth_rows = [], [], [], [], []
    lay.affine = {}
    for b, blk in enumerate(blocks):
        if blk.fixed:
            continue
        d = derivs[b]
        n_items_b, n_cat, _, n_par = d.shape
        e_idx = offsets[b] + np.arange(n_items_b)[:, None] * n_par + np.arange(n_par)[None, :]
        for k in range(1, n_cat):
            diff = d[:, k] - d[:, 0]  # (J, Q, P)
            slope = np.einsum("jqp,q->jp", diff, xc) / (xc @ xc)
            icpt = diff.mean(axis=1) - slope * nodes.mean()
            fitted = icpt[:, None, :] + nodes[None, :, None] * slope[:, None, :]
            resid = np.abs(diff - fitted).max(axis=(1, 2))
            affine = resid <= 1e-9 * (1.0 + np.abs(diff).max(axis=(1, 2)))
            cols = pat.cat_offset[blk.items] + k - 1
            if affine.all():
                lay.affine[(b, k)] = (icpt, slope)
            for jj in range(n_items_b):
                if affine[jj]:
                    u0 = np.zeros(n_exp)
                    u1 = np.zeros(n_exp)
                    u0[e_idx[jj]], u1[e_idx[jj]] = icpt[jj], slope[jj]
                    lin_cols.append(cols[jj])
                    lin_u0.append(u0)
                    lin_u1.append(u1)
                else:
                    row = np.zeros((n_exp, n_q))
                    row[e_idx[jj]] = diff[jj].T
                    oth_cat.append(cols[jj])
                    oth_rows.append(row)
    n_groups = lay.rep.size
    pres_rows = np.zeros((n_groups + 1, n_exp, n_q))
    for b, blk in enumerate(blocks):
        if blk.fixed:
            continue
        d = derivs[b]
        n_items_b, _, _, n_par = d.shape
        for jj, j in enumerate(blk.items):
            m = lay.miss_pos.get(int(j))
            r = group[m] if m is not None else n_groups
            e = offsets[b] + jj * n_par
            pres_rows[r, e : e + n_par] = d[jj, 0].T
    pres_rows[n_groups, -2:] = s_lat.T
    lay.lin_cols = np.asarray(lin_cols, dtype=np.int64)
    lay.u0 = np.array(lin_u0).reshape(-1, n_exp)
    lay.u1 = np.array(lin_u1).reshape(-1, n_exp)
    lay.oth_cat = np.asarray(oth_cat, dtype=np.int64)
    lay.oth_rows = np.concatenate([np.array(oth_rows).reshape(-1, n_exp, n_q), pres_rows])
    return lay


def _complete_hessian(pat, blocks, lat, nodes, logp, logw, offsets, n_exp):
    """Hessian of the expected complete-data log-likelihood (block diagonal)."""
    res = estep(pat, logp, logw)
    return complete_hessian(res.counts, res.n_q, blocks, lat, nodes)


def complete_hessian(counts, n_q, blocks: list[Block], lat: Latent, nodes) -> np.ndarray:
    """Hessian of the expected complete-data log-likelihood for expected ``counts``/``n_q``,
    in the expanded space (block diagonal; central differences of the analytic gradient, as
    the in-memory engine computes it)."""
    offsets, n_exp = expanded_layout(blocks)
    h = np.zeros((n_exp, n_exp))
    for b, blk in enumerate(blocks):
        if blk.fixed:
            continue
        cts = counts[blk.items, : blk.n_categories, :]
        n_items_b, n_par = blk.par.shape
        hb = np.zeros((n_items_b, n_par, n_par))
        for p in range(n_par):
            if not blk.free_cols[p] and not np.all(np.isfinite(blk.par[:, p])):
                continue  # a held boundary value: not in the result
            step = 1e-5 * (1.0 + np.abs(blk.par[:, p]))
            grads = []
            for sign in (1.0, -1.0):
                par = blk.par.copy()
                par[:, p] += sign * step
                dlog = fam.scores(blk.family, par, nodes)[1]
                grads.append(np.einsum("jkq,jkqp->jp", cts, dlog))
            hb[:, :, p] = (grads[0] - grads[1]) / (2.0 * step[:, None])
        hb = 0.5 * (hb + hb.transpose(0, 2, 1))
        for jj in range(n_items_b):
            e = offsets[b] + jj * n_par
            h[e : e + n_par, e : e + n_par] = hb[jj]
    hl = np.zeros((2, 2))
    base = np.array([lat.mean, lat.sd])
    for p in range(2):
        step = 1e-5 * (1.0 + abs(base[p]))
        grads = []
        for sign in (1.0, -1.0):
            val = base.copy()
            val[p] += sign * step
            grads.append(n_q @ latent_scores(nodes, val[0], val[1]))
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
