"""Parameter recovery from simulated data with known truth, for every model.

Data are generated with ``psychometrics.irt.models.category_probabilities`` (the shared response
functions, not the engine) from fixed seeds. Tolerances follow from the sample size: with N
persons the asymptotic SE of a slope is roughly 1 / sqrt(N * info) ~ 1.5 / sqrt(N) for moderate
items, of a difficulty 1.5-3 / sqrt(N); we bound the RMSE over items at about 2.5-3 times those
values (so a failure means a real bias, not bad luck), and check the engine's own standard errors
by coverage: the share of |estimate - truth| / SE below 2.576 must be >= 0.90 (expected 0.99;
with 40-80 parameters a correct engine falls below 0.90 with probability < 1e-4).
"""

import warnings

import numpy as np
import pytest

from psychometrics.irt import (
    CalibrationResult,
    CalibrationWarning,
    ConvergenceWarning,
    ItemParameters,
    calibrate,
    category_probabilities,
)
from psychometrics.responses import from_array


def simulate(params: ItemParameters, theta: np.ndarray, rng) -> np.ndarray:
    probs = category_probabilities(params, theta)  # (n, J, K)
    cum = np.cumsum(probs, axis=2)
    u = rng.random((theta.size, params.n_items, 1))
    return np.sum(u > cum[:, :, :-1], axis=2).astype(np.int16)


def make_params(model, n_items, rng, *, n_cat=2, prefix="i"):
    ids = tuple(f"{prefix}{j + 1:03d}" for j in range(n_items))
    a = rng.lognormal(0.0, 0.25, n_items) if model not in ("rasch", "pcm") else np.ones(n_items)
    if model == "1pl":
        a = np.full(n_items, 1.3)
    c = rng.uniform(0.10, 0.25, n_items) if model == "3pl" else np.zeros(n_items)
    if n_cat == 2:
        b = rng.uniform(-1.8, 1.8, n_items)[:, None]
    elif model == "grm":
        b = np.sort(rng.uniform(-2.0, 2.0, (n_items, n_cat - 1)), axis=1)
        b += np.arange(n_cat - 1) * 0.3  # keep thresholds apart
    else:
        b = rng.uniform(-1.5, 1.5, (n_items, n_cat - 1))
    return ItemParameters(item_ids=ids, model=(model,) * n_items, a=a, b=b, c=c)


def rmse(x, y):
    return float(np.sqrt(np.nanmean((np.asarray(x) - np.asarray(y)) ** 2)))


def coverage(est, se, truth):
    z = np.abs(np.asarray(est) - np.asarray(truth)) / np.asarray(se)
    z = z[np.isfinite(z)]
    assert z.size > 0
    return float(np.mean(z < 2.576))


@pytest.mark.parametrize("model", ["2pl", "1pl"])
def test_2pl_and_1pl_recovery(model):
    rng = np.random.default_rng(11)
    true = make_params(model, 25, rng)
    x = simulate(true, rng.standard_normal(4000), rng)
    res = calibrate(x, model=model, item_ids=true.item_ids)
    assert isinstance(res, CalibrationResult) and res.converged
    assert res.n_persons == 4000 and res.n_items == 25
    # N = 4000: SE(a) ~ 0.03-0.06, SE(b) ~ 0.03-0.1 (extreme items) -> bounds 0.1 / 0.12
    assert rmse(res.params.a, true.a) < 0.1
    assert rmse(res.params.b[:, 0], true.b[:, 0]) < 0.12
    assert coverage(res.params.b[:, 0], res.params.se_b[:, 0], true.b[:, 0]) >= 0.9
    if model == "2pl":
        assert coverage(res.params.a, res.params.se_a, true.a) >= 0.9
        assert res.n_parameters == 50
    else:
        assert np.ptp(res.params.a) == 0 and res.n_parameters == 26
        assert abs(res.params.a[0] - 1.3) < 3 * res.params.se_a[0]


