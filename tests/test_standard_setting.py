"""Standard-setting methods against hand computations and independent formulas.

Every expected value is computed here, by hand (worked in the comments) or by code written in
this file (3PL formula, bisection on the TCC), never by the module under test.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import optimize

from psychometrics import standard_setting as ss
from psychometrics.errors import CredkitError, InputError
from psychometrics.irt.models import ItemParameters

A = np.array([1.0, 1.5, 0.8, 2.0, 1.2])
B = np.array([-1.0, 0.0, 0.5, 1.0, -0.5])
C = np.array([0.2, 0.25, 0.0, 0.1, 0.2])
IDS = ("I1", "I2", "I3", "I4", "I5")


def three_pl() -> ItemParameters:
    return ItemParameters(item_ids=IDS, model=("3pl",) * 5, a=A, b=B, c=C)


def p3(theta: float) -> np.ndarray:
    """3PL probabilities written out (D = 1)."""
    return C + (1 - C) / (1 + np.exp(-A * (theta - B)))


def tcc_root(raw: float) -> float:
    """Bisection on the hand-written TCC (independent of the module's Brent call)."""
    lo, hi = -6.0, 6.0
    for _ in range(200):
        mid = (lo + hi) / 2
        if p3(mid).sum() < raw:
            lo = mid
        else:
            hi = mid
    return (lo + hi) / 2


# ratings: 3 raters x 5 items, two rounds
ROUND1 = {
    "R1": [0.8, 0.6, 0.5, 0.3, 0.7],
    "R2": [0.9, 0.5, 0.4, 0.2, 0.6],
    "R3": [0.7, 0.7, 0.6, 0.4, 0.8],
}
ROUND2 = {
    "R1": [0.8, 0.6, 0.5, 0.4, 0.7],
    "R2": [0.85, 0.55, 0.45, 0.3, 0.65],
    "R3": [0.75, 0.65, 0.55, 0.35, 0.75],
}


def ratings_from(rounds: dict[int, dict[str, list[float]]], kind="angoff") -> ss.Ratings:
    rows = [
        (r, IDS[j], v, rnd)
        for rnd, table in rounds.items()
        for r, values in table.items()
        for j, v in enumerate(values)
    ]
    return ss.Ratings.from_arrays(*zip(*rows, strict=True), kind=kind)


# --------------------------------------------------------------------------------------------
# Angoff
# --------------------------------------------------------------------------------------------


def test_angoff_hand_computed_cut_se_and_rounds():
    res = ss.angoff(ratings_from({1: ROUND1, 2: ROUND2}), three_pl())
    # round 2 rater cuts: R1 0.8+0.6+0.5+0.4+0.7 = 3.0; R2 2.8; R3 3.05
    assert res.rater_cuts == pytest.approx((3.0, 2.8, 3.05), abs=1e-12)
    assert res.raw_cut == pytest.approx((3.0 + 2.8 + 3.05) / 3, abs=1e-12)  # 2.95
    sd = math.sqrt(((3.0 - 2.95) ** 2 + (2.8 - 2.95) ** 2 + (3.05 - 2.95) ** 2) / 2)
    assert res.se_raw == pytest.approx(sd / math.sqrt(3), abs=1e-12)
    # round 1: R1 2.9, R2 2.6, R3 3.2 -> 2.9; change +0.05
    assert res.round_cuts[1] == pytest.approx(2.9, abs=1e-12)
    assert res.round_changes[2] == pytest.approx(0.05, abs=1e-12)
    assert res.round == 2
    # the theta cut solves TCC(theta) = 2.95; bisection to 1e-12 vs Brent (xtol 1e-10)
    assert res.theta_cut == pytest.approx(tcc_root(2.95), abs=1e-8)
    assert p3(res.theta_cut).sum() == pytest.approx(2.95, abs=1e-8)
    for raw, theta in zip(res.rater_cuts, res.rater_theta_cuts, strict=True):
        assert theta == pytest.approx(tcc_root(raw), abs=1e-8)
    # delta-method SE: se_raw / TCC'(theta); derivative of the hand TCC by central difference
    h = 1e-6
    slope = (p3(res.theta_cut + h).sum() - p3(res.theta_cut - h).sum()) / (2 * h)
    assert res.se_theta == pytest.approx(res.se_raw / slope, rel=1e-5)


def test_angoff_round_selection_and_form_subset():
    res = ss.angoff(ratings_from({1: ROUND1, 2: ROUND2}), three_pl(), round=1, items=IDS[:3])
    # round 1 means of I1..I3: 0.8, 0.6, 0.5 -> 1.9
    assert res.raw_cut == pytest.approx(1.9, abs=1e-12)
    assert res.max_score == 3


def test_yes_no_angoff_is_labelled_and_sums_proportions():
    yes = {"R1": [1, 1, 0, 0, 1], "R2": [1, 0, 0, 0, 1], "R3": [1, 1, 1, 0, 1]}
    res = ss.angoff(ratings_from({1: yes}, kind="yes-no"), three_pl())
    assert res.method == "yes-no-angoff"
    assert res.raw_cut == pytest.approx((3 + 2 + 4) / 3)


def test_icc_matches_shrout_fleiss_1979_table():
    # Shrout & Fleiss (1979), Table 2 data (6 targets x 4 judges); Table 4 reports
    # ICC(2,1) = .29 and ICC(2,4) = .62 (two decimals -> tolerance 0.005)
    x = np.array(
        [[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]]
    )
    res = ss.icc(x)
    assert res.icc_single == pytest.approx(0.29, abs=0.005)
    assert res.icc_average == pytest.approx(0.62, abs=0.005)


def test_outlying_rater_rule():
    cuts = np.array([20.0, 21.0, 20.5, 19.5, 30.0])
    flags = ss.flag_outlying_raters(cuts, z=2.5)
    # leave-one-out for rater 5: others mean 20.25, SD 0.645 -> z = 15.1 (flagged); rater 1's
    # others include 30 (SD 4.8) -> not flagged
    assert flags.tolist() == [False, False, False, False, True]
    assert not ss.flag_outlying_raters(cuts[:3]).any()  # < 4 raters: never flagged


def test_angoff_errors_name_the_problem():
    r = ratings_from({1: {"R1": [0.5] * 5, "R2": [0.5] * 5}})
    short = ss.Ratings.from_arrays(
        r.rater[:-1], r.item_id[:-1], r.rating[:-1], r.round[:-1], kind="angoff"
    )
    with pytest.raises(InputError, match="no rating for item 'I5'"):
        ss.angoff(short, three_pl())
    over = ss.Ratings.from_arrays(("R1",), ("I1",), (1.5,))
    with pytest.raises(InputError, match="exceeds its maximum score"):
        ss.angoff(over, three_pl(), items=("I1",))
    with pytest.raises(InputError, match="round 3"):
        ss.angoff(r, three_pl(), round=3)


# --------------------------------------------------------------------------------------------
# TCC conversions and reporting scale
# --------------------------------------------------------------------------------------------


def test_theta_for_raw_flags_floor_and_ceiling():
    p = three_pl()
    low = ss.theta_for_raw(p, 0.5)  # below sum(c) = 0.75
    assert low.status == "below_floor" and low.theta == -6.0 and "clipped" in low.message
    high = ss.theta_for_raw(p, 5.0)
    assert high.status == "above_ceiling" and high.theta == 6.0
    ok = ss.theta_for_raw(p, 3.3)
    assert ok.status == "ok" and ok.theta == pytest.approx(tcc_root(3.3), abs=1e-8)


def test_raw_for_theta_rounding_rules():
    p = three_pl()
    exact = p3(0.3).sum()  # 3.24...
    assert ss.raw_for_theta(p, 0.3, rounding="none") == pytest.approx(exact, abs=1e-12)
    assert ss.raw_for_theta(p, 0.3) == math.ceil(exact)
    assert ss.raw_for_theta(p, 0.3, rounding="floor") == math.floor(exact)
    assert ss.round_raw(24.5, "nearest") == 25 and ss.round_raw(24.49, "nearest") == 24
    assert ss.round_raw(24.0000000001, "ceil") == 24  # float noise does not bump the cut
    with pytest.raises(ValueError, match="rounding"):
        ss.round_raw(1.0, "up")


def test_reporting_scale():
    scale = ss.ReportingScale(slope=10, intercept=500, round=0, min=200, max=800)
    assert scale.convert(-0.35) == 497.0  # 496.5 rounds half up (away from zero) to 497
    assert scale.convert(0.04) == 500.0
    assert scale.convert(40.0) == 800.0  # clipped
    assert scale.convert(-40.0) == 200.0
    assert ss.ReportingScale(slope=2.5, intercept=1).convert(1.0) == 3.5
    with pytest.raises(ValueError, match="slope"):
        ss.ReportingScale(slope=0)


# --------------------------------------------------------------------------------------------
# bookmark
# --------------------------------------------------------------------------------------------


def test_rp_locations_by_hand():
    p = three_pl()
    locs = {item: t for item, _, t in ss.rp_location(p, rp=0.67)}
    for j, item in enumerate(IDS):
        hand = B[j] + math.log((0.67 - C[j]) / (1 - 0.67)) / A[j]
        assert locs[item] == pytest.approx(hand, abs=1e-12)
        # and the probability there is RP
        t = locs[item]
        assert C[j] + (1 - C[j]) / (1 + math.exp(-A[j] * (t - B[j]))) == pytest.approx(0.67)
    with pytest.raises(ValueError, match="lower asymptote"):
        ss.rp_location(p, rp=0.2)


def test_rp_locations_polytomous():
    grm = ItemParameters(item_ids=("G",), model=("grm",), a=[1.3], b=[[-1.0, 0.4, 1.5]], c=[0.0])
    locs = ss.rp_location(grm, rp=0.67)
    for k, (_, cat, t) in enumerate(locs):
        assert cat == k + 1
        assert t == pytest.approx([-1.0, 0.4, 1.5][k] + math.log(0.67 / 0.33) / 1.3)
    gpcm = ItemParameters(item_ids=("P",), model=("gpcm",), a=[0.9], b=[[-0.5, 0.8]], c=[0.0])
    for _, cat, t in ss.rp_location(gpcm, rp=0.67):
        # P(X >= cat) at t from the GPCM written out
        num = np.exp([0.0, 0.9 * (t + 0.5), 0.9 * (t + 0.5) + 0.9 * (t - 0.8)])
        assert (num[cat:].sum() / num.sum()) == pytest.approx(0.67, abs=1e-8)


def test_bookmark_panel_median_mean_se():
    p = three_pl()
    rp = 0.67
    loc = B + np.log((rp - C) / (1 - rp)) / A
    order = np.argsort(loc)  # booklet pages
    pages = [2, 3, 3, 4]
    raters = ("R1", "R2", "R3", "R4")
    placements = ss.Ratings.from_arrays(raters, [""] * 4, pages, kind="bookmark")
    res = ss.bookmark(placements, p, rp=rp)
    thetas = loc[order][np.array(pages) - 1]
    assert res.booklet.item_ids == tuple(IDS[i] for i in order)
    assert res.rater_theta_cuts == pytest.approx(tuple(thetas))
    assert res.theta_cut == pytest.approx(np.median(thetas))
    assert res.theta_cut_mean == pytest.approx(thetas.mean())
    assert res.se_theta == pytest.approx(thetas.std(ddof=1) / 2)
    assert res.raw_cut == math.ceil(p3(res.theta_cut).sum() - 1e-9)
    # a placement by item id resolves to that item's page
    by_item = ss.Ratings.from_arrays(("R1",), (IDS[order[2]],), (math.nan,), kind="bookmark")
    assert ss.bookmark(by_item, p).pages == (3,)
    with pytest.raises(InputError, match="outside the booklet"):
        ss.bookmark(ss.Ratings.from_arrays(("R1",), ("",), (9,), kind="bookmark"), p)


# --------------------------------------------------------------------------------------------
# Hofstee and Beuk: worked examples
# --------------------------------------------------------------------------------------------

SCORES = np.array([2, 3, 4, 5, 5, 6, 6, 7, 8, 9])


def test_hofstee_worked_example():
    # fail rate F(k) = P(score < k): F(4) = .2, F(5) = .3, F(6) = .5, F(7) = .7, F(8) = .8
    # line from (4, .5) to (8, .1): L(x) = .5 - .1 (x - 4); F - L = -.3, -.1, +.2 at 4, 5, 6
    # crossing between 5 and 6: x = 5 + .1 / .3 = 5.3333, fail rate .3 + (1/3)(.2) = .36667
    res = ss.hofstee(SCORES, min_cut=4, max_cut=8, min_fail=0.1, max_fail=0.5)
    assert res.status == "ok"
    assert res.raw_cut == pytest.approx(5 + 1 / 3, abs=1e-12)
    assert res.fail_rate == pytest.approx(0.3 + 0.2 / 3, abs=1e-12)
    assert res.raw_cut_rounded == 6 and res.observed_fail_rate == pytest.approx(0.5)


def test_hofstee_no_crossing_uses_the_bound():
    # fail rate at min_cut (F(4) = .2) already above the whole line from (4, .15) to (8, .05)
    res = ss.hofstee(SCORES, min_cut=4, max_cut=8, min_fail=0.05, max_fail=0.15)
    assert res.status == "fail_rate_above_line" and res.raw_cut == 4
    # fail rate at max_cut (F(8) = .8) below a line from (4, 1.0) to (8, .9)
    res = ss.hofstee(SCORES, min_cut=4, max_cut=8, min_fail=0.9, max_fail=1.0)
    assert res.status == "fail_rate_below_line" and res.raw_cut == 8
    with pytest.raises(ValueError, match="proportions"):
        ss.hofstee(SCORES, min_cut=4, max_cut=8, min_fail=10, max_fail=40)


def test_beuk_worked_example():
    # pass rate P(x) = P(score >= x): P(5) = .7, P(6) = .5; line .6 + .1 (x - 6):
    # line - P = -.2 at 5, +.1 at 6 -> x = 5 + .2/.3 = 5.6667, pass rate .7 - (2/3)(.2) = .56667
    res = ss.beuk(SCORES, mean_cut=6, mean_pass_rate=0.6, sd_cut=1.0, sd_pass_rate=0.1)
    assert res.raw_cut == pytest.approx(5 + 2 / 3, abs=1e-12)
    assert res.pass_rate == pytest.approx(0.7 - 0.4 / 3, abs=1e-12)
    assert res.pass_rate == pytest.approx(0.6 + 0.1 * (res.raw_cut - 6), abs=1e-12)
    # from judgments: cuts 5, 7 (mean 6, SD 1.414), rates .55, .65 (mean .6, SD .0707)
    j = ss.beuk_from_judgments(SCORES, [5, 7], [0.55, 0.65])
    assert j.mean_cut == 6 and j.sd_pass_rate / j.sd_cut == pytest.approx(0.05)


# --------------------------------------------------------------------------------------------
# examinee-centred methods
# --------------------------------------------------------------------------------------------


def test_contrasting_groups_logistic_and_youden_against_direct_fits():
    rng = np.random.default_rng(7)
    scores = rng.integers(0, 41, 400).astype(float)
    masters = rng.random(400) < 1 / (1 + np.exp(-(scores - 22) / 3))

    def nll(beta):
        z = beta[0] + beta[1] * scores
        return np.sum(np.logaddexp(0, z) - masters * z)

    fit = optimize.minimize(
        nll,
        [0.0, 0.1],
        method="Nelder-Mead",
        options={"xatol": 1e-10, "fatol": 1e-12, "maxiter": 20000},
    )
    res = ss.contrasting_groups(scores, masters)
    # Nelder-Mead converges to ~1e-6 in beta; the cut -b0/b1 agrees to ~1e-3
    assert res.logistic_cut == pytest.approx(-fit.x[0] / fit.x[1], abs=1e-3)
    best, best_j = None, -2.0
    for cut in np.unique(scores):
        j = np.mean(scores[masters] >= cut) + np.mean(scores[~masters] < cut) - 1
        if j > best_j + 1e-15:
            best, best_j = cut, j
    assert res.youden_cut == best
    assert res.false_positive == pytest.approx(np.mean(~masters & (scores >= res.raw_cut)))


def test_contrasting_groups_separated():
    res = ss.contrasting_groups([1, 2, 3, 7, 8], [False, False, False, True, True])
    assert res.status == "separated" and res.logistic_cut == 5.0


def test_borderline_group_and_regression():
    scores = np.array([10, 12, 14, 15, 16, 18, 20, 22, 25])
    ratings = np.array([0, 0, 1, 1, 1, 2, 2, 3, 3])
    g = ss.borderline_group(scores, ratings, borderline=1)
    assert g.raw_cut == 15 and g.n == 3  # median of 14, 15, 16
    assert g.se_raw == pytest.approx(math.sqrt(math.pi / 2) * 1.0 / math.sqrt(3))
    r = ss.borderline_regression(scores, ratings, borderline=1)
    slope, intercept = np.polyfit(ratings, scores, 1)
    assert r.raw_cut == pytest.approx(intercept + slope, abs=1e-10)
    with pytest.raises(ValueError, match="borderline"):
        ss.borderline_group(scores, ratings, borderline=7)


# --------------------------------------------------------------------------------------------
# set_cut_score (the build's entry point)
# --------------------------------------------------------------------------------------------


def test_set_cut_score_carries_theta_to_every_form():
    p = three_pl()
    forms = {"A": p, "B": p.subset(IDS[:3])}
    res = ss.set_cut_score(
        "angoff",
        forms=forms,
        ratings=ratings_from({1: ROUND1, 2: ROUND2}),
        scale={"slope": 10, "intercept": 500, "round": 0},
    )
    assert res.reference_form == "A"
    assert res.theta_cut == pytest.approx(tcc_root(2.95), abs=1e-8)
    form_b = p3(res.theta_cut)[:3].sum()
    assert res.raw_cuts_exact["B"] == pytest.approx(form_b, abs=1e-10)
    assert res.raw_cuts == {"A": 3.0, "B": float(math.ceil(form_b))}
    assert res.scale_cut == math.floor(500 + 10 * res.theta_cut + 0.5)
    assert res.to_dict()["detail"]["method"] == "angoff"

    direct = ss.set_cut_score(None, forms=forms, theta=0.25, rounding="none")
    assert direct.raw_cuts["A"] == pytest.approx(p3(0.25).sum())


def test_set_cut_score_hofstee_in_percent_units():
    p = three_pl()  # max score 5: 20% .. 100% correct = 1 .. 5 points
    scores = np.array([0, 1, 1, 2, 2, 3, 3, 3, 4, 5])
    res = ss.set_cut_score(
        "hofstee",
        forms={"A": p},
        scores=scores,
        hofstee_bounds={"min_cut": 40, "max_cut": 80, "min_fail": 10, "max_fail": 50},
        units="percent",
    )
    hand = ss.hofstee(scores, min_cut=2, max_cut=4, min_fail=0.1, max_fail=0.5)
    assert res.detail.raw_cut == pytest.approx(hand.raw_cut)
    assert res.theta_cut == pytest.approx(tcc_root(hand.raw_cut), abs=1e-8)
    with pytest.raises(ValueError, match="scores"):
        ss.set_cut_score("beuk", forms={"A": p})
    with pytest.raises(ValueError, match="method"):
        ss.set_cut_score("nedelsky", forms={"A": p})


# --------------------------------------------------------------------------------------------
# loaders: broken input
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "kind", "line", "field", "words"),
    [
        ("rater,rating\nR1,0.5\n", "angoff", 1, "item_id", "missing column"),
        ("rater,item_id,rating\nR1,I1,abc\n", "angoff", 2, "rating", "not a number"),
        ("rater,item_id,rating\nR1,I1,0.5\nR1,I2,-0.1\n", "angoff", 3, "rating", "[0, 1]"),
        ("rater,item_id,rating\nR1,I1,0.5\n", "yes-no", 2, "rating", "0 or 1"),
        ("rater,item_id,rating\nR1,I1,1\nR1,I1,0\n", "angoff", 3, "rater", "twice"),
        ("rater,item_id,rating,round\nR1,I1,1,x\n", "angoff", 2, "round", "integer"),
        ("rater,item_id,rating\n,I1,1\n", "angoff", 2, "rater", "empty rater"),
        ("rater,rating\nR1,0\n", "bookmark", 2, "rating", "positive integer"),
        ("rater,item_id,rating\nR1,I1,nan\n", "angoff", 2, "rating", "finite"),
    ],
)
def test_read_ratings_rejects_bad_files(tmp_path, text, kind, line, field, words):
    path = tmp_path / "ratings.csv"
    path.write_text(text)
    with pytest.raises(CredkitError) as info:
        ss.read_ratings(path, kind=kind)
    err = info.value
    assert err.line == line and err.field == field and words in err.message
    assert str(path) in err.location_message()


