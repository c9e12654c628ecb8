"""Adverse impact: published values (Newcombe 1998; the Uniform Guidelines' four-fifths rule) and
independent computations (hypergeometric sums, the uncorrected chi-square, Katz's formula)."""

import math

import pytest
from scipy import stats

from psychometrics.fairness import adverse_impact, katz_interval, newcombe_interval


def test_newcombe_method_10_matches_the_published_example():
    # Newcombe (1998), Table II, example (a): 56/70 - 48/80, method 10: 0.0524 to 0.3339
    lo, hi = newcombe_interval(56, 70, 48, 80)
    assert lo == pytest.approx(0.0524, abs=5e-5)
    assert hi == pytest.approx(0.3339, abs=5e-5)


def test_four_fifths_rule_on_the_guidelines_example():
    # 29 CFR 1607.4D / EEOC Q&A 12: 48 of 80 majority and 12 of 40 minority applicants pass;
    # 30% / 60% = 0.5 < 0.8: adverse impact indicated
    r = adverse_impact(12, 40, 48, 80, focal="minority", reference="majority")
    assert r.impact_ratio == pytest.approx(0.5)
    assert r.below_four_fifths
    assert r.shortfall == 8  # 0.8 x 0.6 x 40 = 19.2 -> 20 passes needed, 12 observed
    assert "8 more minority passes" in r.note


def _fisher_two_sided(a, b, c, d):
    """Sum of the hypergeometric probabilities no larger than the observed one."""
    n1, n2, k = a + b, c + d, a + c
    dist = stats.hypergeom(n1 + n2, n1, k)
    p_obs = dist.pmf(a)
    lo, hi = max(0, k - n2), min(k, n1)
    return sum(dist.pmf(x) for x in range(lo, hi + 1) if dist.pmf(x) <= p_obs * (1 + 1e-7))


@pytest.mark.parametrize("xf,nf,xr,nr", [(12, 40, 48, 80), (5, 9, 30, 35), (560, 1000, 640, 1000)])
def test_tests_match_independent_computations(xf, nf, xr, nr):
    r = adverse_impact(xf, nf, xr, nr)
    assert r.fisher_p == pytest.approx(_fisher_two_sided(xf, nf - xf, xr, nr - xr), rel=1e-6)
    chi2 = stats.chi2_contingency([[xf, nf - xf], [xr, nr - xr]], correction=False)[0]
    assert r.z**2 == pytest.approx(chi2, rel=1e-9)
    assert r.z_p == pytest.approx(stats.chi2.sf(chi2, 1), rel=1e-9)
    # Katz: exp(log ratio +- 1.96 sqrt(1/x1 - 1/n1 + 1/x2 - 1/n2))
    se = math.sqrt(1 / xf - 1 / nf + 1 / xr - 1 / nr)
    ratio = (xf / nf) / (xr / nr)
    lo, hi = r.ratio_ci
    assert lo == pytest.approx(ratio * math.exp(-1.959963985 * se), rel=1e-8)
    assert hi == pytest.approx(ratio * math.exp(1.959963985 * se), rel=1e-8)


def test_small_groups_and_flip_flop_are_noted():
    r = adverse_impact(4, 10, 30, 40)  # 0.4 / 0.75 = 0.533
    assert "small" in r.note and r.below_four_fifths
    flip = adverse_impact(16, 25, 80, 100)  # 0.64 / 0.80 = 0.80 exactly; 15 passes -> 0.75
    assert flip.flip_flop and not flip.below_four_fifths
    stable = adverse_impact(560, 1000, 640, 1000)
    assert not stable.flip_flop and "small" not in stable.note
    assert stable.detectable_difference == pytest.approx(
        (1.959963985 + 0.841621234) * math.sqrt(0.6 * 0.4 * (2 / 1000)), rel=1e-8
    )


def test_zero_cells_still_give_a_finite_interval():
    lo, hi = katz_interval(0, 20, 10, 20)
    assert 0 < lo < hi < 1


@pytest.mark.parametrize(
    "args,match",
    [((5, 4, 1, 2), "pass_focal"), ((1, 0, 1, 2), "n_focal"), ((1, 2, -1, 2), "pass_reference"),
     ((1.5, 2, 1, 2), "pass_focal")],
)  # fmt: skip
def test_bad_counts_name_the_argument(args, match):
    with pytest.raises(ValueError, match=match):
        adverse_impact(*args)
