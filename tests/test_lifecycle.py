"""The life of a credential program's forms: published once, administered, then built from.

Everything runs on small simulated programs (``programs.make_program``: 2 x 12 items, two
hand-chosen published forms sharing two scored items, a few hundred candidates), so each build
takes about a second. Expected values come from the simulation (which items are on which form,
the keys) and from the files the test writes, never from the code under test.
"""

from __future__ import annotations

import csv
import hashlib
import json
import shutil
from html.parser import HTMLParser
from pathlib import Path

import numpy as np
import pytest
import yaml
from click.testing import CliRunner
from programs import FORM_DATE, form_members, make_program

from psychometrics.cli import main
from psychometrics.errors import CredkitError
from psychometrics.program.build import build

N_PER_OUTCOME = 12
N_PERSONS = 240
PRETEST = (2,)  # T-0002 is seeded, unscored, on both forms
SPEC_NAME = "test-cred.yaml"


def _quiet(_message):
    pass


# ------------------------------------------------------------------------------------ helpers


def _item_id(k: int) -> str:
    return f"T-{k:04d}"


def _truth_forms() -> dict[str, list[str]]:
    """Scored items of each published form, from the hand-chosen membership (the truth)."""
    return {
        fid: [_item_id(k) for k in nums if k not in PRETEST]
        for fid, nums in form_members(N_PER_OUTCOME).items()
    }


def _presented() -> dict[str, set[str]]:
    return {
        fid: set(items) | {_item_id(k) for k in PRETEST} for fid, items in _truth_forms().items()
    }


def _keys(root: Path) -> dict[str, str]:
    keys = {}
    for path in (root / "item_bank" / "items").glob("*.yaml"):
        doc = yaml.safe_load(path.read_text())
        keys[doc["id"]] = doc["key"]
    return keys


def _read_csv(path: Path) -> tuple[list[str], list[list[str]]]:
    with open(path, newline="") as handle:
        rows = list(csv.reader(handle))
    return rows[0], rows[1:]


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> None:
    path.write_text("\n".join(",".join(r) for r in [header, *rows]) + "\n")


def _scores(root: Path) -> tuple[list[str], list[str], np.ndarray, list[str]]:
    """Person ids, forms taken, 0/1 scores (persons x item columns) and the item columns, from
    the responses CSV and the bank's keys."""
    header, rows = _read_csv(root / "specs" / "data" / "responses.csv")
    keys = _keys(root)
    items = header[3:]
    x = np.array([[cell == keys[i] for i, cell in zip(items, r[3:], strict=True)] for r in rows])
    return [r[0] for r in rows], [r[1] for r in rows], x.astype(float), items


def _line_of(path: Path, text: str) -> int:
    """1-based number of the first line of ``path`` that equals ``text``."""
    return path.read_text().splitlines().index(text) + 1


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


class _Sections(HTMLParser):
    """The text of each ``<section id=...>`` of a report, whitespace collapsed."""

    def __init__(self, html: str):
        super().__init__()
        self._parts: dict[str, list[str]] = {}
        self._sec: str | None = None
        self.feed(html)

    def handle_starttag(self, tag, attrs):
        if tag == "section":
            self._sec = dict(attrs).get("id")
            self._parts[self._sec] = []

    def handle_endtag(self, tag):
        if tag == "section":
            self._sec = None

    def handle_data(self, data):
        if self._sec:
            self._parts[self._sec].append(data)

    def __getitem__(self, sec: str) -> str:
        return " ".join(" ".join(self._parts[sec]).split())


@pytest.fixture(scope="module")
def base(tmp_path_factory):
    """One built program (read-only for the tests that use it; others copy it)."""
    root = tmp_path_factory.mktemp("base") / "prog"
    spec = make_program(root, n_per_outcome=N_PER_OUTCOME, n_persons=N_PERSONS, pretest=PRETEST)
    result = build(spec, log=_quiet)
    return root, result


