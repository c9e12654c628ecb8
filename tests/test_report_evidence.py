"""The evidence map's rows name report elements; a *met* row must point at present evidence."""

from __future__ import annotations

from dataclasses import replace

import pytest
from programs import make_program

from psychometrics.program.build import build
from psychometrics.report.evidence import MET, PARTLY, REQUIREMENTS, missing_evidence
from psychometrics.report.model import EvidenceRow
from psychometrics.report.render import render_report


def _row(status, elements):
    return EvidenceRow("F", "C1", "req", status, "ev", None, elements)


def test_missing_and_empty_elements_are_reported():
    html = (
        "<html><body><table id='t'><thead><tr><th>x</th></tr></thead><tbody></tbody></table>"
        "<p id='p'>  </p><p id='ok'>text</p><div id='fig'><svg></svg></div></body></html>"
    )
    assert missing_evidence(html, [_row(MET, ("ok", "fig"))]) == []
    problems = missing_evidence(html, [_row(MET, ("t", "p", "nowhere"))])
    assert any("#t" in p and "no rows" in p for p in problems)
    assert any("#p" in p and "empty" in p for p in problems)
    assert any("#nowhere" in p and "missing" in p for p in problems)
    assert missing_evidence(html, [_row(PARTLY, ("nowhere",))]) == []  # only met rows
    assert missing_evidence(html, [_row(MET, ())])  # met without naming evidence


def test_every_requirement_with_sections_names_its_elements():
    for req in REQUIREMENTS:
        if req.needs:
            assert req.elements, req.clause


@pytest.fixture(scope="module")
def small(tmp_path_factory):
    spec = make_program(tmp_path_factory.mktemp("ev"), n_per_outcome=12, n_persons=400)
    return build(spec, log=lambda _m: None)


def test_built_report_has_every_met_rows_evidence(small):
    html = small.index.read_text()
    assert missing_evidence(html, small.report.evidence) == []
    assert sum(e.status == MET for e in small.report.evidence) >= 8


def test_a_met_row_whose_element_is_gone_is_shown_partly_met(small):
    report = small.report
    # the scores section disappears but the rows still claim equating is met
    broken = replace(report, scores=None)
    html = render_report(broken)
    row = next(e for e in report.evidence if e.clause.startswith("Standard 21"))
    assert row.status == MET
    start = html.index("Standard 21 (Examination Score Equating)")
    shown = html[start : html.index("</tr>", start)]
    assert "partly met" in shown and "#conversion-tables is missing" in shown