def test_read_ratings_good_file_and_empty(tmp_path):
    path = tmp_path / "r.csv"
    path.write_text("Rater,Item_ID,Rating,Round\nR1,I1,0.5,1\nR1,I1,0.6,2\n\n")
    r = ss.read_ratings(path)
    assert r.rounds == (1, 2) and r.line.tolist() == [2, 3]
    path.write_text("rater,item_id,rating\n")
    with pytest.raises(InputError, match="no ratings"):
        ss.read_ratings(path)
    with pytest.raises(InputError, match="file not found"):
        ss.read_ratings(tmp_path / "absent.csv")


def test_read_table_and_judgments(tmp_path):
    path = tmp_path / "ex.csv"
    path.write_text("person_id,score,rating\nP1,10,master\nP2,x,nonmaster\n")
    with pytest.raises(InputError) as info:
        ss.read_examinee_judgments(path)
    assert info.value.line == 3 and info.value.field == "score"
    path.write_text("person_id,score,rating\nP1,10,master\nP1,11,nonmaster\n")
    with pytest.raises(InputError, match="duplicate person_id"):
        ss.read_examinee_judgments(path)
    path.write_text("person_id,score,rating\nP1,10,master\nP2,11,maybe\n")
    with pytest.raises(InputError, match="neither") as info:
        ss.mastery_from_labels(ss.read_examinee_judgments(path))
    assert info.value.line == 3
    panel = tmp_path / "panel.csv"
    panel.write_text("rater,notes\nA,x\n")
    with pytest.raises(InputError, match="no judgment columns"):
        ss.read_panel_judgments(panel)


