"""The spec's ``cut_score`` block: run the named method and express the cut on every form and scale.

References
----------
Cizek, G. J., & Bunch, M. B. (2007). *Standard Setting: A Guide to Establishing and Evaluating
    Performance Standards on Tests*. Sage.
Hambleton, R. K., & Pitoniak, M. J. (2006). Setting performance standards. In R. L. Brennan
    (Ed.), *Educational Measurement* (4th ed., pp. 433-470). American Council on Education/Praeger.
"""

from __future__ import annotations

import math
import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np

from psychometrics.errors import InputError
from psychometrics.irt.models import METRIC, ItemParameters, test_characteristic_curve
from psychometrics.standard_setting._common import ToDict, check_choice
from psychometrics.standard_setting.angoff import angoff
from psychometrics.standard_setting.bookmark import bookmark
from psychometrics.standard_setting.compromise import beuk, beuk_from_judgments, hofstee
from psychometrics.standard_setting.conversion import (
    ROUNDING_RULES,
    ReportingScale,
    round_raw,
    theta_for_raw,
)
from psychometrics.standard_setting.examinee_centered import (
    borderline_group,
    borderline_regression,
    contrasting_groups,
)
from psychometrics.standard_setting.judgments import (
    PANEL_COLUMNS,
    mastery_from_labels,
    numeric_ratings,
    read_examinee_judgments,
    read_panel_judgments,
)
from psychometrics.standard_setting.ratings import Ratings, read_ratings

METHODS = (
    "angoff",
    "yes-no-angoff",
    "bookmark",
    "hofstee",
    "beuk",
    "contrasting-groups",
    "borderline-group",
    "borderline-regression",
)


@dataclass(frozen=True)
class CutScoreResult(ToDict):
    """A cut on every scale: theta, the raw score of each form, and the reporting scale.

    Attributes
    ----------
    method
        The standard-setting method (``"theta"`` when the theta cut was given directly).
    theta_cut
        The cut on the theta scale.
    theta_status
        ``"ok"`` or the status of inverting the reference form's TCC (see :class:`ThetaFromRaw`).
    reference_form
        The form on which the method's raw cut was set (and whose TCC gave ``theta_cut``).
    raw_cuts
        ``{form id: raw cut}``: ``TCC_form(theta_cut)`` rounded by ``rounding``; a candidate
        passes a form with a summed score >= its raw cut.
    raw_cuts_exact
        ``{form id: TCC_form(theta_cut)}`` unrounded.
    rounding
        The rounding rule of the raw cuts.
    scale_cut
        The cut on the reporting scale (NaN without a scale).
    scale
        The reporting scale, if any.
    detail
        The method's own result (Angoff, bookmark, Hofstee, ...), or None.
    metric
        The theta metric.
    """

    method: str
    theta_cut: float
    theta_status: str
    reference_form: str
    raw_cuts: dict[str, float]
    raw_cuts_exact: dict[str, float]
    rounding: str
    scale_cut: float
    scale: ReportingScale | None
    detail: Any
    metric: str = METRIC