def _copy(base, tmp_path: Path, *, reports: bool = True) -> tuple[Path, Path]:
    root = tmp_path / "prog"
    ignore = None if reports else shutil.ignore_patterns("reports")
    shutil.copytree(base[0], root, ignore=ignore)
    return root, root / "specs" / SPEC_NAME


def _rewrite_item(root: Path, item_id: str, change) -> None:
    path = root / "item_bank" / "items" / f"{item_id}.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


# ------------------------------------------------------------- a. fingerprint findings


def test_items_changed_after_publication_are_red_findings_not_errors(base, tmp_path):
    root, spec = _copy(base, tmp_path)
    forms_dir = root / "specs" / "forms" / "test-cred"

    def reword(doc):
        doc["stem"] = "A reworded question?"

    def recalibrate(doc):
        doc["irt"]["b"] = round(doc["irt"]["b"] + 0.5, 3)

    _rewrite_item(root, "T-0003", reword)  # on form-A only
    _rewrite_item(root, "T-0018", recalibrate)  # a common item: on both forms
    truth = _truth_forms()
    assert "T-0003" in truth["form-A"] and "T-0003" not in truth["form-B"]
    assert all("T-0018" in items for items in truth.values())
    expected = {
        ("form-A", "T-0003", "content"),
        ("form-A", "T-0018", "parameters"),
        ("form-B", "T-0018", "parameters"),
    }

    result = build(spec, log=_quiet)
    assert {(f.form_id, f.item_id, f.what) for f in result.fingerprints} == expected
    for f in result.fingerprints:
        form_file = forms_dir / f"{f.form_id}.yaml"
        assert f.file == str(form_file)
        position = truth[f.form_id].index(f.item_id) + 1
        assert f.position == position
        assert f.line == _line_of(form_file, f"- position: {position}")
    red = [p for p in result.report.problems if p.level == "red" and p.area == "forms"]
    for fid, item_id, _ in expected:
        assert any(fid in p.message and item_id in p.message for p in red), (fid, item_id)
    assert any("content fingerprint" in p.message and "T-0003" in p.message for p in red)
    assert any("parameters fingerprint" in p.message and "T-0018" in p.message for p in red)
    content = _Sections(result.index.read_text())["content"]
    assert "Items changed after publication" in content
    for fid, item_id, _ in expected:
        assert f"{fid}: item {item_id}" in content
    # the build still analysed the administration and wrote a whole report
    assert result.administration is not None and result.passed is not None

    runner = CliRunner()
    res = runner.invoke(main, ["forms", "verify", str(spec)])
    assert res.exit_code == 1, res.output
    lines = res.stdout.strip().splitlines()
    assert len(lines) == 4  # three findings and the summary
    for fid, item_id, _ in expected:
        form_file = forms_dir / f"{fid}.yaml"
        line = _line_of(form_file, f"- position: {truth[fid].index(item_id) + 1}")
        assert any(
            ln.startswith(f"{form_file}:{line}: ") and f"item {item_id}" in ln for ln in lines
        ), (fid, item_id)
    assert "3 finding(s)" in lines[-1]
    res = runner.invoke(main, ["forms", "verify", str(spec), "--json"])
    assert res.exit_code == 1
    doc = json.loads(res.stdout)  # nothing but JSON on stdout
    assert doc["ok"] is False and doc["forms"] == ["form-A", "form-B"]
    assert {(x["form"], x["item_id"], x["what"]) for x in doc["findings"]} == expected


def test_unchanged_or_reformatted_bank_verifies_clean(base, tmp_path):
    root, spec = _copy(base, tmp_path)
    # rewriting an item file in another key order changes its bytes, not its fingerprints
    path = root / "item_bank" / "items" / "T-0006.yaml"
    before = path.read_bytes()
    path.write_text(yaml.safe_dump(yaml.safe_load(before), sort_keys=True, width=40))
    assert path.read_bytes() != before
    runner = CliRunner()
    res = runner.invoke(main, ["forms", "verify", str(spec)])
    assert res.exit_code == 0, res.output
    n_entries = sum(len(v) for v in _presented().values())
    assert res.stdout.strip() == f"2 published form(s), {n_entries} item entries: unchanged"
    res = runner.invoke(main, ["forms", "verify", str(spec), "--json"])
    assert res.exit_code == 0
    assert json.loads(res.stdout) == {"ok": True, "forms": ["form-A", "form-B"], "findings": []}
    assert base[1].fingerprints == ()


