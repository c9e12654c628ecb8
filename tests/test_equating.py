"""IRT true-score equating against a direct root finder and Kolen & Brennan's conventions."""

import numpy as np
import pytest
from scipy import optimize

from psychometrics.equating import theta_for_true_score, true_score_equating
from psychometrics.irt.models import ItemParameters


def _form(rng, n, prefix, *, c=True):
    return ItemParameters(
        item_ids=tuple(f"{prefix}{j}" for j in range(n)),
        model=("3pl" if c else "2pl",) * n,
        a=rng.uniform(0.6, 1.8, n),
        b=rng.uniform(-2, 2, n),
        c=rng.uniform(0.1, 0.25, n) if c else np.zeros(n),
    )


def _tcc(form, t):
    """3PL TCC written out directly."""
    return np.sum(form.c + (1 - form.c) / (1 + np.exp(-form.a * (t - form.b[:, 0]))))


def test_matches_direct_root_finder():
    rng = np.random.default_rng(1)
    fx, fy = _form(rng, 25, "x"), _form(rng, 30, "y")
    res = true_score_equating(fx, fy)
    assert res.max_x == 25 and res.max_y == 30 and res.converged
    for x, t, y, region in zip(res.raw_x, res.theta, res.equivalent_y, res.region, strict=True):
        if region != "tcc":
            continue
        root = optimize.brentq(lambda s, x=x: _tcc(fx, s) - x, -40, 40, xtol=1e-13)
        assert t == pytest.approx(root, abs=1e-7)
        assert y == pytest.approx(_tcc(fy, root), abs=1e-8)


def test_scores_below_sum_of_c_are_interpolated_and_max_maps_to_max():
    rng = np.random.default_rng(2)
    fx, fy = _form(rng, 20, "x"), _form(rng, 24, "y")
    res = true_score_equating(fx, fy)
    cx, cy = fx.c.sum(), fy.c.sum()
    low = res.raw_x <= cx
    assert low.sum() == int(np.floor(cx)) + 1
    np.testing.assert_allclose(res.equivalent_y[low], res.raw_x[low] * cy / cx)
    assert res.equivalent_y[0] == 0 and res.equivalent_y[-1] == 24
    assert res.region[-1] == "maximum" and np.isnan(res.theta[-1])
    assert np.all(np.diff(res.equivalent_y) > 0)  # monotone conversion


def test_identical_forms_give_identity_and_2pl_has_no_interpolation():
    rng = np.random.default_rng(3)
    fx = _form(rng, 15, "x", c=False)
    res = true_score_equating(fx, fx)
    np.testing.assert_allclose(res.equivalent_y, res.raw_x, atol=1e-8)
    assert res.region[0] == "interpolated" and res.region[1] == "tcc"


def test_polytomous_forms_and_fractional_scores():
    nan = np.nan
    fx = ItemParameters(
        item_ids=("g1", "g2", "d1"),
        model=("grm", "gpcm", "2pl"),
        a=[1.2, 0.8, 1.0],
        b=[[-1.0, 0.0, 1.0], [-0.5, 0.5, nan], [0.2, nan, nan]],
        c=[0, 0, 0],
    )
    theta, ok = theta_for_true_score(fx, [0.5, 2.75, 5.5])
    assert ok
    from psychometrics.irt.models import test_characteristic_curve

    np.testing.assert_allclose(test_characteristic_curve(fx, theta), [0.5, 2.75, 5.5], atol=1e-9)
    res = true_score_equating(fx, fx, raw_x=[1.5, 3.0])
    np.testing.assert_allclose(res.equivalent_y, [1.5, 3.0], atol=1e-8)


def test_bad_arguments():
    rng = np.random.default_rng(4)
    fx = _form(rng, 5, "x")
    with pytest.raises(ValueError, match="raw_x"):
        true_score_equating(fx, fx, raw_x=[6])
    with pytest.raises(TypeError):
        true_score_equating({}, fx)
