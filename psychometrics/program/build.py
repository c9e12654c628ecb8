"""``credkit build``: the whole pipeline for one credential, from spec to validity report.

Stages (each timed and logged on stderr as ``[k/n] name ...``):

1. check the spec and the bank (stop on errors, showing the lint lines);
2. score the responses named by the spec against the bank's keys, classical item analysis and
   DIF per administered form;
3. IRT parameters (the bank's, or an anchored calibration when the spec asks for one), theta
   estimates, model fit and dimensionality per administered form;
4. assemble the forms;
5. set the cut score with the spec's method and ratings; raw cut per form;
6. decision accuracy and consistency, pass rates by group;
7. write the report (index.html, forms/, params.csv, items.csv, manifest.json).

Everything is written into a temporary folder next to ``reports/<credential-id>/`` and swapped
in only when complete, so the previous report stays intact when a stage fails. A stage whose
library piece is missing or cannot run on the data is recorded as *not available* (with the
reason) and the report says so; a stage that the rest depends on (spec, bank, cut score) stops
the build with one line naming the stage.

The numbers come from the library; this module only calls it and copies results into the
report records (:mod:`psychometrics.report.collect`).
"""

from __future__ import annotations

import csv
import io
import os
import shutil
import sys
import tempfile
import time
import warnings
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from psychometrics.errors import CredkitError, InputError

STAGES = (
    "checking spec and bank",
    "scoring responses, item analysis and DIF",
    "IRT parameters, theta estimates and fit",
    "assembling forms",
    "setting the cut score",
    "decision accuracy and consistency",
    "writing the report",
)


class NotAvailable(Exception):
    """A stage (or part of one) could not be produced; the message says why."""


@dataclass(frozen=True)
class AdministeredForm:
    """Candidates who took one form, and the items they were presented."""

    form_id: str
    person_mask: np.ndarray
    item_ids: tuple[str, ...]