# ------------------------------------------------------------- b, c. stage-1 integrity


def _unpublished_form(root: Path):
    path = root / "specs" / "data" / "responses.csv"
    header, rows = _read_csv(path)
    rows[4][1] = "form-Z"
    _write_csv(path, header, rows)
    return path, 6, ["form-Z", rows[4][0]]


def _response_off_form(root: Path):
    path = root / "specs" / "data" / "responses.csv"
    header, rows = _read_csv(path)
    r = [k for k, row in enumerate(rows) if row[1] == "form-A"][2]
    assert "T-0007" in _truth_forms()["form-B"] and "T-0007" not in _presented()["form-A"]
    rows[r][header.index("T-0007")] = "A"
    _write_csv(path, header, rows)
    return path, r + 2, ["T-0007", rows[r][0], "not on form-A"]


def _blank_on_own_form(root: Path):
    path = root / "specs" / "data" / "responses.csv"
    header, rows = _read_csv(path)
    r = [k for k, row in enumerate(rows) if row[1] == "form-B"][3]
    rows[r][header.index("T-0008")] = ""
    _write_csv(path, header, rows)
    return path, r + 2, ["T-0008", rows[r][0], "blank"]


def _missing_column(root: Path):
    path = root / "specs" / "data" / "responses.csv"
    header, rows = _read_csv(path)
    j = header.index("T-0010")
    _write_csv(path, header[:j] + header[j + 1 :], [r[:j] + r[j + 1 :] for r in rows])
    return path, 1, ["T-0010", "form-B"]


def _extra_column(root: Path):
    path = root / "specs" / "data" / "responses.csv"
    header, rows = _read_csv(path)
    assert "T-0012" not in header  # in the bank, on no form
    # a blank column of another form is allowed (see below); an answered one is not
    cells = [[*r, "A" if k == 1 else ""] for k, r in enumerate(rows)]
    _write_csv(path, [*header, "T-0012"], cells)
    return path, 3, ["T-0012", rows[1][0]]


def _rating_off_rated_form(root: Path):
    path = root / "specs" / "data" / "angoff_ratings.csv"
    lines = path.read_text().splitlines()
    assert "T-0007" not in _presented()["form-A"]
    lines.append("R1,T-0007,0.550,2")
    path.write_text("\n".join(lines) + "\n")
    return path, len(lines), ["T-0007", "form-A"]


def _rater_missing_an_item(root: Path):
    path = root / "specs" / "data" / "angoff_ratings.csv"
    lines = path.read_text().splitlines()
    gone = [ln for ln in lines if ln.startswith("R3,T-0004,") and ln.endswith(",2")]
    assert len(gone) == 1
    lines.remove(gone[0])
    path.write_text("\n".join(lines) + "\n")
    # the error points at R3's first rating of round 2
    first = 1 + next(k for k, ln in enumerate(lines) if ln.startswith("R3,") and ln.endswith(",2"))
    return path, first, ["R3", "T-0004", "form-A", "round 2"]


def _unknown_rated_form(root: Path):
    path = root / "specs" / SPEC_NAME
    path.write_text(path.read_text().replace("  form: form-A\n", "  form: form-Q\n"))
    return path, _line_of(path, "  form: form-Q"), ["form-Q"]


def _no_published_forms(root: Path):
    shutil.rmtree(root / "specs" / "forms" / "test-cred")
    path = root / "specs" / SPEC_NAME
    return path, _line_of(path, "forms: forms/test-cred/"), ["credkit assemble", "forms publish"]


def _form_item_not_in_bank(root: Path):
    (root / "item_bank" / "items" / "T-0004.yaml").unlink()
    path = root / "specs" / "forms" / "test-cred" / "form-A.yaml"
    position = _truth_forms()["form-A"].index("T-0004") + 1
    return path, _line_of(path, f"- position: {position}"), ["T-0004", "not in the bank"]


