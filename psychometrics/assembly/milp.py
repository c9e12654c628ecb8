"""Mixed-integer models of test assembly, solved with :func:`scipy.optimize.milp` (HiGHS).

The items are first collapsed into *units*: an item set (a stimulus and its items, all-or-none and
kept together) is one unit, every other item is a unit of its own. Three models work on units:

``direct``
    ``x[u, f]`` = 1 when unit ``u`` is on form ``f``; all forms solved together. Per form: the
    length, every count range (outcomes, cognitive levels), the time limit, enemies never
    together; per pair of forms the overlap ``sum_u size_u * z[u, f, g] <= K`` with
    ``z >= x[u, f] + x[u, g] - 1``. Maximin objective ``y <= m_t <= T_f(t)`` over forms ``f``
    and targets ``t`` with the parallel cap ``T_f(t) <= (1 + tol) m_t``. Optional strengthening
    (not in the ``plain`` variant): the forms are ordered by information at the first target
    (symmetry breaking), and the aggregated overlap cut below.
``usage`` (stage 1 of the decomposition)
    An integer usage ``n_u`` in ``0..F`` per unit, with the forms' constraints summed over forms,
    ``n_u + n_v <= F`` for enemies and the aggregated overlap cut
    ``sum_u size_u C(n_u, 2) <= K C(F, 2)`` (``C(n, 2)`` linearized exactly at integers by its
    tangents ``s_u >= k n_u - k (k + 1) / 2``). Every solution of ``direct`` gives one of
    ``usage`` with the same mean form information, so the usage optimum bounds the maximin.
``split`` (stage 2)
    Distributes the chosen usages over the forms (``sum_f x[u, f] = n_u``) under the per-form
    constraints; ``z`` is needed only for units used on 2..F-1 forms. The forms are labelled by
    the first units used once (unit ``j`` of them may only go to forms ``0..j``), which removes
    the forms' permutation symmetry without losing any solution.

References
----------
van der Linden, W. J. (2005). *Linear Models for Optimal Test Design*. Springer. (ch. 4-6:
    maximin and relative targets, enemies, item sets, overlap between forms.)
Boekkooi-Timminga, E. (1990). The construction of parallel tests from IRT-based item banks.
    *Journal of Educational Statistics*, 15(2), 129-145.
Huangfu, Q., & Hall, J. A. J. (2018). Parallelizing the dual revised simplex method.
    *Mathematical Programming Computation*, 10, 119-142. (HiGHS.)
"""

from __future__ import annotations

import itertools
import math
import time
from dataclasses import dataclass

import numpy as np
from scipy import sparse
from scipy.optimize import Bounds, LinearConstraint, milp

__all__ = [
    "SolveOutcome",
    "objective_value",
    "Units",
    "solve_direct",
    "solve_feasibility",
    "solve_min_overlap",
    "solve_split",
    "solve_usage",
]


