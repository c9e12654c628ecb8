"""The partitioned E-step on sparse data against the in-memory engine (issue 16).

Both paths compute the same sums in a different order (per partition, per collapsed pattern,
through a sparse product instead of the dense indicator products), so the tolerance is set by
floating-point summation: 1e-8 relative on the log-likelihood (the issue's bound; observed
~1e-15). The EM path is the engine's own, from the same starting values, so the estimates agree to
rounding too (1e-6 absolute: summation-order differences of ~1e-13 in the counts can move the
point at which EM stops by far less than its tolerance of 1e-5 — observed ~1e-14).
"""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from psychometrics.irt import _engine
from psychometrics.irt._estep import compress, estep
from psychometrics.irt.calibration import build_blocks, calibrate, prepare
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.partitioned import (
    PartitionedPatterns,
    calibrate_sparse,
    partition,
    prepare_sparse,
)
from psychometrics.long_responses import from_dense
from psychometrics.responses import from_array


def _simulate(n, m, *, model="2pl", seed=0, missing=0.4, k=4):
    """Responses with known parameters; ``missing`` of the cells not presented."""
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


def _rel(u, v):
    return abs(u - v) / abs(v)


@pytest.mark.parametrize(("model", "poly"), [("2pl", None), ("3pl", None), ("grm", None)])
def test_estep_statistics_equal_in_memory(model, poly):
    x = _simulate(1500, 12, model=model, seed=1)
    prep = prepare(from_array(x), model=model, poly_model=poly, anchors=None)
    blocks, lat = build_blocks(prep, None, (5.0, 17.0))
    rng = np.random.default_rng(2)
    for blk in blocks:  # move away from the starting values: any parameters will do
        blk.par[:, 0] *= rng.uniform(0.8, 1.2, blk.par.shape[0])
    nodes = np.linspace(-6, 6, 41)
    k_max = int(prep.n_categories.max())
    logp = _engine.all_log_probs(blocks, len(prep.item_ids), k_max, nodes)
    lw = _engine.log_weights(nodes, 0.3, 1.2)
    dense = estep(compress(prep.scores, prep.n_categories, chunk_size=400), logp, lw, nodes)
    sp = from_dense(x)
    prep_s, new_pos, persons = prepare_sparse(sp, model=model, poly_model=poly, anchors=None)
    assert prep_s.item_ids == prep.item_ids
    parts = partition(sp, new_pos, persons, prep.n_categories, partition_size=333)
    assert len(parts) == 5
    got = PartitionedPatterns(parts, prep.n_categories, chunk_size=100).estep(logp, lw, nodes)
    assert _rel(got.loglik, dense.loglik) < 1e-8
    np.testing.assert_allclose(got.n_q, dense.n_q, rtol=1e-9, atol=1e-9)
    for j, k in enumerate(prep.n_categories):
        np.testing.assert_allclose(got.counts[j, :k], dense.counts[j, :k], rtol=1e-8, atol=1e-8)
    # the counts add up to the persons presented each item
    presented = (prep.scores >= 0).sum(axis=0)
    np.testing.assert_allclose(got.counts.sum(axis=(1, 2)), presented, rtol=1e-10)


CASES = [
    ("2pl", {}),
    ("3pl", {"c_prior": (5.0, 17.0)}),
    ("grm", {}),
    ("rasch", {}),
]


@pytest.mark.parametrize(("model", "options"), CASES)
def test_calibration_equals_in_memory(model, options):
    x = _simulate(2000, 15, model="grm" if model == "grm" else "2pl", seed=4)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = calibrate(x, model=model, se="none", **options)
        got = calibrate_sparse(from_dense(x), model=model, partition_size=450, **options)
    assert got.converged == ref.converged
    assert _rel(got.loglik, ref.loglik) < 1e-8
    np.testing.assert_allclose(got.params.a, ref.params.a, atol=1e-6)
    np.testing.assert_allclose(got.params.b, ref.params.b, atol=1e-6)
    np.testing.assert_allclose(got.params.c, ref.params.c, atol=1e-6)
    assert got.latent_sd == pytest.approx(ref.latent_sd, abs=1e-6)
    assert got.n_persons == ref.n_persons and got.n_parameters == ref.n_parameters
    assert got.aic == pytest.approx(ref.aic, rel=1e-8)


def test_anchored_calibration_equals_in_memory():
    x = _simulate(2500, 14, seed=7)
    ids = tuple(f"item{j + 1}" for j in range(14))
    rng = np.random.default_rng(8)
    anchors = ItemParameters(
        item_ids=ids[:5],
        model=("2pl",) * 5,
        a=rng.uniform(0.8, 1.6, 5),
        b=rng.normal(size=(5, 1)),
        c=np.zeros(5),
    )
    ref = calibrate(x, model="2pl", anchors=anchors, se="none")
    got = calibrate_sparse(from_dense(x), model="2pl", anchors=anchors, partition_size=600)
    assert got.anchors == ref.anchors == ids[:5]
    assert _rel(got.loglik, ref.loglik) < 1e-8
    np.testing.assert_allclose(got.params.a, ref.params.a, atol=1e-6)
    np.testing.assert_allclose(got.params.b, ref.params.b, atol=1e-6)
    assert got.latent_mean == pytest.approx(ref.latent_mean, abs=1e-6)
    assert got.latent_sd == pytest.approx(ref.latent_sd, abs=1e-6)
    np.testing.assert_array_equal(got.params.a[:5], anchors.a)  # anchors held