def test_rasch_recovers_difficulties_and_latent_sd():
    rng = np.random.default_rng(12)
    true = make_params("rasch", 20, rng)
    x = simulate(true, 0.8 * rng.standard_normal(3000), rng)
    res = calibrate(x, model="rasch")
    assert res.converged and res.n_parameters == 21
    np.testing.assert_allclose(res.params.a, 1.0)
    assert np.all(np.isnan(res.params.se_a))
    # SE(sd) ~ 0.02 at N = 3000
    assert abs(res.latent_sd - 0.8) < 0.06
    assert abs(res.latent_sd - 0.8) < 3 * res.latent_sd_se
    assert rmse(res.params.b[:, 0], true.b[:, 0]) < 0.08
    assert coverage(res.params.b[:, 0], res.params.se_b[:, 0], true.b[:, 0]) >= 0.9


def test_3pl_recovery_with_c_between_10_and_25_percent():
    rng = np.random.default_rng(13)
    true = make_params("3pl", 20, rng)
    x = simulate(true, rng.standard_normal(8000), rng)
    res = calibrate(x, model="3pl")
    assert res.converged
    assert res.priors == {"c": "beta(5, 17)"}
    assert res.log_posterior != res.loglik
    # 3PL is weakly identified for easy items; at N = 8000 typical SEs are a 0.05-0.15,
    # b 0.05-0.15, c 0.02-0.05 (BILOG/mirt experience); bounds ~2.5x
    assert rmse(res.params.c, true.c) < 0.05
    assert rmse(res.params.a, true.a) < 0.2
    assert rmse(res.params.b[:, 0], true.b[:, 0]) < 0.2
    assert np.all(np.isfinite(res.params.se_c)) and np.all(res.params.se_c > 0)


@pytest.mark.parametrize("model,n_cat", [("grm", 5), ("gpcm", 4), ("pcm", 4)])
def test_polytomous_recovery(model, n_cat):
    rng = np.random.default_rng(14)
    true = make_params(model, 10, rng, n_cat=n_cat)
    sd = 1.2 if model == "pcm" else 1.0
    x = simulate(true, sd * rng.standard_normal(3000), rng)
    res = calibrate(x, model=model)
    assert res.converged
    assert res.params.b.shape == (10, n_cat - 1)
    # N = 3000 with 4-5 categories: SE(a) ~ 0.03-0.06, SE(b_k) ~ 0.04-0.12
    if model != "pcm":
        assert rmse(res.params.a, true.a) < 0.1
        assert coverage(res.params.a, res.params.se_a, true.a) >= 0.9
    else:
        assert abs(res.latent_sd - 1.2) < 0.08
    assert rmse(res.params.b, true.b) < 0.15
    assert coverage(res.params.b, res.params.se_b, true.b) >= 0.9


def test_mixed_3pl_and_grm_in_one_calibration_with_missing_cells():
    rng = np.random.default_rng(15)
    mcq = make_params("3pl", 15, rng, prefix="m")
    rub = make_params("grm", 4, rng, n_cat=4, prefix="r")
    both = ItemParameters.concatenate([mcq, rub])
    x = simulate(both, rng.standard_normal(5000), rng)
    x[rng.random(x.shape) < 0.1] = -1  # 10 % not presented, left out of the likelihood
    rm = from_array(x, item_ids=both.item_ids)
    res = calibrate(rm, model="3pl", poly_model="grm")
    assert res.converged and res.model == "mixed"
    assert res.params.model == both.model
    assert rmse(res.params.a[15:], rub.a) < 0.12
    assert rmse(res.params.b[15:, :3], rub.b) < 0.15
    assert rmse(res.params.c[:15], mcq.c) < 0.06
    # the same via an explicit mapping
    mapping = dict(zip(both.item_ids, both.model, strict=True))
    res2 = calibrate(rm, model=mapping, se="none")
    np.testing.assert_allclose(res2.params.a, res.params.a, atol=1e-3)