@dataclass(frozen=True)
class BuildResult:
    """Everything one build produced (library results, not copies).

    Attributes
    ----------
    out_dir
        The report folder (``reports/<credential-id>``).
    index
        Path of ``index.html``.
    spec, bank
        The loaded spec and bank.
    responses
        The scored responses, or None when the spec names none.
    administered
        The administered forms found in the responses (by their form column, else one group).
    item_analysis, dif, fit
        Per administered form: :class:`psychometrics.ctt.ItemAnalysis`,
        :class:`psychometrics.dif.DIFResult`, :class:`FormFit`.
    dimensionality
        :class:`psychometrics.irt.dimensionality.DimensionalityResult` of the first
        administered form.
    params
        IRT parameters of every item used (bank or calibrated).
    theta
        EAP theta estimates of every candidate on all presented items.
    forms
        Assembled (or administered) forms: form id -> item ids in delivery order.
    assembly
        The assembly result object, if assembly ran.
    cut
        :class:`psychometrics.standard_setting.CutScoreResult`.
    decisions
        Per form: :class:`psychometrics.classification.DecisionResult`.
    information
        Per form: :class:`psychometrics.irt.scoring.InformationTable` on the report's grid.
    form_statistics
        Per form: :class:`psychometrics.ctt.ItemAnalysis` of the candidates who took all of it.
    csem_at_cut
        Per form: :class:`psychometrics.classification.ConditionalSEM` at the theta cut.
    pass_rates
        :class:`psychometrics.classification.PassRates` overall and by group.
    report
        The :class:`~psychometrics.report.model.ReportData` rendered into ``index.html``.
    stages
        How each stage went.
    seconds
        Wall time of the build.
    """

    out_dir: Path
    index: Path
    spec: Any
    bank: Any
    responses: Any
    administered: tuple[AdministeredForm, ...]
    item_analysis: Mapping[str, Any]
    dif: Mapping[str, Any]
    fit: Mapping[str, Any]
    dimensionality: Mapping[str, Any]
    params: Any
    theta: Any
    forms: Mapping[str, tuple[str, ...]]
    assembly: Any
    cut: Any
    decisions: Mapping[str, Any]
    information: Mapping[str, Any]
    form_statistics: Mapping[str, Any]
    csem_at_cut: Mapping[str, Any]
    pass_rates: Any
    report: Any
    stages: tuple[Any, ...]
    seconds: float
    unavailable: Mapping[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """A JSON summary: where the report is, stages, forms, cut, decisions, problems."""
        cut = self.cut
        return {
            "credential": self.report.credential.id,
            "out_dir": str(self.out_dir),
            "index": str(self.index),
            "seconds": round(self.seconds, 3),
            "stages": [s.to_dict() for s in self.stages],
            "forms": {k: list(v) for k, v in self.forms.items()},
            "theta_cut": None if cut is None else float(cut.theta_cut),
            "cut_method": None if cut is None else cut.method,
            "raw_cuts": None if cut is None else {k: float(v) for k, v in cut.raw_cuts.items()},
            "decisions": {
                k: {
                    "method": d.method,
                    "accuracy": float(d.accuracy),
                    "consistency": float(d.consistency),
                    "false_positive": float(d.false_positive),
                    "false_negative": float(d.false_negative),
                }
                for k, d in self.decisions.items()
            },
            "problems": [p.to_dict() for p in self.report.problems],
            "unavailable": dict(self.unavailable),
        }


# ------------------------------------------------------------------------------------------
# the pipeline state
# ------------------------------------------------------------------------------------------


@dataclass
class _State:
    spec_path: Path
    spec: Any = None
    bank: Any = None
    lint: Any = None
    responses: Any = None
    form_column: str | None = None
    administered: list[AdministeredForm] = field(default_factory=list)
    item_analysis: dict[str, Any] = field(default_factory=dict)
    dif: dict[str, Any] = field(default_factory=dict)
    fit: dict[str, Any] = field(default_factory=dict)
    fit_plots: dict[str, Any] = field(default_factory=dict)
    dimensionality: dict[str, Any] = field(default_factory=dict)
    params: Any = None
    params_source: str = ""
    calibration: Any = None
    theta: Any = None
    forms: dict[str, tuple[str, ...]] = field(default_factory=dict)
    forms_source: str = ""
    assembly: Any = None
    cut: Any = None
    ratings: Any = None
    decisions: dict[str, Any] = field(default_factory=dict)
    decision_method: str = ""
    information: dict[str, Any] = field(default_factory=dict)
    at_cut: dict[str, Any] = field(default_factory=dict)
    csem_at_cut: dict[str, Any] = field(default_factory=dict)
    at_target: dict[str, Any] = field(default_factory=dict)
    item_curves: dict[str, dict[str, Any]] = field(default_factory=dict)
    round_details: dict[Any, Any] = field(default_factory=dict)
    form_ctt: dict[str, Any] = field(default_factory=dict)
    pass_rates: Any = None
    pass_rule: str = ""
    unavailable: dict[str, str] = field(default_factory=dict)
    notes: dict[str, str] = field(default_factory=dict)
    inputs: list[tuple[str, Path]] = field(default_factory=list)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# ------------------------------------------------------------------------------------------
# stage 1: spec and bank
# ------------------------------------------------------------------------------------------


def _stage_check(st: _State, log: Callable[[str], None]) -> None:
    from psychometrics.bank import lint_bank, load_bank
    from psychometrics.program.spec import check_spec, load_spec

    problems = check_spec(st.spec_path, bank=False)
    errors = [p for p in problems if p.severity == "error"]
    for p in errors:
        log(f"      {p}")
    if errors:
        first = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise InputError(first.message + more, file=first.file, line=first.line)
    st.spec = load_spec(st.spec_path)
    st.inputs.append(("spec", st.spec_path))
    bank_dir = st.spec.bank
    if not Path(bank_dir).is_dir():
        raise InputError(f"bank folder '{bank_dir}' not found", file=st.spec_path, field="bank")
    st.lint = lint_bank(bank_dir, outcomes=st.spec.outcome_ids)
    if st.lint.errors:
        for f in st.lint.errors[:50]:
            log(f"      {f.format()}")
        if len(st.lint.errors) > 50:
            log(f"      ... and {len(st.lint.errors) - 50} more")
        raise CredkitError(
            f"the bank has {len(st.lint.errors)} lint error(s) (run 'credkit bank lint')",
            file=bank_dir,
        )
    st.bank = load_bank(bank_dir)
    if len(st.bank) == 0:
        raise InputError("the bank has no items", file=bank_dir)
    for item in st.bank:
        if item.path is not None:
            st.inputs.append(("item", item.path))
    try:
        from psychometrics.program.proposal import bank_problems

        try:
            found = bank_problems(st.spec, bank=st.bank)
        except TypeError:  # an older signature without the loaded bank
            found = bank_problems(st.spec)
        bank_errors = [p for p in found if p.severity == "error"]
    except Exception as exc:  # a collaborator's check failing must not hide the report
        bank_errors = []
        st.notes["spec-bank"] = f"spec/bank cross-check not run: {exc}"
    if bank_errors:
        for p in bank_errors:
            log(f"      {p}")
        first = bank_errors[0]
        more = f" (and {len(bank_errors) - 1} more)" if len(bank_errors) > 1 else ""
        raise InputError(first.message + more, file=first.file, line=first.line)


# ------------------------------------------------------------------------------------------
# stage 2: responses, CTT, DIF
# ------------------------------------------------------------------------------------------

FORM_COLUMNS = ("form", "form_id")


def _header(path: Path) -> list[str]:
    try:
        with open(path, encoding="utf-8-sig", newline="") as handle:
            first = handle.readline()
    except FileNotFoundError:
        raise InputError("responses file not found", file=path) from None
    except OSError as exc:
        raise InputError(f"cannot read responses: {exc.strerror}", file=path) from None
    return [h.strip() for h in next(csv.reader(io.StringIO(first)), [])]


def _stage_responses(st: _State, log: Callable[[str], None]) -> None:
    from psychometrics.bank import bank_keys
    from psychometrics.responses import read_responses

    admin = st.spec.administration
    if admin is None:
        raise NotAvailable("the spec has no administration block (no responses to analyse)")
    path = Path(admin.responses)
    header = _header(path)
    st.form_column = next((c for c in FORM_COLUMNS if c in header[1:]), None)
    groups = [g for g in (admin.group, st.form_column) if g]
    if admin.group and admin.group not in header:
        raise InputError(
            f"group column '{admin.group}' is not in the responses header",
            file=path,
            line=1,
            field="administration.group",
        )
    omit = admin.omit_code if admin.omit_code is not None else "*"
    st.responses = read_responses(path, group=groups, key=bank_keys(st.bank), omit_code=omit)
    st.inputs.append(("responses", path))
    log(
        f"      {st.responses.n_persons} candidates x {st.responses.n_items} items"
        + (f", forms by column '{st.form_column}'" if st.form_column else "")
    )
    st.administered = _administered_forms(st.responses, st.form_column)
    _analyse_forms(st, log)


def _administered_forms(responses, form_column: str | None) -> list[AdministeredForm]:
    out = []
    presented = responses.presented
    if form_column is not None:
        labels = responses.groups[form_column]
        for label in sorted(set(labels.tolist())):
            mask = labels == label
            cols = presented[mask].any(axis=0)
            items = tuple(i for i, c in zip(responses.item_ids, cols, strict=True) if c)
            out.append(AdministeredForm(str(label), mask, items))
    else:
        mask = np.ones(responses.n_persons, dtype=bool)
        items = tuple(
            i for i, c in zip(responses.item_ids, presented.any(axis=0), strict=True) if c
        )
        out.append(AdministeredForm("all", mask, items))
    return out


def _analyse_forms(st: _State, log: Callable[[str], None]) -> None:
    from psychometrics.bank import bank_keys
    from psychometrics.ctt import item_analysis
    from psychometrics.dif import dif_analysis

    admin = st.spec.administration
    keys = bank_keys(st.bank)
    outcomes = {i.id: i.outcome for i in st.bank if i.outcome}
    for form in st.administered:
        sub = st.responses.select_persons(form.person_mask).select_items(form.item_ids)
        st.item_analysis[form.form_id] = item_analysis(
            sub, key=keys, outcomes=outcomes, omit_code=admin.omit_code or "*"
        )
    if not (admin.group and admin.focal and admin.reference):
        st.unavailable["fairness"] = "the spec names no group column with focal and reference"
        return
    dif_errors = []
    for form in st.administered:
        sub = st.responses.select_persons(form.person_mask).select_items(form.item_ids)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", RuntimeWarning)
                st.dif[form.form_id] = dif_analysis(
                    sub, sub.groups[admin.group], focal=admin.focal, reference=admin.reference
                )
        except ValueError as exc:
            dif_errors.append(f"form {form.form_id}: {exc}")
    if dif_errors and not st.dif:
        st.unavailable["fairness"] = "; ".join(dif_errors)
    elif dif_errors:
        st.notes["fairness"] = "; ".join(dif_errors)


# ------------------------------------------------------------------------------------------
# stage 3: parameters, theta, fit, dimensionality
# ------------------------------------------------------------------------------------------


def _stage_parameters(st: _State, log: Callable[[str], None]) -> None:
    from psychometrics.bank import bank_parameters

    admin = st.spec.administration
    calibrated_ids = [i.id for i in st.bank if i.irt is not None]
    st.params = bank_parameters(st.bank, item_ids=calibrated_ids)
    st.params_source = "the bank's IRT parameters (logistic metric, D = 1)"
    if admin is not None and admin.parameters == "calibrate" and st.responses is not None:
        try:
            st.params, st.calibration = _calibrate_anchored(st)
            st.params_source = (
                "calibrated on these responses with the bank's operational items as fixed "
                "anchors (logistic metric, D = 1)"
            )
        except NotAvailable as exc:
            st.notes["parameters"] = (
                f"calibration not available ({exc}); the bank's parameters used"
            )
            log(f"      {st.notes['parameters']}")
    if st.responses is None:
        return
    from psychometrics.irt.scoring import score_persons

    used = [i for i in st.responses.item_ids if i in set(st.params.item_ids)]
    if not used:
        raise NotAvailable("no administered item has IRT parameters")
    sub = st.responses.select_items(used)
    st.theta = score_persons(sub, _subset(st.params, used), method="eap")
    _fit_forms(st, log)


def _calibrate_anchored(st: _State):
    """Calibrate the administered items with the bank's operational items held fixed.

    The operational items keep their bank values (anchors); every other administered item and
    the latent mean and SD are estimated, so the new estimates land on the bank scale. Items
    that were not administered keep their bank parameters. Returns ``(params, result)``.
    """
    try:
        from psychometrics.irt import calibrate
    except ImportError:
        raise NotAvailable("psychometrics.irt.calibrate has not landed") from None
    from psychometrics.bank import bank_parameters

    administered = set(st.responses.item_ids)
    anchor_ids = [
        i.id
        for i in st.bank
        if i.irt is not None and i.status == "operational" and i.id in administered
    ]
    models = {}
    for item_id in st.responses.item_ids:
        item = st.bank.get(item_id)
        if item is not None and item.irt is not None:
            models[item_id] = item.irt.model
        else:
            models[item_id] = "grm" if item is not None and item.type == "rubric" else "3pl"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = calibrate(
            st.responses, model=models, anchors=bank_parameters(st.bank, item_ids=anchor_ids)
        )
    estimated = len(result.params.item_ids) - len(anchor_ids)
    st.notes["parameters"] = (
        f"{len(anchor_ids)} anchors, {estimated} item(s) estimated; candidates' latent mean "
        f"{result.latent_mean:.3f}, SD {result.latent_sd:.3f} on the bank scale; log-likelihood "
        f"{result.loglik:.1f} after {result.iterations} EM cycles"
        + ("." if result.converged else f", NOT converged: {result.message}.")
    )
    others = [i.id for i in st.bank if i.irt is not None and i.id not in administered]
    merged = _concat(result.params, bank_parameters(st.bank, item_ids=others))
    return merged, result


def _concat(first, second):
    """One ItemParameters with the rows of ``first`` then ``second`` (thresholds NaN-padded)."""
    from psychometrics.irt.models import ItemParameters

    width = max(first.b.shape[1], second.b.shape[1])

    def pad(b):
        out = np.full((b.shape[0], width), np.nan)
        out[:, : b.shape[1]] = b
        return out

    def join(x, y, two_d=False):
        if x is None or y is None:
            return None
        return np.concatenate([pad(x), pad(y)]) if two_d else np.concatenate([x, y])

    return ItemParameters(
        item_ids=tuple(first.item_ids) + tuple(second.item_ids),
        model=tuple(first.model) + tuple(second.model),
        a=np.concatenate([first.a, second.a]),
        b=np.concatenate([pad(first.b), pad(second.b)]),
        c=np.concatenate([first.c, second.c]),
        se_a=join(first.se_a, second.se_a),
        se_b=join(first.se_b, second.se_b, two_d=True),
        se_c=join(first.se_c, second.se_c),
        metric=first.metric,
    )


def _subset(params, item_ids: Sequence[str]):
    """Parameters of ``item_ids`` in that order (rows of an ItemParameters)."""
    from psychometrics.irt.models import ItemParameters

    index = {i: k for k, i in enumerate(params.item_ids)}
    rows = [index[i] for i in item_ids]

    def take(x):
        return None if x is None else np.asarray(x)[rows]

    return ItemParameters(
        item_ids=tuple(item_ids),
        model=tuple(params.model[k] for k in rows),
        a=take(params.a),
        b=take(params.b),
        c=take(params.c),
        se_a=take(params.se_a),
        se_b=take(params.se_b),
        se_c=take(params.se_c),
        metric=params.metric,
    )


@dataclass(frozen=True)
class FormFit:
    """Model fit on one administered form (the parts of it the report shows).

    Attributes
    ----------
    sx2, m2, q3
        :class:`psychometrics.irt.fit.SX2Result`, :class:`~psychometrics.irt.fit.M2Result`
        (None for forms with polytomous items: M2 is for dichotomous models) and
        :class:`~psychometrics.irt.fit.Q3Result`.
    notes
        What was not computed and why.
    """

    sx2: Any
    m2: Any
    q3: Any
    notes: tuple[str, ...] = ()


def _fit_forms(st: _State, log: Callable[[str], None]) -> None:
    try:
        from psychometrics.irt.fit import item_fit_plot_data, m2, q3, sx2
    except ImportError:
        st.unavailable["fit"] = "psychometrics.irt.fit has not landed"
        sx2 = None
    try:
        from psychometrics.irt.dimensionality import dimensionality  # type: ignore[import-not-found]
    except ImportError:
        dimensionality = None
        st.unavailable["dimensionality"] = "psychometrics.irt.dimensionality has not landed"
    have = set(st.params.item_ids)
    for form in st.administered:
        items = [i for i in form.item_ids if i in have]
        if len(items) < 3:
            continue
        sub = st.responses.select_persons(form.person_mask).select_items(items)
        p = _subset(st.params, items)
        if sx2 is not None:
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    notes = []
                    try:
                        global_fit = m2(sub, p)
                    except ValueError as exc:
                        global_fit = None
                        notes.append(f"M2 not computed on form {form.form_id}: {exc}.")
                    st.fit[form.form_id] = FormFit(
                        sx2(sub, p), global_fit, q3(sub, p), tuple(notes)
                    )
                    st.fit_plots[form.form_id] = item_fit_plot_data(sub, p)
            except (ValueError, CredkitError) as exc:
                st.notes["fit"] = f"fit not computed for form {form.form_id}: {exc}"
        # the eigenvalues of one form are the dimensionality evidence shown (the first form)
        if dimensionality is not None and not st.dimensionality:
            try:
                st.dimensionality[form.form_id] = dimensionality(sub)
            except (ValueError, TypeError, CredkitError) as exc:
                st.notes["dimensionality"] = f"form {form.form_id}: {exc}"
    if sx2 is not None and not st.fit:
        st.unavailable["fit"] = st.notes.get("fit", "no administered form could be fitted")
    if dimensionality is not None and not st.dimensionality:
        st.unavailable["dimensionality"] = st.notes.get(
            "dimensionality", "no administered form could be analysed"
        )


# ------------------------------------------------------------------------------------------
# stage 4: assembly
# ------------------------------------------------------------------------------------------


FORM_LABELS = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
ASSEMBLY_TIME_LIMIT = 30.0


def assemble_from_spec(spec, bank) -> tuple[dict[str, tuple[str, ...]], Any]:
    """Assemble the spec's forms from the bank: ``({form id: item ids}, assembly result)``.

    Uses the spec-level wrapper of :mod:`psychometrics.program.proposal` when it is available, and
    otherwise builds the inputs of :func:`psychometrics.assembly.assemble_forms` directly
    (information at the target thetas, outcome and cognitive-level ranges, eligibility by
    status and calibration, enemies, item sets, time limit, forced items). Forms are labelled
    A, B, ...

    Raises
    ------
    NotAvailable
        When no assembly engine is installed.
    InfeasibleError
        When the constraints cannot be met (the message names the failing group).
    """
    from psychometrics.program import proposal as assembly_spec

    wrapper = getattr(assembly_spec, "assemble_spec", None)
    if wrapper is not None:
        cut = spec.cut_score.theta if spec.cut_score is not None else None
        result = wrapper(spec, bank=bank, time_limit=ASSEMBLY_TIME_LIMIT, cut_theta=cut)
        forms = {str(f.id): tuple(f.items) for f in result.forms}
        return forms, result
    try:
        from psychometrics.assembly import CountConstraint, assemble_forms
    except ImportError:
        raise NotAvailable("psychometrics.assembly has not landed") from None
    from psychometrics.bank import bank_parameters
    from psychometrics.errors import InfeasibleError
    from psychometrics.irt.models import item_information

    items = [i for i in bank if i.irt is not None]
    ids = [i.id for i in items]
    index = {i: k for k, i in enumerate(ids)}
    params = bank_parameters(bank, item_ids=ids)
    targets = np.asarray(spec.target_theta or (0.0,), dtype=float)
    info = item_information(params, targets).T
    form = spec.form
    constraints = []
    for oid, rng in form.blueprint.items():
        members = np.array([i.outcome == oid for i in items])
        constraints.append(CountConstraint(f"outcome {oid}", members, rng.min, rng.max))
    for level, rng in form.cognitive_levels.items():
        members = np.array([i.cognitive_level == level for i in items])
        constraints.append(CountConstraint(f"level {level}", members, rng.min, rng.max))
    eligible = np.array(
        [
            i.status in form.item_status and (not form.blueprint or i.outcome in form.blueprint)
            for i in items
        ]
    )
    enemies = sorted(
        {tuple(sorted((index[i.id], index[e]))) for i in items for e in i.enemies if e in index}
    )
    sets: dict[str, list[int]] = {}
    for i in items:
        if i.set:
            sets.setdefault(i.set, []).append(index[i.id])
    seconds = None
    if form.max_seconds is not None:
        seconds = np.array([i.expected_seconds or 60.0 for i in items])
    result = assemble_forms(
        info,
        length=form.length,
        n_forms=form.count,
        constraints=constraints,
        eligible=eligible,
        enemies=np.array(enemies, dtype=int).reshape(-1, 2),
        sets=list(sets.values()),
        seconds=seconds,
        max_seconds=form.max_seconds,
        include=[index[i] for i in form.include if i in index],
        exclude=[index[i] for i in form.exclude if i in index],
        max_overlap=form.max_overlap_items,
        parallel_tolerance=form.parallel_tolerance,
        time_limit=ASSEMBLY_TIME_LIMIT,
        item_labels=ids,
        eligible_label="/".join(form.item_status),
    )
    if not result.forms:
        detail = "; ".join(str(getattr(x, "message", x)) for x in result.infeasible)
        raise InfeasibleError(f"assembly {result.status}: {detail or result.message}", field="form")
    forms = {
        FORM_LABELS[k] if k < len(FORM_LABELS) else f"F{k + 1}": tuple(ids[j] for j in f)
        for k, f in enumerate(result.forms)
    }
    return forms, result


def _stage_assemble(st: _State, log: Callable[[str], None]) -> None:
    try:
        st.forms, st.assembly = assemble_from_spec(st.spec, st.bank)
        st.forms_source = "assembled"
        log(
            f"      {len(st.forms)} form(s), solver {getattr(st.assembly, 'status', '?')}, "
            f"gap {getattr(st.assembly, 'gap', float('nan')):.2%}"
        )
        return
    except NotAvailable as exc:
        reason = str(exc)
    # fall back to the forms as administered, when the responses say which they are
    admin_forms = [f for f in st.administered if f.form_id != "all"]
    if admin_forms:
        st.forms = {f.form_id: f.item_ids for f in admin_forms}
        st.forms_source = f"as administered ({reason})"
        st.notes["content"] = (
            f"Automated assembly not available ({reason}): the forms shown are the forms as "
            "administered in the responses file."
        )
        st.unavailable["assembly"] = reason
        return
    raise NotAvailable(reason)


# ------------------------------------------------------------------------------------------
# stage 5: cut score
# ------------------------------------------------------------------------------------------


def _form_params(st: _State) -> dict[str, Any]:
    have = set(st.params.item_ids)
    out = {}
    for fid, items in st.forms.items():
        missing = [i for i in items if i not in have]
        if missing:
            raise InputError(
                f"form {fid}: items without IRT parameters: {', '.join(missing[:5])}",
                file=st.spec.bank,
            )
        out[fid] = _subset(st.params, items)
    return out


def _stage_cut(st: _State, log: Callable[[str], None]) -> None:
    from psychometrics.standard_setting import read_ratings, set_cut_score

    cs = st.spec.cut_score
    if cs is None:
        raise NotAvailable("the spec has no cut_score block")
    if not st.forms:
        raise NotAvailable("no forms to carry the cut to")
    forms = _form_params(st)
    scale = None
    if cs.scale is not None:
        scale = {
            "slope": cs.scale.slope,
            "intercept": cs.scale.intercept,
            "round": cs.scale.round,
            "min": cs.scale.min,
            "max": cs.scale.max,
        }
    if cs.method is None:
        st.cut = set_cut_score(None, forms=forms, theta=cs.theta, scale=scale)
        return
    kwargs: dict[str, Any] = {"round": cs.round, "scale": scale}
    if cs.ratings is not None:
        st.inputs.append(("ratings", Path(cs.ratings)))
        if cs.method in ("angoff", "yes-no-angoff", "bookmark"):
            kind = {"angoff": "angoff", "yes-no-angoff": "yes-no", "bookmark": "bookmark"}
            st.ratings = read_ratings(cs.ratings, kind=kind[cs.method])
            kwargs["ratings"] = st.ratings
        else:
            kwargs["ratings"] = cs.ratings
    if cs.method == "bookmark" and cs.rp is not None:
        kwargs["rp"] = cs.rp
    if cs.method in ("hofstee", "beuk"):
        bounds = {
            k: getattr(cs, k)
            for k in ("min_cut", "max_cut", "min_fail", "max_fail")
            if getattr(cs, k) is not None
        }
        if cs.method == "hofstee" and cs.ratings is None:
            kwargs["hofstee_bounds"] = bounds
        if cs.method == "beuk" and cs.ratings is None:
            kwargs["beuk_judgments"] = {**bounds, "expected_pass_rate": cs.expected_pass_rate}
        kwargs["units"] = "percent"
        ref = next(iter(forms))
        scores = _form_sum_scores(st, ref)
        if scores is None:
            raise NotAvailable(f"{cs.method} needs the observed scores on form {ref}")
        kwargs["scores"] = scores
    try:
        st.cut = set_cut_score(cs.method, forms=forms, **kwargs)
    except ValueError as exc:
        raise InputError(str(exc), file=st.spec_path, field="cut_score") from None
    _angoff_rounds(st, forms)


def _angoff_rounds(st: _State, forms: Mapping[str, Any]) -> None:
    """Every round's Angoff result on the reference form (rounds and rater cuts for the report)."""
    from psychometrics.standard_setting import AngoffResult, angoff

    detail = st.cut.detail
    if not isinstance(detail, AngoffResult) or st.ratings is None:
        return
    ref = forms[st.cut.reference_form]
    for r in sorted(detail.round_cuts):
        try:
            st.round_details[r] = angoff(st.ratings, ref, round=r, yes_no=None)
        except (ValueError, CredkitError):
            continue


def _form_sum_scores(st: _State, form_id: str) -> np.ndarray | None:
    """Summed scores of the candidates who were presented every item of the form."""
    if st.responses is None:
        return None
    items = st.forms[form_id]
    if not set(items) <= set(st.responses.item_ids):
        return None
    sub = st.responses.select_items(items)
    full = sub.presented.all(axis=1)
    if not full.any():
        return None
    return sub.select_persons(full).sum_scores().astype(float)


# ------------------------------------------------------------------------------------------
# stage 6: decisions, per-form information, pass rates
# ------------------------------------------------------------------------------------------

THETA_GRID = np.round(np.arange(-4.0, 4.0001, 0.1), 10)


def _stage_decisions(st: _State, log: Callable[[str], None]) -> None:
    from psychometrics.classification import lee, pass_rates, rudner
    from psychometrics.ctt import item_analysis
    from psychometrics.irt.scoring import information_table, score_persons

    forms = _form_params(st)
    theta_cut = float(st.cut.theta_cut)
    targets = np.asarray(st.spec.target_theta or (theta_cut,), dtype=float)
    from psychometrics.classification import conditional_sem

    for fid, p in forms.items():
        st.csem_at_cut[fid] = conditional_sem(p, theta_cut)
        st.information[fid] = information_table(p, THETA_GRID)
        st.at_cut[fid] = information_table(p, np.array([theta_cut]))
        st.at_target[fid] = information_table(p, targets).test_information
    _item_curves(st, forms)
    method = st.spec.decision.method if st.spec.decision else "rudner"
    st.decision_method = method
    keys = None
    admin = st.spec.administration
    for fid, p in forms.items():
        sub = None
        if st.responses is not None and set(p.item_ids) <= set(st.responses.item_ids):
            s = st.responses.select_items(p.item_ids)
            full = s.presented.all(axis=1)
            if full.sum() >= 2:
                sub = s.select_persons(full)
        if sub is not None:
            from psychometrics.bank import bank_keys

            keys = keys or bank_keys(st.bank)
            st.form_ctt[fid] = item_analysis(
                sub, key=keys, omit_code=(admin.omit_code if admin else None) or "*"
            )
        if method == "lee":
            st.decisions[fid] = lee(p, raw_cuts=[float(st.cut.raw_cuts[fid])])
        else:
            if sub is None:
                st.notes["decisions"] = (
                    f"{fid}: no candidate took every item of the form, so Lee's method (from the "
                    "model, N(0, 1) population) stands in for Rudner's there."
                )
                st.decisions[fid] = lee(p, raw_cuts=[float(st.cut.raw_cuts[fid])])
                continue
            scores = score_persons(sub, p, method="eap")
            st.decisions[fid] = rudner(scores.theta, scores.se, cuts=[theta_cut])
    if not st.decisions:
        raise NotAvailable(st.notes.get("decisions", "no form could be evaluated"))
    # pass rates: operational rule (raw score >= the form's raw cut) for candidates who took a
    # whole form; otherwise EAP theta >= theta cut
    if st.responses is not None and st.theta is not None:
        group = admin.group if admin is not None else None
        labels = st.responses.groups.get(group) if group else None
        passed = np.asarray(st.theta.theta) >= theta_cut
        st.pass_rule = "EAP theta at or above the theta cut"
        if st.form_column is not None:
            by_form = st.responses.groups[st.form_column]
            raw_rule = np.zeros(st.responses.n_persons, dtype=bool)
            covered = np.zeros(st.responses.n_persons, dtype=bool)
            for fid, items in st.forms.items():
                if not set(items) <= set(st.responses.item_ids):
                    continue
                mask = by_form == fid
                if not mask.any():
                    continue
                sums = st.responses.select_items(items).sum_scores()
                raw_rule[mask] = sums[mask] >= float(st.cut.raw_cuts[fid])
                covered |= mask
            if covered.all():
                passed = raw_rule
                st.pass_rule = "raw score at or above the raw cut of the form taken"
        st.pass_rates = pass_rates(
            passed.astype(float), cut=0.5, groups=None if labels is None else list(labels)
        )


MAX_CURVES = 12


def _item_curves(st: _State, forms: Mapping[str, Any]) -> None:
    """Model (and observed) curves of the flagged items on the forms, at most MAX_CURVES."""
    from psychometrics.irt.models import expected_scores

    reasons: dict[str, list[str]] = {}
    on_forms = {i for items in st.forms.values() for i in items}
    for res in st.item_analysis.values():
        for it in res.items:
            if it.item_id in on_forms and it.flags:
                reasons.setdefault(it.item_id, []).extend(str(f) for f in it.flags)
    for rep in st.fit.values():
        for it in rep.sx2.items:
            if it.item_id in on_forms and np.isfinite(it.p) and it.p < 0.01:
                shown = "< 0.0001" if it.p < 1e-4 else f"= {it.p:.4f}"
                reasons.setdefault(it.item_id, []).append(f"S-X2 p {shown}")
    for res in st.dif.values():
        for it in res.items:
            if it.item_id in on_forms and it.ets_class in ("B", "C"):
                reasons.setdefault(it.item_id, []).append(f"DIF class {it.ets_class}")
    for item_id in sorted(reasons)[:MAX_CURVES]:
        p = _subset(st.params, [item_id])
        curve: dict[str, Any] = {
            "theta": THETA_GRID,
            "expected": expected_scores(p, THETA_GRID)[:, 0],
            "reason": "; ".join(dict.fromkeys(reasons[item_id])),
        }
        for plot in st.fit_plots.values():
            if item_id in plot.item_ids:
                j = list(plot.item_ids).index(item_id)
                ok = np.asarray(plot.n)[:, j] > 0
                curve["observed_theta"] = np.asarray(plot.bin_theta)[ok]
                curve["observed"] = np.asarray(plot.observed)[ok, j]
                break
        st.item_curves[item_id] = curve


# ------------------------------------------------------------------------------------------
# stage 7: report
# ------------------------------------------------------------------------------------------


def _write_outputs(st: _State, tmp: Path, report, html: str) -> None:
    import json

    import yaml

    from psychometrics.irt.params_io import params_to_csv
    from psychometrics.report.collect import items_csv

    (tmp / "index.html").write_text(html, encoding="utf-8")
    forms_dir = tmp / "forms"
    forms_dir.mkdir()
    for fid, items in st.forms.items():
        entries = []
        for item_id in items:
            item = st.bank.get(item_id)
            entries.append(
                {
                    "id": item_id,
                    "outcome": item.outcome if item else None,
                    "key": "".join(item.key) if item and item.key else None,
                }
            )
        doc = {
            "form": fid,
            "credential": st.spec.credential.id,
            "source": st.forms_source,
            "items": entries,
        }
        if st.cut is not None:
            doc["theta_cut"] = float(st.cut.theta_cut)
            doc["raw_cut"] = float(st.cut.raw_cuts[fid])
        (forms_dir / f"{_safe_name(fid)}.yaml").write_text(
            yaml.safe_dump(doc, sort_keys=False, allow_unicode=True), encoding="utf-8"
        )
    if st.params is not None:
        (tmp / "params.csv").write_text(params_to_csv(st.params), encoding="utf-8")
    (tmp / "items.csv").write_text(items_csv(report.items), encoding="utf-8")
    (tmp / "manifest.json").write_text(
        json.dumps(report.manifest.to_dict(), indent=2, default=str) + "\n", encoding="utf-8"
    )


def _safe_name(text: str) -> str:
    keep = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in text)
    return keep.strip(".") or "form"


