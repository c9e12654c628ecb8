"""DIF statistics against hand-worked tables, direct formulas, an independent logistic fit and a
simulation with planted DIF."""

import math
import warnings

import numpy as np
import pytest
from scipy import optimize, stats
from scipy.stats import contingency

from psychometrics import dif


def test_mantel_haenszel_hand_worked_two_strata():
    # rows: reference / focal; columns: right / wrong
    tables = np.array([[[10, 5], [6, 9]], [[8, 12], [4, 16]]])
    res = dif.mantel_haenszel(tables)
    # By hand. Stratum 1: T = 30, n_R = 15, n_F = 15, m1 = 16, m0 = 14.
    #          Stratum 2: T = 40, n_R = 20, n_F = 20, m1 = 12, m0 = 28.
    # R = sum A D / T = 90/30 + 128/40 = 3 + 3.2 = 6.2
    # S = sum B C / T = 30/30 + 48/40 = 1 + 1.2 = 2.2
    # alpha_MH = 6.2 / 2.2 = 31/11
    assert res.alpha == pytest.approx(31 / 11, rel=1e-12)
    assert res.delta == pytest.approx(-2.35 * math.log(31 / 11), rel=1e-12)  # = -2.4348
    assert res.delta == pytest.approx(-2.4348, abs=5e-5)
    # E(A) = 15*16/30 + 20*12/40 = 8 + 6 = 14; sum A = 18
    # Var(A) = 15*15*16*14 / (30^2 * 29) + 20*20*12*28 / (40^2 * 39)
    #        = 50400/26100 + 134400/62400 = 1.9310345 + 2.1538462 = 4.0848807
    # chi2 = (|18 - 14| - 0.5)^2 / 4.0848806 = 12.25 / 4.0848806 = 2.998864
    var_a = 50400 / 26100 + 134400 / 62400
    assert res.chi2 == pytest.approx(12.25 / var_a, rel=1e-12)
    assert res.chi2 == pytest.approx(2.998864, abs=1e-6)
    assert res.p == pytest.approx(stats.chi2.sf(12.25 / var_a, 1), rel=1e-12)
    # RBG variance: P = (A+D)/T = 19/30, 24/40; Q = 11/30, 16/40; R_k = 3, 3.2; S_k = 1, 1.2
    # sum P R = 19/30*3 + 0.6*3.2 = 3.82           -> / (2 * 6.2^2)     = 0.0496878
    # sum P S + Q R = (19/30 + 11/10) + (0.72 + 1.28) = 3.733333 -> / (2*6.2*2.2) = 0.1368524
    # sum Q S = 11/30 + 0.48 = 0.846667            -> / (2 * 2.2^2)     = 0.0874656
    var_ln = 3.82 / (2 * 6.2**2) + (19 / 30 + 1.1 + 0.72 + 1.28) / (2 * 6.2 * 2.2)
    var_ln += (11 / 30 + 0.48) / (2 * 2.2**2)
    assert var_ln == pytest.approx(0.2740058, abs=1e-6)
    assert res.delta_se == pytest.approx(2.35 * math.sqrt(var_ln), rel=1e-12)
    assert res.n_strata == 2


def mh_loop(tables):
    """Direct per-stratum loop (independent of the vectorized code). The continuity correction
    is min(0.5, |sum A - sum E(A)|), as in R's mantelhaen.test."""
    num = den = sa = ea = va = 0.0
    for (a, b), (c, d) in tables:
        t = a + b + c + d
        if t < 2:
            continue
        num += a * d / t
        den += b * c / t
        sa += a
        ea += (a + b) * (a + c) / t
        va += (a + b) * (c + d) * (a + c) * (b + d) / (t * t * (t - 1))
    return num / den, (abs(sa - ea) - min(0.5, abs(sa - ea))) ** 2 / va


def test_mantel_haenszel_random_tables_vs_loop_and_scipy():
    rng = np.random.default_rng(3)
    for _ in range(20):
        k = rng.integers(1, 12)
        tables = rng.integers(1, 40, size=(k, 2, 2))
        res = dif.mantel_haenszel(tables)
        alpha, chi2 = mh_loop(tables)
        assert res.alpha == pytest.approx(alpha, rel=1e-12)
        assert res.chi2 == pytest.approx(chi2, rel=1e-12)
    # one stratum: alpha_MH is the sample odds ratio, and the corrected MH chi-square is
    # Yates' chi-square times (N - 1) / N
    table = np.array([[30, 12], [18, 25]])
    res = dif.mantel_haenszel(table[None])
    assert res.alpha == pytest.approx(contingency.odds_ratio(table, kind="sample").statistic)
    yates = stats.chi2_contingency(table, correction=True)[0]
    n = table.sum()
    assert res.chi2 == pytest.approx(yates * (n - 1) / n, rel=1e-12)
    with pytest.raises(ValueError, match="shape"):
        dif.mantel_haenszel(np.ones((3, 2)))