@dataclass(frozen=True)
class Units:
    """The assembly problem on units (validated arrays; see :func:`psychometrics.assembly`).

    Attributes
    ----------
    members
        Item indices of each unit.
    size
        Items per unit, shape ``(n_units,)``.
    info
        Information at the targets, shape ``(n_units, n_targets)``.
    counts
        Items of each count constraint per unit, shape ``(n_units, n_constraints)``.
    lo, hi
        Per-form bounds of each count constraint, shape ``(n_constraints,)``.
    seconds
        Expected seconds per unit (or None) and the per-form limit ``max_seconds`` (or None).
    enemies
        Unit index pairs that may not share a form, shape ``(n_pairs, 2)``.
    forced
        Units forced onto every form (boolean).
    length, n_forms, max_overlap
        Items per form, forms, and the largest number of items two forms may share.
    tolerance
        Parallel cap: ``max_f T_f(t) <= (1 + tolerance) min_f T_f(t)``; None for no cap.
    objective
        ``"maximin"`` (the smallest ``T_f(t)``), ``"sum"`` (the smallest over forms of
        ``sum_t weights_t T_f(t)``), ``"information"`` or ``"tcc"`` (the largest absolute
        deviation of ``T_f(t)``, or of the test characteristic curve, from ``target``;
        minimized).
    weights, target
        Per target: the weights of ``"sum"``; the target values of ``"information"``/``"tcc"``.
    tcc
        Expected score of each unit at the targets, shape ``(n_units, n_targets)``, or None.
    tcc_tolerance
        Parallel forms by TCC: at every target the expected scores of any two forms differ by
        at most this much (score points); None for no such constraint.
    passage, passage_lo, passage_hi, n_passages
        Passages whose items are chosen individually: the passage of each unit (-1 for none);
        per passage, the items a form holds when it uses the passage; the passages per form.
    """

    members: tuple[np.ndarray, ...]
    size: np.ndarray
    info: np.ndarray
    counts: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    seconds: np.ndarray | None
    max_seconds: float | None
    enemies: np.ndarray
    forced: np.ndarray
    length: int
    n_forms: int
    max_overlap: int
    tolerance: float | None
    objective: str = "maximin"
    weights: np.ndarray | None = None
    target: np.ndarray | None = None
    tcc: np.ndarray | None = None
    tcc_tolerance: float | None = None
    passage: np.ndarray | None = None
    passage_lo: np.ndarray | None = None
    passage_hi: np.ndarray | None = None
    n_passages: tuple[int, int] | None = None

    @property
    def minimize(self) -> bool:
        """True for the deviation objectives (smaller is better)."""
        return self.objective in ("information", "tcc")

    @property
    def n_units(self) -> int:
        return self.size.size

    @property
    def overlap_binds(self) -> bool:
        return self.n_forms > 1 and self.max_overlap < self.length


@dataclass(frozen=True)
class SolveOutcome:
    """What one MILP solve gave: HiGHS status, the solution (or None) and its bounds."""

    status: int
    message: str
    x: np.ndarray | None  # unit-by-form 0/1 matrix, or usage counts for the usage model
    objective: float  # objective value of the solution (nan without one)
    bound: float  # HiGHS dual bound on the objective (+inf, or -inf when minimizing, if unknown)
    seconds: float
    nodes: int


class _Model:
    """A sparse MILP assembled block by block (maximization of ``c @ v``)."""

    def __init__(self) -> None:
        self.lb: list[np.ndarray] = []
        self.ub: list[np.ndarray] = []
        self.kind: list[np.ndarray] = []
        self.n = 0
        self.rows: list[np.ndarray] = []
        self.cols: list[np.ndarray] = []
        self.vals: list[np.ndarray] = []
        self.rlo: list[np.ndarray] = []
        self.rhi: list[np.ndarray] = []
        self.m = 0

    def add_vars(self, count: int, lb, ub, integer) -> np.ndarray:
        """``count`` variables; ``integer`` is a bool or a bool array (per variable)."""
        idx = np.arange(self.n, self.n + count)
        self.lb.append(np.broadcast_to(np.asarray(lb, float), (count,)).copy())
        self.ub.append(np.broadcast_to(np.asarray(ub, float), (count,)).copy())
        self.kind.append(np.broadcast_to(np.asarray(integer, dtype=np.int64), (count,)).copy())
        self.n += count
        return idx

    def add_rows(self, row, col, val, lo, hi, count: int) -> None:
        """``count`` rows; ``row`` are row numbers 0..count-1 of the nonzeros ``(col, val)``."""
        if count == 0:
            return
        self.rows.append(np.asarray(row, dtype=np.int64).reshape(-1) + self.m)
        self.cols.append(np.asarray(col, dtype=np.int64).reshape(-1))
        self.vals.append(np.asarray(val, dtype=float).reshape(-1))
        self.rlo.append(np.broadcast_to(np.asarray(lo, float), (count,)).copy())
        self.rhi.append(np.broadcast_to(np.asarray(hi, float), (count,)).copy())
        self.m += count

    def solve(self, objective: np.ndarray, *, time_limit: float, gap: float, node_limit=None):
        lb, ub = np.concatenate(self.lb), np.concatenate(self.ub)
        a = sparse.csr_array(
            (np.concatenate(self.vals), (np.concatenate(self.rows), np.concatenate(self.cols))),
            shape=(self.m, self.n),
        )
        started = time.perf_counter()
        res = milp(
            -objective,
            integrality=np.concatenate(self.kind),
            bounds=Bounds(lb, ub),
            constraints=LinearConstraint(a, np.concatenate(self.rlo), np.concatenate(self.rhi)),
            options=_options(time_limit, gap, node_limit),
        )
        seconds = time.perf_counter() - started
        bound = getattr(res, "mip_dual_bound", None)
        bound = math.inf if bound is None or not np.isfinite(bound) else -float(bound)
        nodes = int(getattr(res, "mip_node_count", 0) or 0)
        return res, bound, seconds, nodes


