"""Local improvement of assembled forms: swaps that keep every constraint and raise the maximin.

MIP heuristics find a good split of the items into forms quickly but are poor at the last fine
balancing of information between forms (a number-partitioning problem). This steepest-ascent
local search finishes it. A move exchanges a unit used on one form only for another with the same
size and the same counts in every count constraint, so the length, the blueprint, cognitive levels
and the overlap between forms are unchanged; it is taken only when enemies stay apart, the time
limit and the parallel cap hold, and the smallest form information rises. Two moves are tried:

- swap: unit ``a`` on the weakest form ``f`` with unit ``b`` on another form ``g``;
- replace: unit ``a`` on ``f`` by an unused unit ``b``.

Started from forms that break the parallel cap (a split solved for feasibility only), a move may
keep breaking it as long as no target's max/min spread widens; the caller checks the cap at the
end.
"""

from __future__ import annotations

import time

import numpy as np

from psychometrics.assembly.milp import Units

__all__ = ["polish"]


def polish(units: Units, x: np.ndarray, *, time_limit: float, max_moves: int = 10_000):
    """Improve the unit-by-form 0/1 matrix ``x``; returns ``(x, moves)`` (``x`` is a copy)."""
    started = time.perf_counter()
    x = x.astype(np.int8).copy()
    n, f_count = x.shape
    info = units.info
    # a unit's profile: size and counts (two units with the same profile are interchangeable)
    key = np.column_stack([units.size, units.counts])
    _, profile = np.unique(key, axis=0, return_inverse=True)
    profile = profile.reshape(-1)
    enemy = [[] for _ in range(n)]
    for a, b in units.enemies:
        enemy[int(a)].append(int(b))
        enemy[int(b)].append(int(a))
    movable = ~units.forced
    tol = units.tolerance
    moves = 0
    while moves < max_moves and time.perf_counter() - started < time_limit:
        tif = x.T.astype(float) @ info  # (F, T)
        current = tif.min()
        worst = int(np.argmin(tif.min(axis=1)))
        use = x.sum(axis=1)
        on_f = np.flatnonzero((x[:, worst] == 1) & (use == 1) & movable)
        best = (current + 1e-12, None)
        candidates = [(g, np.flatnonzero((x[:, g] == 1) & (use == 1) & movable)) for g in
                      range(f_count) if g != worst]  # fmt: skip
        candidates.append((-1, np.flatnonzero(use == 0)))
        others_min = np.delete(tif, worst, axis=0)
        for g, pool in candidates:
            if pool.size == 0 or on_f.size == 0:
                continue
            same = profile[on_f][:, None] == profile[pool][None, :]
            ia, ib = np.nonzero(same)
            if ia.size == 0:
                continue
            a, b = on_f[ia], pool[ib]
            delta = info[b] - info[a]  # (m, T)
            new_f = tif[worst][None, :] + delta
            if g >= 0:
                new_g = tif[g][None, :] - delta
                rest = np.delete(tif, [worst, g], axis=0)
                rest_min = rest.min() if rest.size else np.inf
                value = np.minimum(np.minimum(new_f.min(axis=1), new_g.min(axis=1)), rest_min)
            else:
                value = np.minimum(new_f.min(axis=1), others_min.min() if others_min.size else
                                   np.inf)  # fmt: skip
            for j in np.argsort(-value):
                if value[j] <= best[0]:
                    break
                if _allowed(units, x, tif, worst, g, int(a[j]), int(b[j]), enemy, tol):
                    best = (float(value[j]), (g, int(a[j]), int(b[j])))
                    break
        if best[1] is None:
            break
        g, a, b = best[1]
        x[a, worst], x[b, worst] = 0, 1
        if g >= 0:
            x[b, g], x[a, g] = 0, 1
        moves += 1
    return x, moves


def _allowed(units: Units, x, tif, f: int, g: int, a: int, b: int, enemy, tol) -> bool:
    """May ``b`` replace ``a`` on form ``f`` (and ``a`` replace ``b`` on ``g`` when ``g >= 0``)?"""
    for e in enemy[b]:
        if e != a and x[e, f]:
            return False
    if g >= 0:
        for e in enemy[a]:
            if e != b and x[e, g]:
                return False
    if units.seconds is not None and units.max_seconds is not None:
        sec = units.seconds
        if x[:, f] @ sec - sec[a] + sec[b] > units.max_seconds + 1e-9:
            return False
        if g >= 0 and x[:, g] @ sec - sec[b] + sec[a] > units.max_seconds + 1e-9:
            return False
    if tol is not None and x.shape[1] > 1:
        new = tif.copy()
        new[f] += units.info[b] - units.info[a]
        if g >= 0:
            new[g] -= units.info[b] - units.info[a]
        spread = new.max(axis=0) / new.min(axis=0)
        if np.any(spread > 1 + tol + 1e-9):
            # a start that breaks the cap may still move, if no target's spread widens
            if np.any(spread > tif.max(axis=0) / tif.min(axis=0) + 1e-12):
                return False
    return True