def test_ets_rule_boundaries():
    # Zwick (2012): C = |D| >= 1.5 and significantly > 1; B = |D| >= 1 and significant; else A
    assert dif.ets_class(-1.6, 0.2, 1e-6) == "C"  # (1.6 - 1) / 0.2 = 3 > 1.645
    assert dif.ets_class(-1.6, 0.5, 1e-6) == "B"  # (1.6 - 1) / 0.5 = 1.2: not > 1
    assert dif.ets_class(1.2, 0.3, 0.01) == "B"
    assert dif.ets_class(1.2, 0.3, 0.2) == "A"  # not significant vs 0
    assert dif.ets_class(0.9, 0.1, 1e-9) == "A"  # too small
    assert dif.ets_class(2.0, 0.9, 0.2) == "A"  # large but neither test significant
    assert dif.ets_class(float("nan"), 0.2, 0.5) is None
    assert dif.jodoin_gierl_class(0.03, 1e-5) == "A"
    assert dif.jodoin_gierl_class(0.05, 1e-5) == "B"
    assert dif.jodoin_gierl_class(0.08, 1e-5) == "C"
    assert dif.jodoin_gierl_class(0.08, 0.3) == "A"


def neg_loglik(beta, x, y):
    eta = x @ beta
    return -np.sum(y * eta - np.logaddexp(0, eta))


def independent_fit(x, y):
    res = optimize.minimize(
        neg_loglik,
        np.zeros(x.shape[1]),
        args=(x, y),
        jac=lambda b, x, y: -(x.T @ (y - 1 / (1 + np.exp(-(x @ b))))),
        method="BFGS",
        options={"gtol": 1e-9},
    )
    return res.x, -res.fun


def simulate(n_ref=1500, n_foc=1500, k=30, seed=2024, impact=-0.5):
    """2PL responses; item 0 uniform DIF against the focal group (b + 1.0), item 1 for it
    (b - 1.0), item 2 non-uniform DIF (a = 2.0 reference, 0.4 focal)."""
    rng = np.random.default_rng(seed)
    g = np.array(["R"] * n_ref + ["F"] * n_foc)
    theta = rng.normal(size=g.size) + impact * (g == "F")
    a = rng.uniform(0.9, 1.6, k)
    b = rng.uniform(-1.5, 1.5, k)
    aa = np.tile(a, (g.size, 1))
    bb = np.tile(b, (g.size, 1))
    foc = g == "F"
    a[0] = a[1] = 1.2
    aa[:, 0] = aa[:, 1] = 1.2
    bb[foc, 0] += 1.0
    bb[foc, 1] -= 1.0
    b[2] = 0.0
    bb[:, 2] = 0.0
    aa[:, 2] = np.where(foc, 0.4, 2.0)
    p = 1 / (1 + np.exp(-aa * (theta[:, None] - bb)))
    return (rng.random(p.shape) < p).astype(int), g


def test_logistic_regression_dif_vs_independent_fit():
    x, g = simulate(n_ref=400, n_foc=300, k=15, seed=7)
    res = dif.dif_analysis(x, g, focal="F", reference="R", min_focal=50, min_reference=50)
    total = x.sum(axis=1)
    z = (total - total.mean()) / total.std()
    f = (g == "F").astype(float)
    ones = np.ones_like(z)
    for j in (0, 2, 5):
        y = x[:, j].astype(float)
        lls = [
            independent_fit(np.column_stack(c), y)[1]
            for c in ((ones, z), (ones, z, f), (ones, z, f, z * f))
        ]
        n, n1 = y.size, y.sum()
        ll0 = n1 * np.log(n1 / n) + (n - n1) * np.log(1 - n1 / n)

        def r2n(ll, ll0=ll0, n=n):
            return (1 - np.exp(2 * (ll0 - ll) / n)) / (1 - np.exp(2 * ll0 / n))

        it = res.items[j]
        # BFGS stops at gtol 1e-9: log-likelihoods agree to ~1e-8, so 1e-5 is safe
        assert it.lr_chi2_uniform == pytest.approx(2 * (lls[1] - lls[0]), abs=1e-5)
        assert it.lr_chi2_nonuniform == pytest.approx(2 * (lls[2] - lls[1]), abs=1e-5)
        assert it.lr_chi2 == pytest.approx(2 * (lls[2] - lls[0]), abs=1e-5)
        assert it.lr_p == pytest.approx(stats.chi2.sf(2 * (lls[2] - lls[0]), 2), abs=1e-6)
        assert it.lr_r2_delta == pytest.approx(r2n(lls[2]) - r2n(lls[0]), abs=1e-7)
        assert it.lr_converged


