"""Target-curve objectives, passages and attribute sums on small pools of known structure.

Each optimum is checked against a second MILP written here with scipy's HiGHS and none of
credkit's assembly code (both solved to a relative gap of 1e-7), or against enumeration.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from scipy.optimize import Bounds, LinearConstraint, milp

from psychometrics.assembly import CountConstraint, Passages, SumConstraint, assemble_forms


def _pool(n=36, seed=3):
    rng = np.random.default_rng(seed)
    a = rng.lognormal(0.0, 0.3, n)
    b = rng.normal(0, 1, n)
    theta = np.array([-1.0, 0.0, 1.0])
    p = 1 / (1 + np.exp(-a[:, None] * (theta - b[:, None])))
    return a[:, None] ** 2 * p * (1 - p), p


def _minimax(values, target, length, extra=()):
    """min d s.t. |values' x - target| <= d, sum x = length, extra (coef, lo, hi) rows."""
    n, t = values.shape
    rows, lo, hi = [np.r_[np.ones(n), 0.0]], [length], [length]
    for k in range(t):
        rows += [np.r_[values[:, k], -1.0], np.r_[values[:, k], 1.0]]
        lo += [-np.inf, target[k]]
        hi += [target[k], np.inf]
    for coef, low, high in extra:
        rows.append(np.r_[coef, 0.0])
        lo.append(low)
        hi.append(high)
    res = milp(np.r_[np.zeros(n), 1.0], integrality=np.r_[np.ones(n), 0.0],
               bounds=Bounds(np.zeros(n + 1), np.r_[np.ones(n), np.inf]),
               constraints=LinearConstraint(np.array(rows), lo, hi),
               options={"mip_rel_gap": 1e-7})  # fmt: skip
    assert res.status == 0
    x = np.round(res.x[:n])  # the exact deviation of its solution (HiGHS's d is within 1e-6)
    return float(np.abs(values.T @ x - target).max())


@pytest.mark.parametrize("kind", ["information", "tcc"])
def test_target_curve_minimax_equals_independent_model(kind):
    info, p = _pool()
    values = info if kind == "information" else p
    target = values[:8].sum(axis=0) * np.array([1.1, 0.95, 1.05])  # reachable only roughly
    result = assemble_forms(info, length=8, objective=kind, target=target, tcc=p, gap=1e-7,
                            parallel_tolerance=None)  # fmt: skip
    assert result.status == "optimal", result.message
    reference = _minimax(values, target, 8)
    assert result.objective == pytest.approx(reference, rel=1e-6, abs=1e-9)
    achieved = values[list(result.forms[0])].sum(axis=0)
    assert np.abs(achieved - target).max() == pytest.approx(result.objective, abs=1e-9)
    assert result.bound <= result.objective + 1e-9


def test_target_curve_with_attribute_sum():
    info, p = _pool()
    words = np.arange(36) * 10.0 + 50
    target = np.array([1.5, 2.0, 1.5])
    cap = SumConstraint("sum words", words, None, 1200.0)
    result = assemble_forms(info, length=8, objective="information", target=target,
                            constraints=[cap], gap=1e-7)  # fmt: skip
    assert words[list(result.forms[0])].sum() <= 1200.0
    reference = _minimax(info, target, 8, extra=[(words, -np.inf, 1200.0)])
    assert result.objective == pytest.approx(reference, rel=1e-6, abs=1e-9)


