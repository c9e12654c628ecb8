"""credkit dif on the worked example, whose simulation planted DIF against the focal group F on
DA-0003 (+0.9 logits) and DA-0125 (+0.5) of form-A, with a focal mean of -0.1 (impact, not
DIF) and none elsewhere (specs/data/simulate_example.py)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from psychometrics.cli import main

ROOT = Path(__file__).resolve().parent.parent
ARGS = [
    "dif", str(ROOT / "specs" / "data" / "responses.csv"), "--bank", str(ROOT / "item_bank"),
    "--form", str(ROOT / "specs" / "forms" / "data-analytics-fundamentals" / "form-A.yaml"),
    "--group", "group", "--focal", "F", "--reference", "M",
]  # fmt: skip
PLANTED, CLEAN = ("DA-0003", "DA-0125"), ("DA-0038", "DA-0019")


def test_the_planted_items_are_found_and_impact_is_not_dif(tmp_path):
    out = tmp_path / "dif.csv"
    items = ",".join(PLANTED + CLEAN)
    r = CliRunner().invoke(main, [*ARGS, "--items", items, "--out", str(out), "--json"])
    assert r.exit_code == 0, r.output
    result = json.loads(r.stdout)
    assert abs(result["focal_mean"] - (-0.1)) < 0.15  # about 3 SEs with ~600 per group
    rows = {row["item_id"]: row for row in result["items"]}
    for item in PLANTED:  # harder for F: the reference group's expected score is higher
        assert rows[item]["flagged"] and rows[item]["signed"] > 0, rows[item]
        assert rows[item]["wald_p"] < 0.05
    for item in CLEAN:
        assert not rows[item]["flagged"], rows[item]
    with out.open(newline="") as handle:
        assert [row["item_id"] for row in csv.DictReader(handle)] == list(PLANTED + CLEAN)


def test_a_group_value_nobody_has_is_named():
    r = CliRunner().invoke(main, [*ARGS[:-2], "--reference", "X", "--items", "DA-0003"])
    assert r.exit_code == 1
    assert "--reference 'X': no person has it" in r.output