CASES = {
    "unpublished-form": _unpublished_form,
    "response-off-form": _response_off_form,
    "blank-on-own-form": _blank_on_own_form,
    "missing-column": _missing_column,
    "extra-column": _extra_column,
    "rating-off-rated-form": _rating_off_rated_form,
    "rater-missing-an-item": _rater_missing_an_item,
    "unknown-rated-form": _unknown_rated_form,
    "no-published-forms": _no_published_forms,
    "form-item-not-in-bank": _form_item_not_in_bank,
}


def test_a_blank_column_of_a_form_nobody_took_is_dropped(base, tmp_path):
    root, spec = _copy(base, tmp_path, reports=False)
    path = root / "specs" / "data" / "responses.csv"
    header, rows = _read_csv(path)
    _write_csv(path, [*header, "T-0012"], [[*r, ""] for r in rows])
    result = build(spec, log=_quiet)
    assert "T-0012" not in result.administration.responses.item_ids


@pytest.mark.parametrize("previous", [True, False], ids=["previous-report", "first-build"])
@pytest.mark.parametrize("case", list(CASES))
def test_inputs_that_disagree_stop_the_build_in_stage_one(base, tmp_path, case, previous):
    root, spec = _copy(base, tmp_path, reports=previous)
    reports = root / "reports"
    before = _snapshot(reports) if previous else None
    path, line, words = CASES[case](root)
    res = CliRunner().invoke(main, ["build", str(spec)])
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.stderr + res.stdout
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("credkit: error:")]
    last = res.stderr.strip().splitlines()[-1]
    assert errors == [last]
    assert "stage 1/6" in last
    where = f"{path}:{line}: " if line is not None else f"{path}: "
    assert where in last, (where, last)
    for word in words:
        assert word in last, (word, last)
    assert not any(ln.startswith("[2/6]") for ln in res.stderr.splitlines())
    if previous:
        # the report and the candidates' score reports beside it (issue 12), both untouched
        assert sorted(p.name for p in reports.iterdir()) == ["test-cred", "test-cred-candidates"]
        assert _snapshot(reports) == before
    else:
        assert not reports.exists()


def test_mismatched_ratings_stop_before_any_estimation(base, tmp_path):
    root, spec = _copy(base, tmp_path)
    _rating_off_rated_form(root)
    logged: list[str] = []
    with pytest.raises(CredkitError, match=r"stage 1/6 .*angoff_ratings\.csv:\d+: .*T-0007"):
        build(spec, log=logged.append)
    assert logged[0].startswith("[1/6]")
    assert not any(ln.lstrip().startswith(f"[{k}/6]") for ln in logged for k in range(2, 7))


# ------------------------------------------------------------------ d. proposal builds


def _as_proposal(spec: Path) -> None:
    text = spec.read_text()
    assert "forms: forms/test-cred/\n" in text
    spec.write_text(
        text.replace(
            "forms: forms/test-cred/\n", "forms: {folder: forms/test-cred/, proposal: true}\n"
        )
    )


@pytest.fixture(scope="module")
def proposal(tmp_path_factory):
    """A program whose published forms are gone, built as a proposal (and the refusal before)."""
    root = tmp_path_factory.mktemp("proposal") / "prog"
    # a theta cut: an Angoff panel rates a published form, and there is none here
    spec = make_program(root, n_per_outcome=N_PER_OUTCOME, n_persons=N_PERSONS, cut="theta")
    shutil.rmtree(root / "specs" / "forms" / "test-cred")
    refused = CliRunner().invoke(main, ["build", str(spec)])
    reports_after_refusal = (root / "reports").exists()
    _as_proposal(spec)
    return root, refused, reports_after_refusal, build(spec, log=_quiet)


def test_without_published_forms_a_build_is_refused_unless_a_proposal(proposal):
    _, res, reports_written, _ = proposal
    assert res.exit_code == 1
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("credkit: error:") and "stage 1/6" in last
    assert "no published forms" in last and "proposal: true" in last
    assert not reports_written