def test_fixed_parameter_calibration_incomplete_design_lands_on_bank_scale():
    """Two forms share 12 anchor items; each has 14 new items; population N(0.5, 1.3^2)."""
    rng = np.random.default_rng(16)
    bank = make_params("2pl", 40, rng)
    anchors = bank.subset(bank.item_ids[:12])
    n = 3000
    theta = 0.5 + 1.3 * rng.standard_normal(2 * n)
    x = simulate(bank, theta, rng)
    form_a = list(range(12)) + list(range(12, 26))
    form_b = list(range(12)) + list(range(26, 40))
    mask = np.zeros_like(x, dtype=bool)
    mask[:n, form_a] = True
    mask[n:, form_b] = True
    x = np.where(mask, x, -1)
    res = calibrate(from_array(x, item_ids=bank.item_ids), model="2pl", anchors=anchors)
    assert res.converged
    assert res.anchors == bank.item_ids[:12]
    # anchors stay exactly at the bank values and carry no SE
    np.testing.assert_allclose(res.params.a[:12], anchors.a)
    np.testing.assert_allclose(res.params.b[:12, 0], anchors.b[:, 0])
    assert np.all(np.isnan(res.params.se_a[:12]))
    # latent distribution recovered (SE ~ 0.03 for both at N = 6000 with 12 anchors)
    assert abs(res.latent_mean - 0.5) < 0.1 and abs(res.latent_sd - 1.3) < 0.1
    assert np.isfinite(res.latent_mean_se) and np.isfinite(res.latent_sd_se)
    # new items on the bank scale: N = 3000 each
    assert rmse(res.params.a[12:], bank.a[12:]) < 0.12
    assert rmse(res.params.b[12:, 0], bank.b[12:, 0]) < 0.15
    assert coverage(res.params.b[12:, 0], res.params.se_b[12:, 0], bank.b[12:, 0]) >= 0.9
    # without anchors the scale is the sample's (mean 0, sd 1): b shifted by about -0.5 / 1.3
    free = calibrate(from_array(x, item_ids=bank.item_ids), model="2pl", se="none")
    shift = np.mean(free.params.b[12:, 0] - bank.b[12:, 0])
    assert shift < -0.25


def test_items_without_variance_and_persons_without_responses_are_dropped_and_reported():
    rng = np.random.default_rng(17)
    true = make_params("2pl", 8, rng)
    x = simulate(true, rng.standard_normal(600), rng)
    x[:, 3] = 1
    x[5, :] = -1
    with pytest.warns(CalibrationWarning) as rec:
        res = calibrate(x, model="2pl", item_ids=true.item_ids)
    messages = " ".join(str(w.message) for w in rec)
    assert "i004" in messages and "person" in messages
    assert res.n_items == 7 and res.n_persons == 599
    assert res.dropped_items == (("i004", "no variance (every response is 1)"),)
    assert res.dropped_persons == (("6", "no responses"),)
    assert "i004" not in res.params


def test_non_convergence_is_warned_and_recorded():
    rng = np.random.default_rng(18)
    true = make_params("3pl", 10, rng)
    x = simulate(true, rng.standard_normal(1000), rng)
    with pytest.warns(ConvergenceWarning):
        res = calibrate(x, model="3pl", max_iter=2, se="none")
    assert not res.converged
    assert "did not converge" in res.message
    assert res.to_dict()["converged"] is False


def test_invalid_arguments_name_the_argument():
    x = np.array([[0, 1, 2], [1, 0, 1], [2, 1, 0], [0, 0, 1]])
    with pytest.raises(ValueError, match="model"):
        calibrate(x, model="4pl")
    with pytest.raises(ValueError, match="poly_model"):
        calibrate(x, model="2pl")
    with pytest.raises(ValueError, match="engine"):
        calibrate(x, model="grm", engine="mirt")
    with pytest.raises(ValueError, match="quadrature"):
        calibrate(x, model="grm", quadrature=2)
    with pytest.raises(ValueError, match="never observed"):
        calibrate(np.array([[0, 0], [2, 1], [0, 1], [2, 0]]), model="grm")
    with pytest.raises(TypeError, match="responses"):
        calibrate("responses.csv")
    with pytest.raises(ValueError, match="2-D"):
        calibrate(np.zeros(5, dtype=int))
    with pytest.raises(ValueError, match="c_prior"):
        calibrate(x, model="grm", c_prior=(0.5, 2))
    with pytest.raises(ValueError, match="no model given"):
        calibrate(x, model={"item1": "grm"})


