"""Copy the build's library results into the report records (no psychometrics here).

:func:`collect_report` reads the stages' results gathered by the pipeline
(:class:`psychometrics.program.build.BuildState`) and fills one record per report section. It only
selects, relabels and counts; every statistic comes from the library call that produced it. Where a
section's inputs are missing it is left ``None`` and its reason recorded, so the report says "not
available" instead of inventing numbers.
"""

from __future__ import annotations

import io
import math
import re
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from psychometrics.fileio import safe_csv_writer
from psychometrics.report.evidence import evidence_map
from psychometrics.report.manifest import build_manifest
from psychometrics.report.model import (
    BankRow,
    BankSection,
    BlueprintRow,
    ContentSection,
    ConversionRow,
    CredentialInfo,
    Curve,
    DecisionRow,
    DecisionSection,
    DifRow,
    Dimensionality,
    DistractorTable,
    DtfRow,
    FairnessSection,
    FitSummary,
    FormScores,
    FormStats,
    GroupRate,
    ImpactSummary,
    ItemCurve,
    ItemRow,
    ItemsSection,
    OptionRow,
    Outcome,
    Problem,
    RaterRow,
    ReportData,
    ScoresSection,
    StageRecord,
    StandardSettingSection,
    StructureSection,
)
from psychometrics.report.summary import AMBER, GREEN, RED, open_problems

FLAG_RULES = (
    "classical flags from the item analysis (hard: p < .20; easy: p > .95; low_rpbis: corrected "
    "point-biserial < .15; positive or outperforming distractors: possible miskey)",
    "misfit: S-X2 p < .01",
    "DIF: ETS class B or C",
)
FIT_ALPHA = 0.01


def _f(x: Any) -> float | None:
    """A float, or None for missing/NaN."""
    if x is None:
        return None
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _required(rng) -> str:
    if rng is None:
        return "\u2013"
    return str(rng.min) if rng.min == rng.max else f"{rng.min}-{rng.max}"


def _curve(theta, values) -> Curve:
    return Curve(tuple(float(t) for t in theta), tuple(float(v) for v in values))


# ------------------------------------------------------------------------------------------


def _credential(spec) -> CredentialInfo:
    c = spec.credential
    return CredentialInfo(
        id=c.id,
        title=c.title,
        version=c.version or "",
        issuer=c.issuer or "",
        achievement_type=c.achievement_type or "",
        description=c.description or "",
        purpose=c.purpose or "",
        intended_use=c.intended_use or "",
        population=c.population or "",
        outcomes=tuple(Outcome(o.id, o.title, o.description or "") for o in spec.outcomes),
    )


def _content(st) -> ContentSection | None:
    if not st.forms:
        return None
    spec, bank = st.spec, st.bank
    form_ids = tuple(st.forms)
    titles = {o.id: o.title for o in spec.outcomes}
    outcome_of = {i.id: i.outcome for i in bank}
    level_of = {i.id: i.cognitive_level or "unspecified" for i in bank}
    rows = []
    outcomes = list(spec.form.blueprint) or [o.id for o in spec.outcomes]
    for oid in outcomes:
        rng = spec.form.blueprint.get(oid)
        counts = tuple(sum(outcome_of.get(i) == oid for i in st.forms[f]) for f in form_ids)
        within = rng is None or all(rng.min <= n <= rng.max for n in counts)
        rows.append(BlueprintRow(oid, titles.get(oid, ""), _required(rng), counts, within))
    levels = list(spec.form.cognitive_levels)
    seen = sorted({level_of.get(i, "unspecified") for f in form_ids for i in st.forms[f]})
    for lv in seen:
        if lv not in levels:
            levels.append(lv)
    level_rows = []
    for lv in levels:
        rng = spec.form.cognitive_levels.get(lv)
        counts = tuple(sum(level_of.get(i) == lv for i in st.forms[f]) for f in form_ids)
        within = rng is None or all(rng.min <= n <= rng.max for n in counts)
        level_rows.append(BlueprintRow(lv, "", _required(rng), counts, within))
    overlap = []
    for a_i, a in enumerate(form_ids):
        for b in form_ids[a_i + 1 :]:
            overlap.append((a, b, len(set(st.forms[a]) & set(st.forms[b]))))
    records = [f.assembly for f in st.published_forms.values() if f.assembly is not None]
    rec = records[0] if records else None
    return ContentSection(
        form_ids=form_ids,
        outcome_rows=tuple(rows),
        level_rows=tuple(level_rows),
        solver_status=rec.status if rec is not None else "not recorded",
        solver_gap=_f(rec.gap) if rec is not None else None,
        solver_seconds=_f(rec.seconds) if rec is not None else None,
        max_overlap=_f(spec.form.max_overlap),
        overlap=tuple(overlap),
        forms_note=_forms_note(st),
        proposal=st.proposal,
        fingerprint_findings=tuple(str(f) for f in st.fingerprints),
    )


