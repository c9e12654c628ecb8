"""End-to-end tests of ``credkit build`` and ``credkit init`` on a small simulated program.

The program (``programs.make_program``) is simulated with known truth (3PL parameters, one
item with planted DIF against the focal group, Angoff ratings centred on the probability of
success at a known theta), so the report's numbers can be checked both against the library
objects the build returns and against the truth.
"""

from __future__ import annotations

import hashlib
import json
import re
import shutil
import xml.etree.ElementTree as ET
from html.parser import HTMLParser

import pytest
import yaml
from click.testing import CliRunner
from programs import DIF_ITEM, TRUE_CUT, make_program

from psychometrics.cli import main
from psychometrics.errors import CredkitError, InputError
from psychometrics.irt.params_io import read_params
from psychometrics.program.build import build
from psychometrics.report.model import SECTIONS
from psychometrics.scaffold import scaffold


class _Text(HTMLParser):
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


def _quiet(_message):
    pass


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    root = tmp_path_factory.mktemp("program")
    spec = make_program(root)
    result = build(spec, argv=["credkit", "build", str(spec)], log=_quiet)
    html = result.index.read_text(encoding="utf-8")
    parser = _Text()
    parser.feed(html)
    return root, spec, result, html, parser


def test_report_folder_has_every_output(built):
    root, _, result, _, _ = built
    out = root / "reports" / "test-cred"
    assert result.out_dir == out
    for name in ("index.html", "params.csv", "items.csv", "manifest.json"):
        assert (out / name).is_file(), name
    forms = sorted((out / "forms").glob("*.yaml"))
    assert len(forms) == 2 == len(result.forms)
    doc = yaml.safe_load(forms[0].read_text())
    assert len(doc["items"]) == 12 and doc["raw_cut"] == pytest.approx(
        float(result.cut.raw_cuts[doc["form"]])
    )
    params = read_params(out / "params.csv")
    assert len(params.item_ids) == 48
    header = (out / "items.csv").read_text().splitlines()[0].split(",")
    assert header[:4] == ["item_id", "outcome", "status", "forms"]
    assert not [p for p in (root / "reports").iterdir() if p.name.startswith(".")]
    assert all(s.status == "ok" for s in result.stages), result.stages


