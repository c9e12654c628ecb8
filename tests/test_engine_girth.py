"""credkit's engine and girth (second engine) agree on the same simulated data.

Both maximise the same marginal likelihood on the same 61-point grid over [-6, 6]; girth stops
when slopes change by < 1e-3 between its iterations and uses a look-up table for thresholds, so
its estimates sit within ~0.01 of the maximum. Tolerances: slopes 0.02, thresholds 0.03 (both
an order of magnitude below the sampling SEs at these sizes, ~0.05-0.1), log-likelihood: credkit's
must be at least girth's (it maximises the same function; 0.01 slack for quadrature rounding) and
girth's within 0.5 of it.
"""

import numpy as np
import pytest
from test_calibration_recovery import make_params, simulate

from psychometrics.irt import calibrate

pytest.importorskip("girth")


@pytest.mark.parametrize(
    "model,n_cat,n_items",
    [("2pl", 2, 8), ("1pl", 2, 8), ("rasch", 2, 8), ("grm", 4, 5), ("gpcm", 3, 5)],
)
def test_engines_agree(model, n_cat, n_items):
    rng = np.random.default_rng(21)
    true = make_params(model, n_items, rng, n_cat=n_cat)
    sd = 0.8 if model == "rasch" else 1.0
    x = simulate(true, sd * rng.standard_normal(1500), rng)
    ours = calibrate(x, model=model)
    with np.errstate(all="ignore"):
        theirs = calibrate(x, model=model, engine="girth")
    assert theirs.engine == "girth" and ours.engine == "credkit"
    assert theirs.params.item_ids == ours.params.item_ids
    np.testing.assert_allclose(theirs.params.a, ours.params.a, atol=0.02)
    np.testing.assert_allclose(theirs.params.b, ours.params.b, atol=0.03)
    assert ours.loglik >= theirs.loglik - 0.01
    assert theirs.loglik > ours.loglik - 0.5
    assert theirs.latent_sd == pytest.approx(ours.latent_sd, abs=0.02)
    assert theirs.n_parameters == ours.n_parameters
    assert "girth" in theirs.se_method
    np.testing.assert_allclose(theirs.params.se_b, ours.params.se_b, rtol=0.1)


def test_girth_engine_refuses_what_it_cannot_fit():
    rng = np.random.default_rng(22)
    true = make_params("2pl", 4, rng)
    x = simulate(true, rng.standard_normal(200), rng)
    with pytest.raises(ValueError, match="girth"):
        calibrate(x, model="3pl", engine="girth")
    with pytest.raises(ValueError, match="anchors"):
        calibrate(x, model="2pl", engine="girth", anchors=true)
    with pytest.raises(ValueError, match="one model"):
        calibrate(x, model={i: "2pl" for i in ("item1", "item2", "item3", "item4")}, engine="girth")