def test_set_cut_score_from_judgment_files(tmp_path):
    p = three_pl()
    forms = {"A": p}
    scores = SCORES / 2.0  # 1 .. 4.5 on the 5-point form
    panel = tmp_path / "panel.csv"
    # panel means: min_cut 2, max_cut 4, min_fail .1, max_fail .5
    panel.write_text("rater,min_cut,max_cut,min_fail,max_fail\nA,1.5,4,0.1,0.4\nB,2.5,4,0.1,0.6\n")
    res = ss.set_cut_score("hofstee", forms=forms, scores=scores, ratings=panel)
    hand = ss.hofstee(scores, min_cut=2, max_cut=4, min_fail=0.1, max_fail=0.5)
    assert res.detail.raw_cut == pytest.approx(hand.raw_cut)

    beuk_file = tmp_path / "beuk.csv"
    beuk_file.write_text("rater,cut,pass_rate\nA,2.5,0.55\nB,3.5,0.65\n")
    res = ss.set_cut_score("beuk", forms=forms, scores=scores, ratings=beuk_file)
    assert res.detail.raw_cut == pytest.approx(
        ss.beuk_from_judgments(scores, [2.5, 3.5], [0.55, 0.65]).raw_cut
    )
    # the spec's Beuk bounds: line through (midpoint 3, expected pass .6), slope .4 / 2
    res = ss.set_cut_score(
        "beuk",
        forms=forms,
        scores=scores,
        beuk_judgments={
            "min_cut": 2, "max_cut": 4, "min_fail": 0.1, "max_fail": 0.5, "expected_pass_rate": 0.6
        },
    )  # fmt: skip
    assert res.detail.mean_cut == 3 and res.detail.sd_pass_rate / res.detail.sd_cut == 0.2

    exam = tmp_path / "exam.csv"
    exam.write_text(
        "person_id,score,rating\nP1,1,fail\nP2,2,borderline\nP3,2.5,borderline\nP4,4,pass\n"
    )
    res = ss.set_cut_score("borderline-group", forms=forms, ratings=exam)
    assert res.detail.raw_cut == 2.25
    assert res.theta_cut == pytest.approx(tcc_root(2.25), abs=1e-8)
    with pytest.raises(InputError, match="neither a master"):
        ss.set_cut_score("contrasting-groups", forms=forms, ratings=exam)
    groups = tmp_path / "groups.csv"
    groups.write_text("person_id,score,rating\nP1,1,fail\nP2,2,fail\nP3,3,pass\nP4,4,pass\n")
    res = ss.set_cut_score("contrasting-groups", forms=forms, ratings=groups)
    assert res.detail.status == "separated" and res.detail.raw_cut == 2.5
    with pytest.raises(InputError, match="not a numeric rating"):
        ss.set_cut_score("borderline-regression", forms=forms, ratings=exam, borderline=1)


