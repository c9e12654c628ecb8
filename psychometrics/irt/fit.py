"""Model fit: item fit (S-X2, infit/outfit), global fit (M2), local dependence (Q3), person fit.

All functions take a score matrix (a :class:`~psychometrics.responses.ResponseMatrix` matched to
the parameters by item id, or an array with one column per item, NaN or -1 = not presented) and
calibrated :class:`~psychometrics.irt.models.ItemParameters`; the population distribution is
N(prior_mean, prior_sd) on a rectangular grid (default 61 points on mean +- 6 sd, as mirt).

Rules stated once here and in the result objects:

* **S-X2 cell collapsing.** For item j, the summed scores s = 0..max at which the item has fewer
  than two possible categories are dropped (s = 0 and s = max for a dichotomous item); scores
  at which some but not all of its categories are possible (the extremes, for a polytomous
  item) join the nearest score at which all are possible (as mirt does); groups without
  persons are dropped. Adjacent groups are then merged, sweeping from the lowest score upwards,
  until every expected count of a merged group is at least ``min_expected`` (default 1, as
  mirt); a short last group is merged into the one before it. Categories are never collapsed.
  ``df = (cells with E > 0) - (groups) - (free parameters of the item)``.
* **Free parameters per item** (S-X2 df and M2): rasch 1, 1pl 1 (b; the common slope is one more
  parameter for the whole test in M2), 2pl 2, 3pl 3, grm and gpcm K (a and K - 1 thresholds),
  pcm K - 1 (in M2, rasch, 1pl and pcm items share one slope, i.e. a free latent variance).
* **M2 margins.** First- and second-order margins of the category indicators [X_i = k], k >= 1
  (Maydeu-Olivares & Joe 2006); for polytomous items this is not mirt's default M2*.
* **Q3 flags.** Pair (i, j) is flagged when ``Q3_ij - mean(Q3) > q3_threshold`` (default 0.2),
  the mean over all off-diagonal pairs (Christensen, Makransky & Horton, 2017).
* **lz flags.** A person is flagged when ``lz < lz_threshold`` (default -1.645, one-sided 5%).

References
----------
Orlando, M., & Thissen, D. (2000). Likelihood-based item-fit indices for dichotomous item
    response theory models. *Applied Psychological Measurement*, 24(1), 50-64.
Kang, T., & Chen, T. T. (2008). Performance of the generalized S-X2 item fit index for polytomous
    IRT models. *Journal of Educational Measurement*, 45(4), 391-406.
Maydeu-Olivares, A., & Joe, H. (2005). Limited- and full-information estimation and goodness-of-
    fit testing in 2^n contingency tables. *JASA*, 100(471), 1009-1020.
Maydeu-Olivares, A., & Joe, H. (2006). Limited information goodness-of-fit testing in
    multidimensional contingency tables. *Psychometrika*, 71(4), 713-732.
Yen, W. M. (1984). Effects of local item dependence on the fit and equating performance of the
    three-parameter logistic model. *Applied Psychological Measurement*, 8(2), 125-145.
Christensen, K. B., Makransky, G., & Horton, M. (2017). Critical values for Yen's Q3.
    *Applied Psychological Measurement*, 41(3), 178-194.
Drasgow, F., Levine, M. V., & Williams, E. A. (1985). Appropriateness measurement with
    polychotomous item response models and standardized indices. *British Journal of
    Mathematical and Statistical Psychology*, 38(1), 67-86.
Wright, B. D., & Masters, G. N. (1982). *Rating Scale Analysis*. MESA Press (infit, outfit).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
from scipy import stats

from psychometrics.irt.models import (
    METRIC,
    ItemParameters,
    category_probabilities,
    summed_score_likelihood,
)
from psychometrics.irt.scoring import align_scores, normal_quadrature, score_persons
from psychometrics.responses import NOT_PRESENTED, ResponseMatrix


def n_free_parameters(params: ItemParameters) -> np.ndarray:
    """Free parameters per item under the rule stated in the module docstring."""
    k = params.n_categories
    out = np.empty(params.n_items, dtype=int)
    for j, model in enumerate(params.model):
        out[j] = {
            "rasch": 1,
            "1pl": 1,
            "2pl": 2,
            "3pl": 3,
            "grm": int(k[j]),
            "gpcm": int(k[j]),
            "pcm": int(k[j]) - 1,
            "nominal": 2 * int(k[j]) - 2,
        }[model]
    return out


def _complete_cases(scores: np.ndarray) -> np.ndarray:
    return np.all(scores != NOT_PRESENTED, axis=1)


# ---------------------------------------------------------------------------------------------
# S-X2
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SX2Item:
    """S-X2 of one item.

    Attributes
    ----------
    item_id
        The item.
    s_x2, df, p
        Statistic, degrees of freedom and chi-square p-value (NaN when df <= 0).
    rmsea
        ``sqrt(max(S_X2 / df - 1, 0) / (N - 1))``.
    groups
        Summed-score groups after collapsing, as ``(low, high)`` score ranges.
    observed, expected
        Counts per group and category, shape ``(n_groups, n_categories)``.
    """

    item_id: str
    s_x2: float
    df: int
    p: float
    rmsea: float
    groups: tuple[tuple[int, int], ...]
    observed: np.ndarray
    expected: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "S_X2": self.s_x2,
            "df": self.df,
            "p": self.p,
            "RMSEA": self.rmsea,
            "groups": [list(g) for g in self.groups],
        }


@dataclass(frozen=True)
class SX2Result:
    """S-X2 for every item (Orlando & Thissen 2000; Kang & Chen 2008 for polytomous items).

    Attributes
    ----------
    items
        One :class:`SX2Item` per item.
    n_persons
        Persons used (complete cases only: S-X2 needs every item's score).
    n_dropped
        Persons left out because some item was not presented.
    min_expected
        The collapsing threshold.
    rule
        The collapsing rule, in words.
    """

    items: tuple[SX2Item, ...]
    n_persons: int
    n_dropped: int
    min_expected: float
    rule: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "n_persons": self.n_persons,
            "n_dropped": self.n_dropped,
            "min_expected": self.min_expected,
            "rule": self.rule,
            "items": [i.to_dict() for i in self.items],
        }


SX2_RULE = (
    "scores with a deterministic item response are dropped; scores where some item categories "
    "are impossible join the nearest score where all are possible; groups without persons are "
    "dropped; adjacent groups are merged upwards until every expected count >= min_expected (a "
    "short last group joins the previous one); df = cells - groups - item parameters"
)


def sx2(
    responses: ResponseMatrix | np.ndarray,
    params: ItemParameters,
    *,
    min_expected: float = 1.0,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    n_points: int = 61,
    theta_range: tuple[float, float] | None = None,
) -> SX2Result:
    """Orlando-Thissen S-X2 item fit with df and p.

    Expected proportions given the summed score ``s`` are
    ``E_jk(s) = sum_q w_q P_jk(q) L^(-j)_{s-k}(q) / sum_q w_q L_s(q)``, with ``L`` the Lord-
    Wingersky summed-score likelihood of all items and ``L^(-j)`` that without item j.

    References
    ----------
    Orlando & Thissen (2000); Kang & Chen (2008).
    """
    if not min_expected >= 0:
        raise ValueError(f"min_expected must be >= 0, got {min_expected}")
    scores, _ = align_scores(responses, params)
    complete = _complete_cases(scores)
    data = scores[complete]
    n = data.shape[0]
    if n < 2:
        raise ValueError("responses: S-X2 needs at least two persons with every item presented")
    nodes, weights = normal_quadrature(
        n_points=n_points, theta_range=theta_range, mean=prior_mean, sd=prior_sd
    )
    probs = category_probabilities(params, nodes)
    lik = summed_score_likelihood(params, nodes)
    marg = lik.T @ weights  # P(S = s)
    total = data.sum(axis=1)
    n_s = np.bincount(total, minlength=lik.shape[1]).astype(float)
    n_par = n_free_parameters(params)
    items = []
    for j, item in enumerate(params.item_ids):
        others = [i for i in params.item_ids if i != item]
        k_j = int(params.n_categories[j])
        lik_rest = (
            summed_score_likelihood(params.subset(others), nodes)
            if others
            else np.ones((nodes.size, 1))
        )
        joint = np.zeros((lik.shape[1], k_j))
        for k in range(k_j):
            part = (probs[:, j, k] * weights) @ lik_rest  # P(X_j = k, S_rest = r)
            joint[k : k + part.size, k] = part
        with np.errstate(divide="ignore", invalid="ignore"):
            e_prop = np.where(marg[:, None] > 0, joint / marg[:, None], 0.0)
        obs = np.zeros((lik.shape[1], k_j))
        np.add.at(obs, (total, data[:, j]), 1.0)
        exp = e_prop * n_s[:, None]
        start = _initial_groups(joint > 0, n_s)  # structural zeros only
        groups, o_g, e_g = _collapse(start, obs, exp, min_expected)
        cells = e_g > 1e-12 * max(n, 1)
        stat = float(np.sum(np.where(cells, (o_g - e_g) ** 2 / np.where(cells, e_g, 1.0), 0.0)))
        df = int(cells.sum() - len(groups) - n_par[j])
        if df > 0:
            p = float(stats.chi2.sf(stat, df))
            rmsea = float(np.sqrt(max(stat / df - 1.0, 0.0) / (n - 1)))
        else:
            df, stat, p, rmsea = max(df, 0), np.nan, np.nan, np.nan
        items.append(
            SX2Item(
                item_id=item,
                s_x2=stat,
                df=df,
                p=p,
                rmsea=rmsea,
                groups=tuple(groups),
                observed=o_g,
                expected=e_g,
            )
        )
    return SX2Result(
        items=tuple(items),
        n_persons=n,
        n_dropped=int((~complete).sum()),
        min_expected=float(min_expected),
        rule=SX2_RULE,
    )


def _initial_groups(possible: np.ndarray, n_s: np.ndarray) -> list[list[int]]:
    """Score groups before the expected-count merging.

    Rows (summed scores) where fewer than two categories of the item are possible are dropped;
    rows where some but not all categories are possible (the extremes, for polytomous items)
    join the nearest row where every category is possible; groups without persons are dropped.
    """
    n_possible = possible.sum(axis=1)
    rows = np.flatnonzero(n_possible >= 2)
    complete = rows[n_possible[rows] == possible.shape[1]]
    if complete.size:
        first, last = int(complete[0]), int(complete[-1])
        groups = [[int(r) for r in rows if r <= first]]
        groups += [[int(r)] for r in rows if first < r < last]
        if last > first:
            groups.append([int(r) for r in rows if r >= last])
    else:
        groups = [[int(r)] for r in rows]
    return [g for g in groups if n_s[g].sum() > 0]


def _collapse(start, obs, exp, min_expected):
    """Merge adjacent score groups upwards until every expected count >= min_expected."""
    groups: list[list[int]] = []
    current: list[int] = []
    for g in start:
        current.extend(g)
        if np.all(exp[current].sum(axis=0)[exp[current].sum(axis=0) > 0] >= min_expected):
            groups.append(current)
            current = []
    if current:
        if groups:
            groups[-1].extend(current)
        else:
            groups.append(current)
    if not groups:
        width = obs.shape[1]
        return [], np.zeros((0, width)), np.zeros((0, width))
    o_g = np.array([obs[g].sum(axis=0) for g in groups])
    e_g = np.array([exp[g].sum(axis=0) for g in groups])
    return [(g[0], g[-1]) for g in groups], o_g, e_g


# ---------------------------------------------------------------------------------------------
# M2
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class M2Result:
    """Maydeu-Olivares & Joe's M2 limited-information test.

    Attributes
    ----------
    m2, df, p
        Statistic, degrees of freedom (first- and second-order margins minus free parameters;
        ``n + n(n-1)/2 - q`` for n dichotomous items), p-value.
    rmsea
        ``sqrt(max(M2 - df, 0) / (df (N - 1)))``.
    srmsr
        Root mean square of observed minus model-implied inter-item score correlations.
    n_persons
        Persons used: with ``missing="pairwise"`` every person with at least one response,
        with ``missing="complete"`` the complete cases.
    n_parameters
        Free parameters counted.
    missing
        ``"pairwise"`` (each margin from every person who was presented its items) or
        ``"complete"`` (complete cases only).
    cfi, tli
        Comparative fit and Tucker-Lewis indices against the independence model.
    statistic
        ``"M2"`` or ``"C2"`` (then ``m2``, ``df`` and ``p`` are C2's).
    """

    m2: float
    df: int
    p: float
    rmsea: float
    srmsr: float
    n_persons: int
    n_parameters: int
    missing: str = "complete"
    cfi: float = float("nan")
    tli: float = float("nan")
    statistic: str = "M2"

    def to_dict(self) -> dict[str, Any]:
        name = self.statistic
        return {
            "statistic": name,
            name: self.m2,
            f"{name}_df": self.df,
            f"{name}_p": self.p,
            "RMSEA": self.rmsea,
            "SRMSR": self.srmsr,
            "CFI": self.cfi,
            "TLI": self.tli,
            "n_persons": self.n_persons,
            "n_parameters": self.n_parameters,
            "missing": self.missing,
        }


def _variable_pairs(item_of: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    iu, ju = np.triu_indices(item_of.size, k=1)
    keep = item_of[iu] != item_of[ju]
    return iu[keep], ju[keep]


def _gamma(pv, weights, item_of, iu, ju):
    """Asymptotic covariance of the sample margins: E[Y_S Y_T] - pi_S pi_T, where the product
    of indicators of two different categories of one item is 0."""
    n_v = pv.shape[1]
    padded = np.hstack([pv, np.ones((pv.shape[0], 1))])  # column n_v = "no variable"
    singles = np.column_stack([np.arange(n_v), np.full(n_v, n_v)])
    sets = np.vstack([singles, np.column_stack([iu, ju])])
    m = sets.shape[0]
    a_idx, b_idx = np.triu_indices(m)
    moments = np.empty(a_idx.size)
    item_pad = np.concatenate([item_of, [-1]])
    chunk = 20_000  # bounded memory: (chunk, n_nodes) at a time
    for start in range(0, a_idx.size, chunk):
        union = np.concatenate(
            [sets[a_idx[start : start + chunk]], sets[b_idx[start : start + chunk]]], axis=1
        )
        union.sort(axis=1)
        dup = np.zeros_like(union, dtype=bool)
        dup[:, 1:] = union[:, 1:] == union[:, :-1]
        union = np.where(dup, n_v, union)
        items = np.where(union == n_v, -1 - np.arange(4)[None, :], item_pad[union])
        items.sort(axis=1)
        clash = np.any(items[:, 1:] == items[:, :-1], axis=1)
        prod = np.ones((union.shape[0], pv.shape[0]))
        for c in range(4):
            prod *= padded[:, union[:, c]].T
        moments[start : start + chunk] = np.where(clash, 0.0, prod @ weights)
    xi = np.empty((m, m))
    xi[a_idx, b_idx] = moments
    xi[b_idx, a_idx] = moments
    pi = np.concatenate([weights @ pv, weights @ (pv[:, iu] * pv[:, ju])])
    return xi - np.outer(pi, pi)


def _parameter_vector(params):
    """The free parameters under the module's counting rule, as perturbation specs."""
    free = []
    shared = [j for j, m in enumerate(params.model) if m in ("rasch", "1pl", "pcm")]
    for j, model in enumerate(params.model):
        for k in range(int(params.n_categories[j]) - 1):
            free.append(("b", (j, k)))
        if model in ("2pl", "3pl", "grm", "gpcm", "nominal"):
            free.append(("a", j))
        if model == "3pl":
            free.append(("c", j))
        if model == "nominal":  # ak_0 and ak_{K-1} identify the scale
            free.extend(("ak", (j, k)) for k in range(1, int(params.n_categories[j]) - 1))
    if shared:
        free.append(("a_shared", tuple(shared)))
    return free


def _perturb(params, spec, h):
    kind, where = spec
    a, b, c = params.a.copy(), params.b.copy(), params.c.copy()
    if kind == "b":
        b[where] += h
    elif kind == "a":
        a[where] += h
    elif kind == "c":
        c[where] += h
    elif kind == "ak":
        ak = params.ak.copy()
        ak[where] += h
        return params.with_values(ak=ak)
    else:
        a[list(where)] += h
    return params.with_values(a=a, b=b, c=c)


MAX_M2_MARGINS = 3000


def m2(
    responses: ResponseMatrix | np.ndarray,
    params: ItemParameters,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    n_points: int = 61,
    theta_range: tuple[float, float] | None = None,
    missing: str = "pairwise",
) -> M2Result:
    """M2 with df, p, RMSEA, SRMSR, CFI and TLI, for any mixture of models and incomplete data.

    The statistic uses the univariate and bivariate margins of the category indicators
    ``Y_ik = [X_i = k]``, ``k >= 1`` (for dichotomous items, the proportions correct and the
    joint proportions of pairs): ``M2 = N e' C e`` with ``e`` the residual margins and
    ``C = D (D' G D)^-1 D'``, ``D`` an orthogonal complement of the Jacobian of the margins with
    respect to the free item parameters (central differences, step 1e-5) and ``G`` their
    asymptotic covariance, both over the quadrature. ``df = margins - free parameters``; the
    Rasch/1PL/PCM items share one slope (equivalently a free latent variance).

    For polytomous items this is Maydeu-Olivares & Joe's (2006) M2 on all category margins, not
    the reduced statistics mirt reports by default for polytomous tests; :func:`c2` computes
    Cai & Monroe's C2, which is comparable with them.

    CFI and TLI compare the statistic with that of the independence model (every item's
    category proportions free, no common factor: ``df0 = margins - sum(K_j - 1)``):
    ``CFI = 1 - max(M2 - df, 0) / max(M2_0 - df0, M2 - df, 0)`` and
    ``TLI = (M2_0 / df0 - M2 / df) / (M2_0 / df0 - 1)``, as mirt's ``M2()`` reports them.

    Not-presented responses (``missing``): ``"pairwise"`` (default) estimates every margin from
    all persons who were presented its item(s), ``n_s`` of them, as mirt does; the covariance of
    two sample margins is then ``n_st / (n_s n_t) G_st`` with ``n_st`` the persons presented the
    items of both (missing completely at random, or by design), and ``M2 = e' C e`` with ``C``
    built from that covariance. With complete data this is the usual statistic. ``"complete"``
    uses only the persons presented every item. RMSEA uses the number of persons used.

    Raises
    ------
    ValueError
        Fewer than 3 items, no degrees of freedom, more than 3000 margins, a margin that no
        person was presented, or an unknown ``missing``.

    References
    ----------
    Maydeu-Olivares & Joe (2005, 2006).
    Cai, L., & Hansen, M. (2013). Limited-information goodness-of-fit testing of hierarchical
        item factor models. *British Journal of Mathematical and Statistical Psychology*, 66(2),
        245-276.
    """
    return _limited_information(
        responses, params, "M2", prior_mean, prior_sd, n_points, theta_range, missing
    )


def c2(
    responses: ResponseMatrix | np.ndarray,
    params: ItemParameters,
    *,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
    n_points: int = 61,
    theta_range: tuple[float, float] | None = None,
    missing: str = "pairwise",
) -> M2Result:
    """Cai & Monroe's C2 for polytomous (and mixed) tests, with RMSEA, SRMSR, CFI and TLI.

    C2 keeps every univariate category margin ``P(X_i = k)`` but reduces each pair of items to
    the mean cross-product of their scores ``E[X_i X_j]``: ``sum(K_j - 1) + J(J-1)/2`` moments,
    so it has degrees of freedom wherever the model is identified (M2* may not) and stays
    small for long polytomous tests. For dichotomous items C2 equals M2. The quadratic form,
    the missing-data handling and the incremental indices are those of :func:`m2`.

    References
    ----------
    Cai, L., & Monroe, S. (2014). A new statistic for evaluating item response theory models for
        ordinal data (CRESST Report 839). University of California, Los Angeles.
    Monroe, S., & Cai, L. (2015). Evaluating structural equation models for categorical outcomes:
        a new test statistic and a practical challenge of interpretation. *Multivariate
        Behavioral Research*, 50(6), 569-583.
    """
    return _limited_information(
        responses, params, "C2", prior_mean, prior_sd, n_points, theta_range, missing
    )


def _limited_information(responses, params, kind, prior_mean, prior_sd, n_points, rng, missing):
    if params.n_items < 3:
        raise ValueError(f"params: {kind} needs at least 3 items")
    design = _Design(params.n_categories, kind)
    n_stats = design.items.shape[0]
    if n_stats > MAX_M2_MARGINS:
        raise ValueError(
            f"params: {kind} would use {n_stats} margins (limit {MAX_M2_MARGINS}); "
            "use fewer items or categories"
        )
    specs = _parameter_vector(params)
    df = n_stats - len(specs)
    if df <= 0:
        raise ValueError(f"params: {kind} has no degrees of freedom ({n_stats} margins)")
    if missing not in ("pairwise", "complete"):
        raise ValueError(f"missing must be 'pairwise' or 'complete', got {missing!r}")
    scores, _ = align_scores(responses, params)
    if missing == "complete":
        data = scores[_complete_cases(scores)]
        if data.shape[0] < 2:
            raise ValueError(
                f"responses: {kind} needs at least two persons with every item presented"
            )
    else:
        data = scores[np.any(scores != NOT_PRESENTED, axis=1)]
    n = data.shape[0]
    obs, n_s = design.observed(data)
    if np.any(n_s < 1):
        raise ValueError(
            f"responses: {kind} needs every item and every pair of items presented to some "
            "person (missing='pairwise')"
        )
    scale = None if np.all(n_s == n) else _copresence(data, design.items) / np.outer(n_s, n_s)

    def statistic(probs, weights, jac):
        pi, gamma = design.moments(probs, weights)
        gamma = gamma / n if scale is None else gamma * scale
        q, _ = np.linalg.qr(jac, mode="complete")
        comp = q[:, jac.shape[1] :]
        proj = comp.T @ (obs - pi)
        return float(proj @ np.linalg.solve(comp.T @ gamma @ comp, proj))

    nodes, weights = normal_quadrature(
        n_points=n_points, theta_range=rng, mean=prior_mean, sd=prior_sd
    )
    h = 1e-5
    jac = np.empty((n_stats, len(specs)))
    for col, spec in enumerate(specs):
        up = design.margins(category_probabilities(_perturb(params, spec, h), nodes), weights)
        dn = design.margins(category_probabilities(_perturb(params, spec, -h), nodes), weights)
        jac[:, col] = (up - dn) / (2 * h)
    stat = statistic(category_probabilities(params, nodes), weights, jac)
    # the independence model: observed category proportions, no common factor
    base, jac0 = design.independence(data)
    df0 = n_stats - jac0.shape[1]
    stat0 = statistic(base, np.ones(1), jac0)
    return M2Result(
        m2=stat,
        df=int(df),
        p=float(stats.chi2.sf(stat, df)),
        rmsea=float(np.sqrt(max(stat - df, 0.0) / (df * (n - 1)))),
        srmsr=_srmsr(data, params, nodes, weights),
        n_persons=n,
        n_parameters=len(specs),
        missing=missing,
        cfi=_cfi(stat, df, stat0, df0),
        tli=float((stat0 / df0 - stat / df) / (stat0 / df0 - 1.0)) if df0 > 0 else float("nan"),
        statistic=kind,
    )


def _cfi(stat, df, stat0, df0) -> float:
    top = max(stat0 - df0, stat - df, 0.0)
    return 1.0 if top == 0 else float(1.0 - max(stat - df, 0.0) / top)


class _Design:
    """The moments of M2 (all category indicators and their pairs) or C2 (category indicators
    and the cross-products of item scores): layout, model moments and observed values."""

    def __init__(self, n_categories: np.ndarray, kind: str) -> None:
        k = np.asarray(n_categories, dtype=int)
        self.kind = kind
        self.n_items = k.size
        self.item_of = np.concatenate([np.full(int(c) - 1, j) for j, c in enumerate(k)])
        self.cat_of = np.concatenate([np.arange(1, int(c)) for c in k])
        if kind == "M2":
            self.iu, self.ju = _variable_pairs(self.item_of)
            pairs = np.column_stack([self.item_of[self.iu], self.item_of[self.ju]])
        else:
            self.iu, self.ju = np.triu_indices(k.size, k=1)
            pairs = np.column_stack([self.iu, self.ju])
        singles = np.column_stack([self.item_of, np.full(self.item_of.size, -1)])
        self.items = np.vstack([singles, pairs])  # items of each moment (-1: none)
        self.width = int(k.max())

    def margins(self, probs: np.ndarray, weights: np.ndarray) -> np.ndarray:
        pv = probs[:, self.item_of, self.cat_of]
        if self.kind == "M2":
            second = pv[:, self.iu] * pv[:, self.ju]
        else:
            mu = probs @ np.arange(probs.shape[2], dtype=float)
            second = mu[:, self.iu] * mu[:, self.ju]
        return np.concatenate([weights @ pv, weights @ second])

    def moments(self, probs: np.ndarray, weights: np.ndarray):
        """Model margins ``pi`` and the covariance ``G`` of one person's moment vector."""
        if self.kind == "M2":
            pv = probs[:, self.item_of, self.cat_of]
            return self.margins(probs, weights), _gamma(pv, weights, self.item_of, self.iu, self.ju)
        return _c2_moments(probs, weights, self.item_of, self.cat_of, self.iu, self.ju)

    def observed(self, data: np.ndarray):
        """Observed moments (each over the persons presented its items) and those counts."""
        pres = (data != NOT_PRESENTED).astype(float)
        y = (data[:, self.item_of] == self.cat_of[None, :]).astype(float)
        p_single = pres[:, self.item_of]
        if self.kind == "M2":
            second = y[:, self.iu] * y[:, self.ju]
            p_pair = p_single[:, self.iu] * p_single[:, self.ju]
        else:
            x = np.where(data != NOT_PRESENTED, data, 0).astype(float)
            second = x[:, self.iu] * x[:, self.ju]
            p_pair = pres[:, self.iu] * pres[:, self.ju]
        n_s = np.concatenate([p_single.sum(axis=0), p_pair.sum(axis=0)])
        sums = np.concatenate([y.sum(axis=0), second.sum(axis=0)])
        with np.errstate(divide="ignore", invalid="ignore"):
            return sums / n_s, n_s

    def independence(self, data: np.ndarray):
        """The independence model's category probabilities ``(1, J, K)`` (observed proportions)
        and the Jacobian of its margins with respect to its free probabilities."""
        probs = np.zeros((1, self.n_items, self.width))
        for j in range(self.n_items):
            col = data[:, j]
            col = col[col != NOT_PRESENTED]
            counts = np.bincount(col, minlength=self.width)[: self.width]
            probs[0, j] = counts / max(col.size, 1)
        h = 1e-6
        one = np.ones(1)
        jac = np.empty((self.items.shape[0], self.item_of.size))
        for v, (j, k) in enumerate(zip(self.item_of, self.cat_of, strict=True)):
            up, dn = probs.copy(), probs.copy()
            up[0, j, k] += h
            up[0, j, 0] -= h
            dn[0, j, k] -= h
            dn[0, j, 0] += h
            jac[:, v] = (self.margins(up, one) - self.margins(dn, one)) / (2 * h)
        return probs, jac


def _c2_moments(probs, weights, item_of, cat_of, iu, ju):
    """Margins and covariance of (category indicators, score cross-products) of one person.

    Moments sharing no item multiply under local independence; for those sharing item ``i`` the
    item-``i`` factors combine first: ``[X=k][X=l] = delta_kl [X=k]``, ``[X=k] X = k [X=k]``,
    ``X X = X^2``.
    """
    n_q, n_items, width = probs.shape
    k = np.arange(width, dtype=float)
    mu, sq = probs @ k, probs @ k**2
    n_v = item_of.size
    e = np.hstack([probs[:, item_of, cat_of], mu[:, iu] * mu[:, ju]])  # (Q, m)
    pi = weights @ e
    xi = (e * weights[:, None]).T @ e
    for i in range(n_items):
        first = np.flatnonzero(item_of == i)
        pa, pb = np.flatnonzero(iu == i), np.flatnonzero(ju == i)
        idx = np.concatenate([first, n_v + pa, n_v + pb])
        code = np.concatenate([cat_of[first], np.zeros(pa.size + pb.size, dtype=int)])
        rest = np.hstack([np.ones((n_q, first.size)), mu[:, ju[pa]], mu[:, iu[pb]]])
        pc = probs[:, i, code]  # (Q, n_i): P(X_i = code); unused where code = 0
        a, b = code[:, None], code[None, :]
        comb = np.select(
            [(a > 0) & (b > 0), (a > 0) & (b == 0), (a == 0) & (b > 0)],
            [
                np.where(a == b, pc[:, :, None], 0.0),
                a * pc[:, :, None] + 0.0 * pc[:, None, :],
                b * pc[:, None, :] + 0.0 * pc[:, :, None],
            ],
            default=np.broadcast_to(sq[:, i, None, None], (n_q, code.size, code.size)),
        )
        xi[np.ix_(idx, idx)] = np.einsum("q,qs,qst,qt->st", weights, rest, comb, rest)
    pairs = n_v + np.arange(iu.size)
    xi[pairs, pairs] = weights @ (sq[:, iu] * sq[:, ju])
    return pi, xi - np.outer(pi, pi)


def _pairwise_correlations(data: np.ndarray) -> np.ndarray:
    """Item score correlations, each from the persons presented both items."""
    pres = (data != NOT_PRESENTED).astype(float)
    x = np.where(data != NOT_PRESENTED, data, 0).astype(float)
    n = pres.T @ pres
    sx = x.T @ pres  # [i, j]: sum of item i's scores over persons presented i and j
    sxx = (x * x).T @ pres
    sxy = x.T @ x
    with np.errstate(divide="ignore", invalid="ignore"):
        cov = n * sxy - sx * sx.T
        return cov / np.sqrt((n * sxx - sx**2) * (n * sxx.T - sx.T**2))


def _copresence(data: np.ndarray, items: np.ndarray) -> np.ndarray:
    """``n_st``: persons presented every item of moment s and of moment t, for all s, t.

    ``items`` holds the (up to two) items of each moment, ``-1`` for none.
    """
    pres, freq = np.unique(data != NOT_PRESENTED, axis=0, return_counts=True)  # presence patterns
    pres = np.hstack([pres, np.ones((pres.shape[0], 1), dtype=bool)]).astype(float)
    items = np.where(items < 0, pres.shape[1] - 1, items)  # the always-present column
    m = items.shape[0]
    a_idx, b_idx = np.triu_indices(m)
    out = np.empty((m, m))
    chunk = 20_000
    for start in range(0, a_idx.size, chunk):
        a, b = a_idx[start : start + chunk], b_idx[start : start + chunk]
        prod = pres[:, items[a, 0]] * pres[:, items[a, 1]]
        prod *= pres[:, items[b, 0]] * pres[:, items[b, 1]]
        counts = freq @ prod
        out[a, b] = counts
        out[b, a] = counts
    return out


def _srmsr(data, params, nodes, weights):
    """Root mean square of observed minus model-implied inter-item score correlations."""
    probs = category_probabilities(params, nodes)
    k = np.arange(probs.shape[2], dtype=float)
    e1 = probs @ k  # (Q, J)
    e2 = probs @ k**2
    mean = weights @ e1
    var = weights @ e2 - mean**2
    cov = (e1 * weights[:, None]).T @ e1 - np.outer(mean, mean)
    model_r = cov / np.sqrt(np.outer(var, var))
    obs_r = _pairwise_correlations(data)
    iu, ju = np.triu_indices(params.n_items, k=1)
    return float(np.sqrt(np.nanmean((obs_r[iu, ju] - model_r[iu, ju]) ** 2)))


# ---------------------------------------------------------------------------------------------
# residual-based statistics: infit/outfit, Q3, lz
# ---------------------------------------------------------------------------------------------


def _moments(params, theta):
    probs = category_probabilities(params, theta)  # (N, J, K)
    k = np.arange(probs.shape[2], dtype=float)
    mean = probs @ k
    dev = k[None, None, :] - mean[:, :, None]
    var = np.sum(probs * dev**2, axis=2)
    kurt = np.sum(probs * dev**4, axis=2)
    return probs, mean, var, kurt


def _theta_for(responses, params, theta, method):
    scores, ids = align_scores(responses, params)
    label = "given"
    if theta is None:
        theta = score_persons(scores, params, method=method).theta
        label = method
    theta = np.asarray(theta, dtype=float).reshape(-1)
    if theta.size != scores.shape[0]:
        raise ValueError("theta must have one value per person")
    return scores, ids, theta, label


@dataclass(frozen=True)
class InfitOutfit:
    """Rasch-family residual fit mean squares per item (Wright & Masters 1982).

    Attributes
    ----------
    item_ids
        The items.
    infit, outfit
        Information-weighted and unweighted mean squares (expected value 1).
    infit_z, outfit_z
        Wilson-Hilferty standardised values (ZSTD).
    n
        Persons contributing to each item.
    theta_method
        How person abilities were estimated.
    """

    item_ids: tuple[str, ...]
    infit: np.ndarray
    outfit: np.ndarray
    infit_z: np.ndarray
    outfit_z: np.ndarray
    n: np.ndarray
    theta_method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "theta_method": self.theta_method,
            "items": [
                {
                    "item_id": i,
                    "infit": float(a),
                    "outfit": float(b),
                    "infit_z": float(c),
                    "outfit_z": float(d),
                    "n": int(e),
                }
                for i, a, b, c, d, e in zip(
                    self.item_ids,
                    self.infit,
                    self.outfit,
                    self.infit_z,
                    self.outfit_z,
                    self.n,
                    strict=True,
                )
            ],
        }


def infit_outfit(
    responses: ResponseMatrix | np.ndarray,
    params: ItemParameters,
    *,
    theta=None,
    theta_method: str = "wle",
) -> InfitOutfit:
    """Infit and outfit mean squares per item.

    With ``E`` and ``W`` the model mean and variance of the item score at the person's theta and
    ``C`` the fourth central moment: outfit ``= mean((x - E)^2 / W)``, infit
    ``= sum (x - E)^2 / sum W``; ZSTD ``= (MS^(1/3) - 1)(3 / q) + q / 3`` with
    ``q^2 = sum(C / W^2) / n^2 - 1 / n`` (outfit) and ``sum(C - W^2) / (sum W)^2`` (infit).
    Not-presented cells are skipped. Meant for Rasch/PCM items; computed for any model.

    References
    ----------
    Wright & Masters (1982), ch. 5; Linacre, J. M. (2002). What do infit and outfit, mean-square
    and standardized mean? *Rasch Measurement Transactions*, 16(2), 878.
    """
    scores, _, theta, label = _theta_for(responses, params, theta, theta_method)
    _, mean, var, kurt = _moments(params, theta)
    seen = scores != NOT_PRESENTED
    x = np.where(seen, scores, 0)
    resid2 = np.where(seen, (x - mean) ** 2, 0.0)
    w = np.where(seen, var, 0.0)
    c = np.where(seen, kurt, 0.0)
    n = seen.sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        z2 = np.where(seen & (var > 0), resid2 / np.where(var > 0, var, 1.0), 0.0)
        outfit = z2.sum(axis=0) / n
        infit = resid2.sum(axis=0) / w.sum(axis=0)
        q_out = np.sqrt(
            np.maximum(
                np.where(seen & (var > 0), c / np.where(var > 0, var, 1.0) ** 2, 0.0).sum(axis=0)
                / n**2
                - 1.0 / n,
                0.0,
            )
        )
        q_in = np.sqrt(np.maximum((c - w**2).sum(axis=0) / w.sum(axis=0) ** 2, 0.0))
        outfit_z = (np.cbrt(outfit) - 1.0) * (3.0 / q_out) + q_out / 3.0
        infit_z = (np.cbrt(infit) - 1.0) * (3.0 / q_in) + q_in / 3.0
    return InfitOutfit(
        item_ids=params.item_ids,
        infit=infit,
        outfit=outfit,
        infit_z=infit_z,
        outfit_z=outfit_z,
        n=n,
        theta_method=label,
    )


@dataclass(frozen=True)
class Q3Pair:
    """One flagged item pair."""

    item_a: str
    item_b: str
    q3: float
    q3_minus_mean: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_a": self.item_a,
            "item_b": self.item_b,
            "Q3": self.q3,
            "Q3_minus_mean": self.q3_minus_mean,
        }


