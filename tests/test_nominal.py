"""The nominal response model (Bock 1972): recovery, nesting (2PL, GPCM), an independent
likelihood maximised by scipy, Louis SEs against a numerical Hessian, scoring, files, and the
option coding of letter responses."""

from __future__ import annotations

import warnings

import numpy as np
import pytest
from scipy import optimize, stats
from scipy.special import logsumexp

from psychometrics.errors import InputError
from psychometrics.irt import calibrate, fit
from psychometrics.irt.models import (
    ItemParameters,
    category_probabilities,
    category_probability_derivatives,
    item_information,
    log_category_probabilities,
    nominal_from_bock,
    nominal_parameters,
    nominal_record,
)
from psychometrics.irt.options import nominal_responses, option_codes
from psychometrics.irt.params_io import read_params, write_params
from psychometrics.irt.scoring import score_persons
from psychometrics.linking import transform
from psychometrics.responses import ItemKey, ResponseMatrix


def simulate_nominal(slopes, intercepts, n, seed):
    """Responses 0..K-1 with P(k) proportional to exp(slopes_k theta + intercepts_k)."""
    rng = np.random.default_rng(seed)
    theta = rng.standard_normal(n)
    z = slopes[None] * theta[:, None, None] + intercepts[None]
    p = np.exp(z - logsumexp(z, axis=2, keepdims=True))
    u = rng.random((n, slopes.shape[0], 1))
    return (u > np.cumsum(p, axis=2)).sum(axis=2)


def truth(n_items=10, n_cat=4, seed=0):
    """mirt-form parameters: a, ak (ak_0 = 0, ak_{K-1} = K-1), d (d_0 = 0)."""
    rng = np.random.default_rng(seed)
    a = rng.uniform(0.3, 0.6, n_items)
    ak = np.zeros((n_items, n_cat))
    ak[:, -1] = n_cat - 1
    ak[:, 1:-1] = rng.uniform(-0.5, 1.5, (n_items, n_cat - 2))
    d = np.zeros((n_items, n_cat))
    d[:, 1:] = rng.normal(0.0, 0.7, (n_items, n_cat - 1))
    d[:, -1] += 0.8
    return a, ak, d


@pytest.fixture(scope="module")
def recovery():
    a, ak, d = truth()
    x = simulate_nominal(a[:, None] * ak, d, 5000, seed=1)
    res = calibrate(x, model="nominal")
    return a, ak, d, res


def test_recovery_within_standard_errors(recovery):
    a, ak, d, res = recovery
    p = res.params
    assert res.converged
    # 10 items x 6 free parameters: every estimate within 4 SE of the truth (a family-wise
    # miss probability of about 0.4 % if the SEs are right), and the z-scores' spread near 1
    z_a = (p.a - a) / p.se_a
    z_ak = ((p.ak - ak) / p.se_ak)[:, 1:-1]
    forms = nominal_parameters(p, covariance=res.covariance)
    z_d = (forms.d - d)[:, 1:] / forms.se_d[:, 1:]
    assert np.all(np.isfinite(z_a)) and np.all(np.isfinite(z_ak))
    assert np.max(np.abs(z_a)) < 4 and np.max(np.abs(z_ak)) < 4
    assert np.all(np.isfinite(z_d)) and np.max(np.abs(z_d)) < 4
    z = np.concatenate([z_a, z_ak.ravel(), z_d.ravel()])
    assert 0.5 < np.sqrt(np.mean(z**2)) < 1.5
    # fixed identification values are reported exactly, with no SE
    assert np.all(p.ak[:, 0] == 0) and np.all(p.ak[:, -1] == 3)
    assert np.all(np.isnan(p.se_ak[:, [0, -1]]))
    assert res.n_parameters == 10 * 6