def _options(time_limit: float, gap: float, node_limit: int | None) -> dict:
    """HiGHS options; ``node_limit`` is the deterministic work limit (branch-and-bound nodes)."""
    options = {"time_limit": max(0.05, float(time_limit)), "mip_rel_gap": gap}
    if node_limit is not None:
        options["node_limit"] = int(node_limit)
    return options


def objective_value(units: Units, x: np.ndarray) -> float:
    """The objective of ``units`` for a unit-by-form 0/1 matrix ``x``."""
    xt = x.T.astype(float)
    tif = xt @ units.info  # (F, T)
    if units.objective == "sum":
        return float((tif @ units.weights).min())
    if units.objective == "information":
        return float(np.abs(tif - units.target).max())
    if units.objective == "tcc":
        return float(np.abs(xt @ units.tcc - units.target).max())
    return float(tif.min())


def _form_blocks(model: _Model, units: Units, x: np.ndarray, rows_units: np.ndarray) -> None:
    """Per-form length, count ranges, time limit and enemy constraints on ``x[k, f]``.

    ``x`` is ``(len(rows_units), F)`` variable indices for the units ``rows_units``.
    """
    f_count = x.shape[1]
    size = units.size[rows_units]
    k = len(rows_units)
    # length: one row per form
    model.add_rows(
        np.repeat(np.arange(f_count), k), x.T.reshape(-1), np.tile(size, f_count),
        units.length, units.length, f_count,
    )  # fmt: skip
    # count ranges: one row per (constraint, form)
    counts = units.counts[rows_units]
    for g in range(counts.shape[1]):
        nz = np.flatnonzero(counts[:, g])
        model.add_rows(
            np.repeat(np.arange(f_count), nz.size), x[nz].T.reshape(-1),
            np.tile(counts[nz, g], f_count), units.lo[g], units.hi[g], f_count,
        )  # fmt: skip
    if units.seconds is not None and units.max_seconds is not None:
        model.add_rows(
            np.repeat(np.arange(f_count), k), x.T.reshape(-1),
            np.tile(units.seconds[rows_units], f_count), -np.inf, units.max_seconds, f_count,
        )  # fmt: skip
    # enemies among these units: x[u, f] + x[v, f] <= 1
    if units.enemies.size:
        pos = np.full(units.n_units, -1)
        pos[rows_units] = np.arange(k)
        pairs = pos[units.enemies]
        pairs = pairs[(pairs >= 0).all(axis=1)]
        p = len(pairs)
        if p:
            rows = np.repeat(np.arange(p * f_count), 2)
            cols = np.stack([x[pairs[:, 0]], x[pairs[:, 1]]], axis=-1)  # (p, F, 2)
            cols = cols.transpose(1, 0, 2).reshape(-1)  # row r = f * p + pair
            model.add_rows(rows, cols, np.ones(rows.size), -np.inf, 1.0, p * f_count)
    if k == units.n_units:
        _passage_blocks(model, units, x)
        _tcc_parallel_blocks(model, units, x)