@dataclass(frozen=True)
class Q3Result:
    """Yen's Q3 local dependence matrix and flagged pairs.

    Attributes
    ----------
    item_ids
        Row/column labels of ``matrix``.
    matrix
        Correlations of the item residuals ``x - E[x | theta_hat]`` (pairwise complete persons);
        diagonal 1.
    mean_q3
        Mean of the off-diagonal values.
    flagged
        Pairs with ``Q3 - mean_q3 > threshold``, largest first.
    threshold
        The flagging threshold (relative to the mean).
    rule
        The rule, in words.
    theta_method
        How theta_hat was estimated.
    """

    item_ids: tuple[str, ...]
    matrix: np.ndarray
    mean_q3: float
    flagged: tuple[Q3Pair, ...]
    threshold: float
    rule: str
    theta_method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "mean_Q3": self.mean_q3,
            "threshold": self.threshold,
            "rule": self.rule,
            "theta_method": self.theta_method,
            "flagged": [p.to_dict() for p in self.flagged],
        }


def q3(
    responses: ResponseMatrix | np.ndarray,
    params: ItemParameters,
    *,
    theta=None,
    theta_method: str = "eap",
    threshold: float = 0.2,
) -> Q3Result:
    """Yen's Q3 with flagged pairs (``Q3 - mean(Q3) > threshold``, Christensen et al. 2017).

    References
    ----------
    Yen (1984); Christensen, Makransky & Horton (2017).
    """
    scores, _, theta, label = _theta_for(responses, params, theta, theta_method)
    _, mean, _, _ = _moments(params, theta)
    seen = scores != NOT_PRESENTED
    resid = np.where(seen, scores - mean, np.nan)
    n_items = params.n_items
    mat = np.eye(n_items)
    for i in range(n_items):  # loop over item pairs (not persons): pairwise-complete correlations
        for j in range(i + 1, n_items):
            both = seen[:, i] & seen[:, j]
            r = np.nan
            if both.sum() > 2:
                x, y = resid[both, i], resid[both, j]
                if x.std() > 0 and y.std() > 0:
                    r = float(np.corrcoef(x, y)[0, 1])
            mat[i, j] = mat[j, i] = r
    iu, ju = np.triu_indices(n_items, k=1)
    mean_q3 = float(np.nanmean(mat[iu, ju])) if iu.size else np.nan
    flagged = [
        Q3Pair(params.item_ids[i], params.item_ids[j], float(mat[i, j]), float(mat[i, j] - mean_q3))
        for i, j in zip(iu, ju, strict=True)
        if np.isfinite(mat[i, j]) and mat[i, j] - mean_q3 > threshold
    ]
    flagged.sort(key=lambda p: -p.q3_minus_mean)
    return Q3Result(
        item_ids=params.item_ids,
        matrix=mat,
        mean_q3=mean_q3,
        flagged=tuple(flagged),
        threshold=float(threshold),
        rule=f"Q3 - mean(Q3) > {threshold:g} (Christensen, Makransky & Horton, 2017)",
        theta_method=label,
    )