def test_passages_match_enumeration():
    info, _ = _pool(n=18, seed=5)
    groups = ((0, 1, 2, 3), (4, 5, 6), (7, 8, 9, 10), (11, 12, 13))
    loose = np.arange(14, 18)  # items outside every passage
    passages = Passages(groups=groups, items=(2, 3), count=(2, 2))
    score = info.sum(axis=1)
    result = assemble_forms(info, length=6, passages=passages, objective="sum", gap=1e-9)
    # enumeration: choose 2 passages, 2-3 items from each, loose items for the rest
    best = -np.inf
    for pair in itertools.combinations(groups, 2):
        options = [[c for k in (2, 3) for c in itertools.combinations(g, k)] for g in pair]
        for first, second in itertools.product(*options):
            rest = 6 - len(first) - len(second)
            extra = np.sort(score[loose])[::-1][:rest].sum() if rest <= loose.size else -np.inf
            best = max(best, score[list(first + second)].sum() + extra)
    assert result.objective == pytest.approx(best, rel=1e-9)
    form = set(result.forms[0])
    used = [len(form & set(g)) for g in groups]
    assert sum(u > 0 for u in used) == 2 and all(u in (0, 2, 3) for u in used)


def test_parallel_tcc_constraint_holds_and_binds():
    info, p = _pool(n=40, seed=8)
    free = assemble_forms(info, length=8, n_forms=2, objective="sum", gap=1e-6, tcc=p,
                          parallel_tolerance=None)  # fmt: skip
    tied = assemble_forms(info, length=8, n_forms=2, objective="sum", gap=1e-6, tcc=p,
                          tcc_tolerance=0.05, parallel_tolerance=None)  # fmt: skip
    assert tied.success, tied.message
    assert np.abs(tied.tcc[0] - tied.tcc[1]).max() <= 0.05 + 1e-7
    # free is within 1e-6 (relative) of its optimum, which bounds tied's
    assert tied.objective <= free.objective * (1 + 2e-6)


def test_count_where_via_count_constraint_and_validation_errors():
    info, p = _pool()
    with pytest.raises(ValueError, match="target"):
        assemble_forms(info, length=5, objective="information")
    with pytest.raises(ValueError, match="tcc"):
        assemble_forms(info, length=5, objective="tcc", target=[1, 2, 3])
    with pytest.raises(ValueError, match="objective"):
        assemble_forms(info, length=5, objective="best")
    with pytest.raises(ValueError, match="weights"):
        assemble_forms(info, length=5, objective="sum", weights=[1, 2])
    with pytest.raises(ValueError, match="decomposition"):
        assemble_forms(info, length=5, n_forms=2, objective="sum", method="decomposition")
    with pytest.raises(ValueError, match="passages"):
        assemble_forms(info, length=5, passages=Passages(groups=((0, 1), (1, 2))))
    with pytest.raises(ValueError, match="node_limit"):
        assemble_forms(info, length=5, node_limit=0)
    hard = CountConstraint("dok 3", np.arange(36) < 4, 3, None)
    result = assemble_forms(info, length=5, constraints=[hard], objective="sum", node_limit=50)
    assert result.success and sum(i < 4 for i in result.forms[0]) >= 3


def test_infeasible_problem_names_an_irreducible_conflict():
    rng = np.random.default_rng(0)
    n = 60
    info = rng.uniform(0.1, 1, (n, 2))
    standard, dok = np.arange(n) % 4, np.arange(n) % 3
    rows = [CountConstraint(f"standard {k}", standard == k, 1, 6) for k in range(3)]
    rows += [
        CountConstraint("standard 3", standard == 3, 0, 4),
        CountConstraint("dok 3", dok == 2, 2, 12),
        CountConstraint("objective group", standard == 3, 5, None),
        SumConstraint("sum words", np.full(n, 100.0), None, 2500.0),
    ]
    result = assemble_forms(info, length=20, constraints=rows)
    assert result.status == "infeasible"
    (conflict,) = [r for r in result.infeasible if r.group == "conflict"]
    assert set(conflict.rows) == {"standard 3 <= 4", "objective group >= 5"}
    assert "standard 3 <= 4" in result.message and "objective group >= 5" in result.message
    # irreducible: without either row the others can be met
    for drop in ("standard 3", "objective group"):
        kept = [r for r in rows if r.name != drop]
        assert assemble_forms(info, length=20, constraints=kept).success
