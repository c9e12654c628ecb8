"""End-to-end: ``credkit build`` on the repository's worked example (specs/, item_bank/).

Builds into a temporary folder (the repository's reports/ is left alone) and checks the report
as the issue asks: every section present, numbers equal to the library's results, no broken
images or links, no external requests, and the simulated truth recovered (the planted DIF items
listed in specs/data/README.md are flagged).
"""

from __future__ import annotations

import csv
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest

from psychometrics.report.model import SECTIONS

ROOT = Path(__file__).resolve().parent.parent
SPEC = ROOT / "specs" / "data-analytics-fundamentals.yaml"
DATA = ROOT / "specs" / "data"


def _missing() -> str | None:
    """Why the example cannot be built yet (None when it can)."""
    for path in (SPEC, DATA / "responses.csv", DATA / "angoff_ratings.csv"):
        if not path.is_file():
            return f"{path.relative_to(ROOT)} is missing"
    items = sorted((ROOT / "item_bank" / "items").glob("*.yaml"))
    if len(items) < 240:
        return "the example bank is not complete"
    calibrated = sum("\nirt: null" not in p.read_text(encoding="utf-8") for p in items)
    if calibrated < 150:
        return f"the example bank is not calibrated yet ({calibrated} items with parameters)"
    return None


class _Parser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags, self.sections, self._sec = [], {}, None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if tag == "section":
            self._sec = attrs.get("id")
            self.sections[self._sec] = []

    def handle_endtag(self, tag):
        if tag == "section":
            self._sec = None

    def handle_data(self, data):
        if self._sec:
            self.sections[self._sec].append(data)

    def text(self, sec):
        return " ".join(" ".join(self.sections[sec]).split())


@pytest.fixture(scope="module")
def example(tmp_path_factory):
    reason = _missing()
    if reason:
        pytest.skip(f"example program not complete: {reason}")
    from psychometrics.program.build import build

    out = tmp_path_factory.mktemp("example") / "report"
    result = build(SPEC, out=out, log=lambda _m: None)
    html = result.index.read_text(encoding="utf-8")
    parser = _Parser()
    parser.feed(html)
    return result, html, parser


def test_example_builds_every_stage(example):
    result, _, _ = example
    assert [s.status for s in result.stages] == ["ok"] * 6, result.stages
    assert result.cut.method == "angoff"
    assert set(result.forms) == set(result.cut.raw_cuts) == set(result.decisions)
    # the build read the committed published forms; it assembled nothing
    assert not result.proposal and result.assembly is None
    assert result.fingerprints == ()
    published = sorted((ROOT / "specs" / "forms" / "data-analytics-fundamentals").glob("*.yaml"))
    assert [p.stem for p in published] == sorted(result.forms) == ["form-A", "form-B"]
    assert result.administration.id == "2026-w1"
    assert result.administration.counts() == {"form-A": 1173, "form-B": 1227}
    for fid, items in result.forms.items():
        assert len(items) == result.spec.form.length
        assert result.form_statistics[fid].test.n_persons > 900
    assert result.cut.reference_form == "form-A"


def test_example_report_sections_links_and_no_network(example):
    result, html, parser = example
    for key, title in SECTIONS:
        assert key in parser.sections and title in html
    ids = {a["id"] for _, a in parser.tags if "id" in a}
    for tag, attrs in parser.tags:
        assert tag not in ("script", "img", "iframe", "link", "object", "embed")
        for name in ("src", "href", "action", "poster"):
            value = attrs.get(name)
            if value is not None and not value.startswith("#"):  # a CSV beside the report
                assert tag == "a" and "/" not in value and (result.out_dir / value).is_file()
            elif value is not None:
                assert value[1:] in ids, (tag, attrs)
    assert not re.search(r"https?://", html)
    assert "Not available" not in html
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) >= 7
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.get("aria-label")
        assert root.find("title") is not None and root.find("desc") is not None
    header = html.split("</style>", 1)[1].split("<main>", 1)[0]
    assert "are simulated" in header  # the README and the report say plainly: simulated data
    # the report names the administration and the published forms candidates took
    assert "Administration 2026-w1, window 2026-11-23 to 2026-11-27: 2400 candidates" in header
    content = parser.text("content")
    assert "form-A (40 items, published 2026-11-20" in content
    assert "form-B (40 items, published 2026-11-20" in content


