"""Classical item analysis checked against direct, independently written formulas.

Tolerances: the library and the reference formulas compute the same quantities in floating point
by different routes (matrix products vs per-column loops), so they agree to rounding: 1e-10.
"""

import math

import numpy as np
import pytest
from scipy import stats

from psychometrics import ctt
from psychometrics.responses import NOT_PRESENTED, ItemKey, ResponseMatrix, from_array

TOL = 1e-10


def simulate_2pl(n=400, k=12, seed=11):
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    a = rng.uniform(0.7, 2.0, k)
    b = np.linspace(-1.8, 1.8, k)
    p = 1.0 / (1.0 + np.exp(-a * (theta[:, None] - b)))
    return (rng.random((n, k)) < p).astype(int)


def alpha_direct(x):
    """Cronbach (1951) alpha from the covariance matrix of complete data."""
    c = np.cov(x, rowvar=False)
    k = x.shape[1]
    return k / (k - 1) * (1 - np.trace(c) / c.sum())


def kr20_direct(x):
    """Kuder-Richardson formula 20 with population (ddof=0) variances."""
    k = x.shape[1]
    p = x.mean(axis=0)
    return k / (k - 1) * (1 - np.sum(p * (1 - p)) / x.sum(axis=1).var())


def test_alpha_p_rpbis_against_direct_formulas():
    x = simulate_2pl()
    res = ctt.item_analysis(from_array(x))
    assert res.test.alpha == pytest.approx(alpha_direct(x), abs=TOL)
    assert res.test.alpha == pytest.approx(kr20_direct(x), abs=TOL)
    total = x.sum(axis=1)
    for j, it in enumerate(res.items):
        assert it.p == pytest.approx(x[:, j].mean(), abs=TOL)
        rest = total - x[:, j]
        assert it.rpbis == pytest.approx(np.corrcoef(x[:, j], rest)[0, 1], abs=TOL)
        assert it.alpha_if_deleted == pytest.approx(alpha_direct(np.delete(x, j, 1)), abs=TOL)
        # biserial from group means (Lord & Novick 1968, 15.3):
        # r_bis = (M1 - M0) / s * p q / phi(z_p), s the population SD of the rest score
        p = x[:, j].mean()
        m1, m0 = rest[x[:, j] == 1].mean(), rest[x[:, j] == 0].mean()
        r_bis = (m1 - m0) / rest.std() * p * (1 - p) / stats.norm.pdf(stats.norm.ppf(p))
        assert it.biserial == pytest.approx(r_bis, abs=1e-9)
    assert res.test.sd == pytest.approx(total.std(ddof=1), abs=TOL)
    assert res.test.sem == pytest.approx(total.std(ddof=1) * math.sqrt(1 - alpha_direct(x)))
    assert res.test.score_distribution == tuple(np.bincount(total, minlength=13))
    assert res.test.complete


def test_stratified_alpha_against_direct_formula():
    x = simulate_2pl(k=12, seed=5)
    strata = ["DA1"] * 5 + ["DA2"] * 6 + ["DA3"]  # DA3 has one item: reliability 0
    outcomes = {f"item{j + 1}": s for j, s in enumerate(strata)}
    res = ctt.item_analysis(from_array(x), outcomes=outcomes)
    err = 0.0
    for s in ("DA1", "DA2", "DA3"):
        cols = [j for j, t in enumerate(strata) if t == s]
        var_s = x[:, cols].sum(axis=1).var(ddof=1)
        a_s = alpha_direct(x[:, cols]) if len(cols) > 1 else 0.0
        err += var_s * (1 - a_s)
    expected = 1 - err / x.sum(axis=1).var(ddof=1)
    assert res.test.stratified_alpha == pytest.approx(expected, abs=TOL)
    by = {s.stratum: s for s in res.test.strata}
    assert by["DA1"].alpha == pytest.approx(alpha_direct(x[:, :5]), abs=TOL)
    assert math.isnan(by["DA3"].alpha) and by["DA3"].n_items == 1


def test_pairwise_covariance_with_not_presented_cells():
    x = simulate_2pl(n=300, k=6, seed=2).astype(float)
    rng = np.random.default_rng(0)
    x[rng.random(x.shape) < 0.2] = np.nan
    cov = ctt.pairwise_covariance(x)
    for j in range(6):
        for k in range(6):
            both = ~np.isnan(x[:, j]) & ~np.isnan(x[:, k])
            ref = np.cov(x[both, j], x[both, k])[0, 1]
            assert cov[j, k] == pytest.approx(ref, abs=TOL)
    # item statistics use the persons presented the item; the rest score is their presented sum
    rm = from_array(np.where(np.isnan(x), NOT_PRESENTED, x))
    res = ctt.item_analysis(rm)
    total = np.nansum(x, axis=1)
    for j, it in enumerate(res.items):
        seen = ~np.isnan(x[:, j])
        assert it.n == seen.sum()
        assert it.p == pytest.approx(x[seen, j].mean(), abs=TOL)
        rest = total[seen] - x[seen, j]
        assert it.rpbis == pytest.approx(np.corrcoef(x[seen, j], rest)[0, 1], abs=TOL)
    assert not res.test.complete


