"""Unit tests of the validity report: plots, evidence map, open problems, manifest, HTML.

Everything here runs on synthetic report records, so the tests do not depend on the pipeline.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import numpy as np
import pytest

from psychometrics.report import build_manifest, evidence_map, open_problems, plots, render_report
from psychometrics.report.evidence import MET, OUTSIDE, PARTLY, REQUIREMENTS
from psychometrics.report.model import (
    SECTIONS,
    BankRow,
    BankSection,
    BlueprintRow,
    ContentSection,
    CredentialInfo,
    Curve,
    DecisionRow,
    DecisionSection,
    DifRow,
    Dimensionality,
    FairnessSection,
    FitSummary,
    FormStats,
    GroupRate,
    ItemCurve,
    ItemRow,
    ItemsSection,
    Outcome,
    RaterRow,
    ReportData,
    StageRecord,
    StandardSettingSection,
    StructureSection,
)
from psychometrics.report.summary import Thresholds

HOSTILE = '<script>alert("x")</script><img src="https://evil.example/x.png">'
ALL_SECTIONS = (
    "purpose",
    "content",
    "bank",
    "structure",
    "items",
    "fairness",
    "standard_setting",
    "decisions",
)


def _curve(theta, values):
    return Curve(tuple(float(t) for t in theta), tuple(float(v) for v in values))


def make_forms():
    theta = np.linspace(-4, 4, 33)
    forms = []
    for k, fid in enumerate(("A", "B")):
        info = 8 * np.exp(-0.5 * ((theta + 0.3 - 0.1 * k) / 1.2) ** 2) + 0.5
        forms.append(
            FormStats(
                form_id=fid,
                item_ids=tuple(f"DA-{i:04d}" for i in range(40 * k, 40 * k + 40)),
                n_persons=1000 + k,
                mean=25.123,
                sd=6.2,
                alpha=0.861 - 0.013 * k,
                sem=2.31,
                marginal_reliability=0.842,
                csem_at_cut=0.357,
                information_at_cut=7.85,
                information_at_target=(7.85,),
                raw_cut=23.0 + k,
                raw_cut_exact=22.44 + k,
                max_score=40,
                tif=_curve(theta, info),
                tcc=_curve(theta, 40 / (1 + np.exp(-(theta - 0.1 * k)))),
                csem=_curve(theta, 1 / np.sqrt(info)),
                sum_scores=tuple(float(x) for x in np.random.default_rng(k).integers(5, 40, 300)),
            )
        )
    return tuple(forms)


def make_data(*, hostile: str = HOSTILE, cut_from_method: bool = True, drop=()) -> ReportData:
    forms = make_forms()
    theta = np.linspace(-4, 4, 33)
    credential = CredentialInfo(
        id="data-analytics-fundamentals",
        title=f"Data Analytics {hostile}",
        version="1.0",
        issuer="Example Issuer",
        achievement_type="MicroCredential",
        description=hostile,
        purpose="Certify entry-level data analysis.",
        intended_use="Hiring screens.",
        population="Junior analysts.",
        outcomes=(Outcome("DA1", hostile, "Data types"), Outcome("DA2", "Data preparation")),
    )
    content = ContentSection(
        form_ids=("A", "B"),
        outcome_rows=(
            BlueprintRow("DA1", hostile, "6", (6, 6)),
            BlueprintRow("DA2", "Data preparation", "6-8", (7, 8)),
        ),
        level_rows=(BlueprintRow("apply", "", ">= 10", (12, 11)),),
        solver_status="optimal",
        solver_gap=0.0,
        solver_seconds=0.81,
        max_overlap=0.25,
        overlap=(("A", "B", 9),),
    )
    bank = BankSection(
        path="item_bank",
        statuses=("draft", "pretest", "operational"),
        rows=(BankRow("DA1", (2, 3, 35), 40, 36, 12),),
        n_items=40,
        n_calibrated=36,
        lint_warnings=(f"DA-0001.yaml:3: stem: {hostile}",),
        levels=(("apply", 20),),
        types=(("mcq", 40),),
    )
    structure = StructureSection(
        forms=forms,
        dimensionality=Dimensionality((6.1, 1.3, 1.2, 1.1, 1.0), 4.69, "tetrachoric"),
        fit=FitSummary(m2=812.3, m2_df=740, m2_p=0.03, rmsea=0.012, n_misfit=0),
        parameters_source="the bank's parameters",
    )
    rows = tuple(
        ItemRow(
            item_id=f"DA-{i:04d}",
            outcome="DA1",
            status="operational",
            forms=("A",) if i < 40 else (),
            model="3pl",
            a=1.1,
            b=float(np.random.default_rng(i).normal()),
            c=0.2,
            n=1000,
            p=0.7,
            rpbis=0.35,
            sx2_p=0.5,
            mh_delta=-0.3,
            ets_class="A",
            flags=(hostile,) if i == 3 else (),
        )
        for i in range(60)
    )
    items = ItemsSection(
        rows=rows,
        curves=(
            ItemCurve(
                "DA-0003",
                tuple(theta),
                tuple(1 / (1 + np.exp(-theta))),
                (-1.0, 0.0, 1.0),
                (0.3, 0.5, 0.8),
                hostile,
            ),
        ),
        person_theta=tuple(np.random.default_rng(0).normal(size=500)),
        flag_rules=("p < .20 or p > .95",),
    )
    fairness = FairnessSection(
        "group",
        "F",
        "M",
        (
            DifRow("DA-0007", 1000, 1000, -1.83, 0.0001, "C", "M", 0.001, 0.041, ("A",)),
            DifRow("DA-0008", 1000, 1000, 0.2, 0.5, "A", "", 0.6, 0.001),
        ),
        (GroupRate("F", 1000, 0.612), GroupRate("M", 1000, 0.664)),
    )
    standard_setting = StandardSettingSection(
        method="angoff",
        theta_cut=-0.412,
        se_theta=0.051,
        raw_cut=22.31,
        se_raw=0.62,
        ratings_file="data/angoff_ratings.csv",
        rated_items=40,
        rounds=("1", "2"),
        round_cuts=(21.9, 22.31),
        raters=tuple(RaterRow(f"R{k}", (20.0 + k, 21.5 + k / 2), k == 7) for k in range(8)),
        agreement=0.71,
        agreement_label="ICC(2,1)",
        pass_rate=0.638,
    )
    decisions = DecisionSection(
        "rudner",
        (DecisionRow("A", 0.913, 0.874, 0.041, 0.046), DecisionRow("B", 0.905, 0.866, 0.05, 0.045)),
    )
    sections = {
        "content": content,
        "bank": bank,
        "structure": structure,
        "items": items,
        "fairness": fairness,
        "standard_setting": standard_setting,
        "decisions": decisions,
    }
    unavailable = {}
    for key in drop:
        sections[key] = None
        unavailable[key] = f"{key} stage missing in this test"
    available = [k for k in ALL_SECTIONS if k == "purpose" or sections.get(k) is not None]
    manifest = build_manifest(
        [("spec", __file__)], seeds={"simulation": 20240501}, argv=["credkit", "build", "x.yaml"]
    )
    return ReportData(
        credential=credential,
        manifest=manifest,
        problems=open_problems(
            **sections, unavailable=unavailable, cut_from_method=cut_from_method
        ),
        evidence=evidence_map(available, cut_from_method=cut_from_method),
        stages=(StageRecord(1, "check spec and bank", "ok", 0.12),),
        unavailable=unavailable,
        theta_cut=-0.412,
        simulated_note="The example data are simulated.",
        **sections,
    )


class _Collector(HTMLParser):
    """Collects tags with attributes, the text of each section, and all ids."""

    def __init__(self):
        super().__init__()
        self.tags = []
        self.ids = set()
        self.section_text = {}
        self._section = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.tags.append((tag, attrs))
        if "id" in attrs:
            self.ids.add(attrs["id"])
        if tag == "section":
            self._section = attrs.get("id")
            self.section_text[self._section] = []

    def handle_endtag(self, tag):
        if tag == "section":
            self._section = None

    def handle_data(self, data):
        if self._section is not None:
            self.section_text[self._section].append(data)

    def text(self, section):
        return " ".join(" ".join(self.section_text[section]).split())


@pytest.fixture(scope="module")
def rendered():
    data = make_data()
    html = render_report(data)
    parser = _Collector()
    parser.feed(html)
    return data, html, parser


# ---------------------------------------------------------------- plots


def test_nice_ticks_cover_range_with_round_steps():
    for lo, hi in [(-4, 4), (0, 37.2), (0.013, 0.071), (5, 5), (-1e-3, 2e-3)]:
        ticks = plots.nice_ticks(lo, hi)
        assert ticks[0] <= min(lo, hi) and ticks[-1] >= max(lo, hi)
        steps = np.diff(ticks)
        assert np.allclose(steps, steps[0])
        mantissa = steps[0] / 10 ** np.floor(np.log10(steps[0]))
        assert any(np.isclose(mantissa, m) for m in (1, 2, 2.5, 5, 10))
        assert 2 <= len(ticks) <= 12


def test_nice_ticks_rejects_non_finite():
    with pytest.raises(ValueError, match="finite"):
        plots.nice_ticks(0, float("nan"))


def _parse_svg(svg):
    root = ET.fromstring(svg)
    assert root.tag == "svg"
    return root


@pytest.mark.parametrize(
    "make",
    [
        lambda: plots.line_plot(
            [plots.Series(HOSTILE, [0, 1, 2], [1, 3, 2]), plots.Series("b", [0, 1], [2, 2])],
            title=HOSTILE,
            xlabel=HOSTILE,
            ylabel="y",
            alt=HOSTILE,
            markers=[plots.Marker(1.0, HOSTILE)],
        ),
        lambda: plots.histogram([1, 2, 2, 3, 9], title=HOSTILE, xlabel="x", alt=HOSTILE),
        lambda: plots.wright_map([0, 1, -1, 0.5], [0.2, -0.3], title=HOSTILE, alt=HOSTILE),
        lambda: plots.bar_chart([HOSTILE, "M"], [0.5, 0.6], title="t", ylabel="y", alt=HOSTILE),
    ],
)
def test_every_plot_is_well_formed_accessible_and_escapes_text(make):
    svg = make()
    root = _parse_svg(svg)  # raises if injected markup broke the XML
    assert root.get("role") == "img"
    assert root.get("aria-label") == HOSTILE  # the attribute round-trips the text exactly
    assert root.find("title") is not None and root.find("desc") is not None
    assert root.find("desc").text == HOSTILE
    assert not root.findall(".//script") and not root.findall(".//img")
    assert "<script" not in svg and "<img" not in svg


def test_line_plot_draws_every_series_legend_and_axis_labels():
    svg = plots.line_plot(
        [
            plots.Series("Form A", [0, 1, 2], [1, 2, 3]),
            plots.Series("Form B", [0, 1, 2], [3, 2, 1]),
        ],
        title="TIF",
        xlabel="Theta",
        ylabel="Information",
        alt="alt",
    )
    root = _parse_svg(svg)
    assert len(root.findall("polyline")) == 2
    texts = [t.text for t in root.iter("text")]
    assert "Theta" in texts and "Information" in texts and "Form A" in texts and "Form B" in texts


def test_line_plot_breaks_lines_at_non_finite_points():
    svg = plots.line_plot(
        [plots.Series("s", [0, 1, 2, 3, 4], [1, 2, float("nan"), 3, 4])],
        title="t",
        xlabel="x",
        ylabel="y",
        alt="a",
    )
    assert len(_parse_svg(svg).findall("polyline")) == 2


def test_line_plot_validates_input():
    with pytest.raises(ValueError, match="empty"):
        plots.line_plot([], title="t", xlabel="x", ylabel="y", alt="a")
    with pytest.raises(ValueError, match="length"):
        plots.line_plot(
            [plots.Series("s", [0, 1], [1])], title="t", xlabel="x", ylabel="y", alt="a"
        )


def test_histogram_bars_match_numpy_counts():
    values = np.random.default_rng(3).normal(size=400)
    svg = plots.histogram(values, title="t", xlabel="x", alt="a", bins=12)
    counts, _ = np.histogram(values, bins=12)
    bars = [r for r in _parse_svg(svg).findall("rect") if r.get("fill-opacity") == "0.75"]
    assert len(bars) == int((counts > 0).sum())
    heights = np.array([float(r.get("height")) for r in bars])
    nonzero = counts[counts > 0]
    # bar heights are proportional to the counts (pixel rounding to 0.1)
    assert np.allclose(heights / heights.max(), nonzero / nonzero.max(), atol=0.01)


def test_wright_map_one_dot_per_item_and_person_bars():
    items = [-1.0, -0.9, 0.0, 0.3, 1.2, 2.4]
    persons = np.random.default_rng(1).normal(size=300)
    root = _parse_svg(plots.wright_map(persons, items, cut=-0.4))
    assert len(root.findall("circle")) == len(items)
    assert any("cut -0.40" in (t.text or "") for t in root.iter("text"))


# ---------------------------------------------------------------- evidence map


def test_evidence_map_never_marks_met_without_the_evidence():
    rows = evidence_map([], cut_from_method=True)
    assert len(rows) == len(REQUIREMENTS)
    assert all(r.status in (PARTLY, OUTSIDE) for r in rows)
    assert not any(r.status == MET for r in rows)


def test_evidence_map_full_build():
    rows = evidence_map(ALL_SECTIONS, cut_from_method=True)
    by_clause = {(r.framework, r.clause): r for r in rows}
    assert by_clause[("NCCA Standards", "Standard 17 (Standard Setting)")].status == MET
    assert by_clause[("NCCA Standards", "Standard 14 (Job Analysis)")].status == OUTSIDE
    assert by_clause[("AERA/APA/NCME (2014)", "11.14")].status == MET
    assert by_clause[("ISO/IEC 17024:2012", "9.3.1 (examination design)")].status == MET
    frameworks = {r.framework for r in rows}
    assert frameworks == {"NCCA Standards", "ISO/IEC 17024:2012", "AERA/APA/NCME (2014)"}
    anchors = {key for key, _ in SECTIONS}
    assert all(r.section is None or r.section in anchors for r in rows)


def test_evidence_map_typed_theta_cut_is_only_partly_met():
    rows = evidence_map(ALL_SECTIONS, cut_from_method=False)
    std17 = next(r for r in rows if r.clause.startswith("Standard 17"))
    assert std17.status == PARTLY
    assert "standard-setting study" in std17.evidence


def test_evidence_map_missing_decisions_downgrades_reliability():
    rows = evidence_map([s for s in ALL_SECTIONS if s != "decisions"], cut_from_method=True)
    by_clause = {r.clause: r for r in rows}
    assert by_clause["Standard 20 (Reliability)"].status == PARTLY
    assert by_clause["11.14"].status == OUTSIDE
    assert "Not available" in by_clause["11.14"].evidence


# ---------------------------------------------------------------- open problems


def _levels(problems, area):
    return [p.level for p in problems if p.area == area]


def test_open_problems_grades_reliability_by_thresholds():
    base = make_forms()[0]
    for alpha, level in [(0.65, "red"), (0.75, "amber"), (0.85, "green")]:
        form = dataclasses.replace(base, alpha=alpha, marginal_reliability=0.9)
        problems = open_problems(structure=StructureSection(forms=(form,)))
        assert _levels(problems, "reliability") == [level]
    # a program can set its own limits
    strict = Thresholds(reliability_red=0.9, reliability_amber=0.95)
    problems = open_problems(structure=StructureSection(forms=(base,)), thresholds=strict)
    assert _levels(problems, "reliability") == ["red"]


def test_open_problems_fairness_and_sorting():
    data = make_data()
    assert data.problems[0].level == "red"
    order = {"red": 0, "amber": 1, "green": 2}
    assert [order[p.level] for p in data.problems] == sorted(order[p.level] for p in data.problems)
    fairness = [p for p in data.problems if p.area == "fairness"]
    assert fairness[0].level == "red" and "DA-0007" in fairness[0].message
    raters = [p for p in data.problems if p.area == "standard setting"]
    assert any("R7" in p.message for p in raters)


def test_open_problems_unavailable_stage_is_reported():
    data = make_data(drop=("decisions", "standard_setting"))
    msgs = [(p.level, p.message) for p in data.problems if p.area == "availability"]
    assert ("amber", "decisions not available: decisions stage missing in this test") in msgs
    assert any(level == "red" and "standard setting" in m for level, m in msgs)


def test_open_problems_blueprint_miss_is_red():
    content = ContentSection(
        form_ids=("A",), outcome_rows=(BlueprintRow("DA2", "prep", "6-8", (9,), within=False),)
    )
    problems = open_problems(content=content)
    assert problems[0].level == "red" and "DA2" in problems[0].message


# ---------------------------------------------------------------- manifest


def test_manifest_hashes_match_hashlib(tmp_path):
    f = tmp_path / "responses.csv"
    f.write_bytes(b"person_id,DA-0001\np1,A\n")
    m = build_manifest(
        [("responses", f)], seeds={"s": 7}, argv=["/usr/bin/credkit", "build", "a b.yaml"]
    )
    assert m.files[0].sha256 == hashlib.sha256(f.read_bytes()).hexdigest()
    assert m.files[0].bytes == len(f.read_bytes())
    assert m.command == "credkit build 'a b.yaml'"
    assert m.seeds == {"s": 7}
    assert {"numpy", "scipy", "jinja2"} <= set(m.packages)


# ---------------------------------------------------------------- HTML


def test_every_section_present_in_order(rendered):
    _, html, parser = rendered
    for key, title in SECTIONS:
        assert key in parser.ids
        assert title in html
    positions = [html.index(f'<section id="{key}"') for key, _ in SECTIONS]
    assert positions == sorted(positions)


def test_hostile_bank_text_is_escaped(rendered):
    _, html, parser = rendered
    assert "<script" not in html.lower()
    assert not any(tag in ("script", "img", "iframe", "object") for tag, _ in parser.tags)
    assert "&lt;script&gt;" in html


REPORT_FILES = {"items.csv", "inputs.csv", "params.csv"}


def test_no_external_references(rendered):
    _, html, parser = rendered
    for tag, attrs in parser.tags:
        for name in ("src", "href", "xlink:href", "action", "srcset"):
            value = attrs.get(name)
            if value is not None:  # in-page anchors, or the CSV files beside the report
                assert value.startswith("#") or value in REPORT_FILES, (tag, name, value)
    # the only http(s) text allowed is the escaped hostile text itself, never markup
    stripped = html.replace(HOSTILE.replace("<", "&lt;"), "")
    for m in re.finditer(r"https?://", stripped):
        context = stripped[max(0, m.start() - 30) : m.end() + 20]
        assert "evil.example" in context and "&" in context, context
    assert "@import" not in html
    # url() only for in-document references (the plots' clip paths)
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", html))


def test_every_inline_svg_is_well_formed(rendered):
    _, html, _ = rendered
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) >= 7  # tif, tcc, csem, scree, wright, icc, pass rates
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.get("aria-label")
        assert root.find("title") is not None


def test_numbers_in_html_equal_the_records(rendered):
    data, _, parser = rendered
    structure = parser.text("structure")
    for f in data.structure.forms:
        assert f"{f.alpha:.3f}" in structure
        assert f"{f.marginal_reliability:.3f}" in structure
        assert f"{f.csem_at_cut:.3f}" in structure
    decisions = parser.text("decisions")
    for r in data.decisions.rows:
        assert f"{r.form_id} {r.accuracy:.3f} {r.consistency:.3f}" in decisions
    ss = parser.text("standard-setting")
    assert (
        f"theta {data.standard_setting.theta_cut:.3f} (SE {data.standard_setting.se_theta:.3f})"
        in ss
    )
    assert "63.8% of the candidates pass" in ss
    comparability = parser.text("comparability")
    for f in data.structure.forms:
        assert f"{f.form_id} {f.raw_cut:.2f} {f.raw_cut_exact:.2f} {f.max_score}" in comparability
    fairness = parser.text("fairness")
    assert "DA-0007 A -1.83 0.0001 C M" in fairness
    manifest = parser.text("manifest")
    assert data.manifest.files[0].sha256 in manifest


def test_unavailable_sections_say_so_instead_of_numbers():
    data = make_data(drop=("decisions", "fairness"))
    html = render_report(data)
    parser = _Collector()
    parser.feed(html)
    assert "Not available. decisions stage missing in this test" in parser.text("decisions")
    assert "Not available. fairness stage missing in this test" in parser.text("fairness")


def test_typed_theta_cut_shows_in_summary_and_evidence():
    data = make_data(cut_from_method=False)
    assert any("typed into the spec" in p.message for p in data.problems)
