"""Response functions against direct textbook formulas and finite differences."""

import numpy as np
import pytest

from psychometrics.irt.models import (
    ItemParameters,
    category_probabilities,
    item_information,
    summed_score_likelihood,
    test_characteristic_curve,
)

THETA = np.linspace(-4, 4, 17)


def _mixed():
    nan = np.nan
    return ItemParameters(
        item_ids=("d1", "d2", "g1", "p1"),
        model=("3pl", "2pl", "grm", "gpcm"),
        a=[1.2, 0.8, 1.5, 0.9],
        b=[[0.3, nan, nan], [-1.0, nan, nan], [-1.0, 0.2, 1.4], [0.5, -0.3, nan]],
        c=[0.2, 0.0, 0.0, 0.0],
    )


def test_3pl_matches_birnbaum_formula():
    p = category_probabilities(_mixed(), THETA)
    expected = 0.2 + 0.8 / (1 + np.exp(-1.2 * (THETA - 0.3)))
    np.testing.assert_allclose(p[:, 0, 1], expected, rtol=1e-12)
    np.testing.assert_allclose(p[:, 0, 0], 1 - expected, rtol=1e-12)
    assert np.all(p[:, 0, 2] == 0)


def test_grm_and_gpcm_match_direct_formulas():
    p = category_probabilities(_mixed(), THETA)
    star = [1 / (1 + np.exp(-1.5 * (THETA - bk))) for bk in (-1.0, 0.2, 1.4)]
    grm = [1 - star[0], star[0] - star[1], star[1] - star[2], star[2]]
    for k in range(4):
        np.testing.assert_allclose(p[:, 2, k], grm[k], atol=1e-12)
    num = np.stack(
        [np.zeros_like(THETA), 0.9 * (THETA - 0.5), 0.9 * (THETA - 0.5) + 0.9 * (THETA + 0.3)]
    )
    gpcm = np.exp(num) / np.exp(num).sum(axis=0)
    for k in range(3):
        np.testing.assert_allclose(p[:, 3, k], gpcm[k], rtol=1e-10)
    np.testing.assert_allclose(p.sum(axis=2), 1.0, rtol=1e-12)


def test_information_equals_closed_forms():
    params = _mixed()
    info = item_information(params, THETA)
    p = 0.2 + 0.8 / (1 + np.exp(-1.2 * (THETA - 0.3)))
    closed_3pl = 1.2**2 * ((p - 0.2) / 0.8) ** 2 * (1 - p) / p
    np.testing.assert_allclose(info[:, 0], closed_3pl, rtol=1e-10)
    probs = category_probabilities(params, THETA)[:, 3, :3]
    k = np.arange(3)
    var = (probs * k**2).sum(1) - ((probs * k).sum(1)) ** 2
    np.testing.assert_allclose(info[:, 3], 0.81 * var, rtol=1e-10)


def test_lord_wingersky_against_enumeration():
    params = _mixed()
    theta = np.array([-1.0, 0.4])
    dist = summed_score_likelihood(params, theta)
    probs = category_probabilities(params, theta)
    brute = np.zeros_like(dist)
    for x in np.ndindex(2, 2, 4, 3):
        brute[:, sum(x)] += np.prod([probs[:, j, x[j]] for j in range(4)], axis=0)
    np.testing.assert_allclose(dist, brute, rtol=1e-12)
    np.testing.assert_allclose(
        (dist * np.arange(dist.shape[1])).sum(1), test_characteristic_curve(params, theta)
    )


def test_extreme_theta_stays_finite():
    probs = category_probabilities(_mixed(), np.array([-40.0, 40.0]))
    assert np.all(np.isfinite(probs))
    np.testing.assert_allclose(probs.sum(axis=2), 1.0)


def test_mismatched_shapes_are_rejected():
    with pytest.raises(ValueError, match="same number of items"):
        ItemParameters(item_ids=("x",), model=("2pl", "2pl"), a=[1.0], b=[0.0], c=[0.0])
