"""IRT-based DIF: likelihood-ratio tests on a multiple-group model, with effect sizes on the
score scale and differential test functioning (DTF).

For each studied item the constrained baseline (every item invariant, the focal group's ability
mean and SD free) is compared with the model that frees that item in both groups
(:func:`~psychometrics.irt.multigroup.calibrate_groups`): ``G2 = 2 (loglik_free -
loglik_baseline)``, chi-square with as many degrees of freedom as the item has parameters. The
other items anchor the scale (all-other-items anchoring). Effect sizes use the freed model's
group-specific parameters, averaged over the focal group's ability distribution:

* signed: ``E_F[T_R(theta) - T_F(theta)]`` (positive: the item favours the reference group),
* unsigned: ``E_F[|T_R(theta) - T_F(theta)|]`` (non-uniform DIF that cancels in the signed one),

with ``T`` the item's expected score. DTF sums the items' differences: at a given cut on the
theta scale, and averaged over the focal distribution.

References
----------
Thissen, D., Steinberg, L., & Wainer, H. (1993). Detection of differential item functioning
    using the parameters of item response models. In *Differential Item Functioning*
    (pp. 67-113). Erlbaum.
Raju, N. S. (1988). The area between two item characteristic curves. *Psychometrika*, 53(4),
    495-502.
Chalmers, R. P., Counsell, A., & Flora, D. B. (2016). It might not make a big DIF: improved
    differential test functioning statistics that account for sampling variability.
    *Educational and Psychological Measurement*, 76(1), 114-140.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import stats

from psychometrics.irt.models import expected_scores
from psychometrics.irt.multigroup import MultiGroupResult, calibrate_groups


@dataclass(frozen=True)
class IRTItemDIF:
    """The likelihood-ratio DIF test of one item.

    Attributes
    ----------
    item_id
        The studied item.
    g2, df, p
        Likelihood-ratio statistic, degrees of freedom, chi-square p-value.
    signed, unsigned
        Expected-score differences reference minus focal, averaged over the focal group.
    flagged
        ``p < alpha`` (likelihood ratio).
    wald, wald_p
        Wald test of equal parameters in the two groups from the freed model's observed
        information (slope-intercept metric; NaN without a positive definite information).
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

    def to_dict(self) -> dict[str, Any]:
        return {
            "item_id": self.item_id,
            "G2": self.g2,
            "df": self.df,
            "p": self.p,
            "signed": self.signed,
            "unsigned": self.unsigned,
            "flagged": self.flagged,
            "wald": None if np.isnan(self.wald) else self.wald,
            "wald_p": None if np.isnan(self.wald_p) else self.wald_p,
        }