def set_cut_score(
    method: str | None,
    *,
    forms: Mapping[str, ItemParameters],
    theta: float | None = None,
    ratings: Ratings | str | os.PathLike[str] | None = None,
    round: int | None = None,
    rp: float | None = None,
    hofstee_bounds: Mapping[str, float] | None = None,
    beuk_judgments: Mapping[str, Any] | None = None,
    scores=None,
    masters=None,
    examinee_ratings=None,
    borderline: float | str | None = None,
    units: str = "raw",
    scale: ReportingScale | Mapping[str, Any] | None = None,
    reference_form: str | None = None,
    rounding: str = "ceil",
) -> CutScoreResult:
    """Run the cut-score method a spec names and express the cut on every form and scale.

    Parameters
    ----------
    method
        One of :data:`METHODS`, or None when ``theta`` is given.
    forms
        ``{form id: ItemParameters of the form's items}``; at least one.
    theta
        A theta cut given directly (the spec's ``cut_score.theta``).
    ratings
        Angoff family: item ratings; bookmark: placements (:class:`Ratings` or a CSV path, see
        :func:`read_ratings`). Hofstee / Beuk: a panel judgments CSV (:func:`read_panel_judgments`;
        the panel means of ``min_cut, max_cut, min_fail, max_fail``, or each rater's
        ``cut, pass_rate``). Contrasting groups / borderline: an examinee judgments CSV
        ``person_id,score,rating`` (:func:`read_examinee_judgments`), which supplies ``scores``.
    round
        Round analysed (default: the last).
    rp
        Bookmark response probability (default 0.67).
    hofstee_bounds
        ``{min_cut, max_cut, min_fail, max_fail}`` (used when no ``ratings`` file is given).
    beuk_judgments
        ``{mean_cut, mean_pass_rate, sd_cut, sd_pass_rate}``, or ``{cuts: [...], pass_rates:
        [...]}``, or the spec's ``{min_cut, max_cut, min_fail, max_fail, expected_pass_rate}``:
        then the line passes through (midpoint of the cut range, expected pass rate) with slope
        ``(max_fail - min_fail) / (max_cut - min_cut)``, the ranges standing in for the SDs (only
        their ratio enters Beuk's line).
    scores
        Observed summed scores on the reference form (Hofstee, Beuk; contrasting groups and
        borderline methods when no ``ratings`` file is given).
    masters
        Mastery judgments per examinee (contrasting groups without a file).
    examinee_ratings
        Global ratings per examinee (borderline methods without a file).
    borderline
        The rating meaning "borderline" (default ``"borderline"`` for the group method).
    units
        ``"raw"``: cuts in raw-score points, rates as proportions; ``"percent"`` (the spec's
        convention): cuts in percent correct of the reference form's maximum score and rates in
        percent. Applies to the compromise methods' inputs.
    scale
        Reporting scale (``ReportingScale`` or ``{slope, intercept, round, min, max}``).
    reference_form
        Form on which a raw cut is set (default: for Angoff the first form whose items are all
        rated; otherwise the first form).
    rounding
        Rounding rule of the raw cuts (see :func:`round_raw`).

    Returns
    -------
    CutScoreResult

    Raises
    ------
    ValueError
        On an unknown method or missing inputs (naming the argument).
    InputError
        On problems in a ratings or judgments file (file, line, field).

    References
    ----------
    Cizek & Bunch (2007); Hambleton & Pitoniak (2006); Beuk (1984); Hofstee (1983).
    """
    if not forms:
        raise ValueError("forms: need at least one form")
    check_choice(rounding, "rounding", ROUNDING_RULES)
    if units not in ("raw", "percent"):
        raise ValueError(f"units: expected 'raw' or 'percent', got {units!r}")
    if scale is not None and not isinstance(scale, ReportingScale):
        scale = ReportingScale(**(dict(scale) if isinstance(scale, Mapping) else asdict(scale)))
    if method is None and theta is None:
        raise ValueError("method: give a method or a theta cut")
    if method is not None and method not in METHODS:
        raise ValueError(f"method: expected one of {', '.join(METHODS)}, got {method!r}")
    if reference_form is not None and reference_form not in forms:
        raise ValueError(f"reference_form: {reference_form!r} is not one of the forms")
    ref = reference_form or next(iter(forms))
    detail: Any = None
    status = "ok"
    if method is None:
        theta_cut = float(theta)  # type: ignore[arg-type]
        method = "theta"
    elif method in ("angoff", "yes-no-angoff", "bookmark"):
        kind = {"angoff": "angoff", "yes-no-angoff": "yes-no", "bookmark": "bookmark"}[method]
        r = _need(ratings, "ratings", method)
        if not isinstance(r, Ratings):
            r = read_ratings(r, kind=kind)
        if method == "bookmark":
            rp_ = 0.67 if rp is None else rp
            detail = bookmark(r, forms[ref], rp=rp_, round=round, rounding=rounding)
            theta_cut = detail.theta_cut
        else:
            if reference_form is None:
                rated = set(r.item_id)
                ref = next((f for f, p in forms.items() if set(p.item_ids) <= rated), ref)
            detail = angoff(r, forms[ref], round=round, yes_no=method == "yes-no-angoff")
            theta_cut, status = detail.theta_cut, detail.theta_status
    else:
        if method in ("hofstee", "beuk"):
            max_score = float(np.sum(forms[ref].max_scores))
            detail = _compromise(
                method,
                _need(scores, "scores", method),
                ratings,
                hofstee_bounds=hofstee_bounds,
                beuk_judgments=beuk_judgments,
                cut_unit=max_score / 100.0 if units == "percent" else 1.0,
                rate_unit=0.01 if units == "percent" else 1.0,
                rounding=rounding,
            )
        else:
            detail = _examinee_centered(
                method,
                ratings,
                scores=scores,
                masters=masters,
                examinee_ratings=examinee_ratings,
                borderline=borderline,
            )
        inv = theta_for_raw(forms[ref], detail.raw_cut)
        theta_cut, status = inv.theta, inv.status
    exact = {f: float(test_characteristic_curve(p, [theta_cut])[0]) for f, p in forms.items()}
    return CutScoreResult(
        method=method,
        theta_cut=float(theta_cut),
        theta_status=status,
        reference_form=ref,
        raw_cuts={f: round_raw(v, rounding) for f, v in exact.items()},
        raw_cuts_exact=exact,
        rounding=rounding,
        scale_cut=math.nan if scale is None else float(scale.convert(theta_cut)),
        scale=scale,
        detail=detail,
    )


def _need(value, name: str, method: str):
    """``value``; a ValueError naming argument ``name`` if it is None (``method`` needs it)."""
    if value is None:
        raise ValueError(f"{name}: required by method {method!r}")
    return value