@dataclass(frozen=True)
class PersonFit:
    """Standardised log-likelihood person fit lz (Drasgow, Levine & Williams 1985).

    Attributes
    ----------
    person_ids
        Row labels.
    theta
        The ability estimates the statistic was evaluated at.
    lz
        ``(l0 - E[l0]) / sqrt(Var[l0])``; NaN when the variance is 0 (no presented item).
    flagged
        ``lz < threshold`` (large negative values = misfit).
    threshold
        The flagging threshold.
    theta_method
        How theta was estimated.
    """

    person_ids: tuple[str, ...]
    theta: np.ndarray
    lz: np.ndarray
    flagged: np.ndarray
    threshold: float
    theta_method: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "threshold": self.threshold,
            "theta_method": self.theta_method,
            "n_flagged": int(self.flagged.sum()),
            "persons": [
                {"person_id": p, "theta": float(t), "lz": float(z), "flagged": bool(f)}
                for p, t, z, f in zip(
                    self.person_ids, self.theta, self.lz, self.flagged, strict=True
                )
            ],
        }


def person_fit(
    responses: ResponseMatrix | np.ndarray,
    params: ItemParameters,
    *,
    theta=None,
    theta_method: str = "eap",
    threshold: float = -1.645,
) -> PersonFit:
    """lz for every person: ``l0 = sum_j log P_j(x_j)``, ``E = sum_j sum_k P_jk log P_jk``,
    ``Var = sum_j [sum_k P_jk (log P_jk)^2 - (sum_k P_jk log P_jk)^2]`` at theta_hat,
    over presented items (polytomous form of Drasgow et al. 1985).

    References
    ----------
    Drasgow, Levine & Williams (1985).
    """
    scores, ids, theta, label = _theta_for(responses, params, theta, theta_method)
    probs = category_probabilities(params, theta)
    seen = scores != NOT_PRESENTED
    with np.errstate(divide="ignore", invalid="ignore"):
        logp = np.where(probs > 0, np.log(np.where(probs > 0, probs, 1.0)), 0.0)
    x = np.where(seen, scores, 0)
    l0 = np.where(seen, np.take_along_axis(logp, x[:, :, None], axis=2)[:, :, 0], 0.0).sum(1)
    e_j = np.sum(probs * logp, axis=2)
    v_j = np.sum(probs * logp**2, axis=2) - e_j**2
    expect = np.where(seen, e_j, 0.0).sum(axis=1)
    var = np.where(seen, v_j, 0.0).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        lz = np.where(var > 0, (l0 - expect) / np.sqrt(np.where(var > 0, var, 1.0)), np.nan)
    return PersonFit(
        person_ids=ids,
        theta=theta,
        lz=lz,
        flagged=np.nan_to_num(lz, nan=np.inf) < threshold,
        threshold=float(threshold),
        theta_method=label,
    )