def _passage_blocks(model: _Model, units: Units, x: np.ndarray) -> None:
    """Passages chosen per form, ``q[s, f]``; when chosen, ``lo_s..hi_s`` of their items.

    ``lo_s q <= sum_{u in s} size_u x[u, f] <= hi_s q`` and
    ``n_min <= sum_s q[s, f] <= n_max``; items outside every passage are unaffected.
    """
    if units.passage is None or units.passage_lo is None or units.passage_hi is None:
        return
    f_count = x.shape[1]
    n_pass = units.passage_lo.size
    q = model.add_vars(n_pass * f_count, 0.0, 1.0, True).reshape(n_pass, f_count)
    for s_idx in range(n_pass):
        members = np.flatnonzero(units.passage == s_idx)
        size = units.size[members]
        m = members.size
        for f in range(f_count):
            cols = np.concatenate([x[members, f], [q[s_idx, f]]])
            # sum - hi q <= 0 ; sum - lo q >= 0
            model.add_rows(
                np.zeros(m + 1), cols, np.concatenate([size, [-units.passage_hi[s_idx]]]),
                -np.inf, 0.0, 1,
            )  # fmt: skip
            model.add_rows(
                np.zeros(m + 1), cols, np.concatenate([size, [-units.passage_lo[s_idx]]]),
                0.0, np.inf, 1,
            )  # fmt: skip
    if units.n_passages is not None:
        lo, hi = units.n_passages
        model.add_rows(
            np.repeat(np.arange(f_count), n_pass), q.T.reshape(-1), np.ones(n_pass * f_count),
            lo, hi, f_count,
        )  # fmt: skip


def _tcc_parallel_blocks(model: _Model, units: Units, x: np.ndarray) -> None:
    """``c_t <= TCC_f(t) <= c_t + tol`` for every form: any two forms within ``tol`` points."""
    f_count = x.shape[1]
    if units.tcc is None or units.tcc_tolerance is None or f_count < 2:
        return
    k, t_count = units.tcc.shape
    c = model.add_vars(t_count, -np.inf, np.inf, False)
    for t in range(t_count):
        rows = np.concatenate([np.arange(f_count), np.repeat(np.arange(f_count), k)])
        cols = np.concatenate([np.full(f_count, c[t]), x.T.reshape(-1)])
        vals = np.concatenate([-np.ones(f_count), np.tile(units.tcc[:, t], f_count)])
        model.add_rows(rows, cols, vals, 0.0, units.tcc_tolerance, f_count)


def _objective_blocks(model: _Model, units: Units, x: np.ndarray, rows_units: np.ndarray):
    """The objective variable of ``units.objective``; returns ``(index, sign)`` to maximize."""
    if units.objective == "maximin":
        return _maximin_blocks(model, units, x, rows_units), 1.0
    f_count = x.shape[1]
    if units.objective == "sum":
        # the information cap keeps the forms parallel; the maximin part is then unused
        if units.tolerance is not None and f_count > 1:
            _maximin_blocks(model, units, x, rows_units)
        score = units.info[rows_units] @ units.weights
        k = score.size
        y = model.add_vars(1, -np.inf, np.inf, False)[0]
        # y - sum_u score_u x[u, f] <= 0
        rows = np.concatenate([np.arange(f_count), np.repeat(np.arange(f_count), k)])
        cols = np.concatenate([np.full(f_count, y), x.T.reshape(-1)])
        vals = np.concatenate([np.ones(f_count), -np.tile(score, f_count)])
        model.add_rows(rows, cols, vals, -np.inf, 0.0, f_count)
        return y, 1.0
    values = units.info if units.objective == "information" else units.tcc
    values = values[rows_units]
    k, t_count = values.shape
    d = model.add_vars(1, 0.0, np.inf, False)[0]
    for t in range(t_count):
        rows = np.concatenate([np.arange(f_count), np.repeat(np.arange(f_count), k)])
        cols = np.concatenate([np.full(f_count, d), x.T.reshape(-1)])
        # V_f(t) - d <= target_t and V_f(t) + d >= target_t
        vals = np.concatenate([-np.ones(f_count), np.tile(values[:, t], f_count)])
        model.add_rows(rows, cols, vals, -np.inf, units.target[t], f_count)
        vals = np.concatenate([np.ones(f_count), np.tile(values[:, t], f_count)])
        model.add_rows(rows, cols, vals, units.target[t], np.inf, f_count)
    return d, -1.0


