"""The compact response reader (issue 17): scores in the smallest integer type, omits allocated
only when present, person ids packed, the file read in blocks. Every result is checked against
an independent dense parse of the same CSV in the test (csv module + plain Python), with the
reader forced into many small blocks."""

import csv
import pickle

import numpy as np
import pytest

import psychometrics.responses as responses
from psychometrics.ctt import item_analysis
from psychometrics.errors import InputError
from psychometrics.responses import (
    NOT_PRESENTED,
    ItemKey,
    PersonIds,
    from_array,
    read_responses,
)


def _write(path, header, rows, newline="\n"):
    path.write_text(newline.join(",".join(r) for r in [header, *rows]) + newline)
    return path


def _dense(path, *, omit="*", omit_as_wrong=True):
    """Independent parse: every cell by hand, into int64 scores, a bool omit mask and ids."""
    with open(path, newline="") as handle:
        rows = [r for r in csv.reader(handle) if any(c.strip() for c in r)]
    body = rows[1:]
    ids = tuple(r[0].strip() for r in body)
    scores = np.full((len(body), len(rows[0]) - 1), -1, dtype=np.int64)
    omitted = np.zeros(scores.shape, dtype=bool)
    for i, r in enumerate(body):
        for j, cell in enumerate(r[1:]):
            cell = cell.strip()
            if cell == omit:
                omitted[i, j] = True
                scores[i, j] = 0 if omit_as_wrong else -1
            elif cell:
                scores[i, j] = int(cell)
    return ids, scores, omitted


@pytest.fixture
def small_blocks(monkeypatch):
    monkeypatch.setattr(responses, "BLOCK_CELLS", 40)  # a few rows per block


def _random_rows(rng, n, m, *, cells=("0", "1", "2", "3", "", " 1 ", "2 ")):
    return [[f" P{k:04d} ", *rng.choice(cells, m)] for k in range(n)]


def test_scores_omits_and_ids_match_a_dense_parse(tmp_path, small_blocks):
    rng = np.random.default_rng(11)
    header = ["person", *(f"I{j}" for j in range(9))]
    rows = _random_rows(rng, 400, 9, cells=("0", "1", "2", "", " 3", "*", " * "))
    path = _write(tmp_path / "r.csv", header, rows)
    for omit_as_wrong in (True, False):
        got = read_responses(path, omit_as_wrong=omit_as_wrong)
        ids, scores, omitted = _dense(path, omit_as_wrong=omit_as_wrong)
        assert got.scores.dtype == np.int8
        np.testing.assert_array_equal(got.scores, scores)
        np.testing.assert_array_equal(got.omitted, omitted)
        assert got.person_ids == ids and ids == got.person_ids
        assert isinstance(got.person_ids, PersonIds)
        assert list(got.person_ids) == list(ids)
        assert got.person_ids[0] == "P0000" and got.person_ids[-1] == "P0399"
        assert got.person_ids[10:13] == ids[10:13]
        np.testing.assert_array_equal(np.asarray(got.person_ids), np.array(ids))


def test_without_omits_the_mask_is_an_empty_read_only_view(tmp_path, small_blocks):
    rng = np.random.default_rng(2)
    path = _write(tmp_path / "r.csv", ["p", "a", "b"], _random_rows(rng, 50, 2))
    got = read_responses(path)
    assert got.omitted.shape == got.scores.shape
    assert not got.omitted.any() and not got.omitted.flags.writeable
    assert got.omitted.strides == (0, 0)  # a broadcast False: no memory per cell


def test_an_omit_or_a_large_score_in_a_late_block_keeps_the_earlier_rows(tmp_path, small_blocks):
    rng = np.random.default_rng(5)
    rows = _random_rows(rng, 300, 4)
    rows[290][2] = "*"  # first omit long after the first blocks
    rows[250][3] = "300"  # a score that needs int16
    path = _write(tmp_path / "r.csv", ["p", "a", "b", "c", "d"], rows)
    got = read_responses(path)
    ids, scores, omitted = _dense(path)
    assert got.scores.dtype == np.int16
    np.testing.assert_array_equal(got.scores, scores)
    np.testing.assert_array_equal(got.omitted, omitted)
    assert omitted.sum() == 1 and got.omitted[290, 1]


