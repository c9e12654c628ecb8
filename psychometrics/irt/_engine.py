"""The marginal maximum likelihood EM engine shared by every model (internal).

Items are grouped into *blocks* of one family, one number of categories and one status (free or
fixed anchor). The EM map is: E-step (:mod:`._estep`) -> vectorized Fisher-scoring M-step for all
items of a block at once (closed-form gradients and information over the quadrature counts, with
step halving) -> closed-form update of the latent mean and standard deviation when they are free.
The map is accelerated with SQUAREM (scheme S3) with a monotonicity safeguard.

References
----------
Bock, R. D., & Aitkin, M. (1981). *Psychometrika*, 46(4), 443-459.
Varadhan, R., & Roland, C. (2008). Simple and globally convergent methods for accelerating the
    convergence of any EM algorithm. *Scandinavian Journal of Statistics*, 35(2), 335-353.
Mislevy, R. J. (1986). Bayes modal estimation in item response models. *Psychometrika*, 51(2),
    177-195 (priors on item parameters in MML).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.special import expit, log_expit

from psychometrics.irt import _families as fam
from psychometrics.irt._estep import Patterns, estep

FAMILY_OF = {
    "rasch": "dich2",
    "1pl": "dich2",
    "2pl": "dich2",
    "3pl": "dich3",
    "grm": "grm",
    "gpcm": "gpcm",
    "pcm": "gpcm",
    "nominal": "nominal",
}
FIXED_SLOPE = ("rasch", "pcm")


@dataclass
class Block:
    """Items of one model, one category count and one status, with their current parameters."""

    model: str
    family: str
    n_categories: int
    items: np.ndarray  # positions in the item list
    par: np.ndarray  # (J_b, P) slope-intercept parameters
    free_cols: np.ndarray  # (P,) bool, columns estimated
    shared_slope: bool
    fixed: bool

    @property
    def n_free(self) -> int:
        if self.fixed:
            return 0
        per_item = int(self.free_cols.sum()) - (1 if self.shared_slope else 0)
        return per_item * len(self.items) + (1 if self.shared_slope else 0)


@dataclass
class Latent:
    mean: float = 0.0
    sd: float = 1.0
    est_mean: bool = False
    est_sd: bool = False

    @property
    def n_free(self) -> int:
        return int(self.est_mean) + int(self.est_sd)


@dataclass
class Settings:
    nodes: np.ndarray
    max_iter: int = 500
    tol: float = 1e-5
    ll_tol: float = 1e-6
    accelerate: bool = True
    c_prior: tuple[float, float] | None = (5.0, 17.0)
    progress: Callable[[str], None] | None = None
    progress_every: float = 2.0
    fast: bool = True
    hold_boundary: bool = False  # hold a 3PL c that reaches 0 at 0 (also implied by a c_prior
    # that allows c = 0 as its maximum, see boundary_prior)


@dataclass
class EMOutcome:
    iterations: int
    converged: bool
    message: str
    loglik: float
    seconds: float
    change: float = np.inf  # largest parameter change of the last EM step
    left: str = ""  # why the EM map left the parameter space, if it did
    held: tuple[int, ...] = ()  # items whose c reached its boundary and was held at 0


# ----------------------------------------------------------------------------- latent weights


def log_weights(nodes: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """Log normal weights at fixed nodes, renormalised to sum to one."""
    z = -0.5 * ((nodes - mean) / sd) ** 2
    return z - np.logaddexp.reduce(z)


def latent_scores(nodes: np.ndarray, mean: float, sd: float) -> np.ndarray:
    """``d log w_q / d (mean, sd)`` at each node, shape ``(Q, 2)``."""
    w = np.exp(log_weights(nodes, mean, sd))
    u_m = (nodes - mean) / sd**2
    u_s = (nodes - mean) ** 2 / sd**3
    return np.stack([u_m - w @ u_m, u_s - w @ u_s], axis=1)


# ----------------------------------------------------------------------------- probabilities


def all_log_probs(blocks: list[Block], n_items: int, k_max: int, nodes: np.ndarray) -> np.ndarray:
    out = np.full((n_items, k_max, nodes.size), fam._LOG_TINY)
    for blk in blocks:
        out[blk.items, : blk.n_categories, :] = fam.log_probs(blk.family, blk.par, nodes)
    return out


def block_objective(blk: Block, par: np.ndarray, counts: np.ndarray, nodes, c_prior) -> np.ndarray:
    """Expected complete-data log-likelihood (+ log prior) of each item of the block."""
    logp = fam.log_probs(blk.family, par, nodes)
    val = np.einsum("jkq,jkq->j", counts, logp)
    if blk.family == "grm":
        val = np.where(np.all(np.diff(par[:, 1:], axis=1) < 0, axis=1), val, -np.inf)
    if blk.family == "dich3" and c_prior is not None:
        val = val + c_log_prior(par[:, 2], c_prior)
    finite = np.all(np.isfinite(par[:, blk.free_cols]), axis=1)
    return np.where(np.isfinite(val) & finite, val, -np.inf)


def c_log_prior(g: np.ndarray, c_prior) -> np.ndarray:
    """Beta(alpha, beta) log density (up to its constant) of ``c = expit(g)``.

    A term whose exponent is 0 is left out, so that a ``c`` held at 0 (``g = -inf``) under a
    Beta(1, beta) prior has the finite density it has there.
    """
    alpha, beta = c_prior
    out = np.zeros(np.shape(g))
    if alpha != 1.0:
        out = out + (alpha - 1.0) * log_expit(g)
    if beta != 1.0:
        out = out + (beta - 1.0) * log_expit(-g)
    return out


def boundary_prior(c_prior) -> bool:
    """Whether the maximum may put a 3PL ``c`` on 0: no prior, or a Beta(alpha <= 1, beta) prior.

    With ``alpha = 1`` the prior's density is finite and largest at ``c = 0`` (``alpha < 1``:
    unbounded there), so the posterior mode can sit on the boundary as the likelihood's can.
    """
    return c_prior is None or float(c_prior[0]) <= 1.0


def c_prior_score_at_zero(c_prior) -> float:
    """``d log prior / d c`` at ``c = 0``: 0 without a prior, ``-(beta - 1)`` for Beta(1, beta),
    ``-inf`` for ``alpha < 1`` (the prior alone keeps ``c`` at 0)."""
    if c_prior is None:
        return 0.0
    alpha, beta = float(c_prior[0]), float(c_prior[1])
    if alpha < 1.0:
        return -np.inf
    if alpha > 1.0:
        return np.inf
    return -(beta - 1.0)


def block_grad_info(blk: Block, par: np.ndarray, counts: np.ndarray, nodes, c_prior):
    """Gradient ``(J, P)`` and Fisher information ``(J, P, P)`` of the block objective."""
    if blk.family == "dich2":
        return _dich2_grad_info(par, counts, nodes)
    logp, dlog = fam.scores(blk.family, par, nodes)
    n_items, n_cat, n_q, n_par = dlog.shape
    flat = dlog.reshape(n_items, n_cat * n_q, n_par)
    grad = np.matmul(counts.reshape(n_items, 1, n_cat * n_q), flat)[:, 0, :]
    n_jq = counts.sum(axis=1)
    weights = (np.exp(logp) * n_jq[:, None, :]).reshape(n_items, n_cat * n_q, 1)
    info = np.matmul((flat * weights).transpose(0, 2, 1), flat)
    if blk.family == "dich3" and c_prior is not None:
        alpha, beta = c_prior
        c = expit(par[:, 2])
        grad[:, 2] += (alpha - 1.0) * (1.0 - c) - (beta - 1.0) * c
        info[:, 2, 2] += (alpha + beta - 2.0) * c * (1.0 - c)
    return grad, info


def _dich2_grad_info(par: np.ndarray, counts: np.ndarray, nodes: np.ndarray):
    """:func:`block_grad_info` of 2PL items in closed form (the logistic is the canonical link:
    gradient ``sum_q (r_1q - n_q s_q) (x_q, 1)``, information ``sum_q n_q s_q (1 - s_q)
    (x_q, 1)(x_q, 1)^T``), without the per-category derivative arrays."""
    s = expit(par[:, :1] * nodes[None, :] + par[:, 1:2])
    n_jq = counts[:, 0] + counts[:, 1]
    resid = counts[:, 1] - n_jq * s
    w = n_jq * s * (1.0 - s)
    grad = np.stack([resid @ nodes, resid.sum(axis=1)], axis=1)
    moments = w @ np.stack([np.ones_like(nodes), nodes, nodes**2], axis=1)  # (J, 3)
    info = np.empty((par.shape[0], 2, 2))
    info[:, 0, 0] = moments[:, 2]
    info[:, 0, 1] = info[:, 1, 0] = moments[:, 1]
    info[:, 1, 1] = moments[:, 0]
    return grad, info


# ----------------------------------------------------------------------------- M-step


def mstep_block(
    blk: Block, counts: np.ndarray, nodes, c_prior, *, max_newton: int = 6, tol: float = 1e-8
):
    """Improve the block objective by Fisher scoring with step halving (all items at once).

    A few warm-started scoring steps per EM step (a generalized EM): the objective never
    decreases, and at a fixed point of the EM map its gradient is zero, so the fixed points are
    those of exact EM.
    """
    if blk.fixed:
        return
    par = blk.par.copy()
    free = blk.free_cols
    current = block_objective(blk, par, counts, nodes, c_prior)
    for _ in range(max_newton):
        grad, info = block_grad_info(blk, par, counts, nodes, c_prior)
        grad, info = grad[:, free], info[:, free][:, :, free]
        ridge = 1e-9 * (1.0 + np.abs(np.diagonal(info, axis1=1, axis2=2)))
        info = info + ridge[:, :, None] * np.eye(info.shape[1])[None]
        if blk.shared_slope:
            step = _shared_slope_step(grad, info)
        else:
            step = _solve(info, grad)
        big = np.max(np.abs(step), axis=1, keepdims=True)
        step = np.where(big > 2.0, step * (2.0 / np.maximum(big, 1e-300)), step)
        par, current, moved = _line_search(blk, par, step, current, counts, nodes, c_prior)
        if moved < tol:
            break
    blk.par = par


def _solve(info, grad):
    try:
        return np.linalg.solve(info, grad[..., None])[..., 0]
    except np.linalg.LinAlgError:
        return np.einsum("jpr,jr->jp", np.linalg.pinv(info), grad)


def _shared_slope_step(grad, info):
    """Newton step for a common slope (column 0) shared by all items, by the Schur complement."""
    g_a, g_d = grad[:, 0].sum(), grad[:, 1:]
    h_aa, h_ad, h_dd = info[:, 0, 0].sum(), info[:, 0, 1:], info[:, 1:, 1:]
    h_dd_inv = np.linalg.inv(h_dd)
    hd_g = np.einsum("jpr,jr->jp", h_dd_inv, g_d)
    hd_h = np.einsum("jpr,jr->jp", h_dd_inv, h_ad)
    schur = h_aa - np.einsum("jp,jp->", h_ad, hd_h)
    delta_a = (g_a - np.einsum("jp,jp->", h_ad, hd_g)) / schur
    delta_d = hd_g - hd_h * delta_a
    return np.concatenate([np.full((grad.shape[0], 1), delta_a), delta_d], axis=1)


def _line_search(blk, par, step, current, counts, nodes, c_prior, halvings: int = 12):
    free = blk.free_cols
    n = par.shape[0]
    t = np.ones(n)
    new, new_val = par.copy(), current.copy()
    active = np.ones(n, dtype=bool)
    for _ in range(halvings):
        cand = par.copy()
        cand[:, free] += t[:, None] * step
        val = block_objective(blk, cand, counts, nodes, c_prior)
        if blk.shared_slope:
            ok_all = np.isfinite(val.sum()) and val.sum() >= current.sum() - 1e-12 * abs(
                current.sum()
            )
            ok = np.full(n, ok_all)
        else:
            ok = np.isfinite(val) & (val >= current - 1e-12 * np.abs(current))
        take = ok & active
        new[take], new_val[take] = cand[take], val[take]
        active &= ~take
        if not active.any():
            break
        t[active] *= 0.5
    moved = np.where(active, 0.0, t)[:, None] * step
    return new, new_val, float(np.max(np.abs(moved), initial=0.0))


def mstep_latent(lat: Latent, n_q: np.ndarray, nodes: np.ndarray) -> None:
    total = n_q.sum()
    if lat.est_mean:
        lat.mean = float(n_q @ nodes / total)
    if lat.est_sd:
        lat.sd = float(np.sqrt(n_q @ (nodes - lat.mean) ** 2 / total))


# ----------------------------------------------------------------------------- packing


def pack(blocks: list[Block], lat: Latent) -> np.ndarray:
    parts = []
    for blk in blocks:
        if blk.fixed:
            continue
        if blk.shared_slope:
            parts.append(blk.par[:1, 0])
            parts.append(blk.par[:, 1:][:, blk.free_cols[1:]].ravel())
        else:
            parts.append(blk.par[:, blk.free_cols].ravel())
    if lat.est_mean:
        parts.append([lat.mean])
    if lat.est_sd:
        parts.append([lat.sd])
    return np.concatenate([np.asarray(p, dtype=float) for p in parts]) if parts else np.zeros(0)


def unpack(phi: np.ndarray, blocks: list[Block], lat: Latent) -> None:
    pos = 0
    for blk in blocks:
        if blk.fixed:
            continue
        par = blk.par.copy()
        if blk.shared_slope:
            par[:, 0] = phi[pos]
            pos += 1
            cols = np.flatnonzero(blk.free_cols[1:]) + 1
        else:
            cols = np.flatnonzero(blk.free_cols)
        size = len(blk.items) * cols.size
        par[:, cols] = phi[pos : pos + size].reshape(len(blk.items), cols.size)
        pos += size
        blk.par = par
    if lat.est_mean:
        lat.mean = float(phi[pos])
        pos += 1
    if lat.est_sd:
        lat.sd = float(phi[pos])
        pos += 1


def _why_invalid(blocks: list[Block], lat: Latent) -> str:
    """In words, why :func:`valid` fails for the current values."""
    if not (np.isfinite(lat.mean) and np.isfinite(lat.sd)):
        return "the latent mean or SD became non-finite"
    if lat.sd <= 1e-3:
        return "the latent SD went to 0 (the items share little or no common variance)"
    for blk in blocks:
        if not blk.fixed and not np.all(np.isfinite(blk.par[:, blk.free_cols])):
            return f"{blk.model} item estimates became non-finite"
        if blk.family == "grm" and not np.all(np.diff(blk.par[:, 1:], axis=1) < 0):
            return "graded thresholds became disordered"
    return "the log-likelihood became non-finite"


def valid(blocks: list[Block], lat: Latent) -> bool:
    if not (np.isfinite(lat.mean) and np.isfinite(lat.sd) and lat.sd > 1e-3):
        return False
    for blk in blocks:
        if blk.fixed:
            continue
        if not np.all(np.isfinite(blk.par[:, blk.free_cols])):
            return False
        if blk.family == "grm" and not np.all(np.diff(blk.par[:, 1:], axis=1) < 0):
            return False
    return True


# ----------------------------------------------------------------------------- boundaries

C_BOUNDARY = 1e-4
"""A free 3PL lower asymptote below this (without a prior) is on its boundary and held at 0."""
G_BOUNDARY = float(np.log(C_BOUNDARY / (1.0 - C_BOUNDARY)))


def hold_boundary(blocks: list[Block], exclude=frozenset()) -> list[int]:
    """Move free 3PL items whose ``c`` fell below :data:`C_BOUNDARY` to a block with ``c = 0``.

    Without a prior the maximum-likelihood ``c`` of an item is often exactly 0; EM then drifts
    towards ``logit(c) = -inf`` without converging and the information matrix is singular there.
    Holding such ``c`` at 0 (``g = -inf``, not a free parameter) leaves the other parameters'
    maximum and gives them standard errors. ``blocks`` is changed in place; returns the items.
    """
    held: list[int] = []
    for blk in list(blocks):
        if blk.fixed or blk.family != "dich3" or not blk.free_cols[2]:
            continue
        low = (blk.par[:, 2] < G_BOUNDARY) & ~np.isin(blk.items, list(exclude))
        if not low.any():
            continue
        par = blk.par[low].copy()
        par[:, 2] = -np.inf
        free = blk.free_cols.copy()
        free[2] = False
        held.extend(int(j) for j in blk.items[low])
        new = Block(
            blk.model, blk.family, blk.n_categories, blk.items[low], par, free, False, False
        )
        if low.all():
            blocks[blocks.index(blk)] = new
            continue
        blk.items, blk.par = blk.items[~low], blk.par[~low]
        blocks.append(new)
    return held


def release_boundary(pat, blocks: list[Block], lat: Latent, settings, k_max, held) -> set[int]:
    """Free the held ``c`` whose likelihood score at ``c = 0`` is positive; returns their items.

    At an EM fixed point the marginal score equals the expected complete-data score, so the
    E-step counts give ``dl/dc`` at ``c = 0``: ``sum_q r_1q (1 - s_q) / s_q - r_0q``, plus the
    prior's ``-(beta - 1)`` under a Beta(1, beta) prior.
    """
    nodes = settings.nodes
    logp = all_log_probs(blocks, pat.n_items, k_max, nodes)
    counts = run_estep(pat, logp, log_weights(nodes, lat.mean, lat.sd), nodes).counts
    prior_score = c_prior_score_at_zero(settings.c_prior)
    out: set[int] = set()
    for blk in list(blocks):
        if blk.fixed or blk.family != "dich3" or blk.free_cols[2]:
            continue
        s = expit(blk.par[:, :1] * nodes[None, :] + blk.par[:, 1:2])
        r = counts[blk.items]
        score = np.sum(r[:, 1] * (1.0 - s) / np.maximum(s, 1e-300) - r[:, 0], axis=1)
        score = score + prior_score
        up = (score > 0) & np.isin(blk.items, list(held))
        if not up.any():
            continue
        par = blk.par[up].copy()
        par[:, 2] = G_BOUNDARY + 2.0  # c = 7.4e-4, just off the bound
        out.update(int(j) for j in blk.items[up])
        free = np.ones_like(blk.free_cols)
        new = Block(blk.model, blk.family, blk.n_categories, blk.items[up], par, free, False, False)
        if up.all():
            blocks[blocks.index(blk)] = new
        else:
            blk.items, blk.par = blk.items[~up], blk.par[~up]
            blocks.append(new)
    return out


def _finite_c_starts(blocks: list[Block], c_prior) -> None:
    """A free ``c`` that starts at 0 (e.g. at the mode of a Beta(1, beta) prior) starts at the
    prior's mean instead (0.2 without a prior): EM cannot move ``logit(c) = -inf``."""
    for blk in blocks:
        if blk.fixed or blk.family != "dich3" or not blk.free_cols[2]:
            continue
        bad = ~np.isfinite(blk.par[:, 2])
        if bad.any():
            mean = 0.2 if c_prior is None else c_prior[0] / (c_prior[0] + c_prior[1])
            par = blk.par.copy()
            par[bad, 2] = np.log(mean / (1.0 - mean))
            blk.par = par