def _need_keys(mapping: Mapping[str, Any], name: str, keys: tuple[str, ...]) -> None:
    """A ValueError naming argument ``name`` if ``mapping`` lacks any of ``keys``."""
    missing = [k for k in keys if k not in mapping]
    if missing:
        raise ValueError(f"{name}: missing {', '.join(missing)} (needs {', '.join(keys)})")


_BEUK_FORMS = (
    ("cuts", "pass_rates"),
    ("mean_cut", "mean_pass_rate", "sd_cut", "sd_pass_rate"),
    ("min_cut", "max_cut", "min_fail", "max_fail", "expected_pass_rate"),
)


def _compromise(
    method: str,
    s,
    ratings,
    *,
    hofstee_bounds,
    beuk_judgments,
    cut_unit: float,
    rate_unit: float,
    rounding: str,
):
    """Hofstee or Beuk from a panel judgments file or the spec's bounds, in raw units."""
    panel: dict[str, Any] = {}
    if ratings is not None:
        table = read_panel_judgments(ratings)
        panel = {k: v for k, v in table.columns.items() if k != "rater"}
    if method == "hofstee":
        if panel:
            missing = [k for k in PANEL_COLUMNS[:4] if k not in panel]
            if missing:
                raise InputError(
                    f"missing column '{missing[0]}'", file=ratings, line=1, field=missing[0]
                )
            bounds = {k: float(np.mean(panel[k])) for k in PANEL_COLUMNS[:4]}
        else:
            given = _need(hofstee_bounds, "hofstee_bounds", method)
            _need_keys(given, "hofstee_bounds", PANEL_COLUMNS[:4])
            bounds = {k: float(v) for k, v in given.items()}
        return hofstee(
            s,
            min_cut=bounds["min_cut"] * cut_unit,
            max_cut=bounds["max_cut"] * cut_unit,
            min_fail=bounds["min_fail"] * rate_unit,
            max_fail=bounds["max_fail"] * rate_unit,
            rounding=rounding,
        )
    j = (
        {"cuts": panel.get("cut"), "pass_rates": panel.get("pass_rate")}
        if panel
        else dict(_need(beuk_judgments, "beuk_judgments", method))
    )
    if panel and (j["cuts"] is None or j["pass_rates"] is None):
        raise InputError("Beuk judgments need columns 'cut' and 'pass_rate'", file=ratings, line=1)
    if not panel:
        form = next((f for f in _BEUK_FORMS if f[0] in j), _BEUK_FORMS[-1])
        _need_keys(j, "beuk_judgments", form)
    if "cuts" in j:
        return beuk_from_judgments(
            s,
            np.asarray(j["cuts"], dtype=float) * cut_unit,
            np.asarray(j["pass_rates"], dtype=float) * rate_unit,
            rounding=rounding,
        )
    if "mean_cut" in j:
        return beuk(
            s,
            mean_cut=float(j["mean_cut"]) * cut_unit,
            mean_pass_rate=float(j["mean_pass_rate"]) * rate_unit,
            sd_cut=float(j["sd_cut"]) * cut_unit,
            sd_pass_rate=float(j["sd_pass_rate"]) * rate_unit,
            rounding=rounding,
        )
    return beuk(
        s,
        mean_cut=(float(j["min_cut"]) + float(j["max_cut"])) / 2 * cut_unit,
        mean_pass_rate=float(j["expected_pass_rate"]) * rate_unit,
        sd_cut=(float(j["max_cut"]) - float(j["min_cut"])) * cut_unit,
        sd_pass_rate=(float(j["max_fail"]) - float(j["min_fail"])) * rate_unit,
        rounding=rounding,
    )


def _examinee_centered(
    method: str,
    ratings,
    *,
    scores,
    masters,
    examinee_ratings,
    borderline: float | str | None,
):
    """Contrasting groups or a borderline method, from a judgments file or from arrays."""
    if ratings is not None:
        table = read_examinee_judgments(ratings)
        s = table.columns["score"]
        if method == "contrasting-groups":
            masters = mastery_from_labels(table)
        else:
            labels = tuple(str(x).strip().lower() for x in table.columns["rating"])
            if method == "borderline-group" and (borderline is None or isinstance(borderline, str)):
                label = "borderline" if borderline is None else borderline.lower()
                examinee_ratings = np.array([x == label for x in labels], dtype=float)
                borderline = 1.0
            else:
                examinee_ratings = numeric_ratings(table)
    else:
        s = _need(scores, "scores", method)
    if method == "contrasting-groups":
        return contrasting_groups(s, _need(masters, "masters", method))
    fn = borderline_group if method == "borderline-group" else borderline_regression
    return fn(
        s,
        _need(examinee_ratings, "examinee_ratings", method),
        borderline=float(_need(borderline, "borderline", method)),
    )
