"""Issue 14: IRT DIF in ``credkit analyze --irt-dif`` and in the validity report's fairness
section, beside Mantel-Haenszel and logistic regression.

Known truth: the test program (tests/programs.py) plants DIF of 1.2 logits against the focal
group on one item; the worked example plants it on DA-0003 (+0.9) and DA-0125 (+0.5) of form-A
(specs/data/simulate_example.py). The report must name the methods that flag each item, give
the IRT effect on the raw-score scale (over the focal group and at the cut) and each form's DTF
at the cut, which is the sum of its items' differences there.
"""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from programs import DIF_ITEM, make_program

from psychometrics.cli import main
from psychometrics.program.build import build

ROOT = Path(__file__).resolve().parent.parent
FORM = ROOT / "specs" / "forms" / "data-analytics-fundamentals" / "form-A.yaml"


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("program")
    spec = make_program(root)
    return build(spec, argv=["credkit", "build", str(spec)], log=lambda _m: None)


def test_the_report_names_the_methods_and_gives_irt_effects_and_dtf_at_the_cut(built):
    fa = built.report.fairness
    assert fa.irt_note and "likelihood-ratio" in fa.irt_note
    rows = {r.item_id: r for r in fa.rows}
    planted = rows[DIF_ITEM]
    assert "IRT" in planted.flagged_by and planted.flagged_by[0].startswith("MH ")
    assert planted.irt_flagged and planted.irt_p < 0.001
    assert planted.irt_signed > 0.05 and planted.irt_at_cut > 0.05  # harder for the focal group
    n_irt = sum(r.irt_flagged for r in fa.rows)
    assert n_irt <= 1 + 0.15 * len(fa.rows)  # the rest at about the nominal .05
    theta_cut = built.state.cut.theta_cut
    for t in fa.dtf:
        res = built.state.irt_dif[t.form_id]
        at = res.at(theta_cut)
        assert t.at_cut == pytest.approx(sum(v[0] for v in at.values()))
        assert t.n_items == len(res.items)
    html = built.index.read_text(encoding="utf-8")
    assert 'id="irt-dif"' in html and 'id="dtf"' in html and "Flagged by" in html


def test_analyze_irt_dif_flags_the_planted_items(tmp_path):
    out = tmp_path / "items.csv"
    args = [
        "analyze", str(ROOT / "specs" / "data" / "responses.csv"), "--bank",
        str(ROOT / "item_bank"), "--form", str(FORM), "--group", "group", "--focal", "F",
        "--reference", "M", "--irt-dif", "--out", str(out), "--json",
    ]  # fmt: skip
    r = CliRunner().invoke(main, args)
    assert r.exit_code == 0, r.output
    res = json.loads(r.stdout)
    assert res["irt_dif"]["anchor_rule"] == "all-other" and res["irt_dif"]["focal"] == "F"
    items = {i["item_id"]: i for i in res["items"]}
    for item in ("DA-0003", "DA-0125"):
        assert items[item]["irt_flagged"] and items[item]["irt_signed"] > 0
        assert "dif_irt" in items[item]["flags"]
    assert items["DA-0038"]["irt_p"] > 0.05
    with out.open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert {"irt_g2", "irt_p", "irt_signed", "irt_flagged"} <= set(rows[0])
    r = CliRunner().invoke(main, [*args[:4], "--irt-dif"])
    assert r.exit_code == 1 and "--irt-dif needs --group" in r.output