def test_polytomous_item_p_is_mean_over_max():
    rng = np.random.default_rng(4)
    x = simulate_2pl(n=200, k=5, seed=4)
    poly = rng.integers(0, 4, size=200)  # a 0..3 rubric item
    data = np.column_stack([x, poly])
    res = ctt.item_analysis(from_array(data), max_scores={"item6": 4})
    it = res.item("item6")
    assert it.max_score == 4 and it.p == pytest.approx(poly.mean() / 4, abs=TOL)
    rest = data.sum(axis=1) - poly
    assert it.rpbis == pytest.approx(np.corrcoef(poly, rest)[0, 1], abs=TOL)
    assert math.isnan(it.biserial)


def _keyed_matrix(letters, key_letters, options="ABCD"):
    """Build a keyed ResponseMatrix from a persons x items array of letters."""
    letters = np.asarray(letters, dtype=str)
    scores = np.where(letters == "", NOT_PRESENTED, (letters == np.array(key_letters)).astype(int))
    scores = np.where(letters == "*", 0, scores).astype(np.int16)
    n, m = letters.shape
    items = tuple(f"Q{j + 1}" for j in range(m))
    rm = ResponseMatrix(
        person_ids=tuple(str(i) for i in range(n)),
        item_ids=items,
        scores=scores,
        omitted=letters == "*",
        raw=letters,
    )
    key = {
        i: ItemKey(options=tuple(options), correct=frozenset(k))
        for i, k in zip(items, key_letters, strict=True)
    }
    return rm, key


def test_distractor_shares_groups_and_point_biserials():
    rng = np.random.default_rng(8)
    n = 500
    theta = rng.normal(size=n)
    k = 10
    b = np.linspace(-1.5, 1.5, k)
    right = rng.random((n, k)) < 1 / (1 + np.exp(-1.3 * (theta[:, None] - b)))
    key_letters = ["A", "B", "C", "D"] * 2 + ["A", "B"]
    letters = np.empty((n, k), dtype="<U1")
    for j in range(k):
        wrong = [c for c in "ABCD" if c != key_letters[j]]
        letters[:, j] = np.where(right[:, j], key_letters[j], rng.choice(wrong, size=n))
    letters[:7, 2] = "*"
    rm, key = _keyed_matrix(letters, key_letters)
    res = ctt.item_analysis(rm, key=key)
    total = rm.scores.sum(axis=1)
    pr = stats.rankdata(total) / n
    low, high = pr <= 0.27, pr > 0.73
    for j, it in enumerate(res.items):
        rest = total - rm.scores[:, j]
        by = {o.option: o for o in it.options}
        for opt in "ABCD":
            chose = letters[:, j] == opt
            o = by[opt]
            assert o.is_key == (opt == key_letters[j])
            assert o.n == chose.sum()
            assert o.share == pytest.approx(chose.mean(), abs=TOL)
            assert o.share_low == pytest.approx(chose[low].mean(), abs=TOL)
            assert o.share_high == pytest.approx(chose[high].mean(), abs=TOL)
            assert o.share_middle == pytest.approx(chose[~low & ~high].mean(), abs=TOL)
            assert o.rpbis == pytest.approx(np.corrcoef(chose, rest)[0, 1], abs=TOL)
    assert res.items[2].omit_rate == pytest.approx(7 / n)
    assert res.items[2].options[-1].option == "omit" and res.items[2].options[-1].n == 7
    assert 0.2 < low.mean() < 0.34 and 0.2 < high.mean() < 0.34


def test_miskey_and_positive_distractor_are_flagged():
    rng = np.random.default_rng(9)
    n = 600
    theta = rng.normal(size=n)
    k = 10
    right = rng.random((n, k)) < 1 / (1 + np.exp(-1.5 * (theta[:, None] - 0.0)))
    true_key = ["A"] * k
    letters = np.where(right, "A", rng.choice(["B", "C", "D"], size=(n, k)))
    recorded = list(true_key)
    recorded[4] = "C"  # miskeyed: the key file says C, able persons choose A
    rm, key = _keyed_matrix(letters, recorded)
    res = ctt.item_analysis(rm, key=key)
    flags = res.items[4].flags
    assert "possible_miskey:A" in flags and "positive_distractor:A" in flags
    assert "low_rpbis" in flags
    for j in (0, 1, 2, 3, 5):
        assert not any(
            f.startswith(("possible_miskey", "positive_distractor")) for f in res.items[j].flags
        )


