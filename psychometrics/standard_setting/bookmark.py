"""Bookmark cuts: the ordered item booklet by response probability and the panel's placements.

References
----------
Mitzel, H. C., Lewis, D. M., Patz, R. J., & Green, D. R. (2001). The bookmark procedure:
    Psychological perspectives. In G. J. Cizek (Ed.), *Setting Performance Standards* (pp.
    249-281). Erlbaum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import optimize

from psychometrics.errors import InputError
from psychometrics.irt.models import (
    METRIC,
    ItemParameters,
    category_probabilities,
    test_characteristic_curve,
)
from psychometrics.standard_setting._common import ToDict, se_of_mean, tcc_slope
from psychometrics.standard_setting.conversion import round_raw
from psychometrics.standard_setting.ratings import Ratings


@dataclass(frozen=True)
class OrderedItemBooklet(ToDict):
    """Pages of an ordered item booklet, easiest first.

    Attributes
    ----------
    item_ids
        Item on each page (a polytomous item has one page per score category k >= 1).
    categories
        Score category of the page (1 for a dichotomous item).
    locations
        Theta at which the page is answered with probability ``rp`` (reaching category k or
        higher for a polytomous item).
    rp
        Response probability criterion.
    """

    item_ids: tuple[str, ...]
    categories: tuple[int, ...]
    locations: tuple[float, ...]
    rp: float

    @property
    def n_pages(self) -> int:
        return len(self.item_ids)


def rp_location(params: ItemParameters, *, rp: float = 0.67) -> list[tuple[str, int, float]]:
    """Theta at which each item (category) is answered with probability ``rp``.

    Dichotomous: ``theta = b + ln((rp - c) / (1 - rp)) / a`` (c = 0 but for the 3PL). GRM category
    k: ``b_k + ln(rp / (1 - rp)) / a`` (``P(X >= k) = rp``). GPCM/PCM category k: the root of
    ``P(X >= k | theta) = rp``, found with Brent's method.

    Raises
    ------
    ValueError
        When ``rp`` is not in (0, 1) or not above an item's lower asymptote c.

    References
    ----------
    Mitzel, Lewis, Patz & Green (2001). Huynh, H. (2006). A clarification on the response
    probability criterion RP67 for standard settings based on bookmark and item mapping.
    *Educational Measurement: Issues and Practice*, 25(2), 19-20.
    """
    if not 0.0 < rp < 1.0:
        raise ValueError(f"rp: must be in (0, 1), got {rp}")
    out: list[tuple[str, int, float]] = []
    for j, item in enumerate(params.item_ids):  # loop over items
        model = params.model[j]
        a = float(params.a[j])
        if params.is_dichotomous[j]:
            c = float(params.c[j])
            if rp <= c:
                raise ValueError(
                    f"rp: {rp} is not above the lower asymptote c = {c:g} of item '{item}'"
                )
            out.append((item, 1, float(params.b[j, 0] + math.log((rp - c) / (1 - rp)) / a)))
        elif model == "grm":
            for k in range(int(params.n_categories[j]) - 1):
                out.append((item, k + 1, float(params.b[j, k] + math.log(rp / (1 - rp)) / a)))
        else:
            single = params.subset([item])
            for k in range(1, int(params.n_categories[j])):

                def f(t: float, _k: int = k, _item: ItemParameters = single) -> float:
                    return float(category_probabilities(_item, [t])[0, 0, _k:].sum()) - rp

                lo, hi = -20.0, 20.0
                out.append((item, k, float(optimize.brentq(f, lo, hi, xtol=1e-10))))
    return out


def ordered_item_booklet(params: ItemParameters, *, rp: float = 0.67) -> OrderedItemBooklet:
    """Order the items (categories) of a form by their RP location, easiest first (ties: by id)."""
    pages = sorted(rp_location(params, rp=rp), key=lambda p: (p[2], p[0], p[1]))
    return OrderedItemBooklet(
        item_ids=tuple(p[0] for p in pages),
        categories=tuple(p[1] for p in pages),
        locations=tuple(p[2] for p in pages),
        rp=float(rp),
    )


@dataclass(frozen=True)
class BookmarkResult(ToDict):
    """Bookmark cut.

    Attributes
    ----------
    method
        ``"bookmark"``.
    theta_cut
        Panel cut: the ``summary`` (median by default) of the rater theta cuts.
    theta_cut_median, theta_cut_mean
        Median and mean of the rater theta cuts.
    se_theta
        SD of the rater theta cuts / sqrt(raters).
    raw_cut
        The form's raw cut ``TCC(theta_cut)`` rounded by ``rounding``.
    raw_cut_exact
        ``TCC(theta_cut)`` unrounded.
    se_raw
        ``se_theta`` times the TCC slope at ``theta_cut`` (delta method).
    raters, pages, rater_theta_cuts
        Each rater's bookmarked page (1-based) and the theta of that page.
    median_page
        Median page.
    rp, summary, rounding, round
        Settings used.
    booklet
        The ordered item booklet.
    """

    method: str
    theta_cut: float
    theta_cut_median: float
    theta_cut_mean: float
    se_theta: float
    raw_cut: float
    raw_cut_exact: float
    se_raw: float
    raters: tuple[str, ...]
    pages: tuple[int, ...]
    rater_theta_cuts: tuple[float, ...]
    median_page: float
    rp: float
    summary: str
    rounding: str
    round: int
    booklet: OrderedItemBooklet
    metric: str = METRIC


def bookmark(
    placements: Ratings,
    params: ItemParameters,
    *,
    items: Sequence[str] | None = None,
    rp: float = 0.67,
    round: int | None = None,
    summary: str = "median",
    rounding: str = "ceil",
) -> BookmarkResult:
    """Bookmark cut from the raters' placements in the ordered item booklet.

    Each rater's theta cut is the RP location of the page they bookmarked (the last page a
    minimally qualified candidate masters with probability ``rp``). The panel cut is the median
    (or mean) of the rater cuts; its SE is SD / sqrt(raters).

    Parameters
    ----------
    placements
        One row per rater (and round): the 1-based page in ``rating`` or, if that is NaN, the
        bookmarked item in ``item_id`` (its first category page).
    params
        Item parameters containing the form's items.
    items
        The form's item ids (default: all of ``params``).
    rp
        Response probability criterion (0.67 by default).
    round
        Round analysed (default: the last).
    summary
        ``"median"`` or ``"mean"`` of the rater theta cuts.
    rounding
        Rounding rule for the raw cut (see :func:`round_raw`).

    References
    ----------
    Mitzel, Lewis, Patz & Green (2001). Cizek & Bunch (2007), ch. 10. Huynh (2006).
    """
    if summary not in ("median", "mean"):
        raise ValueError(f"summary: expected 'median' or 'mean', got {summary!r}")
    form = params.subset(tuple(params.item_ids if items is None else items))
    booklet = ordered_item_booklet(form, rp=rp)
    this = placements.select_round(round)
    first_page = {}
    for p, item in enumerate(booklet.item_ids, start=1):
        first_page.setdefault(item, p)
    raters, pages = [], []
    for rater, item, value, line in zip(
        this.rater, this.item_id, this.rating, this.line, strict=True
    ):
        if np.isnan(value):
            if item not in first_page:
                raise InputError(
                    f"bookmarked item '{item}' is not in the booklet",
                    file=placements.source,
                    line=int(line) or None,
                    field="item_id",
                )
            page = first_page[item]
        else:
            page = int(value)
            if not 1 <= page <= booklet.n_pages:
                raise InputError(
                    f"page {page} is outside the booklet (1..{booklet.n_pages})",
                    file=placements.source,
                    line=int(line) or None,
                    field="rating",
                )
            if item and booklet.item_ids[page - 1] != item:
                raise InputError(
                    f"page {page} holds item '{booklet.item_ids[page - 1]}', not '{item}'",
                    file=placements.source,
                    line=int(line) or None,
                    field="item_id",
                )
        if rater in raters:
            raise InputError(
                f"rater '{rater}' has two placements in one round",
                file=placements.source,
                line=int(line) or None,
                field="rater",
            )
        raters.append(rater)
        pages.append(page)
    thetas = np.array([booklet.locations[p - 1] for p in pages])
    median, mean = float(np.median(thetas)), float(thetas.mean())
    cut = median if summary == "median" else mean
    se_theta = se_of_mean(thetas)
    exact = float(test_characteristic_curve(form, [cut])[0])
    return BookmarkResult(
        method="bookmark",
        theta_cut=cut,
        theta_cut_median=median,
        theta_cut_mean=mean,
        se_theta=se_theta,
        raw_cut=round_raw(exact, rounding),
        raw_cut_exact=exact,
        se_raw=se_theta * tcc_slope(form, cut),
        raters=tuple(raters),
        pages=tuple(pages),
        rater_theta_cuts=tuple(float(t) for t in thetas),
        median_page=float(np.median(pages)),
        rp=float(rp),
        summary=summary,
        rounding=rounding,
        round=int(this.round[0]),
        booklet=booklet,
    )
