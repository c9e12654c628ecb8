"""The validity report: records of what it shows, SVG plots, evidence map, manifest, HTML.

:mod:`psychometrics.program.build` fills a :class:`~psychometrics.report.model.ReportData`;
:func:`render_report` turns it into one self-contained HTML file. The report reads results and
never recomputes them.
"""

from psychometrics.report.evidence import evidence_map
from psychometrics.report.manifest import build_manifest
from psychometrics.report.model import ReportData
from psychometrics.report.render import render_report
from psychometrics.report.summary import Thresholds, open_problems

__all__ = [
    "ReportData",
    "Thresholds",
    "build_manifest",
    "evidence_map",
    "open_problems",
    "render_report",
]
