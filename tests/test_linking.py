"""Scale linking on simulated parameters with a known transformation.

No published linking example is reproduced here; the references are (1) the known
transformation used to build the base parameters and (2) the moment formulas written out.
"""

import warnings

import numpy as np
import pytest

from psychometrics.irt.models import ItemParameters, expected_scores
from psychometrics.linking import METHODS, link, transform

A_TRUE, B_TRUE = 1.25, -0.4


def _bank(rng, n=30, poly=0):
    nan = np.nan
    n_dich = n - poly
    a = rng.uniform(0.7, 2.0, n)
    b = np.full((n, 3), nan)
    b[:n_dich, 0] = rng.uniform(-2, 2, n_dich)
    for j in range(n_dich, n):
        b[j] = np.sort(rng.uniform(-1.5, 1.5, 3))
    c = np.where(np.arange(n) < n_dich, rng.uniform(0.1, 0.25, n), 0.0)
    model = ("3pl",) * n_dich + ("grm",) * poly
    return ItemParameters(item_ids=tuple(f"Q{j:02d}" for j in range(n)), model=model, a=a, b=b, c=c)


def _forms(rng, *, noise=0.0, poly=0, n_common=20):
    """new = a 30-item calibration; base = its first n_common items on the base scale
    (theta_base = A theta_new + B), perturbed by estimation-like noise, plus 10 unique items."""
    new = _bank(rng, poly=poly)
    common = new.subset(new.item_ids[:n_common])
    base_common = transform(common, A=A_TRUE, B=B_TRUE)
    if noise:
        base_common = base_common.with_values(
            a=base_common.a * np.exp(rng.normal(0, noise, n_common)),
            b=base_common.b + rng.normal(0, noise, base_common.b.shape),
        )
    others = _bank(rng, n=10).with_values()
    others = ItemParameters(
        item_ids=tuple(f"B{j:02d}" for j in range(10)),
        model=others.model,
        a=others.a,
        b=others.b,
        c=others.c,
    )
    return new, ItemParameters.concatenate([base_common, others])


@pytest.mark.parametrize("method", METHODS)
def test_exact_recovery_without_noise(method):
    """With error-free parameters every method returns the generating A and B."""
    new, base = _forms(np.random.default_rng(1))
    res = link(new, base, method=method)
    assert res.A == pytest.approx(A_TRUE, abs=1e-5)
    assert res.B == pytest.approx(B_TRUE, abs=1e-5)
    assert res.common_items == new.item_ids[:20]
    assert not res.flagged_items or method in ("mean-mean",)  # exact: no drift at all
    np.testing.assert_allclose(res.linked.b[:20, 0], base.b[:20, 0], atol=1e-4)


@pytest.mark.parametrize("method", ["stocking-lord", "haebara"])
@pytest.mark.parametrize("seed", [2, 3, 4])
def test_recovers_constants_within_003_from_20_noisy_common_items(method, seed):
    """20 common 3PL items, parameter error sd 0.05 (b) and 5% (a): A and B within 0.03 (the
    issue's bar). Characteristic-curve methods average the noise over 20 items: the SD of B is
    roughly 0.05 / sqrt(20) ~ 0.011."""
    new, base = _forms(np.random.default_rng(seed), noise=0.05)
    res = link(new, base, method=method)
    assert res.A == pytest.approx(A_TRUE, abs=0.03)
    assert res.B == pytest.approx(B_TRUE, abs=0.03)
    assert res.converged


def test_polytomous_common_items_recovered():
    new, base = _forms(np.random.default_rng(5), poly=6)
    for method in METHODS:
        res = link(new, base, method=method)
        assert res.A == pytest.approx(A_TRUE, abs=1e-5), method
        assert res.B == pytest.approx(B_TRUE, abs=1e-5), method


def test_moment_methods_match_formulas():
    rng = np.random.default_rng(6)
    new, base = _forms(rng, noise=0.1)
    cn, cb = new.subset(new.item_ids[:20]), base.subset(new.item_ids[:20])
    bn, bb = cn.b[:, 0], cb.b[:, 0]
    ms = link(new, base, method="mean-sigma")
    a_ms = np.std(bb) / np.std(bn)
    assert ms.A == pytest.approx(a_ms, rel=1e-12)
    assert ms.B == pytest.approx(np.mean(bb) - a_ms * np.mean(bn), rel=1e-12)
    mm = link(new, base, method="mean-mean")
    a_mm = np.mean(cn.a) / np.mean(cb.a)
    assert mm.A == pytest.approx(a_mm, rel=1e-12)
    assert mm.B == pytest.approx(np.mean(bb) - a_mm * np.mean(bn), rel=1e-12)


