"""Model fit (S-X2, M2, Q3, lz, infit/outfit) against mirt's published values and direct formulas.

Published values: mirt's test suite, tests/testthat/test-01-mirtOne.R (github.com/philchalmers/
mirt, test 'dich'):

* LSAT7 2PL (``modm1``; a, d below): ``itemfit(modm1)`` S_X2 = 4.749440, 14.451071, 1.270381,
  5.237400, 0.941125 with df.S_X2 = 2 each; ``M2(modm1)``: M2 = 11.93841, df = 5.
  The same S-X2 values (4.7492191, 14.4528980, 1.2703374, 5.2373430, 0.9407036, df 2) are
  printed in jMetrik's ItemFitSX2Test (psychometrics library), computed by mirt.
* LSAT6 Rasch (``modm3``; d = 2.73, 0.999, 0.24, 1.306, 2.099; latent variance 0.57):
  ``M2(modm3)``: M2 = 5.291576, df = 9.

Our inputs are mirt's estimates rounded as printed there, so the tolerances are those of mirt's own
tests (1e-2 absolute) unless stated.

The polytomous S-X2 rule (extreme scores with impossible categories join the nearest complete
score) was also checked once, outside this suite, against mirt's GPCM values printed in jMetrik's
ItemFitSX2Test.polytomousItemTest (10 items, 1000 persons, itemfit(mincell=0)): all ten
statistics within 0.07 of mirt's (59.64 vs 59.6389, ..., 87.55 vs 87.617) and df = 71 for every
item. That data file is not vendored here.
"""

import numpy as np
import pytest

from psychometrics.irt.fit import (
    infit_outfit,
    item_fit_plot_data,
    m2,
    model_fit,
    person_fit,
    q3,
    sx2,
)
from psychometrics.irt.models import ItemParameters, category_probabilities

LSAT7_A = np.array([0.9876, 1.0808, 1.7075, 0.765, 0.7357])
LSAT7_D = np.array([1.8559, 0.808, 1.8052, 0.486, 1.8545])
LSAT7_FREQ = [12, 19, 1, 7, 3, 19, 3, 17, 10, 5, 3, 7, 7, 23, 8, 28, 7, 39, 11, 34, 14, 51, 15, 90]
LSAT7_FREQ += [6, 25, 7, 35, 18, 136, 32, 308]
LSAT6_FREQ = [3, 6, 2, 11, 1, 1, 3, 4, 1, 8, 0, 16, 0, 3, 2, 15, 10, 29, 14, 81, 3, 28, 15, 80]
LSAT6_FREQ += [16, 56, 21, 173, 11, 61, 28, 298]
PATTERNS = np.array([[int(ch) for ch in f"{i:05b}"] for i in range(32)])


def _params(model, a, b, c=None, ids=None):
    n = len(a)
    return ItemParameters(
        item_ids=tuple(ids or (f"i{j + 1}" for j in range(n))),
        model=(model,) * n if isinstance(model, str) else tuple(model),
        a=np.asarray(a, float),
        b=np.asarray(b, float),
        c=np.zeros(n) if c is None else np.asarray(c, float),
    )


def lsat7():
    return _params("2pl", LSAT7_A, -LSAT7_D / LSAT7_A), np.repeat(PATTERNS, LSAT7_FREQ, axis=0)


def simulate(params, n, rng):
    theta = rng.standard_normal(n)
    probs = category_probabilities(params, theta)
    u = rng.random((n, params.n_items, 1))
    return (u > np.cumsum(probs, axis=2)).sum(axis=2), theta


# ---------------------------------------------------------------------------------------------
# published values
# ---------------------------------------------------------------------------------------------


def test_sx2_matches_mirt_lsat7():
    params, data = lsat7()
    result = sx2(data, params)
    mirt = [4.749440, 14.451071, 1.270381, 5.237400, 0.941125]
    np.testing.assert_allclose([i.s_x2 for i in result.items], mirt, atol=1e-2)
    assert [i.df for i in result.items] == [2] * 5
    # p from the chi-square(2) survival function exp(-x/2)
    np.testing.assert_allclose([i.p for i in result.items], np.exp(-np.array(mirt) / 2), atol=1e-3)
    assert result.n_persons == 1000 and result.n_dropped == 0


