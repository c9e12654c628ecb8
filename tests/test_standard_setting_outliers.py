"""The Angoff panel-outlier rule: absolute raw-point and relative limits, every round."""

import numpy as np
import pytest

from psychometrics.standard_setting.agreement import panel_outliers


def _loop_rule(cuts, limit, z, min_points):
    """The rule written rater by rater (np.delete, ddof=1)."""
    flags, devs = [], []
    for r in range(len(cuts)):
        others = np.delete(cuts, r)
        dev = cuts[r] - others.mean()
        sd = others.std(ddof=1)
        devs.append(dev)
        flags.append(abs(dev) > limit or (abs(dev) > z * sd and abs(dev) >= min_points))
    return np.array(devs), np.array(flags)


@pytest.mark.parametrize("seed", range(5))
def test_matches_the_rule_written_rater_by_rater(seed):
    rng = np.random.default_rng(seed)
    cuts = rng.normal(26, rng.uniform(0.3, 4), size=rng.integers(4, 15))
    dev, flags, _ = panel_outliers(cuts, max_score=44)
    want_dev, want_flags = _loop_rule(cuts, 4.4, 2.5, 2.0)
    np.testing.assert_allclose(dev, want_dev, atol=1e-10)
    assert flags.tolist() == want_flags.tolist()


def test_a_tight_final_round_does_not_flag_a_fraction_of_a_point():
    # the example's round 2: R4 is 0.64 points from the others, 2.1 SD of a 0.3-point spread
    cuts = np.array([25.85, 26.15, 26.1, 26.7, 26.2, 26.2, 26.25, 25.65])
    dev, flags, rule = panel_outliers(cuts, max_score=44)
    assert not flags.any()
    assert dev[3] == pytest.approx(26.7 - np.delete(cuts, 3).mean())
    assert "4.4 raw points" in rule and "every round" in rule


def test_a_rater_far_in_raw_points_is_flagged_whatever_the_spread():
    cuts = np.array([28.6, 24.7, 28.65, 27.75, 20.1, 23.15, 27.7, 29.95])  # round 1
    _, flags, _ = panel_outliers(cuts, max_score=44)
    assert flags.tolist() == [False, False, False, False, True, False, False, False]
    _, flags3, _ = panel_outliers(cuts, max_score=44, points=3.0)  # a stricter facilitator
    assert flags3.tolist() == [False, False, False, False, True, True, False, True]


def test_three_raters_use_only_the_absolute_limit():
    _, flags, _ = panel_outliers(np.array([20.0, 20.1, 30.0]), max_score=40)
    assert flags.tolist() == [True, True, True]  # 5.05, 4.9 and 9.95 points > 4
    _, flags, _ = panel_outliers(np.array([20.0, 20.1, 21.0]), max_score=40)
    assert not flags.any()


@pytest.mark.parametrize(
    "kwargs,match",
    [({"max_score": 0}, "max_score"), ({"max_score": 40, "z": -1}, "z"),
     ({"max_score": 40, "points": 0}, "points")],
)  # fmt: skip
def test_bad_arguments_are_named(kwargs, match):
    with pytest.raises(ValueError, match=match):
        panel_outliers(np.array([1.0, 2.0, 3.0, 4.0]), **kwargs)