def test_thresholds_are_configurable_and_validated():
    x = simulate_2pl(n=300, k=8, seed=3)
    x[:, 0] = 1
    x[:295, 1] = 1
    res = ctt.item_analysis(from_array(x))
    assert "no_variance" in res.item("item1").flags
    assert "easy" in res.item("item2").flags
    loose = ctt.item_analysis(from_array(x), thresholds=ctt.Thresholds(p_high=0.999))
    assert "easy" not in loose.item("item2").flags
    strict = ctt.item_analysis(from_array(x), thresholds=ctt.Thresholds(rpbis_min=0.99))
    assert all("low_rpbis" in it.flags for it in strict.items if "no_variance" not in it.flags)
    small = ctt.item_analysis(from_array(x[:20]))
    assert all("small_n" in it.flags for it in small.items)
    with pytest.raises(ValueError, match="p_low"):
        ctt.Thresholds(p_low=0.9, p_high=0.5)
    with pytest.raises(ValueError, match="group_fraction"):
        ctt.Thresholds(group_fraction=0.7)
    with pytest.raises(TypeError, match="ResponseMatrix"):
        ctt.item_analysis(x)
    with pytest.raises(ValueError, match="strata"):
        ctt.stratified_alpha(x, ["a", "b"])


def test_persons_without_responses_are_left_out_and_to_dict():
    x = simulate_2pl(n=100, k=5, seed=1).astype(float)
    x[:3] = np.nan
    res = ctt.item_analysis(from_array(x))
    assert res.test.n_persons == 97
    assert res.test.alpha == pytest.approx(alpha_direct(x[3:]), abs=TOL)
    d = res.to_dict()
    assert d["test"]["n_persons"] == 97 and len(d["items"]) == 5


def test_form_analysis_matches_each_complete_form():
    x = simulate_2pl(n=400, k=14, seed=12).astype(float)
    forms = np.where(np.arange(400) < 200, "F1", "F2")
    x[forms == "F1", 10:] = np.nan  # F1: items 1-10
    x[forms == "F2", :4] = np.nan  # F2: items 5-14 (6 common items)
    per = ctt.form_analysis(from_array(x), forms=forms)
    assert list(per) == ["F1", "F2"]
    f1 = x[forms == "F1"][:, :10]
    f2 = x[forms == "F2"][:, 4:]
    assert per["F1"].test.n_items == 10 and per["F1"].test.complete
    assert per["F1"].test.alpha == pytest.approx(alpha_direct(f1), abs=TOL)
    assert per["F2"].test.alpha == pytest.approx(alpha_direct(f2), abs=TOL)
    assert per["F2"].items[0].item_id == "item5"
    with pytest.raises(ValueError, match="forms"):
        ctt.form_analysis(from_array(x))


def test_never_presented_item_is_left_out_of_reliability():
    x = simulate_2pl(n=200, k=6, seed=6).astype(float)
    x[:, 2] = np.nan
    res = ctt.item_analysis(from_array(x))
    assert res.test.alpha == pytest.approx(alpha_direct(np.delete(x, 2, 1)), abs=TOL)
    assert res.item("item3").n == 0 and math.isnan(res.item("item3").alpha_if_deleted)
    assert "no_variance" in res.item("item3").flags
    # two forms that share no item: one alpha over both is undefined, not made up
    y = simulate_2pl(n=200, k=6, seed=6).astype(float)
    y[:100, 3:] = np.nan
    y[100:, :3] = np.nan
    assert math.isnan(ctt.item_analysis(from_array(y)).test.alpha)


def _random_keyed_matrix(seed, n=1500, k=12):
    """Keyed letters with wrong options, a two-letter answer, omits, blanks (not presented),
    persons with nothing presented and one polytomous (unkeyed) item."""
    rng = np.random.default_rng(seed)
    theta = rng.normal(size=n)
    b = rng.normal(size=k)
    right = rng.random((n, k)) < 1 / (1 + np.exp(-1.2 * (theta[:, None] - b)))
    keys = rng.choice(list("ABCD"), size=k)
    letters = np.empty((n, k), dtype="<U2")
    for j in range(k):
        wrong = [c for c in "ABCD" if c != keys[j]] + ["AB"]
        letters[:, j] = np.where(right[:, j], keys[j], rng.choice(wrong, size=n))
    letters[rng.random((n, k)) < 0.05] = "*"
    letters[rng.random((n, k)) < 0.1] = ""
    letters[rng.choice(n, size=6, replace=False)] = ""
    scores = np.where(letters == "", NOT_PRESENTED, (letters == keys).astype(int))
    scores = np.where(letters == "*", 0, scores).astype(np.int16)
    scores[:, -1] = np.where(scores[:, -1] >= 0, rng.integers(0, 4, n), NOT_PRESENTED)
    items = tuple(f"Q{j + 1}" for j in range(k))
    rm = ResponseMatrix(
        person_ids=tuple(str(i) for i in range(n)),
        item_ids=items,
        scores=scores,
        omitted=letters == "*",
        raw=letters,
    )
    key = {
        i: ItemKey(options=tuple("ABCD"), correct=frozenset(c))
        for i, c in zip(items[:-1], keys[:-1], strict=True)
    }
    return rm, key