def test_carriage_return_line_ends_grow_past_the_line_count(tmp_path, small_blocks):
    """Bare CR ends rows for the csv module but not for the newline count that sizes the arrays:
    the arrays grow and nothing is lost."""
    rng = np.random.default_rng(8)
    rows = _random_rows(rng, 120, 3)
    path = _write(tmp_path / "r.csv", ["p", "x", "y", "z"], rows, newline="\r")
    got = read_responses(path)
    ids, scores, _ = _dense(path)
    assert got.n_persons == 120 and got.person_ids == ids
    np.testing.assert_array_equal(got.scores, scores)


def test_keyed_raw_text_and_groups_match_a_dense_parse(tmp_path, small_blocks):
    rng = np.random.default_rng(4)
    key = {f"Q{j}": ItemKey(options=("A", "B", "C", "D"), correct=frozenset("B")) for j in range(3)}
    letters = ("A", " B", "c", "D ", "", "*", "AC")
    key["Q2"] = ItemKey(options=("A", "B", "C", "D"), correct=frozenset("AC"))
    rows = [[f"S{k}", rng.choice(["F", "R"]), *rng.choice(letters, 3)] for k in range(200)]
    path = _write(tmp_path / "k.csv", ["id", "grp", "Q0", "Q1", "Q2"], rows)
    got = read_responses(path, key=key, group=["grp"])
    stripped = np.array([[c.strip() for c in r[2:]] for r in rows])
    np.testing.assert_array_equal(got.raw, stripped)
    np.testing.assert_array_equal(got.groups["grp"], np.array([r[1] for r in rows]))
    want = np.where(stripped == "", -1, 0)
    want[(stripped == "B") | (stripped == "b")] = 1
    want[:, 2] = np.where(stripped[:, 2] == "", -1, (stripped[:, 2] == "AC").astype(int))
    want[:, :2] = np.where(stripped[:, :2] == "", -1, np.char.upper(stripped[:, :2]) == "B")
    np.testing.assert_array_equal(got.scores, want)
    np.testing.assert_array_equal(got.omitted, stripped == "*")


def test_errors_name_the_first_bad_line(tmp_path, small_blocks):
    rng = np.random.default_rng(9)
    rows = _random_rows(rng, 200, 3)
    rows[150][0] = "P0007"
    rows[180][0] = "P0009"
    with pytest.raises(
        InputError, match=r"r.csv:152: duplicate person id 'P0007' \(first on line 9\)"
    ):
        read_responses(_write(tmp_path / "r.csv", ["p", "a", "b", "c"], rows))
    rows = _random_rows(rng, 200, 3)
    rows[120][2] = "x"
    rows[130][2] = "y"
    rows[125][2] = " x"
    with pytest.raises(InputError, match=r"r.csv:122: b: 'x' is not an integer score"):
        read_responses(_write(tmp_path / "r.csv", ["p", "a", "b", "c"], rows))
    rows = _random_rows(rng, 200, 3)
    rows[60][0] = "  "
    with pytest.raises(InputError, match=r"r.csv:62: empty person id"):
        read_responses(_write(tmp_path / "r.csv", ["p", "a", "b", "c"], rows))


def test_duplicates_are_told_apart_from_hash_collisions(tmp_path):
    """Ids whose hashes collide are compared as strings: only a real repeat is an error."""
    ids = PersonIds.from_strings(["a", "b", "c", "b"])
    lines = np.array([2, 3, 4, 5])
    responses._check_unique_ids(
        PersonIds.from_strings(["a", "b", "c"]), np.zeros(3), lines[:3], "f"
    )
    with pytest.raises(InputError, match=r"f:5: duplicate person id 'b' \(first on line 3\)"):
        responses._check_unique_ids(ids, np.zeros(4, dtype=np.int64), lines, "f")


