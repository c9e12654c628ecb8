"""Modified Angoff (probability ratings) and Yes/No Angoff cuts.

References
----------
Angoff, W. H. (1971). Scales, norms, and equivalent scores. In R. L. Thorndike (Ed.),
    *Educational Measurement* (2nd ed., pp. 508-600). American Council on Education.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from psychometrics.errors import InputError
from psychometrics.irt.models import METRIC, ItemParameters
from psychometrics.standard_setting._common import ToDict, se_of_mean, tcc_slope
from psychometrics.standard_setting.agreement import ICCResult, icc, panel_outliers
from psychometrics.standard_setting.conversion import THETA_BOUNDS, theta_for_raw
from psychometrics.standard_setting.ratings import Ratings, check_ratings_against


@dataclass(frozen=True)
class AngoffResult(ToDict):
    """Modified or Yes/No Angoff cut on one form.

    Attributes
    ----------
    method
        ``"angoff"`` or ``"yes-no-angoff"``.
    raw_cut
        Sum over the form's items of the panel's mean rating (= mean of the rater cuts); not
        rounded.
    theta_cut
        Theta at which the form's TCC equals ``raw_cut``.
    theta_status
        ``"ok"``, ``"below_floor"`` or ``"above_ceiling"`` (see :class:`ThetaFromRaw`).
    se_raw
        SD of the rater cuts (ddof = 1) / sqrt(number of raters).
    se_theta
        ``se_raw`` divided by the TCC slope at ``theta_cut`` (delta method).
    raters
        Rater ids, in order of ``rater_cuts``.
    rater_cuts, rater_theta_cuts
        Each rater's raw cut (sum of their ratings) and its theta.
    rater_flags
        True for a rater far from the panel by :func:`panel_outliers` (an absolute raw-point
        limit and a relative one).
    rater_deviations
        Each rater's cut minus the mean of the other raters' cuts (raw points).
    outlier_rule
        The rule used to flag raters, in words.
    item_ids, item_means
        The form's items and the panel's mean rating of each.
    icc
        Rater agreement across items: ICC(2,1) and ICC(2,k) (Shrout & Fleiss, 1979).
    round
        The round analysed.
    round_cuts
        ``{round: raw cut}`` for every round with complete ratings of the form.
    round_changes
        ``{round: raw cut change from the previous round}``.
    max_score
        Maximum summed score of the form.
    metric
        The theta metric.
    message
        Explanation of a non-ok theta status.
    """

    method: str
    raw_cut: float
    theta_cut: float
    theta_status: str
    se_raw: float
    se_theta: float
    raters: tuple[str, ...]
    rater_cuts: tuple[float, ...]
    rater_theta_cuts: tuple[float, ...]
    rater_flags: tuple[bool, ...]
    outlier_rule: str
    item_ids: tuple[str, ...]
    item_means: tuple[float, ...]
    icc: ICCResult
    round: int
    round_cuts: dict[int, float]
    round_changes: dict[int, float]
    max_score: float
    metric: str = METRIC
    message: str = ""
    rater_deviations: tuple[float, ...] = ()


def _rating_matrix(ratings: Ratings, params: ItemParameters, items: Sequence[str]):
    """Raters x items matrix of one round; InputError if a rater skipped a form item."""
    raters = tuple(dict.fromkeys(ratings.rater))
    col = {item: j for j, item in enumerate(items)}
    row = {r: i for i, r in enumerate(raters)}
    mat = np.full((len(raters), len(items)), np.nan)
    for rater, item, value, line in zip(
        ratings.rater, ratings.item_id, ratings.rating, ratings.line, strict=True
    ):
        j = col.get(item)
        if j is None:
            continue
        limit = float(params.max_scores[params.index(item)])
        if value > limit + 1e-12:
            raise InputError(
                f"rating {value:g} of item '{item}' exceeds its maximum score {limit:g}",
                file=ratings.source,
                line=int(line) or None,
                field="rating",
            )
        mat[row[rater], j] = value
    missing = np.argwhere(np.isnan(mat))
    if missing.size:
        i, j = missing[0]
        raise InputError(
            f"rater '{raters[i]}' has no rating for item '{items[j]}' "
            f"({len(missing)} missing rating(s) in all)",
            file=ratings.source,
            field="item_id",
        )
    return raters, mat


def angoff(
    ratings: Ratings,
    params: ItemParameters,
    *,
    items: Sequence[str] | None = None,
    round: int | None = None,
    yes_no: bool | None = None,
    outlier_z: float = 2.5,
    outlier_points: float | None = None,
    bounds: tuple[float, float] = THETA_BOUNDS,
) -> AngoffResult:
    """Modified Angoff (probability ratings) or Yes/No Angoff cut on one form.

    Parameters
    ----------
    ratings
        Panel ratings (:func:`read_ratings`). Ratings of items outside the form are ignored.
    params
        Item parameters containing the form's items.
    items
        The form's item ids (default: every item in ``params``).
    round
        Round analysed (default: the last).
    yes_no
        Label the result as Yes/No Angoff (default: from ``ratings.kind``). The arithmetic is the
        same: Yes/No ratings are 0/1 probabilities (Impara & Plake, 1997).
    outlier_z
        Relative limit of :func:`panel_outliers`: SDs of the other raters' cuts.
    outlier_points
        Absolute limit of :func:`panel_outliers` in raw points (default: 10 % of the form's
        maximum raw score).
    bounds
        Theta interval for inverting the TCC.

    Returns
    -------
    AngoffResult

    Raises
    ------
    InputError
        When a rater has no rating for a form item, or a rating exceeds the item's maximum score.

    References
    ----------
    Angoff, W. H. (1971), p. 515. Impara, J. C., & Plake, B. S. (1997). Standard setting: An
    alternative approach. *Journal of Educational Measurement*, 34(4), 353-366. Cizek & Bunch
    (2007), ch. 6. Hambleton & Pitoniak (2006). Shrout & Fleiss (1979).
    """
    if ratings.kind == "bookmark":
        raise ValueError("ratings: bookmark placements cannot be analysed by the Angoff method")
    items = tuple(params.item_ids if items is None else items)
    if not items:
        raise ValueError("items: the form has no items")
    missing = [i for i in items if i not in params]
    if missing:
        raise InputError(
            f"form items not in the parameters: {', '.join(missing[:5])}", field="item_id"
        )
    form = params.subset(items)
    rated_items = set(ratings.item_id)
    if not rated_items & set(items):
        raise InputError(
            "the ratings cover none of the form's items", file=ratings.source, field="item_id"
        )
    yes_no = ratings.kind == "yes-no" if yes_no is None else bool(yes_no)
    check_ratings_against(ratings, params)  # every round, not only the analysed one
    this = ratings.select_round(round)
    raters, mat = _rating_matrix(this, form, items)
    rater_cuts = mat.sum(axis=1)
    raw_cut = float(mat.mean(axis=0).sum())
    inv = theta_for_raw(form, raw_cut, bounds=bounds)
    se_raw = se_of_mean(rater_cuts)
    slope = tcc_slope(form, inv.theta)
    se_theta = se_raw / slope if inv.status == "ok" and slope > 0 else math.nan
    rater_thetas = tuple(theta_for_raw(form, rc, bounds=bounds).theta for rc in rater_cuts)
    round_cuts: dict[int, float] = {}
    for r in ratings.rounds:
        try:
            _, m = _rating_matrix(ratings.select_round(r), form, items)
        except InputError as exc:  # an incomplete earlier round is left out, with a warning
            warnings.warn(f"round {r} is left out of the round table: {exc}", stacklevel=2)
            continue
        round_cuts[r] = float(m.mean(axis=0).sum())
    max_score = float(np.sum(form.max_scores))
    deviations, flags, rule = panel_outliers(
        rater_cuts, max_score=max_score, points=outlier_points, z=outlier_z
    )
    ordered = sorted(round_cuts)
    changes = {r: round_cuts[r] - round_cuts[p] for p, r in zip(ordered, ordered[1:], strict=False)}
    return AngoffResult(
        method="yes-no-angoff" if yes_no else "angoff",
        raw_cut=raw_cut,
        theta_cut=inv.theta,
        theta_status=inv.status,
        se_raw=se_raw,
        se_theta=float(se_theta),
        raters=raters,
        rater_cuts=tuple(float(x) for x in rater_cuts),
        rater_theta_cuts=rater_thetas,
        rater_flags=tuple(bool(f) for f in flags),
        rater_deviations=tuple(float(d) for d in deviations),
        outlier_rule=rule,
        item_ids=items,
        item_means=tuple(float(x) for x in mat.mean(axis=0)),
        icc=icc(mat.T),
        round=int(this.round[0]),
        round_cuts=round_cuts,
        round_changes=changes,
        max_score=max_score,
        message=inv.message,
    )