def test_example_numbers_equal_library_results(example):
    result, _, parser = example
    structure = parser.text("structure")
    for fid, info in result.information.items():
        assert f"{result.form_statistics[fid].test.alpha:.3f}" in structure
        assert f"{info.marginal_reliability:.3f}" in structure
        csem = result.csem_at_cut[fid]
        assert f"{csem.se_theta:.3f} {csem.se_raw:.2f}" in structure
    decisions = parser.text("decisions")
    for fid, d in result.decisions.items():
        assert f"{fid} {d.accuracy:.3f} {d.consistency:.3f}" in decisions
    ss = parser.text("standard-setting")
    assert f"theta {result.cut.theta_cut:.3f}" in ss
    assert f"{100 * result.pass_rates.overall:.1f}% of the candidates pass" in ss
    comparability = parser.text("comparability")
    for fid, raw in result.cut.raw_cuts.items():
        exact = result.cut.raw_cuts_exact[fid]
        assert f"{fid} {float(raw):.2f} {float(exact):.2f}" in comparability
    content = parser.text("content")
    for oid in result.spec.form.blueprint:
        assert oid in content


def test_example_flags_the_planted_dif_items(example):
    result, _, parser = example
    planted = re.findall(r"^- `(DA-\d{4})`: difficulty \+", (DATA / "README.md").read_text(), re.M)
    assert len(planted) == 2
    dif = {it.item_id: it for res in result.dif.values() for it in res.items}
    # the larger planted shift (0.9 logit) must reach class C; the smaller at least B
    assert dif[planted[0]].ets_class == "C"
    assert dif[planted[1]].ets_class in ("B", "C")
    fairness = parser.text("fairness")
    assert planted[0] in fairness and planted[1] in fairness
    clean = [it for it in dif.values() if it.item_id not in planted and it.ets_class == "C"]
    assert len(clean) <= 1  # ~78 clean item analyses at alpha .05


class _ById(HTMLParser):
    """Text, body rows and figures under every element with an id (written for the test)."""

    VOID = {"br", "img", "meta", "link", "input", "hr", "col", "wbr"}

    def __init__(self):
        super().__init__()
        self.open, self.text, self.rows, self.svgs, self.tag = [], {}, {}, {}, {}

    def handle_starttag(self, tag, attrs):
        ident = dict(attrs).get("id")
        if ident:
            self.text[ident], self.rows[ident], self.svgs[ident] = "", 0, 0
            self.tag[ident] = tag
        in_body = any(t == "tbody" for t, _ in self.open)
        for _, i in self.open:
            if i and tag == "tr" and in_body:
                self.rows[i] += 1
            if i and tag == "svg":
                self.svgs[i] += 1
        if tag not in self.VOID:
            self.open.append((tag, ident))

    def handle_endtag(self, tag):
        for k in range(len(self.open) - 1, -1, -1):
            if self.open[k][0] == tag:
                del self.open[k:]
                break

    def handle_data(self, data):
        for _, i in self.open:
            if i:
                self.text[i] += data


def test_example_every_met_evidence_row_points_at_present_evidence(example):
    result, html, _ = example
    parser = _ById()
    parser.feed(html)
    met = [e for e in result.report.evidence if e.status == "met"]
    assert len(met) >= 10
    # the score-conversion and equating rows are met now
    clauses = {e.clause for e in met}
    assert "Standard 21 (Examination Score Equating)" in clauses
    assert "Ch. 5 (score scales, linking)" in clauses
    for row in result.report.evidence:
        if row.status != "met":
            continue
        assert row.elements, row.clause
        for el in row.elements:
            assert el in parser.text, (row.clause, el)
            if parser.tag[el] == "table":
                assert parser.rows[el] > 0, (row.clause, el)
            else:
                assert parser.text[el].strip() or parser.svgs[el], (row.clause, el)
    ids = re.findall(r'\bid="([^"]+)"', html)
    assert len(ids) == len(set(ids)), "duplicate element ids"