def test_fit_logistic_coefficients_and_separation_warning():
    rng = np.random.default_rng(1)
    x = np.column_stack([np.ones(500), rng.normal(size=500), rng.integers(0, 2, 500)])
    y = (rng.random(500) < 1 / (1 + np.exp(-(x @ [0.3, 1.1, -0.7])))).astype(float)
    fit = dif.fit_logistic(x, y)
    coef, ll = independent_fit(x, y)
    assert fit.converged
    np.testing.assert_allclose(fit.coef, coef, atol=1e-5)
    assert fit.loglik == pytest.approx(ll, abs=1e-8)
    # complete separation: the fit must say it did not converge
    xs = np.column_stack([np.ones(40), np.arange(40.0)])
    ys = (np.arange(40) >= 20).astype(float)
    sep = dif.fit_logistic(xs, ys)
    assert not sep.converged and sep.message


def test_planted_dif_is_found_and_clean_items_are_mostly_a():
    x, g = simulate()
    res = dif.dif_analysis(x, g, focal="F", reference="R")
    a0, a1 = res.items[0], res.items[1]
    # planted uniform DIF: ln(alpha) ~ a * 1.0 = 1.2, D ~ -/+ 2.8, SE ~ 0.2 at 1500 per group
    assert a0.ets_class == "C" and a0.favors == "reference" and a0.mh_delta < -1.5
    assert a1.ets_class == "C" and a1.favors == "focal" and a1.mh_delta > 1.5
    assert a0.lr_p < 1e-6 and a1.lr_p < 1e-6
    # Jodoin-Gierl is less sensitive than the ETS rule: planted items reach at least B
    # (dR2 0.04-0.07 across seeds 1-3 and 2024 for this design)
    assert a0.lr_class in ("B", "C") and a1.lr_class in ("B", "C")
    assert res.items[2].lr_p_nonuniform < 1e-6  # the non-uniform item
    clean = res.items[3:]
    classes = [it.ets_class for it in clean]
    # impact -0.5 with unequal slopes gives small spurious MH DIF; ETS C is never expected
    assert classes.count("A") >= 0.9 * len(clean)
    assert "C" not in classes
    assert sum(it.lr_class == "A" for it in clean) >= 0.9 * len(clean)
    # purification removes the planted items from the matching score
    pure = dif.dif_analysis(x, g, focal="F", reference="R", purify=True)
    assert {"item1", "item2"} <= set(pure.mh_removed)
    assert pure.item("item1").ets_class == "C" and pure.item("item2").ets_class == "C"
    assert sum(it.ets_class == "A" for it in pure.items[3:]) >= 0.9 * len(clean)
    # rest-score matching finds the same planted items
    rest = dif.dif_analysis(x, g, focal="F", reference="R", matching="rest")
    assert rest.items[0].ets_class == "C" and rest.items[1].ets_class == "C"


def test_small_groups_are_reported_but_not_classified():
    x, g = simulate(n_ref=300, n_foc=60, k=10, seed=4)
    res = dif.dif_analysis(x, g, focal="F", reference="R", min_focal=100)
    for it in res.items:
        assert it.ets_class is None and it.lr_class is None
        assert "60 focal (min 100)" in it.note
        assert np.isfinite(it.mh_delta) and np.isfinite(it.lr_chi2)


def mantel_loop(y, f, s):
    """Mantel (1963) chi-square for ordered scores, by a loop over score levels."""
    num = e = v = 0.0
    for level in np.unique(s):
        m = s == level
        t = m.sum()
        if t < 2:
            continue
        yk, fk = y[m], f[m]
        nf, nr = fk.sum(), (~fk).sum()
        num += yk[fk].sum()
        e += nf * yk.mean()
        v += nr * nf * (t * np.sum(yk**2) - yk.sum() ** 2) / (t * t * (t - 1))
    return (num - e) ** 2 / v