def _maximin_blocks(model: _Model, units: Units, x: np.ndarray, rows_units: np.ndarray):
    """``y <= m_t <= T_f(t) <= (1 + tol) m_t``; returns the index of ``y``."""
    f_count = x.shape[1]
    info = units.info[rows_units]
    k, t_count = info.shape
    y = model.add_vars(1, 0.0, np.inf, False)[0]
    m = model.add_vars(t_count, 0.0, np.inf, False)
    for t in range(t_count):
        # m_t - T_f(t) <= 0
        rows = np.concatenate([np.arange(f_count), np.repeat(np.arange(f_count), k)])
        cols = np.concatenate([np.full(f_count, m[t]), x.T.reshape(-1)])
        vals = np.concatenate([np.ones(f_count), -np.tile(info[:, t], f_count)])
        model.add_rows(rows, cols, vals, -np.inf, 0.0, f_count)
        if units.tolerance is not None and f_count > 1:
            # T_f(t) - (1 + tol) m_t <= 0
            vals = np.concatenate(
                [np.full(f_count, -(1.0 + units.tolerance)), np.tile(info[:, t], f_count)]
            )
            model.add_rows(rows, cols, vals, -np.inf, 0.0, f_count)
    # y - m_t <= 0
    model.add_rows(
        np.repeat(np.arange(t_count), 2), np.column_stack([np.full(t_count, y), m]).reshape(-1),
        np.tile([1.0, -1.0], t_count), -np.inf, 0.0, t_count,
    )  # fmt: skip
    return y


def _overlap_blocks(model: _Model, x: np.ndarray, shared: np.ndarray, sizes, limit) -> None:
    """Pairwise overlap ``sum_u size_u z[u, f, g] <= limit`` over the rows ``shared`` of ``x``.

    ``z[u, f, g] >= x[u, f] + x[u, g] - 1`` (continuous: it is pushed to 1 only when both are).
    """
    f_count = x.shape[1]
    s = shared.size
    if s == 0:
        return
    for f in range(f_count):
        for g in range(f + 1, f_count):
            z = model.add_vars(s, 0.0, 1.0, False)
            rows = np.repeat(np.arange(s), 3)
            cols = np.column_stack([z, x[shared, f], x[shared, g]]).reshape(-1)
            model.add_rows(rows, cols, np.tile([1.0, -1.0, -1.0], s), -1.0, np.inf, s)
            model.add_rows(np.zeros(s), z, sizes, -np.inf, limit, 1)


def solve_direct(
    units: Units,
    *,
    time_limit: float,
    gap: float,
    plain: bool = False,
    lower_bound: float | None = None,
    node_limit: int | None = None,
) -> SolveOutcome:
    """All forms in one MILP (see the module docstring); ``plain`` drops the strengthening.

    ``lower_bound`` adds the cut ``y >= lower_bound`` (the value of a known solution of a
    maximized objective), which lets HiGHS prune every node that cannot improve on it.
    """
    f_count, n = units.n_forms, units.n_units
    model = _Model()
    lb = np.where(units.forced[:, None], 1.0, 0.0) * np.ones((n, f_count))
    xv = model.add_vars(n * f_count, lb.reshape(-1), 1.0, True).reshape(n, f_count)
    everything = np.arange(n)
    _form_blocks(model, units, xv, everything)
    y, sign = _objective_blocks(model, units, xv, everything)
    if units.overlap_binds:
        free = np.flatnonzero(~units.forced & (units.size <= units.max_overlap))
        # units larger than the overlap limit can never be shared
        big = np.flatnonzero(~units.forced & (units.size > units.max_overlap))
        if big.size:
            model.add_rows(
                np.repeat(np.arange(big.size), f_count), xv[big].reshape(-1),
                np.ones(big.size * f_count), -np.inf, 1.0, big.size,
            )  # fmt: skip
        const = int(units.size[units.forced].sum())
        _overlap_blocks(model, xv, free, units.size[free], units.max_overlap - const)
        if not plain and f_count > 2:
            _aggregate_overlap_cut(model, units, xv[free], free, const)
    if not plain and f_count > 1:
        # symmetry: forms ordered by information at the first target, T_f >= T_{f+1}
        info = units.info[:, 0]
        rows = np.repeat(np.arange(f_count - 1), 2 * n)
        cols = np.concatenate(
            [np.concatenate([xv[:, f], xv[:, f + 1]]) for f in range(f_count - 1)]
        )
        vals = np.tile(np.concatenate([info, -info]), f_count - 1)
        model.add_rows(rows, cols, vals, 0.0, np.inf, f_count - 1)
    if lower_bound is not None and sign > 0:
        model.add_rows([0], [y], [1.0], lower_bound, np.inf, 1)
    objective = np.zeros(model.n)
    objective[y] = sign
    res, bound, seconds, nodes = model.solve(
        objective, time_limit=time_limit, gap=gap, node_limit=node_limit
    )
    sol = None
    value = math.nan
    if res.x is not None:
        sol = np.round(res.x[xv]).astype(np.int8)
        value = objective_value(units, sol)
    return SolveOutcome(res.status, res.message, sol, value, sign * bound, seconds, nodes)


