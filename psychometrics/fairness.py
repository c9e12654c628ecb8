"""Adverse impact of pass/fail decisions: the four-fifths rule, significance and precision.

For a focal and a reference group with ``x`` passes out of ``n`` candidates each:

- the **impact ratio** is the focal pass rate divided by the reference pass rate, compared with
  the four-fifths (80 %) rule of the Uniform Guidelines (29 CFR 1607.4D); its 95 % confidence
  interval is Katz's log interval (with 0.5 added to every cell when a count is zero);
- **significance**: Fisher's exact test (two-sided) and the two-proportion z test (pooled SE);
- the **difference in pass rates** with Newcombe's (1998) hybrid score interval (method 10, from
  the two groups' Wilson intervals);
- **sample size**: whether the groups are large enough for the ratio to be stable (the
  one-candidate "flip-flop" check: would one more or one fewer focal pass move the ratio across
  0.8?), the smallest difference the z test would detect with 80 % power at the observed sizes,
  and the number of additional focal passes that would bring the ratio to 0.8 (the shortfall).

References
----------
Equal Employment Opportunity Commission et al. (1978). Uniform Guidelines on Employee Selection
    Procedures, 29 CFR 1607.4D (the four-fifths rule).
Katz, D., Baptista, J., Azen, S. P., & Pike, M. C. (1978). Obtaining confidence intervals for
    the risk ratio in cohort studies. *Biometrics*, 34(3), 469-474.
Newcombe, R. G. (1998). Interval estimation for the difference between independent proportions:
    comparison of eleven methods. *Statistics in Medicine*, 17(8), 873-890.
Morris, S. B., & Lobsenz, R. E. (2000). Significance tests and confidence intervals for the
    adverse impact ratio. *Personnel Psychology*, 53(1), 89-111.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass
from typing import Any

from scipy import stats

FOUR_FIFTHS = 0.8
_EPS = 1e-9  # 16/25 over 80/100 is 0.8 exactly, not 0.79999999


def _below(ratio: float) -> bool:
    return bool(ratio < FOUR_FIFTHS - _EPS)


@dataclass(frozen=True)
class AdverseImpact:
    """Adverse impact of the pass/fail decisions on a focal group against a reference group.

    Attributes
    ----------
    focal, reference
        Group labels.
    n_focal, n_reference, pass_focal, pass_reference
        Candidates and passes per group.
    rate_focal, rate_reference
        Pass rates.
    impact_ratio, ratio_ci
        Focal rate / reference rate and its Katz log confidence interval.
    below_four_fifths
        ``impact_ratio < 0.8``.
    difference, difference_ci
        Focal rate - reference rate and its Newcombe hybrid score interval.
    fisher_p, z, z_p
        Fisher's exact test (two-sided) and the pooled two-proportion z test.
    flip_flop
        True when one more or one fewer focal pass would put the ratio on the other side of 0.8.
    shortfall
        Additional focal passes needed for the ratio to reach 0.8 (0 when it does already).
    detectable_difference
        The smallest difference in pass rates the two-sided z test at ``alpha`` detects with 80 %
        power at these group sizes and the pooled rate.
    confidence, alpha
        Confidence level of the intervals and the tests' level.
    note
        The sample-size note in words.
    """

    focal: str
    reference: str
    n_focal: int
    n_reference: int
    pass_focal: int
    pass_reference: int
    rate_focal: float
    rate_reference: float
    impact_ratio: float
    ratio_ci: tuple[float, float]
    below_four_fifths: bool
    difference: float
    difference_ci: tuple[float, float]
    fisher_p: float
    z: float
    z_p: float
    flip_flop: bool
    shortfall: int
    detectable_difference: float
    confidence: float
    alpha: float
    note: str

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def wilson_interval(x: int, n: int, *, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval of a proportion ``x / n``."""
    z = stats.norm.ppf(0.5 + confidence / 2)
    p = x / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / (1 + z * z / n)
    return centre - half, centre + half


