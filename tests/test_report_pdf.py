"""``credkit build --pdf``: report.pdf typeset by WeasyPrint (the pdf extra), read back with pypdf.

Where the extra is not installed, only the one-line hint is checked.
"""

from __future__ import annotations

import builtins
import re

import pytest
from click.testing import CliRunner
from programs import make_program

from psychometrics.cli import main
from psychometrics.program.build import build
from psychometrics.report.model import SECTIONS


def test_without_weasyprint_one_line_says_how_to_install(tmp_path, monkeypatch):
    spec = make_program(tmp_path, n_per_outcome=12, n_persons=200)
    real_import = builtins.__import__

    def no_weasyprint(name, *args, **kwargs):
        if name == "weasyprint" or name.startswith("weasyprint."):
            raise ImportError("No module named 'weasyprint'")
        return real_import(name, *args, **kwargs)

    monkeypatch.setattr(builtins, "__import__", no_weasyprint)
    res = CliRunner().invoke(main, ["build", str(spec), "--pdf"])
    assert res.exit_code == 1
    lines = [ln for ln in res.output.splitlines() if ln.strip()]
    assert len(lines) == 1 and "pip install 'credkit[pdf]'" in lines[0], res.output
    assert "Traceback" not in res.output
    assert not (tmp_path / "reports").exists()  # stopped before any work


def test_pdf_pages_and_text(tmp_path):
    pytest.importorskip("weasyprint")
    pypdf = pytest.importorskip("pypdf")
    spec = make_program(tmp_path, n_per_outcome=12, n_persons=400)
    result = build(spec, pdf=True, log=lambda _m: None)
    path = result.out_dir / "report.pdf"
    assert path.read_bytes()[:5] == b"%PDF-"
    reader = pypdf.PdfReader(str(path))
    n = len(reader.pages)
    texts = [" ".join(p.extract_text().split()) for p in reader.pages]
    # every section starts a new page (print CSS), so there are at least as many pages
    assert n >= len(SECTIONS)
    for k, text in enumerate(texts, start=1):
        assert f"page {k} of {n}" in text  # the page numbers in the margin agree with the file
    assert SECTIONS[0][1] in texts[0]  # the summary follows the title on page 1
    for _, title in SECTIONS[1:]:
        assert [t for t in texts if t.startswith(title)], f"no page starts with {title!r}"
    joined = " ".join(texts)
    assert "Adverse impact" in joined and "Raw-to-scale conversion" in joined
    assert re.search(r"Impact ratio \(F / M\) \d\.\d{3}", joined)
    # item-level ratings are printed, not hidden in a collapsed <details>
    rated = result.state.round_details[max(result.state.round_details)].item_ids
    assert all(i in joined for i in rated)
