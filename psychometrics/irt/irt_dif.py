"""IRT-based DIF: likelihood-ratio and Wald tests on a multiple-group model, for one reference
and one or more focal groups, with anchor selection, effect sizes on the score scale and
differential test functioning (DTF).

Models. Every model is a :func:`~psychometrics.irt.multigroup.calibrate_groups` fit: the
reference group N(0, 1), a mean and SD per focal group, items either invariant (one set of
parameters, the *anchors*) or free (one set per group). With ``F`` the set of items free in the
*anchor model*, an item ``i`` is tested by comparing the model with ``F | {i}`` free against the
model with ``F - {i}`` free::

    G2 = 2 (loglik(F | {i}) - loglik(F - {i})),   df = (parameters of i) x (G - 1)

an omnibus test of equal parameters in all ``G`` groups. ``F`` is chosen by the anchor rule:

* all other items (default): ``F`` is empty, every other item anchors (Thissen, Steinberg &
  Wainer, 1993: the constrained baseline);
* given anchors (``anchors=[...]``): ``F`` is every item that is not an anchor; only the anchors
  are constrained equal (the free baseline; Stark, Chernyshenko & Drasgow, 2006);
* purification (``purify=True``): start with all other items, then ``F`` = the items flagged in
  the previous round, refit and test again, until the flagged set repeats (iterative linking,
  Candell & Drasgow, 1988; the iterative all-other anchor of Kopf, Zeileis & Strobl, 2015). DIF
  items then no longer contaminate the anchors, which otherwise inflates the type I error of the
  clean items.

A Wald test of the same hypothesis (the item's parameters equal in every group) uses the freed
model's observed-information covariance, omnibus and per focal group. Effect sizes use the
freed model's group-specific parameters, averaged over each focal group's ability distribution
(the anchor model's): signed ``E_F[T_R(theta) - T_F(theta)]`` (positive: the item favours the
reference group) and unsigned ``E_F[|T_R - T_F|]`` (non-uniform DIF that cancels in the signed
one), ``T`` the item's expected score; and the difference at a cut. DTF sums the studied items'
differences: averaged over the focal distribution (signed and unsigned) and at the cut.

References
----------
Thissen, D., Steinberg, L., & Wainer, H. (1993). Detection of differential item functioning
    using the parameters of item response models. In *Differential Item Functioning*
    (pp. 67-113). Erlbaum.
Candell, G. L., & Drasgow, F. (1988). An iterative procedure for linking metrics and assessing
    item bias in item response theory. *Applied Psychological Measurement*, 12(3), 253-260.
Stark, S., Chernyshenko, O. S., & Drasgow, F. (2006). Detecting differential item functioning
    with confirmatory factor analysis and item response theory: toward a unified strategy.
    *Journal of Applied Psychology*, 91(6), 1292-1306.
Kopf, J., Zeileis, A., & Strobl, C. (2015). Anchor selection strategies for DIF analysis:
    review, assessment, and new approaches. *Educational and Psychological Measurement*, 75(1),
    22-56.
Raju, N. S. (1988). The area between two item characteristic curves. *Psychometrika*, 53(4),
    495-502.
Chalmers, R. P., Counsell, A., & Flora, D. B. (2016). It might not make a big DIF: improved
    differential test functioning statistics that account for sampling variability.
    *Educational and Psychological Measurement*, 76(1), 114-140.
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
from scipy import stats

from psychometrics.irt._result import CalibrationWarning
from psychometrics.irt.models import ItemParameters, expected_scores
from psychometrics.irt.multigroup import MultiGroupResult, calibrate_groups
from psychometrics.responses import NOT_PRESENTED

ANCHOR_RULES = ("all-other", "given", "purified")


def _num(v: float) -> float | None:
    return None if np.isnan(v) else float(v)


@dataclass(frozen=True)
class FocalDIF:
    """One item's DIF against one focal group.

    Attributes
    ----------
    group
        The focal group.
    signed, unsigned
        Expected-score differences reference minus focal, averaged over the focal group.
    at_cut
        The expected-score difference at the cut (NaN without a cut).
    wald, wald_df, wald_p
        Wald test of equal parameters in the reference and this focal group (NaN without a
        positive definite information or without ``wald``).
    """

    group: str
    signed: float
    unsigned: float
    at_cut: float = float("nan")
    wald: float = float("nan")
    wald_df: int = 0
    wald_p: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "signed": self.signed,
            "unsigned": self.unsigned,
            "at_cut": _num(self.at_cut),
            "wald": _num(self.wald),
            "wald_df": self.wald_df,
            "wald_p": _num(self.wald_p),
        }


@dataclass(frozen=True)
class IRTItemDIF:
    """The DIF tests of one item.

    Attributes
    ----------
    item_id
        The studied item.
    g2, df, p
        Omnibus likelihood-ratio statistic (equal parameters in all groups), degrees of freedom
        (the item's parameters x (groups - 1)), chi-square p-value.
    signed, unsigned
        Expected-score differences reference minus focal averaged over the focal group; with
        several focal groups, those of the focal group with the largest unsigned difference.
    flagged
        ``p < alpha`` (likelihood ratio).
    wald, wald_p
        Omnibus Wald test of equal parameters in all groups from the freed model's observed
        information (slope-intercept metric; NaN without a positive definite information).
    by_group
        Effect sizes and Wald tests per focal group.
    anchors
        The items constrained equal across groups when this item was tested.
    """

    item_id: str
    g2: float
    df: int
    p: float
    signed: float
    unsigned: float
    flagged: bool
    wald: float = float("nan")
    wald_p: float = float("nan")
    by_group: tuple[FocalDIF, ...] = ()
    anchors: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "G2": self.g2,
            "df": self.df,
            "p": self.p,
            "signed": self.signed,
            "unsigned": self.unsigned,
            "flagged": self.flagged,
            "wald": _num(self.wald),
            "wald_p": _num(self.wald_p),
            "by_group": [g.to_dict() for g in self.by_group],
            "n_anchors": len(self.anchors),
        }


@dataclass(frozen=True)
class FocalDTF:
    """Differential test functioning of the studied items against one focal group.

    Attributes
    ----------
    group
        The focal group.
    mean, sd
        The group's ability distribution in the anchor model (reference N(0, 1)).
    signed, unsigned
        ``E_F[sum_i d_i(theta)]`` and ``E_F[|sum_i d_i(theta)|]``, ``d_i`` the item's expected
        score difference reference minus focal.
    at_cut
        ``sum_i d_i(cut)`` (NaN without a cut).
    """

    group: str
    mean: float
    sd: float
    signed: float
    unsigned: float
    at_cut: float = float("nan")

    def to_dict(self) -> dict[str, Any]:
        return {
            "group": self.group,
            "mean": self.mean,
            "sd": self.sd,
            "signed": self.signed,
            "unsigned": self.unsigned,
            "at_cut": _num(self.at_cut),
        }


@dataclass(frozen=True)
class IRTDIFResult:
    """Outcome of :func:`irt_dif`.

    Attributes
    ----------
    items
        One test per studied item.
    reference
        The reference group.
    focal_groups
        The focal groups.
    baseline
        The anchor model: the fit with the anchor rule's free items (``F``) free, every other
        item invariant (with the default rule, the all-items-invariant model).
    alpha
        Nominal level of ``flagged``.
    dtf
        Differential test functioning per focal group.
    cut
        The ability at the cut (NaN without a cut).
    anchor_rule
        ``all-other``, ``given`` or ``purified``.
    anchors
        The items constrained equal across groups in the anchor model (an item being tested is
        never its own anchor).
    purification
        With ``purified``: the flagged set after each round, first to last.
    purification_converged
        Whether the flagged set repeated within the rounds allowed.
    wald
        Whether the Wald tests were computed.
    curves
        Per studied item, its parameters in the reference group then in each focal group (from
        the model that freed it), for :meth:`at`.
    """

    items: tuple[IRTItemDIF, ...]
    reference: str
    focal_groups: tuple[str, ...]
    baseline: MultiGroupResult
    alpha: float
    dtf: tuple[FocalDTF, ...]
    cut: float
    anchor_rule: str = "all-other"
    anchors: tuple[str, ...] = ()
    purification: tuple[tuple[str, ...], ...] = ()
    purification_converged: bool = True
    wald: bool = True
    curves: Mapping[str, tuple[ItemParameters, ...]] = field(
        default_factory=dict, repr=False, compare=False
    )

    def at(self, theta: float) -> dict[str, tuple[float, ...]]:
        """Per studied item, the expected-score difference reference minus each focal group at
        ability ``theta`` (e.g. a cut set after the DIF analysis); sum them for the DTF."""
        t = np.array([float(theta)])
        out = {}
        for item, params in self.curves.items():
            ref = expected_scores(params[0], t)[0, 0]
            out[item] = tuple(float(ref - expected_scores(p, t)[0, 0]) for p in params[1:])
        return out

    @property
    def focal(self) -> str:
        """The focal groups, comma-separated (one name with two groups)."""
        return ", ".join(self.focal_groups)

    @property
    def dtf_signed(self) -> float:
        """Signed DTF against the (first) focal group."""
        return self.dtf[0].signed

    @property
    def dtf_at_cut(self) -> float:
        """DTF at the cut against the (first) focal group."""
        return self.dtf[0].at_cut

    @property
    def method(self) -> str:
        """The tests and the anchor rule, in words."""
        rule = {
            "all-other": "all other items as anchors",
            "given": f"{len(self.anchors)} given anchor item(s), every other item free",
            "purified": (
                f"anchors purified iteratively ({len(self.purification)} round(s); "
                f"{len(self.anchors)} anchor item(s) at the end)"
            ),
        }[self.anchor_rule]
        tests = "likelihood ratio and Wald tests" if self.wald else "likelihood-ratio test"
        return (
            f"omnibus {tests} of equal item parameters in "
            f"{len(self.focal_groups) + 1} groups ({rule}); effect sizes over each focal "
            f"group's ability distribution"
        )

    def item(self, item_id: str) -> IRTItemDIF:
        for it in self.items:
            if it.item_id == item_id:
                return it
        raise KeyError(item_id)

    def to_dict(self) -> dict[str, Any]:
        base = self.baseline
        return {
            "method": self.method,
            "reference": self.reference,
            "focal": self.focal,
            "focal_groups": list(self.focal_groups),
            "alpha": self.alpha,
            "focal_mean": base.latent_means[1],
            "focal_sd": base.latent_sds[1],
            "latent_means": dict(zip(base.groups, base.latent_means, strict=True)),
            "latent_sds": dict(zip(base.groups, base.latent_sds, strict=True)),
            "anchor_rule": self.anchor_rule,
            "anchors": list(self.anchors),
            "purification": [list(s) for s in self.purification],
            "purification_converged": self.purification_converged,
            "dtf_signed": self.dtf_signed,
            "dtf_at_cut": _num(self.dtf_at_cut),
            "dtf": [d.to_dict() for d in self.dtf],
            "cut": _num(self.cut),
            "items": [i.to_dict() for i in self.items],
        }


def irt_dif(
    scores: np.ndarray,
    groups: Sequence,
    *,
    item_ids: Sequence[str] | None = None,
    model: str = "2pl",
    poly_model: str | None = None,
    reference=None,
    items: Sequence[str] | None = None,
    anchors: Sequence[str] | None = None,
    purify: bool = False,
    max_rounds: int = 10,
    alpha: float = 0.05,
    cut: float | None = None,
    n_points: int = 61,
    wald: bool = True,
    threads: int | None = None,
) -> IRTDIFResult:
    """Likelihood-ratio and Wald IRT DIF for a reference and one or more focal groups.

    Parameters
    ----------
    scores
        Persons x items integer scores, ``-1`` for not presented.
    groups
        One label per person; two or more groups.
    item_ids
        Column names (default ``item1, ...``).
    model
        IRT model of every item (of the dichotomous items when ``poly_model`` is given).
    poly_model
        Model of the polytomous items of a mixed test (``grm``, ``gpcm``, ``pcm``).
    reference
        Reference group (default the first label in sorted order); every other group is focal.
    items
        Items to test (default all, or all but the anchors).
    anchors
        Items constrained equal across groups; every other item is free in every model and the
        non-anchors are tested (the free baseline). Default: all other items anchor each test.
    purify
        Purify the anchors iteratively (not with ``anchors``): items flagged in one round are
        freed in the next, until the flagged set repeats. At least one item always anchors.
    max_rounds
        Rounds of purification at most (a warning if the flagged set has not repeated).
    alpha
        Level for ``flagged`` (and for purification).
    cut
        Ability at the cut score, for the differences at the cut.
    n_points
        Quadrature points for the effect sizes (on each focal mean +- 6 SD).
    wald
        Also compute the Wald tests (needs the observed information of each freed model: about
        two E-steps per free parameter).
    threads
        BLAS threads (see :mod:`psychometrics.irt.threads`).

    Returns
    -------
    IRTDIFResult

    Raises
    ------
    ValueError
        Fewer than two groups, an unknown item or anchor, an anchor also listed in ``items``,
        ``anchors`` with ``purify``, no anchor left, bad ``alpha`` or ``max_rounds``.

    References
    ----------
    Thissen, Steinberg & Wainer (1993); Candell & Drasgow (1988); Kopf, Zeileis & Strobl
    (2015): see the module docstring.
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if int(max_rounds) < 1:
        raise ValueError(f"max_rounds must be at least 1, got {max_rounds!r}")
    if len({str(g) for g in groups}) < 2:
        raise ValueError("groups: IRT DIF needs at least two groups")
    if anchors is not None and purify:
        raise ValueError("anchors and purify: give anchor items or purify, not both")
    ids = (
        tuple(str(i) for i in item_ids)
        if item_ids is not None
        else tuple(f"item{j + 1}" for j in range(np.shape(scores)[1]))
    )
    for name, given in (("items", items), ("anchors", anchors)):
        unknown = [i for i in (given or ()) if i not in ids]
        if unknown:
            raise ValueError(f"{name}: not an item: {', '.join(map(str, unknown[:5]))}")
    anchor_set = None if anchors is None else {str(a) for a in anchors}
    if anchor_set is not None:
        if not anchor_set:
            raise ValueError("anchors: give at least one anchor item")
        both = [i for i in (items or ()) if i in anchor_set]
        if both:
            raise ValueError(f"items: {', '.join(both[:5])} also listed as anchors")
        if len(anchor_set) == len(ids):
            raise ValueError("anchors: every item is an anchor; nothing left to test")
    studied = tuple(
        str(i)
        for i in (items if items is not None else ids)
        if anchor_set is None or i not in anchor_set
    )
    fits: dict[tuple[frozenset, bool], MultiGroupResult] = {}

    def fit(free: frozenset, se: bool) -> MultiGroupResult:
        hit = fits.get((free, True)) or fits.get((free, se))
        if hit is None:
            hit = calibrate_groups(
                scores,
                groups,
                item_ids=ids,
                model=model,
                poly_model=poly_model,
                reference=reference,
                free_items=tuple(i for i in ids if i in free),
                se=se,
                threads=threads,
            )
            fits[(free, se)] = hit
        return hit

    def round_(free: frozenset) -> dict[str, tuple[float, int, MultiGroupResult]]:
        out = {}
        for item in studied:
            m1 = fit(free | {item}, wald)
            m0 = fit(free - {item}, False)
            g2 = max(0.0, 2.0 * (m1.loglik - m0.loglik))
            out[item] = (g2, int(m1.n_parameters - m0.n_parameters), m1)
        return out

    if anchor_set is not None:
        rule, free = "given", frozenset(i for i in ids if i not in anchor_set)
    else:
        rule, free = ("purified" if purify else "all-other"), frozenset()
    history: list[tuple[str, ...]] = []
    converged = True
    tests = round_(free)
    if purify:
        seen = {free}
        converged = False
        for _ in range(int(max_rounds)):
            flagged = _flag(tests, alpha, len(ids))
            history.append(tuple(i for i in ids if i in flagged))
            if flagged == free:
                converged = True
                break
            if flagged in seen:  # a cycle: stop at the union of the sets in it
                flagged = _keep_an_anchor(free | flagged, tests, len(ids))
                history.append(tuple(i for i in ids if i in flagged))
            seen.add(flagged)
            free = flagged
            tests = round_(free)
        if not converged:
            warnings.warn(
                f"anchor purification: the flagged set did not repeat in {max_rounds} rounds; "
                "the last round's tests are reported",
                CalibrationWarning,
                stacklevel=2,
            )
    base = fit(free, False)
    res = _result(tests, base, studied, ids, free, rule, history, converged, alpha, cut, n_points)
    return replace(res, wald=bool(wald))


def screen_items(
    scores: np.ndarray, groups: Sequence, *, min_persons: int = 100
) -> tuple[np.ndarray, np.ndarray]:
    """Which items a multiple-group DIF analysis can use and which it can test.

    Returns two boolean masks over the columns: *usable*, items with at least two score
    categories observed in every group (an item without variance in a group cannot be freed
    there); *testable*, usable items presented to at least ``min_persons`` persons of every
    group (fewer give tests without power and unstable group-specific estimates).
    """
    x = np.asarray(scores)
    labels = np.asarray([str(g) for g in groups])
    usable = np.ones(x.shape[1], dtype=bool)
    testable = np.ones(x.shape[1], dtype=bool)
    for g in np.unique(labels):
        sub = x[labels == g]
        seen = sub != NOT_PRESENTED
        lo = np.where(seen, sub, np.iinfo(sub.dtype).max).min(
            axis=0, initial=np.iinfo(sub.dtype).max
        )
        hi = np.where(seen, sub, -1).max(axis=0, initial=-1)
        usable &= hi > lo
        testable &= seen.sum(axis=0) >= int(min_persons)
    return usable, usable & testable


def _flag(tests, alpha, n_items) -> frozenset:
    flagged = frozenset(i for i, (g2, df, _) in tests.items() if stats.chi2.sf(g2, df) < alpha)
    return _keep_an_anchor(flagged, tests, n_items)


def _keep_an_anchor(flagged: frozenset, tests, n_items) -> frozenset:
    """Unflag the least significant item when nothing would be left to anchor the scale."""
    if len(flagged) < n_items:
        return flagged
    weakest = max(flagged, key=lambda i: stats.chi2.sf(tests[i][0], tests[i][1]))
    return flagged - {weakest}


def _result(tests, base, studied, ids, free, rule, history, converged, alpha, cut, n_points):
    ref, focals = base.groups[0], base.groups[1:]
    grids = []
    for k in range(1, len(base.groups)):
        mean, sd = base.latent_means[k], base.latent_sds[k]
        theta = np.linspace(mean - 6 * sd, mean + 6 * sd, int(n_points))
        w = np.exp(-0.5 * ((theta - mean) / sd) ** 2)
        grids.append((theta, w / w.sum()))
    total = [np.zeros(t.size) for t, _ in grids]
    total_cut = np.zeros(len(focals))
    out, curves = [], {}
    for item in studied:
        g2, df, m1 = tests[item]
        p = float(stats.chi2.sf(g2, df)) if df > 0 else float("nan")
        pr = m1.group_params[ref].subset([item])
        walds = _wald(m1, item, ref, focals)
        by_group = []
        for k, f in enumerate(focals):
            pf = m1.group_params[f].subset([item])
            theta, w = grids[k]
            d = expected_scores(pr, theta)[:, 0] - expected_scores(pf, theta)[:, 0]
            total[k] += d
            at_cut = float("nan")
            if cut is not None:
                c = np.array([cut], dtype=float)
                at_cut = float(expected_scores(pr, c)[0, 0] - expected_scores(pf, c)[0, 0])
                total_cut[k] += at_cut
            wv, wdf, wp = walds[1 + k]
            by_group.append(FocalDIF(f, float(w @ d), float(w @ np.abs(d)), at_cut, wv, wdf, wp))
        curves[item] = (pr, *(m1.group_params[f].subset([item]) for f in focals))
        worst = max(by_group, key=lambda g: g.unsigned)
        out.append(
            IRTItemDIF(
                item_id=item,
                g2=float(g2),
                df=int(df),
                p=p,
                signed=worst.signed,
                unsigned=worst.unsigned,
                flagged=bool(p < alpha),
                wald=walds[0][0],
                wald_p=walds[0][2],
                by_group=tuple(by_group),
                anchors=tuple(i for i in ids if i not in free and i != item),
            )
        )
    dtf = tuple(
        FocalDTF(
            group=f,
            mean=float(base.latent_means[k + 1]),
            sd=float(base.latent_sds[k + 1]),
            signed=float(grids[k][1] @ total[k]),
            unsigned=float(grids[k][1] @ np.abs(total[k])),
            at_cut=float(total_cut[k]) if cut is not None else float("nan"),
        )
        for k, f in enumerate(focals)
    )
    return IRTDIFResult(
        items=tuple(out),
        reference=ref,
        focal_groups=tuple(focals),
        baseline=base,
        alpha=float(alpha),
        dtf=dtf,
        cut=float(cut) if cut is not None else float("nan"),
        anchor_rule=rule,
        anchors=tuple(i for i in ids if i not in free),
        purification=tuple(history),
        purification_converged=converged,
        curves=curves,
    )


def _wald(fit: MultiGroupResult, item: str, ref: str, focals) -> list[tuple[float, int, float]]:
    """Wald chi-squares of equal parameters of ``item``: omnibus (all groups), then reference
    against each focal group; ``(statistic, df, p)`` each."""
    nan = (float("nan"), 0, float("nan"))
    if fit.covariance is None or fit.estimates is None:
        return [nan] * (1 + len(focals))
    names = fit.parameter_names
    ir = [k for k, n in enumerate(names) if n.startswith(f"{item}@@{ref}:")]
    contrasts = []
    for f in focals:
        jf = [k for k, n in enumerate(names) if n.startswith(f"{item}@@{f}:")]
        if not ir or len(ir) != len(jf):
            return [nan] * (1 + len(focals))
        rows = np.zeros((len(ir), len(names)))
        rows[np.arange(len(ir)), ir] = 1.0
        rows[np.arange(len(ir)), jf] = -1.0
        contrasts.append(rows)
    out = [_wald_stat(np.vstack(contrasts), fit)]
    out.extend(_wald_stat(c, fit) for c in contrasts)
    return out


def _wald_stat(contrast: np.ndarray, fit: MultiGroupResult) -> tuple[float, int, float]:
    d = contrast @ fit.estimates
    v = contrast @ fit.covariance @ contrast.T
    try:
        w = float(d @ np.linalg.solve(v, d))
    except np.linalg.LinAlgError:
        return float("nan"), int(d.size), float("nan")
    return w, int(d.size), float(stats.chi2.sf(w, d.size))