def _aggregate_overlap_cut(model, units, x_shared, shared, const) -> None:
    """``sum_u size_u C(n_u, 2) <= (K - const) C(F, 2)`` with ``n_u = sum_f x[u, f]``."""
    f_count = units.n_forms
    s = shared.size
    if s == 0:
        return
    sv = model.add_vars(s, 0.0, np.inf, False)
    for k in range(1, f_count):
        # s_u - k * sum_f x[u, f] >= -k (k + 1) / 2
        rows = np.repeat(np.arange(s), f_count + 1)
        cols = np.column_stack([sv, x_shared]).reshape(-1)
        vals = np.tile(np.concatenate([[1.0], np.full(f_count, -float(k))]), s)
        model.add_rows(rows, cols, vals, -k * (k + 1) / 2.0, np.inf, s)
    budget = (units.max_overlap - const) * f_count * (f_count - 1) / 2.0
    model.add_rows(np.zeros(s), sv, units.size[shared], -np.inf, budget, 1)


def solve_usage(units: Units, *, time_limit: float, gap: float) -> SolveOutcome:
    """Stage 1: integer usage per unit maximizing the mean form information (an upper bound)."""
    f_count, n = units.n_forms, units.n_units
    model = _Model()
    hi = np.full(n, float(f_count))
    if units.overlap_binds:
        hi[units.size > units.max_overlap] = 1.0
    lo = np.where(units.forced, float(f_count), 0.0)
    nv = model.add_vars(n, lo, np.maximum(hi, lo), True)
    model.add_rows(np.zeros(n), nv, units.size, f_count * units.length, f_count * units.length, 1)
    for g in range(units.counts.shape[1]):
        nz = np.flatnonzero(units.counts[:, g])
        model.add_rows(
            np.zeros(nz.size), nv[nz], units.counts[nz, g],
            f_count * units.lo[g], f_count * units.hi[g], 1,
        )  # fmt: skip
    if units.seconds is not None and units.max_seconds is not None:
        model.add_rows(np.zeros(n), nv, units.seconds, -np.inf, f_count * units.max_seconds, 1)
    if units.enemies.size:
        p = len(units.enemies)
        model.add_rows(
            np.repeat(np.arange(p), 2), nv[units.enemies].reshape(-1), np.ones(2 * p),
            -np.inf, float(f_count), p,
        )  # fmt: skip
    if units.overlap_binds:
        const = int(units.size[units.forced].sum())
        free = np.flatnonzero(~units.forced & (hi > 1))
        sv = model.add_vars(free.size, 0.0, np.inf, False)
        for k in range(1, f_count):
            rows = np.repeat(np.arange(free.size), 2)
            cols = np.column_stack([sv, nv[free]]).reshape(-1)
            vals = np.tile([1.0, -float(k)], free.size)
            model.add_rows(rows, cols, vals, -k * (k + 1) / 2.0, np.inf, free.size)
        budget = (units.max_overlap - const) * f_count * (f_count - 1) / 2.0
        model.add_rows(np.zeros(free.size), sv, units.size[free], -np.inf, budget, 1)
    y = model.add_vars(1, 0.0, np.inf, False)[0]
    t_count = units.info.shape[1]
    for t in range(t_count):
        # F y - sum_u info n_u <= 0
        model.add_rows(
            np.zeros(n + 1), np.concatenate([[y], nv]),
            np.concatenate([[float(f_count)], -units.info[:, t]]), -np.inf, 0.0, 1,
        )  # fmt: skip
    objective = np.zeros(model.n)
    objective[y] = 1.0
    res, bound, seconds, nodes = model.solve(objective, time_limit=time_limit, gap=gap)
    sol = None if res.x is None else np.round(res.x[nv]).astype(np.int64)
    value = math.nan if res.x is None else float(res.x[y])
    return SolveOutcome(res.status, res.message, sol, value, bound, seconds, nodes)


