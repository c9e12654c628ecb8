"""Score conversion and equating across the published forms, and every candidate's result.

Part of stage 5 of the build. For every form on the report:

- the raw-to-theta-to-scale conversion table: theta is the true-score theta (the root of the
  form's TCC at the raw score), carried to the spec's reporting scale; scores at or below the sum
  of the guessing parameters have no true-score theta and get the scale's lowest value, the
  maximum raw score its highest (the LOSS/HOSS convention, Kolen & Brennan, 2014, sec. 9.2);
- raw-to-raw equating tables to the reference form (the form the panel rated): IRT true-score and
  IRT observed-score equating (:mod:`psychometrics.equating`), the latter in the population of
  the candidates' thetas (normal, with the EAP mean and the SD from the law of total variance);
- the equated cut: the raw cut carried through the TCC (what decides pass/fail) and the score
  whose observed-score equivalent on the reference form is the reference form's raw cut;
- the observed score distribution and pass rate of the form's candidates.

Scale scores never contradict the pass/fail decision: under the raw pass rule a raw score below
the form's raw cut is reported below the scale cut (one rounding unit below it at most) and a
passing raw score at or above it.

References
----------
Kolen, M. J., & Brennan, R. L. (2014). *Test Equating, Scaling, and Linking* (3rd ed.), secs.
    6.4-6.5 and 9.2. Springer.
"""

from __future__ import annotations

import csv
import io
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from psychometrics.equating import (
    observed_score_equating,
    theta_for_true_score,
    true_score_equating,
)
from psychometrics.fileio import safe_csv_writer
from psychometrics.irt.models import ItemParameters, category_probabilities

RESULTS_COLUMNS = (
    "candidate_id",
    "administration_id",
    "form_id",
    "attempt",
    "raw_score",
    "max_raw_score",
    "theta",
    "theta_se",
    "scale_score",
    "passed",
    "completed_on",
)
"""The columns of ``results.csv``, in order (read by the badge issuer)."""


@dataclass(frozen=True)
class FormConversion:
    """One form's score conversion, equating to the reference form, cut and distribution.

    Attributes
    ----------
    form_id, reference_form
        The form and the form it is equated to (the rated form).
    raw, theta, scale, passes
        Every raw score 0..max, its true-score theta (NaN where none exists), its reporting-scale
        score and whether it passes.
    true_equivalent, observed_equivalent
        The reference form equivalents of every raw score (IRT true-score and observed-score).
    raw_cut, raw_cut_exact, observed_cut
        The raw cut (rounded; decides pass/fail), the TCC at the theta cut, and the raw score
        whose observed-score equivalent is the reference form's unrounded raw cut.
    frequency
        Candidates with each raw score (empty when nobody took the form).
    n, pass_rate, mean, sd
        The form's candidates, their pass rate, mean and SD of raw scores (None without takers).
    population
        The theta population of the observed-score equating, in words.
    """

    form_id: str
    reference_form: str
    raw: np.ndarray
    theta: np.ndarray
    scale: np.ndarray
    passes: np.ndarray
    true_equivalent: np.ndarray
    observed_equivalent: np.ndarray
    raw_cut: float
    raw_cut_exact: float
    observed_cut: float
    frequency: np.ndarray
    n: int | None
    pass_rate: float | None
    mean: float | None
    sd: float | None
    population: str

    @property
    def max_score(self) -> int:
        return int(self.raw[-1])


@dataclass(frozen=True)
class OutcomeBand:
    """One candidate's performance on one outcome, with its measurement error.

    ``low``/``high`` are the percent-correct band (score ± one conditional SEM of the subscore at
    the candidate's theta); ``standard`` is the percent a candidate at the cut is expected to
    score; ``label`` places the band against it.
    """

    outcome_id: str
    title: str
    score: float
    max_score: int
    percent: float
    low: float
    high: float
    standard: float
    label: str