def _forms_note(st) -> str:
    if st.proposal:
        return (
            "These forms are proposals ("
            + ("assembled for this report" if st.assembly is not None else "under review")
            + "); they were never administered and no candidate data describe them."
        )
    parts = []
    for f in st.published_forms.values():
        where = _rel(f.path, st.spec_path) if f.path is not None else f.form_id
        parts.append(f"{f.form_id} ({len(f.items)} items, published {f.published}, {where})")
    return (
        "The published forms candidates took: "
        + "; ".join(parts)
        + ". Every item is fingerprinted (content and IRT parameters) at publication and "
        "checked against the bank at each build."
    )


def _bank(st) -> BankSection | None:
    if st.bank is None:
        return None
    from psychometrics.bank import STATUSES
    from psychometrics.bank.stats import items_needed

    bank, spec = st.bank, st.spec
    present = {i.status for i in bank}
    statuses = tuple(s for s in STATUSES if s in present) + tuple(
        sorted(s for s in present if s not in STATUSES and s is not None)
    )
    outcome_ids = [o.id for o in spec.outcomes]
    outcome_ids += sorted({i.outcome for i in bank if i.outcome and i.outcome not in outcome_ids})
    eligible = set(spec.form.item_status)
    rows, gaps = [], []
    for oid in outcome_ids:
        items = [i for i in bank if i.outcome == oid]
        counts = Counter(i.status for i in items)
        rng = spec.form.blueprint.get(oid)
        needed = None
        if rng is not None:
            needed = items_needed(rng.min, spec.form.count, spec.form.max_overlap)
            have = sum(1 for i in items if i.status in eligible and i.irt is not None)
            if have < needed:
                gaps.append(
                    f"{oid}: the forms need at least {needed} distinct eligible calibrated items, "
                    f"the bank has {have}: write and calibrate {needed - have} more"
                )
            elif have < needed + max(2, needed // 5):
                gaps.append(
                    f"{oid}: {have} eligible items for the {needed} the forms need: little room "
                    "for retirements or exposure control; write more"
                )
        rows.append(
            BankRow(
                oid,
                tuple(counts.get(s, 0) for s in statuses),
                len(items),
                sum(1 for i in items if i.irt is not None),
                needed,
                sum(1 for i in items if _reviewed(i)),
            )
        )
    lint = st.lint
    return BankSection(
        path=_rel(bank.root, st.spec_path),
        statuses=statuses,
        rows=tuple(rows),
        n_items=len(bank),
        n_calibrated=sum(1 for i in bank if i.irt is not None),
        n_reviewed=sum(1 for i in bank if _reviewed(i)),
        lint_errors=tuple(f.format() for f in lint.errors) if lint else (),
        lint_warnings=tuple(f.format() for f in lint.warnings) if lint else (),
        gaps=tuple(gaps),
        levels=tuple(sorted(Counter(i.cognitive_level or "unspecified" for i in bank).items())),
        types=tuple(sorted(Counter(i.type or "unspecified" for i in bank).items())),
    )


def _reviewed(item) -> bool:
    return any(r and r != item.author for r in item.reviewers)


def _rel(path, spec_path) -> str:
    root = Path(spec_path).resolve().parent.parent
    try:
        return str(Path(path).resolve().relative_to(root))
    except ValueError:
        return str(path)


def _structure(st) -> StructureSection | None:
    if not st.information:
        return None
    forms = []
    for fid, items in st.forms.items():
        info = st.information.get(fid)
        ctt = st.form_statistics.get(fid)
        test = ctt.test if ctt is not None else None
        at_cut = st.at_cut.get(fid)
        sums: tuple[float, ...] = ()
        if test is not None:
            dist = np.asarray(test.score_distribution)
            sums = tuple(float(s) for s in np.repeat(np.arange(dist.size), dist))
        forms.append(
            FormStats(
                form_id=fid,
                item_ids=tuple(items),
                n_persons=int(test.n_persons) if test is not None else None,
                mean=_f(test.mean) if test is not None else None,
                sd=_f(test.sd) if test is not None else None,
                alpha=_f(test.alpha) if test is not None else None,
                sem=_f(test.sem) if test is not None else None,
                marginal_reliability=_f(info.marginal_reliability) if info is not None else None,
                csem_at_cut=_f(at_cut.csem[0]) if at_cut is not None else None,
                csem_raw_at_cut=_f(st.csem_at_cut[fid].se_raw) if fid in st.csem_at_cut else None,
                information_at_cut=_f(at_cut.test_information[0]) if at_cut is not None else None,
                information_at_target=tuple(float(v) for v in st.at_target.get(fid, ())),
                raw_cut=_f(st.cut.raw_cuts[fid]) if st.cut is not None else None,
                raw_cut_exact=_f(st.cut.raw_cuts_exact[fid]) if st.cut is not None else None,
                max_score=_max_score(st, items),
                tif=_curve(info.theta, info.test_information) if info is not None else None,
                tcc=_curve(info.theta, info.tcc) if info is not None else None,
                csem=_curve(info.theta, info.csem) if info is not None else None,
                sum_scores=sums,
            )
        )
    return StructureSection(
        forms=tuple(forms),
        dimensionality=_dimensionality(st),
        fit=_fit(st),
        parameters_source=st.params_source,
        calibration_note=st.notes.get("parameters", ""),
    )


def _max_score(st, items) -> int:
    total = 0
    for i in items:
        item = st.bank.get(i)
        total += (item.n_categories - 1) if item is not None else 1
    return total


def _dimensionality(st) -> Dimensionality | None:
    if not st.dimensionality:
        return None
    fid, res = next(iter(st.dimensionality.items()))
    ev = getattr(res, "eigenvalues", None)
    if ev is None:
        return None
    ratio = getattr(res, "first_to_second", None)
    corr = str(getattr(res, "kind", "") or "")
    label = f"{corr}, {fid}" if corr else fid
    return Dimensionality(tuple(float(x) for x in ev), _f(ratio), label)


def _fit(st) -> FitSummary | None:
    if not st.fit:
        return None
    with_m2 = [(f, r) for f, r in st.fit.items() if r.m2 is not None]
    fid, rep = with_m2[0] if with_m2 else next(iter(st.fit.items()))
    m2 = rep.m2
    n_misfit = sum(
        1
        for r in st.fit.values()
        for it in r.sx2.items
        if _f(it.p) is not None and it.p < FIT_ALPHA
    )
    flags = []
    for r in st.fit.values():
        for pair in r.q3.flagged:
            flags.append((pair.item_a, pair.item_b, float(pair.q3)))
    threshold = _f(rep.q3.threshold)
    note = "S-X2 (Orlando & Thissen) and Q3 (Yen) on every administered form"
    note += f"; M2 and RMSEA on form {fid}." if m2 is not None else "."
    notes = [n for r in st.fit.values() for n in r.notes]
    if notes and m2 is None:
        note += " " + " ".join(dict.fromkeys(str(n) for n in notes))
    q3_rule = str(getattr(rep.q3, "rule", "") or "")
    return FitSummary(
        m2=_f(m2.m2) if m2 is not None else None,
        m2_df=_f(m2.df) if m2 is not None else None,
        m2_p=_f(m2.p) if m2 is not None else None,
        rmsea=_f(m2.rmsea) if m2 is not None else None,
        n_misfit=n_misfit,
        alpha_level=FIT_ALPHA,
        q3_flags=tuple(flags),
        q3_threshold=threshold,
        note=note,
        q3_rule=q3_rule,
    )


def _item_rows(st) -> ItemsSection | None:
    if not st.item_analysis and st.params is None:
        return None
    ctt, sx2 = {}, {}
    for res in st.item_analysis.values():
        for it in res.items:
            ctt.setdefault(it.item_id, it)
    for rep in st.fit.values():
        for it in rep.sx2.items:
            sx2.setdefault(it.item_id, it)
    dif = _worst_dif(st)
    pooled = st.pooled_items
    on_forms: dict[str, list[str]] = {}
    for fid, items in st.forms.items():
        for i in items:
            on_forms.setdefault(i, []).append(fid)
    pindex = {i: k for k, i in enumerate(st.params.item_ids)} if st.params is not None else {}
    ids = [i.id for i in st.bank if i.id in ctt or i.id in on_forms or i.id in pindex]
    rows = []
    for item_id in ids:
        item = st.bank.get(item_id)
        k = pindex.get(item_id)
        s, d = sx2.get(item_id), dif.get(item_id)
        pool = pooled.get(item_id)
        flags = list(
            dict.fromkeys(
                f
                for res in st.item_analysis.values()
                for it in res.items
                if it.item_id == item_id
                for f in it.flags
            )
        )
        if s is not None and _f(s.p) is not None and s.p < FIT_ALPHA:
            flags.append("misfit")
        if d is not None and d.ets_class in ("B", "C", "BB", "CC"):
            flags.append(f"DIF {d.ets_class}")
        b = se_b = None
        thresholds: tuple[float, ...] = ()
        se_thresholds: tuple[float | None, ...] = ()
        poly = k is not None and st.params.model[k] in POLYTOMOUS
        if k is not None:
            bk = np.asarray(st.params.b[k], dtype=float)
            keep = ~np.isnan(bk)
            sek = _se_row(st.params.se_b, k, bk.size)
            if poly:
                thresholds = tuple(float(x) for x in bk[keep])
                se_thresholds = tuple(_f(x) for x in sek[keep])
            elif keep.any():
                b, se_b = float(bk[keep][0]), _f(sek[keep][0])
        rows.append(
            ItemRow(
                item_id=item_id,
                outcome=item.outcome or "" if item else "",
                status=item.status or "" if item else "",
                forms=tuple(on_forms.get(item_id, ())),
                model=st.params.model[k] if k is not None else "",
                a=_f(st.params.a[k]) if k is not None else None,
                b=b,
                c=_f(st.params.c[k]) if k is not None and not poly else None,
                n=pool.n if pool is not None else None,
                p=_f(pool.p) if pool is not None else None,
                rpbis=_f(pool.rpbis) if pool is not None else None,
                sx2=_f(s.s_x2) if s is not None else None,
                sx2_df=_f(s.df) if s is not None else None,
                sx2_p=_f(s.p) if s is not None else None,
                mh_delta=_f(d.mh_delta) if d is not None else None,
                ets_class=(d.ets_class or "") if d is not None else "",
                flags=tuple(str(f) for f in flags),
                by_form=_by_form(pool),
                se_a=_f(_se_row(st.params.se_a, k, 1)[0]) if k is not None else None,
                se_b=se_b,
                se_c=None if poly or k is None else _f(_se_row(st.params.se_c, k, 1)[0]),
                thresholds=thresholds,
                se_thresholds=se_thresholds,
            )
        )
    curves = tuple(
        ItemCurve(
            item_id=i,
            theta=tuple(float(x) for x in cv["theta"]),
            expected=tuple(float(x) for x in cv["expected"]),
            observed_theta=tuple(float(x) for x in cv.get("observed_theta", ())),
            observed=tuple(float(x) for x in cv.get("observed", ())),
            reason=cv.get("reason", ""),
        )
        for i, cv in st.item_curves.items()
    )
    theta = st.theta.theta if st.theta is not None else ()
    body = tuple(r for r in rows if r.forms) or tuple(rows)
    return ItemsSection(
        rows=body,
        curves=curves,
        person_theta=tuple(float(t) for t in np.asarray(theta) if np.isfinite(t)),
        flag_rules=FLAG_RULES,
        distractors=_distractors(st, {r.item_id: r.flags for r in rows if r.flags and r.forms}),
        all_rows=tuple(rows),
        bank_csv="items.csv",
    )


POLYTOMOUS = ("grm", "gpcm", "pcm")


def _se_row(se, k: int, size: int) -> np.ndarray:
    """Row ``k`` of an SE array as a 1-D float array (NaN when SEs were not computed)."""
    if se is None:
        return np.full(size, np.nan)
    row = np.atleast_1d(np.asarray(se[k], dtype=float))
    if row.size < size:
        row = np.concatenate([row, np.full(size - row.size, np.nan)])
    return row


def _distractors(st, flagged) -> tuple[DistractorTable, ...]:
    """Option tables of the items on the forms flagged for any reason (classical flags, misfit,
    DIF), one per form that carries the item; items without options (rubric scores) have none."""
    out = []
    for fid, res in st.item_analysis.items():
        for it in res.items:
            if it.item_id not in flagged or not it.options:
                continue
            out.append(
                DistractorTable(
                    item_id=it.item_id,
                    form_id=fid,
                    flags=tuple(flagged[it.item_id]),
                    options=tuple(
                        OptionRow(
                            option=str(o.option),
                            is_key=bool(o.is_key),
                            n=int(o.n),
                            share=float(o.share),
                            share_low=float(o.share_low),
                            share_middle=float(o.share_middle),
                            share_high=float(o.share_high),
                            rpbis=_f(o.rpbis),
                        )
                        for o in it.options
                    ),
                )
            )
    return tuple(sorted(out, key=lambda t: (t.item_id, t.form_id)))


def _by_form(pool) -> str:
    if pool is None or len(pool.by_form) < 2:
        return ""
    return "; ".join(f"{b.form_id}: n {b.n}, p {b.p:.2f}, r {b.rpbis:.2f}" for b in pool.by_form)


_ETS_RANK = {"C": 3, "B": 2, "A": 1, "CC": 3, "BB": 2, "AA": 1}


def _worst_dif(st) -> dict:
    """Per item, the DIF result of the form with the largest ETS class (first form on ties)."""
    out: dict = {}
    for res in st.dif.values():
        for it in res.items:
            old = out.get(it.item_id)
            if old is None or _ETS_RANK.get(it.ets_class, 0) > _ETS_RANK.get(old.ets_class, 0):
                out[it.item_id] = it
    return out


def _fairness(st) -> FairnessSection | None:
    if not st.dif:
        return None
    admin = st.spec.administration
    on_forms: dict[str, list[str]] = {}
    for fid, items in st.forms.items():
        for i in items:
            on_forms.setdefault(i, []).append(fid)
    irt = _irt_by_item(st)
    rows = []
    for it in _worst_dif(st).values():
        t = irt.get(it.item_id)
        by = [f"MH {it.ets_class}"] if it.ets_class in ("B", "C", "BB", "CC") else []
        lr_class = getattr(it, "lr_class", None)
        if lr_class in ("B", "C"):
            by.append(f"LR {lr_class}")
        if t is not None and t[0].flagged:
            by.append("IRT")
        rows.append(
            DifRow(
                item_id=it.item_id,
                n_reference=int(it.n_reference),
                n_focal=int(it.n_focal),
                mh_delta=_f(it.mh_delta),
                mh_p=_f(it.mh_p),
                ets_class=it.ets_class or "",
                favors=_favors(it.favors, admin),
                lr_p=_f(it.lr_p),
                lr_r2_delta=_f(it.lr_r2_delta),
                on_forms=tuple(on_forms.get(it.item_id, ())),
                irt_g2=_f(t[0].g2) if t else None,
                irt_p=_f(t[0].p) if t else None,
                irt_signed=_f(t[0].signed) if t else None,
                irt_at_cut=_f(t[1]) if t else None,
                irt_flagged=bool(t and t[0].flagged),
                flagged_by=tuple(by),
            )
        )
    first = next(iter(st.dif.values()))
    note = (
        f"Mantel-Haenszel matched on the {first.matching} score of each administered form, ETS "
        f"A/B/C classes (alpha {first.alpha}); logistic-regression DIF with Nagelkerke R\u00b2 "
        f"change. Items are classified only when at least {first.min_focal} focal and "
        f"{first.min_reference} reference candidates saw them."
    )
    if st.notes.get("fairness"):
        note += " " + st.notes["fairness"]
    return FairnessSection(
        group_column=admin.group,
        focal=admin.focal,
        reference=admin.reference,
        rows=tuple(rows),
        pass_rates=_group_rates(st),
        method_note=note,
        impact=_impact(st),
        classes_note=DIF_CLASSES_NOTE,
        irt_note=_irt_note(st),
        dtf=_dtf_rows(st),
    )


def _theta_cut(st) -> float | None:
    return _f(st.cut.theta_cut) if st.cut is not None else None


def _irt_by_item(st) -> dict:
    """Per item, ``(IRT DIF test, difference at the cut)`` of the form where its
    likelihood-ratio p is smallest."""
    cut = _theta_cut(st)
    out: dict = {}
    for res in getattr(st, "irt_dif", {}).values():
        at = res.at(cut) if cut is not None else {}
        for it in res.items:
            old = out.get(it.item_id)
            if old is None or it.p < old[0].p:
                out[it.item_id] = (it, at.get(it.item_id, (None,))[0])
    return out


def _dtf_rows(st) -> tuple[DtfRow, ...]:
    cut = _theta_cut(st)
    rows = []
    for fid, res in getattr(st, "irt_dif", {}).items():
        at = res.at(cut) if cut is not None else {}
        rows.append(
            DtfRow(
                form_id=fid,
                n_items=len(res.items),
                focal_mean=float(res.baseline.latent_means[1]),
                focal_sd=float(res.baseline.latent_sds[1]),
                signed=float(res.dtf_signed),
                at_cut=float(sum(v[0] for v in at.values())) if at else None,
            )
        )
    return tuple(rows)


def _irt_note(st) -> str:
    results = list(getattr(st, "irt_dif", {}).values())
    if not results:
        return ""
    first = results[0]
    cut = _theta_cut(st)
    at = f" and at the cut (theta {cut:.2f})" if cut is not None else ""
    return (
        f"IRT DIF: per form, a two-group calibration (2PL, graded response model for "
        f"polytomous items; reference group N(0, 1), the focal group's mean and SD estimated, "
        f"so a difference in ability is not taken for DIF) and, per item, the {first.method}; "
        f"flagged at p < {first.alpha:g}. Items are tested when at least 100 candidates of "
        f"each group saw them and both groups used at least two score categories. The effect "
        f"sizes are on the raw-score scale: the item's expected score in the reference group "
        f"minus the focal group at the same ability, averaged over the focal group{at}; "
        f"positive values favour the reference group. The differential test functioning (DTF) "
        f"of a form sums them over its items."
    )


DIF_CLASSES_NOTE = (
    "Right/wrong items are classified A, B or C by the ETS rule (Zwick, 2012): A negligible "
    "(|MH D-DIF| < 1 or not significant), B moderate, C large (|MH D-DIF| >= 1.5 and "
    "significantly above 1). Items scored in more than two categories (the graded rubric items) "
    "are classified AA, BB or CC by the ETS rule for polytomous items (Zwick, Thayer & Mazzeo, "
    "1997): the Mantel chi-square for ordered scores and the standardized mean difference (SMD, "
    "Dorans & Schmitt, 1991) divided by the item-score SD; AA negligible (not significant or "
    "|SMD/SD| <= .17), BB moderate (significant and |SMD/SD| > .17), CC large (significant and "
    "|SMD/SD| > .25). AA, like A, calls for no action."
)


def _impact(st) -> ImpactSummary | None:
    """Adverse impact of the decisions on the focal group (needs both groups' candidates)."""
    from psychometrics.fairness import adverse_impact

    admin = st.spec.administration
    pr = st.pass_rates
    if pr is None or admin is None or not admin.focal or not admin.reference:
        return None
    n = pr.n_by_group
    if admin.focal not in n or admin.reference not in n:
        return None
    xf = round(pr.by_group[admin.focal] * n[admin.focal])
    xr = round(pr.by_group[admin.reference] * n[admin.reference])
    if xr == 0:
        return None
    r = adverse_impact(
        xf, n[admin.focal], xr, n[admin.reference], focal=admin.focal, reference=admin.reference
    )
    return ImpactSummary(
        focal=r.focal,
        reference=r.reference,
        n_focal=r.n_focal,
        n_reference=r.n_reference,
        pass_focal=r.pass_focal,
        pass_reference=r.pass_reference,
        rate_focal=r.rate_focal,
        rate_reference=r.rate_reference,
        impact_ratio=r.impact_ratio,
        ratio_low=r.ratio_ci[0],
        ratio_high=r.ratio_ci[1],
        below_four_fifths=r.below_four_fifths,
        difference=r.difference,
        difference_low=r.difference_ci[0],
        difference_high=r.difference_ci[1],
        fisher_p=r.fisher_p,
        z=r.z,
        z_p=r.z_p,
        flip_flop=r.flip_flop,
        shortfall=r.shortfall,
        detectable_difference=r.detectable_difference,
        note=r.note,
    )


def _favors(side: str | None, admin) -> str:
    """``"reference"``/``"focal"`` as the group's value, e.g. ``"M (reference)"``."""
    if side == "reference":
        return f"{admin.reference} (reference)"
    if side == "focal":
        return f"{admin.focal} (focal)"
    return side or ""


def _group_rates(st) -> tuple[GroupRate, ...]:
    pr = st.pass_rates
    if pr is None or not pr.by_group:
        return ()
    return tuple(
        GroupRate(str(g), int(pr.n_by_group[g]), float(pr.by_group[g])) for g in sorted(pr.by_group)
    )


def _standard_setting(st) -> StandardSettingSection | None:
    cut = st.cut
    if cut is None:
        return None
    detail = cut.detail
    raters: tuple[RaterRow, ...] = ()
    rounds: tuple[str, ...] = ()
    round_cuts: tuple[float | None, ...] = ()
    outlier_notes: tuple[str, ...] = ()
    agreement = None
    label = ""
    rated = None
    if st.round_details:
        rounds = tuple(str(r) for r in st.round_details)
        last = list(st.round_details.values())[-1]
        ids = list(last.raters)
        per_round = {
            r: dict(zip(d.raters, d.rater_cuts, strict=True)) for r, d in st.round_details.items()
        }
        dev_round = {
            r: dict(zip(d.raters, getattr(d, "rater_deviations", ()) or (), strict=False))
            for r, d in st.round_details.items()
        }
        flag_round = {
            r: dict(zip(d.raters, d.rater_flags, strict=True)) for r, d in st.round_details.items()
        }
        raters = tuple(
            RaterRow(
                str(rid),
                tuple(_f(per_round[r].get(rid)) for r in st.round_details),
                bool(flag),
                deviations=tuple(_f(dev_round[r].get(rid)) for r in st.round_details),
                flags=tuple(bool(flag_round[r].get(rid, False)) for r in st.round_details),
            )
            for rid, flag in zip(ids, last.rater_flags, strict=True)
        )
        outlier_notes = _outlier_notes(st.round_details)
        round_cuts = tuple(_f(d.raw_cut) for d in st.round_details.values())
        rated = len(last.item_ids)
    elif detail is not None and hasattr(detail, "rater_cuts"):
        raters = tuple(
            RaterRow(str(r), (_f(c),), bool(f))
            for r, c, f in zip(
                detail.raters,
                detail.rater_cuts,
                getattr(detail, "rater_flags", [False] * len(detail.raters)),
                strict=True,
            )
        )
        rounds = (str(getattr(detail, "round", "") or "final"),)
    icc = getattr(detail, "icc", None)
    agreement_average = None
    if icc is not None:
        agreement, label = _f(icc.icc_single), "ICC(2,1), one rater"
        agreement_average = _f(icc.icc_average)
    item_means: tuple[tuple[str, float], ...] = ()
    if detail is not None and hasattr(detail, "item_means"):
        item_means = tuple(
            (str(i), float(m)) for i, m in zip(detail.item_ids, detail.item_means, strict=True)
        )
    scale_cut = _f(cut.scale_cut)
    scale_note = ""
    if cut.scale is not None and scale_cut is not None:
        scale_note = f"(scale = {cut.scale.intercept:g} + {cut.scale.slope:g} \u00d7 theta)"
    method = cut.method if cut.method != "theta" else "theta given in the spec"
    note = ""
    if cut.method == "theta":
        note = "no standard-setting study is named in the spec"
    elif getattr(cut, "reference_form", None):
        note = (
            f"the panel rated the items of the published {cut.reference_form}; its raw cut gives "
            "the theta cut through that form's TCC, and the theta cut gives each form's raw cut "
            "through its TCC"
        )
    pr = st.pass_rates
    ratings_file = ""
    if st.spec.cut_score is not None and st.spec.cut_score.ratings is not None:
        ratings_file = _rel(st.spec.cut_score.ratings, st.spec_path)
    return StandardSettingSection(
        method=method,
        theta_cut=float(cut.theta_cut),
        se_theta=_f(getattr(detail, "se_theta", None)),
        raw_cut=_f(getattr(detail, "raw_cut", None)),
        se_raw=_f(getattr(detail, "se_raw", None)),
        ratings_file=ratings_file,
        rated_items=rated,
        rounds=rounds,
        round_cuts=round_cuts,
        raters=raters,
        agreement=agreement,
        agreement_label=label,
        agreement_average=agreement_average,
        reference_form=str(getattr(cut, "reference_form", "") or ""),
        item_means=item_means,
        scale_cut=scale_cut,
        scale_note=scale_note,
        pass_rate=_f(pr.overall) if pr is not None else None,
        pass_rates=_group_rates(st),
        note=note + (f"; pass rule: {st.pass_rule}" if st.pass_rule and pr is not None else ""),
        outlier_rule=str(getattr(detail, "outlier_rule", "") or ""),
        outlier_notes=outlier_notes,
    )


def _outlier_notes(rounds) -> tuple[str, ...]:
    """Per round: who is far from the panel (with the distance), else the largest distances."""
    out = []
    for r, d in rounds.items():
        devs = list(getattr(d, "rater_deviations", ()) or ())
        if not devs:
            continue
        cuts = dict(zip(d.raters, d.rater_cuts, strict=True))
        pairs = list(zip(d.raters, devs, d.rater_flags, strict=True))
        flagged = [(rid, v) for rid, v, f in pairs if f]
        if flagged:
            text = ", ".join(
                f"{rid} (cut {cuts[rid]:.2f}, {v:+.2f} points from the others' mean)"
                for rid, v in flagged
            )
            out.append(f"Round {r}: far from the panel: {text}.")
        else:
            rid, v, _ = max(pairs, key=lambda t: abs(t[1]))
            out.append(
                f"Round {r}: no rater far from the panel; the largest distance is {rid} "
                f"({v:+.2f} points)."
            )
        others = sorted(((rid, v) for rid, v, f in pairs if not f), key=lambda t: -abs(t[1]))
        if flagged and others:
            rid, v = others[0]
            out[-1] += f" Next largest: {rid} ({v:+.2f} points, within the limits)."
    return tuple(out)


def _scores(st) -> ScoresSection | None:
    """Section 10: conversion tables, equating to the rated form, cut and results per form."""
    if not st.conversions or st.cut is None:
        return None
    forms = []
    for fid, c in st.conversions.items():
        freq = c.frequency if len(c.frequency) else None
        rows = tuple(
            ConversionRow(
                raw=int(c.raw[x]),
                theta=_f(c.theta[x]),
                scale=float(c.scale[x]),
                passes=bool(c.passes[x]),
                true_equivalent=_f(c.true_equivalent[x]),
                observed_equivalent=_f(c.observed_equivalent[x]),
                frequency=int(freq[x]) if freq is not None and x < len(freq) else None,
            )
            for x in range(len(c.raw))
        )
        forms.append(
            FormScores(
                form_id=fid,
                reference_form=c.reference_form,
                rows=rows,
                raw_cut=float(c.raw_cut),
                raw_cut_exact=float(c.raw_cut_exact),
                observed_cut=float(c.observed_cut),
                max_score=c.max_score,
                n=c.n,
                pass_rate=c.pass_rate,
                mean=c.mean,
                sd=c.sd,
            )
        )
    cut = st.cut
    scale = cut.scale
    if scale is not None:
        label = f"scale = {scale.intercept:g} + {scale.slope:g} \u00d7 theta"
        if scale.round is not None:
            label += f", rounded to {scale.round} decimal(s)"
        if scale.min is not None and scale.max is not None:
            label += f", from {scale.min:g} to {scale.max:g}"
        scale_cut = _f(cut.scale_cut)
    else:
        label = "no reporting scale in the spec: theta (two decimals) is reported"
        scale_cut = round(float(cut.theta_cut), 2)
    first = next(iter(st.conversions.values()))
    return ScoresSection(
        forms=tuple(forms),
        reference_form=first.reference_form,
        scale_label=label,
        scale_cut=scale_cut,
        population=first.population,
        pass_rule=st.pass_rule,
        score_reports=len(st.candidates),
    )


def _decisions(st) -> DecisionSection | None:
    if not st.decisions:
        return None
    rows = tuple(
        DecisionRow(
            form_id=fid,
            accuracy=float(d.accuracy),
            consistency=float(d.consistency),
            false_positive=_f(d.false_positive),
            false_negative=_f(d.false_negative),
            kappa=_f(d.kappa),
        )
        for fid, d in st.decisions.items()
    )
    methods = list(dict.fromkeys(d.method for d in st.decisions.values()))
    method = ", ".join(methods)
    notes = {
        "rudner": "Rudner (2001, 2005): each candidate's true theta taken as normal around the "
        "EAP estimate with its posterior SD; candidates who took the whole form.",
        "lee": "Lee (2010): summed-score distributions by the Lord-Wingersky recursion over a "
        "N(0, 1) latent distribution.",
    }
    note = " ".join(notes.get(m, "") for m in methods)
    if st.notes.get("decisions"):
        note += " " + st.notes["decisions"]
    return DecisionSection(method=method, rows=rows, note=note)


# ------------------------------------------------------------------------------------------


def collect_report(
    st, *, stages: Sequence[StageRecord], argv: Sequence[str] | None = None
) -> ReportData:
    """Fill :class:`ReportData` from the pipeline state (see :mod:`psychometrics.program.build`)."""
    sections = {
        "content": _content(st) if st.spec is not None else None,
        "bank": _bank(st),
        "structure": _structure(st),
        "items": _item_rows(st) if st.bank is not None else None,
        "fairness": _fairness(st),
        "standard_setting": _standard_setting(st),
        "decisions": _decisions(st),
        "scores": _scores(st),
    }
    unavailable = {}
    for key, value in sections.items():
        if value is None:
            unavailable[key] = st.unavailable.get(key) or _reason(key, st)
    for key in ("fit", "dimensionality", "assembly"):
        if key in st.unavailable:
            unavailable[key] = st.unavailable[key]
    cut_from_method = bool(st.cut is not None and st.cut.method != "theta")
    available = ["purpose"] + [k for k, v in sections.items() if v is not None]
    seeds: dict[str, int] = {}
    inputs = list(st.inputs)
    admin = st.administration
    if admin is not None:
        generator = Path(admin.spec.responses).parent / "simulate_example.py"
        if generator.is_file():
            inputs.append(("data generator", generator))
            found = re.search(r"^SEED\s*=\s*(\d+)", generator.read_text(encoding="utf-8"), re.M)
            if found:
                seeds["simulated data (simulate_example.py)"] = int(found.group(1))
    manifest = build_manifest(
        inputs,
        seeds=seeds,
        argv=argv,
        relative_to=Path(st.spec_path).resolve().parent.parent,
        settings={
            "theta grid": "-4..4 by 0.1",
            "parameters": st.params_source or "n/a",
            "forms": st.forms_source or "n/a",
            "decision method": st.decision_method or "n/a",
            "theta estimates": "EAP, N(0, 1) prior, 61 quadrature points",
        },
    )
    simulated = ""
    if admin is not None:
        data_dir = Path(admin.spec.responses).parent
        if (data_dir / "simulate_example.py").exists():
            simulated = (
                "The responses and panel ratings of this program are simulated (see "
                f"{_rel(data_dir / 'simulate_example.py', st.spec_path)}); they illustrate the "
                "report and are not evidence about real candidates."
            )
    return ReportData(
        credential=_credential(st.spec),
        manifest=manifest,
        problems=tuple(
            sorted(
                _lifecycle_problems(st)
                + open_problems(
                    **sections, unavailable=unavailable, cut_from_method=cut_from_method
                ),
                key=lambda p: _LEVEL_ORDER[p.level],
            )
        ),
        evidence=evidence_map(available, cut_from_method=cut_from_method),
        stages=tuple(stages),
        unavailable=unavailable,
        theta_cut=_f(st.cut.theta_cut) if st.cut is not None else None,
        simulated_note=simulated,
        candidates=int(st.responses.n_persons) if st.responses is not None else None,
        pass_rate=_f(st.pass_rates.overall) if st.pass_rates is not None else None,
        administration=_administration_note(st),
        files_csv="inputs.csv",
        proposal_note=(
            "The forms in this report are proposals; they were never administered and no "
            "candidate took them."
            if st.proposal
            else ""
        ),
        **sections,
    )


def _lifecycle_problems(st) -> tuple[Problem, ...]:
    """Red lines for forms that are not what candidates took: proposals, changed items."""
    out = []
    if st.proposal:
        out.append(
            Problem(
                RED,
                "forms",
                "proposal build: the forms are proposals that were never administered; "
                "publish forms and analyse their administration",
                "content",
            )
        )
    for finding in st.fingerprints:
        out.append(Problem(RED, "forms", finding.message, "content"))
    if not st.proposal and not st.fingerprints:
        taken = (
            ""
            if st.administration is None
            else "; every candidate's responses match the form taken"
        )
        out.append(
            Problem(
                GREEN,
                "forms",
                f"{', '.join(st.published_forms)} published; every item unchanged since "
                f"publication{taken}",
                "content",
            )
        )
    return tuple(out)


_LEVEL_ORDER = {RED: 0, AMBER: 1, GREEN: 2}


def _administration_note(st) -> str:
    admin = st.administration
    if admin is None:
        return ""
    window = ""
    if admin.spec.start is not None:
        end = admin.spec.end or admin.spec.start
        window = f", window {admin.spec.start.isoformat()} to {end.isoformat()}"
    counts = ", ".join(f"{fid} {n}" for fid, n in admin.counts().items())
    return (
        f"Administration {admin.id}{window}: {admin.responses.n_persons} candidates on the "
        f"published forms ({counts})."
    )


def _reason(key: str, st) -> str:
    if st.responses is None and key in ("items", "fairness", "structure", "decisions"):
        return "no responses were analysed"
    return "an earlier stage did not produce its inputs"


def _cell(x) -> str:
    if x is None:
        return ""
    return f"{x:.6g}" if isinstance(x, float) else str(x)


def inputs_csv(manifest) -> str:
    """``inputs.csv``: every input file of the build with its role, path, size and sha256."""
    buf = io.StringIO()
    w = safe_csv_writer(buf)
    w.writerow(["role", "path", "bytes", "sha256"])
    for f in manifest.files:
        w.writerow([f.role, f.path, f.bytes, f.sha256])
    return buf.getvalue()


def items_csv(items: ItemsSection | None) -> str:
    """``items.csv``: every item of the bank with parameters or data (the report's body shows
    only the administered forms' items), with the item-analysis columns and the SEs."""
    cols = [
        "item_id",
        "outcome",
        "status",
        "forms",
        "model",
        "a",
        "b",
        "c",
        "n",
        "p",
        "rpbis",
        "sx2",
        "sx2_df",
        "sx2_p",
        "mh_delta",
        "ets_class",
        "flags",
        "se_a",
        "se_b",
        "se_c",
        "thresholds",
        "se_thresholds",
    ]
    buf = io.StringIO()
    w = safe_csv_writer(buf)
    w.writerow(cols)
    rows = () if items is None else (items.all_rows or items.rows)
    for r in rows:
        row = []
        for c in cols:
            v = getattr(r, c)
            if isinstance(v, tuple):
                v = ";".join(_cell(x) for x in v)
            elif isinstance(v, float):
                v = f"{v:.6g}"
            elif v is None:
                v = ""
            row.append(v)
        w.writerow(row)
    return buf.getvalue()
