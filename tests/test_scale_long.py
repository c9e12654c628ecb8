"""Sparse long-format reading (issue 16): the dense reader's scores and errors."""

from __future__ import annotations

import numpy as np
import pytest

from psychometrics.errors import InputError
from psychometrics.long_responses import from_dense, read_long
from psychometrics.responses import ItemKey, read_responses


def _write(tmp_path, text, name="long.csv"):
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def _random_long(tmp_path, *, n=60, m=9, seed=0):
    """A shuffled long file with not-presented cells, blanks, omits and a form column."""
    rng = np.random.default_rng(seed)
    lines = ["person_id,item_id,response,form"]
    for i in rng.permutation(n):
        form = "AB"[i % 2]
        for j in rng.permutation(m):
            u = rng.random()
            if u < 0.3:
                continue  # not presented: no row
            cell = "" if u < 0.35 else "*" if u < 0.4 else str(rng.integers(0, 2 + (j % 3)))
            lines.append(f"p{i},i{j},{cell},{form}")
    return _write(tmp_path, "\n".join(lines) + "\n")


def _same(sparse, dense):
    assert sparse.item_ids == dense.item_ids
    assert tuple(sparse.person_ids) == dense.person_ids
    np.testing.assert_array_equal(sparse.to_dense(), dense.scores)
    if dense.forms is not None:
        np.testing.assert_array_equal(sparse.forms, dense.forms)


@pytest.mark.parametrize("chunk_rows", [1, 7, 1_000_000])
@pytest.mark.parametrize("omit_as_wrong", [True, False])
def test_matches_dense_reader(tmp_path, chunk_rows, omit_as_wrong):
    path = _random_long(tmp_path)
    dense = read_responses(path, long=True, omit_as_wrong=omit_as_wrong)
    sparse = read_long(path, chunk_rows=chunk_rows, omit_as_wrong=omit_as_wrong)
    _same(sparse, dense)
    assert sparse.n_cells == int(np.sum(dense.scores >= 0))  # nothing stored for blanks
    assert np.all(np.diff(sparse.indptr) >= 0)
    for i in range(sparse.n_persons):  # items sorted within each person
        row = sparse.items[sparse.indptr[i] : sparse.indptr[i + 1]]
        assert np.all(np.diff(row) > 0)


def test_keyed_responses(tmp_path):
    text = "person_id,item_id,response\na,q1,B\na,q2,AC\nb,q1,C\nb,q2,A;C\nc,q2,*\n"
    path = _write(tmp_path, text)
    key = {
        "q1": ItemKey(options=("A", "B", "C", "D"), correct=frozenset("B")),
        "q2": ItemKey(options=("A", "B", "C", "D"), correct=frozenset("AC")),
    }
    _same(read_long(path, key=key), read_responses(path, long=True, key=key))


def test_parquet_equals_csv(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    path = _random_long(tmp_path, seed=3)
    rows = [line.split(",") for line in path.read_text().splitlines()[1:]]
    table = pa.table(
        {
            "person_id": [r[0] for r in rows],
            "item_id": [r[1] for r in rows],
            "response": [r[2] if r[2] else None for r in rows],
            "form": [r[3] for r in rows],
        }
    )
    target = tmp_path / "long.parquet"
    pq.write_table(table, target, row_group_size=50)
    from_csv = read_long(path)
    from_pq = read_long(target, chunk_rows=33)
    _same(from_pq, read_responses(path, long=True))
    np.testing.assert_array_equal(from_pq.indptr, from_csv.indptr)


def test_parquet_integer_scores(tmp_path):
    pa = pytest.importorskip("pyarrow")
    pq = pytest.importorskip("pyarrow.parquet")
    target = tmp_path / "ints.parquet"
    table = pa.table({"person_id": [1, 1, 2], "item_id": ["x", "y", "x"], "response": [1, 0, 2]})
    pq.write_table(table, target)
    data = read_long(target)
    np.testing.assert_array_equal(data.to_dense(), [[1, 0], [2, -1]])


def test_bad_parquet_file(tmp_path):
    pytest.importorskip("pyarrow")
    target = _write(tmp_path, "not parquet at all", name="x.parquet")
    with pytest.raises(InputError, match="not a readable Parquet file"):
        read_long(target)


ERRORS = [
    ("person_id,item,response\na,q1,1\n", None),
    ("person_id,item_id,response\na,q1,1\nb,q1\n", 3),
    ("person_id,item_id,response\na,q1,1\n,q1,0\n", 3),
    ("person_id,item_id,response\na,q1,1\nb,q1,x\n", 3),
    ("person_id,item_id,response\na,q1,1\nb,q1,0.5\n", 3),
    ("person_id,item_id,response\na,q1,1\nb,q1,0\nb,q2,1\na,q1,0\n", 5),
    ("person_id,item_id,response\na,q1,1\nb,q1,0\nb,q1,0\na,q1,0\n", 4),
]


@pytest.mark.parametrize(("text", "line"), ERRORS)
def test_errors_match_dense_reader(tmp_path, text, line):
    path = _write(tmp_path, text)
    with pytest.raises(InputError) as dense:
        read_responses(path, long=True)
    with pytest.raises(InputError) as sparse:
        read_long(path, chunk_rows=2)
    assert str(sparse.value) == str(dense.value)
    assert sparse.value.file == str(path)
    if line is not None:
        assert sparse.value.line == line


def test_unknown_key_item(tmp_path):
    path = _write(tmp_path, "person_id,item_id,response\na,q1,B\n")
    key = {"q2": ItemKey(options=("A", "B"), correct=frozenset("A"))}
    with pytest.raises(InputError) as dense:
        read_responses(path, long=True, key=key)
    with pytest.raises(InputError) as sparse:
        read_long(path, key=key)
    assert str(sparse.value) == str(dense.value)


def test_empty_file(tmp_path):
    with pytest.raises(InputError, match="empty"):
        read_long(_write(tmp_path, "\n\n"))


def test_from_dense_round_trip():
    rng = np.random.default_rng(5)
    x = rng.integers(-1, 3, size=(40, 7)).astype(np.int16)
    sp = from_dense(x)
    np.testing.assert_array_equal(sp.to_dense(), x)
    np.testing.assert_array_equal(sp.to_dense(np.array([3, 0, 39])), x[[3, 0, 39]])
    assert sp.n_cells == int((x >= 0).sum())
    np.testing.assert_array_equal(
        sp.category_counts(3), np.stack([(x == k).sum(axis=0) for k in range(3)], axis=1)
    )


@pytest.mark.parametrize("cells", [1, 7, 10_000])
def test_block_wise_summaries(cells):
    rng = np.random.default_rng(6)
    x = rng.integers(-1, 4, size=(120, 9)).astype(np.int16)
    x[:, 2] = np.where(x[:, 2] >= 0, 0, -1)
    x[[5, 77]] = -1  # persons with no cell
    sp = from_dense(x)
    np.testing.assert_array_equal(sp.n_categories(), np.maximum(x.max(axis=0) + 1, 2))
    np.testing.assert_array_equal(
        sp.category_counts(4, cells=cells),
        np.stack([(x == k).sum(axis=0) for k in range(4)], axis=1),
    )
    got = sp.persons_with(lambda lo, hi: sp.items[lo:hi] >= 3, cells=cells)
    np.testing.assert_array_equal(got, (x[:, 3:] >= 0).any(axis=1))