@dataclass(frozen=True)
class CandidateResult:
    """One row of ``results.csv`` plus the outcome bands of the candidate's score report."""

    candidate_id: str
    administration_id: str
    form_id: str
    attempt: int
    raw_score: float
    max_raw_score: int
    theta: float
    theta_se: float
    scale_score: float
    passed: bool
    completed_on: date | None
    outcomes: tuple[OutcomeBand, ...] = ()


def _scale_values(scale, theta: np.ndarray) -> np.ndarray:
    if scale is None:
        return np.round(theta, 2)
    return np.asarray(scale.convert(theta), dtype=float)


def scale_unit(scale) -> float:
    if scale is None:
        return 0.01
    return 10.0 ** -int(scale.round) if scale.round is not None else 0.0


def _scale_bounds(scale, theta_lo: float = -6.0, theta_hi: float = 6.0) -> tuple[float, float]:
    lo = _scale_values(scale, np.array([theta_lo]))[0]
    hi = _scale_values(scale, np.array([theta_hi]))[0]
    return float(lo), float(hi)


def anchor_to_cut(scale_scores: np.ndarray, passes: np.ndarray, scale_cut: float, unit: float):
    """Scale scores that agree with the decisions: passing scores at least the scale cut,
    failing ones below it (by one rounding unit, or strictly below without rounding)."""
    out = np.asarray(scale_scores, dtype=float).copy()
    out[passes] = np.maximum(out[passes], scale_cut)
    below = scale_cut - unit if unit > 0 else np.nextafter(scale_cut, -np.inf)
    out[~passes] = np.minimum(out[~passes], below)
    return out


def conversion_table(params: ItemParameters, *, scale, raw_cut: float, scale_cut: float | None):
    """Raw -> true-score theta -> scale for every raw score of a form.

    Returns
    -------
    raw, theta, scale_scores, passes
    """
    max_score = int(np.sum(params.n_categories - 1))
    raw = np.arange(max_score + 1, dtype=float)
    c_sum = float(np.nansum(params.c))
    theta = np.full(raw.shape, np.nan)
    mid = (raw > c_sum + 1e-9) & (raw < max_score)
    if np.any(mid):
        theta[mid], _ = theta_for_true_score(params, raw[mid])
    lo, hi = _scale_bounds(scale)
    values = np.where(raw >= max_score, hi, lo)
    values = np.where(mid, _scale_values(scale, np.clip(theta, -6.0, 6.0)), values)
    passes = raw >= raw_cut - 1e-9
    if scale_cut is not None and math.isfinite(scale_cut):
        values = anchor_to_cut(
            values, passes, rounded_scale_cut(scale, scale_cut), scale_unit(scale)
        )
    return raw, theta, values, passes


def rounded_scale_cut(scale, scale_cut: float) -> float:
    if scale is None:
        return float(np.round(scale_cut, 2))
    return float(scale.convert((scale_cut - scale.intercept) / scale.slope))


def population(theta: np.ndarray | None, se: np.ndarray | None):
    """Quadrature nodes and weights of a normal population fitted to the candidates' EAPs
    (mean, and SD = sqrt(var(EAP) + mean(SE^2))); N(0, 1) without candidates."""
    mean, sd, words = 0.0, 1.0, "N(0, 1)"
    if theta is not None and se is not None:
        ok = np.isfinite(theta) & np.isfinite(se)
        if ok.sum() >= 2:
            mean = float(np.mean(theta[ok]))
            sd = float(np.sqrt(np.var(theta[ok]) + np.mean(se[ok] ** 2)))
            words = f"N({mean:.2f}, {sd:.2f}), fitted to the candidates' EAP estimates"
    nodes = np.linspace(mean - 6 * sd, mean + 6 * sd, 81)
    weights = np.exp(-0.5 * ((nodes - mean) / sd) ** 2)
    return nodes, weights, words