def test_proposal_build_assembles_labelled_forms_and_analyses_no_candidate(proposal):
    root, _, _, result = proposal
    assert result.proposal is True
    # a proposal build never writes the spec's forms folder
    assert not (root / "specs" / "forms" / "test-cred").exists()
    outcome = {_item_id(k): "O1" if k <= N_PER_OUTCOME else "O2" for k in range(1, 25)}
    items = list(result.forms.values())
    assert len(items) == 2
    for form in items:
        assert len(form) == 12 and len(set(form)) == 12
        assert [outcome[i] for i in form].count("O1") == 6  # the spec's blueprint
    assert len(set(items[0]) & set(items[1])) <= 3  # max_overlap 0.25 of 12
    red = [p for p in result.report.problems if p.level == "red" and p.area == "forms"]
    assert any("proposal" in p.message for p in red)
    html = result.index.read_text()
    assert "PROPOSAL." in html
    # nobody took these forms: the administration is not analysed, decisions come from the model
    assert result.administration is None and result.passed is None
    stage2 = next(s for s in result.stages if s.index == 2)
    assert stage2.status == "not available" and "never administered" in stage2.message
    assert {d.method for d in result.decisions.values()} == {"lee"}
    assert "no candidate took the form" in _Sections(html)["decisions"]


def test_proposal_decisions_note_names_every_form_nobody_took(proposal):
    note = _Sections(proposal[3].index.read_text())["decisions"]
    for fid in proposal[3].forms:
        assert f"{fid}: no candidate took the form" in note


def test_proposal_build_with_angoff_ratings_says_why_there_is_no_cut(tmp_path):
    # the panel rated the published form-A; a proposal's form-A is another test
    spec = make_program(tmp_path / "prog", n_per_outcome=N_PER_OUTCOME, n_persons=60)
    shutil.rmtree(tmp_path / "prog" / "specs" / "forms" / "test-cred")
    _as_proposal(spec)
    result = build(spec, log=_quiet)
    status = {s.index: (s.status, s.message) for s in result.stages}
    assert status[4][0] == "not available" and "set cut_score.theta" in status[4][1]
    assert status[5] == ("not available", "needs a cut score")
    assert result.cut is None and result.proposal


# ---------------------------------------------------------------------- e. pass rule


def test_default_raw_pass_rule_uses_the_sum_on_the_form_taken(base):
    root, result = base
    persons, taken, x, columns = _scores(root)
    assert list(result.administration.responses.person_ids) == persons
    forms = _truth_forms()
    raw = np.array([x[i, [columns.index(c) for c in forms[f]]].sum() for i, f in enumerate(taken)])
    cuts = np.array([float(result.cut.raw_cuts[f]) for f in taken])
    expected = raw >= cuts
    assert 0 < expected.sum() < len(expected)
    np.testing.assert_array_equal(result.passed, expected)
    # the pretest item counts in nobody's score: with it, someone's decision would change
    pre = columns.index(_item_id(PRETEST[0]))
    assert ((raw + x[:, pre]) >= cuts).sum() > expected.sum()
    ss = _Sections(result.index.read_text())["standard-setting"]
    assert "pass rule: summed score at or above the raw cut of the form taken" in ss
    assert f"{100 * expected.mean():.1f}% of the candidates pass" in ss


def test_theta_pass_rule_uses_the_eap_estimate(base, tmp_path):
    root, spec = _copy(base, tmp_path)
    text = spec.read_text()
    assert "  round: 2\n" in text
    spec.write_text(text.replace("  round: 2\n", "  round: 2\n  pass_rule: theta\n"))
    result = build(spec, log=_quiet)
    assert result.cut.theta_cut == pytest.approx(base[1].cut.theta_cut, abs=1e-12)
    theta = np.asarray(result.theta.theta)
    assert theta.shape == (N_PERSONS,) and np.isfinite(theta).all()
    expected = theta >= result.cut.theta_cut
    np.testing.assert_array_equal(result.passed, expected)
    ss = _Sections(result.index.read_text())["standard-setting"]
    assert "pass rule: EAP theta at or above the theta cut" in ss
    assert f"{100 * expected.mean():.1f}% of the candidates pass" in ss