def test_m2_matches_mirt_lsat7_2pl():
    params, data = lsat7()
    result = m2(data, params)
    assert result.m2 == pytest.approx(11.93841, abs=1e-2)
    assert result.df == 5
    assert result.rmsea == pytest.approx(np.sqrt((11.93841 / 5 - 1) / 999), abs=1e-4)
    assert result.p == pytest.approx(0.03564, abs=1e-3)  # chi2.sf(11.93841, 5)


def test_m2_matches_mirt_lsat6_rasch():
    """Rasch with a free latent variance (mirt's itemtype='Rasch'): 5 b + 1 variance, df 9.
    Parameters have 3 decimals in mirt's test; tolerance 5e-3."""
    data = np.repeat(PATTERNS, LSAT6_FREQ, axis=0)
    d = np.array([2.73, 0.999, 0.24, 1.306, 2.099])
    params = _params("rasch", np.ones(5), -d)
    result = m2(data, params, prior_sd=np.sqrt(0.57))
    assert result.m2 == pytest.approx(5.291576, abs=5e-3)
    assert result.df == 9
    assert result.rmsea == 0.0


# ---------------------------------------------------------------------------------------------
# S-X2 mechanics
# ---------------------------------------------------------------------------------------------


def test_sx2_expected_proportions_match_pattern_enumeration():
    """E_jk(s) = P(X_j = k | S = s) under the model, by brute-force enumeration of all patterns
    of a mixed 3PL/GRM/GPCM test (no collapsing: min_expected=0, every row usable)."""
    nan = np.nan
    params = ItemParameters(
        item_ids=("a", "b", "c", "d"),
        model=("3pl", "2pl", "grm", "gpcm"),
        a=[1.2, 0.7, 1.4, 0.9],
        b=[[0.1, nan], [-0.5, nan], [-0.6, 0.8], [0.3, -0.4]],
        c=[0.2, 0, 0, 0],
    )
    nodes = np.linspace(-6, 6, 61)
    w = np.exp(-0.5 * nodes**2)
    w /= w.sum()
    probs = category_probabilities(params, nodes)
    joint = {}
    for x in np.ndindex(2, 2, 3, 3):
        p = w @ np.prod([probs[:, j, x[j]] for j in range(4)], axis=0)
        joint[x] = p
    # one person at every summed score so that every row is used
    data = np.array([[0, 0, 0, 0], [1, 0, 0, 0], [1, 1, 0, 0], [1, 1, 1, 0], [1, 1, 1, 1]])
    data = np.vstack([data, [[1, 1, 2, 1], [1, 1, 2, 2]]])
    result = sx2(data, params, min_expected=0)
    n_s = np.bincount(data.sum(axis=1), minlength=7)
    for j, item in enumerate(result.items):
        k_j = int(params.n_categories[j])
        for g, (lo, hi) in enumerate(item.groups):
            for k in range(k_j):
                expected = 0.0
                for s in range(lo, hi + 1):
                    p_s = sum(v for x, v in joint.items() if sum(x) == s)
                    p_sk = sum(v for x, v in joint.items() if sum(x) == s and x[j] == k)
                    expected += n_s[s] * p_sk / p_s
                assert item.expected[g, k] == pytest.approx(expected, rel=1e-9)
            assert item.observed[g].sum() == n_s[lo : hi + 1].sum()
    # dichotomous items: every score 1..max-1 is its own group; the GRM item (3 categories):
    # score 1 (category 2 impossible) joins score 2, score 5 (category 0 impossible) joins 4,
    # score 6 (only category 2 possible) is dropped
    assert result.items[0].groups == ((1, 1), (2, 2), (3, 3), (4, 4), (5, 5))
    assert result.items[2].groups == ((1, 2), (3, 3), (4, 5))


def test_sx2_collapses_sparse_groups_and_counts_df():
    """With a large min_expected the score groups merge; df = cells - groups - parameters."""
    params, data = lsat7()
    result = sx2(data, params, min_expected=30)
    for item in result.items:
        assert np.all(item.expected >= 30 - 1e-9)
        assert item.df == 2 * len(item.groups) - len(item.groups) - 2
        np.testing.assert_allclose(item.observed.sum(), item.expected.sum(), rtol=0.05)
    assert any(len(i.groups) < 4 for i in result.items)


