"""Assembly MILP: optimum against brute-force enumeration, constraints on every form, infeasibility.

The brute force enumerates every feasible form (all ``C(n, L)`` subsets meeting the per-form
constraints), then every unordered combination of forms meeting the overlap and the parallel cap,
and takes the largest smallest-information. The MILP is run with ``gap=1e-9``; its objective must
match to 1e-6 relative (HiGHS's feasibility tolerance is 1e-7 on rows whose coefficients are
O(1) information values, so an optimum can differ from the exact one by far less than 1e-6).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from psychometrics.assembly import (
    CountConstraint,
    assemble_forms,
    min_distinct_items,
)
from psychometrics.irt.models import ItemParameters, item_information


def _bank(n, *, n_outcomes=3, targets=(-0.5, 0.5), seed=0):
    rng = np.random.default_rng(seed)
    params = ItemParameters(
        item_ids=tuple(f"I{i:04d}" for i in range(n)),
        model=("3pl",) * n,
        a=rng.lognormal(0.0, 0.3, n),
        b=rng.normal(0.0, 1.0, n),
        c=rng.uniform(0.1, 0.25, n),
    )
    info = item_information(params, list(targets)).T
    outcome = np.arange(n) % n_outcomes
    rng.shuffle(outcome)
    level = rng.integers(0, 2, n)
    seconds = rng.integers(40, 120, n).astype(float)
    return info, outcome, level, seconds, rng


def _brute(info, *, length, n_forms, constraints, enemies, sets, seconds, max_seconds,
           include, exclude, max_overlap, tolerance, eligible):  # fmt: skip
    n = info.shape[0]
    forms = []
    for combo in itertools.combinations(range(n), length):
        s = set(combo)
        idx = list(combo)
        if not eligible[idx].all() or not set(include) <= s or s & set(exclude):
            continue
        if any(not c.min <= c.members[idx].sum() <= (c.max or length) for c in constraints):
            continue
        if any(a in s and b in s for a, b in enemies):
            continue
        if any(len(s & set(g)) not in (0, len(g)) for g in sets):
            continue
        if max_seconds is not None and seconds[idx].sum() > max_seconds:
            continue
        forms.append(s)
    tif = [info[list(f)].sum(axis=0) for f in forms]
    best = -np.inf
    for combo in itertools.combinations_with_replacement(range(len(forms)), n_forms):
        if any(len(forms[a] & forms[b]) > max_overlap for a, b in itertools.combinations(combo, 2)):
            continue
        t = np.array([tif[k] for k in combo])
        if tolerance is not None and np.any(t.max(axis=0) > (1 + tolerance) * t.min(axis=0)):
            continue
        best = max(best, t.min())
    return best


def _check_forms(result, info, *, length, n_forms, constraints, enemies, sets, seconds, max_seconds,
                 include, exclude, max_overlap, tolerance, eligible):  # fmt: skip
    """Every constraint, checked on the returned item lists (independently of the model)."""
    assert len(result.forms) == n_forms
    forms = [set(f) for f in result.forms]
    for f, items in zip(result.forms, forms, strict=True):
        idx = list(f)
        assert len(f) == len(items) == length
        assert eligible[idx].all()
        assert set(include) <= items and not items & set(exclude)
        for c in constraints:
            assert c.min <= c.members[idx].sum() <= (c.max if c.max is not None else length)
        for a, b in enemies:
            assert not (a in items and b in items)
        for g in sets:
            assert len(items & set(g)) in (0, len(g))
            if items & set(g):  # kept together in delivery order
                pos = sorted(f.index(i) for i in g)
                assert pos == list(range(pos[0], pos[0] + len(g)))
        if max_seconds is not None:
            assert seconds[idx].sum() <= max_seconds + 1e-9
    for a, b in itertools.combinations(forms, 2):
        assert len(a & b) <= max_overlap
    t = np.array([info[list(f)].sum(axis=0) for f in result.forms])
    np.testing.assert_allclose(result.information, t, rtol=1e-12)
    assert result.objective == pytest.approx(t.min(), rel=1e-12)
    if tolerance is not None:
        assert np.all(t.max(axis=0) <= (1 + tolerance) * t.min(axis=0) + 1e-9)
    assert result.bound >= result.objective - 1e-9


def _case(seed, *, n=10, length=3, n_forms=2, max_overlap=1, tolerance=0.3, with_time=True):
    info, outcome, level, seconds, rng = _bank(n, seed=seed)
    constraints = [
        CountConstraint("outcome A", outcome == 0, 1, 1),
        CountConstraint("outcome B", outcome == 1, 1, 2),
        CountConstraint("level 1", level == 1, 1, None),
    ]
    perm = rng.permutation(n)
    enemies = [tuple(sorted(perm[:2])), tuple(sorted(perm[2:4]))]
    sets = [sorted(perm[4:6].tolist())]
    eligible = np.ones(n, bool)
    eligible[perm[6]] = False
    kw = dict(
        length=length,
        n_forms=n_forms,
        constraints=constraints,
        enemies=enemies,
        sets=sets,
        seconds=seconds,
        max_seconds=float(np.sort(seconds)[:length].sum() + 120) if with_time else None,
        include=[],
        exclude=[int(perm[7])],
        max_overlap=max_overlap,
        tolerance=tolerance,
        eligible=eligible,
    )
    return info, kw


def _solve(info, kw, **extra):
    args = {k: v for k, v in kw.items() if k != "tolerance"}
    return assemble_forms(info, parallel_tolerance=kw["tolerance"], **args, **extra)


def _agree(info, kw, method):
    expected = _brute(info, **kw)
    result = _solve(info, kw, method=method, gap=1e-9, time_limit=30)
    if not np.isfinite(expected):
        assert result.status == "infeasible", result.message
        assert result.infeasible and result.forms == ()
        return False
    assert result.status == "optimal", result.message
    assert result.objective == pytest.approx(expected, rel=1e-6)
    _check_forms(result, info, **kw)
    return True


@pytest.mark.parametrize("method", ["decomposition", "direct", "plain"])
@pytest.mark.parametrize("seed", [1, 7, 10, 11, 12, 14])
def test_objective_matches_brute_force_two_forms(seed, method):
    # seed 7 has no feasible pair of forms: the MILP must say infeasible
    info, kw = _case(seed)
    assert _agree(info, kw, method) == (seed != 7)


@pytest.mark.parametrize("seed", [6, 8])
@pytest.mark.parametrize("forced", [False, True])
def test_objective_matches_brute_force_three_forms(seed, forced):
    info, kw = _case(seed, n=9, n_forms=3, max_overlap=1, tolerance=None, with_time=False)
    if forced:
        kw["include"] = [
            next(
                i for i in range(9) if kw["eligible"][i] and i not in kw["exclude"]
                and all(i not in g for g in kw["sets"]) and all(i not in e for e in kw["enemies"])
            )
        ]  # fmt: skip
    feasible = [_agree(info, kw, method) for method in ("decomposition", "direct")]
    assert feasible[0] == feasible[1]
    assert feasible[0] or forced


def test_infeasible_case_agrees_with_brute_force():
    info, kw = _case(1)
    kw["max_overlap"] = 0
    kw["constraints"][0] = CountConstraint("outcome A", kw["constraints"][0].members, 2, 3)
    expected = _brute(info, **kw)
    result = _solve(info, kw, time_limit=10)
    if np.isfinite(expected):
        assert result.objective == pytest.approx(expected, rel=1e-2)  # pragma: no cover
    else:
        assert result.status == "infeasible" and result.infeasible


def test_constraints_hold_on_a_larger_bank():
    n = 240
    info, outcome, level, seconds, rng = _bank(n, n_outcomes=6, seed=11)
    constraints = [CountConstraint(f"outcome {k}", outcome == k, 3, 5) for k in range(6)]
    constraints.append(CountConstraint("level 1", level == 1, 10, None))
    perm = rng.permutation(n)
    enemies = perm[:40].reshape(-1, 2)
    sets = [perm[40:43].tolist(), perm[43:45].tolist()]
    eligible = rng.random(n) > 0.1
    eligible[perm[40:45]] = True
    include = [int(perm[45])]
    eligible[include] = True
    kw = dict(
        length=24, n_forms=3, constraints=constraints, enemies=enemies, sets=sets,
        seconds=seconds, max_seconds=24 * 85.0, include=include, exclude=[int(perm[46])],
        max_overlap=4, tolerance=0.03, eligible=eligible,
    )  # fmt: skip
    result = _solve(info, kw, time_limit=30)
    assert result.status == "optimal", result.message
    assert result.gap <= 0.01
    _check_forms(result, info, **kw)


def test_overlap_limit_is_used_when_it_pays():
    # 4 excellent items and many poor ones: with max_overlap 2 both forms take 2 shared
    info = np.r_[np.full(4, 10.0), np.linspace(0.1, 0.5, 20)][:, None]
    r0 = assemble_forms(info, length=4, n_forms=2, max_overlap=0, parallel_tolerance=None)
    r2 = assemble_forms(info, length=4, n_forms=2, max_overlap=2, parallel_tolerance=None)
    # poor items p_k = 0.5 - (k - 1) 0.4 / 19; no overlap: 2 excellent each, {p1, p4} vs {p2, p3}
    assert r0.objective == pytest.approx(20 + 1.0 - 3 * 0.4 / 19, rel=1e-9)
    # overlap 2: two excellent items on both forms, one more each, and p1 / p2
    assert r2.objective == pytest.approx(30 + 0.5 - 0.4 / 19, rel=1e-9)


# ------------------------------------------------------------------------ counting helper


@pytest.mark.parametrize(("forms", "m", "k"), [(2, 7, 3), (2, 5, 10), (3, 4, 1), (4, 3, 1)])
def test_min_distinct_items_against_enumeration(forms, m, k):
    # smallest N for which some usage vector n_i in 0..F with sum F*m has sum C(n_i,2) <= K C(F,2)
    def possible(n):
        for use in itertools.combinations_with_replacement(range(forms + 1), n):
            if sum(use) == forms * m and sum(u * (u - 1) // 2 for u in use) <= min(k, m) * (
                forms * (forms - 1) // 2
            ):
                return True
        return False

    expected = next(n for n in range(m, forms * m + 1) if possible(n))
    assert min_distinct_items(forms, m, k) == expected
    if forms == 2:
        assert expected == 2 * m - min(k, m)


# ------------------------------------------------------------------------ infeasibility


def _simple(n=12, length=4):
    info = np.linspace(0.2, 1.0, n)[:, None]
    return info, np.arange(n) % 2 == 0


def test_counts_infeasibility_names_outcome_and_shortfall():
    info, even = _simple(20)
    members = np.zeros(20, bool)
    members[:8] = True
    c = CountConstraint("outcome DA4", members, 7, 7)
    result = assemble_forms(info, length=10, n_forms=2, constraints=[c], max_overlap=2,
                            eligible_label="operational")  # fmt: skip
    assert result.status == "infeasible"
    assert result.infeasible[0].group == "counts"
    assert result.infeasible[0].constraint == "outcome DA4"
    msg = result.infeasible[0].message
    assert "outcome DA4 needs 2 forms x 7 items with overlap <= 20% (2 items)" in msg
    assert "at least 12 distinct operational items; the bank has 8" in msg
    assert result.infeasible[0].shortfall == 4
    assert result.message.startswith("infeasible: outcome DA4")


def test_time_infeasibility():
    info, _ = _simple()
    result = assemble_forms(info, length=4, seconds=np.full(12, 100.0), max_seconds=350)
    assert result.status == "infeasible" and result.infeasible[0].group == "time"
    assert "take 400 s together; max_seconds is 350" in result.message
    assert result.infeasible[0].shortfall == 50


def test_forced_infeasibility():
    info, _ = _simple()
    eligible = np.ones(12, bool)
    eligible[3] = False
    labels = [f"X{i}" for i in range(12)]
    result = assemble_forms(info, length=4, include=[3], eligible=eligible, item_labels=labels)
    assert result.infeasible[0].group == "forced" and "X3 is forced in but" in result.message
    result = assemble_forms(info, length=4, include=[1, 2], enemies=[[1, 2]], item_labels=labels)
    assert "X1 and X2 are enemies but both forced in" in result.message
    result = assemble_forms(info, length=4, n_forms=2, include=[1, 2], max_overlap=1)
    assert "exceed the overlap limit of 1" in result.message


def test_enemies_infeasibility_found_by_the_single_form_check():
    info, _ = _simple(6)
    members = np.array([1, 1, 0, 0, 0, 0], bool)  # the outcome has exactly the 2 items it needs
    c = CountConstraint("outcome O", members, 2, 2)
    result = assemble_forms(info, length=3, constraints=[c], enemies=[[0, 1]])
    assert result.status == "infeasible"
    assert [r.group for r in result.infeasible] == ["enemies", "conflict"]
    assert set(result.infeasible[1].rows) == {"outcome O = 2", "1 enemy pairs apart"}
    assert "enemy pairs" in result.message


def test_sets_infeasibility_found_by_the_single_form_check():
    info, _ = _simple(6)
    members = np.array([1, 1, 1, 0, 0, 0], bool)
    c = CountConstraint("outcome O", members, 2, 2)
    result = assemble_forms(info, length=3, constraints=[c], sets=[[0, 1, 2]])
    assert [r.group for r in result.infeasible] == ["sets", "conflict"]
    assert set(result.infeasible[1].rows) == {"outcome O = 2", "1 item sets all-or-none"}


def test_overlap_infeasibility_reports_the_least_possible_overlap():
    # forms {a, c} or {b, c} only (d is an enemy of a and b): two forms must share c
    info = np.array([1.0, 0.9, 0.8, 0.7])[:, None]
    o1 = CountConstraint("outcome O1", np.array([1, 1, 0, 0], bool), 1, 1)
    o2 = CountConstraint("outcome O2", np.array([0, 0, 1, 1], bool), 1, 1)
    result = assemble_forms(
        info, length=2, n_forms=2, constraints=[o1, o2], enemies=[[0, 3], [1, 3]], max_overlap=0
    )
    assert result.status == "infeasible"
    assert result.infeasible[0].group == "overlap"
    assert "must share at least 1 items per pair of forms; max_overlap allows 0" in result.message
    assert result.infeasible[0].shortfall == 1


def test_time_limit_returns_incumbent_or_explains():
    info, outcome, _, _, _ = _bank(400, n_outcomes=5, seed=3)
    cons = [CountConstraint(f"o{k}", outcome == k, 5, 7) for k in range(5)]
    result = assemble_forms(
        info, length=30, n_forms=4, constraints=cons, max_overlap=3, time_limit=0.2,
        method="plain", gap=1e-6,
    )  # fmt: skip
    assert result.status in ("optimal", "time_limit", "no_solution")
    if result.status == "time_limit":
        assert result.gap > 1e-6 and "time limit of 0.2 s reached" in result.message
        assert len(result.forms) == 4
    if result.status == "no_solution":
        assert result.forms == () and "raise the time limit" in result.message


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"length": 0}, ValueError, "length"),
        ({"n_forms": 0}, ValueError, "n_forms"),
        ({"max_overlap": -1}, ValueError, "max_overlap"),
        ({"enemies": [[0, 99]]}, ValueError, "enemies"),
        ({"sets": [[0, 1], [1, 2]]}, ValueError, "one set only"),
        ({"include": [1], "exclude": [1]}, ValueError, "both"),
        ({"max_seconds": 10}, ValueError, "max_seconds"),
        ({"method": "magic"}, ValueError, "method"),
        ({"constraints": ["x"]}, TypeError, "CountConstraint"),
        ({"eligible": [True]}, ValueError, "eligible"),
    ],
)
def test_bad_arguments(kwargs, error, match):
    info, _ = _simple()
    args = {"length": 4, **kwargs}
    with pytest.raises(error, match=match):
        assemble_forms(info, **args)


def test_bad_information():
    with pytest.raises(ValueError, match="information"):
        assemble_forms(np.array([[1.0, -1.0]]).T, length=1)
    with pytest.raises(ValueError, match="information"):
        assemble_forms(np.array([[np.nan]]), length=1)


def test_polish_keeps_every_constraint_and_never_lowers_the_maximin():
    from psychometrics.assembly.milp import solve_split, solve_usage
    from psychometrics.assembly.polish import polish
    from psychometrics.assembly.solve import _build_units, _cap_ok, _validate

    info, outcome, level, seconds, rng = _bank(150, n_outcomes=5, seed=21)
    constraints = [CountConstraint(f"o{k}", outcome == k, 2, 4) for k in range(5)]
    enemies = rng.permutation(150)[:30].reshape(-1, 2)
    kw = dict(
        length=15, n_forms=3, constraints=constraints, eligible=None, enemies=enemies, sets=[],
        seconds=seconds, max_seconds=15 * 85.0, include=[], exclude=[], max_overlap=2,
        parallel_tolerance=0.02, item_labels=None, eligible_label="eligible",
    )  # fmt: skip
    units = _build_units(_validate(info, **kw))
    usage = solve_usage(units, time_limit=10, gap=1e-4)
    start = solve_split(units, usage.x, time_limit=10, gap=0.5, balance=False)
    x, moves = polish(units, start.x, time_limit=5)
    tif0, tif1 = start.x.T.astype(float) @ units.info, x.T.astype(float) @ units.info
    assert tif1.min() >= tif0.min() and moves > 0
    # from a start that breaks the parallel cap, no target's spread widens
    spread0, spread1 = tif0.max(axis=0) / tif0.min(axis=0), tif1.max(axis=0) / tif1.min(axis=0)
    assert _cap_ok(units, x) or np.all(spread1 <= np.maximum(spread0, 1.02) + 1e-12)
    # from a start that keeps the cap, the polished forms keep it
    balanced = solve_split(units, usage.x, time_limit=10, gap=0.5)
    y, _ = polish(units, balanced.x, time_limit=5)
    assert _cap_ok(units, balanced.x) and _cap_ok(units, y)
    np.testing.assert_array_equal(x.sum(axis=1), start.x.sum(axis=1) * (x.sum(axis=1) > 0))
    for f in range(3):
        on = np.flatnonzero(x[:, f])
        assert units.size[on].sum() == 15
        counts = units.counts[on].sum(axis=0)
        assert np.all(counts >= units.lo) and np.all(counts <= units.hi)
        assert units.seconds[on].sum() <= units.max_seconds + 1e-9
        assert not np.any(x[units.enemies[:, 0], f] & x[units.enemies[:, 1], f])
    for f, g in itertools.combinations(range(3), 2):
        assert (x[:, f] & x[:, g]).sum() <= 2


def test_time_infeasibility_through_the_blueprint():
    # the 3 quickest items take 150 s, but the outcome needs both 200-s items: 450 s at best
    info = np.linspace(0.2, 1.0, 6)[:, None]
    seconds = np.array([200.0, 200.0, 50.0, 50.0, 50.0, 50.0])
    c = CountConstraint("outcome A", np.array([1, 1, 0, 0, 0, 0], bool), 2, 2)
    result = assemble_forms(info, length=3, constraints=[c], seconds=seconds, max_seconds=300)
    assert [r.group for r in result.infeasible if r.group != "conflict"] == ["time"]
    assert "the quickest form meeting the blueprint takes 450 s" in result.message
    assert result.infeasible[0].shortfall == pytest.approx(150)