def newcombe_interval(
    x1: int, n1: int, x2: int, n2: int, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Newcombe's (1998) method-10 interval of ``x1/n1 - x2/n2`` from two Wilson intervals."""
    p1, p2 = x1 / n1, x2 / n2
    l1, u1 = wilson_interval(x1, n1, confidence=confidence)
    l2, u2 = wilson_interval(x2, n2, confidence=confidence)
    d = p1 - p2
    lower = d - math.sqrt((p1 - l1) ** 2 + (u2 - p2) ** 2)
    upper = d + math.sqrt((u1 - p1) ** 2 + (p2 - l2) ** 2)
    return lower, upper


def katz_interval(
    x1: int, n1: int, x2: int, n2: int, *, confidence: float = 0.95
) -> tuple[float, float]:
    """Katz et al.'s (1978) log interval of the ratio ``(x1/n1) / (x2/n2)``.

    With a zero count, 0.5 is added to every cell of the 2x2 table.
    """
    if min(x1, x2, n1 - x1, n2 - x2) == 0:
        x1, x2, n1, n2 = x1 + 0.5, x2 + 0.5, n1 + 1, n2 + 1
    z = stats.norm.ppf(0.5 + confidence / 2)
    ratio = (x1 / n1) / (x2 / n2)
    se = math.sqrt(1 / x1 - 1 / n1 + 1 / x2 - 1 / n2)
    return ratio * math.exp(-z * se), ratio * math.exp(z * se)


def _check_counts(name: str, x: Any, n: Any) -> tuple[int, int]:
    for label, v in ((f"pass_{name}", x), (f"n_{name}", n)):
        if isinstance(v, bool) or not isinstance(v, int | float) or v != int(v) or v < 0:
            raise ValueError(f"{label}: must be a non-negative whole number, got {v!r}")
    x, n = int(x), int(n)
    if n == 0:
        raise ValueError(f"n_{name}: the group has no candidates")
    if x > n:
        raise ValueError(f"pass_{name}: {x} passes exceed the {n} candidates")
    return x, n


def adverse_impact(
    pass_focal: int,
    n_focal: int,
    pass_reference: int,
    n_reference: int,
    *,
    focal: str = "focal",
    reference: str = "reference",
    confidence: float = 0.95,
    alpha: float = 0.05,
) -> AdverseImpact:
    """Four-fifths rule, Fisher's exact and z tests, intervals and a sample-size note.

    Parameters
    ----------
    pass_focal, n_focal, pass_reference, n_reference
        Passes and candidates of each group.
    focal, reference
        Group labels for the note.
    confidence
        Confidence level of the intervals.
    alpha
        Level of the tests (and of the detectable difference).

    Returns
    -------
    AdverseImpact

    References
    ----------
    29 CFR 1607.4D; Katz et al. (1978); Newcombe (1998); Morris & Lobsenz (2000).
    """
    xf, nf = _check_counts("focal", pass_focal, n_focal)
    xr, nr = _check_counts("reference", pass_reference, n_reference)
    if not 0 < confidence < 1:
        raise ValueError(f"confidence: must be in (0, 1), got {confidence}")
    if not 0 < alpha < 1:
        raise ValueError(f"alpha: must be in (0, 1), got {alpha}")
    rf, rr = xf / nf, xr / nr
    ratio = rf / rr if rr > 0 else math.nan
    ratio_ci = katz_interval(xf, nf, xr, nr, confidence=confidence)
    fisher_p = float(stats.fisher_exact([[xf, nf - xf], [xr, nr - xr]])[1])
    pooled = (xf + xr) / (nf + nr)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / nf + 1 / nr))
    z = (rf - rr) / se0 if se0 > 0 else 0.0
    z_p = float(2 * stats.norm.sf(abs(z)))
    flip = False
    if rr > 0:
        side = _below(ratio)
        flip = any(_below(((xf + d) / nf) / rr) != side for d in (-1, 1) if 0 <= xf + d <= nf)
    shortfall = max(0, math.ceil(FOUR_FIFTHS * rr * nf - xf - 1e-9)) if rr > 0 else 0
    z_a, z_b = stats.norm.ppf(1 - alpha / 2), stats.norm.ppf(0.8)
    detectable = (z_a + z_b) * math.sqrt(pooled * (1 - pooled) * (1 / nf + 1 / nr))
    notes = []
    small = min(nf, nr) < 30 or min(xf, nf - xf, xr, nr - xr) < 5
    if small:
        notes.append(
            "a group is small (fewer than 30 candidates, or fewer than 5 passes or failures): "
            "rely on Fisher's exact test, and read the ratio with its wide interval"
        )
    if flip:
        notes.append(
            "one focal candidate more or less passing would move the ratio across 0.8, so the "
            "four-fifths result is not stable at this sample size"
        )
    notes.append(
        f"at these sizes ({nf} {focal}, {nr} {reference}) the z test detects a difference in "
        f"pass rates of {100 * detectable:.1f} points with 80% power (alpha {alpha:g})"
    )
    if _below(ratio) and shortfall:
        notes.append(f"{shortfall} more {focal} passes would bring the ratio to 0.8")
    return AdverseImpact(
        focal=focal,
        reference=reference,
        n_focal=nf,
        n_reference=nr,
        pass_focal=xf,
        pass_reference=xr,
        rate_focal=rf,
        rate_reference=rr,
        impact_ratio=ratio,
        ratio_ci=ratio_ci,
        below_four_fifths=_below(ratio),
        difference=rf - rr,
        difference_ci=newcombe_interval(xf, nf, xr, nr, confidence=confidence),
        fisher_p=fisher_p,
        z=float(z),
        z_p=z_p,
        flip_flop=flip,
        shortfall=int(shortfall),
        detectable_difference=float(detectable),
        confidence=confidence,
        alpha=alpha,
        note="; ".join(notes) + ".",
    )
