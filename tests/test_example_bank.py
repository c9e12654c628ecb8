"""The example bank (item_bank/): authoring self-check, consistency and simulated calibration.

These tests check the committed bank files, not a fresh simulation: the item files must match
their authoring sources, every generated key must be recomputable independently, the bank must
lint without errors, and the committed parameters and statistics must be consistent with the
committed simulated responses and true parameters.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parent.parent
BANK = ROOT / "item_bank"
TOOLS = BANK / "tools"
SPEC = ROOT / "specs" / "data-analytics-fundamentals.yaml"

if not (BANK / "items").is_dir():  # pragma: no cover - the bank ships with the repository
    pytest.skip("no example bank", allow_module_level=True)

sys.path.insert(0, str(TOOLS))
import author_items  # noqa: E402
import item_models  # noqa: E402

from psychometrics.bank.store import bank_keys, load_bank  # noqa: E402
from psychometrics.responses import read_responses  # noqa: E402


@pytest.fixture(scope="module")
def bank():
    return load_bank(BANK)


def test_every_generated_key_is_recomputed_independently():
    drafts = item_models.generate(author_items.SEED)
    assert len(drafts) > 100
    problems = [p for d in drafts for p in item_models.check_draft(d)]
    assert problems == []


def test_the_generator_check_catches_a_wrong_key():
    # for every item model: make a distractor the key and check that the self-check objects
    seen = set()
    for d in item_models.generate(author_items.SEED):
        if d.model is None or d.model in seen or not d.wrong:
            continue
        seen.add(d.model)
        wrong_text, why = d.wrong[0]
        d.wrong[0] = (d.key, why)
        d.key = wrong_text
        assert any("recomputed" in p for p in item_models.check_draft(d)), d.model
    assert len(seen) >= 25


def test_join_checker_against_hand_counts():
    # customers 101, 102, 103; orders for 101, 101, 104 (104 has no customer)
    p = {"customers": [101, 102, 103], "orders": [101, 101, 104]}
    sql = {
        "INNER": "SELECT * FROM customers c INNER JOIN orders o ON o.customer_id = c.id;",
        "LEFT_C": "SELECT * FROM customers c LEFT JOIN orders o ON o.customer_id = c.id;",
        "LEFT_O": "SELECT * FROM orders o LEFT JOIN customers c ON o.customer_id = c.id;",
        "FULL": "SELECT * FROM customers c FULL OUTER JOIN orders o ON o.customer_id = c.id;",
    }
    # by hand: inner 2 (101 twice); left from customers 4 (101 x2, 102, 103);
    # left from orders 3; full outer 5 (the left join's 4 plus the orphan order 104)
    expected = {"INNER": "2", "LEFT_C": "4", "LEFT_O": "3", "FULL": "5"}
    for name, query in sql.items():
        assert item_models.check_join_rows({**p, "sql": query}) == expected[name]


def test_descriptive_checkers_against_hand_values():
    # 3, 9, 4, 8: sorted 3 4 8 9, median 6; mean 6; sample SD sqrt(26/3) = 2.94
    assert item_models.check_median({"xs": [3, 9, 4, 8]}) == "6.0"
    assert item_models.check_standard_deviation({"xs": [3, 9, 4, 8], "kind": "sample"}) == "2.94"
    # population SD sqrt(26/4) = 2.55
    assert item_models.check_standard_deviation({"xs": [3, 9, 4, 8], "kind": "population"}) == (
        "2.55"
    )
    # halves 1 2 3 4 | 5 6 7 8 -> Q1 2.5, Q3 6.5, IQR 4
    assert item_models.check_iqr({"xs": [8, 1, 7, 2, 6, 3, 5, 4]}) == "4.0"
    # 1 - 0.9^2 = 0.19
    assert item_models.check_at_least_one({"p": 0.1, "k": 2}) == "0.190"


def test_keyed_option_is_still_the_authored_key(bank):
    # the item files are the bank of record (wording may be edited there), but the keyed option
    # must still be the key the source or item model says is correct
    built, _ = author_items.build()
    for item in built:
        if item["type"] == "rubric":
            continue
        on_disk = bank[item["id"]]
        keys = [item["key"]] if isinstance(item["key"], str) else item["key"]
        expected = sorted(item["options"][k] for k in keys)
        assert sorted(on_disk.options[k] for k in on_disk.key) == expected, item["id"]
        if "tags" in item:  # generated items: the options are computed, not wording
            assert sorted(on_disk.options.values()) == sorted(item["options"].values())


def test_bank_lints_without_errors():
    from psychometrics.bank.lint import lint_bank

    report = lint_bank(BANK, spec=SPEC if SPEC.exists() else None)
    assert report.errors == ()
    assert report.n_files >= 240


def test_bank_shape(bank):
    items = list(bank)
    assert len(items) >= 240
    by_outcome = {o: sum(i.outcome == o for i in items) for o in author_items.OUTCOMES}
    assert all(n >= 38 for n in by_outcome.values()), by_outcome
    assert sum(i.type == "rubric" for i in items) >= 4
    assert sum(i.type == "msq" for i in items) >= 3
    assert {i.status for i in items} >= {"operational", "pretest", "draft", "retired"}
    pairs = {tuple(sorted((i.id, e))) for i in items for e in i.enemies}
    assert len(pairs) >= 4
    assert {"DA-SET-01", "DA-SET-02"} <= set(bank.sets)


def test_parameters_only_on_operational_and_pretest_items(bank):
    for item in bank:
        if item.status in ("operational", "pretest"):
            assert item.irt is not None and item.irt.calibration == "SIM-2026-11", item.id
            assert item.irt.model == ("grm" if item.type == "rubric" else "3pl"), item.id
            assert item.stats is not None and item.stats.n == item.irt.n, item.id
        elif item.status in ("draft", "review", "approved"):
            # never administered: no parameters (retired/suspended items may keep theirs)
            assert item.irt is None and item.stats is None, item.id


def test_stats_p_equals_proportion_correct_in_the_responses(bank):
    path = BANK / "calibration" / "responses.csv"
    assert path.stat().st_size < 3 * 1024**2
    calibrated = [i.id for i in bank if i.irt is not None]
    rm = read_responses(path, key=bank_keys(bank, item_ids=calibrated), ignore=["booklet"])
    assert sorted(rm.item_ids) == sorted(calibrated)
    pres = rm.presented
    for j, item_id in enumerate(rm.item_ids):
        item = bank[item_id]
        scores = rm.scores[pres[:, j], j]
        p = scores.mean() / (item.max_score if item.type == "rubric" else 1)
        # stats are written rounded to 4 decimals
        assert abs(p - item.stats.p) < 6e-5, item_id
        assert item.stats.n == pres[:, j].sum() == item.irt.n


def test_committed_parameters_recover_the_true_ones(bank):
    with open(BANK / "calibration" / "true_parameters.csv", newline="") as handle:
        true = {row["item_id"]: row for row in csv.DictReader(handle)}
    three = [i for i in bank if i.irt is not None and i.irt.model == "3pl"]
    assert {i.id for i in bank if i.irt is not None} == set(true)
    tb = np.array([float(true[i.id]["b1"]) for i in three])
    eb = np.array([i.irt.b[0] for i in three])
    ta = np.array([float(true[i.id]["a"]) for i in three])
    ea = np.array([i.irt.a for i in three])
    # ~1,000 responses per item (3,000 for anchors): SE(b) about 0.1-0.3 against a true-b SD of
    # about 1, so r(b) should be near 0.97; SE(a) about 0.15-0.25 against a true-a SD of about
    # 0.35, so r(a) near 0.85. The bounds leave room for sampling noise, not for a broken pipeline.
    assert np.corrcoef(tb, eb)[0, 1] > 0.93
    assert np.corrcoef(ta, ea)[0, 1] > 0.7
    assert abs(np.mean(eb - tb)) < 0.2


def test_key_positions_are_balanced(bank):
    keys = [i.key[0] for i in bank if i.type == "mcq" and len(i.options) == 4]
    counts = np.array([keys.count(c) for c in "ABCD"])
    assert counts.min() >= 0.8 * counts.mean()


def test_seeded_models_are_reproducible():
    a = item_models.generate(author_items.SEED)
    b = item_models.generate(author_items.SEED)
    assert [(d.stem, d.key) for d in a] == [(d.stem, d.key) for d in b]
