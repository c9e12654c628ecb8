"""The validity report: records of what it shows, SVG plots, evidence map, manifest, HTML, PDF.

:mod:`psychometrics.program.build` fills a :class:`~psychometrics.report.model.ReportData`;
:func:`render_report` turns it into one self-contained HTML file (checking that every evidence-map
row shown as met points at evidence that is there, :func:`missing_evidence`);
:func:`psychometrics.report.pdf.html_to_pdf` typesets it with WeasyPrint (the ``pdf`` extra), and
:mod:`psychometrics.report.candidates` renders the candidates' score reports. The report reads
results and never recomputes them.
"""

from psychometrics.report.evidence import evidence_map, missing_evidence
from psychometrics.report.manifest import build_manifest
from psychometrics.report.model import ReportData
from psychometrics.report.render import render_report
from psychometrics.report.summary import Thresholds, open_problems

__all__ = [
    "ReportData",
    "Thresholds",
    "build_manifest",
    "evidence_map",
    "missing_evidence",
    "open_problems",
    "render_report",
]