def test_sx2_and_m2_do_not_reject_data_from_the_model():
    """Simulated 2PL data (N = 3000, 8 items) under the true parameters: mean S-X2/df and
    M2/df near 1. Bounds are loose (S-X2 mean of 8 ratios with df ~ 6: sd ~ 0.2; M2 with df 20:
    P(M2 > 2.5 df) < 1e-4)."""
    rng = np.random.default_rng(11)
    params = _params("2pl", rng.uniform(0.7, 2.0, 8), rng.uniform(-1.5, 1.5, 8))
    data, _ = simulate(params, 3000, rng)
    ratios = [i.s_x2 / i.df for i in sx2(data, params).items]
    assert 0.6 < np.mean(ratios) < 1.5
    result = m2(data, params)
    assert result.df == 36 - 16
    assert result.m2 / result.df < 2.5
    # and the same data against wrong parameters (all a = 0.4) is rejected
    wrong = params.with_values(a=np.full(8, 0.4))
    assert m2(data, wrong).p < 1e-6


def _pattern_probs(params, patterns, nodes, w):
    """P(pattern) by direct formulas (2PL, GRM, GPCM), over a rectangular quadrature."""
    out = np.ones((len(patterns), nodes.size))
    for j, model in enumerate(params.model):
        a, b = params.a[j], params.b[j][~np.isnan(params.b[j])]
        if model == "2pl":
            p1 = 1 / (1 + np.exp(-a * (nodes - b[0])))
            cat = np.stack([1 - p1, p1])
        elif model == "grm":
            star = [np.ones_like(nodes)] + [1 / (1 + np.exp(-a * (nodes - bk))) for bk in b]
            star.append(np.zeros_like(nodes))
            cat = np.stack([star[k] - star[k + 1] for k in range(len(b) + 1)])
        else:
            num = np.vstack([np.zeros_like(nodes), np.cumsum(a * (nodes - b[:, None]), axis=0)])
            cat = np.exp(num) / np.exp(num).sum(axis=0)
        out *= cat[patterns[:, j]]
    return out @ w


def test_polytomous_m2_matches_full_multinomial_computation():
    """M2 for a GRM + GPCM + 2PL test against an independent computation from the full table of
    the 18 response patterns: margins H pi, Gamma = H (diag(pi) - pi pi') H', Delta = H
    d pi / d params (central differences of directly computed pattern probabilities) and
    C = G^-1 - G^-1 D (D' G^-1 D)^-1 D' G^-1 (Maydeu-Olivares & Joe 2006, eq. 7)."""
    nan = np.nan
    params = ItemParameters(
        item_ids=("g", "p", "d"),
        model=("grm", "gpcm", "2pl"),
        a=[1.4, 0.9, 1.1],
        b=[[-0.8, 0.7], [-0.3, 0.4], [0.2, nan]],
        c=[0, 0, 0],
    )
    rng = np.random.default_rng(17)
    data, _ = simulate(params, 600, rng)
    got = m2(data, params)
    nodes = np.linspace(-6, 6, 61)
    w = np.exp(-0.5 * nodes**2)
    w /= w.sum()
    patterns = np.array(list(np.ndindex(3, 3, 2)))
    # margins: (item, category>=1) indicators and their pairs across items
    variables = [(0, 1), (0, 2), (1, 1), (1, 2), (2, 1)]
    pairs = [
        (u, v) for u in range(5) for v in range(u + 1, 5) if variables[u][0] != variables[v][0]
    ]
    ind = np.array([[pat[j] == k for j, k in variables] for pat in patterns], dtype=float)
    h_mat = np.vstack([ind.T, np.array([ind[:, u] * ind[:, v] for u, v in pairs])])

    def margins_of(par):
        return h_mat @ _pattern_probs(par, patterns, nodes, w)

    pi_full = _pattern_probs(params, patterns, nodes, w)
    gamma = h_mat @ (np.diag(pi_full) - np.outer(pi_full, pi_full)) @ h_mat.T
    cols = []
    step = 1e-5
    for name, idx in [("b", (0, 0)), ("b", (0, 1)), ("a", 0), ("b", (1, 0)), ("b", (1, 1))] + [
        ("a", 1),
        ("b", (2, 0)),
        ("a", 2),
    ]:
        up, dn = params.a.copy(), params.a.copy()
        bu, bd = params.b.copy(), params.b.copy()
        if name == "a":
            up[idx] += step
            dn[idx] -= step
        else:
            bu[idx] += step
            bd[idx] -= step
        cols.append(
            (
                margins_of(params.with_values(a=up, b=bu))
                - margins_of(params.with_values(a=dn, b=bd))
            )
            / (2 * step)
        )
    delta = np.column_stack(cols)
    gi = np.linalg.inv(gamma)
    c_mat = gi - gi @ delta @ np.linalg.solve(delta.T @ gi @ delta, delta.T @ gi)
    y = np.array([[row[j] == k for j, k in variables] for row in data], dtype=float)
    obs = np.concatenate([y.mean(0), [np.mean(y[:, u] * y[:, v]) for u, v in pairs]])
    e = obs - margins_of(params)
    direct = 600 * e @ c_mat @ e
    assert got.df == 13 - 8
    assert got.m2 == pytest.approx(direct, rel=1e-5)


