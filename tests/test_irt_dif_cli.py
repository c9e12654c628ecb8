"""``credkit dif`` with several focal groups, given anchors and purification, on the worked
example (DIF planted against F on DA-0003 and DA-0125 of form-A; specs/data/simulate_example.py).
A third group is made by relabelling every other F candidate as G: G then shares F's DIF, so
both focal groups must show it and the omnibus test has 2 x 2 degrees of freedom."""

from __future__ import annotations

import csv
import json
from pathlib import Path

from click.testing import CliRunner

from psychometrics.cli import main

ROOT = Path(__file__).resolve().parent.parent
FORM = ROOT / "specs" / "forms" / "data-analytics-fundamentals" / "form-A.yaml"


def _three_groups(tmp_path: Path) -> Path:
    src = ROOT / "specs" / "data" / "responses.csv"
    out = tmp_path / "responses3.csv"
    with src.open(newline="") as fin, out.open("w", newline="") as fout:
        reader, writer = csv.reader(fin), csv.writer(fout)
        header = next(reader)
        col = header.index("group")
        writer.writerow(header)
        n_f = 0
        for row in reader:
            if row[col] == "F":
                n_f += 1
                row[col] = "G" if n_f % 2 == 0 else "F"
            writer.writerow(row)
    return out


def _args(path):
    return [
        "dif", str(path), "--bank", str(ROOT / "item_bank"), "--form", str(FORM),
        "--group", "group", "--reference", "M",
    ]  # fmt: skip


def test_two_focal_groups_omnibus_test_and_per_group_effects(tmp_path):
    path = _three_groups(tmp_path)
    out = tmp_path / "dif.csv"
    r = CliRunner().invoke(
        main,
        [*_args(path), "--items", "DA-0003,DA-0038", "--cut", "0", "--out", str(out), "--json"],
    )
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["focal_groups"] == ["F", "G"] and res["anchor_rule"] == "all-other"
    rows = {row["item_id"]: row for row in res["items"]}
    planted = rows["DA-0003"]
    assert planted["df"] == 4 and planted["flagged"]
    assert [g["group"] for g in planted["by_group"]] == ["F", "G"]
    assert all(g["signed"] > 0.05 and g["wald_df"] == 2 for g in planted["by_group"])
    assert not rows["DA-0038"]["flagged"]
    with out.open(newline="") as handle:
        header = next(csv.reader(handle))
    assert "signed[G]" in header and "at_cut[F]" in header


def test_given_anchors_and_purification(tmp_path):
    base = [*_args(ROOT / "specs" / "data" / "responses.csv"), "--focal", "F", "--no-wald"]
    r = CliRunner().invoke(main, [*base, "--anchors", "DA-0038,DA-0019,DA-0009", "--json"])
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert sorted(res["anchors"]) == ["DA-0009", "DA-0019", "DA-0038"]
    flagged = {row["item_id"] for row in res["items"] if row["flagged"]}
    assert {"DA-0003", "DA-0125"} <= flagged
    r = CliRunner().invoke(main, [*base, "--items", "DA-0003,DA-0125,DA-0038", "--purify"])
    assert r.exit_code == 0, r.output
    assert "purification, flagged per round: {DA-0003, DA-0125}" in r.output


def test_option_errors_are_one_line():
    base = [*_args(ROOT / "specs" / "data" / "responses.csv"), "--focal", "F"]
    r = CliRunner().invoke(main, [*base, "--anchors", "DA-0038", "--purify"])
    assert r.exit_code == 1 and "not both" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, [*base, "--anchors", "NOPE"])
    assert r.exit_code == 1 and "--anchors" in r.output and "NOPE" in r.output
    r = CliRunner().invoke(main, [*base[:-2], "--focal", "M"])
    assert r.exit_code == 1 and "also the --reference" in r.output