def test_result_is_frozen_and_serialisable():
    import json

    rng = np.random.default_rng(19)
    true = make_params("2pl", 5, rng)
    x = simulate(true, rng.standard_normal(300), rng)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a clean run warns about nothing
        res = calibrate(x, model="2pl")
    with pytest.raises(AttributeError):
        res.loglik = 0.0
    d = json.loads(json.dumps(res.to_dict()))
    for key in ("model", "loglik", "aic", "bic", "iterations", "converged", "n_persons", "n_items"):
        assert key in d
    assert d["se_method"] == "louis" and d["metric"] == "logistic, D = 1"
    assert len(d["items"]) == 5 and d["items"][0]["item_id"] == "item1"


def test_anchors_with_zero_lower_asymptote_and_polytomous_anchor():
    """3PL anchors with c = 0 (logit -inf) and a GRM anchor are held fixed without trouble."""
    rng = np.random.default_rng(20)
    mcq = make_params("3pl", 10, rng, prefix="m")
    mcq = mcq.with_values(c=np.where(np.arange(10) < 3, 0.0, mcq.c))
    rub = make_params("grm", 2, rng, n_cat=4, prefix="r")
    both = ItemParameters.concatenate([mcq, rub])
    x = simulate(both, 0.3 + rng.standard_normal(3000), rng)
    anchors = both.subset(both.item_ids[:5] + both.item_ids[10:])
    res = calibrate(x, model="3pl", poly_model="grm", item_ids=both.item_ids, anchors=anchors)
    assert res.converged
    np.testing.assert_allclose(res.params.c[:3], 0.0)
    np.testing.assert_allclose(res.params.b[10:, :3], rub.b)
    assert abs(res.latent_mean - 0.3) < 0.15


def test_doubling_the_sample_keeps_estimates_doubles_loglik_and_shrinks_se():
    """Exact invariances of MML: duplicated persons leave the estimates unchanged, double the
    log-likelihood and divide the standard errors by sqrt(2); item order is immaterial."""
    rng = np.random.default_rng(23)
    true = make_params("2pl", 6, rng)
    x = simulate(true, rng.standard_normal(700), rng)
    one = calibrate(x, model="2pl", tol=1e-7)
    two = calibrate(np.vstack([x, x]), model="2pl", tol=1e-7)
    np.testing.assert_allclose(two.params.a, one.params.a, atol=1e-5)
    assert two.loglik == pytest.approx(2 * one.loglik, rel=1e-8)
    np.testing.assert_allclose(two.params.se_a * np.sqrt(2), one.params.se_a, rtol=1e-4)
    order = [3, 0, 5, 1, 4, 2]
    perm = calibrate(x[:, order], model="2pl", tol=1e-7)
    np.testing.assert_allclose(perm.params.b[:, 0], one.params.b[order, 0], atol=1e-5)
    assert perm.loglik == pytest.approx(one.loglik, abs=1e-6)


def test_user_latent_distribution_sets_the_scale():
    """With the ability distribution fixed at the generating N(0.5, 1.3^2), the estimates are on
    the generating scale (N = 4000: bounds as for the 2PL test)."""
    rng = np.random.default_rng(24)
    true = make_params("2pl", 15, rng)
    x = simulate(true, 0.5 + 1.3 * rng.standard_normal(4000), rng)
    res = calibrate(x, model="2pl", latent=(0.5, 1.3))
    assert res.latent_mean == 0.5 and res.latent_sd == 1.3
    assert np.isnan(res.latent_mean_se) and res.n_parameters == 30
    assert rmse(res.params.a, true.a) < 0.1
    assert rmse(res.params.b[:, 0], true.b[:, 0]) < 0.12
    with pytest.raises(ValueError, match="latent"):
        calibrate(x, model="2pl", latent=(0.0, -1.0))