# ------------------------------------------------------------------- f. common items


def test_common_items_are_pooled_over_both_forms(base):
    root, result = base
    forms = _truth_forms()
    common = sorted(set(forms["form-A"]) & set(forms["form-B"]))
    assert common == ["T-0006", "T-0018"]
    persons, taken, x, columns = _scores(root)
    taken = np.array(taken)
    items = _Sections(result.index.read_text())["items"]
    for item_id in common:
        j = columns.index(item_id)
        pooled = result.pooled_items[item_id]
        assert pooled.n == len(persons)  # every candidate saw it, whichever form
        assert pooled.p == pytest.approx(x[:, j].mean(), abs=1e-12)
        by_form, parts = {b.form_id: b for b in pooled.by_form}, []
        z, w = [], []
        for fid in ("form-A", "form-B"):
            mask = taken == fid
            n, p = int(mask.sum()), x[mask, j].mean()
            rest = x[np.ix_(mask, [columns.index(c) for c in forms[fid]])].sum(1) - x[mask, j]
            r = np.corrcoef(x[mask, j], rest)[0, 1]  # corrected (item-rest) point-biserial
            assert by_form[fid].n == n and by_form[fid].p == pytest.approx(p, abs=1e-12)
            assert by_form[fid].rpbis == pytest.approx(r, abs=1e-9)
            z.append(np.arctanh(r))
            w.append(n - 3)
            parts.append(f"{fid}: n {n}, p {p:.2f}, r {r:.2f}")
        assert pooled.rpbis == pytest.approx(np.tanh(np.dot(w, z) / np.sum(w)), abs=1e-9)
        assert "; ".join(parts) in items
    # an item on one form only is not pooled: its n is its form's candidates
    only_a = "T-0003"
    assert result.pooled_items[only_a].n == int((taken == "form-A").sum())


# ------------------------------------------------------------ g. assemble and publish