def test_person_ids_behave_like_the_tuple():
    ids = ("x1", "é2", "", "long-id-3")
    packed = PersonIds.from_strings(ids)
    assert len(packed) == 4 and tuple(packed) == ids and packed == list(ids)
    assert packed != ids[:3] and packed != ("x1", "é2", "", "other")
    assert packed[1] == "é2" and packed[-1] == "long-id-3" and "" in packed
    assert packed[::2] == ("x1", "")
    assert packed.take(np.array([True, False, False, True])) == ("x1", "long-id-3")
    assert hash(packed) == hash(ids)
    assert pickle.loads(pickle.dumps(packed)) == ids
    assert packed + ("y",) == (*ids, "y")
    with pytest.raises(IndexError):
        packed[4]
    assert "PersonIds(['x1', 'é2', '', ...], n=4)" == repr(packed)


def test_select_persons_keeps_ids_packed(tmp_path, small_blocks):
    rng = np.random.default_rng(1)
    path = _write(tmp_path / "r.csv", ["p", "a", "b"], _random_rows(rng, 30, 2))
    got = read_responses(path)
    mask = np.arange(30) % 3 == 0
    sub = got.select_persons(mask)
    assert isinstance(sub.person_ids, PersonIds)
    assert sub.person_ids == tuple(p for p, m in zip(got.person_ids, mask, strict=True) if m)
    np.testing.assert_array_equal(sub.scores, got.scores[mask])


def test_int8_scores_do_not_overflow_in_sums_and_analysis(tmp_path):
    """300 items of score 1 (sums far above int8's 127): totals and CTT as from int64 numpy."""
    rng = np.random.default_rng(6)
    x = (rng.random((60, 300)) < 0.7).astype(int)
    x[rng.random(x.shape) < 0.05] = -1
    rows = [[f"p{i}", *("" if v < 0 else str(v) for v in r)] for i, r in enumerate(x)]
    got = read_responses(_write(tmp_path / "w.csv", ["id", *(f"i{j}" for j in range(300))], rows))
    assert got.scores.dtype == np.int8
    np.testing.assert_array_equal(got.sum_scores(), np.where(x >= 0, x, 0).sum(axis=1))
    ctt = item_analysis(got)
    wide = item_analysis(from_array(np.where(x >= 0, x, np.nan)))
    total = np.where(x >= 0, x, 0).sum(axis=1)
    assert ctt.test.mean == pytest.approx(total.mean(), rel=1e-12)
    assert ctt.test.alpha == pytest.approx(wide.test.alpha, rel=1e-12)
    means = np.array([it.mean for it in ctt.items])
    present = x != NOT_PRESENTED
    np.testing.assert_allclose(means, np.where(present, x, 0).sum(0) / present.sum(0), rtol=1e-12)


def test_girth_engine_reads_int8_missing_cells_as_missing(tmp_path):
    """girth's missing code (-99999) must not wrap in an int8 matrix (it became 97)."""
    pytest.importorskip("girth")
    from psychometrics.irt import calibrate

    rng = np.random.default_rng(12)
    theta = rng.normal(size=400)
    x = (rng.random((400, 6)) < 1 / (1 + np.exp(-(theta[:, None] - np.linspace(-1, 1, 6))))) * 1
    x[rng.random(x.shape) < 0.1] = -1
    rows = [[f"p{i}", *("" if v < 0 else str(v) for v in r)] for i, r in enumerate(x)]
    rm = read_responses(_write(tmp_path / "g.csv", ["id", *(f"i{j}" for j in range(6))], rows))
    assert rm.scores.dtype == np.int8
    from_file = calibrate(rm, model="2pl", engine="girth")
    from_array_ = calibrate(x.astype(np.int64), model="2pl", engine="girth")
    np.testing.assert_array_equal(from_file.params.b, from_array_.params.b)


def test_raw_text_widens_when_a_late_block_holds_a_longer_answer(tmp_path, small_blocks):
    key = {q: ItemKey(options=("A", "B", "C", "D"), correct=frozenset("AC")) for q in ("x", "y")}
    rows = [[f"r{k}", "A", "C" if k % 2 else ""] for k in range(150)]
    rows[140][2] = " A;C "
    got = read_responses(_write(tmp_path / "w.csv", ["id", "x", "y"], rows), key=key)
    stripped = np.array([[c.strip() for c in r[1:]] for r in rows])
    assert got.raw.dtype == np.dtype("U3")
    np.testing.assert_array_equal(got.raw, stripped)
    assert got.scores[140].tolist() == [0, 1]