@dataclass(frozen=True)
class IRTDIFResult:
    """Outcome of :func:`irt_dif`.

    Attributes
    ----------
    items
        One test per studied item.
    reference, focal
        The two groups.
    baseline
        The constrained (all items invariant) multiple-group fit.
    alpha
        Nominal level of ``flagged``.
    dtf_signed
        Sum over studied items of their signed differences (expected test score, reference
        minus focal, at the same ability, averaged over the focal group).
    dtf_at_cut, cut
        The expected test-score difference at ability ``cut`` (NaN without a cut).
    method
        In words.
    """

    items: tuple[IRTItemDIF, ...]
    reference: str
    focal: str
    baseline: MultiGroupResult
    alpha: float
    dtf_signed: float
    dtf_at_cut: float
    cut: float
    method: str = (
        "likelihood ratio against the all-items-invariant multiple-group model "
        "(all other items as anchors); effect sizes over the focal ability distribution"
    )

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "reference": self.reference,
            "focal": self.focal,
            "alpha": self.alpha,
            "focal_mean": self.baseline.latent_means[1],
            "focal_sd": self.baseline.latent_sds[1],
            "dtf_signed": self.dtf_signed,
            "dtf_at_cut": None if np.isnan(self.dtf_at_cut) else self.dtf_at_cut,
            "cut": None if np.isnan(self.cut) else self.cut,
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
    alpha: float = 0.05,
    cut: float | None = None,
    n_points: int = 61,
    threads: int | None = None,
) -> IRTDIFResult:
    """Likelihood-ratio IRT DIF for two groups, with signed/unsigned effect sizes and DTF.

    Each studied item also gets a Wald test of equal parameters from the freed model's observed
    information (one fit serves both tests).

    Parameters
    ----------
    scores
        Persons x items integer scores, ``-1`` for not presented.
    groups
        One label per person; exactly two groups.
    item_ids
        Column names (default ``item1, ...``).
    model
        IRT model of every item (of the dichotomous items when ``poly_model`` is given).
    poly_model
        Model of the polytomous items of a mixed test (``grm``, ``gpcm``, ``pcm``).
    reference
        Reference group (default the first label in sorted order).
    items
        Items to test (default all).
    alpha
        Level for ``flagged``.
    cut
        Ability at the cut score, for ``dtf_at_cut``.
    n_points
        Quadrature points for the effect sizes (on the focal mean +- 6 SD).
    threads
        BLAS threads (see :mod:`psychometrics.irt.threads`).

    Returns
    -------
    IRTDIFResult
    """
    if not 0 < alpha < 1:
        raise ValueError(f"alpha must be in (0, 1), got {alpha!r}")
    if len({str(g) for g in groups}) != 2:
        raise ValueError("groups: IRT DIF needs exactly two groups")
    base = calibrate_groups(
        scores,
        groups,
        item_ids=item_ids,
        model=model,
        poly_model=poly_model,
        reference=reference,
        se=False,
        threads=threads,
    )
    ref, foc = base.groups
    ids = base.group_params[ref].item_ids
    studied = tuple(ids) if items is None else tuple(items)
    mean, sd = base.latent_means[1], base.latent_sds[1]
    theta = np.linspace(mean - 6 * sd, mean + 6 * sd, int(n_points))
    w = np.exp(-0.5 * ((theta - mean) / sd) ** 2)
    w /= w.sum()
    out, diffs, at_cut = [], np.zeros(theta.size), 0.0
    for item in studied:
        free = calibrate_groups(
            scores,
            groups,
            item_ids=item_ids,
            model=model,
            poly_model=poly_model,
            reference=ref,
            free_items=(item,),
            threads=threads,
        )
        g2 = max(0.0, 2.0 * (free.loglik - base.loglik))
        df = free.n_parameters - base.n_parameters
        p = float(stats.chi2.sf(g2, df))
        pr = free.group_params[ref].subset([item])
        pf = free.group_params[foc].subset([item])
        d = expected_scores(pr, theta)[:, 0] - expected_scores(pf, theta)[:, 0]
        diffs += d
        if cut is not None:
            at_cut += float(
                expected_scores(pr, np.array([cut]))[0, 0]
                - expected_scores(pf, np.array([cut]))[0, 0]
            )
        wald, wald_p = _wald(free, item, ref, foc)
        out.append(
            IRTItemDIF(
                item_id=item,
                g2=float(g2),
                df=int(df),
                p=p,
                signed=float(w @ d),
                unsigned=float(w @ np.abs(d)),
                flagged=bool(p < alpha),
                wald=wald,
                wald_p=wald_p,
            )
        )
    return IRTDIFResult(
        items=tuple(out),
        reference=ref,
        focal=foc,
        baseline=base,
        alpha=float(alpha),
        dtf_signed=float(w @ diffs),
        dtf_at_cut=float(at_cut) if cut is not None else float("nan"),
        cut=float(cut) if cut is not None else float("nan"),
    )


def _wald(fit: MultiGroupResult, item: str, ref: str, foc: str) -> tuple[float, float]:
    """Wald chi-square of equal parameters of ``item`` in the two groups."""
    if fit.covariance is None or fit.estimates is None:
        return float("nan"), float("nan")
    names = fit.parameter_names
    ir = [k for k, n in enumerate(names) if n.startswith(f"{item}@@{ref}:")]
    jf = [k for k, n in enumerate(names) if n.startswith(f"{item}@@{foc}:")]
    if not ir or len(ir) != len(jf):
        return float("nan"), float("nan")
    d = fit.estimates[ir] - fit.estimates[jf]
    c = fit.covariance
    v = c[np.ix_(ir, ir)] + c[np.ix_(jf, jf)] - c[np.ix_(ir, jf)] - c[np.ix_(jf, ir)]
    w = float(d @ np.linalg.solve(v, d))
    return w, float(stats.chi2.sf(w, len(d)))