def solve_split(
    units: Units,
    usage: np.ndarray,
    *,
    time_limit: float,
    gap: float,
    max_patterns: int = 300,
    balance: bool = True,
) -> SolveOutcome:
    """Stage 2: put each chosen unit on exactly ``usage[u]`` forms, maximin and parallel.

    A unit used on ``1 < n < F`` forms chooses one *pattern* (a set of ``n`` forms) by binaries
    ``w[u, S]``; the overlap of forms ``f, g`` is then ``sum_{u, S >= {f, g}} size_u w[u, S]``,
    exact and tight in the LP relaxation (unlike ``z >= x_f + x_g - 1``, whose relaxation
    ignores overlap). Units with more than ``max_patterns`` patterns use the ``z`` form.
    """
    f_count = units.n_forms
    chosen = np.flatnonzero(usage > 0)
    k = chosen.size
    use = usage[chosen]
    model = _Model()
    ub = np.ones((k, f_count))
    # symmetry: the j-th unit used once (by information) goes to a form <= j
    singles = chosen[use == 1]
    order = np.argsort(-units.info[singles, 0], kind="stable")
    pos = {u: i for i, u in enumerate(chosen)}
    for j, u in enumerate(singles[order][: f_count - 1]):
        ub[pos[u], j + 1 :] = 0.0
    lb = np.where((use == f_count)[:, None], 1.0, 0.0) * np.ones((k, f_count))
    shared = np.flatnonzero((use >= 2) & (use < f_count)) if units.overlap_binds else np.zeros(0)
    shared = shared.astype(np.int64)
    by_pattern = np.array(
        [math.comb(f_count, int(use[r])) <= max_patterns for r in shared], dtype=bool
    )
    patterned = shared[by_pattern] if shared.size else shared
    integer = np.ones((k, f_count), dtype=bool)
    integer[patterned] = False  # determined by the pattern binaries
    xv = model.add_vars(k * f_count, lb.reshape(-1), ub.reshape(-1), integer.reshape(-1))
    xv = xv.reshape(k, f_count)
    model.add_rows(
        np.repeat(np.arange(k), f_count), xv.reshape(-1), np.ones(k * f_count),
        use.astype(float), use.astype(float), k,
    )  # fmt: skip
    _form_blocks(model, units, xv, chosen)
    if balance:
        y = _maximin_blocks(model, units, xv, chosen)
    if units.overlap_binds:
        const = int((units.size[chosen] * (use == f_count)).sum())
        limit = units.max_overlap - const
        if limit < 0:
            message = "the units on every form exceed the overlap limit"
            return SolveOutcome(2, message, None, math.nan, math.inf, 0.0, 0)
        pair_index = {}
        for f in range(f_count):
            for g in range(f + 1, f_count):
                pair_index[(f, g)] = len(pair_index)
        pair_rows: list[list[int]] = [[] for _ in pair_index]
        pair_vals: list[list[float]] = [[] for _ in pair_index]
        for r in patterned:
            patterns = list(itertools.combinations(range(f_count), int(use[r])))
            w = model.add_vars(len(patterns), 0.0, 1.0, True)
            model.add_rows(np.zeros(w.size), w, np.ones(w.size), 1.0, 1.0, 1)
            # x[r, f] - sum_{S contains f} w[S] = 0
            rows, cols, vals = [], [], []
            for f in range(f_count):
                rows.append(f)
                cols.append(xv[r, f])
                vals.append(1.0)
            size = float(units.size[chosen[r]])
            for widx, pattern in zip(w, patterns, strict=True):
                for f in pattern:
                    rows.append(f)
                    cols.append(widx)
                    vals.append(-1.0)
                for pair in itertools.combinations(pattern, 2):
                    pair_rows[pair_index[pair]].append(widx)
                    pair_vals[pair_index[pair]].append(size)
            model.add_rows(rows, cols, vals, 0.0, 0.0, f_count)
        for (f, g), p in pair_index.items():
            others = shared[~by_pattern]
            cols = list(pair_rows[p])
            vals = list(pair_vals[p])
            if others.size:
                z = model.add_vars(others.size, 0.0, 1.0, False)
                rows = np.repeat(np.arange(others.size), 3)
                zc = np.column_stack([z, xv[others, f], xv[others, g]]).reshape(-1)
                model.add_rows(
                    rows, zc, np.tile([1.0, -1.0, -1.0], others.size), -1.0, np.inf, others.size
                )
                cols += z.tolist()
                vals += units.size[chosen][others].tolist()
            if cols:
                model.add_rows(np.zeros(len(cols)), cols, vals, -np.inf, limit, 1)
    objective = np.zeros(model.n)
    if balance:
        objective[y] = 1.0
    res, bound, seconds, nodes = model.solve(objective, time_limit=time_limit, gap=gap)
    sol = None
    value = math.nan
    if res.x is not None:
        sol = np.zeros((units.n_units, f_count), dtype=np.int8)
        sol[chosen] = np.round(res.x[xv]).astype(np.int8)
        value = objective_value(units, sol)
    return SolveOutcome(res.status, res.message, sol, value, bound, seconds, nodes)


