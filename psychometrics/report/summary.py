"""The summary's traffic light: open problems marked red, amber or green.

Rules (every threshold is a field of :class:`Thresholds`, so a program can set its own):

==================  ==========================================================================
area                rule
==================  ==========================================================================
reliability         per form, the lower of alpha and marginal reliability: red below
                    ``reliability_red`` (.70), amber below ``reliability_amber`` (.80)
decisions           per form, decision consistency: red below ``consistency_red`` (.80), amber
                    below ``consistency_amber`` (.85); accuracy likewise (.85 / .90)
fairness            an ETS class C item on an assembled form is red; class C items only in the
                    bank, or class B items on a form, are amber
item quality        items on a form flagged by the item analysis (difficulty, discrimination,
                    possible miskey) are amber
fit                 items on a form with S-X2 p below the fit alpha are amber; local-dependence
                    (Q3) pairs are amber
dimensionality      first-to-second eigenvalue ratio below ``eigen_ratio_amber`` (3) is amber
assembly            a blueprint requirement a form misses is red; a solver gap above
                    ``gap_amber`` (1%) is amber
bank                lint errors red, outcome gaps amber
standard setting    the cut given as a theta without a documented method is amber; flagged
                    raters are amber
availability        a stage that is not available is amber (red for the cut or the forms)
==================  ==========================================================================

The .80 reliability and .85 consistency marks are common working targets for credentialing
examinations, not values fixed by any of the standards, which leave the level to the use of the
scores (AERA/APA/NCME, 2014, ch. 2). Green lines say what was checked and passed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from psychometrics.report.model import (
    BankSection,
    ContentSection,
    DecisionSection,
    FairnessSection,
    ItemsSection,
    Problem,
    StandardSettingSection,
    StructureSection,
)

RED, AMBER, GREEN = "red", "amber", "green"
_ORDER = {RED: 0, AMBER: 1, GREEN: 2}


@dataclass(frozen=True)
class Thresholds:
    """Where the summary turns amber or red (see the module docstring)."""

    reliability_red: float = 0.70
    reliability_amber: float = 0.80
    consistency_red: float = 0.80
    consistency_amber: float = 0.85
    accuracy_red: float = 0.85
    accuracy_amber: float = 0.90
    eigen_ratio_amber: float = 3.0
    gap_amber: float = 0.01


def _grade(value: float, red: float, amber: float) -> str:
    if value < red:
        return RED
    if value < amber:
        return AMBER
    return GREEN


def open_problems(
    *,
    content: ContentSection | None = None,
    bank: BankSection | None = None,
    structure: StructureSection | None = None,
    items: ItemsSection | None = None,
    fairness: FairnessSection | None = None,
    standard_setting: StandardSettingSection | None = None,
    decisions: DecisionSection | None = None,
    scores: Any = None,
    unavailable: dict[str, str] | None = None,
    cut_from_method: bool = True,
    thresholds: Thresholds | None = None,
) -> tuple[Problem, ...]:
    """The red/amber/green lines of the summary, worst first.

    Parameters
    ----------
    content, bank, structure, items, fairness, standard_setting, decisions, scores
        The report sections (``None`` when not available).
    unavailable
        Section key -> reason, for sections that could not be produced.
    cut_from_method
        False when the spec typed a theta cut instead of naming a standard-setting method.
    thresholds
        The limits; default :class:`Thresholds`.
    """
    t = thresholds or Thresholds()
    out: list[Problem] = []

    def add(level, area, message, section):
        out.append(Problem(level=level, area=area, message=message, section=section))

    for key, reason in (unavailable or {}).items():
        level = RED if key in ("content", "standard_setting") else AMBER
        add(level, "availability", f"{key.replace('_', ' ')} not available: {reason}", "summary")

    if bank is not None:
        if bank.lint_errors:
            add(RED, "bank", f"{len(bank.lint_errors)} lint error(s) in the bank", "bank")
        for gap in bank.gaps:
            add(AMBER, "bank", gap, "bank")
        if not bank.lint_errors and not bank.gaps:
            add(GREEN, "bank", "bank lint clean; every outcome has enough items", "bank")

    if content is not None:
        missed = [r for r in (*content.outcome_rows, *content.level_rows) if not r.within]
        for row in missed:
            add(RED, "assembly", f"{row.key}: forms miss the blueprint ({row.required})", "content")
        if content.solver_gap is not None and content.solver_gap > t.gap_amber:
            add(
                AMBER,
                "assembly",
                f"assembly solver stopped {content.solver_gap:.1%} from the optimum",
                "content",
            )
        if not missed:
            add(GREEN, "assembly", f"{len(content.form_ids)} form(s) meet the blueprint", "content")

    if structure is not None:
        for form in structure.forms:
            values = [v for v in (form.alpha, form.marginal_reliability) if v is not None]
            if not values:
                continue
            low = min(values)
            level = _grade(low, t.reliability_red, t.reliability_amber)
            add(
                level,
                "reliability",
                f"{_form(form.form_id)}: reliability {low:.2f} (lower of alpha and marginal)",
                "structure",
            )
        if structure.dimensionality is not None and structure.dimensionality.ratio is not None:
            ratio = structure.dimensionality.ratio
            level = AMBER if ratio < t.eigen_ratio_amber else GREEN
            add(level, "dimensionality", f"first/second eigenvalue ratio {ratio:.1f}", "structure")
        if structure.fit is not None and structure.fit.q3_flags:
            add(
                AMBER,
                "fit",
                f"{len(structure.fit.q3_flags)} item pair(s) flagged for local dependence (Q3)",
                "structure",
            )

    if items is not None:
        flagged = [r.item_id for r in items.rows if r.forms and r.flags]
        if flagged:
            add(
                AMBER,
                "item quality",
                f"{len(flagged)} item(s) on the forms flagged: {_list(flagged)}",
                "items",
            )
        misfit = [
            r.item_id
            for r in items.rows
            if r.forms
            and r.sx2_p is not None
            and structure is not None
            and structure.fit is not None
            and r.sx2_p < structure.fit.alpha_level
        ]
        if misfit:
            msg = f"{len(misfit)} item(s) on the forms misfit: {_list(misfit)}"
            add(AMBER, "fit", msg, "items")
        if not flagged and not misfit:
            add(GREEN, "item quality", "no item on the forms is flagged", "items")

    if fairness is not None:
        big, moderate = ("C", "CC"), ("B", "BB")
        c_form = [r.item_id for r in fairness.rows if r.ets_class in big and r.on_forms]
        c_bank = [r.item_id for r in fairness.rows if r.ets_class in big and not r.on_forms]
        b_form = [r.item_id for r in fairness.rows if r.ets_class in moderate and r.on_forms]
        if c_form:
            add(RED, "fairness", f"ETS class C DIF on the forms: {_list(c_form)}", "fairness")
        if c_bank:
            add(AMBER, "fairness", f"ETS class C DIF (not on forms): {_list(c_bank)}", "fairness")
        if b_form:
            add(AMBER, "fairness", f"ETS class B DIF on the forms: {_list(b_form)}", "fairness")
        if not (c_form or c_bank or b_form):
            add(GREEN, "fairness", "no item shows B or C DIF", "fairness")
        im = getattr(fairness, "impact", None)
        if im is not None:
            words = (
                f"impact ratio {im.impact_ratio:.2f} ({im.focal} {100 * im.rate_focal:.1f}% / "
                f"{im.reference} {100 * im.rate_reference:.1f}%), Fisher p {_p(im.fisher_p)}"
            )
            if im.below_four_fifths:
                add(AMBER, "fairness", f"adverse impact: {words}, below four-fifths", "fairness")
            else:
                add(GREEN, "fairness", f"{words}: within the four-fifths rule", "fairness")

    if standard_setting is not None:
        if not cut_from_method:
            add(
                AMBER,
                "standard setting",
                "cut typed into the spec as a theta: document the standard-setting study",
                "standard-setting",
            )
        flagged_raters = [r.rater for r in standard_setting.raters if r.flagged]
        earlier = [
            f"{r.rater} (round {standard_setting.rounds[k]})"
            for r in standard_setting.raters
            for k, f in enumerate(r.flags[:-1])
            if f
        ]
        if earlier:
            add(
                GREEN if not flagged_raters else AMBER,
                "standard setting",
                f"far from the panel in an earlier round: {_list(earlier)}; see the final round",
                "standard-setting",
            )
        if flagged_raters:
            add(
                AMBER,
                "standard setting",
                f"rater(s) far from the panel: {_list(flagged_raters)}",
                "standard-setting",
            )
        if cut_from_method and not flagged_raters:
            add(
                GREEN,
                "standard setting",
                f"cut set by {standard_setting.method}; no rater flagged",
                "standard-setting",
            )

    if decisions is not None:
        for row in decisions.rows:
            lc = _grade(row.consistency, t.consistency_red, t.consistency_amber)
            la = _grade(row.accuracy, t.accuracy_red, t.accuracy_amber)
            level = min((lc, la), key=_ORDER.__getitem__)
            add(
                level,
                "decisions",
                f"{_form(row.form_id)}: accuracy {row.accuracy:.2f}, consistency "
                f"{row.consistency:.2f}",
                "decisions",
            )

    if scores is not None:
        for f in scores.forms:
            gap = f.observed_cut - f.raw_cut_exact
            if abs(gap) > 1.0:
                add(
                    AMBER,
                    "equating",
                    f"{_form(f.form_id)}: true-score and observed-score equating differ by "
                    f"{gap:+.1f} raw points at the cut",
                    "comparability",
                )
        rates = [f.pass_rate for f in scores.forms if f.pass_rate is not None]
        if len(rates) > 1:
            add(
                GREEN,
                "equating",
                "pass rates by form: "
                + ", ".join(
                    f"{f.form_id} {100 * f.pass_rate:.1f}%"
                    for f in scores.forms
                    if f.pass_rate is not None
                )
                + " at the equated cuts",
                "comparability",
            )

    return tuple(sorted(out, key=lambda p: _ORDER[p.level]))


def _p(p: float) -> str:
    return "< 0.0001" if p < 1e-4 else f"{p:.4f}"


def _form(form_id: str) -> str:
    return form_id if form_id.lower().startswith("form") else f"form {form_id}"


def _list(ids: list[str], limit: int = 8) -> str:
    if len(ids) <= limit:
        return ", ".join(ids)
    return ", ".join(ids[:limit]) + f" and {len(ids) - limit} more"
