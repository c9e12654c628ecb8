"""Standard errors of the partitioned calibration against the in-memory engine (issue 16).

The information matrix is a sum over persons: per partition, dense groups through the engine's
own ``_se.information`` on their items and the sparse remainder by the partitioned module's own
code, summed, the prior and the map to the free parameters applied once. The in-memory engine
computes the same sum on one pattern matrix, so the SEs agree to summation order; the
complete-data Hessian is a central difference of the analytic gradient (step 1e-5) in both, on
counts that differ by ~1e-13, so 1e-6 relative (the brief's bound) leaves a wide margin.
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from psychometrics.irt.calibration import calibrate
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.partitioned import calibrate_sparse, partition, prepare_sparse
from psychometrics.long_responses import from_dense


def _simulate(n, m, *, model="2pl", seed=0, missing=0.0, k=4):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    a = rng.uniform(0.7, 2.0, m)
    if model == "grm":
        b = rng.normal(0, 0.5, size=(m, 1)) + np.linspace(-1.2, 1.2, k - 1)[None, :]
        p_ge = 1 / (1 + np.exp(-a[None, :, None] * (theta[:, None, None] - b[None])))
        x = (rng.random((n, m))[:, :, None] < p_ge).sum(axis=2)
    else:
        b = rng.normal(size=m)
        c = 0.2 if model == "3pl" else 0.0
        p = c + (1 - c) / (1 + np.exp(-a * (theta[:, None] - b)))
        x = (rng.random((n, m)) < p).astype(int)
    x = x.astype(np.int16)
    x[rng.random((n, m)) < missing] = -1
    return x


def _forms(n, m, *, seed, model="2pl"):
    """Three overlapping forms (dense groups) and 10% of persons with random gaps (sparse)."""
    x = _simulate(n, m, seed=seed, model=model)
    rng = np.random.default_rng(seed + 1)
    form = rng.integers(0, 3, n)
    for f in range(3):
        off = np.ones(m, dtype=bool)
        off[f * m // 4 : f * m // 4 + m // 2] = False
        x[np.ix_(form == f, off)] = -1
    gaps = rng.random(n) < 0.1
    x[gaps[:, None] & (rng.random((n, m)) < 0.3)] = -1
    return x


def _check_same_se(got, ref):
    assert got.se_method == ref.se_method
    assert np.isfinite(ref.params.se_b).sum() >= 6  # the comparison is not between NaNs
    for name in ("se_a", "se_b", "se_c"):
        g, r = getattr(got.params, name), getattr(ref.params, name)
        np.testing.assert_array_equal(np.isnan(g), np.isnan(r))
        np.testing.assert_allclose(g[np.isfinite(r)], r[np.isfinite(r)], rtol=1e-6, atol=0)
    for name in ("latent_mean_se", "latent_sd_se"):
        g, r = getattr(got, name), getattr(ref, name)
        assert (g != g) == (r != r)
        if r == r:
            assert g == pytest.approx(r, rel=1e-6)


CASES = [
    ("2pl", "forms", {}),
    ("3pl", "forms", {}),  # Beta prior on c
    ("grm", "gaps", {}),  # polytomous, sparse patterns only
    ("rasch", "forms", {}),  # one shared slope and the latent SD
    ("2pl", "gaps", {"se": "xpd"}),
]


@pytest.mark.parametrize(("model", "design", "options"), CASES)
def test_se_equal_in_memory(model, design, options):
    if design == "forms":
        x = _forms(2400, 12, seed=41, model="3pl" if model == "3pl" else "2pl")
    else:
        x = _simulate(1500, 8, model=model, seed=42, missing=0.3)
    se = options.get("se", "louis")
    sp = from_dense(x)
    if design == "forms":  # both halves of the partitioned code are exercised
        prep, new_pos, persons = prepare_sparse(sp, model=model, poly_model=None, anchors=None)
        parts = partition(sp, new_pos, persons, prep.n_categories, partition_size=800)
        assert all(p.groups and p.freq.size for p in parts)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = calibrate(x, model=model, se=se)
        got = calibrate_sparse(sp, model=model, se=se, partition_size=800)
    assert got.converged and ref.converged
    _check_same_se(got, ref)


def test_se_anchored_equal_in_memory():
    x = _forms(2400, 12, seed=43)
    ids = tuple(f"item{j + 1}" for j in range(12))
    rng = np.random.default_rng(44)
    anchors = ItemParameters(
        item_ids=ids[2:6],
        model=("2pl",) * 4,
        a=rng.uniform(0.8, 1.6, 4),
        b=rng.normal(size=(4, 1)),
        c=np.zeros(4),
    )
    ref = calibrate(x, model="2pl", anchors=anchors)
    got = calibrate_sparse(from_dense(x), model="2pl", anchors=anchors, partition_size=700)
    assert np.isnan(got.params.se_a[2:6]).all()  # anchors: no SE
    assert got.latent_mean_se == got.latent_mean_se  # latent mean and SD estimated, with SEs
    _check_same_se(got, ref)


def test_se_none_and_dask_equal_in_process():
    pytest.importorskip("distributed")
    x = _forms(1200, 10, seed=45)
    sp = from_dense(x)
    none = calibrate_sparse(sp, se="none", partition_size=500)
    assert none.se_method == "none" and np.isnan(none.params.se_a).all()
    ref = calibrate_sparse(sp, partition_size=500)
    got = calibrate_sparse(sp, partition_size=500, scheduler="local")
    np.testing.assert_array_equal(got.params.se_a, ref.params.se_a)
    np.testing.assert_array_equal(got.params.se_b, ref.params.se_b)


def test_sandwich_is_refused_on_partitioned_data():
    sp = from_dense(_simulate(100, 4, seed=46))
    with pytest.raises(ValueError, match="not available on partitioned data"):
        calibrate_sparse(sp, se="sandwich")