def solve_feasibility(
    units: Units, *, cost: np.ndarray | None = None, time_limit: float
) -> SolveOutcome:
    """Is there any assignment meeting every per-form and overlap constraint of ``units``?

    With ``cost`` (per unit), minimize the mean form cost ``sum_f sum_u cost_u x[u, f] / F`` (used
    to find the quickest possible form). ``objective`` is that minimum (nan when infeasible or
    unknown).
    """
    f_count, n = units.n_forms, units.n_units
    model = _Model()
    lb = np.where(units.forced[:, None], 1.0, 0.0) * np.ones((n, f_count))
    xv = model.add_vars(n * f_count, lb.reshape(-1), 1.0, True).reshape(n, f_count)
    _form_blocks(model, units, xv, np.arange(n))
    if units.overlap_binds:
        free = np.flatnonzero(~units.forced)
        const = int(units.size[units.forced].sum())
        _overlap_blocks(model, xv, free, units.size[free], units.max_overlap - const)
    objective = np.zeros(model.n)
    if cost is not None:
        objective[xv.reshape(-1)] = -np.repeat(np.asarray(cost, float), f_count) / f_count
    res, bound, seconds, nodes = model.solve(objective, time_limit=time_limit, gap=1e-6)
    value = math.nan if res.x is None else -float(objective @ res.x)
    sol = None if res.x is None else np.round(res.x[xv]).astype(np.int8)
    return SolveOutcome(res.status, res.message, sol, value, -bound, seconds, nodes)


def solve_min_overlap(units: Units, *, time_limit: float) -> SolveOutcome:
    """The smallest achievable largest pairwise overlap (items) under the per-form constraints.

    ``objective`` is the best overlap found and ``bound`` a proven lower bound on it.
    """
    f_count, n = units.n_forms, units.n_units
    model = _Model()
    lb = np.where(units.forced[:, None], 1.0, 0.0) * np.ones((n, f_count))
    xv = model.add_vars(n * f_count, lb.reshape(-1), 1.0, True).reshape(n, f_count)
    _form_blocks(model, units, xv, np.arange(n))
    w = model.add_vars(1, 0.0, np.inf, False)[0]
    free = np.flatnonzero(~units.forced)
    const = float(units.size[units.forced].sum())
    s = free.size
    for f in range(f_count):
        for g in range(f + 1, f_count):
            z = model.add_vars(s, 0.0, 1.0, False)
            rows = np.repeat(np.arange(s), 3)
            cols = np.column_stack([z, xv[free, f], xv[free, g]]).reshape(-1)
            model.add_rows(rows, cols, np.tile([1.0, -1.0, -1.0], s), -1.0, np.inf, s)
            # const + sum size z - w <= 0
            model.add_rows(
                np.zeros(s + 1), np.concatenate([z, [w]]),
                np.concatenate([units.size[free], [-1.0]]), -np.inf, -const, 1,
            )  # fmt: skip
    objective = np.zeros(model.n)
    objective[w] = -1.0
    res, bound, seconds, nodes = model.solve(objective, time_limit=time_limit, gap=1e-6)
    value = math.nan if res.x is None else float(res.x[w])
    return SolveOutcome(res.status, res.message, None, value, -bound, seconds, nodes)