def test_example_body_keeps_the_forms_items_and_links_the_bank_csv(example):
    result, html, _ = example
    parser = _ById()
    parser.feed(html)
    on_forms = {i for items in result.state.forms.values() for i in items}
    assert parser.rows["item-table"] == len(on_forms)
    with open(result.out_dir / "items.csv", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert len(rows) > len(on_forms) and {r["item_id"] for r in rows} >= on_forms
    grm = [r for r in rows if r["model"] == "grm"]
    assert grm and all(len(r["thresholds"].split(";")) >= 2 and r["c"] == "" for r in grm)
    assert all(r["se_a"] for r in rows if r["model"] == "3pl")
    with open(result.out_dir / "inputs.csv", newline="") as fh:
        files = list(csv.DictReader(fh))
    sets = sorted(p.name for p in (ROOT / "item_bank" / "sets").glob("*.yaml"))
    assert sets and sorted(Path(f["path"]).name for f in files if f["role"] == "item set") == sets
    assert 'href="items.csv"' in html and 'href="inputs.csv"' in html


def test_example_adverse_impact_matches_an_independent_count(example):
    result, html, parser = example
    from scipy import stats

    passed = np.asarray(result.state.passed)
    group = np.asarray(result.state.responses.groups["group"])
    xf, nf = int(passed[group == "F"].sum()), int((group == "F").sum())
    xr, nr = int(passed[group == "M"].sum()), int((group == "M").sum())
    ratio = (xf / nf) / (xr / nr)
    fisher = stats.fisher_exact([[xf, nf - xf], [xr, nr - xr]])[1]
    im = result.report.fairness.impact
    assert im.impact_ratio == pytest.approx(ratio, rel=1e-12)
    assert im.fisher_p == pytest.approx(fisher, rel=1e-9)
    text = parser.text("fairness")
    assert f"{ratio:.3f}" in text and "four-fifths" in text and "Sample size" in text


def test_example_scores_per_form_match_the_candidates(example):
    result, html, parser = example
    st = result.state
    text = parser.text("comparability")
    for fid, conv in st.conversions.items():
        mask = st.administration.takers(fid)
        raw = st.administration.form_responses(fid).sum_scores()
        assert conv.n == int(mask.sum())
        assert conv.pass_rate == pytest.approx(np.mean(raw >= st.cut.raw_cuts[fid]))
        assert np.array_equal(conv.frequency[: raw.max() + 1], np.bincount(raw))
        assert f"{100 * conv.pass_rate:.1f}%" in text
        assert f"Raw scores on {fid}" in html  # one distribution per form, with its own cut
    assert "Raw score distribution (all forms)" not in html


def test_example_panel_outliers_by_round(example):
    result, html, parser = example
    ss = result.report.standard_setting
    r5 = next(r for r in ss.raters if r.rater == "R5")
    r4 = next(r for r in ss.raters if r.rater == "R4")
    assert r5.flags[0] and not r4.flags[-1]  # R4's 0.6 points in round 2 is not far
    text = parser.text("standard-setting")
    assert "Round 1: far from the panel: R5" in text and "R8" in text
    assert "10% of the 44-point maximum" in text


def test_example_plot_labels_sit_above_the_curves(example):
    _, html, _ = example
    found = 0
    for svg in re.findall(r"<svg\b.*?</svg>", html, flags=re.S):
        if "Wright map" in svg:  # its cut is a horizontal line labelled at the right edge
            continue
        for y, label in re.findall(r'<text x="[^"]+" y="([^"]+)"[^>]*>((?:raw )?cut [^<]*)<', svg):
            assert float(y) < 44, label  # in the top margin, not over the plotting area
            found += 1
    assert found >= 5  # TIF, CSEM, TCC, the flagged items' curves, the distributions


def test_example_flagged_items_have_distractor_tables(example):
    result, html, parser = example
    flagged = {r.item_id for r in result.report.items.rows if r.flags}
    tables = {t.item_id: t for t in result.report.items.distractors}
    assert flagged and flagged <= set(tables) | {
        r.item_id for r in result.report.items.rows if r.model == "grm"
    }
    text = parser.text("items")
    for item_id, t in tables.items():
        assert sum(o.share for o in t.options) == pytest.approx(1.0, abs=1e-9)
        assert sum(o.is_key for o in t.options) >= 1
        assert f"{item_id} on {t.form_id}" in text


def test_decision_record_separates_the_candidates_results(example):
    """decision.json (read by the badge issuer) agrees with every row of results.csv: a pass is
    a scale score at or above the recorded scale cut and a raw score at or above its form's raw
    cut (the example's pass rule is raw)."""
    import csv
    import json

    result, _, _ = example
    record = json.loads((result.out_dir / "decision.json").read_text(encoding="utf-8"))
    assert record["format"] == "credkit-decision/1"
    assert record["pass_rule"] == "raw" and record["administration"] == "2026-w1"
    assert set(record["raw_cuts"]) == {"form-A", "form-B"}
    with (result.candidates_dir / "results.csv").open(newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 2400
    for row in rows:
        passed = row["passed"] == "true"
        assert (float(row["scale_score"]) >= record["scale_cut"]) == passed, row
        assert (float(row["raw_score"]) >= record["raw_cuts"][row["form_id"]]) == passed, row
