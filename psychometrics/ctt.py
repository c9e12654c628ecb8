"""Classical item and test analysis (CTT).

:func:`item_analysis` turns a scored :class:`~psychometrics.responses.ResponseMatrix` into per-item
statistics (difficulty, corrected point-biserial, biserial, omit rate, alpha if item deleted,
distractor analysis) and per-test statistics (mean, SD, Cronbach's alpha / KR-20, SEM, stratified
alpha, score distribution), with flags against stated, configurable :class:`Thresholds`.

Missing data rule (available case)
    A *not presented* cell (:data:`~psychometrics.responses.NOT_PRESENTED`) is left out: the
    total score of a person is the sum of the scores of the items presented to them; every item
    statistic is computed over the persons the item was presented to; every item covariance
    (used by alpha, alpha if item deleted and stratified alpha) over the persons presented *both*
    items (pairwise deletion). With complete data these are the ordinary formulas. *Omitted* cells
    (presented, unanswered) are scored 0 by the reader unless asked otherwise and count as
    presented. Persons with no presented item are left out of everything.

    With several forms in one file (blank cells for the items a person did not see), totals of
    different forms are not on one scale: analyse each form separately (``forms`` in the
    response matrix, or one file per form) for publishable figures.

Score groups of the distractor analysis
    Persons are ranked on the total score; the *low* group are those whose mid-rank percentile is
    at most ``Thresholds.group_fraction`` (27 % by default, Kelley 1939), the *high* group those
    above ``1 - group_fraction``, the *middle* group the rest. Tied scores always fall in the same
    group, so the groups can be somewhat larger or smaller than 27 %.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from typing import Any, TypeVar

import numpy as np

from psychometrics.responses import NOT_PRESENTED, ItemKey, ResponseMatrix

__all__ = [
    "ItemAnalysis",
    "ItemStats",
    "OptionStats",
    "StratumStats",
    "TestStats",
    "Thresholds",
    "alpha_if_deleted",
    "cronbach_alpha",
    "form_analysis",
    "item_analysis",
    "pairwise_covariance",
    "stratified_alpha",
]


_F = TypeVar("_F", bound=Callable[..., Any])


def _one_blas_thread(func: _F) -> _F:
    """Run ``func`` with BLAS on one thread: its matrix products are chunk-sized (a few hundred
    persons x items), where a second thread costs more in synchronisation than it saves, and
    many times more on a busy machine (measured: 3.9 ms against 86 ms for one chunk's three
    products at a load of 9 on 2 cores). See :mod:`psychometrics.irt.threads`."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from threadpoolctl import threadpool_limits

        with threadpool_limits(limits=1, user_api="blas"):
            return func(*args, **kwargs)

    return wrapper  # type: ignore[return-value]


@dataclass(frozen=True)
class Thresholds:
    """Flagging rules of the item analysis (every bound is inclusive of the "good" side).

    Attributes
    ----------
    p_low, p_high
        An item is flagged ``hard`` when ``p < p_low`` and ``easy`` when ``p > p_high``
        (defaults .20 and .95).
    rpbis_min
        Flag ``low_rpbis`` when the corrected (item-rest) point-biserial is below this (.15).
    omit_max
        Flag ``high_omit`` when the omit rate exceeds this (.10).
    distractor_rpbis_max
        Flag ``positive_distractor:X`` when distractor X's point-biserial with the rest score
        exceeds this (0.0), provided at least ``distractor_min_n`` persons chose it.
    distractor_min_n
        Minimum number of persons choosing a distractor before it can be flagged (5).
    min_n
        Flag ``small_n`` when fewer persons than this saw the item (30); statistics are still
        reported.
    group_fraction
        Share of persons in the low and in the high score group of the distractor analysis
        (.27, Kelley 1939).

    A distractor whose point-biserial is positive and larger than the key's is flagged
    ``possible_miskey:X``; an item with no score variance is flagged ``no_variance``.
    """

    p_low: float = 0.20
    p_high: float = 0.95
    rpbis_min: float = 0.15
    omit_max: float = 0.10
    distractor_rpbis_max: float = 0.0
    distractor_min_n: int = 5
    min_n: int = 30
    group_fraction: float = 0.27

    def __post_init__(self) -> None:
        if not 0.0 <= self.p_low <= self.p_high <= 1.0:
            raise ValueError("thresholds: need 0 <= p_low <= p_high <= 1")
        if not 0.0 < self.group_fraction <= 0.5:
            raise ValueError("thresholds: group_fraction must be in (0, 0.5]")
        if self.min_n < 0 or self.distractor_min_n < 0:
            raise ValueError("thresholds: min_n and distractor_min_n must be >= 0")

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class OptionStats:
    """One response option of a keyed item (or the omit code).

    Attributes
    ----------
    option
        The option letter, or ``"omit"``.
    is_key
        True for the keyed option(s).
    n
        Persons (among those presented the item) who chose it.
    share, share_low, share_middle, share_high
        Proportion choosing it overall and in the low / middle / high total-score groups.
    rpbis
        Point-biserial of "chose this option" with the rest score (total minus the item score);
        NaN when undefined (nobody or everybody chose it).
    """

    option: str
    is_key: bool
    n: int
    share: float
    share_low: float
    share_middle: float
    share_high: float
    rpbis: float