# ---------------------------------------------------------------------------------------------
# item fit plot data
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemFitPlotData:
    """Observed vs expected mean item scores in theta bins, for item fit plots.

    Attributes
    ----------
    item_ids
        The items.
    bin_theta
        Mean theta_hat of the persons in each bin, shape ``(n_bins,)``.
    n
        Persons per bin and item (presented only), shape ``(n_bins, n_items)``.
    observed
        Mean observed item score per bin, shape ``(n_bins, n_items)``.
    expected
        Mean model-expected item score of the same persons, same shape.
    theta_method
        How theta_hat was estimated.
    """

    item_ids: tuple[str, ...]
    bin_theta: np.ndarray
    n: np.ndarray
    observed: np.ndarray
    expected: np.ndarray
    theta_method: str

    def item(self, item_id: str) -> dict[str, list[float]]:
        j = self.item_ids.index(item_id)
        return {
            "theta": self.bin_theta.tolist(),
            "n": self.n[:, j].tolist(),
            "observed": self.observed[:, j].tolist(),
            "expected": self.expected[:, j].tolist(),
        }

    def to_dict(self) -> dict[str, Any]:
        return {
            "theta_method": self.theta_method,
            "items": {i: self.item(i) for i in self.item_ids},
        }


def item_fit_plot_data(
    responses: ResponseMatrix | np.ndarray,
    params: ItemParameters,
    *,
    theta=None,
    theta_method: str = "eap",
    n_bins: int = 10,
) -> ItemFitPlotData:
    """Persons grouped into ``n_bins`` quantile bins of theta_hat; per bin and item the observed
    mean score and the mean of the model-expected scores of the same persons."""
    if int(n_bins) < 2:
        raise ValueError(f"n_bins must be at least 2, got {n_bins}")
    scores, _, theta, label = _theta_for(responses, params, theta, theta_method)
    _, mean, _, _ = _moments(params, theta)
    seen = scores != NOT_PRESENTED
    edges = np.quantile(theta, np.linspace(0, 1, int(n_bins) + 1))
    bins = np.clip(np.searchsorted(edges, theta, side="right") - 1, 0, int(n_bins) - 1)
    onehot = np.zeros((theta.size, int(n_bins)))
    onehot[np.arange(theta.size), bins] = 1.0
    n = onehot.T @ seen.astype(float)
    with np.errstate(divide="ignore", invalid="ignore"):
        observed = (onehot.T @ np.where(seen, scores, 0.0)) / n
        expected = (onehot.T @ np.where(seen, mean, 0.0)) / n
        bin_theta = (onehot.T @ theta) / onehot.sum(axis=0)
    return ItemFitPlotData(
        item_ids=params.item_ids,
        bin_theta=bin_theta,
        n=n.astype(int),
        observed=observed,
        expected=expected,
        theta_method=label,
    )