def test_set_cut_score_accepts_a_scale_dataclass():
    from dataclasses import dataclass

    @dataclass(frozen=True)
    class SpecScale:  # the shape of the spec's scale block
        slope: float = 10.0
        intercept: float = 500.0
        round: int = 0
        min: float | None = 200.0
        max: float | None = 800.0

    res = ss.set_cut_score(None, forms={"A": three_pl()}, theta=-0.44, scale=SpecScale())
    assert res.scale_cut == 496.0  # 495.6 -> 496


def test_angoff_recovers_a_known_borderline_theta():
    # 8 raters rate 40 3PL items with P_j(theta*) + N(0, .08) noise. Each rater's cut has noise
    # SD .08 * sqrt(40) = .51 raw points, the panel mean .18; the TCC slope near theta* is ~6-8
    # points per logit, so the theta cut's SD is ~.03. Tolerance .12 (about 4 SD); the
    # reported SE must cover the error within 4 SE as well.
    rng = np.random.default_rng(11)
    n_items, n_raters, true_theta = 40, 8, -0.3
    a = rng.uniform(0.7, 2.0, n_items)
    b = rng.normal(0, 1, n_items)
    c = rng.uniform(0.1, 0.25, n_items)
    ids = tuple(f"Q{j}" for j in range(n_items))
    params = ItemParameters(item_ids=ids, model=("3pl",) * n_items, a=a, b=b, c=c)
    p_star = c + (1 - c) / (1 + np.exp(-a * (true_theta - b)))
    ratings = np.clip(p_star + rng.normal(0, 0.08, (n_raters, n_items)), 0, 1)
    rows = [(f"R{r}", ids[j], ratings[r, j]) for r in range(n_raters) for j in range(n_items)]
    res = ss.angoff(ss.Ratings.from_arrays(*zip(*rows, strict=True)), params)
    assert res.theta_cut == pytest.approx(true_theta, abs=0.12)
    assert abs(res.theta_cut - true_theta) < 4 * res.se_theta + 0.02  # .02: clipping bias


def test_theta_raw_round_trip():
    p = three_pl()
    for theta in np.linspace(-3, 3, 13):
        raw = ss.raw_for_theta(p, theta, rounding="none")
        assert ss.theta_for_raw(p, raw).theta == pytest.approx(theta, abs=1e-8)
