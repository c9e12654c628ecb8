"""Stage 5 of the build: information and CSEM per form, decision accuracy and consistency, and
pass rates under the spec's pass rule."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from psychometrics.classification import conditional_sem, lee, pass_rates, rudner
from psychometrics.ctt import ItemAnalysis
from psychometrics.irt.models import ItemParameters, expected_scores
from psychometrics.irt.scoring import information_table, score_persons
from psychometrics.program.build.analysis import ItemAnalyses
from psychometrics.program.build.cut import CutStage, form_parameters
from psychometrics.program.build.inputs import ProgramInputs
from psychometrics.program.build.irt import IRTResults
from psychometrics.program.build.scores import (
    CandidateResult,
    FormConversion,
    anchor_to_cut,
    earlier_attempts,
    form_conversions,
    outcome_bands,
    rounded_scale_cut,
    scale_unit,
)
from psychometrics.program.build.unavailable import NotAvailable

THETA_GRID = np.round(np.arange(-4.0, 4.0001, 0.1), 10)
MAX_CURVES = 12

PASS_RULE_TEXT = {
    "raw": "summed score at or above the raw cut of the form taken (the theta cut carried "
    "through that form's TCC)",
    "theta": "EAP theta at or above the theta cut",
}


@dataclass(frozen=True)
class Decisions:
    """Stage 5's output.

    Attributes
    ----------
    information, at_cut, at_target, csem_at_cut
        Per form: information tables on the report's grid, at the cut and at the targets, and
        the conditional SEM at the cut.
    form_statistics
        Per administered form: test-level classical statistics of its candidates.
    decisions, method
        Per form: decision accuracy and consistency, and the method used.
    passed, pass_rates, pass_rule
        Per candidate pass/fail under the spec's rule, the rates overall and by group, and the
        rule in words.
    item_curves
        Model (and observed) curves of the flagged items on the forms.
    conversions
        Per form: raw-to-scale conversion, equating to the rated form, cut and distribution
        (:class:`~psychometrics.program.build.scores.FormConversion`).
    candidates
        Every candidate's result (:class:`~psychometrics.program.build.scores.CandidateResult`).
    notes
        Section key -> a sentence.
    """

    information: Mapping[str, Any]
    at_cut: Mapping[str, Any]
    at_target: Mapping[str, Any]
    csem_at_cut: Mapping[str, Any]
    form_statistics: Mapping[str, ItemAnalysis]
    decisions: Mapping[str, Any]
    method: str
    passed: np.ndarray | None
    pass_rates: Any
    pass_rule: str
    item_curves: Mapping[str, dict[str, Any]]
    notes: Mapping[str, str]
    conversions: Mapping[str, FormConversion] = field(default_factory=dict)
    candidates: tuple[CandidateResult, ...] = ()


def _passed(inputs: ProgramInputs, irt: IRTResults, cut: Any) -> np.ndarray:
    admin = inputs.administration
    rule = inputs.spec.cut_score.pass_rule if inputs.spec.cut_score else "raw"
    if rule == "theta":
        return np.asarray(irt.theta.theta) >= float(cut.theta_cut)
    passed = np.zeros(admin.responses.n_persons, dtype=bool)
    for fid in admin.forms:
        mask = admin.takers(fid)
        scores = admin.form_responses(fid).sum_scores()
        passed[mask] = scores >= float(cut.raw_cuts[fid])
    return passed


def _item_curves(
    inputs: ProgramInputs, analyses: ItemAnalyses | None, irt: IRTResults
) -> dict[str, dict[str, Any]]:
    """Model (and observed) curves of the flagged items on the forms, at most MAX_CURVES."""
    reasons: dict[str, list[str]] = {}
    on_forms = {i for items in inputs.form_items.values() for i in items}
    if analyses is not None:
        for res in analyses.by_form.values():
            for it in res.items:
                if it.item_id in on_forms and it.flags:
                    reasons.setdefault(it.item_id, []).extend(str(f) for f in it.flags)
        for res in analyses.dif.values():
            for it in res.items:
                if it.item_id in on_forms and it.ets_class in ("B", "C", "BB", "CC"):
                    reasons.setdefault(it.item_id, []).append(f"DIF class {it.ets_class}")
    for rep in irt.fit.values():
        for it in rep.sx2.items:
            if it.item_id in on_forms and np.isfinite(it.p) and it.p < 0.01:
                shown = "< 0.0001" if it.p < 1e-4 else f"= {it.p:.4f}"
                reasons.setdefault(it.item_id, []).append(f"S-X2 p {shown}")
    curves = {}
    for item_id in sorted(reasons)[:MAX_CURVES]:
        p = irt.params.subset([item_id])
        curve: dict[str, Any] = {
            "theta": THETA_GRID,
            "expected": expected_scores(p, THETA_GRID)[:, 0],
            "reason": "; ".join(dict.fromkeys(reasons[item_id])),
        }
        for plot in irt.fit_plots.values():
            if item_id in plot.item_ids:
                j = list(plot.item_ids).index(item_id)
                ok = np.asarray(plot.n)[:, j] > 0
                curve["observed_theta"] = np.asarray(plot.bin_theta)[ok]
                curve["observed"] = np.asarray(plot.observed)[ok, j]
                break
        curves[item_id] = curve
    return curves


def decide(
    inputs: ProgramInputs,
    analyses: ItemAnalyses | None,
    irt: IRTResults,
    cut_stage: CutStage,
) -> Decisions:
    """Stage 5: per-form precision, decision accuracy/consistency and pass rates.

    Parameters
    ----------
    inputs, analyses, irt, cut_stage
        The outputs of stages 1 to 4 (``analyses`` None when no responses were analysed).

    Returns
    -------
    Decisions

    Raises
    ------
    NotAvailable
        When no form could be evaluated.
    """
    cut = cut_stage.cut
    forms: dict[str, ItemParameters] = form_parameters(inputs, irt.params)
    theta_cut = float(cut.theta_cut)
    targets = np.asarray(inputs.spec.target_theta or (theta_cut,), dtype=float)
    information, at_cut, at_target, csem = {}, {}, {}, {}
    for fid, p in forms.items():
        csem[fid] = conditional_sem(p, theta_cut)
        information[fid] = information_table(p, THETA_GRID)
        at_cut[fid] = information_table(p, np.array([theta_cut]))
        at_target[fid] = information_table(p, targets).test_information
    method = inputs.spec.decision.method if inputs.spec.decision else "rudner"
    admin = inputs.administration
    notes: dict[str, str] = {}
    untaken: list[str] = []
    form_stats: dict[str, ItemAnalysis] = {}
    decisions: dict[str, Any] = {}
    for fid, p in forms.items():
        took = admin is not None and fid in admin.forms
        if took:
            sub = admin.form_responses(fid)
            if analyses is not None and fid in analyses.by_form:
                form_stats[fid] = analyses.by_form[fid]
        if method == "lee":
            decisions[fid] = lee(p, raw_cuts=[float(cut.raw_cuts[fid])])
        elif not took:
            untaken.append(
                f"{fid}: no candidate took the form, so Lee's method (from the model, N(0, 1) "
                "population) stands in for Rudner's there."
            )
            decisions[fid] = lee(p, raw_cuts=[float(cut.raw_cuts[fid])])
        else:
            scores = score_persons(sub, p, method="eap")
            decisions[fid] = rudner(scores.theta, scores.se, cuts=[theta_cut])
    if untaken:
        notes["decisions"] = " ".join(untaken)
    if not decisions:
        raise NotAvailable("no form could be evaluated")
    rule = inputs.spec.cut_score.pass_rule if inputs.spec.cut_score else "raw"
    passed = rates = None
    if admin is not None and irt.theta is not None:
        passed = _passed(inputs, irt, cut)
        group = admin.spec.group
        labels = admin.responses.groups.get(group) if group else None
        rates = pass_rates(
            passed.astype(float), cut=0.5, groups=None if labels is None else list(labels)
        )
    raw_scores = {}
    if admin is not None:
        raw_scores = {f: admin.form_responses(f).sum_scores() for f in admin.forms if f in forms}
    theta = se = None
    if irt.theta is not None:
        theta, se = np.asarray(irt.theta.theta), np.asarray(irt.theta.se)
    reference = cut.reference_form if cut.reference_form in forms else next(iter(forms))
    conversions = form_conversions(
        forms,
        reference=reference,
        cut=cut,
        pass_rule=rule,
        raw_scores=raw_scores,
        theta=theta,
        theta_se=se,
        passed=None if passed is None else {f: passed[admin.takers(f)] for f in raw_scores},
    )
    candidates: tuple[CandidateResult, ...] = ()
    if passed is not None and theta is not None:
        candidates = _candidates(inputs, forms, conversions, cut, passed, theta, se, rule)
    return Decisions(
        information=information,
        at_cut=at_cut,
        at_target=at_target,
        csem_at_cut=csem,
        form_statistics=form_stats,
        decisions=decisions,
        method=method,
        passed=passed,
        pass_rates=rates,
        pass_rule=PASS_RULE_TEXT[rule],
        item_curves=_item_curves(inputs, analyses, irt),
        notes=notes,
        conversions=conversions,
        candidates=candidates,
    )


def _candidates(inputs, forms, conversions, cut, passed, theta, se, rule):
    """Every candidate's result, in the responses file's order."""
    admin = inputs.administration
    spec = inputs.spec
    n = admin.responses.n_persons
    raw = np.zeros(n)
    scale = np.zeros(n)
    max_raw = np.zeros(n, dtype=int)
    bands: list = [()] * n
    titles = {o.id: o.title for o in spec.outcomes}
    for fid in admin.forms:
        mask = admin.takers(fid)
        sub = admin.form_responses(fid)
        conv = conversions[fid]
        raw[mask] = sub.sum_scores()
        max_raw[mask] = conv.max_score
        if rule == "raw":
            scale[mask] = conv.scale[np.rint(raw[mask]).astype(int)]
        outcomes = tuple(
            (inputs.bank.get(i).outcome or "") if inputs.bank.get(i) else "" for i in sub.item_ids
        )
        rows = outcome_bands(
            forms[fid],
            np.where(sub.presented, sub.scores, 0).astype(float),
            theta[mask],
            item_outcomes=outcomes,
            titles=titles,
            theta_cut=float(cut.theta_cut),
        )
        for k, i in enumerate(np.flatnonzero(mask)):
            bands[i] = rows[k]
    if rule == "theta":
        sc = cut.scale
        values = np.round(theta, 2) if sc is None else np.asarray(sc.convert(theta), dtype=float)
        scale_cut = float(cut.scale_cut) if sc is not None else float(cut.theta_cut)
        scale = anchor_to_cut(values, passed, rounded_scale_cut(sc, scale_cut), scale_unit(sc))
    attempts = earlier_attempts(spec, admin.id, admin.responses.person_ids) + 1
    when = admin.spec.end or admin.spec.start
    return tuple(
        CandidateResult(
            candidate_id=pid,
            administration_id=admin.id,
            form_id=str(admin.form_of[i]),
            attempt=int(attempts[i]),
            raw_score=float(raw[i]),
            max_raw_score=int(max_raw[i]),
            theta=float(theta[i]),
            theta_se=float(se[i]),
            scale_score=float(scale[i]),
            passed=bool(passed[i]),
            completed_on=when,
            outcomes=bands[i],
        )
        for i, pid in enumerate(admin.responses.person_ids)
    )
