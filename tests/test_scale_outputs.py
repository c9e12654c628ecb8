"""EAP scores and CTT statistics of sparse data by partitions, written as Parquet parts (issue 16).

References are the in-memory ``score_persons(method="eap")`` and ``ctt.item_analysis`` on the dense
matrix of the same responses: the same formulas summed in another order, so 1e-10 relative
(observed ~1e-14); counts and flags exactly.
"""

from __future__ import annotations

import numpy as np
import pytest

from psychometrics import ctt
from psychometrics.irt.models import ItemParameters
from psychometrics.irt.scoring import score_persons
from psychometrics.long_responses import from_dense
from psychometrics.responses import from_array
from psychometrics.scale_outputs import ctt_sparse, score_sparse

pq = pytest.importorskip("pyarrow.parquet")


def _data(n=900, m=9, seed=3):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    a, b = rng.uniform(0.7, 2.0, m), rng.normal(size=m)
    x = (rng.random((n, m)) < 1 / (1 + np.exp(-a * (theta[:, None] - b)))).astype(np.int16)
    x[:, -1] += (rng.random(n) < 0.4).astype(np.int16)  # a polytomous item, scores 0..2
    x[rng.random((n, m)) < 0.35] = -1
    x[:3] = -1  # persons without responses
    x[3, :] = np.where(x[3] >= 0, 0, -1)  # all wrong
    b_mat = np.full((m, 2), np.nan)
    b_mat[:, 0] = b
    b_mat[-1, 1] = b[-1] + 1.0
    params = ItemParameters(
        item_ids=tuple(f"item{j + 1}" for j in range(m)),
        model=("2pl",) * (m - 1) + ("grm",),
        a=a,
        b=b_mat,
        c=np.zeros(m),
    )
    return x, params


def _read(folder):
    files = sorted(p.name for p in folder.iterdir())
    tables = [pq.read_table(folder / f).to_pydict() for f in files]
    return files, {k: sum((t[k] for t in tables), []) for k in tables[0]}


@pytest.mark.parametrize("scheduler", [None, "local"])
def test_eap_parts_equal_score_persons(tmp_path, scheduler):
    if scheduler is not None:
        pytest.importorskip("distributed")
    x, params = _data()
    sp = from_dense(x)
    ref = score_persons(from_array(x, item_ids=params.item_ids), params, method="eap")
    out = score_sparse(sp, params, tmp_path / "eap", partition_size=250, scheduler=scheduler)
    files, got = _read(tmp_path / "eap")
    assert files == list(out.files) == [f"part-{i:05d}.parquet" for i in range(4)]
    assert out.n_rows == 900
    assert got["person_id"] == list(ref.person_ids)
    np.testing.assert_allclose(got["theta"], ref.theta, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(got["se"], ref.se, rtol=1e-10, atol=1e-12)
    assert got["sum_score"] == list(ref.sum_score)
    assert got["n_presented"] == list(ref.n_presented)
    assert got["flags"] == list(ref.flags)
    assert got["flags"][0] == "no_responses" and "all" in got["flags"][3]


def test_ctt_equals_item_analysis(tmp_path):
    x, params = _data(seed=4)
    sp = from_dense(x)
    ref = ctt.item_analysis(from_array(x, item_ids=params.item_ids))
    got = ctt_sparse(sp, tmp_path / "ctt", partition_size=200)
    for g, r in zip(got.items, ref.items, strict=True):
        assert (g.item_id, g.n, g.max_score) == (r.item_id, r.n, r.max_score)
        for name in ("mean", "p", "rpbis", "biserial", "alpha_if_deleted"):
            gv, rv = getattr(g, name), getattr(r, name)
            assert (gv != gv) == (rv != rv), name
            if rv == rv:
                assert gv == pytest.approx(rv, rel=1e-10, abs=1e-12), (g.item_id, name)
    t = ref.test
    assert got.n_persons == t.n_persons == 897
    for name in ("mean", "sd", "min", "max", "alpha", "sem"):
        assert getattr(got, name) == pytest.approx(getattr(t, name), rel=1e-10), name
    assert got.max_possible == t.max_possible
    assert got.score_distribution == t.score_distribution
    files, rows = _read(tmp_path / "ctt")
    assert len(files) == 5 and len(rows["person_id"]) == 897
    dense_total = np.where(x >= 0, x, 0).sum(axis=1)[3:]
    assert rows["total"] == list(dense_total)


def test_output_folder_is_replaced_whole_or_refused(tmp_path):
    x, params = _data(n=300)
    sp = from_dense(x)
    folder = tmp_path / "eap"
    score_sparse(sp, params, folder, partition_size=100)
    assert len(list(folder.iterdir())) == 3
    score_sparse(sp, params, folder, partition_size=200)  # a rerun replaces the parts
    assert sorted(p.name for p in folder.iterdir()) == ["part-00000.parquet", "part-00001.parquet"]
    (folder / "notes.txt").write_text("mine")
    with pytest.raises(ValueError, match="holds other files"):
        score_sparse(sp, params, folder)
    assert (folder / "notes.txt").read_text() == "mine"
    wrong = ItemParameters(
        item_ids=params.item_ids[:3],
        model=("2pl",) * 3,
        a=np.ones(3),
        b=np.zeros((3, 1)),
        c=np.zeros(3),
    )
    with pytest.raises(ValueError, match="no parameters for item"):
        score_sparse(sp, wrong, tmp_path / "other")
    assert not (tmp_path / "other").exists()
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []  # no leftovers