def default_out_dir(spec_path: Path, credential_id: str) -> Path:
    """``reports/<credential-id>`` next to the ``specs/`` folder holding the spec, else in cwd."""
    spec_dir = spec_path.resolve().parent
    root = spec_dir.parent if spec_dir.name == "specs" else Path.cwd()
    return root / "reports" / _safe_name(credential_id)


REPORT_MARKERS = ("index.html", "manifest.json")


def _check_replaceable(out_dir: Path) -> None:
    """Refuse to replace anything but an empty folder or an earlier credkit report."""
    if not out_dir.exists() and not out_dir.is_symlink():
        return
    if out_dir.is_symlink() or not out_dir.is_dir():
        raise InputError("exists and is not a report folder; choose another --out", file=out_dir)
    entries = {p.name for p in out_dir.iterdir()}
    if entries and not all(m in entries for m in REPORT_MARKERS):
        raise InputError(
            "exists and is not a credkit report (no index.html and manifest.json); credkit build "
            "replaces only its own report folders: choose another --out",
            file=out_dir,
        )


def _check_out_dir(out_dir: Path) -> None:
    """The report folder must be replaceable and its nearest existing parent a writable folder."""
    _check_replaceable(out_dir)
    for parent in out_dir.absolute().parents:
        if parent.exists():
            if not parent.is_dir():
                raise InputError(f"{parent} is a file, not a folder", file=out_dir, field="--out")
            if not os.access(parent, os.W_OK | os.X_OK):
                raise InputError(f"cannot write in {parent}", file=out_dir, field="--out")
            break