@dataclass(frozen=True)
class ItemStats:
    """Classical statistics of one item.

    Attributes
    ----------
    item_id
        The item.
    n
        Persons the item was presented to (omits included).
    mean
        Mean item score.
    max_score
        Maximum possible score (1 for dichotomous items).
    p
        Difficulty: ``mean / max_score`` (proportion correct for 0/1 items).
    rpbis
        Corrected item-total correlation: Pearson correlation of the item score with the rest
        score (point-biserial for 0/1 items, item-rest Pearson for polytomous items).
    biserial
        Biserial correlation derived from ``rpbis`` (0/1 items only; NaN otherwise).
    omit_rate
        Share of the persons presented the item who omitted it.
    alpha_if_deleted
        Cronbach's alpha of the test without this item.
    options
        Distractor analysis (keyed items with raw letters only; empty otherwise).
    flags
        Flag codes, see :class:`Thresholds`.
    """

    item_id: str
    n: int
    mean: float
    max_score: int
    p: float
    rpbis: float
    biserial: float
    omit_rate: float
    alpha_if_deleted: float
    options: tuple[OptionStats, ...]
    flags: tuple[str, ...]


@dataclass(frozen=True)
class StratumStats:
    """One stratum (outcome) of the stratified alpha.

    Attributes
    ----------
    stratum
        Stratum label (outcome id).
    n_items
        Items in the stratum.
    variance
        Variance of the stratum's sum score (sum of its covariance block).
    alpha
        Cronbach's alpha within the stratum; NaN for a one-item stratum, which then enters the
        stratified alpha with reliability 0 (a conservative choice).
    """

    stratum: str
    n_items: int
    variance: float
    alpha: float


@dataclass(frozen=True)
class TestStats:
    """Classical statistics of the whole test (form).

    Attributes
    ----------
    n_persons, n_items
        Persons with at least one presented item; items analysed.
    mean, sd, min, max
        Of the total scores (SD with ``ddof=1``).
    max_possible
        Sum of the items' maximum scores.
    alpha
        Cronbach's alpha (equal to KR-20 for 0/1 items) from the (pairwise) covariance matrix
        of the items seen by at least two persons; NaN when some pair of items was never
        presented together (analyse such forms separately).
    sem
        Standard error of measurement ``sd * sqrt(1 - alpha)`` (NaN when alpha < 0 or undefined).
    stratified_alpha
        Stratified alpha over the strata (outcomes), NaN if no strata were given.
    strata
        Per-stratum figures.
    score_distribution
        ``score_distribution[s]`` = number of persons with total score ``s`` (0..max_possible).
    complete
        True when every person was presented every item.
    """

    n_persons: int
    n_items: int
    mean: float
    sd: float
    min: float
    max: float
    max_possible: int
    alpha: float
    sem: float
    stratified_alpha: float
    strata: tuple[StratumStats, ...]
    score_distribution: tuple[int, ...]
    complete: bool


@dataclass(frozen=True)
class ItemAnalysis:
    """Result of :func:`item_analysis`.

    Attributes
    ----------
    items
        Per-item statistics in the order of the response matrix.
    test
        Test-level statistics.
    thresholds
        The flagging rules used.
    missing_rule, group_rule
        The missing-data rule and the score-group split, in words.
    """

    items: tuple[ItemStats, ...]
    test: TestStats
    thresholds: Thresholds
    missing_rule: str
    group_rule: str

    def item(self, item_id: str) -> ItemStats:
        """The statistics of one item by id."""
        for it in self.items:
            if it.item_id == item_id:
                return it
        raise KeyError(item_id)

    def flagged(self) -> tuple[ItemStats, ...]:
        """Items with at least one flag."""
        return tuple(it for it in self.items if it.flags)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


