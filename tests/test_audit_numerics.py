"""Independent numerical checks written by the numerics review (reviewer R2).

Each test computes its expected values without the function under test: from a published
formula written out here, a brute-force enumeration, or a Monte Carlo simulation (tolerances
stated per test and justified by the simulation size).
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from psychometrics import classification as cl
from psychometrics.irt.models import ItemParameters


def _params_3pl(a, b, c) -> ItemParameters:
    n = len(a)
    return ItemParameters(
        item_ids=tuple(f"i{j}" for j in range(n)),
        model=("3pl",) * n,
        a=np.asarray(a, float),
        b=np.asarray(b, float),
        c=np.asarray(c, float),
    )


# ---------------------------------------------------------------------------------------------
# Rudner (2001, 2005): the estimate stands in for the true theta
# ---------------------------------------------------------------------------------------------


def test_rudner_examinee_false_positive_is_observed_pass_of_a_true_fail():
    """Rudner (2005) / irtQ ``cac_rud``: each estimate is treated as the true theta and the
    observed estimate is N(theta_hat, se^2). An examinee whose estimate is below the cut is truly
    failing; the probability that the observed estimate reaches the cut is a false *positive*.
    Monte Carlo: 400,000 observed draws per examinee; the binomial SE of each rate is below
    sqrt(.25 / 2.8e6) = 3e-4, tolerance 2e-3."""
    theta = np.array([-1.2, -0.5, -0.1, 0.0, 0.3, 0.8, 1.9])
    se = np.array([0.4, 0.3, 0.35, 0.3, 0.25, 0.3, 0.5])
    cut = 0.1
    rng = np.random.default_rng(2005)
    draws = theta[:, None] + se[:, None] * rng.standard_normal((theta.size, 400_000))
    true_pass = (theta >= cut)[:, None]
    obs_pass = draws >= cut
    res = cl.rudner(theta, se, cuts=cut)
    assert res.false_positive == pytest.approx(np.mean(obs_pass & ~true_pass), abs=2e-3)
    assert res.false_negative == pytest.approx(np.mean(~obs_pass & true_pass), abs=2e-3)
    assert res.pass_rate == pytest.approx(np.mean(obs_pass), abs=2e-3)
    assert res.true_pass_rate == pytest.approx(np.mean(theta >= cut), abs=1e-12)
    # exact: the truly failing examinees (theta < cut) contribute P(N(theta, se) >= cut)
    fail = theta < cut
    fp = np.sum(stats.norm.sf((cut - theta[fail]) / se[fail])) / theta.size
    assert res.false_positive == pytest.approx(fp, abs=1e-12)


def test_rudner_examinee_equals_population_version_at_the_same_thetas():
    """The examinee version with se = 1 / sqrt(I(theta)) and equal weights is the population
    version at those thetas (which puts the true theta at the node and the estimate around it):
    every index, false positive and negative and the joint table included, must agree."""
    params = _params_3pl(
        [1.2, 0.8, 1.5, 1.0, 0.9, 1.4], [-1.0, -0.3, 0.0, 0.4, 0.9, 1.5], [0.2] * 6
    )
    from psychometrics.irt.models import test_information

    t = np.linspace(-3, 3, 41)
    se = 1.0 / np.sqrt(test_information(params, t))
    ex = cl.rudner(t, se, cuts=[-0.5, 0.7])
    pop = cl.rudner_population(params, cuts=[-0.5, 0.7], thetas=t, weights=np.ones(t.size))
    for field in (
        "accuracy",
        "consistency",
        "false_positive",
        "false_negative",
        "kappa",
        "pass_rate",
        "true_pass_rate",
    ):
        assert getattr(ex, field) == pytest.approx(getattr(pop, field), abs=1e-12), field
    np.testing.assert_allclose(np.array(ex.joint), np.array(pop.joint), atol=1e-12)
    assert not math.isclose(ex.false_positive, ex.false_negative)  # the check can tell them apart


# ---------------------------------------------------------------------------------------------
# scoring: standard errors of ML and WLE are 1 / sqrt(I) at the estimate (3PL and GPCM)
# ---------------------------------------------------------------------------------------------


def _mixed_3pl_gpcm() -> ItemParameters:
    nan = np.nan
    return ItemParameters(
        item_ids=("d1", "d2", "d3", "d4", "p1", "p2"),
        model=("3pl", "3pl", "3pl", "3pl", "gpcm", "gpcm"),
        a=np.array([1.3, 0.9, 1.6, 1.1, 0.8, 1.2]),
        b=np.array(
            [
                [-0.8, nan, nan],
                [0.1, nan, nan],
                [0.6, nan, nan],
                [-0.2, nan, nan],
                [-1.0, 0.2, 1.1],
                [-0.5, 0.4, nan],
            ]
        ),
        c=np.array([0.2, 0.15, 0.25, 0.1, 0.0, 0.0]),
    )


def _info_direct(params: ItemParameters, t: float) -> float:
    """Test information written out: 3PL a^2 (P - c)^2 Q / ((1 - c)^2 P) (Lord 1980, eq. 5-9);
    GPCM a^2 Var(X | theta) (Muraki 1993)."""
    total = 0.0
    for j, model in enumerate(params.model):
        a, c = params.a[j], params.c[j]
        b = params.b[j][~np.isnan(params.b[j])]
        if model == "3pl":
            p = c + (1 - c) / (1 + math.exp(-a * (t - b[0])))
            total += a**2 * (p - c) ** 2 * (1 - p) / ((1 - c) ** 2 * p)
        else:
            num = np.concatenate([[0.0], np.cumsum(a * (t - b))])
            pk = np.exp(num - num.max())
            pk /= pk.sum()
            k = np.arange(pk.size)
            total += a**2 * (pk @ k**2 - (pk @ k) ** 2)
    return total


@pytest.mark.parametrize("method", ["ml", "wle"])
def test_ml_and_wle_se_is_inverse_root_information_at_the_estimate(method):
    from psychometrics.irt.scoring import FLAG_AT_BOUND, score_persons

    params = _mixed_3pl_gpcm()
    x = np.array([[1, 0, 1, 1, 2, 1], [0, 0, 1, 0, 1, 0], [1, 1, 0, 1, 3, 2], [0, 1, 0, 0, 0, 1]])
    got = score_persons(x, params, method=method, tol=1e-11)
    for i in range(x.shape[0]):
        if FLAG_AT_BOUND in got.flags[i]:
            continue
        expected = 1.0 / math.sqrt(_info_direct(params, got.theta[i]))
        assert got.se[i] == pytest.approx(expected, rel=1e-8)


def test_wle_gpcm_solves_warms_equation_in_closed_form():
    """GPCM WLE (Warm 1989 with Samejima's polytomous J): for GPCM items
    dlogL/dtheta = sum a (x - E), I = sum a^2 V, J = sum a^3 mu_3 (third central moment);
    the estimate zeroes sum a (x - E) + J / (2 I). Root by brentq, tolerance 1e-6."""
    from scipy import optimize

    from psychometrics.irt.scoring import score_persons

    nan = np.nan
    params = ItemParameters(
        item_ids=("g1", "g2", "g3"),
        model=("gpcm",) * 3,
        a=np.array([0.8, 1.3, 1.0]),
        b=np.array([[-1.0, 0.0, 1.0], [-0.5, 0.7, nan], [0.2, 1.4, 2.0]]),
        c=np.zeros(3),
    )

    def warm(t, x):
        score = info = jj = 0.0
        for j in range(3):
            a, b = params.a[j], params.b[j][~np.isnan(params.b[j])]
            num = np.concatenate([[0.0], np.cumsum(a * (t - b))])
            pk = np.exp(num - num.max())
            pk /= pk.sum()
            k = np.arange(pk.size)
            e = pk @ k
            score += a * (x[j] - e)
            info += a**2 * (pk @ (k - e) ** 2)
            jj += a**3 * (pk @ (k - e) ** 3)
        return score + jj / (2 * info)

    patterns = np.array([[0, 0, 0], [1, 2, 0], [3, 1, 2], [3, 2, 3], [2, 0, 1]])
    got = score_persons(patterns, params, method="wle", tol=1e-11)
    for i, x in enumerate(patterns):
        root = optimize.brentq(warm, -6, 6, args=(x,), xtol=1e-12)
        assert got.theta[i] == pytest.approx(root, abs=1e-6)


# ---------------------------------------------------------------------------------------------
# fit: infit/outfit and lz for polytomous items, written out category by category
# ---------------------------------------------------------------------------------------------


def _pcm_probs(t: float, b: np.ndarray) -> np.ndarray:
    num = np.concatenate([[0.0], np.cumsum(t - b)])
    p = np.exp(num - num.max())
    return p / p.sum()


def test_infit_outfit_and_zstd_polytomous_pcm_by_hand():
    """Wright & Masters (1982), ch. 5: W = sum_k (k - E)^2 P_k, C = sum_k (k - E)^4 P_k;
    outfit = mean(z^2), infit = sum (x - E)^2 / sum W, ZSTD = (MS^(1/3) - 1)(3 / q) + q / 3
    with q^2 = sum(C / W^2) / n^2 - 1 / n (outfit) and sum(C - W^2) / (sum W)^2 (infit)."""
    from psychometrics.irt.fit import infit_outfit

    nan = np.nan
    b = np.array([[-1.0, 0.0, 1.0], [-0.5, 0.8, nan], [0.3, nan, nan]])
    params = ItemParameters(
        item_ids=("p1", "p2", "d1"),
        model=("pcm", "pcm", "rasch"),
        a=np.ones(3),
        b=b,
        c=np.zeros(3),
    )
    theta = np.array([-1.1, -0.2, 0.4, 0.9, 1.6, 0.0])
    x = np.array([[0, 1, 0], [1, 0, 1], [2, 1, 0], [3, 2, 1], [3, 2, 1], [1, -1, 0]])
    got = infit_outfit(x, params, theta=theta)
    for j in range(3):
        bj = b[j][~np.isnan(b[j])]
        z2, r2, ws, cs, cw2 = [], [], [], [], []
        for i in range(theta.size):
            if x[i, j] < 0:
                continue
            p = _pcm_probs(theta[i], bj)
            k = np.arange(p.size)
            e = p @ k
            w = p @ (k - e) ** 2
            c4 = p @ (k - e) ** 4
            z2.append((x[i, j] - e) ** 2 / w)
            r2.append((x[i, j] - e) ** 2)
            ws.append(w)
            cs.append(c4 - w**2)
            cw2.append(c4 / w**2)
        n = len(z2)
        outfit, infit = np.mean(z2), np.sum(r2) / np.sum(ws)
        q_out = math.sqrt(np.sum(cw2) / n**2 - 1 / n)
        q_in = math.sqrt(np.sum(cs) / np.sum(ws) ** 2)
        assert got.outfit[j] == pytest.approx(outfit, rel=1e-10)
        assert got.infit[j] == pytest.approx(infit, rel=1e-10)
        assert got.outfit_z[j] == pytest.approx(
            (outfit ** (1 / 3) - 1) * 3 / q_out + q_out / 3, rel=1e-9
        )
        assert got.infit_z[j] == pytest.approx(
            (infit ** (1 / 3) - 1) * 3 / q_in + q_in / 3, rel=1e-9
        )
        assert got.n[j] == n


def test_lz_polytomous_by_hand():
    """Drasgow, Levine & Williams (1985) polytomous lz at the given theta:
    l0 = sum log P(x), E = sum_k P_k log P_k, Var = sum [sum_k P_k (log P_k)^2 - E_j^2]."""
    from psychometrics.irt.fit import person_fit

    nan = np.nan
    b = np.array([[-1.0, 0.0, 1.0], [-0.5, 0.8, nan], [0.3, nan, nan]])
    params = ItemParameters(
        item_ids=("p1", "p2", "d1"), model=("pcm", "pcm", "rasch"), a=np.ones(3), b=b, c=np.zeros(3)
    )
    theta = np.array([-0.7, 0.5, 1.2])
    x = np.array([[3, 0, 1], [1, 1, 0], [2, -1, 1]])
    got = person_fit(x, params, theta=theta)
    for i in range(3):
        l0 = e = v = 0.0
        for j in range(3):
            if x[i, j] < 0:
                continue
            p = _pcm_probs(theta[i], b[j][~np.isnan(b[j])])
            lp = np.log(p)
            l0 += lp[x[i, j]]
            e += p @ lp
            v += p @ lp**2 - (p @ lp) ** 2
        assert got.lz[i] == pytest.approx((l0 - e) / math.sqrt(v), rel=1e-10)


def _simulate(params: ItemParameters, theta: np.ndarray, rng) -> np.ndarray:
    """Scores drawn from category probabilities written out per model (2PL, GRM)."""
    out = np.empty((theta.size, params.n_items), dtype=int)
    for j, model in enumerate(params.model):
        a, b = params.a[j], params.b[j][~np.isnan(params.b[j])]
        star = 1 / (1 + np.exp(-a * (theta[:, None] - b[None, :])))  # P(X >= k), k = 1..K-1
        if model == "2pl":
            out[:, j] = rng.random(theta.size) < star[:, 0]
        else:  # grm: the score is the number of thresholds passed by one uniform draw
            out[:, j] = (rng.random(theta.size)[:, None] < star).sum(axis=1)
    return out


def test_sx2_polytomous_df_and_null_calibration():
    """Kang & Chen (2008) generalised S-X2: df = groups x (K - 1) - free parameters (K for a
    K-category GRM item). Under the true model (N = 3000, 5 2PL + 3 four-category GRM items) each
    S-X2 / df should be near 1: here df = 9 groups x 3 - 4 = 23, the SD of one ratio is about
    sqrt(2 / 23) ~ 0.3 and of the mean of 3 about 0.17, so (0.6, 1.5) is a 2.4 / 2.9 SD band
    (fixed seed). The 9 groups are summed scores 3..11, the extremes 1-2 and 12-13 joined to
    them (the collapsing rule stated in psychometrics.irt.fit); this is checked too."""
    from psychometrics.irt.fit import sx2

    nan = np.nan
    rng = np.random.default_rng(2008)
    params = ItemParameters(
        item_ids=tuple(f"q{j}" for j in range(8)),
        model=("2pl",) * 5 + ("grm",) * 3,
        a=np.array([1.0, 1.4, 0.8, 1.7, 1.2, 1.1, 1.5, 0.9]),
        b=np.array(
            [[-1.2, nan, nan], [-0.4, nan, nan], [0.0, nan, nan], [0.5, nan, nan], [1.1, nan, nan]]
            + [[-1.5, -0.2, 1.0], [-0.8, 0.3, 1.4], [-1.0, 0.0, 0.9]]
        ),
        c=np.zeros(8),
    )
    data = _simulate(params, rng.standard_normal(3000), rng)
    res = sx2(data, params)
    ratios = []
    for item, model in zip(res.items, params.model, strict=True):
        k = 2 if model == "2pl" else 4
        n_par = 2 if model == "2pl" else 4
        cells = int(np.sum(item.expected > 1e-12 * 3000))
        assert item.df == cells - len(item.groups) - n_par
        if np.all(item.expected > 1e-12 * 3000):
            assert item.df == len(item.groups) * (k - 1) - n_par
        assert np.all(item.expected.sum(axis=1) > 0)
        if model == "grm":
            ratios.append(item.s_x2 / item.df)
            assert item.groups == ((1, 3),) + tuple((s, s) for s in range(4, 11)) + ((11, 13),)
            assert item.df == 9 * 3 - 4
    assert 0.6 < np.mean(ratios) < 1.5


# ---------------------------------------------------------------------------------------------
# linking: the characteristic-curve criteria written out independently
# ---------------------------------------------------------------------------------------------


def _cat_probs_direct(model, a, b, c, t):
    """Category probabilities of one item at thetas t, written out (3PL or GRM)."""
    if model == "3pl":
        p = c + (1 - c) / (1 + np.exp(-a * (t - b[0])))
        return np.stack([1 - p, p])
    star = [np.ones_like(t)] + [1 / (1 + np.exp(-a * (t - bk))) for bk in b] + [np.zeros_like(t)]
    return np.stack([star[k] - star[k + 1] for k in range(len(b) + 1)])


def test_haebara_and_stocking_lord_match_independent_minimisation_mixed_format():
    """Kolen & Brennan (2014, sec. 6.5) criteria, extended to GRM items as in Kim & Lee (2006):
    new-scale parameters are moved to the base scale (a / A, A b + B, c) and compared with the
    base parameters at base-scale thetas (41 points on [-4, 4], N(0, 1) weights: the documented
    default, one direction only). Haebara sums squared differences over every category of every
    common item; Stocking-Lord squares the difference of the summed expected scores. The library
    solution must match a Nelder-Mead minimisation of these hand-written criteria (1e-4)."""
    from scipy import optimize

    from psychometrics.linking import link

    rng = np.random.default_rng(1980)
    nan = np.nan
    n3, ng = 8, 3
    models = ("3pl",) * n3 + ("grm",) * ng
    a_new = rng.uniform(0.7, 1.8, n3 + ng)
    b_new = np.full((n3 + ng, 3), nan)
    b_new[:n3, 0] = rng.uniform(-2, 2, n3)
    for j in range(n3, n3 + ng):
        b_new[j] = np.sort(rng.uniform(-1.5, 1.5, 3))
    c = np.concatenate([rng.uniform(0.1, 0.25, n3), np.zeros(ng)])
    ids = tuple(f"c{j}" for j in range(n3 + ng))
    new = ItemParameters(item_ids=ids, model=models, a=a_new, b=b_new, c=c)
    # base = new moved by (A, B) = (1.2, -0.3), plus noise so that the criteria disagree
    a_base = a_new / 1.2 * np.exp(rng.normal(0, 0.1, n3 + ng))
    b_base = 1.2 * b_new - 0.3 + rng.normal(0, 0.15, b_new.shape)
    b_base[n3:] = np.sort(b_base[n3:], axis=1)
    base = ItemParameters(item_ids=ids, model=models, a=a_base, b=b_base, c=c)

    t = np.linspace(-4, 4, 41)
    w = np.exp(-0.5 * t**2)
    w /= w.sum()

    def curves(a, b, A, B):
        out = []
        for j in range(n3 + ng):
            bj = b[j][~np.isnan(b[j])]
            out.append(_cat_probs_direct(models[j], a[j] / A, A * bj + B, c[j], t))
        return out

    base_curves = curves(a_base, b_base, 1.0, 0.0)

    def haebara(x):
        moved = curves(a_new, b_new, x[0], x[1])
        return sum(
            w @ np.sum((m - q) ** 2, axis=0) for m, q in zip(moved, base_curves, strict=True)
        )

    def tcc(cv):
        return sum(np.arange(p.shape[0]) @ p for p in cv)

    base_tcc = tcc(base_curves)

    def stocking_lord(x):
        return w @ (tcc(curves(a_new, b_new, x[0], x[1])) - base_tcc) ** 2

    for method, crit in (("haebara", haebara), ("stocking-lord", stocking_lord)):
        ref = optimize.minimize(
            crit, [1.0, 0.0], method="Nelder-Mead", options={"xatol": 1e-9, "fatol": 1e-14}
        )
        res = link(new, base, method=method)
        assert res.A == pytest.approx(ref.x[0], abs=1e-4), method
        assert res.B == pytest.approx(ref.x[1], abs=1e-4), method
        # the two criteria have different minima here, so the check can tell them apart
    h = link(new, base, method="haebara")
    s = link(new, base, method="stocking-lord")
    assert abs(h.A - s.A) + abs(h.B - s.B) > 1e-3


# ---------------------------------------------------------------------------------------------
# DIF: the Robins-Breslow-Greenland variance of ln(alpha_MH) against its sampling distribution
# ---------------------------------------------------------------------------------------------


def test_mh_delta_se_matches_the_sampling_sd_of_mh_d_dif():
    """3,000 replications of 10 strata (40-160 reference and 20-80 focal persons each, common
    odds ratio 2): the SD of MH D-DIF over replications must equal the mean RBG SE within 6 %
    (the Monte Carlo SE of an SD from 3,000 draws is 1.3 %; RBG is consistent in large strata,
    Robins, Breslow & Greenland 1986). The mean of alpha_MH is checked against 2 within 3 %."""
    from psychometrics.dif import mantel_haenszel

    rng = np.random.default_rng(1986)
    n_ref = np.linspace(40, 160, 10).astype(int)
    n_foc = np.linspace(20, 80, 10).astype(int)
    p_ref = np.linspace(0.2, 0.85, 10)
    odds_foc = p_ref / (1 - p_ref) / 2.0  # reference odds / focal odds = 2
    p_foc = odds_foc / (1 + odds_foc)
    deltas, ses, alphas = [], [], []
    for _ in range(3000):
        a = rng.binomial(n_ref, p_ref)
        c = rng.binomial(n_foc, p_foc)
        tables = np.stack([np.stack([a, n_ref - a], 1), np.stack([c, n_foc - c], 1)], 1)
        res = mantel_haenszel(tables)
        deltas.append(res.delta)
        ses.append(res.delta_se)
        alphas.append(res.alpha)
    assert np.std(deltas, ddof=1) == pytest.approx(np.mean(ses), rel=0.06)
    assert np.mean(alphas) == pytest.approx(2.0, rel=0.03)
    assert np.mean(deltas) == pytest.approx(-2.35 * math.log(2.0), abs=0.05)


def test_m2_df_for_a_mixed_format_test_counted_by_hand():
    """Maydeu-Olivares & Joe (2006): df = (first- + second-order category margins) - free
    parameters. Items: 3 x 3PL (1 margin, 3 parameters each), 1 x GRM with 4 categories (3
    margins, 4 parameters), 2 x PCM with 3 categories (2 margins, 2 thresholds each) and one
    Rasch item (1 margin, 1 threshold); the Rasch/PCM items share one slope (a free latent
    variance): 1 more parameter. Margins: 1+1+1+3+2+2+1 = 11 univariate and
    sum_{i<j} m_i m_j = (11^2 - (1+1+1+9+4+4+1)) / 2 = 50 bivariate; parameters 9+4+4+1+1 = 19;
    df = 61 - 19 = 42."""
    from psychometrics.irt.fit import m2

    nan = np.nan
    params = ItemParameters(
        item_ids=tuple(f"m{j}" for j in range(7)),
        model=("3pl", "3pl", "3pl", "grm", "pcm", "pcm", "rasch"),
        a=np.array([1.2, 0.9, 1.5, 1.1, 1.0, 1.0, 1.0]),
        b=np.array(
            [
                [-0.5, nan, nan],
                [0.3, nan, nan],
                [0.9, nan, nan],
                [-1.0, 0.0, 1.2],
                [-0.6, 0.5, nan],
                [-0.2, 0.8, nan],
                [0.1, nan, nan],
            ]
        ),
        c=np.array([0.2, 0.15, 0.2, 0, 0, 0, 0]),
    )
    rng = np.random.default_rng(6)
    data = np.column_stack(
        [rng.integers(0, k, 300) for k in (2, 2, 2, 4, 3, 3, 2)]
    )  # any data: only the counts are checked
    res = m2(data, params)
    assert res.df == 42
    assert res.n_parameters == 19


def test_ets_rule_a_takes_precedence_over_c_in_sparse_tables():
    """Zwick (2012, pp. 3-4): A = MH D-DIF not significantly different from 0 (MH chi-square
    at .05) or |D| < 1; C = |D| >= 1.5 and significantly greater than 1. One 2x2 table
    [[1, 4], [7, 1]] (reference right/wrong, focal right/wrong): alpha_MH = (1 * 1 / 13) /
    (4 * 7 / 13) = 1 / 28, D = -2.35 ln(1/28) = +7.83, and the continuity-corrected MH
    chi-square is (|1 - 5 * 8 / 13| - .5)^2 / Var = 3.155, p = .076 (not significant): class A,
    although (|D| - 1) / SE > 1.645."""
    from psychometrics.dif import ets_class, mantel_haenszel

    res = mantel_haenszel(np.array([[[1, 4], [7, 1]]]))
    assert res.delta == pytest.approx(-2.35 * math.log(1 / 28), abs=1e-12)
    var_a = 5 * 8 * 8 * 5 / (13**2 * 12)
    chi2 = (abs(1 - 5 * 8 / 13) - 0.5) ** 2 / var_a
    assert res.chi2 == pytest.approx(chi2, abs=1e-12)
    assert res.p == pytest.approx(stats.chi2.sf(chi2, 1), abs=1e-12) and res.p > 0.05
    assert (abs(res.delta) - 1) / res.delta_se > 1.645
    assert ets_class(res.delta, res.delta_se, res.p) == "A"
    # the same D with a significant chi-square is C, and B when |D| - 1 is within 1.645 SE
    assert ets_class(res.delta, 1.0, 0.01) == "C"
    assert ets_class(res.delta, 5.0, 0.01) == "B"
    assert ets_class(1.2, 0.1, 0.01) == "B" and ets_class(0.9, 0.1, 1e-9) == "A"