def form_conversions(
    forms: Mapping[str, ItemParameters],
    *,
    reference: str,
    cut: Any,
    pass_rule: str,
    raw_scores: Mapping[str, np.ndarray],
    theta: np.ndarray | None = None,
    theta_se: np.ndarray | None = None,
    passed: Mapping[str, np.ndarray] | None = None,
) -> dict[str, FormConversion]:
    """Conversion, equating to ``reference``, cut and distribution of every form.

    Parameters
    ----------
    forms
        Form id -> its scored items' parameters.
    reference
        The form every other is equated to.
    cut
        The :class:`~psychometrics.standard_setting.CutScoreResult`.
    pass_rule
        ``raw`` or ``theta`` (the spec's ``cut_score.pass_rule``).
    raw_scores
        Form id -> raw scores of its candidates (forms nobody took are absent).
    theta, theta_se
        Every candidate's EAP and its SE (for the observed-score equating population).
    passed
        Form id -> the decisions of its candidates (their pass rate; under the raw rule it is
        also computed from ``raw_scores`` when not given).
    """
    nodes, weights, words = population(theta, theta_se)
    scale = cut.scale
    scale_cut = float(cut.scale_cut) if scale is not None else float(cut.theta_cut)
    ref = forms[reference]
    out = {}
    for fid, p in forms.items():
        raw_cut = float(cut.raw_cuts[fid])
        if pass_rule == "theta":
            raw_cut = math.inf  # decisions come from theta; the table shows no raw cut
        raw, th, values, passes = conversion_table(
            p, scale=scale, raw_cut=raw_cut, scale_cut=scale_cut if pass_rule == "raw" else None
        )
        true_eq = true_score_equating(p, ref).equivalent_y
        obs = observed_score_equating(p, ref, theta=nodes, weights=weights)
        ref_cut = float(cut.raw_cuts_exact[reference])
        observed_cut = float(np.interp(ref_cut, obs.equivalent_y, obs.raw_x))
        scores = raw_scores.get(fid)
        n = rate = mean = sd = None
        freq = np.zeros(0, dtype=int)
        if scores is not None and len(scores):
            s = np.asarray(scores, dtype=float)
            freq = np.bincount(np.rint(s).astype(int), minlength=raw.size)
            n, mean, sd = int(s.size), float(s.mean()), float(s.std(ddof=1)) if s.size > 1 else 0.0
            if passed is not None and fid in passed:
                rate = float(np.mean(passed[fid]))
            elif pass_rule == "raw":
                rate = float(np.mean(s >= float(cut.raw_cuts[fid]) - 1e-9))
        out[fid] = FormConversion(
            form_id=fid,
            reference_form=reference,
            raw=raw,
            theta=th,
            scale=values,
            passes=passes,
            true_equivalent=true_eq,
            observed_equivalent=obs.equivalent_y,
            raw_cut=float(cut.raw_cuts[fid]),
            raw_cut_exact=float(cut.raw_cuts_exact[fid]),
            observed_cut=observed_cut,
            frequency=freq,
            n=n,
            pass_rate=rate,
            mean=mean,
            sd=sd,
            population=words,
        )
    return out


# --------------------------------------------------------------------------------------------
# candidates
# --------------------------------------------------------------------------------------------


