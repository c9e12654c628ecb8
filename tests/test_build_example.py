"""End-to-end: ``credkit build`` on the repository's worked example (specs/, item_bank/).

Builds into a temporary folder (the repository's reports/ is left alone) and checks the report
as the issue asks: every section present, numbers equal to the library's results, no broken
images or links, no external requests, and the simulated truth recovered (the planted DIF items
listed in specs/data/README.md are flagged).
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

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
    _, html, parser = example
    for key, title in SECTIONS:
        assert key in parser.sections and title in html
    ids = {a["id"] for _, a in parser.tags if "id" in a}
    for tag, attrs in parser.tags:
        assert tag not in ("script", "img", "iframe", "link", "object", "embed")
        for name in ("src", "href", "action", "poster"):
            if attrs.get(name) is not None:
                assert attrs[name].startswith("#") and attrs[name][1:] in ids, (tag, attrs)
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