def test_polytomous_item_mantel_and_smd():
    x, g = simulate(n_ref=800, n_foc=800, k=20, seed=9)
    rng = np.random.default_rng(9)
    foc = g == "F"
    ability = x[:, 3:].mean(axis=1)
    # a 0..3 rubric item that is a point harder for the focal group at equal ability
    latent = 3 * ability + rng.normal(0, 0.5, g.size) - 1.0 * foc
    poly = np.clip(np.round(latent), 0, 3).astype(int)
    data = np.column_stack([x, poly])
    res = dif.dif_analysis(data, g, focal="F", reference="R")
    it = res.items[-1]
    assert it.polytomous and math.isnan(it.mh_delta)
    assert it.lr_p < 1e-6 and it.lr_converged  # ordinal logistic regression sees it too
    s = data.sum(axis=1)
    assert it.mh_chi2 == pytest.approx(mantel_loop(poly.astype(float), foc, s), rel=1e-10)
    # SMD: focal-weighted difference of conditional means over levels with both groups
    smd, w = 0.0, 0
    for level in np.unique(s):
        m = s == level
        if (m & foc).any() and (m & ~foc).any():
            smd += (m & foc).sum() * (poly[m & foc].mean() - poly[m & ~foc].mean())
            w += (m & foc).sum()
    assert it.smd == pytest.approx(smd / w, rel=1e-10)
    assert it.smd_effect == pytest.approx(smd / w / poly.std(ddof=1), rel=1e-10)
    assert it.ets_class == "CC" and it.favors == "reference"


def test_bad_group_arguments():
    x, g = simulate(n_ref=50, n_foc=50, k=5, seed=1)
    with pytest.raises(ValueError, match=r"focal group 'X' does not occur .*'F', 'R'"):
        dif.dif_analysis(x, g, focal="X", reference="R")
    with pytest.raises(ValueError, match="reference group"):
        dif.dif_analysis(x, g, focal="F", reference="M")
    with pytest.raises(ValueError, match="different"):
        dif.dif_analysis(x, g, focal="F", reference="F")
    with pytest.raises(ValueError, match="matching"):
        dif.dif_analysis(x, g, focal="F", reference="R", matching="theta")
    with pytest.raises(ValueError, match="one value per person"):
        dif.dif_analysis(x, g[:10], focal="F", reference="R")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        res = dif.dif_analysis(x, g, focal="F", reference="R", min_focal=0, min_reference=0)
    assert res.to_dict()["n_focal"] == 50


def test_swapping_groups_flips_direction_and_keeps_tests():
    x, g = simulate(n_ref=500, n_foc=500, k=12, seed=21)
    one = dif.dif_analysis(x, g, focal="F", reference="R")
    two = dif.dif_analysis(x, g, focal="R", reference="F")
    for a, b in zip(one.items, two.items, strict=True):
        assert a.mh_delta == pytest.approx(-b.mh_delta, abs=1e-12)
        assert a.mh_delta_se == pytest.approx(b.mh_delta_se, abs=1e-12)
        assert a.mh_chi2 == pytest.approx(b.mh_chi2, abs=1e-12)
        assert a.lr_chi2 == pytest.approx(b.lr_chi2, abs=1e-6)
        assert a.ets_class == b.ets_class
        assert {a.favors, b.favors} == {"reference", "focal"}


def test_not_presented_cells_are_left_out():
    x, g = simulate(n_ref=1500, n_foc=1500, k=30, seed=2024)
    x = x.astype(float)
    rng = np.random.default_rng(5)
    x[rng.random(x.shape) < 0.15] = np.nan
    res = dif.dif_analysis(x, g, focal="F", reference="R")
    seen = ~np.isnan(x[:, 0])
    assert res.items[0].n_focal == (seen & (g == "F")).sum()
    assert res.items[0].ets_class == "C" and res.items[1].ets_class == "C"
    # the first item's MH table rebuilt by hand from the presented cells
    s = np.nansum(x, axis=1)[seen]
    y, f = x[seen, 0], (g == "F")[seen]
    tables = np.array(
        [
            [[np.sum(m & ~f & (y == 1)), np.sum(m & ~f & (y == 0))],
             [np.sum(m & f & (y == 1)), np.sum(m & f & (y == 0))]]
            for m in (s[:, None] == np.unique(s)).T
        ]
    )  # fmt: skip
    ref = dif.mantel_haenszel(tables)
    assert res.items[0].mh_delta == pytest.approx(ref.delta, abs=1e-12)
    assert res.items[0].mh_chi2 == pytest.approx(ref.chi2, abs=1e-12)