# ---------------------------------------------------------------------------------------------
# one report for the CLI and the validity report
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class FitReport:
    """Everything :func:`model_fit` computes.

    Attributes
    ----------
    sx2
        Item fit.
    m2
        Global fit, or None when it cannot be computed (see ``notes``).
    c2
        Cai & Monroe's C2 when some item is polytomous (None otherwise, or when it cannot be
        computed).
    q3
        Local dependence.
    person_fit
        lz per person.
    infit_outfit
        Residual mean squares per item.
    notes
        Anything not computed and why.
    metric
        The theta metric.
    """

    sx2: SX2Result
    m2: M2Result | None
    q3: Q3Result
    person_fit: PersonFit
    infit_outfit: InfitOutfit
    notes: tuple[str, ...] = field(default_factory=tuple)
    metric: str = METRIC
    c2: M2Result | None = None

    def to_dict(self) -> dict[str, Any]:
        m2d = self.m2.to_dict() if self.m2 is not None else {}
        c2d = self.c2.to_dict() if self.c2 is not None else {}
        outfit = {i: (a, b) for i, a, b in zip(*self._io(), strict=True)}
        return {
            "metric": self.metric,
            "M2": m2d.get("M2"),
            "M2_df": m2d.get("M2_df"),
            "M2_p": m2d.get("M2_p"),
            "RMSEA": m2d.get("RMSEA"),
            "SRMSR": m2d.get("SRMSR"),
            "CFI": m2d.get("CFI"),
            "TLI": m2d.get("TLI"),
            "C2": c2d.get("C2"),
            "C2_df": c2d.get("C2_df"),
            "C2_p": c2d.get("C2_p"),
            "C2_RMSEA": c2d.get("RMSEA"),
            "C2_CFI": c2d.get("CFI"),
            "C2_TLI": c2d.get("TLI"),
            "n_persons": self.sx2.n_persons + self.sx2.n_dropped,
            "items": [
                {
                    **it.to_dict(),
                    "infit": float(outfit[it.item_id][0]),
                    "outfit": float(outfit[it.item_id][1]),
                }
                for it in self.sx2.items
            ],
            "sx2_rule": self.sx2.rule,
            "q3_mean": self.q3.mean_q3,
            "q3_rule": self.q3.rule,
            "q3_flags": [p.to_dict() for p in self.q3.flagged],
            "person_fit": {
                "threshold": self.person_fit.threshold,
                "n_flagged": int(self.person_fit.flagged.sum()),
                "flagged": [
                    {"person_id": p, "lz": float(z)}
                    for p, z, f in zip(
                        self.person_fit.person_ids,
                        self.person_fit.lz,
                        self.person_fit.flagged,
                        strict=True,
                    )
                    if f
                ],
            },
            "notes": list(self.notes),
        }

    def _io(self):
        io = self.infit_outfit
        return io.item_ids, io.infit, io.outfit