# ----------------------------------------------------------------------------- EM


def run_estep(pat, logp, log_weights, nodes=None):
    """The E-step of ``pat``: its own ``estep`` method when it has one (partitioned data, see
    :mod:`psychometrics.irt.partitioned`), else the in-memory :func:`._estep.estep`."""
    own = getattr(pat, "estep", None)
    if own is not None:
        return own(logp, log_weights, nodes)
    return estep(pat, logp, log_weights, nodes)


def em_map(pat: Patterns, blocks, lat, settings: Settings, k_max: int):
    """One EM step from the current state; returns the log-likelihood at the starting point."""
    nodes = settings.nodes
    logp = all_log_probs(blocks, pat.n_items, k_max, nodes)
    res = run_estep(pat, logp, log_weights(nodes, lat.mean, lat.sd), nodes)
    for blk in blocks:
        mstep_block(blk, res.counts[blk.items, : blk.n_categories, :], nodes, settings.c_prior)
    mstep_latent(lat, res.n_q, nodes)
    return res.loglik


def run_em(pat: Patterns, blocks: list[Block], lat: Latent, settings: Settings) -> EMOutcome:
    """EM to convergence: a float32 E-step phase, then float64 EM steps to the tolerance.

    The float32 phase (large data only) runs the E-step products in single precision (the 0/1
    indicators are exact; posterior weights carry ~7 digits) down to the parameter tolerance
    (1e-4 at most for 100,000 patterns or more, where float32 rounding is ~1e-5);
    the float64 phase then iterates until both criteria hold in double precision (usually one
    step), so the returned estimates are those of the float64 EM map.
    """
    start = time.perf_counter()
    first = None
    if settings.fast and pat.n_patterns >= 5_000:
        # float32 sums over >= 1e5 patterns carry ~1e-5 relative rounding: stop phase 1 at 1e-4
        tol_fast = settings.tol if pat.n_patterns < 100_000 else max(settings.tol, 1e-4)
        fast = Settings(
            **{
                **settings.__dict__,
                "tol": tol_fast,
                "ll_tol": np.inf,
                "max_iter": max(1, settings.max_iter // 2),
            }
        )
        pat.dtype = np.float32
        first = _run_em(pat, blocks, lat, fast)
        pat.dtype = np.float64
    n_first = first.iterations if first is not None else 0
    rest = Settings(**{**settings.__dict__, "max_iter": max(1, settings.max_iter - n_first)})
    out = _run_em(pat, blocks, lat, rest)
    total = n_first + out.iterations
    return EMOutcome(
        iterations=total,
        converged=out.converged,
        message=_message(out, first, total, settings.tol),
        loglik=out.loglik,
        seconds=time.perf_counter() - start,
        change=out.change,
        left=out.left,
        held=out.held,
    )


def _message(out: EMOutcome, first: EMOutcome | None, total: int, tol: float) -> str:
    """One sentence on how EM ended, counting the EM steps of both phases.

    ``out`` is the float64 phase, ``first`` the float32 phase (None when it did not run).
    """
    phases = ""
    if first is not None:
        how = "" if first.converged else ", stopped at its limit"
        if first.left:
            how = f", stopped because {first.left}"
        last = ""
        if not (out.converged or out.left):
            last = ", stopped at its limit"
        phases = (
            f" (float32 E-step phase: {first.iterations}{how}; "
            f"float64 phase: {out.iterations}{last})"
        )
    if out.converged:
        return (
            f"converged after {total} EM steps{phases}: max parameter change "
            f"{out.change:.2e} < {tol:g}"
        )
    if out.left:
        return (
            f"did not converge: stopped after {total} EM steps{phases} because {out.left}; "
            "these data do not identify the model"
        )
    return (
        f"did not converge in {total} EM steps{phases}: last max parameter change "
        f"{out.change:.2e}, tolerance {tol:g}"
    )


def _run_em(pat: Patterns, blocks: list[Block], lat: Latent, settings: Settings) -> EMOutcome:
    start = time.perf_counter()
    last_report = start
    k_max = int(np.max(pat.n_categories))
    iterations = 0
    prev_ll = -np.inf
    step_max, step_max0 = 1.0, 1.0
    converged = False
    left = ""  # why EM left the parameter space, if it did

    def step(phi):
        """One EM step from ``phi``; ``(None, -inf)`` if ``phi`` or its image is invalid."""
        nonlocal iterations, left
        unpack(phi, blocks, lat)
        if not valid(blocks, lat):
            return None, -np.inf
        ll = em_map(pat, blocks, lat, settings, k_max)
        iterations += 1
        if not valid(blocks, lat) or not np.isfinite(ll):
            left = _why_invalid(blocks, lat)
            return None, -np.inf
        return pack(blocks, lat), ll

    def done(new, old, ll_here, ll_before):
        """Convergence after one EM step from ``old`` (log-likelihood ``ll_here``) to ``new``."""
        change = float(np.max(np.abs(new - old), initial=0.0))
        ll_ok = not np.isfinite(ll_before) or abs(ll_here - ll_before) < settings.ll_tol * max(
            1.0, abs(ll_here)
        )
        return change < settings.tol and ll_ok, change

    hold = settings.hold_boundary or boundary_prior(settings.c_prior)
    _finite_c_starts(blocks, settings.c_prior)
    phi = pack(blocks, lat)
    ll = -np.inf
    change = np.inf
    held = [  # held by an earlier phase
        int(j)
        for blk in blocks
        if hold and blk.family == "dich3" and not (blk.fixed or blk.free_cols[2])
        for j in blk.items
    ]
    released: set[int] = set()
    while True:
        while iterations < settings.max_iter:
            if hold and iterations:
                unpack(phi, blocks, lat)
                newly = hold_boundary(blocks, exclude=released)
                if newly:  # fewer free parameters: restart the acceleration from here
                    held += newly
                    phi, prev_ll, step_max = pack(blocks, lat), -np.inf, step_max0
            phi1, ll = step(phi)
            if phi1 is None:  # the EM map itself leaves the parameter space: stop at phi
                break
            ok, change = done(phi1, phi, ll, prev_ll)
            if ok:
                phi = phi1
                converged = True
                break
            prev_ll = ll
            now = time.perf_counter()
            if settings.progress is not None and now - last_report >= settings.progress_every:
                settings.progress(f"EM step {iterations}: log-likelihood {ll:.4f}")
                last_report = now
            if not settings.accelerate or iterations + 2 > settings.max_iter:
                phi = phi1
                continue
            phi2, ll1 = step(phi1)
            if phi2 is None:
                phi = phi1
                break
            ok, change = done(phi2, phi1, ll1, ll)
            if ok:
                phi = phi2
                converged = True
                break
            r = phi1 - phi
            v = phi2 - phi1 - r
            vv = float(v @ v)
            if vv <= 0 or not np.isfinite(vv):
                phi, prev_ll = phi2, ll1
                continue
            alpha = -np.sqrt(float(r @ r) / vv)
            alpha = float(np.clip(alpha, -step_max, -1.0))
            phi_x = phi - 2.0 * alpha * r + alpha**2 * v
            phi3, ll_x = step(phi_x)
            if phi3 is None:
                left = ""  # a rejected extrapolation, not a failure of the EM map
            if phi3 is not None and np.isfinite(ll_x) and ll_x >= ll1 - 1e-8 * abs(ll1):
                ok, change = done(phi3, phi_x, ll_x, ll1)
                phi, prev_ll = phi3, ll_x
                if ok:
                    converged = True
                    break
                if alpha == -step_max:
                    step_max *= 4.0
            else:
                phi, prev_ll = phi2, ll1
                if alpha == -step_max:
                    step_max = max(step_max0, step_max / 4.0)
        if not (converged and held and iterations < settings.max_iter):
            break
        # Kuhn-Tucker check at the converged point: release a held c whose score at 0 is
        # positive (held too early, while the other parameters were still far off)
        unpack(phi, blocks, lat)
        out = release_boundary(pat, blocks, lat, settings, k_max, held)
        if not out:
            break
        released.update(out)
        held = [j for j in held if j not in out]
        converged = False
        phi, prev_ll, step_max = pack(blocks, lat), -np.inf, step_max0
    unpack(phi, blocks, lat)
    return EMOutcome(
        iterations=iterations,
        converged=converged,
        message="",
        loglik=float(ll),
        seconds=time.perf_counter() - start,
        change=float(change),
        left="" if converged else left,
        held=tuple(held),
    )