def _forms(n, m, *, seed):
    """Three overlapping forms (dense groups) and 10% of persons with random gaps (sparse)."""
    x = _simulate(n, m, seed=seed, missing=0.0)
    rng = np.random.default_rng(seed + 1)
    form = rng.integers(0, 3, n)
    for f in range(3):
        off = np.ones(m, dtype=bool)
        off[f * m // 4 : f * m // 4 + m // 2] = False
        x[np.ix_(form == f, off)] = -1
    gaps = rng.random(n) < 0.1
    x[gaps[:, None] & (rng.random((n, m)) < 0.3)] = -1
    return x


@pytest.mark.parametrize("model", ["2pl", "3pl"])
def test_forms_design_uses_dense_groups(model):
    x = _forms(3000, 16, seed=21)
    sp = from_dense(x)
    prep_s, new_pos, persons = prepare_sparse(sp, model=model, poly_model=None, anchors=None)
    parts = partition(sp, new_pos, persons, prep_s.n_categories, partition_size=1000)
    assert all(len(p.groups) == 3 for p in parts)  # one dense group per form and partition
    assert all(p.freq.sum() > 0 for p in parts)  # and sparse patterns beside them
    assert sum(p.n_persons for p in parts) == 3000
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ref = calibrate(x, model=model, se="none")
        got = calibrate_sparse(sp, model=model, partition_size=1000)
    assert _rel(got.loglik, ref.loglik) < 1e-8
    np.testing.assert_allclose(got.params.a, ref.params.a, atol=1e-6)
    np.testing.assert_allclose(got.params.b, ref.params.b, atol=1e-6)


def test_partition_size_does_not_matter():
    x = _simulate(1200, 10, seed=9)
    sp = from_dense(x)
    one = calibrate_sparse(sp, partition_size=10_000)
    many = calibrate_sparse(sp, partition_size=97, chunk_size=13)
    assert _rel(many.loglik, one.loglik) < 1e-10
    np.testing.assert_allclose(many.params.a, one.params.a, atol=1e-7)


def test_left_out_items_and_persons_as_in_memory():
    x = _simulate(800, 8, seed=10)
    x[:, 3] = np.where(x[:, 3] >= 0, 1, -1)  # no variance
    x[:5] = -1  # persons without responses
    with pytest.warns(UserWarning) as ref_w:
        ref = calibrate(x, se="none")
    with pytest.warns(UserWarning) as got_w:
        got = calibrate_sparse(from_dense(x))
    assert got.dropped_items == ref.dropped_items
    assert got.dropped_persons == ref.dropped_persons
    assert {str(w.message) for w in got_w} == {str(w.message) for w in ref_w}
    assert _rel(got.loglik, ref.loglik) < 1e-8


def test_invalid_arguments():
    sp = from_dense(_simulate(50, 4, seed=11))
    with pytest.raises(TypeError, match="SparseResponses"):
        calibrate_sparse(np.zeros((3, 3)))
    with pytest.raises(ValueError, match="partition_size"):
        calibrate_sparse(sp, partition_size=0)
    with pytest.raises(ValueError, match="model must be one of"):
        calibrate_sparse(sp, model="4pl")
    with pytest.raises(TypeError, match="scheduler"):
        calibrate_sparse(sp, scheduler=3)


def test_local_cluster_equals_in_process():
    pytest.importorskip("distributed")
    x = _simulate(1500, 10, seed=12)
    sp = from_dense(x)
    ref = calibrate_sparse(sp, partition_size=400)
    got = calibrate_sparse(sp, partition_size=400, scheduler="local")
    # same partitions summed in the same order: bit-for-bit the same EM path
    assert got.loglik == ref.loglik
    np.testing.assert_array_equal(got.params.a, ref.params.a)
    assert got.iterations == ref.iterations


def test_progress_reports_partitions():
    sp = from_dense(_simulate(600, 8, seed=13))
    lines: list[str] = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # five EM steps do not converge
        calibrate_sparse(
            sp, partition_size=150, max_iter=5, progress=lines.append, progress_interval=0
        )
    parts = [line for line in lines if "partitions done" in line]
    assert "E-step 1: 1 of 4 partitions done" in parts
    assert "E-step 1: 4 of 4 partitions done" in parts
    assert any(line.startswith("EM step") for line in lines)  # the engine's own lines


def test_read_long_then_calibrate(tmp_path):
    x = _simulate(400, 6, seed=14)
    rows = ["person_id,item_id,response"]
    rows += [f"p{i},item{j + 1},{x[i, j]}" for i in range(400) for j in range(6) if x[i, j] >= 0]
    path = tmp_path / "long.csv"
    path.write_text("\n".join(rows) + "\n", encoding="utf-8")
    from psychometrics.long_responses import read_long

    got = calibrate_sparse(read_long(path, chunk_rows=500), partition_size=128)
    with pytest.warns(UserWarning, match="without any response"):
        ref = calibrate(x, se="none")  # a person with no row in the long file
    assert got.n_persons == ref.n_persons
    assert _rel(got.loglik, ref.loglik) < 1e-8
    order = [got.params.item_ids.index(i) for i in ref.params.item_ids]
    np.testing.assert_allclose(got.params.a[order], ref.params.a, atol=1e-6)