def test_ordinal_logistic_reduces_to_binary_and_matches_direct_fit():
    rng = np.random.default_rng(12)
    n = 2000
    x = np.column_stack([rng.normal(size=n), rng.integers(0, 2, n)])
    y = (rng.random(n) < 1 / (1 + np.exp(-(0.2 + x @ [1.1, -0.7])))).astype(int)
    ordinal = dif.fit_ordinal_logistic(x, y)
    binary = dif.fit_logistic(np.column_stack([np.ones(n), x]), y)
    assert ordinal.converged
    np.testing.assert_allclose(ordinal.coef, binary.coef, atol=1e-4)
    assert ordinal.loglik == pytest.approx(binary.loglik, abs=1e-6)

    # four categories: compare with a direct maximisation written with free thresholds
    latent = x @ [1.2, -0.5] + rng.logistic(size=n)
    y4 = np.digitize(latent, [-1.0, 0.3, 1.5])

    def negll(theta):
        tau, beta = theta[:3], theta[3:]
        cdf = 1 / (1 + np.exp(-(tau[None, :] + (x @ beta)[:, None])))
        cdf = np.column_stack([np.ones(n), cdf, np.zeros(n)])
        prob = cdf[np.arange(n), y4] - cdf[np.arange(n), y4 + 1]
        return -np.sum(np.log(np.maximum(prob, 1e-300)))

    options = {"xatol": 1e-8, "fatol": 1e-10, "maxiter": 20000}
    start = [1.0, 0.0, -1.0, 0.0, 0.0]
    direct = optimize.minimize(negll, start, method="Nelder-Mead", options=options)
    fit = dif.fit_ordinal_logistic(x, y4)
    assert fit.converged
    # Nelder-Mead with xatol 1e-8 lands within ~3e-7 of the optimum here: 1e-5 leaves margin
    np.testing.assert_allclose(fit.coef, direct.x, atol=1e-5)
    assert fit.loglik == pytest.approx(-direct.fun, abs=1e-7)
    assert fit.loglik >= -direct.fun - 1e-8
    # true thresholds: logit P(Y >= c) = eta - cut_c
    np.testing.assert_allclose(fit.coef[:3], [1.0, -0.3, -1.5], atol=0.2)


def two_forms(seed=31, n=3000):
    """Forms X and Y: 20 unique items each (Y's are 1.0 logit harder) and 5 common items; the
    focal group mostly took Y, the reference group mostly X; equal abilities and no DIF."""
    rng = np.random.default_rng(seed)
    g = np.where(np.arange(n) % 2 == 0, "F", "R")
    on_y = rng.random(n) < np.where(g == "F", 0.8, 0.2)
    form = np.where(on_y, "Y", "X")
    theta = rng.normal(size=n)
    b = np.concatenate([rng.uniform(-1.5, 0.5, 20), rng.uniform(-0.5, 1.5, 20), np.zeros(5)])
    a = rng.uniform(0.8, 1.6, 45)
    x = (rng.random((n, 45)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(float)
    x[on_y, :20] = np.nan
    x[~on_y, 20:40] = np.nan
    return x, g, form


def test_blocks_match_within_form():
    x, g, form = two_forms()
    pooled = dif.dif_analysis(x, g, focal="F", reference="R")
    blocked = dif.dif_analysis(x, g, focal="F", reference="R", blocks=form)
    common = range(40, 45)
    # pooled totals mix the easy and the hard form: common items look easier for the focal group
    assert sum(pooled.items[j].ets_class in ("B", "C") for j in common) >= 3
    assert all(blocked.items[j].ets_class == "A" for j in common)
    assert blocked.blocks == ("X", "Y")
    assert sum(blocked.items[j].lr_class == "A" for j in common) == 5
    # the blocked statistic is MH over (form, score) tables built here by hand
    y, f = x[:, 42], g == "F"
    s = np.nansum(x, axis=1)
    tables = []
    for fm in ("X", "Y"):
        for level in np.unique(s[form == fm]):
            m = (form == fm) & (s == level)
            tables.append(
                [[np.sum(m & ~f & (y == 1)), np.sum(m & ~f & (y == 0))],
                 [np.sum(m & f & (y == 1)), np.sum(m & f & (y == 0))]]
            )  # fmt: skip
    ref = dif.mantel_haenszel(np.array(tables))
    assert blocked.items[42].mh_delta == pytest.approx(ref.delta, abs=1e-12)
    assert blocked.items[42].mh_chi2 == pytest.approx(ref.chi2, abs=1e-12)
    with pytest.raises(ValueError, match="blocks"):
        dif.dif_analysis(x, g, focal="F", reference="R", blocks=form[:5])