def test_assemble_never_replaces_published_forms_and_proposes_beside_them(tmp_path):
    root = tmp_path / "prog"
    # 24 items per outcome: room for new forms that share at most 3 items with each published one
    spec = make_program(root, n_per_outcome=24, n_persons=50, cut="theta")
    forms_dir = root / "specs" / "forms" / "test-cred"
    before = _snapshot(forms_dir)
    runner = CliRunner()
    res = runner.invoke(main, ["assemble", str(spec), "--time-limit", "10"])
    assert res.exit_code == 1
    last = res.stderr.strip().splitlines()[-1]
    assert last.startswith("credkit: error:") and "published and frozen" in last
    assert str(forms_dir / "form-A.yaml") in last
    assert _snapshot(forms_dir) == before

    new = tmp_path / "new"
    args = ["assemble", str(spec), "--ids", "form-C,form-D", "--out", str(new)]
    res = runner.invoke(main, [*args, "--time-limit", "10"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in new.iterdir()) == ["form-C.yaml", "form-D.yaml"]
    wrote = [f"wrote {new / f'{name}.yaml'}" for name in ("form-C", "form-D")]
    assert res.stdout.splitlines()[-2:] == wrote
    assert _snapshot(forms_dir) == before
    published = {fid: {_item_id(k) for k in nums} for fid, nums in form_members(24).items()}
    for name in ("form-C", "form-D"):
        doc = yaml.safe_load((new / f"{name}.yaml").read_text())
        assert doc["form"] == name and doc["status"] == "proposal" and doc["published"] is None
        # a new test: at most max_overlap (25% of 12 = 3 items) shared with each published form
        items = {i["id"] for i in doc["items"]}
        assert all(len(items & old) <= 3 for old in published.values()), name

    # the same program with its forms folder at the proposals: list, publish, verify
    other = root / "specs" / "other.yaml"
    other.write_text(spec.read_text().replace("forms: forms/test-cred/\n", f"forms: {new}\n"))
    res = runner.invoke(main, ["forms", "list", str(other)])
    assert res.exit_code == 0
    assert res.stdout.startswith("form-C: proposal, 12 items")
    assert "\nform-D: proposal, 12 items" in res.stdout
    res = runner.invoke(main, ["forms", "publish", str(other), "--date", "2026-05-04"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [
        f"published {f}: 12 items -> {new / f'{f}.yaml'}" for f in ("form-C", "form-D")
    ]
    res = runner.invoke(main, ["forms", "list", str(other), "--json"])
    doc = json.loads(res.stdout)
    assert [(f["form"], f["status"], f["published"]) for f in doc["forms"]] == [
        ("form-C", "published", "2026-05-04"),
        ("form-D", "published", "2026-05-04"),
    ]
    assert runner.invoke(main, ["forms", "verify", str(other)]).exit_code == 0
    res = runner.invoke(main, ["forms", "publish", str(other)])
    assert res.exit_code == 1 and "no proposed form" in res.stderr
    # the original program's forms are still the two published on FORM_DATE
    res = runner.invoke(main, ["forms", "list", str(spec)])
    day = FORM_DATE.isoformat()
    assert res.stdout.splitlines() == [
        f"form-A: published {day}, 12 items",
        f"form-B: published {day}, 12 items",
    ]
    assert _snapshot(forms_dir) == before


def test_assemble_output_names_the_forms_by_their_new_ids(tmp_path):
    spec = make_program(tmp_path / "prog", n_per_outcome=24, n_persons=50)
    new = tmp_path / "new"
    args = ["assemble", str(spec), "--ids", "form-C,form-D", "--out", str(new), "--json"]
    res = CliRunner().invoke(main, [*args, "--time-limit", "10"])
    assert res.exit_code == 0, res.output
    assert sorted(p.name for p in new.iterdir()) == ["form-C.yaml", "form-D.yaml"]
    assert [f["id"] for f in json.loads(res.stdout)["forms"]] == ["form-C", "form-D"]


# ------------------------------------------------------- h. several administrations


def test_build_reports_the_last_administration_unless_told(base, tmp_path):
    root, spec = _copy(base, tmp_path)
    data = root / "specs" / "data"
    header, rows = _read_csv(data / "responses.csv")
    second = [["Q" + r[0][1:], *r[1:]] for r in rows[: N_PERSONS // 2]]
    _write_csv(data / "responses-w2.csv", header, second)
    text = spec.read_text()
    assert text.count("decision:\n") == 1
    spec.write_text(
        text.replace(
            "decision:\n",
            "  - id: w2\n    window: {start: 2026-06-01, end: 2026-06-05}\n"
            "    responses: data/responses-w2.csv\n    group: group\n    focal: F\n"
            "    reference: M\n    parameters: bank\ndecision:\n",
        )
    )
    runner = CliRunner()
    res = runner.invoke(main, ["build", str(spec), "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["administration"] == "w2"
    html = (root / "reports" / "test-cred" / "index.html").read_text()
    assert f"Administration w2, window 2026-06-01 to 2026-06-05: {len(second)} candidates" in html
    res = runner.invoke(main, ["build", str(spec), "--administration", "w1", "--json"])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["administration"] == "w1"
    html = (root / "reports" / "test-cred" / "index.html").read_text()
    assert f"Administration w1, window 2026-03-02 to 2026-03-06: {N_PERSONS} candidates" in html

    before = _snapshot(root / "reports")
    res = runner.invoke(main, ["build", str(spec), "--administration", "w9"])
    assert res.exit_code == 1
    errors = [ln for ln in res.stderr.splitlines() if ln.startswith("credkit: error:")]
    assert len(errors) == 1 and errors[0] == res.stderr.strip().splitlines()[-1]
    assert "'w9'" in errors[0] and "w1, w2" in errors[0] and str(spec) in errors[0]
    assert "Traceback" not in res.stderr
    assert _snapshot(root / "reports") == before


def test_manifest_hashes_the_published_forms(base):
    root, result = base
    manifest = json.loads((result.out_dir / "manifest.json").read_text())
    by_path = {f["path"]: f["sha256"] for f in manifest["files"]}
    for fid in ("form-A", "form-B"):
        path = root / "specs" / "forms" / "test-cred" / f"{fid}.yaml"
        assert by_path[str(path.relative_to(root))] == hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------- an item scored on one form, pretest on another


def test_an_item_seeded_unscored_on_a_form_never_counts_for_its_candidates(base, tmp_path):
    """T-0001 is scored on form-A. Seeding it, unscored and answered, on form-B must leave
    every theta, raw score and decision exactly as they were (before the fix, theta used it)."""
    from datetime import date

    from psychometrics.bank import load_bank
    from psychometrics.program.forms import form_from_items, read_form, write_form

    root, spec = _copy(base, tmp_path, reports=False)
    before = base[1]
    forms_dir = root / "specs" / "forms" / "test-cred"
    old_b = read_form(forms_dir / "form-B.yaml")
    assert "T-0001" in read_form(forms_dir / "form-A.yaml").item_ids
    assert "T-0001" not in old_b.presented_ids
    (forms_dir / "form-B.yaml").unlink()
    write_form(
        form_from_items(
            "form-B",
            old_b.item_ids,
            bank=load_bank(root / "item_bank"),
            credential_id="test-cred",
            status="published",
            published=date(2026, 3, 1),
            pretest=(*old_b.pretest_ids, "T-0001"),
        ),
        forms_dir,
    )
    path = root / "specs" / "data" / "responses.csv"
    header, rows = _read_csv(path)
    j = header.index("T-0001")
    keys = _keys(root)
    for k, row in enumerate(rows):
        if row[1] == "form-B":  # half of form-B's candidates right, half wrong
            row[j] = keys["T-0001"] if k % 2 else next(x for x in "ABCD" if x != keys["T-0001"])
    _write_csv(path, header, rows)
    after = build(spec, log=_quiet)
    assert "T-0001" in after.administration.forms["form-B"].pretest_ids
    np.testing.assert_allclose(after.theta.theta, before.theta.theta, rtol=0, atol=1e-12)
    assert (after.passed == before.passed).all()
    assert after.cut.raw_cuts == before.cut.raw_cuts


def test_proposal_build_reports_the_proposals_under_review(tmp_path):
    from psychometrics.bank import load_bank
    from psychometrics.program.forms import form_from_items, write_form

    root = tmp_path / "prog"
    spec = make_program(root, n_per_outcome=N_PER_OUTCOME, n_persons=60, cut="theta")
    folder = root / "specs" / "forms" / "test-cred"
    shutil.rmtree(folder)
    bank = load_bank(root / "item_bank")
    chosen = [_item_id(k) for k in (*range(13, 19), *range(1, 7))]  # O2 first, then O1
    write_form(
        form_from_items("form-R", chosen, bank=bank, credential_id="test-cred"),
        folder,
    )
    _as_proposal(spec)
    result = build(spec, log=_quiet)
    assert result.proposal and result.assembly is None  # nothing was assembled
    assert result.forms == {"form-R": tuple(chosen)}
    assert "proposals (under review)" in _Sections(result.index.read_text())["content"]


def test_spec_check_reads_the_forms_folder(tmp_path):
    spec = make_program(tmp_path / "prog", n_per_outcome=N_PER_OUTCOME, n_persons=20)
    runner = CliRunner()
    assert runner.invoke(main, ["spec", "check", str(spec), "--no-bank"]).exit_code == 0
    spec.write_text(spec.read_text().replace("  form: form-A\n", "  form: form-Q\n"))
    res = runner.invoke(main, ["spec", "check", str(spec), "--no-bank"])
    assert res.exit_code == 1
    assert f"{spec}:{_line_of(spec, '  form: form-Q')}: cut_score.form: 'form-Q'" in res.stdout
    (tmp_path / "prog" / "specs" / "forms" / "test-cred" / "form-B.yaml").write_text("[1, 2]\n")
    res = runner.invoke(main, ["spec", "check", str(spec), "--no-bank"])
    assert res.exit_code == 1 and "form-B.yaml" in res.stdout
