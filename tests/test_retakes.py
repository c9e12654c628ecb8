"""Retakes across administrations: the policy check, retake-form assignment, ``credkit retakes``.

The program built here has 12 bank items and three published forms of 6 items each:

    form-A = items 1-6,  form-B = items 4-9,  form-C = items 7-12

so A and B share 3 items (4, 5, 6), B and C share 3 (7, 8, 9), A and C none. Every expected
overlap, date and status below is worked out by hand from that layout.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from datetime import date
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner

from psychometrics.bank import load_bank
from psychometrics.cli import main
from psychometrics.errors import InputError
from psychometrics.program.forms import form_from_items, load_forms, write_form
from psychometrics.program.retakes import (
    Attempt,
    assign_retakes,
    attempts,
    check_retakes,
    published_forms,
)
from psychometrics.program.spec import RetakePolicy, load_spec

REPO = Path(__file__).resolve().parents[1]
# operational multiple-choice items without enemies or sets, with their keys
ITEMS = {
    "DA-0002": "D",
    "DA-0003": "C",
    "DA-0006": "D",
    "DA-0007": "D",
    "DA-0008": "B",
    "DA-0009": "D",
    "DA-0011": "C",
    "DA-0012": "A",
    "DA-0013": "D",
    "DA-0016": "A",
    "DA-0017": "D",
    "DA-0018": "A",
}
IDS = tuple(ITEMS)
FORMS = {"form-A": IDS[0:6], "form-B": IDS[3:9], "form-C": IDS[6:12]}

# Windows, listed in the spec out of chronological order on purpose (jan, mar, feb, may).
WINDOWS = {
    "jan": ("2026-01-10", "2026-01-20"),
    "mar": ("2026-03-15", "2026-03-25"),
    "feb": ("2026-02-01", "2026-02-10"),
    "may": ("2026-05-01", "2026-05-08"),
}
# Days between window starts (2026 is not a leap year):
#   jan 10 -> feb 1 = 22, jan 10 -> mar 15 = 21 + 28 + 15 = 64, mar 15 -> may 1 = 16 + 30 + 1 = 47
POLICY = "retakes: {max_attempts: 2, wait_days: 30, max_overlap: 0.4}\n"

# Who took what where. With the policy above:
#   P01 A(jan) C(mar)       clean: 64 days apart, C shares nothing with A
#   P02 A(jan) C(feb)       wait_days: 22 days after jan
#   P03 A(jan) B(mar)       max_overlap: 3 of B's 6 items were on A (0.50 > 0.4)
#   P04 A(jan) C(mar) B(may) max_attempts (attempt 3 > 2) and max_overlap: B's items 4-6 were
#                           on A, 7-9 on C: 6 of 6 (1.00)
#   P05 A(may)              first attempt only
#   P06 A(jan) A(mar)       max_overlap: the same form again, 6 of 6 (1.00)
HISTORY = {
    "jan": {"P01": "form-A", "P02": "form-A", "P03": "form-A", "P04": "form-A", "P06": "form-A"},
    "mar": {"P01": "form-C", "P03": "form-B", "P04": "form-C", "P06": "form-A"},
    "feb": {"P02": "form-C"},
    "may": {"P04": "form-B", "P05": "form-A"},
}
CLEAN = {
    "jan": {"P01": "form-A", "P05": "form-B"},
    "mar": {"P01": "form-C", "P05": "form-C"},  # C after B: 3 of 6 items (0.50)
}


def write_program(
    root: Path,
    history: dict[str, dict[str, str]],
    *,
    retakes: str = POLICY,
    windows: dict[str, tuple[str, str] | None] = WINDOWS,
) -> Path:
    """A spec, a 12-item bank, three published forms and a responses CSV per window taken."""
    (root / "bank" / "items").mkdir(parents=True)
    for item_id in IDS:
        shutil.copy(REPO / "item_bank" / "items" / f"{item_id}.yaml", root / "bank" / "items")
    bank = load_bank(root / "bank")
    for form_id, items in FORMS.items():
        form = form_from_items(
            form_id,
            items,
            bank=bank,
            credential_id="demo",
            status="published",
            published=date(2026, 1, 5),
        )
        write_form(form, root / "forms")
    admins = []
    for name, window in windows.items():
        if name not in history:
            continue
        takers = history[name]
        columns = [i for i in IDS if any(i in FORMS[f] for f in takers.values())]
        lines = ["person_id,form," + ",".join(columns)]
        for person, form_id in takers.items():
            cells = [ITEMS[i] if i in FORMS[form_id] else "" for i in columns]
            lines.append(f"{person},{form_id}," + ",".join(cells))
        (root / f"{name}.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")
        entry = f"  - id: {name}\n    responses: {name}.csv\n"
        if window is not None:
            entry += f"    window: {{start: {window[0]}, end: {window[1]}}}\n"
        admins.append(entry)
    spec = (
        "credential: {id: demo, title: Demo}\n"
        "outcomes:\n"
        + "".join(f"  - {{id: DA{k}, title: Outcome {k}}}\n" for k in range(1, 7))
        + "bank: bank\n"
        "form: {length: 6, count: 3, max_overlap: 0.5}\n"
        "cut_score: {theta: 0.0}\n"
        "forms: {folder: forms}\n"
        "administrations:\n" + "".join(admins) + retakes
    )
    path = root / "spec.yaml"
    path.write_text(spec, encoding="utf-8")
    return path


@pytest.fixture()
def program(tmp_path):
    return write_program(tmp_path, HISTORY)


def run(*args):
    return CliRunner().invoke(main, [str(a) for a in args])


def one_line_error(result, where):
    """Exit status != 0, exactly one stderr line naming ``where``, no traceback, no stdout."""
    assert result.exit_code != 0, result.stdout
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(
        result.exception
    )
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr
    assert str(where) in lines[0], lines[0]
    assert result.stdout == ""
    return lines[0]


# --------------------------------------------------------------------------------------------
# attempts
# --------------------------------------------------------------------------------------------


def test_attempts_by_person_then_date(program):
    spec = load_spec(program)
    found = attempts(spec)
    got = [(a.person_id, a.administration_id, a.date, a.form_id) for a in found]
    jan, feb, mar, may = date(2026, 1, 10), date(2026, 2, 1), date(2026, 3, 15), date(2026, 5, 1)
    assert got == [
        ("P01", "jan", jan, "form-A"),
        ("P01", "mar", mar, "form-C"),
        ("P02", "jan", jan, "form-A"),
        ("P02", "feb", feb, "form-C"),  # feb is listed after mar in the spec
        ("P03", "jan", jan, "form-A"),
        ("P03", "mar", mar, "form-B"),
        ("P04", "jan", jan, "form-A"),
        ("P04", "mar", mar, "form-C"),
        ("P04", "may", may, "form-B"),
        ("P05", "may", may, "form-A"),
        ("P06", "jan", jan, "form-A"),
        ("P06", "mar", mar, "form-A"),
    ]


def test_window_end_is_the_date_when_there_is_no_start(tmp_path):
    path = write_program(tmp_path, CLEAN)
    text = path.read_text().replace("{start: 2026-03-15, end: 2026-03-25}", "{end: 2026-03-25}")
    path.write_text(text)
    found = attempts(load_spec(path))
    assert [a.date for a in found if a.administration_id == "mar"] == [date(2026, 3, 25)] * 2


def test_missing_window_with_wait_days_names_the_spec_field(tmp_path):
    windows = dict(WINDOWS, feb=None)
    path = write_program(tmp_path, HISTORY, windows=windows)
    with pytest.raises(InputError) as info:
        attempts(load_spec(path))
    err = info.value
    assert err.field == "administrations[2].window"
    assert err.file == str(path)
    # the third administration entry ("  - id: feb") is on this line of the spec
    line = path.read_text().splitlines().index("  - id: feb") + 1
    assert err.line == line


def test_missing_window_is_fine_without_wait_days(tmp_path):
    windows = {"jan": WINDOWS["jan"], "mar": None}
    path = write_program(tmp_path, CLEAN, windows=windows, retakes="retakes: {max_overlap: 0.4}\n")
    spec = load_spec(path)
    found = attempts(spec)
    assert [(a.person_id, a.date) for a in found] == [
        ("P01", date(2026, 1, 10)),
        ("P01", None),
        ("P05", date(2026, 1, 10)),
        ("P05", None),
    ]
    # C after B: 3 of 6 items (0.50 > 0.4)
    result = check_retakes(found, policy=spec.retakes, forms=published_forms(spec))
    assert [(v.person_id, v.rule) for v in result.violations] == [("P05", "max_overlap")]


# --------------------------------------------------------------------------------------------
# check_retakes
# --------------------------------------------------------------------------------------------


def test_check_finds_every_violation(program):
    spec = load_spec(program)
    forms = published_forms(spec)
    result = check_retakes(attempts(spec), policy=spec.retakes, forms=forms)
    got = [
        (v.person_id, v.attempt, v.rule, v.administration_id, v.form_id) for v in result.violations
    ]
    assert got == [
        ("P02", 2, "wait_days", "feb", "form-C"),
        ("P03", 2, "max_overlap", "mar", "form-B"),
        ("P04", 3, "max_attempts", "may", "form-B"),
        ("P04", 3, "max_overlap", "may", "form-B"),
        ("P06", 2, "max_overlap", "mar", "form-A"),
    ]
    by = {(v.person_id, v.rule): v.message for v in result.violations}
    assert "22 day(s)" in by["P02", "wait_days"] and "earliest 2026-02-09" in by["P02", "wait_days"]
    assert "3 of 6 items of form-B (0.50)" in by["P03", "max_overlap"]
    assert "6 of 6 items of form-B (1.00)" in by["P04", "max_overlap"]
    assert "max_attempts (2)" in by["P04", "max_attempts"]
    assert "the same form again" in by["P06", "max_overlap"]
    assert "the same form again" not in by["P04", "max_overlap"]
    assert not result.ok
    assert (result.n_candidates, result.n_attempts, result.n_retakers) == (6, 12, 5)


def test_clean_history_has_no_violations(tmp_path):
    path = write_program(
        tmp_path, CLEAN, retakes="retakes: {max_attempts: 2, wait_days: 30, max_overlap: 0.5}\n"
    )
    spec = load_spec(path)
    result = check_retakes(attempts(spec), policy=spec.retakes, forms=published_forms(spec))
    assert result.ok and result.violations == ()
    assert (result.n_candidates, result.n_attempts, result.n_retakers) == (2, 4, 2)
    assert result.summary().startswith("ok")


def test_overlap_exactly_at_the_limit_passes_and_no_policy_checks_nothing(program):
    spec = load_spec(program)
    forms = published_forms(spec)
    found = attempts(spec)
    # P03's B after A is 3/6 = 0.5: allowed at max_overlap 0.5, not at 0.49
    at_limit = check_retakes(found, policy=RetakePolicy(max_overlap=0.5), forms=forms)
    assert [(v.person_id, v.rule) for v in at_limit.violations] == [
        ("P04", "max_overlap"),
        ("P06", "max_overlap"),
    ]
    below = check_retakes(found, policy=RetakePolicy(max_overlap=0.49), forms=forms)
    assert ("P03", "max_overlap") in [(v.person_id, v.rule) for v in below.violations]
    assert check_retakes(found, policy=None, forms=forms).ok


def _naive_violations(found, policy, forms):
    """Reference: a plain loop with item sets (independent of the vectorized code)."""
    out = []
    by_person: dict[str, list[Attempt]] = {}
    for a in found:
        by_person.setdefault(a.person_id, []).append(a)
    for person in sorted(by_person):
        seen: set[str] = set()
        previous = None
        for k, a in enumerate(by_person[person], start=1):
            items = set(forms[a.form_id].item_ids)
            if k > policy.max_attempts:
                out.append((person, k, "max_attempts"))
            if previous is not None and (a.date - previous.date).days < policy.wait_days:
                out.append((person, k, "wait_days"))
            if k > 1 and len(items & seen) / len(items) > policy.max_overlap + 1e-9:
                out.append((person, k, "max_overlap"))
            seen |= items
            previous = a
    return out


def test_check_agrees_with_a_plain_loop_on_many_candidates(program):
    spec = load_spec(program)
    forms = published_forms(spec)
    rng = np.random.default_rng(3)
    days = [date(2026, 1, 1).toordinal() + int(d) for d in rng.integers(0, 400, size=40)]
    found = []
    for p in range(300):
        n = int(rng.integers(1, 5))
        when = sorted(rng.choice(days, size=n, replace=False).tolist())
        for d in when:
            found.append(
                Attempt(f"C{p:04d}", f"w{d}", date.fromordinal(d), str(rng.choice(list(forms))))
            )
    rng.shuffle(found)  # candidates interleaved; each one's attempts stay chronological
    found.sort(key=lambda a: a.date)
    policy = RetakePolicy(max_attempts=2, wait_days=45, max_overlap=0.4)
    result = check_retakes(found, policy=policy, forms=forms)
    got = [(v.person_id, v.attempt, v.rule) for v in result.violations]
    assert got == _naive_violations(found, policy, forms)
    assert len(got) > 100


# --------------------------------------------------------------------------------------------
# assign_retakes
# --------------------------------------------------------------------------------------------


@pytest.fixture()
def forms(program):
    return published_forms(load_spec(program))


def _history(*rows):
    return [Attempt(p, "w", date.fromisoformat(d), f) for p, d, f in rows]


def test_assign_picks_least_overlap_waits_and_refuses(forms):
    history = _history(
        ("Q1", "2026-01-10", "form-A"),  # A 6/6, B 3/6, C 0/6 -> C
        ("Q2", "2026-01-10", "form-B"),  # A 3/6, B 6/6, C 3/6 -> tie A/C -> A (folder order)
        ("Q3", "2026-03-15", "form-C"),  # 30 days after mar 15 is apr 14 -> wait
        ("Q4", "2026-01-10", "form-A"),  # items 1-6 and 7-12 seen: every form 6/6 -> no-form
        ("Q4", "2026-02-20", "form-C"),
        ("Q6", "2026-01-10", "form-A"),  # three attempts made -> max-attempts
        ("Q6", "2026-02-20", "form-C"),
        ("Q6", "2026-03-01", "form-B"),
        ("Q7", "2026-03-02", "form-A"),  # mar 2 + 30 = apr 1 = the day -> assigned C
    )
    policy = RetakePolicy(max_attempts=3, wait_days=30, max_overlap=0.5)
    people = ["Q1", "Q2", "Q3", "Q4", "Q5", "Q6", "Q7"]
    result = assign_retakes(
        people, attempts=history, policy=policy, forms=forms, on=date(2026, 4, 1)
    )
    got = [
        (a.person_id, a.status, a.form_id, a.overlap, a.attempt, a.earliest_date) for a in result
    ]
    assert got == [
        ("Q1", "assigned", "form-C", 0.0, 2, date(2026, 2, 9)),
        ("Q2", "assigned", "form-A", 0.5, 2, date(2026, 2, 9)),
        ("Q3", "wait", None, None, 2, date(2026, 4, 14)),
        ("Q4", "no-form", None, 1.0, 3, date(2026, 3, 22)),
        ("Q5", "first-attempt", "form-A", 0.0, 1, None),
        ("Q6", "max-attempts", None, None, 4, date(2026, 3, 31)),
        ("Q7", "assigned", "form-C", 0.0, 2, date(2026, 4, 1)),
    ]
    reasons = {a.person_id: a.reason for a in result}
    assert "form-A with 6 of 6 items (1.00)" in reasons["Q4"]
    assert "earliest 2026-04-14" in reasons["Q3"]


def test_assign_no_form_reports_the_smallest_overlap(forms):
    # after B, the least overlap is 3/6 = 0.5 (A, first in folder order; C ties), over 0.4
    history = _history(("Q2", "2026-01-10", "form-B"))
    (result,) = assign_retakes(
        ["Q2"],
        attempts=history,
        policy=RetakePolicy(max_overlap=0.4),
        forms=forms,
        on=date(2026, 1, 11),
    )
    assert (result.status, result.form_id, result.overlap) == ("no-form", None, 0.5)
    assert (
        "form-A with 3 of 6 items (0.50)" in result.reason and "max_overlap is 0.4" in result.reason
    )


def test_assign_without_policy_has_no_limits(forms):
    history = _history(("Q1", "2026-01-10", "form-A"), ("Q1", "2026-01-11", "form-C"))
    (result,) = assign_retakes(
        ["Q1"], attempts=history, policy=None, forms=forms, on=date(2026, 1, 12)
    )
    # every form is fully seen (1.0); without a limit the first of the tied forms is given
    assert (result.status, result.form_id, result.overlap, result.attempt) == (
        "assigned",
        "form-A",
        1.0,
        3,
    )


def test_assign_skips_proposals_and_refuses_a_twice_listed_candidate(program, forms):
    bank = load_bank(program.parent / "bank")
    proposal = form_from_items("form-0", IDS[6:12], bank=bank, credential_id="demo")
    write_form(proposal, program.parent / "forms")
    every = load_forms(program.parent / "forms")
    assert list(every) == ["form-0", "form-A", "form-B", "form-C"]
    (result,) = assign_retakes(["Q5"], attempts=[], policy=None, forms=every, on=date(2026, 1, 1))
    assert (result.status, result.form_id) == ("first-attempt", "form-A")
    with pytest.raises(InputError, match="listed twice"):
        assign_retakes(["Q1", "Q1"], attempts=[], policy=None, forms=forms, on=date(2026, 1, 1))


# --------------------------------------------------------------------------------------------
# credkit retakes check
# --------------------------------------------------------------------------------------------


def test_cli_check_lists_violations_and_exits_1(program):
    result = run("retakes", "check", program)
    assert result.exit_code == 1, result.output
    lines = result.stdout.strip().splitlines()
    assert len(lines) == 6
    assert lines[0].startswith("P02: attempt 2 (feb, 2026-02-01, form-C): wait_days: ")
    assert lines[3].startswith("P04: attempt 3 (may, 2026-05-01, form-B): max_overlap: ")
    assert lines[-1].startswith("5 retake violation(s) by 4 candidate(s)")


def test_cli_check_json(program):
    result = run("retakes", "check", program, "--json")
    assert result.exit_code == 1
    data = json.loads(result.stdout)
    assert data["ok"] is False
    assert data["policy"] == {"max_attempts": 2, "wait_days": 30, "max_overlap": 0.4}
    assert [(v["person_id"], v["rule"]) for v in data["violations"]] == [
        ("P02", "wait_days"),
        ("P03", "max_overlap"),
        ("P04", "max_attempts"),
        ("P04", "max_overlap"),
        ("P06", "max_overlap"),
    ]
    assert data["violations"][0]["date"] == "2026-02-01"


def test_cli_check_clean_exits_0(tmp_path):
    path = write_program(tmp_path, CLEAN, retakes="retakes: {max_attempts: 2, wait_days: 30}\n")
    result = run("retakes", "check", path)
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("ok: no retake violations")
    data = json.loads(run("retakes", "check", path, "--json").stdout)
    assert data["ok"] is True and data["violations"] == []


def test_cli_check_without_policy_has_nothing_to_check(tmp_path):
    path = write_program(tmp_path, HISTORY, retakes="")
    result = run("retakes", "check", path)
    assert result.exit_code == 0
    assert "no retakes: block" in result.stdout
    data = json.loads(run("retakes", "check", path, "--json").stdout)
    assert data["ok"] is True and data["policy"] is None


def test_cli_check_missing_window_is_one_line(tmp_path):
    path = write_program(tmp_path, HISTORY, windows=dict(WINDOWS, feb=None))
    one_line_error(run("retakes", "check", path), "administrations[2].window")


# --------------------------------------------------------------------------------------------
# credkit retakes assign
# --------------------------------------------------------------------------------------------


def _candidates(tmp_path, text):
    path = tmp_path / "candidates.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_cli_assign_writes_the_csv(program, tmp_path):
    cands = _candidates(tmp_path, "person_id,name\nP05,Eve\nNEW1,Noor\nP01,Ann\n")
    out = tmp_path / "assigned.csv"
    # P05 took A on may 1: may 1 + 30 days = may 31; on may 20 that is a wait
    result = run("retakes", "assign", program, "--candidates", cands, "--date", "2026-05-20",
                 "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"wrote {out}: 3 candidate(s) on 2026-05-20")
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert list(rows[0]) == ["person_id", "form", "overlap", "status", "earliest_date", "reason"]
    got = [(r["person_id"], r["form"], r["overlap"], r["status"], r["earliest_date"]) for r in rows]
    assert got == [
        ("P05", "", "", "wait", "2026-05-31"),
        ("NEW1", "form-A", "0", "first-attempt", ""),
        ("P01", "", "", "max-attempts", "2026-04-14"),  # 2 attempts = max_attempts 2
    ]
    # on june 15 P05 may sit: A 6/6, B 3/6 (0.5 > 0.4), C 0/6 -> C
    result = run("retakes", "assign", program, "--candidates", cands, "--date", "2026-06-15")
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert (rows[0]["form"], rows[0]["overlap"], rows[0]["status"]) == ("form-C", "0", "assigned")


def test_cli_assign_json(program, tmp_path):
    cands = _candidates(tmp_path, "person_id\nP03\n")
    # P03 has 2 attempts (A, B) = max_attempts; with a 3-attempt policy: seen items 1-9,
    # A 6/6, B 6/6, C 3/6 (0.5 > 0.4) -> no-form with 0.5
    program.write_text(program.read_text().replace("max_attempts: 2", "max_attempts: 3"))
    result = run("retakes", "assign", program, "--candidates", cands, "--date", "2026-06-15",
                 "--json")  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["date"] == "2026-06-15"
    assert data["counts"] == {"no-form": 1}
    (row,) = data["assignments"]
    assert (row["person_id"], row["status"], row["form"], row["overlap"], row["attempt"]) == (
        "P03",
        "no-form",
        None,
        0.5,
        3,
    )


def test_cli_assign_without_policy(tmp_path):
    path = write_program(tmp_path, HISTORY, retakes="")
    cands = _candidates(tmp_path, "person_id\nP04\n")
    # P04 saw A, C, B: every form 6/6; no limits -> the first form, 1.0
    result = run("retakes", "assign", path, "--candidates", cands, "--date", "2026-05-02")
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert [(r["form"], r["overlap"], r["status"]) for r in rows] == [("form-A", "1", "assigned")]


@pytest.mark.parametrize(
    ("text", "where"),
    [
        ("id,name\nP01,Ann\n", "candidates.csv:1: person_id: no 'person_id' column"),
        ("person_id\nP01\nP02\nP01\n", "candidates.csv:4: person_id: candidate 'P01' is listed"),
        ("person_id,name\nP01,Ann\n,Bob\n", "candidates.csv:3: person_id: empty person_id"),
        ("person_id\n", "candidates.csv:1: person_id: no candidates"),
        ("", "candidates.csv:1: person_id: no 'person_id' column"),
    ],
)
def test_cli_assign_bad_candidates(program, tmp_path, text, where):
    cands = _candidates(tmp_path, text)
    one_line_error(run("retakes", "assign", program, "--candidates", cands), where)


def test_cli_assign_missing_candidates_file(program, tmp_path):
    missing = tmp_path / "nope.csv"
    one_line_error(run("retakes", "assign", program, "--candidates", missing), f"{missing}")


def test_cli_assign_bad_date(program, tmp_path):
    cands = _candidates(tmp_path, "person_id\nP01\n")
    line = one_line_error(
        run("retakes", "assign", program, "--candidates", cands, "--date", "2026-13-01"),
        "--date",
    )
    assert "2026-13-01" in line


def test_cli_assign_refuses_to_overwrite_an_input(program, tmp_path):
    cands = _candidates(tmp_path, "person_id\nP01\n")
    before = cands.read_bytes()
    one_line_error(
        run("retakes", "assign", program, "--candidates", cands, "--out", cands), "--out"
    )
    assert cands.read_bytes() == before


# --------------------------------------------------------------------------------------------
# Pretest items count as presented
# --------------------------------------------------------------------------------------------
#
# Two more forms seed unscored pretest items (numbers are the items' positions in IDS, 1-12):
#
#   form-D = scored 7-10, pretest 11-12: presents 7-12 (the items of form-C)
#   form-G = scored 7-10, pretest 5-6:   presents 5-10


def _pretest_forms(program, forms):
    bank = load_bank(program.parent / "bank")

    def form(form_id, scored, pretest):
        return form_from_items(
            form_id,
            scored,
            bank=bank,
            credential_id="demo",
            status="published",
            published=date(2026, 1, 5),
            pretest=pretest,
        )

    d = form("form-D", IDS[6:10], IDS[10:12])
    g = form("form-G", IDS[6:10], IDS[4:6])
    assert (d.item_ids, d.pretest_ids) == (IDS[6:10], IDS[10:12])
    return {"form-A": forms["form-A"], "form-G": g, "form-C": forms["form-C"], "form-D": d}


def test_check_counts_pretest_items_as_presented(program, forms):
    every = _pretest_forms(program, forms)
    history = _history(
        ("R1", "2026-01-10", "form-D"),  # C after D: 7-12 all presented on D (11, 12 as pretest)
        ("R1", "2026-03-15", "form-C"),  # -> 6 of 6 (1.00); scored items only would say 4 of 6
        ("R2", "2026-01-10", "form-A"),  # G after A: G presents 5-10, of which 5, 6 were on A
        ("R2", "2026-03-15", "form-G"),  # -> 2 of 6 (0.33); G's scored 7-10 alone would be 0 of 4
        ("R3", "2026-01-10", "form-D"),  # A after D: nothing shared -> fine
        ("R3", "2026-03-15", "form-A"),
    )
    result = check_retakes(history, policy=RetakePolicy(max_overlap=0.3), forms=every)
    got = [(v.person_id, v.rule, v.message) for v in result.violations]
    assert got == [
        ("R1", "max_overlap", "6 of 6 items of form-C (1.00) were presented on earlier attempts; "
                              "max_overlap is 0.3"),
        ("R2", "max_overlap", "2 of 6 items of form-G (0.33) were presented on earlier attempts; "
                              "max_overlap is 0.3"),
    ]  # fmt: skip


def test_assign_counts_pretest_items_as_presented(program, forms):
    every = _pretest_forms(program, forms)
    history = _history(
        ("S1", "2026-01-10", "form-A"),  # A 6/6, G 2/6 (items 5, 6), C 0/6, D 0/6 -> C
        ("S2", "2026-01-10", "form-A"),  # items 1-6, then 7-12 (11, 12 as pretest on D):
        ("S2", "2026-02-10", "form-D"),  # every form 6/6 -> no-form, the least is A (first)
    )
    result = assign_retakes(
        ["S1", "S2"],
        attempts=history,
        policy=RetakePolicy(max_overlap=0.5),
        forms=every,
        on=date(2026, 6, 1),
    )
    got = [(a.person_id, a.status, a.form_id, a.overlap, a.attempt) for a in result]
    assert got == [("S1", "assigned", "form-C", 0.0, 2), ("S2", "no-form", None, 1.0, 3)]
    assert "form-A with 6 of 6 items (1.00)" in result[1].reason


def _naive_assignments(people, found, policy, forms, on):
    """Reference: a plain loop with item sets (independent of the vectorized code)."""
    published = [f for f in forms if forms[f].is_published]
    out = []
    for person in people:
        mine = [a for a in found if a.person_id == person]
        seen = {i for a in mine for i in forms[a.form_id].presented_ids}
        shares = {f: len(seen & set(forms[f].presented_ids)) / len(forms[f].presented_ids)
                  for f in published}  # fmt: skip
        least = min(published, key=lambda f: shares[f])  # min keeps the first of ties
        within = [f for f in published if shares[f] <= policy.max_overlap + 1e-9]
        last = max((a.date for a in mine), default=None)
        earliest = None if last is None else date.fromordinal(last.toordinal() + policy.wait_days)
        if not mine:
            row = ("first-attempt", published[0], 0.0)
        elif len(mine) >= policy.max_attempts:
            row = ("max-attempts", None, None)
        elif not within:
            row = ("no-form", None, shares[least])
        elif on < earliest:
            row = ("wait", None, None)
        else:
            chosen = min(within, key=lambda f: shares[f])
            row = ("assigned", chosen, shares[chosen])
        out.append((person, *row, len(mine) + 1, earliest))
    return out


def test_assign_agrees_with_a_plain_loop_on_many_candidates(program, forms):
    every = _pretest_forms(program, forms)
    rng = np.random.default_rng(5)
    people = [f"C{p:04d}" for p in range(400)]
    found = []
    for person in people[:350]:  # the last 50 have no earlier attempt
        n = int(rng.integers(1, 4))
        for d in sorted(rng.choice(300, size=n, replace=False).tolist()):
            day = date.fromordinal(date(2026, 1, 1).toordinal() + d)
            found.append(Attempt(person, f"w{d}", day, str(rng.choice(list(every)))))
    rng.shuffle(found)
    rng.shuffle(people)
    policy = RetakePolicy(max_attempts=3, wait_days=60, max_overlap=0.4)
    on = date(2026, 10, 1)
    result = assign_retakes(people, attempts=found, policy=policy, forms=every, on=on)
    got = [(a.person_id, a.status, a.form_id, a.overlap, a.attempt, a.earliest_date)
           for a in result]  # fmt: skip
    assert got == _naive_assignments(people, found, policy, every, on)
    assert {a.status for a in result} == {
        "first-attempt", "assigned", "wait", "max-attempts", "no-form"
    }  # fmt: skip


def test_assign_errors_name_the_first_offender(forms):
    with pytest.raises(InputError, match=r"'Q2' is listed twice \(positions 2 and 4\)"):
        assign_retakes(["Q1", "Q2", "Q3", "Q2", "Q1"], attempts=[], policy=None, forms=forms,
                       on=date(2026, 1, 1))  # fmt: skip
    history = _history(("Q1", "2026-01-10", "form-A"), ("Q2", "2026-01-10", "form-X"))
    with pytest.raises(InputError, match="candidate Q2 took form 'form-X' in w, which is not"):
        assign_retakes(["Q1", "Q2"], attempts=history, policy=None, forms=forms,
                       on=date(2026, 2, 1))  # fmt: skip
    # attempts of candidates not being placed are ignored, unknown forms included
    (only,) = assign_retakes(["Q1"], attempts=history, policy=None, forms=forms,
                             on=date(2026, 2, 1))  # fmt: skip
    assert (only.status, only.form_id) == ("assigned", "form-C")
    assert assign_retakes([], attempts=history, policy=None, forms=forms, on=date(2026, 2, 1)) == ()


# --------------------------------------------------------------------------------------------
# --out may not land in the forms folder or the bank; strict --date
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "target",
    [
        "forms/form-A.yaml",  # a published (frozen) form
        "forms/assigned.csv",  # a new file in the forms folder
        "bank/items/DA-0002.yaml",  # a bank item
        "bank/assigned.csv",
        "elsewhere/../forms/form-B.yaml",
        "link/form-C.yaml",  # a symlink to the forms folder
        "jan.csv",  # an administration's responses
    ],
)
def test_cli_assign_out_refuses_forms_bank_and_responses(program, tmp_path, target):
    root = program.parent
    (root / "elsewhere").mkdir()
    (root / "link").symlink_to(root / "forms")
    cands = _candidates(tmp_path, "person_id\nP05\n")
    files = [p for p in root.rglob("*") if p.is_file()]
    before = {p: p.read_bytes() for p in files}
    out = root / target
    line = one_line_error(
        run(
            "retakes",
            "assign",
            program,
            "--candidates",
            cands,
            "--date",
            "2026-06-15",
            "--out",
            out,
        ),  # fmt: skip
        "--out",
    )
    assert str(out) in line
    assert {p: p.read_bytes() for p in files} == before
    assert sorted(p for p in root.rglob("*") if p.is_file()) == sorted(files)


def test_cli_assign_out_beside_the_spec_is_fine(program, tmp_path):
    cands = _candidates(tmp_path, "person_id\nP05\n")
    out = program.parent / "assigned.csv"
    result = run("retakes", "assign", program, "--candidates", cands, "--date", "2026-06-15",
                 "--out", out)  # fmt: skip
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[1].startswith("P05,form-C,0,assigned,")


@pytest.mark.parametrize(
    "value", ["20270104", "2027-W01-1", "2026-1-04", " 2026-01-04", "2026-01-04T00:00", ""]
)
def test_cli_assign_date_must_be_yyyy_mm_dd(program, tmp_path, value):
    cands = _candidates(tmp_path, "person_id\nP05\n")
    line = one_line_error(
        run("retakes", "assign", program, "--candidates", cands, "--date", value), "--date"
    )
    assert f"expected a date YYYY-MM-DD, got {value!r}" in line


def test_parse_date_option():
    from psychometrics.cli._common import UserError, parse_date_option

    assert parse_date_option(None, "--date") is None
    assert parse_date_option("2028-02-29", "--date") == date(2028, 2, 29)
    with pytest.raises(UserError, match=r"--on: '2026-02-29' is not a valid date"):
        parse_date_option("2026-02-29", "--on")
    with pytest.raises(UserError, match=r"--on: expected a date YYYY-MM-DD, got '20260104'"):
        parse_date_option("20260104", "--on")


# --------------------------------------------------------------------------------------------
# A spec with a single administration: block
# --------------------------------------------------------------------------------------------


def _single_admin(tmp_path, *, window: bool, retakes: str = POLICY) -> Path:
    path = write_program(tmp_path, {"jan": HISTORY["jan"]}, retakes=retakes)
    text = path.read_text()
    block = "administrations:\n  - id: jan\n    responses: jan.csv\n"
    start, end = WINDOWS["jan"]
    entry = f"    window: {{start: {start}, end: {end}}}\n"
    assert block + entry in text
    single = "administration:\n  id: jan\n  responses: jan.csv\n"
    if window:
        single += entry[2:]
    path.write_text(text.replace(block + entry, single))
    return path


def test_single_administration_block_is_named_administration(tmp_path):
    path = _single_admin(tmp_path, window=False)
    with pytest.raises(InputError) as info:
        attempts(load_spec(path))
    assert info.value.field == "administration.window"
    assert info.value.line == path.read_text().splitlines().index("administration:") + 1
    line = one_line_error(run("retakes", "check", path), "administration.window")
    assert "administrations[" not in line
    # an error reading the responses names the block the same way
    (tmp_path / "jan.csv").write_text("person_id,DA-0002\nP01,D\n", encoding="utf-8")
    path.write_text(path.read_text().replace(POLICY, "retakes: {max_overlap: 0.4}\n"))
    line = one_line_error(run("retakes", "check", path), "administration.form_column")
    assert "administrations[" not in line


def test_single_administration_block_attempts(tmp_path):
    path = _single_admin(tmp_path, window=True)
    found = attempts(load_spec(path))
    assert [(a.person_id, a.administration_id, a.date) for a in found] == [
        (p, "jan", date(2026, 1, 10)) for p in ("P01", "P02", "P03", "P04", "P06")
    ]