def test_louis_standard_errors_match_a_numerical_hessian_mixed_3pl_grm_with_missing():
    """Louis' information for 3PL (with its c prior) + GRM items and not-presented cells equals
    the numerical Hessian of the log-posterior computed here from the shared response functions
    on the same quadrature grid (independent of the engine's E-step). Central differences with
    h = 1e-3 are accurate to ~1e-6 relative, so SEs must agree to 0.1 %."""
    from scipy.special import expit

    rng = np.random.default_rng(25)
    mcq = make_params("3pl", 4, rng, prefix="m")
    rub = make_params("grm", 1, rng, n_cat=4, prefix="r")
    both = ItemParameters.concatenate([mcq, rub])
    x = simulate(both, rng.standard_normal(1500), rng)
    x[rng.random(x.shape) < 0.1] = -1
    res = calibrate(x, model="3pl", poly_model="grm", item_ids=both.item_ids, tol=1e-8)
    nodes = np.linspace(-6, 6, 61)
    logw = -0.5 * nodes**2 - np.logaddexp.reduce(-0.5 * nodes**2)
    pres = x >= 0
    alpha, beta = 5.0, 17.0

    def unpack(v):  # (a, d, g) x 4 mcq, then (a, d1, d2, d3) for the rubric item
        a = np.concatenate([v[0:12:3], [v[12]]])
        d = v[1:12:3]
        c = np.concatenate([expit(v[2:12:3]), [0.0]])
        b = np.full((5, 3), np.nan)
        b[:4, 0] = -d / a[:4]
        b[4] = -v[13:16] / v[12]
        return both.with_values(a=a, b=b, c=c), v[2:12:3]

    def log_post(v):
        params, g = unpack(v)
        probs = category_probabilities(params, nodes)  # (Q, J, K)
        ll_nodes = np.zeros((x.shape[0], nodes.size))
        for j in range(5):
            p = probs[:, j, :][:, np.where(pres[:, j], x[:, j], 0)].T  # (n, Q)
            ll_nodes += np.where(pres[:, j][:, None], np.log(p), 0.0)
        ll = np.logaddexp.reduce(ll_nodes + logw, axis=1).sum()
        c = expit(g)
        return ll + np.sum((alpha - 1) * np.log(c) + (beta - 1) * np.log1p(-c))

    p = res.params
    v0 = np.zeros(16)
    v0[0:12:3] = p.a[:4]
    v0[1:12:3] = -p.a[:4] * p.b[:4, 0]
    v0[2:12:3] = np.log(p.c[:4] / (1 - p.c[:4]))
    v0[12] = p.a[4]
    v0[13:16] = -p.a[4] * p.b[4]
    h = 1e-3
    hess = np.zeros((16, 16))
    eye = np.eye(16) * h
    for i in range(16):
        for k in range(i, 16):
            hess[i, k] = hess[k, i] = (
                log_post(v0 + eye[i] + eye[k])
                - log_post(v0 + eye[i] - eye[k])
                - log_post(v0 - eye[i] + eye[k])
                + log_post(v0 - eye[i] - eye[k])
            ) / (4 * h * h)
    cov = np.linalg.inv(-hess)
    se = np.sqrt(np.diag(cov))
    np.testing.assert_allclose(p.se_a[:4], se[0:12:3], rtol=1e-3)
    np.testing.assert_allclose(p.se_a[4], se[12], rtol=1e-3)
    np.testing.assert_allclose(p.se_c[:4], p.c[:4] * (1 - p.c[:4]) * se[2:12:3], rtol=1e-3)
    for j in range(4):  # b = -d / a by the delta method
        idx = [3 * j, 3 * j + 1]
        grad = np.array([v0[idx[1]] / v0[idx[0]] ** 2, -1 / v0[idx[0]]])
        se_b = np.sqrt(grad @ cov[np.ix_(idx, idx)] @ grad)
        assert p.se_b[j, 0] == pytest.approx(se_b, rel=1e-3)