def test_polytomous_m2_accepts_true_model_and_rejects_wrong_one():
    """GRM data (N = 3000, 6 items, 3 categories): M2 under the true parameters is unremarkable
    (P(M2 > 2 df) is < 1e-4 for df = 54 under H0); halving the slopes is rejected."""
    rng = np.random.default_rng(23)
    b = np.sort(rng.uniform(-1.5, 1.5, (6, 2)), axis=1)
    params = ItemParameters(
        item_ids=tuple(f"g{j}" for j in range(6)),
        model=("grm",) * 6,
        a=rng.uniform(1.0, 2.0, 6),
        b=b,
        c=np.zeros(6),
    )
    data, _ = simulate(params, 3000, rng)
    got = m2(data, params)
    assert got.df == 12 + 15 * 4 - 18  # univariate + bivariate margins - (a, b1, b2) x 6
    assert got.m2 / got.df < 2
    assert m2(data, params.with_values(a=params.a / 2)).p < 1e-6


# ---------------------------------------------------------------------------------------------
# residual statistics vs direct formulas
# ---------------------------------------------------------------------------------------------


def test_infit_outfit_match_hand_computation_rasch():
    b = np.array([-1.0, 0.0, 0.5, 1.2])
    params = _params("rasch", np.ones(4), b)
    x = np.array([[1, 1, 0, 0], [0, 1, 1, 0], [1, 0, 0, 1], [1, 1, 1, 0], [0, 0, 1, 0]])
    theta = np.array([0.3, -0.2, 0.1, 1.0, -0.8])
    got = infit_outfit(x, params, theta=theta)
    for j in range(4):
        p = 1 / (1 + np.exp(-(theta - b[j])))
        w = p * (1 - p)
        assert got.outfit[j] == pytest.approx(np.mean((x[:, j] - p) ** 2 / w), rel=1e-12)
        assert got.infit[j] == pytest.approx(np.sum((x[:, j] - p) ** 2) / np.sum(w), rel=1e-12)
        # ZSTD (Wright & Masters): C = fourth central moment of a Bernoulli = w (1 - 3w)
        c = w * (1 - 3 * w)
        q_out = np.sqrt(np.sum(c / w**2) / 25 - 1 / 5)
        z = (got.outfit[j] ** (1 / 3) - 1) * 3 / q_out + q_out / 3
        assert got.outfit_z[j] == pytest.approx(z, rel=1e-10)
    assert got.theta_method == "given"


def test_infit_outfit_near_one_for_rasch_data():
    """Rasch data (N = 2000): mean squares within 0.85..1.15 (their sampling SD is about
    sqrt(2 / N) ~ 0.03 for infit, a little more for outfit)."""
    rng = np.random.default_rng(5)
    params = _params("rasch", np.ones(10), np.linspace(-1.5, 1.5, 10))
    data, theta = simulate(params, 2000, rng)
    got = infit_outfit(data, params, theta=theta)
    assert np.all(np.abs(got.infit - 1) < 0.15) and np.all(np.abs(got.outfit - 1) < 0.15)


def test_lz_matches_dichotomous_closed_form():
    """Drasgow et al. (1985) for dichotomous items: l0 = sum x log P + (1 - x) log Q,
    E = sum P log P + Q log Q, Var = sum P Q (log(P / Q))^2."""
    params, _ = lsat7()
    x = np.array([[1, 0, 1, 1, 0], [0, 1, 0, 0, 1], [1, 1, 1, 1, 1], [1, -1, 0, 1, -1]])
    theta = np.array([0.2, -1.0, 1.5, 0.0])
    got = person_fit(x, params, theta=theta)
    a, b = LSAT7_A, -LSAT7_D / LSAT7_A
    for i in range(4):
        seen = x[i] >= 0
        p = 1 / (1 + np.exp(-a * (theta[i] - b)))
        q = 1 - p
        xi = x[i]
        l0 = np.sum((xi * np.log(p) + (1 - xi) * np.log(q))[seen])
        e = np.sum((p * np.log(p) + q * np.log(q))[seen])
        v = np.sum((p * q * np.log(p / q) ** 2)[seen])
        assert got.lz[i] == pytest.approx((l0 - e) / np.sqrt(v), rel=1e-10)
    assert got.flagged.tolist() == list(got.lz < -1.645)


