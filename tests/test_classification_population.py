"""The default N(mean, sd) population integrates the true classification exactly: the true
pass rate equals the closed form 1 - Phi((cut - mean) / sd) for every cut, not a step function
of the cut that jumps between fixed quadrature nodes (issue 19)."""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from psychometrics.classification import lee, rudner_population, split_quadrature
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.scoring import test_characteristic_curve


def _form(n: int = 30) -> ItemParameters:
    rng = np.random.default_rng(7)
    return ItemParameters(
        item_ids=tuple(f"i{k}" for k in range(n)),
        model=("2pl",) * n,
        a=rng.uniform(0.8, 2.0, n),
        b=rng.normal(0.0, 1.0, (n, 1)),
        c=np.zeros(n),
    )


@pytest.mark.parametrize("cut", [0.45, 0.50, 0.55, -1.3, 2.0])
def test_rudner_true_pass_rate_is_the_normal_tail(cut):
    res = rudner_population(_form(), cuts=[cut])
    assert res.true_pass_rate == pytest.approx(stats.norm.sf(cut), abs=1e-7)
    # the figures: 0.3262 at 0.45 (the fixed grid gave 0.3537), and 0.50 != 0.55
    if cut == 0.45:
        assert res.true_pass_rate == pytest.approx(0.3264, abs=5e-4)


def test_rudner_true_pass_rate_moves_with_every_cut():
    rates = [rudner_population(_form(), cuts=[c]).true_pass_rate for c in (0.50, 0.52, 0.55)]
    assert rates[0] > rates[1] > rates[2]


def test_lee_true_pass_rate_at_the_tcc_inverse_of_the_raw_cut():
    form = _form()
    raw_cut = 17.0
    res = lee(form, raw_cuts=[raw_cut], mean=0.3, sd=1.2)
    grid = np.linspace(-6, 6, 200_001)
    theta_cut = grid[np.searchsorted(test_characteristic_curve(form, grid), raw_cut)]
    assert res.true_pass_rate == pytest.approx(stats.norm.sf(theta_cut, 0.3, 1.2), abs=1e-4)


def test_split_quadrature_integrates_segments_exactly():
    nodes, weights = split_quadrature(mean=0.0, sd=1.0, split_at=[0.45, 1.0], n_points=81)
    assert weights.sum() == pytest.approx(1.0)
    assert weights[nodes >= 0.45].sum() == pytest.approx(stats.norm.sf(0.45), abs=1e-9)
    assert weights[nodes >= 1.0].sum() == pytest.approx(stats.norm.sf(1.0), abs=1e-9)
    assert not np.any(np.isclose(nodes, 0.45)) and not np.any(np.isclose(nodes, 1.0))
