"""Above the Louis budget, calibrate falls back to cross-product SEs, says so and warns."""

import numpy as np
import pytest

from psychometrics.irt import CalibrationWarning, calibrate
from psychometrics.irt import calibration as calibration_module


def _data(seed=3):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=800)
    a, b = rng.lognormal(0, 0.3, 8), rng.normal(size=8)
    p = 1 / (1 + np.exp(-a * (theta[:, None] - b)))
    return (rng.random(p.shape) < p).astype(int)


def test_over_budget_louis_becomes_xpd_with_a_warning(monkeypatch):
    x = _data()
    xpd = calibrate(x, model="2pl", se="xpd")
    monkeypatch.setattr(calibration_module, "LOUIS_BUDGET", 0.0)
    with pytest.warns(CalibrationWarning, match="cross-product"):
        res = calibrate(x, model="2pl", se="louis")
    assert res.se_method.startswith("xpd (louis would cost too much")
    np.testing.assert_allclose(res.params.se_a, xpd.params.se_a, rtol=1e-10)


def test_within_budget_louis_is_kept():
    res = calibrate(_data(), model="2pl", se="louis")
    assert res.se_method == "louis"
