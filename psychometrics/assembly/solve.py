"""Automated test assembly: parallel fixed-length forms by mixed-integer programming.

:func:`assemble_forms` is the numeric core. It takes arrays (item information at the target
thetas, count constraints such as outcomes and cognitive levels, eligibility, enemies, item sets,
expected seconds, forced items) and returns a frozen :class:`AssemblyResult`. It knows nothing of
files; :mod:`psychometrics.program.proposal` builds its inputs from a credential spec and a bank.

The model (van der Linden, 2005, ch. 4-6): ``x[i, f] = 1`` when item ``i`` is on form ``f``; all
forms are solved together. Every form has ``length`` items, meets each count range, stays under
the time limit, never holds two enemies, holds all or none of an item set, and holds every forced
item; any two forms share at most ``max_overlap`` items. The objective is maximin: maximize the
smallest test information over forms and targets, with the forms kept parallel (at every target
the largest form information is at most ``1 + parallel_tolerance`` times the smallest).

Solving (``method="decomposition"``, the default for several forms): a usage model chooses how
many forms each item goes on, with the overlap aggregated over pairs of forms; it is a relaxation,
so its bound bounds the maximin. A second, much smaller model splits the chosen items into the
forms: first any split meeting the constraints, balanced by a swap local search
(:mod:`psychometrics.assembly.polish`), then, if that is not within ``gap`` of the bound, the split
maximizing the maximin. If that is still not within ``gap`` and time remains, the full model is
solved with the best value as a lower-bound cut (scipy's ``milp`` takes no starting solution) --
for problems of at most 8,000 unit-by-form variables only, because HiGHS overruns its time limit
on larger full models; larger problems then return their best forms with the gap reached.
``method="direct"`` solves the full model with symmetry breaking; ``method="plain"`` solves it as
written (the baseline in benchmarks/assembly.py).

When the constraints cannot be met, the groups of constraints are checked separately (counts of
eligible items against what the forms need, then a single form's blueprint, time, sets and
enemies, then the overlap between forms), and the result says which group fails and by how much.

References
----------
van der Linden, W. J. (2005). *Linear Models for Optimal Test Design*. Springer.
van der Linden, W. J., & Boekkooi-Timminga, E. (1989). A maximin model for IRT-based test design
    with practical constraints. *Psychometrika*, 54(2), 237-247.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from psychometrics.assembly.milp import (
    SolveOutcome,
    Units,
    solve_direct,
    solve_feasibility,
    solve_min_overlap,
    solve_split,
    solve_usage,
)
from psychometrics.assembly.polish import polish

__all__ = [
    "METHODS",
    "AssemblyResult",
    "CountConstraint",
    "Infeasibility",
    "OBJECTIVES",
    "Passages",
    "SumConstraint",
    "assemble_forms",
    "min_distinct_items",
]

METHODS = ("auto", "decomposition", "direct", "plain")
_DIRECT_AFTER_SPLIT_MAX = 8_000  # unit-form binaries up to which the full model follows a split
OBJECTIVES = ("maximin", "sum", "information", "tcc")
"""``maximin``: the smallest form information over targets; ``sum``: the weighted sum of
information over the targets (TestDesign's default); ``information``/``tcc``: the largest absolute
deviation from a target information curve / test characteristic curve (minimax, minimized)."""


@dataclass(frozen=True)
class CountConstraint:
    """A per-form count range over a group of items (an outcome, a cognitive level, ...).

    Attributes
    ----------
    name
        How messages name the group, e.g. ``"outcome DA4"``.
    members
        Boolean membership per item, shape ``(n_items,)``.
    min, max
        Every form holds between ``min`` and ``max`` items of the group (``max`` None = no cap).
    """

    name: str
    members: np.ndarray
    min: int = 0
    max: int | None = None


@dataclass(frozen=True)
class SumConstraint:
    """A per-form range on the sum of a numeric item attribute (word count, p-value, ...).

    A range on the *mean* over a fixed-length form is a range on the sum times the length;
    a count of the items meeting a condition is a sum of 0/1 values.

    Attributes
    ----------
    name
        How messages name the constraint, e.g. ``"sum words"``.
    values
        The attribute of each item, shape ``(n_items,)`` (finite; ineligible items may hold 0).
    min, max
        Every form's sum lies in ``[min, max]`` (None = unbounded on that side).
    """

    name: str
    values: np.ndarray
    min: float | None = None
    max: float | None = None


@dataclass(frozen=True)
class Passages:
    """Passages (stimuli) whose items are chosen one by one (TestDesign's stimulus constraints).

    Attributes
    ----------
    groups
        Item indices of each passage; an item belongs to at most one passage.
    items
        ``(min, max)`` items of a passage on a form that uses it; or one pair per passage.
    count
        ``(min, max)`` passages per form, or None for no range.
    names
        Passage ids for messages (optional).
    """

    groups: tuple[tuple[int, ...], ...]
    items: Any = (1, None)
    count: tuple[int, int] | None = None
    names: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Infeasibility:
    """One group of constraints that cannot be met.

    Attributes
    ----------
    group
        ``"counts"``, ``"forced"``, ``"time"``, ``"sets"``, ``"enemies"``, ``"blueprint"``
        or ``"overlap"``.
    message
        What fails and by how much, in words.
    shortfall
        By how much (items missing, seconds over, items of overlap over); nan if unknown.
    constraint
        The name of the count constraint concerned, if one.
    rows
        For ``group == "conflict"``: an irreducible infeasible subset of the constraint rows
        (together they cannot be met; without any one of them the rest can).
    """

    group: str
    message: str
    shortfall: float = math.nan
    constraint: str | None = None
    rows: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "message": self.message,
            "shortfall": self.shortfall,
            "constraint": self.constraint,
            "rows": list(self.rows),
        }


@dataclass(frozen=True)
class AssemblyResult:
    """The assembled forms and how the solver got there.

    Attributes
    ----------
    status
        ``"optimal"``: within ``gap`` of the proven bound; ``"time_limit"``: the time limit hit
        and the best forms found are returned with their gap; ``"infeasible"``: the constraints
        cannot be met (see ``infeasible``); ``"no_solution"``: the time limit hit before any
        forms were found.
    message
        The status explained in one or two sentences.
    gap
        Relative optimality gap ``(bound - objective) / bound`` (nan without forms).
    seconds
        Wall-clock time of the whole assembly.
    forms
        Item indices (into the input arrays) of each form, ascending by item except that the
        items of a set are contiguous (in the position of its first item).
    information
        Test information of each form at each target, shape ``(n_forms, n_targets)``.
    objective
        The objective value: for ``maximin`` the smallest entry of ``information``; for
        ``sum`` the smallest weighted sum over forms; for ``information``/``tcc`` the largest
        absolute deviation from the target curve.
    bound
        A proven bound on the objective over all feasible forms (upper when maximizing, lower
        for the deviation objectives).
    method
        The solution method used.
    stages
        Per solver call: name, HiGHS status, value, bound, seconds, nodes.
    infeasible
        The failing constraint groups (empty unless ``status == "infeasible"``).
    """

    status: str
    message: str
    gap: float
    seconds: float
    forms: tuple[tuple[int, ...], ...]
    information: np.ndarray
    objective: float
    bound: float
    method: str
    stages: tuple[dict[str, Any], ...] = ()
    infeasible: tuple[Infeasibility, ...] = field(default_factory=tuple)
    objective_kind: str = "maximin"
    tcc: np.ndarray | None = None

    @property
    def success(self) -> bool:
        """True when forms were found (optimal or not)."""
        return self.status in ("optimal", "time_limit")

    def to_dict(self) -> dict[str, Any]:
        return {
            "status": self.status,
            "message": self.message,
            "gap": self.gap,
            "seconds": self.seconds,
            "forms": [list(f) for f in self.forms],
            "information": self.information.tolist(),
            "objective": self.objective,
            "bound": self.bound,
            "method": self.method,
            "stages": list(self.stages),
            "infeasible": [i.to_dict() for i in self.infeasible],
            "objective_kind": self.objective_kind,
            "tcc": None if self.tcc is None else self.tcc.tolist(),
        }


# --------------------------------------------------------------------------------------------
# Counting helpers
# --------------------------------------------------------------------------------------------


def min_distinct_items(n_forms: int, per_form: int, max_overlap: int) -> int:
    """Fewest distinct items that can fill ``n_forms`` forms with ``per_form`` items each when
    any two forms share at most ``max_overlap`` of them.

    With ``N`` distinct items used ``n_i`` times, ``sum n_i = F m`` and the pairwise overlaps add
    up to ``sum C(n_i, 2) <= K C(F, 2)``; for a given ``N`` the left side is smallest when the
    uses are spread evenly, which gives the smallest ``N``. (A necessary condition: it is exact
    for two forms, ``N = 2m - min(K, m)``, and a lower bound otherwise.)
    """
    if n_forms < 1 or per_form < 0 or max_overlap < 0:
        raise ValueError("n_forms must be >= 1 and per_form, max_overlap >= 0")
    if per_form == 0:
        return 0
    if n_forms == 1:
        return per_form
    k = min(max_overlap, per_form)
    budget = k * n_forms * (n_forms - 1) // 2
    slots = n_forms * per_form
    for n in range(per_form, slots + 1):
        q, r = divmod(slots, n)
        cost = r * (q + 1) * q // 2 + (n - r) * q * (q - 1) // 2
        if cost <= budget:
            return n
    return slots


def _label(labels: Sequence[str] | None, i: int) -> str:
    return str(labels[i]) if labels is not None else f"item {i}"


# --------------------------------------------------------------------------------------------
# Input validation and units
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Problem:
    info: np.ndarray
    constraints: tuple[CountConstraint, ...]
    eligible: np.ndarray
    enemies: np.ndarray
    sets: tuple[np.ndarray, ...]
    seconds: np.ndarray | None
    max_seconds: float | None
    include: np.ndarray
    length: int
    n_forms: int
    max_overlap: int
    tolerance: float | None
    labels: tuple[str, ...] | None
    eligible_label: str
    sums: tuple[SumConstraint, ...] = ()
    objective: str = "maximin"
    weights: np.ndarray | None = None
    target: np.ndarray | None = None
    tcc: np.ndarray | None = None
    tcc_tolerance: float | None = None
    passages: Passages | None = None
    passage_lo: np.ndarray | None = None
    passage_hi: np.ndarray | None = None


def _index_array(values, n: int, name: str) -> np.ndarray:
    arr = np.asarray(values, dtype=np.int64).reshape(-1) if len(values) else np.zeros(0, np.int64)
    if arr.size and (arr.min() < 0 or arr.max() >= n):
        raise ValueError(f"{name}: item indices must lie in 0..{n - 1}")
    return arr


def _validate(information, **kw) -> _Problem:
    info = np.asarray(information, dtype=float)
    if info.ndim == 1:
        info = info[:, None]
    if info.ndim != 2 or info.shape[0] == 0 or info.shape[1] == 0:
        raise ValueError("information: expected shape (n_items, n_targets)")
    if not np.all(np.isfinite(info)) or np.any(info < 0):
        raise ValueError("information: values must be finite and non-negative")
    n = info.shape[0]
    length, n_forms = kw["length"], kw["n_forms"]
    if not isinstance(length, int | np.integer) or length < 1:
        raise ValueError("length: must be a positive integer")
    if not isinstance(n_forms, int | np.integer) or n_forms < 1:
        raise ValueError("n_forms: must be a positive integer")
    max_overlap = kw["max_overlap"]
    if not isinstance(max_overlap, int | np.integer) or max_overlap < 0:
        raise ValueError("max_overlap: must be a non-negative integer (items)")
    everything = tuple(kw["constraints"])
    constraints = tuple(c for c in everything if isinstance(c, CountConstraint))
    sums = tuple(c for c in everything if isinstance(c, SumConstraint))
    if len(constraints) + len(sums) != len(everything):
        raise TypeError("constraints: expected CountConstraint or SumConstraint objects")
    for c in sums:
        v = np.asarray(c.values, dtype=float)
        if v.shape != (n,) or not np.all(np.isfinite(v)):
            raise ValueError(f"constraints: values of {c.name!r} must be {n} finite numbers")
        if c.min is not None and c.max is not None and c.max < c.min:
            raise ValueError(f"constraints: bad range for {c.name!r}")
    for c in constraints:
        if np.asarray(c.members).shape != (n,):
            raise ValueError(f"constraints: members of {c.name!r} must have shape ({n},)")
        if c.min < 0 or (c.max is not None and c.max < c.min):
            raise ValueError(f"constraints: bad range for {c.name!r}")
    eligible = kw["eligible"]
    eligible = np.ones(n, bool) if eligible is None else np.asarray(eligible, bool).reshape(-1)
    if eligible.shape != (n,):
        raise ValueError(f"eligible: expected shape ({n},)")
    enemies = np.asarray(kw["enemies"], dtype=np.int64).reshape(-1, 2)
    if enemies.size and (enemies.min() < 0 or enemies.max() >= n):
        raise ValueError(f"enemies: item indices must lie in 0..{n - 1}")
    sets = tuple(_index_array(s, n, "sets") for s in kw["sets"])
    seen = np.concatenate(sets) if sets else np.zeros(0, np.int64)
    if len(np.unique(seen)) != seen.size:
        raise ValueError("sets: an item may belong to one set only")
    seconds = kw["seconds"]
    if seconds is not None:
        seconds = np.asarray(seconds, dtype=float).reshape(-1)
        if seconds.shape != (n,) or not np.all(np.isfinite(seconds)) or np.any(seconds < 0):
            raise ValueError(f"seconds: expected {n} finite non-negative values")
    max_seconds = kw["max_seconds"]
    if max_seconds is not None and (seconds is None or not max_seconds > 0):
        raise ValueError("max_seconds: needs seconds and must be positive")
    include = np.unique(_index_array(kw["include"], n, "include"))
    exclude = np.unique(_index_array(kw["exclude"], n, "exclude"))
    if np.intersect1d(include, exclude).size:
        raise ValueError("include, exclude: an item cannot be both")
    eligible = eligible.copy()
    eligible[exclude] = False
    tol = kw["parallel_tolerance"]
    if tol is not None and not tol >= 0:
        raise ValueError("parallel_tolerance: must be >= 0 or None")
    labels = kw["item_labels"]
    if labels is not None:
        labels = tuple(str(x) for x in labels)
        if len(labels) != n:
            raise ValueError(f"item_labels: expected {n} labels")
    extra = _validate_objective(info, kw)
    extra.update(_validate_passages(n, kw.get("passages", None)))
    return _Problem(
        **extra,
        sums=sums,
        info=info,
        constraints=constraints,
        eligible=eligible,
        enemies=enemies,
        sets=sets,
        seconds=seconds,
        max_seconds=None if max_seconds is None else float(max_seconds),
        include=include,
        length=int(length),
        n_forms=int(n_forms),
        max_overlap=int(min(max_overlap, length)),
        tolerance=None if tol is None else float(tol),
        labels=labels,
        eligible_label=kw["eligible_label"],
    )


def _validate_objective(info: np.ndarray, kw) -> dict[str, Any]:
    n, t_count = info.shape
    objective = kw.get("objective", "maximin")
    if objective not in OBJECTIVES:
        raise ValueError(f"objective: expected one of {', '.join(OBJECTIVES)}, got {objective!r}")
    weights = kw.get("weights", None)
    weights = np.ones(t_count) if weights is None else np.asarray(weights, float).reshape(-1)
    if weights.shape != (t_count,) or not np.all(np.isfinite(weights)) or np.any(weights < 0):
        raise ValueError(f"weights: expected {t_count} finite non-negative values (one per target)")
    tcc = kw.get("tcc", None)
    if tcc is not None:
        tcc = np.asarray(tcc, float)
        tcc = tcc[:, None] if tcc.ndim == 1 else tcc
        if tcc.shape != (n, t_count) or not np.all(np.isfinite(tcc)):
            raise ValueError(f"tcc: expected finite expected scores of shape ({n}, {t_count})")
    target = kw.get("target", None)
    if objective in ("information", "tcc"):
        if target is None:
            raise ValueError(f"target: objective {objective!r} needs target values")
        target = np.asarray(target, float).reshape(-1)
        if target.shape != (t_count,) or not np.all(np.isfinite(target)):
            raise ValueError(f"target: expected {t_count} finite values (one per target)")
        if objective == "tcc" and tcc is None:
            raise ValueError("tcc: objective 'tcc' needs the items' expected scores")
    elif target is not None:
        raise ValueError("target: only used with objective 'information' or 'tcc'")
    tol = kw.get("tcc_tolerance", None)
    if tol is not None:
        if not tol >= 0:
            raise ValueError("tcc_tolerance: must be >= 0 (score points) or None")
        if tcc is None:
            raise ValueError("tcc_tolerance: needs tcc (the items' expected scores)")
        tol = float(tol)
    return {
        "objective": objective,
        "weights": weights,
        "target": target,
        "tcc": tcc,
        "tcc_tolerance": tol,
    }


def _validate_passages(n: int, passages: Passages | None) -> dict[str, Any]:
    if passages is None:
        return {}
    if not isinstance(passages, Passages):
        raise TypeError("passages: expected a Passages object")
    groups = tuple(_index_array(list(g), n, "passages") for g in passages.groups)
    seen = np.concatenate(groups) if groups else np.zeros(0, np.int64)
    if len(np.unique(seen)) != seen.size:
        raise ValueError("passages: an item may belong to one passage only")
    if any(g.size == 0 for g in groups):
        raise ValueError("passages: every passage needs at least one item")
    items = passages.items
    pairs = [items] * len(groups) if len(items) == 2 and not hasattr(items[0], "__len__") else items
    if len(pairs) != len(groups):
        raise ValueError("passages: items must be one (min, max) pair or one per passage")
    lo = np.array([0 if a is None else a for a, _ in pairs], dtype=float)
    hi = np.array([np.inf if b is None else b for _, b in pairs], dtype=float)
    if np.any(lo < 1) or np.any(hi < lo):
        raise ValueError("passages: items per passage need 1 <= min <= max")
    if passages.count is not None:
        a, b = passages.count
        if a < 0 or (b is not None and b < a):
            raise ValueError("passages: count needs 0 <= min <= max")
    return {"passages": passages, "passage_lo": lo, "passage_hi": hi}


def _build_units(p: _Problem, *, use_sets: bool = True, use_enemies: bool = True):
    """Collapse sets into units; drop ineligible ones. Returns (units, unit_of_item)."""
    n = p.info.shape[0]
    groups: list[np.ndarray] = []
    in_set = np.zeros(n, bool)
    if use_sets:
        for s in p.sets:
            in_set[s] = True
            # all-or-none: a set with any ineligible member is unusable as a whole
            if p.eligible[s].all():
                groups.append(np.sort(s))
    for i in np.flatnonzero(p.eligible & ~in_set):
        groups.append(np.array([i]))
    groups.sort(key=lambda g: int(g[0]))
    unit_of = np.full(n, -1)
    for u, g in enumerate(groups):
        unit_of[g] = u
    columns = [np.asarray(c.members, float) for c in p.constraints]
    columns += [np.asarray(c.values, float) for c in p.sums]
    m = np.column_stack(columns) if columns else np.zeros((n, 0))
    size = np.array([g.size for g in groups], dtype=float)
    info = np.array([p.info[g].sum(axis=0) for g in groups]).reshape(len(groups), -1)
    counts = np.array([m[g].sum(axis=0) for g in groups]).reshape(len(groups), m.shape[1])
    seconds = None
    if p.seconds is not None:
        seconds = np.array([p.seconds[g].sum() for g in groups])
    forced = np.zeros(len(groups), bool)
    forced[unit_of[p.include][unit_of[p.include] >= 0]] = True
    enemies = np.zeros((0, 2), np.int64)
    usable = np.ones(len(groups), bool)
    if use_enemies and p.enemies.size:
        e = unit_of[p.enemies]
        e = e[(e >= 0).all(axis=1)]
        same = e[:, 0] == e[:, 1]
        usable[e[same, 0]] = False  # enemies inside one set: the set can never be used
        e = np.sort(e[~same], axis=1)
        enemies = np.unique(e, axis=0) if e.size else enemies
    lo = np.array(
        [c.min for c in p.constraints] + [-np.inf if c.min is None else c.min for c in p.sums],
        dtype=float,
    )
    hi = np.array(
        [np.inf if c.max is None else c.max for c in p.constraints]
        + [np.inf if c.max is None else c.max for c in p.sums],
        dtype=float,
    )
    tcc = None if p.tcc is None else np.array([p.tcc[g].sum(axis=0) for g in groups])
    passage_kw: dict[str, Any] = {}
    if p.passages is not None:
        passage_of_item = np.full(n, -1)
        for s_idx, g in enumerate(p.passages.groups):
            passage_of_item[list(g)] = s_idx
        first = np.array([passage_of_item[g[0]] for g in groups], dtype=np.int64)
        passage_kw = {
            "passage": first,
            "passage_lo": p.passage_lo,
            "passage_hi": p.passage_hi,
            "n_passages": None if p.passages.count is None else (
                p.passages.count[0], np.inf if p.passages.count[1] is None
                else p.passages.count[1]),
        }  # fmt: skip
    units = Units(
        members=tuple(groups),
        size=size,
        info=info,
        counts=counts,
        lo=lo,
        hi=hi,
        seconds=seconds,
        max_seconds=p.max_seconds,
        enemies=enemies,
        forced=forced,
        length=p.length,
        n_forms=p.n_forms,
        max_overlap=p.max_overlap,
        tolerance=p.tolerance,
        objective=p.objective,
        weights=p.weights,
        target=p.target,
        tcc=tcc if tcc is None else tcc.reshape(len(groups), -1),
        tcc_tolerance=p.tcc_tolerance,
        **passage_kw,
    )
    if not usable.all():
        units = _keep_units(units, usable)
    return units


def _keep_units(units: Units, keep: np.ndarray) -> Units:
    new_index = np.cumsum(keep) - 1
    e = units.enemies
    e = e[keep[e].all(axis=1)] if e.size else e
    return replace(
        units,
        members=tuple(m for m, k in zip(units.members, keep, strict=True) if k),
        size=units.size[keep],
        info=units.info[keep],
        counts=units.counts[keep],
        seconds=None if units.seconds is None else units.seconds[keep],
        enemies=new_index[e] if e.size else e,
        forced=units.forced[keep],
        tcc=None if units.tcc is None else units.tcc[keep],
        passage=None if units.passage is None else units.passage[keep],
    )


# --------------------------------------------------------------------------------------------
# Infeasibility: constraint groups checked separately
# --------------------------------------------------------------------------------------------


def _count_checks(p: _Problem) -> list[Infeasibility]:
    """Closed-form checks: forced items, eligible items per group and overall, time."""
    out: list[Infeasibility] = []
    f_count, k, length = p.n_forms, p.max_overlap, p.length
    label = p.eligible_label
    lab = p.labels
    inc = p.include
    bad = inc[~p.eligible[inc]]
    for i in bad:
        out.append(Infeasibility("forced", f"{_label(lab, i)} is forced in but is not {label}"))
    if inc.size:
        set_of = {int(i): s for s in p.sets for i in s}
        extra = {int(j) for i in inc for j in set_of.get(int(i), ())} - {int(i) for i in inc}
        on_every = inc.size + len(extra)
        if on_every > length:
            out.append(
                Infeasibility(
                    "forced",
                    f"{on_every} items are forced onto every form (with their sets); "
                    f"a form has {length}",
                    on_every - length,
                )
            )
        if f_count > 1 and on_every > k:
            out.append(
                Infeasibility(
                    "forced",
                    f"{on_every} items forced onto all {f_count} forms exceed the overlap limit "
                    f"of {k} items per pair of forms",
                    on_every - k,
                )
            )
        for c in p.constraints:
            members = np.asarray(c.members, bool)
            forced_here = int(members[inc].sum())
            if c.max is not None and forced_here > c.max:
                out.append(
                    Infeasibility(
                        "forced",
                        f"{c.name}: {forced_here} forced items, but a form may hold at most "
                        f"{c.max}",
                        forced_here - c.max,
                        c.name,
                    )
                )
        inc_set = set(inc.tolist())
        for a, b in p.enemies:
            if int(a) in inc_set and int(b) in inc_set:
                out.append(
                    Infeasibility(
                        "forced",
                        f"{_label(lab, a)} and {_label(lab, b)} are enemies but both forced in",
                    )
                )
    for c in p.constraints:
        if c.min <= 0:
            continue
        members = np.asarray(c.members, bool)
        have = int((members & p.eligible).sum())
        need = min_distinct_items(f_count, c.min, k)
        if have < need:
            if f_count == 1:
                text = f"{c.name} needs {c.min} items; the bank has {have} {label}"
            else:
                share = f"{100 * k / length:.0f}%"
                text = (
                    f"{c.name} needs {f_count} forms x {c.min} items with overlap <= {share} "
                    f"({k} items): at least {need} distinct {label} items; the bank has {have}"
                )
            out.append(Infeasibility("counts", text, need - have, c.name))
    have = int(p.eligible.sum())
    need = min_distinct_items(f_count, length, k)
    if have < need:
        out.append(
            Infeasibility(
                "counts",
                f"{f_count} forms x {length} items with at most {k} shared per pair need at "
                f"least {need} distinct {label} items; the bank has {have}",
                need - have,
            )
        )
    if p.seconds is not None and p.max_seconds is not None and have >= length:
        quickest = float(np.sort(p.seconds[p.eligible])[:length].sum())
        if quickest > p.max_seconds:
            out.append(
                Infeasibility(
                    "time",
                    f"the {length} quickest {label} items take {quickest:.0f} s together; "
                    f"max_seconds is {p.max_seconds:.0f}",
                    quickest - p.max_seconds,
                )
            )
    return out


def _row_text(c) -> str:
    lo, hi = c.min, c.max
    if lo is not None and hi is not None and lo == hi:
        return f"{c.name} = {lo:g}"
    parts = [] if lo is None or lo <= 0 else [f">= {lo:g}"]
    parts += [] if hi is None or not np.isfinite(hi) else [f"<= {hi:g}"]
    return f"{c.name} {' and '.join(parts)}".strip()


def _conflict(p: _Problem, *, time_limit: float) -> Infeasibility | None:
    """An irreducible infeasible subset of the constraint rows, by the deletion filter.

    Each row (a count or sum range, the time limit, enemies, item sets, forced items,
    passages, the TCC parallelism, the overlap between forms) is dropped in turn; it stays
    out when the others are still proven infeasible. The form length and eligibility are
    always kept. A check that runs out of time keeps its row (the subset stays infeasible but
    may not be minimal). Chinneck, J. W. (2008). *Feasibility and Infeasibility in
    Optimization*, ch. 2. Springer.
    """
    rows: list[tuple[str, str, Any]] = []
    rows += [("count", _row_text(c), c) for c in p.constraints]
    rows += [("sum", _row_text(c), c) for c in p.sums]
    if p.max_seconds is not None:
        rows.append(("time", f"expected seconds <= {p.max_seconds:g}", None))
    if p.enemies.size:
        rows.append(("enemies", f"{len(p.enemies)} enemy pairs apart", None))
    if p.sets:
        rows.append(("sets", f"{len(p.sets)} item sets all-or-none", None))
    if p.include.size:
        rows.append(("include", f"{p.include.size} forced items", None))
    if p.passages is not None:
        rows.append(("passages", "passages per form and items per passage", None))
    if p.tcc_tolerance is not None and p.n_forms > 1:
        rows.append(("tcc", f"parallel TCC within {p.tcc_tolerance:g}", None))
    if p.n_forms > 1 and p.max_overlap < p.length:
        rows.append(("overlap", f"at most {p.max_overlap} items shared per pair of forms", None))
    if not rows:
        return None
    started = time.perf_counter()
    per_check = max(0.5, time_limit / (len(rows) + 1))

    def feasible(kept: list[tuple[str, str, Any]]) -> bool | None:
        kinds = {k for k, _, _ in kept}
        q = replace(
            p,
            constraints=tuple(c for k, _, c in kept if k == "count"),
            sums=tuple(c for k, _, c in kept if k == "sum"),
            max_seconds=p.max_seconds if "time" in kinds else None,
            include=p.include if "include" in kinds else np.zeros(0, np.int64),
            passages=p.passages if "passages" in kinds else None,
            tcc_tolerance=p.tcc_tolerance if "tcc" in kinds else None,
            max_overlap=p.max_overlap if "overlap" in kinds else p.length,
            objective="maximin",
        )
        units = _build_units(q, use_sets="sets" in kinds, use_enemies="enemies" in kinds)
        if units.n_units == 0:
            return False
        res = solve_feasibility(units, time_limit=per_check)
        if res.status == 2:
            return False
        return True if res.x is not None else None

    if feasible(rows) is not False:
        return None  # infeasible only through the objective's parallel cap, or undecided
    kept = list(rows)
    for row in rows:
        if time.perf_counter() - started > time_limit:
            break
        trial = [r for r in kept if r is not row]
        if feasible(trial) is False:
            kept = trial
    names = tuple(text for _, text, _ in kept)
    return Infeasibility(
        "conflict",
        "these constraints conflict (each of them is needed for the conflict): "
        + "; ".join(names)
        + f"; with {p.n_forms} form(s) of {p.length} {p.eligible_label} items",
        rows=names,
    )


def _diagnose(p: _Problem, *, time_limit: float) -> list[Infeasibility]:
    """Find the failing group by solving relaxed models: one form first, then the overlap."""
    one = replace(p, n_forms=1)
    budget = max(1.0, time_limit / 5)
    # 1. one form, blueprint and levels only (no sets, no enemies, no time limit)
    base = _build_units(replace(one, max_seconds=None), use_sets=False, use_enemies=False)
    res = solve_feasibility(base, time_limit=budget)
    if res.status == 2:
        names = ", ".join(c.name for c in (*p.constraints, *p.sums)) or "the length"
        with_passages = " and the passage ranges" if p.passages is not None else ""
        return [
            Infeasibility(
                "blueprint",
                f"no single form of {p.length} {p.eligible_label} items meets the count ranges "
                f"together ({names}){with_passages}, even without enemies, sets and the time "
                "limit",
            )
        ]
    # 2. + time limit
    if p.max_seconds is not None:
        timed = _build_units(one, use_sets=False, use_enemies=False)
        res = solve_feasibility(timed, time_limit=budget)
        if res.status == 2:
            quick = solve_feasibility(base, cost=base.seconds, time_limit=budget)
            over = quick.bound - p.max_seconds if np.isfinite(quick.bound) else math.nan
            fastest = f"{quick.bound:.0f} s" if np.isfinite(quick.bound) else "more"
            return [
                Infeasibility(
                    "time",
                    f"the quickest form meeting the blueprint takes {fastest} of expected "
                    f"response time; max_seconds is {p.max_seconds:.0f}",
                    over,
                )
            ]
    # 3. + sets (all-or-none)
    if p.sets:
        res = solve_feasibility(_build_units(one, use_enemies=False), time_limit=budget)
        if res.status == 2:
            return [
                Infeasibility(
                    "sets",
                    f"the item sets (all-or-none) cannot be fitted: with {len(p.sets)} sets "
                    "taken whole or not at all, no single form meets the count ranges",
                )
            ]
    # 4. + enemies
    if p.enemies.size:
        res = solve_feasibility(_build_units(one), time_limit=budget)
        if res.status == 2:
            return [
                Infeasibility(
                    "enemies",
                    f"the {len(p.enemies)} enemy pairs leave too few compatible items: no single "
                    "form meets the count ranges without two enemies together",
                )
            ]
    # 5. the overlap between forms
    if p.n_forms > 1:
        units = _build_units(replace(p, max_overlap=p.length))
        res = solve_min_overlap(units, time_limit=budget * 2)
        if np.isfinite(res.bound) and res.bound > p.max_overlap + 1e-6:
            least = math.ceil(res.bound - 1e-6)
            return [
                Infeasibility(
                    "overlap",
                    f"{p.n_forms} forms meeting the blueprint must share at least {least} items "
                    f"per pair of forms; max_overlap allows {p.max_overlap}",
                    least - p.max_overlap,
                )
            ]
        return [
            Infeasibility(
                "overlap",
                f"each group of constraints can be met on its own, but not all of them on "
                f"{p.n_forms} forms with at most {p.max_overlap} shared items per pair",
            )
        ]
    return [
        Infeasibility(
            "blueprint", "the constraints cannot all be met together (no group fails alone)"
        )
    ]


# --------------------------------------------------------------------------------------------
# The solve
# --------------------------------------------------------------------------------------------


def _stage(name: str, r: SolveOutcome) -> dict[str, Any]:
    return {
        "stage": name,
        "highs_status": int(r.status),
        "highs_message": str(r.message),
        "value": r.objective,
        "bound": r.bound,
        "seconds": round(r.seconds, 3),
        "nodes": r.nodes,
    }


def _cap_ok(units: Units, x: np.ndarray) -> bool:
    """Does the unit-by-form matrix ``x`` keep the parallel cap at every target?"""
    if units.tolerance is None or x.shape[1] < 2 or units.minimize:
        return True
    tif = x.T.astype(float) @ units.info
    return bool(np.all(tif.max(axis=0) <= (1 + units.tolerance) * tif.min(axis=0) + 1e-7))


def _gap(value: float, bound: float, minimize: bool = False) -> float:
    """Relative gap: ``(bound - value) / bound`` when maximizing, ``(value - bound) / value``
    when minimizing a deviation (0 when the value is 0: a perfect fit is optimal)."""
    if not np.isfinite(value):
        return math.nan
    if minimize:
        if value <= 1e-12:
            return 0.0
        if not np.isfinite(bound):
            return 1.0
        return max(0.0, (value - max(bound, 0.0)) / value)
    if not np.isfinite(bound):
        return math.inf
    if bound <= 0:
        return 0.0
    return max(0.0, (bound - value) / bound)


def assemble_forms(
    information,
    *,
    length: int,
    n_forms: int = 1,
    constraints: Sequence[CountConstraint | SumConstraint] = (),
    eligible=None,
    enemies=(),
    sets: Sequence[Sequence[int]] = (),
    seconds=None,
    max_seconds: float | None = None,
    include: Sequence[int] = (),
    exclude: Sequence[int] = (),
    max_overlap: int = 0,
    parallel_tolerance: float | None = 0.05,
    time_limit: float = 60.0,
    gap: float = 0.01,
    method: str = "auto",
    item_labels: Sequence[str] | None = None,
    eligible_label: str = "eligible",
    objective: str = "maximin",
    weights=None,
    target=None,
    tcc=None,
    tcc_tolerance: float | None = None,
    passages: Passages | None = None,
    node_limit: int | None = None,
    progress: Callable[[str], None] | None = None,
) -> AssemblyResult:
    """Assemble ``n_forms`` parallel forms of ``length`` items by mixed-integer programming.

    Parameters
    ----------
    information
        Item information at the target thetas, shape ``(n_items, n_targets)`` (or
        ``(n_items,)`` for one target); e.g. ``item_information(params, theta).T``.
    length
        Items per form.
    n_forms
        Forms to build together.
    constraints
        Per-form ranges: :class:`CountConstraint` (items of a group: outcomes, cognitive
        levels, items meeting a condition) and :class:`SumConstraint` (sum of a numeric
        attribute; a mean over the form is a sum over ``length`` items).
    eligible
        Boolean per item (e.g. status operational); default all.
    enemies
        Item index pairs that may never share a form, shape ``(n_pairs, 2)``.
    sets
        Item index groups delivered together: on a form all or none of each set's items.
    seconds, max_seconds
        Expected seconds per item and the per-form limit on their sum.
    include, exclude
        Item indices forced onto every form / kept off every form.
    max_overlap
        Largest number of items two forms may share.
    parallel_tolerance
        At every target, the largest form information is at most ``1 + parallel_tolerance``
        times the smallest; None for no cap.
    time_limit
        Seconds for the whole solve (all stages).
    gap
        Relative optimality gap at which to stop (0.01 = within 1 % of the optimum).
    method
        ``"auto"`` (decomposition for several forms, direct for one), ``"decomposition"``,
        ``"direct"`` or ``"plain"`` (the full model without symmetry breaking or cuts).
    item_labels
        Item ids for messages.
    eligible_label
        How messages call eligible items (e.g. ``"operational"``).
    objective
        One of :data:`OBJECTIVES`: ``"maximin"`` (default), ``"sum"`` (weighted sum of the
        information at the targets; with several forms, the smallest over forms),
        ``"information"`` (minimax deviation from ``target``, an information value per
        target) or ``"tcc"`` (minimax deviation of the expected raw score from ``target``).
    weights
        Per target, the weights of ``"sum"`` (default all 1).
    target
        Per target, the target information or expected score (``"information"``/``"tcc"``).
    tcc
        Expected score of each item at the targets, shape ``(n_items, n_targets)``; needed
        by ``objective="tcc"`` and ``tcc_tolerance``.
    tcc_tolerance
        Parallel forms by TCC: at every target the expected scores of any two forms differ by
        at most this many score points.
    passages
        Passages whose items are chosen individually (:class:`Passages`): a range of passages
        per form and of items per passage used.
    node_limit
        Deterministic work limit: branch-and-bound nodes per solver call (the time limit
        still applies). With a node limit reached first, the result does not depend on the
        machine's load.
    progress
        Called with each stage's name ("usage", "split", "polish", ...) as it ends, for a
        progress display; None for none.

    Returns
    -------
    AssemblyResult
        Status, message, gap, time, the forms as item index lists, their information at the
        targets, the objective and its bound. An infeasible problem is a result with
        ``status == "infeasible"`` and the failing constraint groups, not an exception.

    Raises
    ------
    ValueError, TypeError
        On malformed arguments (shapes, indices, ranges).

    References
    ----------
    van der Linden, W. J. (2005). *Linear Models for Optimal Test Design*. Springer.
    Choi, S. W., & Lim, S. (2022). Adaptive test assembly with a mix of set-based and discrete
        items. *Behaviormetrika*, 49, 231-254. (TestDesign: objectives, stimulus constraints.)
    """
    if method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    if not time_limit > 0:
        raise ValueError("time_limit: must be positive")
    if not 0 <= gap < 1:
        raise ValueError("gap: must be in [0, 1)")
    started = time.perf_counter()
    p = _validate(
        information,
        length=length,
        n_forms=n_forms,
        constraints=constraints,
        eligible=eligible,
        enemies=enemies,
        sets=sets,
        seconds=seconds,
        max_seconds=max_seconds,
        include=include,
        exclude=exclude,
        max_overlap=max_overlap,
        parallel_tolerance=parallel_tolerance,
        item_labels=item_labels,
        eligible_label=eligible_label,
        objective=objective,
        weights=weights,
        target=target,
        tcc=tcc,
        tcc_tolerance=tcc_tolerance,
        passages=passages,
    )
    if node_limit is not None and (not isinstance(node_limit, int | np.integer) or node_limit < 1):
        raise ValueError("node_limit: must be a positive integer or None")
    general = p.objective != "maximin" or p.passages is not None or p.tcc_tolerance is not None
    if method == "decomposition" and general:
        raise ValueError(
            "method: 'decomposition' solves the maximin objective without passages or TCC "
            "constraints; use 'auto' or 'direct'"
        )
    if method == "auto":
        method = "decomposition" if p.n_forms > 1 and not general else "direct"
    minimize = p.objective in ("information", "tcc")
    n_targets = p.info.shape[1]
    empty = np.zeros((0, n_targets))

    def elapsed() -> float:
        return time.perf_counter() - started

    def infeasible(reasons: list[Infeasibility], stages=()) -> AssemblyResult:
        message = "infeasible: " + "; ".join(r.message for r in reasons)
        return AssemblyResult(
            "infeasible", message, math.nan, elapsed(), (), empty, math.nan, math.nan, method,
            tuple(stages), tuple(reasons),
        )  # fmt: skip

    checks = _count_checks(p)
    if checks:
        return infeasible(checks)
    units = _build_units(p)
    stages: list[dict[str, Any]] = []

    def record(stage: dict[str, Any]) -> None:
        stages.append(stage)
        if progress is not None:
            progress(str(stage.get("stage", "")))

    best: np.ndarray | None = None
    best_value = math.inf if minimize else -math.inf
    bound = -math.inf if minimize else math.inf
    proven_infeasible = False

    def take(r: SolveOutcome) -> None:
        nonlocal best, best_value
        if r.x is None or not _cap_ok(units, r.x):
            return
        better = r.objective < best_value if minimize else r.objective > best_value
        if better:
            best, best_value = r.x, r.objective

    def polish_from(start: np.ndarray | None, budget: float) -> None:
        nonlocal best, best_value
        if start is None or budget <= 0:
            return
        t0 = time.perf_counter()
        x, moves = polish(units, start, time_limit=budget)
        value = float((x.T.astype(float) @ units.info).min())
        record(
            {"stage": "polish", "moves": moves, "value": value,
             "seconds": round(time.perf_counter() - t0, 3)}
        )  # fmt: skip
        if value > best_value and _cap_ok(units, x):
            best, best_value = x, value

    if method == "decomposition" and p.n_forms > 1:
        usage = solve_usage(units, time_limit=0.3 * time_limit, gap=gap / 4)
        record(_stage("usage", usage))
        if usage.status == 2:
            proven_infeasible = True  # a relaxation is infeasible: so is the full model
        else:
            bound = min(bound, usage.bound)
        if usage.x is not None:
            # first any split meeting the constraints (fast), balanced by the swap polish ...
            remaining = time_limit - elapsed()
            quick = solve_split(units, usage.x, time_limit=0.25 * remaining, gap=gap, balance=False)
            record(_stage("split-feasible", quick))
            take(quick)
            polish_from(quick.x, 0.1 * time_limit)
            # ... then, if that is not close enough, the split that maximizes the maximin
            if best is None or _gap(best_value, bound) > gap:
                remaining = time_limit - elapsed()
                split = solve_split(units, usage.x, time_limit=0.5 * remaining, gap=max(gap, 0.05))
                record(_stage("split", split))
                take(split)
                polish_from(split.x, 0.1 * time_limit)
        remaining = time_limit - elapsed()
        improvable = best is None or _gap(best_value, bound) > gap
        # HiGHS overruns its time limit on large full models (measured: 8 s asked, 37 s taken
        # on 2,000 items x 8 forms): once forms exist, the full model is tried on small ones only
        small = units.n_units * p.n_forms <= _DIRECT_AFTER_SPLIT_MAX
        if not proven_infeasible and improvable and remaining > 0.1 and (best is None or small):
            lower = None if best is None else best_value * (1 - 1e-9) - 1e-9
            full = solve_direct(
                units, time_limit=remaining, gap=gap, lower_bound=lower, node_limit=node_limit
            )
            record(_stage("direct", full))
            take(full)
            polish_from(best, max(0.0, time_limit - elapsed()))
            if full.status == 2 and best is None:
                proven_infeasible = True
            if full.status == 0 or np.isfinite(full.bound):
                bound = min(bound, max(full.bound, best_value))
    else:
        full = solve_direct(
            units, time_limit=time_limit, gap=gap, plain=method == "plain", node_limit=node_limit
        )
        record(_stage(method, full))
        take(full)
        proven_infeasible = full.status == 2
        bound = full.bound if np.isfinite(full.bound) else bound

    if proven_infeasible:
        budget = max(5.0, time_limit - elapsed())
        reasons = _diagnose(p, time_limit=budget / 2)
        conflict = _conflict(p, time_limit=budget / 2)
        if conflict is not None:
            reasons.append(conflict)
        return infeasible(reasons, stages)
    if best is None:
        return AssemblyResult(
            "no_solution",
            f"no forms found within the time limit of {time_limit:g} s "
            "(feasibility not decided); raise the time limit",
            math.nan, elapsed(), (), empty, math.nan, bound, method, tuple(stages),
        )  # fmt: skip
    bound = min(bound, best_value) if minimize else max(bound, best_value)
    rel = _gap(best_value, bound, minimize)
    forms = []
    for f in range(p.n_forms):
        # units are ordered by their first item, so sets stay contiguous
        items = np.concatenate([units.members[u] for u in np.flatnonzero(best[:, f])])
        forms.append(tuple(int(i) for i in items))
    info = np.array([p.info[list(f)].sum(axis=0) for f in forms])
    tcc_forms = None if p.tcc is None else np.array([p.tcc[list(f)].sum(axis=0) for f in forms])
    what = {
        "maximin": "the smallest form information at the targets is",
        "sum": "the weighted sum of information at the targets (smallest over forms) is",
        "information": "the largest deviation from the target information is",
        "tcc": "the largest deviation from the target TCC (score points) is",
    }[p.objective]
    work = "" if node_limit is None else f" or node limit of {node_limit} per solve"
    if rel <= gap + 1e-9:
        status = "optimal"
        message = (
            f"optimal within {100 * gap:g}%: {what} {best_value:.3f}, proven bound "
            f"{bound:.3f} (gap {100 * rel:.2f}%)"
        )
    else:
        status = "time_limit"
        message = (
            f"time limit of {time_limit:g} s{work} reached: for the best forms found "
            f"{what} {best_value:.3f}, proven bound {bound:.3f} (gap {100 * rel:.2f}%); "
            "raise the limit for a smaller gap"
        )
    return AssemblyResult(
        status, message, rel, elapsed(), tuple(forms), info, float(best_value), bound, method,
        tuple(stages), (), p.objective, tcc_forms,
    )  # fmt: skip