def model_fit(
    responses: ResponseMatrix | np.ndarray,
    params: ItemParameters,
    *,
    min_expected: float = 1.0,
    q3_threshold: float = 0.2,
    lz_threshold: float = -1.645,
    prior_mean: float = 0.0,
    prior_sd: float = 1.0,
) -> FitReport:
    """S-X2, M2, Q3, lz and infit/outfit in one call (M2 skipped, with a note, if impossible)."""
    scores, ids = align_scores(responses, params)
    notes = []
    m2_result = None
    try:
        m2_result = m2(scores, params, prior_mean=prior_mean, prior_sd=prior_sd)
    except ValueError as exc:
        notes.append(f"M2 not computed: {exc}")
    c2_result = None
    if not np.all(params.is_dichotomous):
        if m2_result is not None:
            notes.append(
                "M2 for polytomous items uses all category margins (Maydeu-Olivares & Joe 2006); "
                "C2 (Cai & Monroe 2014) is the statistic comparable with mirt's M2* and C2"
            )
        try:
            c2_result = c2(scores, params, prior_mean=prior_mean, prior_sd=prior_sd)
        except ValueError as exc:
            notes.append(f"C2 not computed: {exc}")
    sx = sx2(scores, params, min_expected=min_expected, prior_mean=prior_mean, prior_sd=prior_sd)
    if sx.n_dropped:
        notes.append(
            f"S-X2 uses the {sx.n_persons} persons with every item presented; M2 estimates each "
            "margin from every person presented its items (pairwise)"
        )
    eap = score_persons(scores, params, prior_mean=prior_mean, prior_sd=prior_sd).theta
    pf = person_fit(scores, params, theta=eap, threshold=lz_threshold)
    return FitReport(
        sx2=sx,
        m2=m2_result,
        q3=q3(scores, params, theta=eap, threshold=q3_threshold),
        person_fit=PersonFit(
            person_ids=ids,
            theta=pf.theta,
            lz=pf.lz,
            flagged=pf.flagged,
            threshold=pf.threshold,
            theta_method="eap",
        ),
        infit_outfit=infit_outfit(scores, params),
        notes=tuple(notes),
        c2=c2_result,
    )
