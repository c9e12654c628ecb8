"""Decision accuracy and consistency against direct formulas, brute force and simulation.

Expected values are computed in this file: normal CDFs written with math.erf, response-pattern
enumeration, numerical integration with scipy.integrate.quad, and Monte Carlo replications.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy import integrate, stats

from psychometrics import classification as cl
from psychometrics.irt.models import ItemParameters


def phi(x: float) -> float:
    return 0.5 * (1.0 + math.erf(x / math.sqrt(2.0)))


A6 = np.array([1.2, 0.8, 1.5, 1.0, 2.0, 0.7])
B6 = np.array([-1.0, -0.3, 0.0, 0.4, 0.9, 1.5])
C6 = np.array([0.2, 0.15, 0.25, 0.0, 0.2, 0.1])


def six_items() -> ItemParameters:
    return ItemParameters(
        item_ids=tuple(f"I{j}" for j in range(6)), model=("3pl",) * 6, a=A6, b=B6, c=C6
    )


def p3(theta: float) -> np.ndarray:
    return C6 + (1 - C6) / (1 + np.exp(-A6 * (theta - B6)))


def nodes_weights(n: int = 41):
    t = np.linspace(-4, 4, n)
    w = np.exp(-0.5 * t**2)
    return t, w / w.sum()


# --------------------------------------------------------------------------------------------
# Rudner
# --------------------------------------------------------------------------------------------


def test_rudner_matches_direct_normal_cdf_formulas():
    theta = np.array([-1.2, -0.5, -0.1, 0.0, 0.3, 0.8, 1.9])
    se = np.array([0.4, 0.3, 0.35, 0.3, 0.25, 0.3, 0.5])
    cut = 0.1
    acc = cons = fp = fn = 0.0
    # Rudner (2005): the estimate stands in for the true theta; the observed estimate is
    # N(theta_hat, se^2). A truly failing examinee observed above the cut is a false positive.
    for t, s in zip(theta, se, strict=True):
        p_above = 1.0 - phi((cut - t) / s)  # P(observed theta >= cut | true theta = t)
        if t >= cut:
            acc += p_above
            fn += 1 - p_above
        else:
            acc += 1 - p_above
            fp += p_above
        cons += p_above**2 + (1 - p_above) ** 2
    n = theta.size
    res = cl.rudner(theta, se, cuts=cut)
    assert res.accuracy == pytest.approx(acc / n, abs=1e-12)
    assert res.consistency == pytest.approx(cons / n, abs=1e-12)
    assert res.false_positive == pytest.approx(fp / n, abs=1e-12)
    assert res.false_negative == pytest.approx(fn / n, abs=1e-12)
    assert res.accuracy + res.false_positive + res.false_negative == pytest.approx(1.0)
    assert res.true_pass_rate == pytest.approx(np.mean(theta >= cut))
    assert res.pass_rate == pytest.approx(
        np.mean([1.0 - phi((cut - t) / s) for t, s in zip(theta, se, strict=True)]), abs=1e-12
    )
    # kappa: chance agreement from the mean category probabilities
    m = np.mean([1.0 - phi((cut - t) / s) for t, s in zip(theta, se, strict=True)])
    chance = m**2 + (1 - m) ** 2
    assert res.kappa == pytest.approx((cons / n - chance) / (1 - chance), abs=1e-12)


def test_rudner_two_cuts_three_levels():
    theta, se, cuts = np.array([-0.9, 0.2, 1.4]), np.array([0.3, 0.3, 0.4]), (-0.5, 1.0)
    res = cl.rudner(theta, se, cuts=cuts)
    acc = 0.0
    for t, s in zip(theta, se, strict=True):
        probs = [
            phi((cuts[0] - t) / s),
            phi((cuts[1] - t) / s) - phi((cuts[0] - t) / s),
            1 - phi((cuts[1] - t) / s),
        ]
        acc += probs[int(np.searchsorted(cuts, t, side="right"))]
    assert res.accuracy == pytest.approx(acc / 3, abs=1e-12)
    assert np.array(res.joint).shape == (3, 3)


def test_rudner_population_matches_direct_sum_and_quad():
    params = six_items()
    cut = 0.2

    def se_at(t):
        p = p3(t)
        info = A6**2 * (p - C6) ** 2 * (1 - p) / ((1 - C6) ** 2 * p)  # 3PL information
        return 1.0 / math.sqrt(info.sum())

    def acc_at(t):
        q = phi((cut - t) / se_at(t))  # P(estimate below the cut)
        return 1 - q if t >= cut else q

    def cons_at(t):
        q = phi((cut - t) / se_at(t))
        return q**2 + (1 - q) ** 2

    t, w = nodes_weights()
    res = cl.rudner_population(params, cuts=cut, thetas=t, weights=w)
    assert res.accuracy == pytest.approx(sum(wi * acc_at(ti) for ti, wi in zip(t, w, strict=True)))
    assert res.consistency == pytest.approx(
        sum(wi * cons_at(ti) for ti, wi in zip(t, w, strict=True))
    )
    # against adaptive integration over N(0, 1); the default 81-node grid (step 0.15) has a
    # rectangle-rule error well under 1e-3 for these smooth integrands
    dens = stats.norm.pdf
    quad_acc = integrate.quad(lambda x: acc_at(x) * dens(x), -8, cut, limit=200)[0]
    quad_acc += integrate.quad(lambda x: acc_at(x) * dens(x), cut, 8, limit=200)[0]
    quad_cons = integrate.quad(lambda x: cons_at(x) * dens(x), -8, 8, limit=200)[0]
    default = cl.rudner_population(params, cuts=cut)
    assert default.accuracy == pytest.approx(quad_acc, abs=1e-3)
    assert default.consistency == pytest.approx(quad_cons, abs=1e-3)


# --------------------------------------------------------------------------------------------
# Lee: brute-force enumeration of response patterns
# --------------------------------------------------------------------------------------------


def test_lee_matches_enumeration_of_all_2_to_6_patterns():
    params = six_items()
    raw_cut = 4
    t, w = nodes_weights()
    acc = cons = fp = fn = 0.0
    patterns = np.array(list(itertools.product((0, 1), repeat=6)))
    for ti, wi in zip(t, w, strict=True):
        p = p3(ti)
        prob = np.prod(np.where(patterns == 1, p, 1 - p), axis=1)
        pass_obs = patterns.sum(axis=1) >= raw_cut
        p_pass = prob[pass_obs].sum()
        true_pass = p.sum() >= raw_cut  # true score TCC(theta) against the raw cut
        acc += wi * (p_pass if true_pass else 1 - p_pass)
        cons += wi * (p_pass**2 + (1 - p_pass) ** 2)
        fp += wi * (0 if true_pass else p_pass)
        fn += wi * (1 - p_pass if true_pass else 0)
    res = cl.lee(params, raw_cuts=raw_cut, thetas=t, weights=w)
    assert res.accuracy == pytest.approx(acc, abs=1e-12)
    assert res.consistency == pytest.approx(cons, abs=1e-12)
    assert res.false_positive == pytest.approx(fp, abs=1e-12)
    assert res.false_negative == pytest.approx(fn, abs=1e-12)


def test_lee_with_a_graded_item_and_two_cuts_matches_enumeration():
    mixed = ItemParameters.concatenate(
        [
            six_items().subset([f"I{j}" for j in range(5)]),
            ItemParameters(item_ids=("G",), model=("grm",), a=[1.1], b=[[-0.6, 0.7]], c=[0.0]),
        ]
    )
    cuts = (2, 5)
    t, w = nodes_weights(21)
    cons = 0.0
    acc = 0.0
    for ti, wi in zip(t, w, strict=True):
        p = p3(ti)[:5]
        star = 1 / (1 + np.exp(-1.1 * (ti - np.array([-0.6, 0.7]))))
        pg = np.array([1 - star[0], star[0] - star[1], star[1]])
        cat = np.zeros(3)
        for pattern in itertools.product((0, 1), (0, 1), (0, 1), (0, 1), (0, 1), (0, 1, 2)):
            x = np.array(pattern[:5])
            prob = np.prod(np.where(x == 1, p, 1 - p)) * pg[pattern[5]]
            cat[np.searchsorted(cuts, sum(pattern), side="right")] += prob
        true_cat = np.searchsorted(cuts, p.sum() + pg @ [0, 1, 2], side="right")
        cons += wi * np.sum(cat**2)
        acc += wi * cat[true_cat]
    res = cl.lee(mixed, raw_cuts=cuts, thetas=t, weights=w)
    assert res.consistency == pytest.approx(cons, abs=1e-12)
    assert res.accuracy == pytest.approx(acc, abs=1e-12)


def test_lee_agrees_with_monte_carlo_parallel_administrations():
    # 20 3PL items; 20,000 simulees each take two independent parallel administrations.
    # Binomial SE of a proportion near .9 is .002; tolerance .01 (5 SE) covers that and the
    # 81-node quadrature error.
    rng = np.random.default_rng(2024)
    n_items, n = 20, 20_000
    a = rng.uniform(0.7, 2.0, n_items)
    b = rng.normal(0, 1, n_items)
    c = rng.uniform(0.1, 0.25, n_items)
    params = ItemParameters(
        item_ids=tuple(f"I{j}" for j in range(n_items)), model=("3pl",) * n_items, a=a, b=b, c=c
    )
    cut = 12
    theta = rng.normal(size=n)
    p = c + (1 - c) / (1 + np.exp(-a * (theta[:, None] - b)))
    x1 = (rng.random((n, n_items)) < p).sum(axis=1) >= cut
    x2 = (rng.random((n, n_items)) < p).sum(axis=1) >= cut
    true = p.sum(axis=1) >= cut
    res = cl.lee(params, raw_cuts=cut)
    assert res.consistency == pytest.approx(np.mean(x1 == x2), abs=0.01)
    assert res.accuracy == pytest.approx(np.mean(x1 == true), abs=0.01)
    assert res.false_positive == pytest.approx(np.mean(x1 & ~true), abs=0.01)


# --------------------------------------------------------------------------------------------
# Livingston-Lewis
# --------------------------------------------------------------------------------------------


def _beta_binomial_sample(n, alpha, beta, lower=0.0, upper=1.0, size=1_000_000):
    """Scores whose frequencies are the exact beta-binomial pmf (rounded to `size` people)."""
    k = np.arange(n + 1)

    def pmf_k(kk):
        def f(u):
            tau = lower + (upper - lower) * u
            return stats.beta.pdf(u, alpha, beta) * stats.binom.pmf(kk, n, tau)

        return integrate.quad(f, 0, 1, limit=200)[0]

    pmf = np.array([pmf_k(kk) for kk in k])
    counts = np.round(pmf / pmf.sum() * size).astype(int)
    scores = np.repeat(k, counts).astype(float)
    tau_mean = lower + (upper - lower) * alpha / (alpha + beta)
    tau_var = (upper - lower) ** 2 * alpha * beta / ((alpha + beta) ** 2 * (alpha + beta + 1))
    reliability = n**2 * tau_var / scores.var()
    return scores, reliability, tau_mean


def _direct_indices(n, cut, alpha, beta, lower=0.0, upper=1.0):
    def p_pass(u):
        return stats.binom.sf(cut - 1, n, lower + (upper - lower) * u)

    true_cut_u = (cut / n - lower) / (upper - lower)
    dens = lambda u: stats.beta.pdf(u, alpha, beta)  # noqa: E731
    acc = integrate.quad(lambda u: dens(u) * (1 - p_pass(u)), 0, true_cut_u, limit=200)[0]
    acc += integrate.quad(lambda u: dens(u) * p_pass(u), true_cut_u, 1, limit=200)[0]
    cons = integrate.quad(lambda u: dens(u) * (p_pass(u) ** 2 + (1 - p_pass(u)) ** 2), 0, 1)[0]
    return acc, cons


def test_livingston_lewis_recovers_a_two_parameter_beta_binomial():
    n, alpha, beta, cut = 20, 4.0, 2.5, 13
    scores, rel, _ = _beta_binomial_sample(n, alpha, beta)
    res = cl.livingston_lewis(scores, reliability=rel, cuts=cut, max_score=n)
    assert res.effective_length == n  # exact reliability gives back the true length
    acc, cons = _direct_indices(n, cut, alpha, beta)
    # tolerance .002: rounding the pmf to 1e6 people and 2000-bin integration
    assert res.accuracy == pytest.approx(acc, abs=2e-3)
    assert res.consistency == pytest.approx(cons, abs=2e-3)
    two = cl.livingston_lewis(
        scores, reliability=rel, cuts=cut, max_score=n, beta_model="two-parameter"
    )
    assert two.beta_model == "two-parameter"
    assert two.alpha == pytest.approx(alpha, rel=0.01) and two.beta == pytest.approx(beta, rel=0.01)
    assert two.accuracy == pytest.approx(acc, abs=2e-3)


def test_livingston_lewis_four_parameter_beta():
    n, alpha, beta, lower, upper, cut = 30, 3.0, 4.0, 0.2, 0.9, 16
    scores, rel, _ = _beta_binomial_sample(n, alpha, beta, lower, upper)
    res = cl.livingston_lewis(scores, reliability=rel, cuts=cut, max_score=n)
    assert res.beta_model == "four-parameter"
    # the fit uses the first four moments of the rounded sample: bounds within .02
    assert res.lower == pytest.approx(lower, abs=0.02)
    assert res.upper == pytest.approx(upper, abs=0.02)
    acc, cons = _direct_indices(n, cut, alpha, beta, lower, upper)
    assert res.accuracy == pytest.approx(acc, abs=3e-3)
    assert res.consistency == pytest.approx(cons, abs=3e-3)


def test_livingston_lewis_input_errors():
    with pytest.raises(ValueError, match="reliability"):
        cl.livingston_lewis([1, 2, 3], reliability=1.2, cuts=2, max_score=5)
    with pytest.raises(ValueError, match="outside"):
        cl.livingston_lewis([1, 2, 9], reliability=0.8, cuts=2, max_score=5)


# --------------------------------------------------------------------------------------------
# conditional SEM and pass rates
# --------------------------------------------------------------------------------------------


def test_conditional_sem_by_hand():
    res = cl.conditional_sem(six_items(), 0.3)
    p = p3(0.3)
    info = A6**2 * (p - C6) ** 2 * (1 - p) / ((1 - C6) ** 2 * p)
    assert res.se_theta == pytest.approx(1 / math.sqrt(info.sum()), rel=1e-10)
    assert res.se_raw == pytest.approx(math.sqrt(np.sum(p * (1 - p))), rel=1e-12)
    assert res.true_score == pytest.approx(p.sum(), rel=1e-12)


def test_pass_rates_overall_and_by_group():
    res = cl.pass_rates([10, 20, 30, 40, 15], cut=20, groups=["F", "M", "F", "M", ""])
    assert res.overall == pytest.approx(3 / 5)
    assert res.by_group == {"F": 0.5, "M": 1.0} and res.n_by_group == {"F": 2, "M": 2}


def test_argument_validation():
    with pytest.raises(ValueError, match="se"):
        cl.rudner([0.0, 1.0], [0.3, 0.0], cuts=0)
    with pytest.raises(ValueError, match="cuts"):
        cl.rudner([0.0], [0.3], cuts=[0.5, 0.5])
    with pytest.raises(ValueError, match="true_theta_cuts"):
        cl.lee(six_items(), raw_cuts=[2, 4], true_theta_cuts=[0.0])


def test_decision_accuracy_entry_point():
    params = six_items()
    rep = cl.decision_accuracy("lee", params=params, theta_cut=0.1)
    assert rep.raw_cut == math.ceil(p3(0.1).sum())  # TCC(0.1) rounded up
    assert rep.result.cuts == (rep.raw_cut,) and rep.latent == "N(0, 1)"
    assert rep.csem.se_raw == pytest.approx(math.sqrt(np.sum(p3(0.1) * (1 - p3(0.1)))))
    theta, se = np.array([-1.0, 0.5, 1.0]), np.array([0.3, 0.3, 0.3])
    rep = cl.decision_accuracy(
        "rudner", params=params, theta_cut=0.1, thetas=theta, se=se, groups=["F", "M", "M"]
    )
    assert rep.result.method == "rudner" and rep.pass_rates.by_group == {"F": 0.0, "M": 1.0}
    assert rep.to_dict()["result"]["accuracy"] == rep.result.accuracy
    with pytest.raises(ValueError, match="method"):
        cl.decision_accuracy("kappa", params=params, theta_cut=0.0)
    with pytest.raises(ValueError, match="reliability"):
        cl.decision_accuracy("livingston-lewis", scores=[1, 2, 3], raw_cut=2)
