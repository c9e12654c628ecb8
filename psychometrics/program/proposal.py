"""Assembly from a credential spec and its item bank: the file-facing wrapper of assembly.py.

:func:`assemble_spec` turns a :class:`~psychometrics.program.spec.Spec` and a bank
(:func:`psychometrics.bank.load_bank`) into the arrays of
:func:`psychometrics.assembly.assemble_forms`, solves, and returns the forms by item id in
delivery order with their information and test characteristic curve at the targets and at the
cut. :func:`write_forms` writes them as proposals (``<form_id>.yaml``, see
:mod:`psychometrics.program.forms`), which ``credkit forms publish`` freezes;
:func:`bank_problems` checks a spec against its bank without solving (``credkit spec check``).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np

from psychometrics.assembly import (
    AssemblyResult,
    CountConstraint,
    Passages,
    SumConstraint,
    assemble_forms,
)
from psychometrics.assembly.solve import _count_checks, _validate
from psychometrics.errors import InfeasibleError, InputError
from psychometrics.irt.models import (
    METRIC,
    ItemParameters,
    expected_scores,
    item_information,
    test_characteristic_curve,
)
from psychometrics.program.conditions import FIELDS, item_value
from psychometrics.program.forms import (
    AssemblyRecord,
    PublishedForm,
    form_from_items,
    key_text,
    load_forms,
    write_form,
)
from psychometrics.program.spec import Problem, Spec

__all__ = [
    "AssembledForm",
    "SpecAssembly",
    "assemble_spec",
    "bank_problems",
    "form_ids",
    "proposed_forms",
    "with_ids",
    "write_forms",
    "write_qti",
]


@dataclass(frozen=True)
class AssembledForm:
    """One assembled form.

    Attributes
    ----------
    id
        Form id (``form-A``, ``form-B``, ...).
    items
        Item ids in delivery order (by outcome in spec order, easier items first; the items of a
        set together).
    outcomes, keys
        Outcome and key (option letters joined, empty for rubric items) of each item.
    target_theta, information_at_target, tcc_at_target
        Test information and expected summed score (TCC) at each target theta.
    cut_theta, information_at_cut, tcc_at_cut
        The same at the cut score (None when the cut is not a theta yet).
    blueprint
        Items per outcome on the form.
    expected_seconds
        Sum of the items' expected seconds (None when unknown).
    """

    id: str
    items: tuple[str, ...]
    outcomes: tuple[str, ...]
    keys: tuple[str, ...]
    target_theta: tuple[float, ...]
    information_at_target: tuple[float, ...]
    tcc_at_target: tuple[float, ...]
    cut_theta: float | None
    information_at_cut: float | None
    tcc_at_cut: float | None
    blueprint: dict[str, int]
    expected_seconds: float | None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "items": [
                {"id": i, "outcome": o, "key": k}
                for i, o, k in zip(self.items, self.outcomes, self.keys, strict=True)
            ],
            "blueprint": dict(self.blueprint),
            "expected_seconds": self.expected_seconds,
            "metric": METRIC,
            "target": [
                {"theta": t, "information": i, "tcc": c}
                for t, i, c in zip(
                    self.target_theta, self.information_at_target, self.tcc_at_target, strict=True
                )
            ],
            "cut": None
            if self.cut_theta is None
            else {
                "theta": self.cut_theta,
                "information": self.information_at_cut,
                "tcc": self.tcc_at_cut,
            },
        }


@dataclass(frozen=True)
class SpecAssembly:
    """Forms assembled for a spec.

    Attributes
    ----------
    credential_id
        The spec's credential id.
    status, message, gap, seconds
        As in :class:`~psychometrics.assembly.AssemblyResult` (``status`` ``optimal`` or
        ``time_limit``; an infeasible spec raises instead).
    forms
        The assembled forms.
    result
        The numeric result (indices into ``item_ids``).
    item_ids
        The bank items the indices of ``result`` refer to.
    """

    credential_id: str
    status: str
    message: str
    gap: float
    seconds: float
    forms: tuple[AssembledForm, ...]
    result: AssemblyResult
    item_ids: tuple[str, ...]

    def to_dict(self) -> dict[str, Any]:
        """The ``credkit assemble --json`` document."""
        return {
            "credential": self.credential_id,
            "status": self.status,
            "message": self.message,
            "gap": self.gap,
            "seconds": self.seconds,
            "bound": self.result.bound,
            "objective": self.result.objective,
            "objective_kind": self.result.objective_kind,
            "metric": METRIC,
            "forms": [
                {
                    "id": f.id,
                    "items": list(f.items),
                    "information_at_target": list(f.information_at_target),
                    "target_theta": list(f.target_theta),
                    "tcc_at_target": list(f.tcc_at_target),
                    "information_at_cut": f.information_at_cut,
                    "tcc_at_cut": f.tcc_at_cut,
                    "blueprint": dict(f.blueprint),
                }
                for f in self.forms
            ],
        }


def form_ids(count: int) -> tuple[str, ...]:
    """``form-A``, ``form-B``, ... (``form-AA`` after ``form-Z``)."""
    out = []
    for k in range(count):
        name, n = "", k
        while True:
            name = chr(ord("A") + n % 26) + name
            n = n // 26 - 1
            if n < 0:
                break
        out.append(f"form-{name}")
    return tuple(out)


# --------------------------------------------------------------------------------------------
# Arrays from the spec and the bank
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Inputs:
    items: tuple[Any, ...]
    params: ItemParameters | None  # of the calibrated items (rows in `calibrated`)
    calibrated: np.ndarray  # bool per item
    kwargs: dict[str, Any]
    notes: tuple[str, ...]


def _load_bank(spec: Spec, bank):
    if bank is not None:
        return bank
    from psychometrics.bank import load_bank

    return load_bank(spec.bank)


def _item_params(items) -> tuple[ItemParameters | None, np.ndarray]:
    calibrated = np.array([it.irt is not None for it in items], dtype=bool)
    rows = [it for it in items if it.irt is not None]
    if not rows:
        return None, calibrated
    width = max(1, max(len(it.irt.b) for it in rows))
    b = np.full((len(rows), width), np.nan)
    for r, it in enumerate(rows):
        b[r, : len(it.irt.b)] = it.irt.b
    params = ItemParameters(
        item_ids=tuple(it.id for it in rows),
        model=tuple(it.irt.model for it in rows),
        a=[it.irt.a for it in rows],
        b=b,
        c=[it.irt.c for it in rows],
    )
    return params, calibrated


def _inputs(
    spec: Spec,
    bank,
    target: tuple[float, ...],
    published: Mapping[str, Sequence[str]] | None = None,
) -> _Inputs:
    items = tuple(bank)
    if not items:  # the solver would fail on an empty information matrix
        raise InputError("the bank holds no items", file=getattr(bank, "items_dir", spec.bank))
    n = len(items)
    form = spec.form
    index = {it.id: k for k, it in enumerate(items)}
    params, calibrated = _item_params(items)
    info = np.zeros((n, len(target)))
    if params is not None:
        info[calibrated] = item_information(params, np.asarray(target, float)).T
    statuses = set(form.item_status)
    eligible = np.array([it.status in statuses for it in items], dtype=bool) & calibrated
    if form.blueprint:
        eligible &= np.array([it.outcome in form.blueprint for it in items], dtype=bool)
    notes: list[str] = []
    for condition in form.exclude_when:
        hit = condition.mask(items) & eligible
        if hit.any():
            notes.append(
                f"form.exclude_when '{condition.text}' kept {int(hit.sum())} items off the forms"
            )
        eligible &= ~hit
    constraints = [
        CountConstraint(
            f"outcome {oid}",
            np.array([it.outcome == oid for it in items], dtype=bool),
            rng.min,
            rng.max,
        )
        for oid, rng in form.blueprint.items()
    ]
    constraints += [
        CountConstraint(
            f"cognitive level {lvl}",
            np.array([it.cognitive_level == lvl for it in items], dtype=bool),
            rng.min,
            rng.max,
        )
        for lvl, rng in form.cognitive_levels.items()
    ]
    # a new form shares with each published form at most what two new forms may share
    constraints += [
        CountConstraint(
            f"overlap with published {fid}",
            np.array([it.id in set(ids) for it in items], dtype=bool),
            0,
            form.max_overlap_items,
        )
        for fid, ids in (published or {}).items()
    ]
    constraints += _attribute_constraints(spec, items, eligible)
    pairs = set()
    for k, it in enumerate(items):
        for other in it.enemies:
            j = index.get(other)
            if j is not None and j != k:
                pairs.add((min(j, k), max(j, k)))
    groups: dict[str, list[int]] = {}
    for k, it in enumerate(items):
        if it.set:
            groups.setdefault(it.set, []).append(k)
    sets = [g for g in groups.values() if len(g) > 1]
    passages = None
    if form.passages is not None:
        # the bank's sets become passages: their items are chosen one by one
        names = tuple(groups)
        count = form.passages.count
        passages = Passages(
            groups=tuple(tuple(groups[name]) for name in names),
            items=(form.passages.items.min, form.passages.items.max),
            count=None if count is None else (count.min, count.max),
            names=names,
        )
        sets = []
    seconds = None
    if form.max_seconds is not None:
        known = [it.expected_seconds for it in items if it.expected_seconds is not None]
        fill = float(np.median(known)) if known else 60.0
        missing = [
            it.id for k, it in enumerate(items) if eligible[k] and it.expected_seconds is None
        ]
        if missing:
            notes.append(
                f"{len(missing)} eligible items have no expected_seconds; {fill:.0f} s (the bank "
                f"median) was assumed for them (e.g. {', '.join(missing[:3])})"
            )
        seconds = np.array(
            [fill if it.expected_seconds is None else float(it.expected_seconds) for it in items]
        )
    include, exclude = [], []
    for key, ids, out in (("include", form.include, include), ("exclude", form.exclude, exclude)):
        for pos, item_id in enumerate(ids):
            if item_id not in index:
                raise InputError(
                    f"form.{key}: item '{item_id}' is not in the bank {spec.bank}",
                    file=spec.path,
                    line=spec.line("form", key, pos),
                )
            out.append(index[item_id])
    kwargs = dict(
        information=info,
        length=form.length,
        n_forms=form.count,
        constraints=constraints,
        eligible=eligible,
        enemies=np.array(sorted(pairs), dtype=np.int64).reshape(-1, 2),
        sets=sets,
        seconds=seconds,
        max_seconds=form.max_seconds,
        include=include,
        exclude=exclude,
        max_overlap=form.max_overlap_items,
        parallel_tolerance=form.parallel_tolerance,
        item_labels=[it.id for it in items],
        eligible_label="/".join(form.item_status) + " calibrated",
        objective=form.objective,
        weights=form.target_weights,
        target=form.target_information if form.objective == "information" else (
            form.target_tcc if form.objective == "tcc" else None),
        tcc=None,
        tcc_tolerance=form.parallel_tcc,
        passages=passages,
        node_limit=form.node_limit,
    )  # fmt: skip
    if form.objective == "tcc" or form.parallel_tcc is not None:
        scores = np.zeros((n, len(target)))
        if params is not None:
            scores[calibrated] = expected_scores(params, np.asarray(target, float)).T
        kwargs["tcc"] = scores
    return _Inputs(items, params, calibrated, kwargs, tuple(notes))


def _attribute_constraints(spec: Spec, items, eligible: np.ndarray) -> list:
    """``form.constraints``: counts where a condition holds, sums and means of a value."""
    form = spec.form
    out: list[CountConstraint | SumConstraint] = []
    for rng in form.constraints:
        key = rng.key
        if key.kind == "count":
            out.append(
                CountConstraint(
                    key.text,
                    key.condition.mask(items),
                    int(rng.min or 0),
                    None if rng.max is None else int(rng.max),
                )
            )
            continue
        values = np.zeros(len(items))
        for k, it in enumerate(items):
            v = item_value(it, key.name)
            number = v if isinstance(v, int | float) and not isinstance(v, bool) else None
            if number is None and eligible[k]:
                what = "has no" if v is None else f"has a non-numeric ({v!r})"
                raise InputError(
                    f"form.constraints '{key.text}': item '{it.id}' {what} value "
                    f"'{key.name}' (set it under attributes: in {it.path or it.id})",
                    file=spec.path,
                    line=spec.line("form", "constraints", key.text),
                )
            values[k] = 0.0 if number is None else float(number)
        scale = form.length if key.kind == "mean" else 1
        out.append(
            SumConstraint(
                key.text,
                values,
                None if rng.min is None else rng.min * scale,
                None if rng.max is None else rng.max * scale,
            )
        )
    return out


def _targets(spec: Spec, cut_theta: float | None) -> tuple[tuple[float, ...], float | None]:
    if cut_theta is None and spec.cut_score is not None:
        cut_theta = spec.cut_score.theta
    target = spec.form.target_theta
    if target is None:
        if cut_theta is None:
            raise InputError(
                "form.target.theta is needed: the cut score is not a theta yet "
                "(set form.target.theta, or pass the cut theta)",
                file=spec.path,
                line=spec.line("form"),
            )
        target = (float(cut_theta),)
    return tuple(float(t) for t in target), cut_theta


def _difficulty(item) -> float:
    if item.irt is None or not item.irt.b:
        return 0.0
    return float(np.mean(item.irt.b))


def _delivery_order(spec: Spec, items, form_items: tuple[int, ...]) -> list[int]:
    """Outcomes in spec order, easier items first; a set's items together, at its easiest."""
    rank = {oid: k for k, oid in enumerate(spec.outcome_ids)}
    units: dict[str, list[int]] = {}
    for k in form_items:
        key = items[k].set or f"\0{items[k].id}"
        units.setdefault(key, []).append(k)

    def unit_key(members: list[int]):
        first = min(members, key=lambda k: (rank.get(items[k].outcome, len(rank)), items[k].id))
        return (
            rank.get(items[first].outcome, len(rank)),
            min(_difficulty(items[k]) for k in members),
            items[first].id,
        )

    ordered = sorted(units.values(), key=unit_key)
    return [k for members in ordered for k in sorted(members, key=lambda k: items[k].id)]