def _assert_same(a, b, path="result"):
    """Equal structure, equal integers, strings and flags; floats to 1e-12 relative. The absolute
    floor of 1e-14 is for point-biserials near 0 (an omit code chosen at random), where the
    order of a sum of centred products moves the last bits of a value of about 1e-4."""
    if isinstance(a, dict):
        assert a.keys() == b.keys(), path
        for name in a:
            _assert_same(a[name], b[name], f"{path}.{name}")
    elif isinstance(a, list | tuple):
        assert len(a) == len(b), path
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            _assert_same(x, y, f"{path}[{i}]")
    elif isinstance(a, float):
        assert math.isnan(a) == math.isnan(b), path
        if not math.isnan(a):
            assert a == pytest.approx(b, rel=1e-12, abs=1e-14), path
    else:
        assert a == b, path


@pytest.mark.parametrize("seed", [0, 1])
def test_chunked_analysis_equals_one_chunk(seed):
    rm, key = _random_keyed_matrix(seed)
    outcomes = {item: "DA1" if j % 2 else "DA2" for j, item in enumerate(rm.item_ids)}
    one = ctt.item_analysis(rm, key=key, outcomes=outcomes, chunk_size=rm.n_persons)
    assert one.test.n_persons == rm.n_persons - 6 and not one.test.complete
    assert any(o.option == "omit" for o in one.items[0].options)
    assert one.items[-1].options == () and one.items[-1].max_score == 3
    for size in (None, 1, 2, 7, 500):
        chunked = ctt.item_analysis(rm, key=key, outcomes=outcomes, chunk_size=size)
        _assert_same(chunked.to_dict(), one.to_dict())


def test_distractor_table_with_missing_cells_against_direct_counts():
    rm, key = _random_keyed_matrix(3, n=800)
    res = ctt.item_analysis(rm, key=key, chunk_size=3)
    pres = rm.scores != NOT_PRESENTED
    active = pres.any(axis=1)
    total = np.where(pres, rm.scores, 0).sum(axis=1)[active]
    pr = stats.rankdata(total) / total.size
    low, high = pr <= 0.27, pr > 0.73
    for j, it in enumerate(res.items[:-1]):
        seen = pres[active, j]
        rest = (total - rm.scores[active, j])[seen]
        cells = rm.raw[active, j][seen]
        for o in it.options:
            chose = cells == "*" if o.option == "omit" else np.char.find(cells, o.option) >= 0
            assert o.n == chose.sum()
            assert o.share_low == pytest.approx(chose[low[seen]].mean(), abs=TOL)
            assert o.share_high == pytest.approx(chose[high[seen]].mean(), abs=TOL)
            assert o.rpbis == pytest.approx(np.corrcoef(chose, rest)[0, 1], abs=TOL)


def test_chunk_size_is_validated():
    rm = from_array(simulate_2pl(n=50, k=4))
    for bad in (0, -3):
        with pytest.raises(ValueError, match="chunk_size"):
            ctt.item_analysis(rm, chunk_size=bad)
    for bad in (2.5, True, "10"):
        with pytest.raises(TypeError, match="chunk_size"):
            ctt.item_analysis(rm, chunk_size=bad)


def test_memory_beyond_the_matrix_is_bounded_by_the_chunk():
    """tracemalloc counts numpy's allocations exactly (no dependence on machine load). With
    chunks of 1,000 persons the analysis of a 20,000 x 50 matrix allocates less than twice the
    int16 score matrix (per-person totals and score groups plus a few chunk arrays); holding
    float64 copies of the whole matrix, as before the chunking, takes about 25 times it."""
    import tracemalloc

    rng = np.random.default_rng(1)
    x = (rng.random((20000, 50)) < 0.6).astype(float)
    x[rng.random(x.shape) < 0.1] = np.nan
    rm = from_array(x)
    tracemalloc.start()
    try:
        ctt.item_analysis(rm, chunk_size=1000)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 2 * rm.scores.nbytes