def test_two_categories_is_the_2pl():
    rng = np.random.default_rng(3)
    a, b = rng.uniform(0.7, 2.0, 8), rng.normal(0, 1, 8)
    theta = rng.standard_normal(2000)
    x = (rng.random((2000, 8)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(int)
    two = calibrate(x, model="2pl", tol=1e-7)
    nom = calibrate(x, model="nominal", tol=1e-7)
    assert abs(two.loglik - nom.loglik) < 1e-6
    # a * ak_1 = a (ak_1 = K - 1 = 1) and the intercept d = -a b
    assert np.allclose(nom.params.a * nom.params.ak[:, 1], two.params.a, atol=1e-5)
    assert np.allclose(
        nom.params.a * nom.params.b[:, 0], two.params.a * two.params.b[:, 0], atol=1e-5
    )
    assert np.allclose(nom.params.se_a, two.params.se_a, rtol=1e-4)
    assert np.allclose(nom.params.se_b, two.params.se_b, rtol=1e-4)


def test_gpcm_is_a_nominal_with_fixed_scoring_functions():
    # exact: ak_k = k and b_k = b_1 + ... + b_k give the GPCM's probabilities
    theta = np.linspace(-4, 4, 41)
    steps = np.array([[-1.0, 0.3, 1.2], [0.5, -0.4, 0.9]])
    gp = ItemParameters(("g1", "g2"), ("gpcm", "gpcm"), [0.8, 1.7], steps, [0, 0])
    nom = ItemParameters(
        ("g1", "g2"),
        ("nominal", "nominal"),
        [0.8, 1.7],
        np.cumsum(steps, axis=1),
        [0, 0],
        ak=np.tile(np.arange(4.0), (2, 1)),
    )
    assert np.allclose(
        log_category_probabilities(gp, theta), log_category_probabilities(nom, theta), atol=1e-12
    )
    assert np.allclose(item_information(gp, theta), item_information(nom, theta), atol=1e-12)


def test_nominal_fits_at_least_as_well_as_gpcm():
    rng = np.random.default_rng(5)
    n_items, n_cat = 8, 4
    a = rng.uniform(0.6, 1.6, n_items)
    steps = np.sort(rng.normal(0, 1, (n_items, n_cat - 1)), axis=1)
    k = np.arange(n_cat)
    d = np.concatenate([np.zeros((n_items, 1)), -np.cumsum(a[:, None] * steps, axis=1)], axis=1)
    x = simulate_nominal(a[:, None] * k[None], d, 3000, seed=6)  # GPCM data
    gp = calibrate(x, model="gpcm", se="none", tol=1e-7)
    nom = calibrate(x, model="nominal", se="none", tol=1e-7)
    assert nom.loglik >= gp.loglik - 1e-6
    # nested: the likelihood-ratio statistic is chi-square with J (K - 2) df under the GPCM
    lr = 2 * (nom.loglik - gp.loglik)
    assert lr < stats.chi2.ppf(0.999, n_items * (n_cat - 2))
    # and on data that are not GPCM (scoring functions far from 0..K-1) the gap is large
    a2, ak2, d2 = truth(n_items=8, seed=7)
    y = simulate_nominal(a2[:, None] * ak2, d2, 3000, seed=8)
    gp2 = calibrate(y, model="gpcm", se="none")
    nom2 = calibrate(y, model="nominal", se="none")
    assert 2 * (nom2.loglik - gp2.loglik) > stats.chi2.ppf(0.999, 8 * 2)


def test_collapsing_options_gives_the_2pl_curve():
    # 2PL for right/wrong; a wrong person picks one of three distractors at random, so the
    # nominal model holds with equal distractor slopes and its key curve is the 2PL's
    rng = np.random.default_rng(11)
    n_items, n = 10, 5000
    a, b = rng.uniform(0.8, 2.0, n_items), rng.normal(0, 0.8, n_items)
    theta = rng.standard_normal(n)
    right = rng.random((n, n_items)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    options = np.where(right, 3, rng.integers(0, 3, (n, n_items)))
    nom = calibrate(options, model="nominal")
    two = calibrate(right.astype(int), model="2pl")
    grid = np.linspace(-3, 3, 61)
    p_key = category_probabilities(nom.params, grid)[:, :, 3]
    p_2pl = category_probabilities(two.params, grid)[:, :, 1]
    p_true = 1 / (1 + np.exp(-a * (grid[:, None] - b)))
    assert np.max(np.abs(p_key - p_2pl)) < 0.02
    assert np.max(np.abs(p_key - p_true)) < 0.05
    # the distractors' scoring functions are 0 (equal slopes) within 4 SE
    z = nom.params.ak[:, 1:3] / nom.params.se_ak[:, 1:3]
    assert np.max(np.abs(z)) < 4
    # the key's slope against any distractor, a (K - 1), is the 2PL slope within 4 SE
    slope = 3 * nom.params.a
    assert np.max(np.abs(slope - two.params.a) / (3 * nom.params.se_a)) < 4


# ----------------------------------------------------------------- independent likelihood


def _independent_loglik(slopes, intercepts, x, nodes, logw):
    """Marginal log-likelihood with P(k) proportional to exp(slopes_k t + intercepts_k) (Bock's
    form, category 0 fixed at 0), written here without the package."""
    ll_pq = np.zeros((x.shape[0], nodes.size))
    for j in range(x.shape[1]):
        z = slopes[j][:, None] * nodes[None, :] + intercepts[j][:, None]  # (K, Q)
        ll_pq += (z - logsumexp(z, axis=0))[x[:, j]]
    return float(np.sum(logsumexp(ll_pq + logw[None, :], axis=1)))


def _bock(v, n_items, n_cat):
    """Free Bock parameters (slopes then intercepts of categories 1..K-1) to full arrays."""
    v = v.reshape(n_items, 2, n_cat - 1)
    zero = np.zeros((n_items, 1))
    return np.hstack([zero, v[:, 0]]), np.hstack([zero, v[:, 1]])


def _reported(v, n_items, n_cat):
    """Reported form (a, b_1..b_{K-1}, ak_1..ak_{K-2}) to Bock slopes and intercepts."""
    v = v.reshape(n_items, 2 * n_cat - 2)
    a = v[:, :1]
    ak = np.hstack([np.zeros((n_items, 1)), v[:, n_cat:], np.full((n_items, 1), n_cat - 1.0)])
    b = np.hstack([np.zeros((n_items, 1)), v[:, 1:n_cat]])
    return a * ak, -a * b


def test_independent_likelihood_and_standard_errors():
    n_items, n_cat = 4, 3
    a, ak, d = truth(n_items=n_items, n_cat=n_cat, seed=21)
    x = simulate_nominal(1.5 * a[:, None] * ak, d, 800, seed=22)
    res = calibrate(x, model="nominal", tol=1e-8, ll_tol=1e-10)
    nodes = np.linspace(-6, 6, 61)  # the calibration's default quadrature
    logw = -0.5 * nodes**2
    logw -= logsumexp(logw)

    def f_bock(v):
        return -_independent_loglik(*_bock(v, n_items, n_cat), x, nodes, logw)

    start = np.tile([0.0, 1.0, 0.0, 0.0], n_items)
    opt = optimize.minimize(f_bock, start, method="BFGS", options={"gtol": 1e-6})
    assert np.max(np.abs(opt.jac)) < 1e-3
    p = res.params
    slopes, intercepts = _bock(opt.x, n_items, n_cat)
    ours = nominal_parameters(p)
    assert abs(-opt.fun - res.loglik) < 1e-5
    assert np.max(np.abs(ours.slopes - slopes)) < 2e-3
    assert np.max(np.abs(ours.intercepts - intercepts)) < 2e-3

    # Louis SEs equal the inverse of a central-difference Hessian of this likelihood, taken in
    # the reported parameters (a, b_k, ak_k)
    def f(v):
        return -_independent_loglik(*_reported(v, n_items, n_cat), x, nodes, logw)

    est = np.column_stack([p.a, p.b[:, :2], p.ak[:, 1]]).ravel()
    n_par = est.size
    h = np.zeros((n_par, n_par))
    step = 1e-4
    eye = np.eye(n_par) * step
    for i in range(n_par):
        for k in range(i, n_par):
            h[i, k] = h[k, i] = (
                f(est + eye[i] + eye[k])
                - f(est + eye[i] - eye[k])
                - f(est - eye[i] + eye[k])
                + f(est - eye[i] - eye[k])
            ) / (4 * step**2)
    se_num = np.sqrt(np.diag(np.linalg.inv(h))).reshape(n_items, 2 * n_cat - 2)
    se = np.column_stack([p.se_a, p.se_b[:, :2], p.se_ak[:, 1]])
    assert np.allclose(se, se_num, rtol=5e-3)

    # Bock's slopes and intercepts: delta-method SEs from the calibration's covariance equal the
    # inverse numerical Hessian of the likelihood in Bock's (first category zero) parameters
    bock = np.stack([ours.slopes[:, 1:], ours.intercepts[:, 1:]], axis=1).ravel()
    se_bock = np.sqrt(np.diag(np.linalg.inv(_hessian(f_bock, bock))))
    se_bock = se_bock.reshape(n_items, 2, n_cat - 1)
    with_se = nominal_parameters(p, covariance=res.covariance)
    assert np.allclose(with_se.se_slopes[:, 1:], se_bock[:, 0], rtol=5e-3)
    assert np.allclose(with_se.se_d[:, 1:], se_bock[:, 1], rtol=5e-3)
    assert np.all(np.isnan(with_se.se_slopes[:, 0])) and np.all(np.isnan(with_se.se_d[:, 0]))
    assert np.all(np.isfinite(with_se.se_slopes_centered))
    assert nominal_parameters(p).se_d is None


def _hessian(f, x, step=1e-4):
    n = x.size
    h = np.zeros((n, n))
    eye = np.eye(n) * step
    for i in range(n):
        for k in range(i, n):
            h[i, k] = h[k, i] = (
                f(x + eye[i] + eye[k])
                - f(x + eye[i] - eye[k])
                - f(x - eye[i] + eye[k])
                + f(x - eye[i] - eye[k])
            ) / (4 * step**2)
    return h


# ----------------------------------------------------------------- model functions


def _params():
    return nominal_from_bock(
        ["n1", "n2"],
        [[0.0, -0.5, 0.3, 1.2], [0.1, 0.2, 1.1, np.nan]],
        [[0.0, 0.4, -0.3, 0.5], [0.2, 0.1, -0.1, np.nan]],
    )


def test_bock_conversion_and_probabilities():
    p = _params()
    theta = np.linspace(-3, 3, 13)
    z = np.array([0.0, -0.5, 0.3, 1.2])[None] * theta[:, None] + np.array([0.0, 0.4, -0.3, 0.5])
    expected = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
    assert np.allclose(category_probabilities(p, theta)[:, 0], expected, atol=1e-14)
    assert list(p.n_categories) == [4, 3]
    assert p.a[0] == pytest.approx(1.2 / 3) and p.ak[0, 3] == pytest.approx(3)
    forms = nominal_parameters(p)
    assert np.allclose(forms.slopes[0], [0.0, -0.5, 0.3, 1.2])
    assert np.allclose(forms.intercepts[0], [0.0, 0.4, -0.3, 0.5])
    assert np.allclose(np.nansum(forms.slopes_centered, axis=1), 0)
    assert np.allclose(np.nansum(forms.intercepts_centered, axis=1), 0)
    # the centred form (mirt's IRTpars) converts back to the same item
    back = nominal_from_bock(p.item_ids, forms.slopes_centered, forms.intercepts_centered)
    assert np.allclose(back.a, p.a) and np.allclose(back.b, p.b, equal_nan=True)
    assert np.allclose(back.ak, p.ak, equal_nan=True)
    with pytest.raises(ValueError, match="last category"):
        nominal_from_bock(["x"], [[0.5, 0.0]], [[0.0, 0.0]])


def test_derivatives_and_information():
    p = _params()
    theta = np.linspace(-3, 3, 13)
    h = 1e-6
    num = (category_probabilities(p, theta + h) - category_probabilities(p, theta - h)) / (2 * h)
    assert np.allclose(category_probability_derivatives(p, theta), num, atol=1e-8)
    probs = category_probabilities(p, theta)
    ak = np.nan_to_num(p.ak)
    var = (probs * ak**2).sum(axis=2) - (probs * ak).sum(axis=2) ** 2
    assert np.allclose(item_information(p, theta), p.a**2 * var, atol=1e-12)


def test_scoring_eap_matches_direct_integration():
    p = _params()
    x = np.array([[3, 2], [0, 1], [1, -1]])
    res = score_persons(x, p, method="eap", n_points=201)
    grid = np.linspace(-8, 8, 4001)
    logp = log_category_probabilities(p, grid)
    for i, row in enumerate(x):
        ll = sum(logp[:, j, k] for j, k in enumerate(row) if k >= 0) - 0.5 * grid**2
        w = np.exp(ll - ll.max())
        assert res.theta[i] == pytest.approx(np.sum(w * grid) / np.sum(w), abs=1e-4)
    ml = score_persons(x[:2], p, method="map")
    assert np.all(np.isfinite(ml.theta))


def test_params_file_round_trip(tmp_path):
    p = _params()
    path = tmp_path / "params.csv"
    write_params(path, p)
    text = path.read_text()
    assert "ak0" in text.splitlines()[0] and "se_ak3" in text.splitlines()[0]
    q = read_params(path)
    assert q.model == ("nominal", "nominal")
    assert np.allclose(q.ak, p.ak, equal_nan=True, atol=1e-5)
    assert np.allclose(q.b, p.b, equal_nan=True, atol=1e-5)
    bad = tmp_path / "bad.csv"
    lines = text.splitlines()
    header = lines[0].split(",")
    drop = header.index("ak2")
    bad.write_text(
        "\n".join(",".join(c for i, c in enumerate(r.split(",")) if i != drop) for r in lines)
    )
    with pytest.raises(InputError, match="ak2"):
        read_params(bad)


def test_params_need_scoring_functions():
    with pytest.raises(ValueError, match="scoring functions"):
        ItemParameters(("x",), ("nominal",), [1.0], [[0.0, 1.0]], [0.0])


# ----------------------------------------------------------------- option coding


def _letters():
    raw = np.array(
        [["B", "A", "1"], ["C", "C", "0"], ["A", "B", "2"], ["B", "", "1"], ["D", "A", "2"]]
    )
    key = {
        "q1": ItemKey(options=("A", "B", "C", "D"), correct=frozenset({"B"})),
        "q2": ItemKey(options=("A", "B", "C", "D"), correct=frozenset({"C"})),
        "r1": ItemKey(max_score=2),
    }
    scores = np.array([[1, 0, 1], [0, 1, 0], [0, 0, 2], [1, -1, 1], [0, 0, 2]], dtype=np.int16)
    rm = ResponseMatrix(
        person_ids=tuple("12345"),
        item_ids=("q1", "q2", "r1"),
        scores=scores,
        omitted=np.zeros((5, 3), dtype=bool),
        raw=raw,
    )
    return rm, key


def test_option_codes_key_last():
    rm, key = _letters()
    coded = option_codes(rm, key)
    assert coded.options["q1"] == ("A", "C", "D", "B")
    assert coded.options["q2"] == ("A", "B", "C")  # D never chosen: left out
    assert coded.unused == {"q2": ("D",)}
    assert coded.keyed_code == {"q1": 3, "q2": 2}
    assert coded.scored == ("r1",)
    assert coded.responses.scores[:, 0].tolist() == [3, 1, 0, 3, 2]
    assert coded.responses.scores[:, 1].tolist() == [0, 2, 1, -1, 0]
    assert coded.responses.scores[:, 2].tolist() == [1, 0, 2, 1, 2]
    assert coded.models("3pl") == {"q1": "nominal", "q2": "nominal", "r1": "3pl"}
    with pytest.raises(ValueError, match="other must be"):
        coded.models("bogus")
    in_order = option_codes(rm, key, key_last=False)
    assert in_order.options["q1"] == ("A", "B", "C", "D")
    assert in_order.responses.scores[:, 0].tolist() == [1, 2, 0, 1, 3]


def test_option_codes_errors():
    rm, key = _letters()
    with pytest.raises(ValueError, match="no option letters"):
        option_codes(ResponseMatrix(rm.person_ids, rm.item_ids, rm.scores, rm.omitted), key)
    with pytest.raises(ValueError, match="'r1' is not in the key"):
        option_codes(rm, {k: v for k, v in key.items() if k != "r1"})
    never = dict(key, q2=ItemKey(options=("A", "B", "C", "D"), correct=frozenset({"D"})))
    with pytest.raises(ValueError, match="nobody chose the keyed option 'D'"):
        option_codes(rm, never)
    with pytest.raises(TypeError):
        option_codes(rm.scores, key)


def test_option_codes_calibrate_end_to_end():
    # letters generated from a nominal model, coded and calibrated: the key's curve rises
    a, ak, d = truth(n_items=6, seed=31)
    x = simulate_nominal(a[:, None] * ak, d, 3000, seed=32)  # 3 = key
    letters = np.array(["A", "B", "C", "D"])[np.array([1, 2, 3, 0])[x]]  # key = A
    key = {
        f"i{j}": ItemKey(options=("A", "B", "C", "D"), correct=frozenset({"A"})) for j in range(6)
    }
    rm = ResponseMatrix(
        person_ids=tuple(str(i) for i in range(3000)),
        item_ids=tuple(key),
        scores=(letters == "A").astype(np.int16),
        omitted=np.zeros(letters.shape, dtype=bool),
        raw=letters,
    )
    coded = option_codes(rm, key)
    assert np.array_equal(coded.responses.scores, x)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = calibrate(coded.responses, model="nominal")
    assert np.all(res.params.a > 0)
    assert np.max(np.abs(res.params.a - a) / res.params.se_a) < 4


def test_m2_counts_the_scoring_functions():
    # full-margin M2 (Maydeu-Olivares & Joe 2006) with the nominal's 2K - 2 parameters per item
    a, ak, d = truth(n_items=6, seed=51)
    x = simulate_nominal(a[:, None] * ak, d, 2000, seed=52)
    res = calibrate(x, model="nominal", se="none")
    m = fit.m2(x, res.params)
    n_cat = 4
    margins = 6 * (n_cat - 1) + 15 * (n_cat - 1) ** 2
    assert m.n_parameters == 6 * (2 * n_cat - 2)
    assert m.df == margins - m.n_parameters
    assert m.p > 0.001  # the true model
    gp = calibrate(x, model="gpcm", se="none")
    assert fit.m2(x, gp.params).p < 1e-6  # scoring functions far from 0..K-1


def test_linking_transform_keeps_the_curves():
    p = ItemParameters.concatenate(
        [_params(), ItemParameters(("g",), ("gpcm",), [1.1], [[-0.5, 0.4, 1.0]], [0.0])]
    )
    A, B = 1.3, -0.4
    q = transform(p, A=A, B=B)
    theta = np.linspace(-3, 3, 13)
    assert np.allclose(
        category_probabilities(p, theta), category_probabilities(q, A * theta + B), atol=1e-12
    )


def test_nominal_record_has_both_forms():
    p = _params()
    rec = nominal_record(p, 1)
    assert rec["ak"] == pytest.approx([0.0, p.ak[1, 1], 2.0])
    assert rec["se_ak"] == [None, None, None]
    assert rec["d"] == pytest.approx([0.0, 0.1 - 0.2, -0.1 - 0.2])
    assert rec["bock"]["slopes"] == pytest.approx([-1.1 / 3, -0.8 / 3, 1.9 / 3])
    assert sum(rec["bock"]["intercepts"]) == pytest.approx(0.0, abs=1e-12)
    with pytest.raises(ValueError, match="not a nominal"):
        nominal_record(ItemParameters(("x",), ("2pl",), [1.0], [[0.0]], [0.0]), 0)


def test_anchored_nominal_calibration_finds_the_group_shift():
    a, ak, d = truth(n_items=10, seed=61)
    base = calibrate(simulate_nominal(a[:, None] * ak, d, 4000, seed=62), model="nominal")
    anchors = base.params.subset([f"item{j}" for j in range(1, 6)])
    rng = np.random.default_rng(63)
    theta = rng.normal(0.5, 1.2, 4000)  # a second group: mean 0.5, SD 1.2 on the base scale
    z = (a[:, None] * ak)[None] * theta[:, None, None] + d[None]
    p = np.exp(z - logsumexp(z, axis=2, keepdims=True))
    y = (rng.random((4000, 10, 1)) > np.cumsum(p, axis=2)).sum(axis=2)
    res = calibrate(y, model="nominal", anchors=anchors)
    assert res.latent_mean == pytest.approx(0.5, abs=4 * res.latent_mean_se + 0.05)
    assert res.latent_sd == pytest.approx(1.2, abs=4 * res.latent_sd_se + 0.05)
    # the anchors keep their values, scoring functions included
    assert np.allclose(res.params.ak[:5], anchors.ak, equal_nan=True)
    free = res.params.subset([f"item{j}" for j in range(6, 11)])
    assert np.max(np.abs(free.a - a[5:]) / free.se_a) < 4
    record = res.to_dict()["items"][7]
    assert record["model"] == "nominal" and len(record["ak"]) == 4
    assert record["ak"][0] == 0 and record["ak"][3] == 3
    assert sum(record["bock"]["slopes"]) == pytest.approx(0.0, abs=1e-9)


def test_no_spurious_extreme_flags_on_healthy_items():
    # b_k = -d_k / a is large when a (per unit of scoring function) is small (here item 4:
    # b_1 = -6.2 with a = 0.3); that is no extreme estimate
    a, ak, d = truth()
    res = calibrate(
        simulate_nominal(a[:, None] * ak, d, 5000, seed=1000), model="nominal", se="none"
    )
    assert np.nanmax(np.abs(res.params.b)) > 6
    assert res.flagged_items == ()


def test_nominal_responses_for_scoring():
    rm, key = _letters()
    params = ItemParameters.concatenate(
        [
            nominal_from_bock(["q1"], [[0.0, 0.2, -0.1, 1.5]], [[0.0, 0.1, 0.2, 0.3]]),
            ItemParameters(("q2",), ("2pl",), [1.0], [[0.0]], [0.0]),
            ItemParameters(("r1",), ("grm",), [1.0], [[-1.0, 1.0]], [0.0]),
        ]
    )
    out = nominal_responses(rm, key, params)
    # q1: all four options coded (A C D B), the key B last; the others as scored
    assert out.scores[:, 0].tolist() == [3, 1, 0, 3, 2]
    assert out.scores[:, 1].tolist() == rm.scores[:, 1].tolist()
    assert out.scores[:, 2].tolist() == rm.scores[:, 2].tolist()
    # one person who did not choose the key is still scored
    one = rm.select_persons(np.array([False, True, False, False, False]))
    assert nominal_responses(one, key, params).scores[0, 0] == 1
    # three categories without option names cannot be matched to four letters
    three = nominal_from_bock(["q1"], [[0.0, 0.2, 1.5]], [[0.0, 0.1, 0.3]])
    rest = params.subset(["q2", "r1"])
    with pytest.raises(ValueError, match="3 categories but its key has 4 options"):
        nominal_responses(rm, key, ItemParameters.concatenate([three, rest]))
    # with names (D was never chosen at calibration): D is missing, the others by name
    named = three.with_values(options=(("A", "C", "B"),))
    out = nominal_responses(rm, key, ItemParameters.concatenate([named, rest]))
    assert out.scores[:, 0].tolist() == [2, 1, 0, 2, -1]


def test_option_names_round_trip(tmp_path):
    p = _params().with_values(options=(("A", "C", "D", "B"), ()))
    write_params(tmp_path / "p.csv", p)
    assert read_params(tmp_path / "p.csv").options == (("A", "C", "D", "B"), ())
    assert p.subset(["n1"]).options == (("A", "C", "D", "B"),)


def test_sum_score_counts_the_key_of_nominal_items():
    p = ItemParameters.concatenate(
        [_params(), ItemParameters(("g",), ("gpcm",), [1.0], [[-0.5, 0.5]], [0.0])]
    )
    x = np.array([[3, 2, 2], [1, 0, 1], [2, -1, 0]])
    res = score_persons(x, p, method="eap")
    assert res.sum_score.tolist() == [1 + 1 + 2, 0 + 0 + 1, 0 + 0 + 0]