def test_manifest_hashes_every_input(built):
    root, spec, result, _, parser = built
    manifest = json.loads((result.out_dir / "manifest.json").read_text())
    by_path = {f["path"]: f for f in manifest["files"]}
    inputs = [
        spec,
        root / "specs" / "data" / "responses.csv",
        root / "specs" / "data" / "angoff_ratings.csv",
        *sorted((root / "item_bank" / "items").glob("*.yaml")),
    ]
    for path in inputs:
        rel = str(path.relative_to(root))
        assert by_path[rel]["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert manifest["command"].startswith("credkit build")
    assert {"numpy", "scipy", "jinja2", "click", "pyyaml", "girth"} <= set(manifest["packages"])
    assert hashlib.sha256(spec.read_bytes()).hexdigest() in parser.text("manifest")


def test_every_section_present_and_self_contained(built):
    _, _, result, html, parser = built
    for key, title in SECTIONS:
        assert key in parser.sections and title in html
    for tag, attrs in parser.tags:
        assert tag not in ("script", "img", "iframe", "link", "object")
        for name in ("src", "href", "action"):
            value = attrs.get(name)
            if value is not None and not value.startswith("#"):
                # the appendix links the CSV files written beside the report, nothing else
                assert tag == "a" and name == "href" and "/" not in value, (tag, attrs)
                assert (result.out_dir / value).is_file(), value
    assert not re.search(r"https?://", html)
    assert all(u.startswith("#") for u in re.findall(r"url\(([^)]*)\)", html))
    # every in-page link points to an existing id (no broken anchors)
    ids = {attrs["id"] for _, attrs in parser.tags if "id" in attrs}
    for _, attrs in parser.tags:
        if attrs.get("href", "").startswith("#"):
            assert attrs["href"][1:] in ids, attrs["href"]
    svgs = re.findall(r"<svg\b.*?</svg>", html, flags=re.S)
    assert len(svgs) >= 6
    for svg in svgs:
        root = ET.fromstring(svg)
        assert root.get("role") == "img" and root.find("title") is not None


def test_hostile_spec_text_is_escaped(built):
    _, _, _, html, _ = built
    assert "<script" not in html
    assert "Test &lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt; Credential" in html


def test_numbers_in_report_equal_library_results(built):
    _, _, result, _, parser = built
    structure = parser.text("structure")
    for fid, info in result.information.items():
        assert f"{info.marginal_reliability:.3f}" in structure
        test = result.form_statistics[fid].test
        assert f"{test.alpha:.3f}" in structure
    decisions = parser.text("decisions")
    for fid, d in result.decisions.items():
        assert f"{fid} {d.accuracy:.3f} {d.consistency:.3f}" in decisions
    ss = parser.text("standard-setting")
    detail = result.cut.detail
    assert f"theta {result.cut.theta_cut:.3f} (SE {detail.se_theta:.3f})" in ss
    assert f"{100 * result.pass_rates.overall:.1f}% of the candidates pass" in ss
    comparability = parser.text("comparability")
    for fid, raw in result.cut.raw_cuts.items():
        assert f"{fid} {float(raw):.2f}" in comparability
    fairness = parser.text("fairness")
    dif = {it.item_id: it for res in result.dif.values() for it in res.items}
    assert f"{DIF_ITEM}" in fairness and f"{dif[DIF_ITEM].mh_delta:.2f}" in fairness
    mh_p = dif[DIF_ITEM].mh_p
    shown = "<0.0001" if mh_p < 1e-4 else f"{mh_p:.4f}"
    assert f"{dif[DIF_ITEM].mh_delta:.2f} {shown} C M (reference)" in fairness


def test_recovers_planted_dif_and_the_cut(built):
    _, _, result, _, _ = built
    dif = {it.item_id: it for res in result.dif.values() for it in res.items}
    # a 1.2-logit shift against F on a ~1.2-slope item: |delta| ~ 2.35*1.2*1.2 >> 1.5 -> class C
    assert dif[DIF_ITEM].ets_class == "C" and dif[DIF_ITEM].favors == "reference"
    classes = [it.ets_class for it in dif.values() if it.item_id != DIF_ITEM]
    assert classes.count("C") <= 1  # 47 clean items at alpha .05: at most a stray one
    # ratings centre on P(TRUE_CUT); 6 raters, round-2 noise SD .04 and rater bias SD .03 give
    # a theta SE near 0.05, so 0.2 is four SEs
    assert abs(result.cut.theta_cut - TRUE_CUT) < 0.2
    problems = [p for p in result.report.problems if p.area == "fairness"]
    on_form = any(DIF_ITEM in items for items in result.forms.values())
    assert problems[0].level == ("red" if on_form else "amber")


def test_failing_stage_names_it_and_keeps_previous_report(tmp_path):
    root = tmp_path / "prog"
    spec = make_program(root, n_per_outcome=12, n_persons=300)
    first = build(spec, log=_quiet)
    before = first.index.read_bytes()
    ratings = root / "specs" / "data" / "angoff_ratings.csv"
    lines = ratings.read_text().splitlines()
    lines[3] = lines[3].rsplit(",", 2)[0] + ",high,1"
    ratings.write_text("\n".join(lines) + "\n")
    # a bad rating is found in stage 1, before any estimation
    with pytest.raises(CredkitError, match=r"stage 1/6 .*angoff_ratings.csv:4: rating"):
        build(spec, log=_quiet)
    assert first.index.read_bytes() == before
    assert sorted(p.name for p in (root / "reports").iterdir()) == [
        "test-cred",
        "test-cred-candidates",
    ]


def test_bank_lint_error_stops_at_stage_one(tmp_path):
    root = tmp_path / "prog"
    spec = make_program(root, n_per_outcome=12, n_persons=200)
    bad = root / "item_bank" / "items" / "T-0002.yaml"
    doc = yaml.safe_load(bad.read_text())
    doc["key"] = "Z"
    bad.write_text(yaml.safe_dump(doc))
    logged = []
    with pytest.raises(CredkitError, match=r"stage 1/6.*lint error"):
        build(spec, log=logged.append)
    assert any("T-0002.yaml" in line and "key" in line for line in logged)
    assert not (root / "reports").exists() or not any((root / "reports").iterdir())


def test_without_responses_sections_say_not_available(tmp_path):
    spec = make_program(tmp_path / "prog", n_per_outcome=12, n_persons=50, cut="theta", admin=False)
    result = build(spec, log=_quiet)
    status = {s.index: s.status for s in result.stages}
    assert status[2] == "not available" and status[4] == "ok" and status[5] == "ok"
    assert result.cut.theta_cut == pytest.approx(TRUE_CUT)
    parser = _Text()
    parser.feed(result.index.read_text())
    assert "Not available. no responses were analysed" in parser.text("fairness")
    # without candidates' estimates, decision indices come from the model (Lee), and say so
    assert {d.method for d in result.decisions.values()} == {"lee"}
    assert "no candidate took the form" in parser.text("decisions")
    std17 = next(e for e in result.report.evidence if e.clause.startswith("Standard 17"))
    assert std17.status == "partly met"  # a theta typed into the spec is not a study


def test_cli_build_json_and_errors(tmp_path):
    spec = make_program(tmp_path / "prog", n_per_outcome=12, n_persons=300)
    runner = CliRunner()
    res = runner.invoke(main, ["build", str(spec), "--json", "--out", str(tmp_path / "out")])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["index"] == str(tmp_path / "out" / "index.html")
    assert set(doc["forms"]) == set(doc["raw_cuts"])
    assert (tmp_path / "out" / "index.html").is_file()
    res = runner.invoke(main, ["build", str(tmp_path / "missing.yaml")])
    assert res.exit_code == 1
    assert res.stderr.strip().count("\n") == 0 and "missing.yaml" in res.stderr
    assert "Traceback" not in res.output


# ---------------------------------------------------------------- credkit init


def test_init_scaffolds_a_program_that_checks_clean(tmp_path):
    from psychometrics.bank import lint_bank
    from psychometrics.program.spec import check_spec

    result = scaffold(tmp_path / "Cloud Basics")
    assert result.spec == tmp_path / "Cloud Basics" / "specs" / "cloud-basics.yaml"
    for rel in ("specs/data/README.md", "item_bank/items/EX-0001.yaml", "reports/README.md"):
        assert (tmp_path / "Cloud Basics" / rel).is_file()
    text = result.spec.read_text()
    assert text.count("#") > 20  # a commented spec
    assert [p for p in check_spec(result.spec) if p.severity == "error"] == []
    assert lint_bank(tmp_path / "Cloud Basics" / "item_bank", spec=result.spec).errors == ()


def test_init_never_overwrites(tmp_path):
    scaffold(tmp_path / "prog")
    spec = tmp_path / "prog" / "specs" / "prog.yaml"
    spec.write_text("# my edits\n")
    (tmp_path / "prog" / "item_bank" / "items" / "EX-0002.yaml").unlink()
    with pytest.raises(InputError, match="already exists"):
        scaffold(tmp_path / "prog")
    assert spec.read_text() == "# my edits\n"
    assert not (tmp_path / "prog" / "item_bank" / "items" / "EX-0002.yaml").exists()


def test_init_cli_errors(tmp_path):
    runner = CliRunner()
    (tmp_path / "file").write_text("x")
    res = runner.invoke(main, ["init", str(tmp_path / "file")])
    assert res.exit_code == 1 and "not a folder" in res.stderr
    res = runner.invoke(main, ["init", str(tmp_path / "p"), "--id", "Bad Id"])
    assert res.exit_code == 1 and "--id" in res.stderr
    res = runner.invoke(main, ["init", str(tmp_path / "p2"), "--json"])
    assert res.exit_code == 0 and len(json.loads(res.stdout)["files"]) == 5


def test_out_folder_defaults_next_to_specs(tmp_path):
    from psychometrics.program.build import default_out_dir

    assert (
        default_out_dir(tmp_path / "specs" / "x.yaml", "my-cred")
        == (tmp_path / "reports" / "my-cred").resolve()
    )
    shutil.rmtree(tmp_path, ignore_errors=True)


def test_lee_and_hofstee_paths(tmp_path):
    from psychometrics.classification import lee

    spec = make_program(tmp_path / "prog", n_per_outcome=12, n_persons=400)
    text = spec.read_text()
    text = re.sub(
        r"cut_score:\n(  .*\n)+",
        "cut_score:\n  method: hofstee\n  min_cut: 50\n  max_cut: 80\n  min_fail: 10\n"
        "  max_fail: 40\n",
        text,
    ).replace("method: rudner", "method: lee")
    spec.write_text(text)
    result = build(spec, log=_quiet)
    assert result.cut.method == "hofstee"
    parser = _Text()
    parser.feed(result.index.read_text())
    for fid, d in result.decisions.items():
        assert d.method == "lee"
        # the same call on the form's parameters gives the same numbers
        raw_cut = float(result.cut.raw_cuts[fid])
        again = lee(_form_params(result, fid), raw_cuts=[raw_cut])
        assert d.accuracy == pytest.approx(again.accuracy, abs=1e-12)
        assert f"{fid} {d.accuracy:.3f} {d.consistency:.3f}" in parser.text("decisions")


def _form_params(result, fid):
    return result.params.subset(result.forms[fid])


def test_missing_library_piece_is_reported_not_faked(tmp_path, monkeypatch):

    spec = make_program(tmp_path / "prog", n_per_outcome=12, n_persons=300)

    def refuse(_responses):
        raise ValueError("polychoric correlations failed to converge")

    monkeypatch.setattr("psychometrics.program.build.irt.dimensionality", refuse)
    result = build(spec, log=_quiet)
    assert "dimensionality" in result.report.unavailable
    parser = _Text()
    parser.feed(result.index.read_text())
    assert "Not available. form-A: polychoric correlations failed to converge" in parser.text(
        "structure"
    )
    assert not re.search(r"ratio of the first to the second", parser.text("structure"))


def test_cli_bad_spec_is_one_line(tmp_path):
    spec = make_program(tmp_path / "prog", n_per_outcome=12, n_persons=100)
    spec.write_text(spec.read_text().replace("form:\n", "frm: 1\nform:\n"))
    res = CliRunner().invoke(main, ["build", str(spec)])
    assert res.exit_code == 1
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("credkit: error:") and "test-cred.yaml" in last and "frm" in last
    assert "Traceback" not in res.output
    assert not (tmp_path / "prog" / "reports").exists()


def test_anchored_calibration_estimates_pretest_items_on_the_bank_scale(tmp_path):
    # the same program twice: once with every item calibrated (the truth), once with four items
    # turned into uncalibrated pretest items seeded, unscored, on both published forms
    pretest = (5, 11, 30, 41)
    make_program(tmp_path / "truth", n_per_outcome=24, n_persons=1500)
    truth = {}
    for k in pretest:
        path = tmp_path / "truth" / "item_bank" / "items" / f"T-{k:04d}.yaml"
        truth[f"T-{k:04d}"] = yaml.safe_load(path.read_text())["irt"]
    spec = make_program(tmp_path / "prog", n_per_outcome=24, n_persons=1500, pretest=pretest)
    spec.write_text(spec.read_text().replace("parameters: bank", "parameters: calibrate"))
    result = build(spec, log=_quiet)
    # the forms hold items 1-11 and 25-35; without the pretest items 19 scored anchors remain
    assert "19 anchors, 4 item(s) estimated" in result.report.structure.calibration_note
    index = {i: k for k, i in enumerate(result.params.item_ids)}
    for item_id, irt in truth.items():
        k = index[item_id]
        # 1,500 simulated candidates: b of a 3PL item within 0.35 logit of its true value
        # (SE about 0.1-0.15 here; 0.35 leaves room for the c-b trade-off)
        assert abs(result.params.b[k, 0] - irt["b"]) < 0.35, (item_id, result.params.b[k], irt)
        assert not any(item_id in items for items in result.forms.values())


def test_out_folder_that_is_not_a_report_is_never_replaced(tmp_path):
    spec = make_program(tmp_path / "prog", n_per_outcome=12, n_persons=100, cut="theta")
    precious = tmp_path / "precious"
    precious.mkdir()
    (precious / "notes.txt").write_text("keep me")
    with pytest.raises(InputError, match="not a credkit report"):
        build(spec, out=precious, log=_quiet)
    assert (precious / "notes.txt").read_text() == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["precious", "prog"]
    with pytest.raises(InputError, match="not a report folder"):
        build(spec, out=spec, log=_quiet)
    assert spec.read_text().startswith("credential:")


def test_without_a_group_column_fairness_says_why(tmp_path):
    spec = make_program(tmp_path / "prog", n_per_outcome=12, n_persons=200, cut="theta")
    text = spec.read_text()
    for line in ("    group: group\n", "    focal: F\n", "    reference: M\n"):
        text = text.replace(line, "")
    spec.write_text(text)
    responses = tmp_path / "prog" / "specs" / "data" / "responses.csv"
    rows = [line.split(",") for line in responses.read_text().splitlines()]
    assert rows[0][2] == "group"
    responses.write_text("\n".join(",".join(r[:2] + r[3:]) for r in rows) + "\n")
    result = build(spec, log=_quiet)
    assert result.dif == {}
    reason = result.report.unavailable["fairness"]
    assert reason == "the spec names no group column with focal and reference"
    parser = _Text()
    parser.feed(result.index.read_text())
    assert f"Not available. {reason}" in parser.text("fairness")
    assert result.report.evidence[0].framework == "NCCA Standards"
    ch3 = next(e for e in result.report.evidence if e.clause == "Ch. 3 (fairness)")
    assert ch3.status == "outside credkit" and "Not available" in ch3.evidence


def test_unwritable_report_folder_fails_before_the_work(tmp_path):
    spec = make_program(tmp_path / "prog", n_per_outcome=12, n_persons=100, cut="theta")
    blocker = tmp_path / "afile"
    blocker.write_text("x")
    logged = []
    with pytest.raises(InputError, match="is a file, not a folder"):
        build(spec, out=blocker / "report", log=logged.append)
    assert logged[-1].strip().startswith("ok in")  # stopped right after stage 1
    assert not any(line.startswith("[2/6]") for line in logged)


def test_init_under_a_file_is_one_line_and_writes_nothing(tmp_path):
    (tmp_path / "prog").mkdir()
    (tmp_path / "prog" / "item_bank").write_text("not a folder")
    with pytest.raises(InputError, match="cannot write"):
        scaffold(tmp_path / "prog")
    assert not (tmp_path / "prog" / "specs" / "prog.yaml").exists()