def _swap_in(tmp: Path, out_dir: Path) -> None:
    old = None
    if out_dir.exists():
        old = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.old-"))
        os.replace(out_dir, old / "previous")
    try:
        os.replace(tmp, out_dir)
    except BaseException:
        if old is not None:
            os.replace(old / "previous", out_dir)
        raise
    finally:
        if old is not None:
            shutil.rmtree(old, ignore_errors=True)


# ------------------------------------------------------------------------------------------
# entry point
# ------------------------------------------------------------------------------------------

REQUIRED = {0}  # without a valid spec and bank nothing else can run


def build(
    spec: str | os.PathLike[str],
    *,
    out: str | os.PathLike[str] | None = None,
    argv: Sequence[str] | None = None,
    log: Callable[[str], None] | None = None,
) -> BuildResult:
    """Run the whole pipeline for one credential and write its report folder.

    Parameters
    ----------
    spec
        The credential spec (YAML).
    out
        The report folder; default ``reports/<credential-id>`` (see :func:`default_out_dir`).
    argv
        The command line recorded in the manifest (default ``sys.argv``).
    log
        Where progress lines go (default: stderr).

    Returns
    -------
    BuildResult

    Raises
    ------
    CredkitError
        When the spec or bank check or the cut score fails: one line naming the stage and the
        file/line/field; nothing in the report folder is changed.
    """
    from psychometrics.report import render_report
    from psychometrics.report.collect import collect_report
    from psychometrics.report.model import StageRecord

    log = log or _log
    if argv is None:  # called from Python: record the equivalent command
        argv = ["credkit", "build", os.fspath(spec)] + (
            [] if out is None else ["--out", os.fspath(out)]
        )
    start = time.perf_counter()
    st = _State(spec_path=Path(spec))
    if not st.spec_path.is_file():
        raise InputError("spec file not found", file=st.spec_path)
    records: list[StageRecord] = []
    runners = (
        _stage_check,
        _stage_responses,
        _stage_parameters,
        _stage_assemble,
        _stage_cut,
        _stage_decisions,
    )
    n = len(STAGES)
    for k, (name, runner) in enumerate(zip(STAGES[:-1], runners, strict=True)):
        log(f"[{k + 1}/{n}] {name} ...")
        t0 = time.perf_counter()
        status, message = "ok", ""
        try:
            if _depends_ok(k, st):
                runner(st, log)
            else:
                raise NotAvailable(_dependency_reason(k, st))
        except NotAvailable as exc:
            if k in REQUIRED:
                raise CredkitError(f"stage {k + 1}/{n} ({name}) failed: {exc}") from None
            status, message = "not available", str(exc)
            st.unavailable.setdefault(_SECTION_OF_STAGE[k], message)
        except CredkitError as exc:
            raise CredkitError(
                f"stage {k + 1}/{n} ({name}) failed: {exc.location_message()}"
            ) from None
        seconds = time.perf_counter() - t0
        records.append(StageRecord(k + 1, name, status, round(seconds, 3), message))
        log(f"      {status} in {seconds:.2f} s" + (f": {message}" if message else ""))
        if k == 0:  # the credential id is known: refuse a bad report folder before the work
            out_dir = (
                Path(out)
                if out is not None
                else default_out_dir(st.spec_path, st.spec.credential.id)
            )
            _check_out_dir(out_dir)

    log(f"[{n}/{n}] {STAGES[-1]} ...")
    t0 = time.perf_counter()
    try:
        out_dir.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=out_dir.parent, prefix=f".{out_dir.name}.tmp-"))
    except OSError as exc:
        raise InputError(f"cannot write the report: {exc.strerror}", file=out_dir) from None
    try:
        records.append(StageRecord(n, STAGES[-1], "ok", 0.0, ""))
        report = collect_report(st, stages=tuple(records), argv=argv)
        html = render_report(report)
        _write_outputs(st, tmp, report, html)
        _swap_in(tmp, out_dir)
    except OSError as exc:
        shutil.rmtree(tmp, ignore_errors=True)
        raise InputError(f"cannot write the report: {exc.strerror or exc}", file=out_dir) from None
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    seconds = time.perf_counter() - t0
    log(f"      ok in {seconds:.2f} s")
    total = time.perf_counter() - start
    log(f"built in {total:.1f} s")
    return BuildResult(
        out_dir=out_dir,
        index=out_dir / "index.html",
        spec=st.spec,
        bank=st.bank,
        responses=st.responses,
        administered=tuple(st.administered),
        item_analysis=dict(st.item_analysis),
        dif=dict(st.dif),
        fit=dict(st.fit),
        dimensionality=dict(st.dimensionality),
        params=st.params,
        theta=st.theta,
        forms=dict(st.forms),
        assembly=st.assembly,
        cut=st.cut,
        decisions=dict(st.decisions),
        information=dict(st.information),
        form_statistics=dict(st.form_ctt),
        csem_at_cut=dict(st.csem_at_cut),
        pass_rates=st.pass_rates,
        report=report,
        stages=tuple(records),
        seconds=total,
        unavailable=dict(st.unavailable),
    )


_SECTION_OF_STAGE = {
    0: "bank",
    1: "items",
    2: "structure",
    3: "content",
    4: "standard_setting",
    5: "decisions",
}


def _depends_ok(k: int, st: _State) -> bool:
    if k == 2:
        return st.bank is not None
    if k == 5:
        return st.cut is not None and bool(st.forms) and st.params is not None
    return True


def _dependency_reason(k: int, st: _State) -> str:
    if k == 5:
        return "needs forms and a cut score"
    return "an earlier stage failed"
