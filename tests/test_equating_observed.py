"""IRT observed-score equating against brute force: every response pattern of a short test, and
an equipercentile inverse written independently (piecewise-linear continuized CDFs)."""

import itertools

import numpy as np
import pytest

from psychometrics.equating import (
    marginal_score_distribution,
    observed_score_equating,
    percentile_ranks,
    true_score_equating,
)
from psychometrics.irt.models import ItemParameters


def _form(rng, n, prefix, *, shift=0.0):
    return ItemParameters(
        item_ids=tuple(f"{prefix}{j}" for j in range(n)),
        model=("3pl",) * n,
        a=rng.uniform(0.6, 1.8, n),
        b=rng.uniform(-2, 2, n) + shift,
        c=rng.uniform(0.1, 0.25, n),
    )


def _p3(form, t):
    """3PL probabilities written out directly, shape (n_theta, n_items)."""
    t = np.asarray(t, dtype=float)[:, None]
    return form.c + (1 - form.c) / (1 + np.exp(-form.a * (t - form.b[:, 0])))


def test_marginal_distribution_matches_every_response_pattern():
    rng = np.random.default_rng(3)
    form = _form(rng, 7, "i")
    nodes = np.linspace(-4, 4, 21)
    w = np.exp(-0.5 * nodes**2)
    p = _p3(form, nodes)
    brute = np.zeros(8)
    for pattern in itertools.product((0, 1), repeat=7):
        x = np.array(pattern)
        like = np.prod(np.where(x == 1, p, 1 - p), axis=1)
        brute[x.sum()] += w @ like / w.sum()
    got = marginal_score_distribution(form, nodes, w)
    np.testing.assert_allclose(got, brute, atol=1e-14)


def _independent_equipercentile(fx, fy):
    """K&B's uniform continuization as piecewise-linear CDFs through (x + 0.5, F(x))."""
    px = np.concatenate(([0.0], np.cumsum(fx)))
    gy = np.concatenate(([0.0], np.cumsum(fy)))
    knots_y = np.arange(fy.size + 1) - 0.5
    out = []
    for x in range(fx.size):
        level = np.interp(x, np.arange(fx.size + 1) - 0.5, px)
        out.append(np.interp(level, gy, knots_y))
    return np.array(out)


def test_equivalents_match_an_independent_equipercentile_inverse():
    rng = np.random.default_rng(4)
    fx, fy = _form(rng, 25, "x"), _form(rng, 30, "y", shift=0.3)
    res = observed_score_equating(fx, fy)
    expected = _independent_equipercentile(res.distribution_x, res.distribution_y)
    np.testing.assert_allclose(res.equivalent_y, expected, atol=1e-10)
    assert np.all(np.diff(res.equivalent_y) > 0)
    assert res.max_x == 25 and res.max_y == 30


def test_identical_forms_equate_to_identity_and_ranks_are_centred():
    rng = np.random.default_rng(5)
    f = _form(rng, 20, "x")
    res = observed_score_equating(f, f)
    np.testing.assert_allclose(res.equivalent_y, np.arange(21), atol=1e-10)
    pr = percentile_ranks([0.25, 0.5, 0.25])
    np.testing.assert_allclose(pr, [12.5, 50.0, 87.5])


def test_close_to_true_score_equating_for_similar_forms():
    # Lord & Wingersky (1984): the two methods agree closely in the middle of the scale; here
    # within 0.6 raw points between the 10th and 90th percentiles of form X.
    rng = np.random.default_rng(6)
    fx, fy = _form(rng, 40, "x"), _form(rng, 40, "y", shift=0.2)
    obs = observed_score_equating(fx, fy)
    true = true_score_equating(fx, fy)
    mid = (obs.percentile_rank_x > 10) & (obs.percentile_rank_x < 90)
    assert np.max(np.abs(obs.equivalent_y[mid] - true.equivalent_y[mid])) < 0.6
    # a harder form Y gives lower equivalents in the middle
    assert np.all(obs.equivalent_y[mid] < obs.raw_x[mid] + 0.5)


def test_bad_population_is_refused():
    rng = np.random.default_rng(7)
    f = _form(rng, 5, "x")
    with pytest.raises(ValueError, match="theta and weights"):
        observed_score_equating(f, f, theta=[0.0])
    with pytest.raises(ValueError, match="weights"):
        observed_score_equating(f, f, theta=[0.0, 1.0], weights=[-1.0, 1.0])
    with pytest.raises(TypeError, match="form_x"):
        observed_score_equating("x", f)
