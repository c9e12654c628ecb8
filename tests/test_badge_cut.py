"""The badge's required scale score comes from the validity report's decision.json when no
--cut is given (the program layout: reports/<credential id>/ beside specs/)."""

from __future__ import annotations

import json

from click.testing import CliRunner
from credentials_helpers import write_spec

from psychometrics.cli import main


def _program(tmp_path, decision: str | None):
    specs = tmp_path / "specs"
    specs.mkdir()
    spec = write_spec(specs, extra="  issuer_id: did:web:credentials.example.org\n")
    if decision is not None:
        report = tmp_path / "reports" / "data-analytics-fundamentals"
        report.mkdir(parents=True)
        (report / "decision.json").write_text(decision)
    return spec


def test_the_recorded_scale_cut_is_the_required_value(tmp_path):
    spec = _program(tmp_path, json.dumps({"format": "credkit-decision/1", "scale_cut": 517.0}))
    r = CliRunner().invoke(main, ["badge", "achievement", str(spec)])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["resultDescription"][0]["requiredValue"] == "517"


def test_a_malformed_record_is_one_line_naming_it(tmp_path):
    spec = _program(tmp_path, '{"format": "something-else"}')
    r = CliRunner().invoke(main, ["badge", "achievement", str(spec)])
    assert r.exit_code == 1
    assert "decision.json" in r.output and "credkit-decision/1" in r.output


def test_without_a_report_the_cut_must_be_given(tmp_path):
    spec = _program(tmp_path, None)
    r = CliRunner().invoke(main, ["badge", "achievement", str(spec)])
    assert r.exit_code == 1 and "--cut" in r.output