def test_stocking_lord_is_a_minimum_of_its_criterion():
    """The solution beats nearby (A, B) on the TCC criterion computed directly."""
    new, base = _forms(np.random.default_rng(7), noise=0.08)
    res = link(new, base)
    common = list(res.common_items)
    theta = np.linspace(-4, 4, 41)
    w = np.exp(-0.5 * theta**2)
    w /= w.sum()
    target = expected_scores(base.subset(common), theta).sum(1)

    def crit(a_, b_):
        lk = transform(new.subset(common), A=a_, B=b_)
        return w @ (expected_scores(lk, theta).sum(1) - target) ** 2

    best = crit(res.A, res.B)
    assert best == pytest.approx(res.criterion, rel=1e-8)
    for da, db in [(0.01, 0), (-0.01, 0), (0, 0.01), (0, -0.01)]:
        assert crit(res.A + da, res.B + db) > best


def test_transformed_parameters_follow_a_over_A_and_Ab_plus_B():
    new, base = _forms(np.random.default_rng(8))
    new = new.with_values(se_a=np.full(30, 0.1), se_b=np.where(np.isnan(new.b), np.nan, 0.2))
    res = link(new, base, method="mean-sigma")
    np.testing.assert_allclose(res.linked.a, new.a / res.A)
    np.testing.assert_allclose(res.linked.b, res.A * new.b + res.B)
    np.testing.assert_allclose(res.linked.c, new.c)
    np.testing.assert_allclose(res.linked.se_a, 0.1 / res.A)
    assert res.linked.item_ids == new.item_ids


def test_drift_flags_the_shifted_anchor_only():
    new, base = _forms(np.random.default_rng(9), noise=0.03)
    b = base.b.copy()
    b[4, 0] += 0.9  # Q04 drifted on the base scale
    base = base.with_values(b=b)
    res = link(new, base)
    assert res.flagged_items == ("Q04",)
    assert "robust z" in res.drift_rule
    abs_rule = link(new, base, drift_rule="abs", drift_threshold=0.5)
    assert abs_rule.flagged_items == ("Q04",)
    d = res.to_dict()
    assert {"A", "B", "method", "common_items"} <= set(d) and d["drift_flags"] == ["Q04"]


def test_few_common_items_warn_and_errors():
    new, base = _forms(np.random.default_rng(10), n_common=3)
    with pytest.warns(UserWarning, match="common items"):
        res = link(new, base)
    assert res.warnings and res.A == pytest.approx(A_TRUE, abs=1e-4)
    with pytest.raises(ValueError, match="method"):
        link(new, base, method="equipercentile")
    with pytest.raises(ValueError, match="drift_rule"):
        link(new, base, drift_rule="z")
    with pytest.raises(ValueError, match="at least 2"):
        link(new, base, common_items=["Q00"])
    with pytest.raises(ValueError, match="not in both"):
        link(new, base, common_items=["Q00", "Q29"])
    other = base.with_values(model=("2pl",) + base.model[1:])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        with pytest.raises(ValueError, match="Q00"):
            link(new, other)
    with pytest.raises(ValueError, match="A must be positive"):
        transform(new, A=-1, B=0)


def test_stocking_lord_with_equal_difficulties_starts_from_mean_mean():
    """Mean-sigma is undefined when the new b's have no spread; the curve methods still work."""
    new = ItemParameters(
        item_ids=("a", "b", "c"),
        model=("2pl",) * 3,
        a=[0.8, 1.2, 1.6],
        b=[0.5, 0.5, 0.5],
        c=[0, 0, 0],
    )
    base = transform(new, A=1.3, B=0.2)
    with pytest.warns(UserWarning):
        res = link(new, base)
    assert res.A == pytest.approx(1.3, abs=1e-4) and res.B == pytest.approx(0.2, abs=1e-4)
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="spread"):
        link(new, base, method="mean-sigma")