def outcome_bands(
    params: ItemParameters,
    scores: np.ndarray,
    theta: np.ndarray,
    *,
    item_outcomes: tuple[str, ...],
    titles: Mapping[str, str],
    theta_cut: float,
) -> list[tuple[OutcomeBand, ...]]:
    """Per candidate (rows of ``scores``, item scores of one form), a band per outcome.

    The band is the outcome subscore ± one conditional SEM (the SD of the subscore given the
    candidate's theta under the model), as percents of the outcome's maximum; ``standard`` is the
    expected percent at the theta cut. Labels: ``below the standard`` when the whole band is
    below it, ``above the standard`` when it is above, otherwise ``near the standard``.
    """
    theta = np.asarray(theta, dtype=float)
    t = np.where(np.isfinite(theta), theta, 0.0)
    probs = category_probabilities(params, t)  # (n, items, cats)
    k = np.arange(probs.shape[2], dtype=float)
    mean_item = probs @ k
    var_item = probs @ (k**2) - mean_item**2
    at_cut = category_probabilities(params, np.array([theta_cut])) @ k  # (1, items)
    max_item = params.n_categories - 1
    outcomes = list(dict.fromkeys(item_outcomes))
    cols = np.asarray(item_outcomes)
    per = []
    for oid in outcomes:
        m = cols == oid
        top = int(max_item[m].sum())
        sub = np.nan_to_num(np.asarray(scores, dtype=float)[:, m]).sum(axis=1)
        sem = np.sqrt(var_item[:, m].sum(axis=1))
        std = 100.0 * float(at_cut[0, m].sum()) / top
        pct = 100.0 * sub / top
        low = np.clip(100.0 * (sub - sem) / top, 0, 100)
        high = np.clip(100.0 * (sub + sem) / top, 0, 100)
        label = np.where(
            high < std, "below the standard", np.where(low > std, "above the standard", "near")
        )
        label = np.where(label == "near", "near the standard", label)
        per.append((oid, top, sub, pct, low, high, std, label))
    rows = []
    for i in range(len(theta)):
        rows.append(
            tuple(
                OutcomeBand(
                    oid,
                    titles.get(oid, ""),
                    float(sub[i]),
                    top,
                    float(pct[i]),
                    float(lo[i]),
                    float(hi[i]),
                    std,
                    str(lab[i]),
                )  # fmt: skip
                for oid, top, sub, pct, lo, hi, std, lab in per
            )
        )
    return rows


def results_csv(results) -> str:
    """``results.csv``: :data:`RESULTS_COLUMNS`, one row per candidate."""
    buf = io.StringIO()
    w = safe_csv_writer(buf)
    w.writerow(RESULTS_COLUMNS)
    for r in results:
        w.writerow(
            [
                r.candidate_id,
                r.administration_id,
                r.form_id,
                r.attempt,
                f"{r.raw_score:g}",
                r.max_raw_score,
                f"{r.theta:.4f}" if math.isfinite(r.theta) else "",
                f"{r.theta_se:.4f}" if math.isfinite(r.theta_se) else "",
                f"{r.scale_score:g}",
                "true" if r.passed else "false",
                r.completed_on.isoformat() if r.completed_on else "",
            ]
        )
    return buf.getvalue()


def earlier_attempts(spec, administration_id: str, person_ids) -> np.ndarray:
    """How many earlier administrations of the spec (by window) each candidate appears in.

    Reads only the person-id column of the earlier administrations' response files.
    """
    admins = list(spec.administrations)
    here = next((k for k, a in enumerate(admins) if a.id == administration_id), None)
    if here is None:
        return np.zeros(len(person_ids), dtype=int)
    day = admins[here].start or admins[here].end
    counts: dict[str, int] = {}
    for k, a in enumerate(admins):
        when = a.start or a.end
        earlier = (when < day) if (when is not None and day is not None) else k < here
        if k == here or not earlier:
            continue
        for pid in _person_ids(Path(a.responses)):
            counts[pid] = counts.get(pid, 0) + 1
    return np.array([counts.get(p, 0) for p in person_ids], dtype=int)


def _person_ids(path: Path) -> set[str]:
    try:
        with open(path, newline="", encoding="utf-8-sig") as fh:
            rows = csv.reader(fh)
            header = next(rows, [])
            col = 0
            for name in ("person_id", "candidate_id"):
                if name in header:
                    col = header.index(name)
                    break
            return {row[col].strip() for row in rows if len(row) > col and row[col].strip()}
    except OSError:
        return set()