MISSING_RULE = (
    "available case: not-presented cells are left out; item statistics use the persons presented "
    "the item, covariances the persons presented both items; omits count as presented"
)


# --------------------------------------------------------------------------------------------
# array-level building blocks


CHUNK_CELLS = 1 << 16
"""Cells (persons x items) processed at a time by :func:`item_analysis`: each float64 work array
of a chunk is 512 KB (small enough to stay in cache, which is also faster than larger chunks),
so beyond the response matrix the analysis needs a few MB plus about 40 bytes per person."""


def _as_scores(scores: np.ndarray | ResponseMatrix, name: str = "scores") -> np.ndarray:
    if isinstance(scores, ResponseMatrix):
        arr = scores.scores.astype(float)
        arr[~scores.presented] = np.nan
        return arr
    arr = np.array(scores, dtype=float)
    if arr.ndim != 2:
        raise ValueError(f"{name} must be 2-D (persons x items), got shape {arr.shape}")
    arr[arr == NOT_PRESENTED] = np.nan
    return arr


def _cov_from_sums(n: np.ndarray, sx: np.ndarray, sxy: np.ndarray) -> np.ndarray:
    """Pairwise-deletion covariance from ``n = M'M``, ``sx = X'M``, ``sxy = X'X`` (X zero where
    not presented, M the presented mask)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        cov = (sxy - sx * sx.T / n) / (n - 1)
    cov[n < 2] = np.nan
    return cov


@_one_blas_thread
def pairwise_covariance(scores: np.ndarray | ResponseMatrix) -> np.ndarray:
    """Item covariance matrix with pairwise deletion of missing cells.

    Parameters
    ----------
    scores
        ``(n_persons, n_items)`` scores; NaN or -1 = not presented (or a ResponseMatrix, read in
        chunks of persons).

    Returns
    -------
    ndarray
        ``(n_items, n_items)``; entry ``(j, k)`` is the ``ddof=1`` covariance over the persons
        presented both items (NaN when fewer than two). With complete data equals ``np.cov``.
    """
    if isinstance(scores, ResponseMatrix):
        sums = _Sums(scores.n_items)
        for block in _blocks(scores, None, _chunk_rows(scores.n_items, None)):
            sums.add(block.x, block.w)
        return _cov_from_sums(sums.n, sums.sx, sums.sxy)
    x = _as_scores(scores)
    m = (~np.isnan(x)).astype(float)
    x0 = np.where(m > 0, x, 0.0)
    return _cov_from_sums(m.T @ m, x0.T @ m, x0.T @ x0)


def _alpha_from_cov(cov: np.ndarray) -> float:
    k = cov.shape[0]
    if k < 2:
        return math.nan
    total = cov.sum()
    if not np.isfinite(total) or total <= 0:
        return math.nan
    return float(k / (k - 1) * (1.0 - np.trace(cov) / total))


def cronbach_alpha(scores: np.ndarray | ResponseMatrix) -> float:
    """Cronbach's alpha (KR-20 for 0/1 items).

    ``alpha = k / (k - 1) * (1 - sum_j var_j / sum_jk cov_jk)`` with the pairwise covariance
    matrix of :func:`pairwise_covariance` (the usual formula with complete data).

    References
    ----------
    Cronbach, L. J. (1951). Coefficient alpha and the internal structure of tests.
    *Psychometrika*, 16, 297-334. Kuder, G. F., & Richardson, M. W. (1937). The theory of the
    estimation of test reliability. *Psychometrika*, 2, 151-160.
    """
    return _alpha_from_cov(pairwise_covariance(scores))


def alpha_if_deleted(scores: np.ndarray | ResponseMatrix) -> np.ndarray:
    """Alpha of the test with each item removed in turn (vectorized over items).

    With ``S = sum(cov)`` and ``T = trace(cov)``, removing item j leaves
    ``S_j = S - 2 sum_k cov_jk + var_j`` and ``T_j = T - var_j``, so
    ``alpha_j = (k - 1) / (k - 2) * (1 - T_j / S_j)``. NaN when fewer than three items.
    """
    cov = pairwise_covariance(scores)
    return _alpha_if_deleted_cov(cov)


def _alpha_if_deleted_cov(cov: np.ndarray) -> np.ndarray:
    k = cov.shape[0]
    if k < 3 or not np.all(np.isfinite(cov)):
        return np.full(k, np.nan)
    c = cov
    var = np.diag(c)
    s_j = c.sum() - 2.0 * c.sum(axis=1) + var
    t_j = np.trace(c) - var
    with np.errstate(invalid="ignore", divide="ignore"):
        out = (k - 1) / (k - 2) * (1.0 - t_j / s_j)
    out[s_j <= 0] = np.nan
    return out


def stratified_alpha(
    scores: np.ndarray | ResponseMatrix, strata: Sequence[str]
) -> tuple[float, tuple[StratumStats, ...]]:
    """Stratified coefficient alpha.

    ``alpha_strat = 1 - sum_s var_s (1 - alpha_s) / var_total`` where ``var_s`` is the variance
    of stratum s's sum score and ``alpha_s`` its alpha. A one-item stratum has undefined alpha
    and enters with reliability 0 (so the result is a lower bound).

    Parameters
    ----------
    scores
        ``(n_persons, n_items)`` scores (NaN or -1 = not presented) or a ResponseMatrix.
    strata
        Stratum label (e.g. outcome id) of each item.

    References
    ----------
    Cronbach, L. J., Schoenemann, P., & McKie, D. (1965). Alpha coefficients for stratified-parallel
    tests. *Educational and Psychological Measurement*, 25, 291-312.
    """
    cov = pairwise_covariance(scores)
    labels = np.asarray(list(strata), dtype=str)
    if labels.shape != (cov.shape[0],):
        raise ValueError(f"strata must have one label per item ({cov.shape[0]}), got {len(labels)}")
    return _stratified_from_cov(cov, labels)


def _stratified_from_cov(cov, labels):
    c = cov
    total = c.sum() if np.all(np.isfinite(c)) else math.nan
    out = []
    error = 0.0
    for label in dict.fromkeys(labels.tolist()):
        idx = np.flatnonzero(labels == label)
        block = c[np.ix_(idx, idx)]
        var_s = float(block.sum())
        a_s = _alpha_from_cov(block) if idx.size >= 2 else math.nan
        error += var_s * (1.0 - (a_s if np.isfinite(a_s) else 0.0))
        out.append(StratumStats(stratum=label, n_items=int(idx.size), variance=var_s, alpha=a_s))
    value = 1.0 - error / total if np.isfinite(total) and total > 0 else math.nan
    return float(value), tuple(out)


@dataclass(frozen=True)
class _Block:
    """One chunk of persons: its place among the analysed persons and its score arrays."""

    start: int
    stop: int
    index: slice | np.ndarray  # rows of the response matrix
    pres: np.ndarray  # presented mask
    x: np.ndarray  # float scores, 0 where not presented
    w: np.ndarray  # presented mask as float


def _chunk_rows(n_items: int, chunk_size: int | None) -> int:
    if chunk_size is None:
        return max(1, CHUNK_CELLS // max(n_items, 1))
    if isinstance(chunk_size, bool) or not isinstance(chunk_size, int | np.integer):
        raise TypeError(f"chunk_size must be a positive integer, got {chunk_size!r}")
    if chunk_size < 1:
        raise ValueError(f"chunk_size must be a positive integer, got {chunk_size}")
    return int(chunk_size)


def _active_rows(rm: ResponseMatrix, chunk: int) -> np.ndarray | None:
    """Indices of the persons with a presented item (None when that is everybody)."""
    active = np.empty(rm.n_persons, dtype=bool)
    for start in range(0, rm.n_persons, chunk):
        block = rm.scores[start : start + chunk]
        active[start : start + chunk] = (block != NOT_PRESENTED).any(axis=1)
    return None if active.all() else np.flatnonzero(active)


def _blocks(rm: ResponseMatrix, rows: np.ndarray | None, chunk: int):
    """The persons (all, or ``rows``) in chunks of ``chunk``."""
    n = rm.n_persons if rows is None else rows.size
    for start in range(0, n, chunk):
        stop = min(start + chunk, n)
        index = slice(start, stop) if rows is None else rows[start:stop]
        pres = rm.scores[index] != NOT_PRESENTED
        x = np.where(pres, rm.scores[index], 0).astype(float)
        yield _Block(start, stop, index, pres, x, pres.astype(float))


class _Sums:
    """Pairwise-deletion sums ``M'M``, ``X'M``, ``X'X`` accumulated over chunks (integer scores
    give exact sums, so the order of the chunks does not matter)."""

    def __init__(self, n_items: int) -> None:
        self.n = np.zeros((n_items, n_items))
        self.sx = np.zeros((n_items, n_items))
        self.sxy = np.zeros((n_items, n_items))

    def add(self, x: np.ndarray, w: np.ndarray) -> None:
        self.n += w.T @ w
        self.sx += x.T @ w
        self.sxy += x.T @ x


def _biserial(rpbis: np.ndarray, p: np.ndarray) -> np.ndarray:
    """Biserial from point-biserial: ``r_bis = r_pb * sqrt(p q) / phi(z_p)``.

    References
    ----------
    Lord, F. M., & Novick, M. R. (1968). *Statistical theories of mental test scores*, sec. 15.3.
    """
    from scipy import stats

    with np.errstate(invalid="ignore", divide="ignore"):
        z = stats.norm.ppf(p)
        return rpbis * np.sqrt(p * (1 - p)) / stats.norm.pdf(z)


def _parse_choice(value: str) -> frozenset[str]:
    if ";" in value or "," in value or " " in value:
        parts = value.replace(",", ";").replace(" ", ";").split(";")
        return frozenset(p.strip().upper() for p in parts if p.strip())
    return frozenset(value.upper())


# --------------------------------------------------------------------------------------------
# the analysis


@_one_blas_thread
def item_analysis(
    responses: ResponseMatrix,
    *,
    key: Mapping[str, ItemKey] | None = None,
    outcomes: Mapping[str, str] | None = None,
    max_scores: Mapping[str, int] | None = None,
    thresholds: Thresholds | None = None,
    omit_code: str = "*",
    chunk_size: int | None = None,
) -> ItemAnalysis:
    """Classical item and test analysis of scored responses.

    Parameters
    ----------
    responses
        Scored responses (:func:`~psychometrics.responses.read_responses`). Raw letters in
        ``responses.raw`` feed the distractor analysis.
    key
        Item id -> :class:`ItemKey`; gives the options of keyed items (distractor analysis) and the
        maximum score of polytomous items.
    outcomes
        Item id -> outcome (stratum) for the stratified alpha; items missing from it form the
        stratum ``"unassigned"``. Without it the stratified alpha is NaN.
    max_scores
        Item id -> maximum possible score, overriding the key; otherwise the key's ``max_score``,
        1 for keyed items, else the highest observed score (at least 1).
    thresholds
        Flagging rules (defaults of :class:`Thresholds`).
    omit_code
        The omit code of the raw cells (shown as the ``"omit"`` row of the distractor table).
    chunk_size
        Persons processed at a time (default: :data:`CHUNK_CELLS` cells' worth). Every statistic
        is accumulated over chunks (sums, item cross-products, per-option tallies), so the
        memory needed beyond the response matrix is a few arrays of one chunk, one value per
        person (total score, score group) and ``n_items x n_items`` sums; the results do not
        depend on it beyond floating-point rounding.

    Returns
    -------
    ItemAnalysis

    Notes
    -----
    Corrected point-biserial: Pearson correlation between the item score and the rest score
    (total minus the item), so the item does not correlate with itself (Henrysson 1963). The
    biserial uses the normal-ogive relation to the point-biserial (Lord & Novick 1968, 15.3).
    Alpha, alpha-if-deleted and stratified alpha: see :func:`cronbach_alpha`,
    :func:`alpha_if_deleted`, :func:`stratified_alpha`. SEM = SD * sqrt(1 - alpha)
    (Lord & Novick 1968, 3.8).

    References
    ----------
    Henrysson, S. (1963). Correction of item-total correlations in item analysis.
    *Psychometrika*, 28, 211-218. Kelley, T. L. (1939). The selection of upper and lower groups for
    the validation of test items. *Journal of Educational Psychology*, 30, 17-24.
    """
    if not isinstance(responses, ResponseMatrix):
        raise TypeError("responses must be a ResponseMatrix (see responses.from_array)")
    th = thresholds if thresholds is not None else Thresholds()
    if not isinstance(th, Thresholds):
        raise TypeError("thresholds must be a Thresholds instance")
    key = dict(key or {})
    max_scores = dict(max_scores or {})
    n_items = responses.n_items
    chunk = _chunk_rows(n_items, chunk_size)

    rows = _active_rows(responses, chunk)
    n_persons = responses.n_persons if rows is None else int(rows.size)

    # pass 1: totals, item sums and the item cross-products (all exact integer sums)
    total = np.empty(n_persons)
    n_item = np.zeros(n_items, dtype=np.int64)
    sum_x = np.zeros(n_items)
    sum_total = np.zeros(n_items)
    n_omit = np.zeros(n_items, dtype=np.int64)
    n_seen = np.zeros(n_items, dtype=np.int64)
    lowest = np.full(n_items, np.inf)
    highest = np.full(n_items, -np.inf)
    complete = True
    sums = _Sums(n_items)
    for b in _blocks(responses, rows, chunk):
        t = b.x.sum(axis=1)
        total[b.start : b.stop] = t
        n_item += b.pres.sum(axis=0)
        sum_x += b.x.sum(axis=0)
        sum_total += t @ b.w
        omitted = responses.omitted[b.index]
        n_omit += omitted.sum(axis=0)
        n_seen += (b.pres | omitted).sum(axis=0)
        lowest = np.minimum(lowest, np.where(b.pres, b.x, np.inf).min(axis=0))
        highest = np.maximum(highest, np.where(b.pres, b.x, -np.inf).max(axis=0))
        complete = complete and bool(b.pres.all())
        sums.add(b.x, b.w)

    maxes = np.empty(n_items, dtype=int)
    for j, item in enumerate(responses.item_ids):
        k = key.get(item)
        if item in max_scores:
            maxes[j] = int(max_scores[item])
        elif k is not None and k.is_keyed:
            maxes[j] = 1
        elif k is not None and k.max_score is not None:
            maxes[j] = k.max_score
        else:
            maxes[j] = max(int(max(highest[j], 0.0)), 1)

    with np.errstate(invalid="ignore", divide="ignore"):
        mean = sum_x / n_item
        mean_rest = (sum_total - sum_x) / n_item
        omit_rate = n_omit / n_seen
    p = mean / maxes

    # items seen by fewer than two persons have no variance estimate: left out of the
    # reliability figures (their alpha_if_deleted is NaN)
    cov_all = _cov_from_sums(sums.n, sums.sx, sums.sxy)
    usable = np.isfinite(np.diag(cov_all))
    cov = cov_all[np.ix_(usable, usable)]
    alpha = _alpha_from_cov(cov)
    aid = np.full(n_items, np.nan)
    aid[usable] = _alpha_if_deleted_cov(cov)

    # scipy is imported on use: ``credkit analyze`` reads the responses (its memory peak) before
    # the library's ~60 MB of code are loaded
    from scipy import stats

    ranks = stats.rankdata(total, method="average") / max(n_persons, 1)
    low = ranks <= th.group_fraction
    high = ranks > 1.0 - th.group_fraction
    del ranks
    mid = ~(low | high)

    # pass 2: centred item-rest cross-products and the option tallies of keyed items
    with_options = [
        j
        for j, item in enumerate(responses.item_ids)
        if responses.raw is not None
        and (k := key.get(item)) is not None
        and k.is_keyed
        and k.options
    ]
    tallies: dict[int, dict[str, np.ndarray]] = {j: {} for j in with_options}
    sxy = np.zeros(n_items)
    sxx = np.zeros(n_items)
    syy = np.zeros(n_items)
    for b in _blocks(responses, rows, chunk):
        t = total[b.start : b.stop]
        with np.errstate(invalid="ignore"):
            dx = (b.x - mean) * b.w
            dy = (t[:, None] - b.x - mean_rest) * b.w
        sxy += (dx * dy).sum(axis=0)
        sxx += (dx * dx).sum(axis=0)
        syy += (dy * dy).sum(axis=0)
        if with_options:
            raw = responses.raw[b.index]
            groups = (low[b.start : b.stop], mid[b.start : b.stop], high[b.start : b.stop])
            for j in with_options:
                _tally(tallies[j], raw[:, j], b.pres[:, j], dy[:, j], groups)
    with np.errstate(invalid="ignore", divide="ignore"):
        rpbis = sxy / np.sqrt(sxx * syy)
    rpbis[(sxx <= 1e-12) | (syy <= 1e-12) | (n_item < 2)] = np.nan
    biserial = np.where(maxes == 1, _biserial(rpbis, p), np.nan)

    items = []
    for j, item in enumerate(responses.item_ids):
        options: tuple[OptionStats, ...] = ()
        if j in tallies:
            options = _options(tallies[j], key[item], omit_code, int(n_item[j]), float(syy[j]))
        flags = _flags(
            n=int(n_item[j]),
            p=float(p[j]),
            rpbis=float(rpbis[j]),
            omit_rate=float(omit_rate[j]),
            constant=bool(n_item[j] == 0 or lowest[j] == highest[j]),
            options=options,
            th=th,
        )
        items.append(
            ItemStats(
                item_id=item,
                n=int(n_item[j]),
                mean=float(mean[j]),
                max_score=int(maxes[j]),
                p=float(p[j]),
                rpbis=float(rpbis[j]),
                biserial=float(biserial[j]),
                omit_rate=float(omit_rate[j]),
                alpha_if_deleted=float(aid[j]),
                options=options,
                flags=flags,
            )
        )

    if outcomes is not None:
        labels = np.array([outcomes.get(i, "unassigned") for i in responses.item_ids], dtype=str)
        strat, strata = _stratified_from_cov(cov, labels[usable])
    else:
        strat, strata = math.nan, ()
    sd = float(total.std(ddof=1)) if n_persons > 1 else math.nan
    sem = sd * math.sqrt(1.0 - alpha) if np.isfinite(alpha) and 0.0 <= alpha <= 1.0 else math.nan
    max_possible = int(maxes.sum())
    dist = np.bincount(total.astype(int), minlength=max_possible + 1)
    test = TestStats(
        n_persons=int(n_persons),
        n_items=int(n_items),
        mean=float(total.mean()) if n_persons else math.nan,
        sd=sd,
        min=float(total.min()) if n_persons else math.nan,
        max=float(total.max()) if n_persons else math.nan,
        max_possible=max_possible,
        alpha=alpha,
        sem=sem,
        stratified_alpha=strat,
        strata=strata,
        score_distribution=tuple(int(c) for c in dist),
        complete=complete,
    )
    f = th.group_fraction
    group_rule = (
        f"total-score groups by mid-rank percentile: low <= {f:.0%}, high > {1 - f:.0%}, "
        "middle the rest (ties stay together)"
    )
    return ItemAnalysis(
        items=tuple(items),
        test=test,
        thresholds=th,
        missing_rule=MISSING_RULE,
        group_rule=group_rule,
    )


def form_analysis(
    responses: ResponseMatrix,
    *,
    forms: Sequence[str] | np.ndarray | None = None,
    key: Mapping[str, ItemKey] | None = None,
    outcomes: Mapping[str, str] | None = None,
    max_scores: Mapping[str, int] | None = None,
    thresholds: Thresholds | None = None,
    omit_code: str = "*",
    chunk_size: int | None = None,
) -> dict[str, ItemAnalysis]:
    """:func:`item_analysis` of each form separately.

    Parameters
    ----------
    responses
        Scored responses of several forms in one matrix (blank = item not on the person's form).
    forms
        Form label of every person; default ``responses.forms`` (the ``form`` column of a long
        file). Persons with an empty label are left out.
    key, outcomes, max_scores, thresholds, omit_code, chunk_size
        As for :func:`item_analysis`.

    Returns
    -------
    dict
        Form label -> the analysis of the persons who took it and the items presented to at
        least one of them (labels in first-seen order).
    """
    if not isinstance(responses, ResponseMatrix):
        raise TypeError("responses must be a ResponseMatrix (see responses.from_array)")
    labels = responses.forms if forms is None else np.asarray(forms)
    if labels is None:
        raise ValueError("forms is required when the responses carry no form labels")
    labels = np.asarray(labels).astype(str)
    if labels.shape != (responses.n_persons,):
        raise ValueError(f"forms must have one label per person ({responses.n_persons})")
    out: dict[str, ItemAnalysis] = {}
    for label in dict.fromkeys(labels.tolist()):
        if not label:
            continue
        sub = responses.select_persons(labels == label)
        used = sub.presented.any(axis=0)
        sub = sub.select_items([i for i, u in zip(sub.item_ids, used, strict=True) if u])
        out[label] = item_analysis(
            sub,
            key=key,
            outcomes=outcomes,
            max_scores=max_scores,
            thresholds=thresholds,
            omit_code=omit_code,
            chunk_size=chunk_size,
        )
    return out


def _tally(tally, raw_col, pres_col, dy_col, groups) -> None:
    """Add one chunk to an item's option tally: per distinct raw cell, the persons choosing it
    overall and in the low / middle / high groups, and the sum of their centred rest scores."""
    values, inverse = np.unique(raw_col[pres_col], return_inverse=True)
    if values.size == 0:
        return
    weights = (None, *(g[pres_col] for g in groups), dy_col[pres_col])
    columns = [np.bincount(inverse, weights=w, minlength=values.size) for w in weights]
    block = np.column_stack(columns).astype(float)
    for value, row in zip(values.tolist(), block, strict=True):
        if value in tally:
            tally[value] += row
        else:
            tally[value] = row.copy()


def _options(tally, k: ItemKey, omit_code, n_presented: int, syy: float):
    """Distractor table of one keyed item from its option tally (see :func:`_tally`).

    The point-biserial of "chose the option" (h) with the rest score uses the item's centred
    rest scores d: ``sum (h - m_h) d = (1 - m_h) sum_{chose} d - m_h sum_{did not} d`` and
    ``sum (h - m_h)^2 = n_h (1 - m_h)^2 + (n - n_h) m_h^2``.
    """
    values = list(tally)
    table = np.array([tally[v] for v in values]).reshape(len(values), 5)
    chosen_sets = [_parse_choice(v) if v != omit_code else frozenset() for v in values]
    group_n = table[:, :4].sum(axis=0)
    d_all = table[:, 4]
    labels = [*k.options, "omit"]
    out = []
    for label in labels:
        if label == "omit":
            hit = np.array([v == omit_code for v in values], dtype=bool)
        else:
            hit = np.array([label in s for s in chosen_sets], dtype=bool)
        if label == "omit" and not hit.any():
            continue
        counts = table[hit, :4].sum(axis=0)
        shares = [float(c / g) if g else math.nan for c, g in zip(counts, group_n, strict=True)]
        n_h = counts[0]
        r = math.nan
        if n_presented >= 2:
            m_h = n_h / n_presented
            sxy = (1.0 - m_h) * d_all[hit].sum() - m_h * d_all[~hit].sum()
            sxx = n_h * (1.0 - m_h) ** 2 + (n_presented - n_h) * m_h**2
            if sxx > 1e-12 and syy > 1e-12:
                r = float(sxy / math.sqrt(sxx * syy))
        out.append(
            OptionStats(
                option=label,
                is_key=label in (k.correct or frozenset()),
                n=int(n_h),
                share=shares[0],
                share_low=shares[1],
                share_middle=shares[2],
                share_high=shares[3],
                rpbis=r,
            )
        )
    return tuple(out)


def _flags(*, n, p, rpbis, omit_rate, constant, options, th: Thresholds) -> tuple[str, ...]:
    flags = []
    if n < th.min_n:
        flags.append("small_n")
    if constant:
        flags.append("no_variance")
    if np.isfinite(p) and p < th.p_low:
        flags.append("hard")
    if np.isfinite(p) and p > th.p_high:
        flags.append("easy")
    if not constant and (not np.isfinite(rpbis) or rpbis < th.rpbis_min):
        flags.append("low_rpbis")
    if np.isfinite(omit_rate) and omit_rate > th.omit_max:
        flags.append("high_omit")
    key_r = [o.rpbis for o in options if o.is_key and np.isfinite(o.rpbis)]
    best_key = max(key_r) if key_r else -math.inf
    for o in options:
        if o.is_key or o.option == "omit" or not np.isfinite(o.rpbis):
            continue
        if o.n >= th.distractor_min_n and o.rpbis > th.distractor_rpbis_max:
            flags.append(f"positive_distractor:{o.option}")
            if o.rpbis > max(best_key, 0.0):
                flags.append(f"possible_miskey:{o.option}")
    return tuple(flags)