# --------------------------------------------------------------------------------------------
# Public functions
# --------------------------------------------------------------------------------------------


def assemble_spec(
    spec: Spec,
    *,
    bank=None,
    time_limit: float = 60.0,
    gap: float = 0.01,
    cut_theta: float | None = None,
    method: str = "auto",
    published: Mapping[str, Sequence[str]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> SpecAssembly:
    """Assemble the forms a spec asks for from its bank.

    Parameters
    ----------
    spec
        A loaded spec (:func:`psychometrics.program.spec.load_spec`).
    bank
        The loaded bank; default ``load_bank(spec.bank)``.
    time_limit, gap, method
        Passed to :func:`psychometrics.assembly.assemble_forms`.
    cut_theta
        The cut on the theta scale when the spec sets it by a method (the standard setting
        computed it); default the spec's ``cut_score.theta``. Used as the target when
        ``form.target.theta`` is not set, and for the information and TCC at the cut.
    published
        Forms already published (form id -> item ids): every new form shares at most
        ``form.max_overlap`` of its items with each of them, as with each other, so that new
        forms are new tests (and retakers can be given one).

    progress
        Called with each assembly stage's name as it ends (see
        :func:`psychometrics.assembly.assemble_forms`).

    Returns
    -------
    SpecAssembly

    Raises
    ------
    InfeasibleError
        When the forms cannot be built (the message says which constraints fail and by how much)
        or the time limit passed before any forms were found.
    InputError
        When the spec names items the bank does not have, or gives no target.
    """
    bank = _load_bank(spec, bank)
    target, cut = _targets(spec, cut_theta)
    inputs = _inputs(spec, bank, target, published)
    result = assemble_forms(
        **inputs.kwargs, time_limit=time_limit, gap=gap, method=method, progress=progress
    )
    if not result.success:
        message = result.message
        if len(result.infeasible) > 3:
            shown = "; ".join(r.message for r in result.infeasible[:3])
            message = (
                f"infeasible: {shown}; and {len(result.infeasible) - 3} more "
                "(run 'credkit spec check')"
            )
        raise InfeasibleError(message, file=spec.path, line=spec.line("form"), field="form")
    items = inputs.items
    forms = []
    for fid, members in zip(form_ids(len(result.forms)), result.forms, strict=True):
        order = _delivery_order(spec, items, members)
        ids = tuple(items[k].id for k in order)
        params = inputs.params.subset(ids)
        thetas = np.asarray(target + ((cut,) if cut is not None else ()), dtype=float)
        tif = item_information(params, thetas).sum(axis=1)
        tcc = test_characteristic_curve(params, thetas)
        nt = len(target)
        seconds = None
        if all(items[k].expected_seconds is not None for k in order):
            seconds = float(sum(items[k].expected_seconds for k in order))
        counts = {oid: sum(items[k].outcome == oid for k in order) for oid in spec.outcome_ids}
        forms.append(
            AssembledForm(
                id=fid,
                items=ids,
                outcomes=tuple(items[k].outcome or "" for k in order),
                keys=tuple(key_text(items[k]) for k in order),
                target_theta=target,
                information_at_target=tuple(float(v) for v in tif[:nt]),
                tcc_at_target=tuple(float(v) for v in tcc[:nt]),
                cut_theta=None if cut is None else float(cut),
                information_at_cut=None if cut is None else float(tif[nt]),
                tcc_at_cut=None if cut is None else float(tcc[nt]),
                blueprint=counts,
                expected_seconds=seconds,
            )
        )
    message = result.message + "".join(f"; note: {n}" for n in inputs.notes)
    return SpecAssembly(
        credential_id=spec.credential.id,
        status=result.status,
        message=message,
        gap=result.gap,
        seconds=result.seconds,
        forms=tuple(forms),
        result=result,
        item_ids=tuple(it.id for it in items),
    )


def _versions() -> dict[str, str]:
    import platform

    import scipy

    from psychometrics import __version__

    return {
        "credkit": __version__,
        "python": platform.python_version(),
        "numpy": np.__version__,
        "scipy": scipy.__version__,
    }


def with_ids(assembly: SpecAssembly, ids: Sequence[str]) -> SpecAssembly:
    """The same assembly with its forms renamed ``ids`` (in order), e.g. ``form-C, form-D`` to
    propose new forms beside published ones.

    Raises
    ------
    InputError
        When the number of ids differs from the number of forms or an id repeats.
    """
    if len(ids) != len(assembly.forms) or len(set(ids)) != len(ids):
        raise InputError(
            f"give {len(assembly.forms)} distinct form ids, got {', '.join(ids)}", field="--ids"
        )
    forms = tuple(replace(f, id=new) for f, new in zip(assembly.forms, ids, strict=True))
    return replace(assembly, forms=forms)


def proposed_forms(
    assembly: SpecAssembly, *, spec: Spec, bank=None, ids: Sequence[str] | None = None
) -> list[PublishedForm]:
    """The assembled forms as proposals (``status: proposal``), fingerprinted from the bank.

    ``ids`` renames the forms (default ``form-A``, ``form-B``, ...), e.g. to propose new forms
    beside published ones.
    """
    bank = _load_bank(spec, bank)
    if ids is not None:
        assembly = with_ids(assembly, ids)
    out = []
    for form in assembly.forms:
        record = AssemblyRecord(
            solver="scipy.optimize.milp (HiGHS)",
            status=assembly.status,
            message=assembly.message,
            gap=assembly.gap,
            objective=assembly.result.objective,
            bound=assembly.result.bound,
            seconds=assembly.seconds,
            target_theta=form.target_theta,
            information_at_target=form.information_at_target,
            tcc_at_target=form.tcc_at_target,
            versions=_versions(),
        )
        out.append(
            form_from_items(
                form.id,
                form.items,
                bank=bank,
                credential_id=assembly.credential_id,
                status="proposal",
                assembly=record,
            )
        )
    return out


def write_forms(
    assembly: SpecAssembly,
    out_dir: str | os.PathLike[str],
    *,
    spec: Spec,
    bank=None,
    ids: Sequence[str] | None = None,
) -> list[Path]:
    """Write ``<out_dir>/<form_id>.yaml`` per form as a proposal; returns the paths.

    Every form is built, and every target checked, before anything is written: a published form
    of the same id is never replaced (see :func:`psychometrics.program.forms.write_form`).
    """
    forms = proposed_forms(assembly, spec=spec, bank=bank, ids=ids)
    existing = load_forms(out_dir)
    for form in forms:
        old = existing.get(form.form_id)
        if old is not None and old.is_published:
            free = [f for f in form_ids(len(existing) + len(forms)) if f not in existing]
            raise InputError(
                f"form {form.form_id} is published and frozen; propose new forms under other "
                f"ids (--ids {','.join(free[: len(forms)])}) or into another folder (--out)",
                file=old.path,
                field="form",
            )
    return [write_form(form, out_dir) for form in forms]


def write_qti(
    assembly: SpecAssembly, spec: Spec, out_dir: str | os.PathLike[str], *, bank=None
) -> list[Path]:
    """A QTI 3.0 assessment-test package ``<out_dir>/<form_id>.zip`` per form (one section per
    outcome when the outcomes are contiguous in delivery order)."""
    from psychometrics.bank.qti import write_test_package

    bank = _load_bank(spec, bank)
    titles = {o.id: o.title for o in spec.outcomes}
    paths = []
    for form in assembly.forms:
        items = [bank[i] for i in form.items]
        runs = [o for k, o in enumerate(form.outcomes) if k == 0 or form.outcomes[k - 1] != o]
        sections = None
        if len(runs) == len(set(runs)):
            sections = [
                (f"{o} {titles.get(o, '')}".strip(), [it for it in items if it.outcome == o])
                for o in runs
            ]
        paths.append(
            write_test_package(
                items,
                test_id=f"{assembly.credential_id}-{form.id}",
                title=f"{spec.credential.title}, {form.id}",
                out_path=Path(out_dir) / f"{form.id}.zip",
                sections=sections,
                outcome_titles=titles,
            )
        )
    return paths


def bank_problems(spec: Spec, *, bank=None) -> list[Problem]:
    """Problems of fit between a spec and its bank, found without solving.

    Checks that the bank loads, that forced and excluded items exist, and the closed-form count
    checks of :func:`psychometrics.assembly.assemble_forms` (forced items; enough distinct
    eligible calibrated items per outcome, per level and overall for the forms and their
    overlap; time). Warns about eligible-status items without IRT parameters.
    """
    file = str(spec.path)
    try:
        bank = _load_bank(spec, bank)
    except InputError as exc:
        return [Problem(file, spec.line("bank"), f"bank: {exc.location_message()}")]
    problems: list[Problem] = []
    known = set(spec.outcome_ids)
    stray: dict[str, list[str]] = {}
    for it in bank:
        if it.outcome not in known:
            stray.setdefault(str(it.outcome), []).append(it.id)
    for outcome, ids in sorted(stray.items()):
        problems.append(
            Problem(
                file,
                spec.line("outcomes"),
                f"{len(ids)} bank item(s) have outcome '{outcome}', which the spec does not "
                f"declare (e.g. {', '.join(ids[:3])}); they are never assembled",
                "warning",
            )
        )
    statuses = set(spec.form.item_status)
    uncalibrated = [it.id for it in bank if it.status in statuses and it.irt is None]
    if uncalibrated:
        problems.append(
            Problem(
                file,
                spec.line("form", "item_status"),
                f"{len(uncalibrated)} item(s) with an eligible status have no IRT parameters and "
                f"cannot be assembled (e.g. {', '.join(uncalibrated[:3])})",
                "warning",
            )
        )
    problems += _unknown_names(spec, bank)
    try:
        target, _ = _targets(spec, None)
    except InputError:
        target = (0.0,)
    try:
        inputs = _inputs(spec, bank, target)
    except InputError as exc:
        return problems + [Problem(exc.file or file, exc.line, exc.message)]
    problem = _validate(**inputs.kwargs)
    for reason in _count_checks(problem):
        line = spec.line("form")
        if reason.constraint is not None and reason.constraint.startswith("count where "):
            line = spec.line("form", "constraints", reason.constraint)
        if reason.constraint is not None and reason.constraint.startswith("outcome "):
            line = spec.line("form", "blueprint", reason.constraint.split(" ", 1)[1])
        elif reason.constraint is not None and reason.constraint.startswith("cognitive level "):
            line = spec.line("form", "cognitive_levels", reason.constraint.split(" ", 2)[2])
        elif reason.group == "forced":
            line = spec.line("form", "include")
        elif reason.group == "time":
            line = spec.line("form", "max_seconds")
        problems.append(Problem(file, line, f"the bank cannot serve the form: {reason.message}"))
    return problems


def _unknown_names(spec: Spec, bank) -> list[Problem]:
    """Warn about condition names that no bank item has (a typo counts nothing)."""
    form = spec.form
    uses = [(("form", "constraints", r.key.text), r.key.condition.names if r.key.condition
             else (r.key.name,)) for r in form.constraints]  # fmt: skip
    uses += [(("form", "exclude_when", i), c.names) for i, c in enumerate(form.exclude_when)]
    items = tuple(bank)
    out = []
    for path, names in uses:
        for name in names:
            if not any(item_value(it, name) is not None for it in items):
                out.append(
                    Problem(
                        str(spec.path),
                        spec.line(*path),
                        f"{path[1]}: no item in the bank has a value '{name}' (an attribute or "
                        f"one of {', '.join(FIELDS)})",
                        "warning",
                    )
                )
    return out