def test_lz_flags_aberrant_persons():
    rng = np.random.default_rng(3)
    params = _params("2pl", rng.uniform(1.0, 2.0, 20), np.linspace(-2, 2, 20))
    data, theta = simulate(params, 400, rng)
    data[:10] = (params.b[:, 0] > 0).astype(int)  # right on hard items, wrong on easy ones
    got = person_fit(data, params)
    assert got.lz[:10].max() < -3
    assert np.mean(got.flagged[10:]) < 0.12  # nominal 5% among model-conforming persons


def test_q3_matches_direct_formula_and_flags_dependent_pair():
    rng = np.random.default_rng(8)
    params = _params("2pl", rng.uniform(0.8, 1.8, 8), rng.uniform(-1, 1, 8))
    data, theta = simulate(params, 1500, rng)
    data[:, 7] = np.where(rng.random(1500) < 0.7, data[:, 6], data[:, 7])  # item 8 copies 7
    data[:5, 2] = -1  # some not presented
    got = q3(data, params, theta=theta)
    # direct: Pearson correlation of residuals x - P(theta) on pairwise complete persons
    a, b = params.a, params.b[:, 0]
    p = 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    resid = data - p
    for i, j in [(0, 1), (2, 5), (6, 7)]:
        ok = (data[:, i] >= 0) & (data[:, j] >= 0)
        ri, rj = resid[ok, i] - resid[ok, i].mean(), resid[ok, j] - resid[ok, j].mean()
        direct = np.sum(ri * rj) / np.sqrt(np.sum(ri**2) * np.sum(rj**2))
        assert got.matrix[i, j] == pytest.approx(direct, rel=1e-10)
    iu = np.triu_indices(8, 1)
    assert got.mean_q3 == pytest.approx(np.mean(got.matrix[iu]))
    assert [(f.item_a, f.item_b) for f in got.flagged] == [("i7", "i8")]
    assert got.flagged[0].q3_minus_mean > 0.2
    assert len(q3(data, params, theta=theta, threshold=10).flagged) == 0


def test_item_fit_plot_data_bins():
    params, data = lsat7()
    plot = item_fit_plot_data(data, params, n_bins=4)
    assert plot.n.sum(axis=0).tolist() == [1000] * 5
    np.testing.assert_allclose((plot.observed * plot.n).sum(axis=0), data.sum(axis=0))
    assert np.all(np.diff(plot.bin_theta) > 0)
    assert set(plot.item("i1")) == {"theta", "n", "observed", "expected"}


def test_model_fit_report_and_polytomous_note():
    params, data = lsat7()
    report = model_fit(data, params).to_dict()
    assert {"M2", "M2_df", "M2_p", "RMSEA", "items", "q3_flags"} <= set(report)
    assert {"item_id", "S_X2", "df", "p"} <= set(report["items"][0])
    poly = ItemParameters(
        item_ids=("g1", "g2", "g3"),
        model=("grm",) * 3,
        a=[1.0, 1.2, 0.8],
        b=[[-1, 0.5], [-0.5, 1.0], [0.0, 1.5]],
        c=[0, 0, 0],
    )
    rng = np.random.default_rng(2)
    pdata, _ = simulate(poly, 300, rng)
    pdata[0, 0] = -1
    rep = model_fit(pdata, poly)
    assert rep.m2 is not None and rep.m2.df == 6 + 12 - 9
    assert any("M2*" in n for n in rep.notes)
    assert rep.sx2.n_dropped == 1
    two = poly.subset(["g1", "g2"])
    rep2 = model_fit(pdata[:, :2], two)
    assert rep2.m2 is None and any("at least 3" in n for n in rep2.notes)


def test_fit_bad_arguments():
    params, data = lsat7()
    with pytest.raises(ValueError, match="min_expected"):
        sx2(data, params, min_expected=-1)
    with pytest.raises(ValueError, match="theta"):
        q3(data, params, theta=np.zeros(3))
    with pytest.raises(ValueError, match="at least 3"):
        m2(data[:, :2], params.subset(["i1", "i2"]))
    with pytest.raises(ValueError, match="n_bins"):
        item_fit_plot_data(data, params, n_bins=1)
