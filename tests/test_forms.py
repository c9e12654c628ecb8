"""Form files: proposals, publication, the digest, fingerprints and the validation of each field.

Small programs from ``programs.make_program`` (2 outcomes x 12 items, T-0002 an uncalibrated
pretest item; no published forms: each test writes the proposals it needs). Expected values are
worked out from the files the tests write, never taken from the code under test.
"""

from __future__ import annotations

import os
from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
import yaml
from click.testing import CliRunner
from programs import make_program

from psychometrics.bank import load_bank
from psychometrics.cli import main
from psychometrics.errors import InputError
from psychometrics.program.forms import (
    content_fingerprint,
    form_from_items,
    load_forms,
    publish_forms,
    read_form,
    write_form,
)

CRED = "test-cred"
ON = date(2026, 4, 1)


# ------------------------------------------------------------------------------------ helpers


def _program(tmp_path: Path):
    """A bank of 24 items (T-0002 uncalibrated), the spec and its (empty) forms folder."""
    root = tmp_path / "prog"
    spec = make_program(
        root, n_per_outcome=12, n_persons=20, admin=False, cut="theta", publish=False, pretest=(2,)
    )
    return root, spec, load_bank(root / "item_bank"), root / "specs" / "forms" / CRED


def _proposal(bank, form_id, scored, *, pretest=(), at=None):
    """A proposal of ``scored`` then ``pretest`` items; ``at`` moves the (one) pretest item to
    that 0-based index of the delivery order."""
    form = form_from_items(form_id, scored, pretest=pretest, bank=bank, credential_id=CRED)
    if at is not None:
        items = [it for it in form.items if it.scored]
        items.insert(at, next(it for it in form.items if not it.scored))
        form = replace(form, items=tuple(replace(it, position=k + 1) for k, it in enumerate(items)))
    return form


def _line_of(path: Path, text: str) -> int:
    """1-based number of the first line of ``path`` that equals ``text``."""
    return path.read_text().splitlines().index(text) + 1


def _edit_item(root: Path, item_id: str, change) -> None:
    path = root / "item_bank" / "items" / f"{item_id}.yaml"
    doc = yaml.safe_load(path.read_text())
    change(doc)
    path.write_text(yaml.safe_dump(doc, sort_keys=False))


def _files(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir())}


# ----------------------------------------------------- 1. publication keeps the proposal


def test_publish_keeps_the_proposals_order_and_scored_flags(tmp_path):
    _, _, bank, folder = _program(tmp_path)
    prop = _proposal(bank, "form-A", ["T-0001", "T-0003", "T-0004"], pretest=["T-0002"], at=1)
    write_form(prop, folder)
    expected = [(1, "T-0001", True), (2, "T-0002", False), (3, "T-0003", True), (4, "T-0004", True)]
    assert [(i.position, i.item_id, i.scored) for i in read_form(folder / "form-A.yaml").items] == (
        expected
    )

    [published] = publish_forms(folder, bank=bank, credential_id=CRED, on=ON)
    assert [(i.position, i.item_id, i.scored) for i in published.items] == expected
    again = read_form(folder / "form-A.yaml")
    assert [(i.position, i.item_id, i.scored) for i in again.items] == expected
    assert again.status == "published" and again.published == ON
    assert again.item_ids == ("T-0001", "T-0003", "T-0004")
    assert again.pretest_ids == ("T-0002",)
    # the bank did not change: the same fingerprints as proposed
    assert [(i.content_sha256, i.parameters_sha256) for i in again.items] == [
        (i.content_sha256, i.parameters_sha256) for i in prop.items
    ]


# ------------------------------------------ 2. publication checks what was reviewed


def test_publish_refuses_items_changed_since_the_proposal(tmp_path):
    root, _, bank, folder = _program(tmp_path)
    write_form(_proposal(bank, "form-A", ["T-0001", "T-0003", "T-0004", "T-0013"]), folder)
    path = folder / "form-A.yaml"
    before = path.read_bytes()

    def reword(doc):
        doc["stem"] = "A reworded question?"

    def recalibrate(doc):
        doc["irt"]["b"] = round(doc["irt"]["b"] + 0.5, 3)

    _edit_item(root, "T-0004", reword)  # position 3
    _edit_item(root, "T-0013", recalibrate)  # position 4
    bank = load_bank(root / "item_bank")
    with pytest.raises(InputError) as info:
        publish_forms(folder, bank=bank, credential_id=CRED, on=ON)
    err = info.value
    assert err.file == str(path) and err.line == _line_of(path, "- position: 3")
    assert "2 item(s) changed" in err.message
    assert "form-A T-0004 (content)" in err.message
    assert "form-A T-0013 (parameters)" in err.message
    assert "--accept-changes" in err.message
    assert path.read_bytes() == before

    publish_forms(folder, bank=bank, credential_id=CRED, on=ON, accept_changes=True)
    again = read_form(path)
    assert again.is_published
    proposed = yaml.safe_load(before)["items"][2]["content_sha256"]
    assert again.items[2].content_sha256 == content_fingerprint(bank["T-0004"], bank) != proposed


def test_publish_refuses_an_item_missing_from_the_bank(tmp_path):
    root, _, bank, folder = _program(tmp_path)
    write_form(_proposal(bank, "form-A", ["T-0001", "T-0003", "T-0004"]), folder)
    (root / "item_bank" / "items" / "T-0003.yaml").unlink()
    bank = load_bank(root / "item_bank")
    path = folder / "form-A.yaml"
    for accept in (False, True):
        with pytest.raises(InputError) as info:
            publish_forms(folder, bank=bank, credential_id=CRED, on=ON, accept_changes=accept)
        assert info.value.file == str(path)
        assert info.value.line == _line_of(path, "- position: 2")
        assert "T-0003" in info.value.message and "not in the bank" in info.value.message
    assert read_form(path).status == "proposal"


def test_publish_refuses_a_scored_item_without_parameters(tmp_path):
    _, _, bank, folder = _program(tmp_path)
    assert bank["T-0002"].irt is None
    # T-0002 is uncalibrated: fine as a seeded pretest item, refused as a scored one
    write_form(_proposal(bank, "form-A", ["T-0001", "T-0002", "T-0003"]), folder)
    path = folder / "form-A.yaml"
    with pytest.raises(InputError) as info:
        publish_forms(folder, bank=bank, credential_id=CRED, on=ON, accept_changes=True)
    assert info.value.file == str(path)
    assert info.value.line == _line_of(path, "- position: 2")
    assert "T-0002" in info.value.message and "no IRT parameters" in info.value.message


# ---------------------------------------------------------- 3. all forms or none


def test_publishing_several_forms_is_all_or_nothing(tmp_path, monkeypatch):
    _, _, bank, folder = _program(tmp_path)
    write_form(_proposal(bank, "form-C", ["T-0001", "T-0003"]), folder)
    write_form(_proposal(bank, "form-D", ["T-0004", "T-0005"]), folder)
    before = _files(folder)
    real_replace = os.replace

    def failing_replace(src, dst, *args, **kwargs):
        if Path(dst).name == "form-D.yaml" and not str(src).endswith(".restore"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing_replace)
    with pytest.raises(OSError):
        publish_forms(folder, bank=bank, credential_id=CRED, on=ON)
    monkeypatch.undo()
    assert _files(folder) == before  # both still proposals, no temporary file left
    assert {f.status for f in load_forms(folder).values()} == {"proposal"}


def test_a_repeated_form_id_is_published_once(tmp_path):
    _, spec, bank, folder = _program(tmp_path)
    write_form(_proposal(bank, "form-C", ["T-0001", "T-0003"]), folder)
    write_form(_proposal(bank, "form-D", ["T-0004", "T-0005"]), folder)
    out = publish_forms(
        folder, bank=bank, credential_id=CRED, form_ids=["form-D", "form-C", "form-D"], on=ON
    )
    assert [f.form_id for f in out] == ["form-D", "form-C"]
    assert all(f.is_published for f in load_forms(folder).values())


def test_cli_publish_prints_a_repeated_form_once(tmp_path):
    _, spec, bank, folder = _program(tmp_path)
    write_form(_proposal(bank, "form-C", ["T-0001", "T-0003"]), folder)
    res = CliRunner().invoke(
        main, ["forms", "publish", str(spec), "--form", "form-C", "--form", "form-C"]
    )
    assert res.exit_code == 0, res.output
    assert res.stdout.count("published form-C") == 1


# ------------------------------------------------ 4. write_form replaces only a proposal


@pytest.mark.parametrize(
    "text",
    [
        "items: [unclosed\n",  # malformed YAML
        "format: something-else/1\nform: form-A\n",  # not a credkit form
        "just some notes\n",  # not a mapping
    ],
    ids=["malformed", "other-format", "not-a-mapping"],
)
def test_write_form_never_replaces_a_file_that_is_not_a_form(tmp_path, text):
    _, _, bank, folder = _program(tmp_path)
    folder.mkdir(parents=True)
    path = folder / "form-A.yaml"
    path.write_text(text)
    with pytest.raises(InputError) as info:
        write_form(_proposal(bank, "form-A", ["T-0001", "T-0003"]), folder)
    assert info.value.file == str(path)
    assert "not a readable form" in info.value.message
    assert path.read_text() == text


def test_write_form_replaces_a_proposal_never_a_published_form(tmp_path):
    _, _, bank, folder = _program(tmp_path)
    write_form(_proposal(bank, "form-A", ["T-0001", "T-0003"]), folder)
    write_form(_proposal(bank, "form-A", ["T-0004", "T-0005"]), folder)
    assert read_form(folder / "form-A.yaml").item_ids == ("T-0004", "T-0005")
    publish_forms(folder, bank=bank, credential_id=CRED, on=ON)
    before = (folder / "form-A.yaml").read_bytes()
    with pytest.raises(InputError, match="published and frozen"):
        write_form(_proposal(bank, "form-A", ["T-0001", "T-0003"]), folder)
    assert (folder / "form-A.yaml").read_bytes() == before


# ------------------------------------------------------- 5. the published form's digest


def _published(tmp_path):
    root, spec, bank, folder = _program(tmp_path)
    write_form(
        _proposal(bank, "form-A", ["T-0001", "T-0003", "T-0004"], pretest=["T-0002"]), folder
    )
    publish_forms(folder, bank=bank, credential_id=CRED, on=ON)
    return root, spec, bank, folder / "form-A.yaml"


def _edit_fingerprint(text: str) -> str:
    """The content fingerprint of position 2 with its last hex digit changed."""
    lines = text.splitlines(True)
    k = lines.index("- position: 2\n")
    k += next(j for j, ln in enumerate(lines[k:]) if ln.startswith("  content_sha256: "))
    last = lines[k][-2]
    lines[k] = lines[k][:-2] + ("1" if last == "0" else "0") + "\n"
    return "".join(lines)


def _edit_key(text: str) -> str:
    """The first item's key replaced by another letter."""
    key = yaml.safe_load(text)["items"][0]["key"]
    return text.replace(f"  key: {key}\n", "  key: " + ("B" if key != "B" else "C") + "\n", 1)


EDITS = {
    # the pretest item (position 4) becomes scored
    "scored-flipped": lambda text: text.replace("  scored: false\n", ""),
    # a scored item marked unscored
    "scored-added": lambda text: text.replace("  id: T-0003\n", "  id: T-0003\n  scored: false\n"),
    "item-swapped": lambda text: text.replace("  id: T-0003\n", "  id: T-0005\n"),
    "fingerprint-edited": _edit_fingerprint,
    "key-edited": _edit_key,
}


@pytest.mark.parametrize("edit", list(EDITS))
def test_an_edited_published_form_is_an_error(tmp_path, edit):
    _, _, _, path = _published(tmp_path)
    text = path.read_text()
    assert text.count("\ndigest: sha256:") == 1
    edited = EDITS[edit](text)
    assert edited != text
    path.write_text(edited)
    with pytest.raises(InputError) as info:
        read_form(path)
    assert info.value.file == str(path)
    assert info.value.line == _line_of(
        path, next(ln for ln in edited.splitlines() if ln.startswith("digest: "))
    )
    assert "published form was edited after publication" in info.value.message


def test_a_proposal_may_be_edited_freely(tmp_path):
    _, _, bank, folder = _program(tmp_path)
    write_form(_proposal(bank, "form-A", ["T-0001", "T-0003", "T-0004"]), folder)
    path = folder / "form-A.yaml"
    assert "digest:" not in path.read_text()
    path.write_text(path.read_text().replace("  id: T-0003\n", "  id: T-0003\n  scored: false\n"))
    assert read_form(path).pretest_ids == ("T-0003",)


def test_a_published_form_without_digest_is_a_finding(tmp_path):
    from psychometrics.program.forms import fingerprint_findings

    _, _, bank, path = _published(tmp_path)
    assert fingerprint_findings([read_form(path)], bank) == []
    lines = [ln for ln in path.read_text().splitlines(True) if not ln.startswith("digest: ")]
    path.write_text("".join(lines))
    form = read_form(path)
    [finding] = fingerprint_findings([form], bank)
    assert (finding.form_id, finding.item_id, finding.what) == ("form-A", "", "digest")
    assert finding.file == str(path) and "no digest" in finding.message


# ------------------------------------------------------------ 6. what the fingerprints see


def _small_bank(tmp_path: Path) -> Path:
    """A copy of three example items: DA-0224 of set DA-SET-01 (with its set file), DA-0225 of
    the same set, and DA-0001 (a rubric item with score levels)."""
    src = Path(__file__).resolve().parents[1] / "item_bank"
    bank = tmp_path / "bank"
    (bank / "items").mkdir(parents=True)
    (bank / "sets").mkdir()
    for name in ("DA-0224", "DA-0225", "DA-0001"):
        (bank / "items" / f"{name}.yaml").write_text((src / "items" / f"{name}.yaml").read_text())
    (bank / "sets" / "DA-SET-01.yaml").write_text((src / "sets" / "DA-SET-01.yaml").read_text())
    return bank


def _replace_in(path: Path, old: str, new: str) -> None:
    text = path.read_text()
    assert text.count(old) == 1, old
    path.write_text(text.replace(old, new))


def test_trailing_whitespace_of_texts_does_not_change_the_content_fingerprint(tmp_path):
    root = _small_bank(tmp_path)
    bank = load_bank(root)
    before = {i: content_fingerprint(bank[i], bank) for i in ("DA-0224", "DA-0225", "DA-0001")}
    items, sets = root / "items", root / "sets"
    _replace_in(items / "DA-0224.yaml", "stem: |\n", "stem: |-\n")  # no final newline
    _replace_in(items / "DA-0224.yaml", "  A: '2'\n", "  A: '2  '\n")
    _replace_in(
        items / "DA-0001.yaml",
        "  0: No relevant weakness identified, or the response is off-topic.\n",
        "  0: 'No relevant weakness identified, or the response is off-topic.\n\n  '\n",
    )
    _replace_in(sets / "DA-SET-01.yaml", "stimulus: |\n", "stimulus: |+\n")
    with open(sets / "DA-SET-01.yaml", "a") as handle:  # |+ keeps these trailing newlines
        handle.write("\n\n")
    bank = load_bank(root)
    # the edits did reach the parsed texts
    assert bank["DA-0224"].stem.endswith("```")
    assert bank["DA-0224"].options["A"] == "2  "
    assert bank["DA-0001"].score_levels[0].endswith("off-topic.\n")
    assert bank.sets["DA-SET-01"].stimulus.endswith("|\n\n\n")
    after = {i: content_fingerprint(bank[i], bank) for i in before}
    assert after == before


@pytest.mark.parametrize(
    ("file", "old", "new"),
    [
        ("items/DA-0224.yaml", "What does this query", "What  does this query"),  # inner space
        ("items/DA-0224.yaml", "  A: '2'\n", "  A: ' 2'\n"),  # leading space of an option
        ("sets/DA-SET-01.yaml", "| 1 | Ana |", "| 1 | Anna |"),  # the stimulus (DA-0225 too)
        # the display order of the options
        ("items/DA-0224.yaml", "  A: '2'\n  B: '3'\n", "  B: '3'\n  A: '2'\n"),
    ],
    ids=["inner-space", "leading-space", "stimulus", "option-order"],
)
def test_what_candidates_see_changes_the_content_fingerprint(tmp_path, file, old, new):
    root = _small_bank(tmp_path)
    bank = load_bank(root)
    before = content_fingerprint(bank["DA-0224"], bank)
    _replace_in(root / file, old, new)
    bank = load_bank(root)
    assert content_fingerprint(bank["DA-0224"], bank) != before


def test_a_reclassified_item_is_an_outcome_finding_not_a_content_change(tmp_path):
    from psychometrics.program.forms import fingerprint_findings

    root, _, bank, path = _published(tmp_path)  # form-A: T-0001, T-0003, T-0004 + T-0002

    def reclassify(doc):
        assert doc["outcome"] == "O1"
        doc["outcome"] = "O2"

    _edit_item(root, "T-0003", reclassify)
    _edit_item(root, "T-0002", reclassify)  # the pretest item: in no blueprint table
    bank = load_bank(root / "item_bank")
    [finding] = fingerprint_findings([read_form(path)], bank)
    assert (finding.item_id, finding.position, finding.what) == ("T-0003", 2, "outcome")
    assert finding.line == _line_of(path, "- position: 2")
    assert "re-classified from O1 to O2 after publication" in finding.message
    assert "the blueprint table uses the bank's outcome" in finding.message


# ------------------------------------------------------- 7-10. reading a form file


@pytest.fixture(scope="module")
def texts(tmp_path_factory):
    """The text of a proposal of form-A (T-0001, T-0003, pretest T-0002) and of the same form
    published on 2026-04-01."""
    root, _, bank, folder = _program(tmp_path_factory.mktemp("texts"))
    write_form(_proposal(bank, "form-A", ["T-0001", "T-0003"], pretest=["T-0002"]), folder)
    proposal = (folder / "form-A.yaml").read_text()
    publish_forms(folder, bank=bank, credential_id=CRED, on=ON)
    return {"proposal": proposal, "published": (folder / "form-A.yaml").read_text()}


def _refused(tmp_path, text, old, new, *, line_text=None, count=1):
    """Write ``text`` with ``old`` replaced by ``new`` and return read_form's InputError, after
    checking that it names the file and the line of ``line_text`` (default: the first line of
    ``new``)."""
    assert text.count(old) == count, old
    path = tmp_path / "form-A.yaml"
    path.write_text(text.replace(old, new))
    with pytest.raises(InputError) as info:
        read_form(path)
    err = info.value
    assert err.file == str(path)
    want = new.splitlines()[0] if line_text is None else line_text
    assert err.line == _line_of(path, want), str(err)
    assert not err.message.startswith(f"{err.field}:"), str(err)  # 9: the field said once
    return err


ASSEMBLIES = {
    "not-a-mapping": ("assembly: 5\n", "assembly"),
    "target-a-number": ("assembly:\n  solver: x\n  target: 5\n", "assembly.target"),
    "gap-text": ("assembly:\n  gap: small\n", "assembly.gap"),
    "gap-bool": ("assembly:\n  gap: true\n", "assembly.gap"),
    "seconds-list": ("assembly:\n  seconds: [1]\n", "assembly.seconds"),
    "target-entry-number": ("assembly:\n  target:\n  - 0.5\n", "assembly.target[0]"),
    "theta-text": (
        "assembly:\n  target:\n  - theta: high\n    information: 1.0\n",
        "assembly.target[0].theta",
    ),
    "theta-missing": ("assembly:\n  target:\n  - information: 1.0\n", "assembly.target[0].theta"),
    "theta-nan": ("assembly:\n  target:\n  - theta: .nan\n", "assembly.target[0].theta"),
    "tcc-text": (
        "assembly:\n  target:\n  - theta: 0.5\n  - theta: 1.0\n    tcc: lots\n",
        "assembly.target[1].tcc",
    ),
    "versions-list": ("assembly:\n  versions: [numpy]\n", "assembly.versions"),
    "version-number": ("assembly:\n  versions:\n    numpy: 2.0\n", "assembly.versions.numpy"),
    "solver-list": ("assembly:\n  solver: [x]\n", "assembly.solver"),
}
ASSEMBLY_LINES = {  # the line each error names, when not the first line of the block
    "target-a-number": "  target: 5",
    "gap-text": "  gap: small",
    "gap-bool": "  gap: true",
    "seconds-list": "  seconds: [1]",
    "target-entry-number": "  - 0.5",
    "theta-text": "  - theta: high",
    "theta-missing": "  - information: 1.0",
    "theta-nan": "  - theta: .nan",
    "tcc-text": "    tcc: lots",
    "versions-list": "  versions: [numpy]",
    "version-number": "    numpy: 2.0",
    "solver-list": "  solver: [x]",
}


@pytest.mark.parametrize("case", list(ASSEMBLIES))
def test_a_malformed_assembly_record_names_file_line_and_field(tmp_path, texts, case):
    block, field = ASSEMBLIES[case]
    err = _refused(
        tmp_path, texts["proposal"], "assembly: null\n", block, line_text=ASSEMBLY_LINES.get(case)
    )
    assert err.field == field


def test_a_valid_assembly_record_reads_with_its_nulls(tmp_path, texts):
    path = tmp_path / "form-A.yaml"
    block = (
        "assembly:\n  solver: s\n  status: optimal\n  message: null\n  gap: 0\n  objective: 1.5\n"
        "  bound: null\n  seconds: 2\n  target:\n  - {theta: -1, information: null, tcc: 3}\n"
        "  - {theta: 0.5, information: 4.25, tcc: null}\n"
        "  versions: {numpy: '2.0', credkit: 0.1.0}\n"
    )
    path.write_text(texts["proposal"].replace("assembly: null\n", block))
    record = read_form(path).assembly
    assert (record.solver, record.status, record.message) == ("s", "optimal", "")
    assert (record.gap, record.objective, record.bound, record.seconds) == (0.0, 1.5, None, 2.0)
    assert record.target_theta == (-1.0, 0.5)
    assert record.information_at_target == (None, 4.25)
    assert record.tcc_at_target == (3.0, None)
    assert dict(record.versions) == {"numpy": "2.0", "credkit": "0.1.0"}


@pytest.mark.parametrize(
    "value",
    ["2026-11-20 10:00:00", "20261120", "'20261120'", "'2026-4-1'", "'2026-04-01T00:00'", "[1]"],
)
def test_a_publication_date_must_be_yyyy_mm_dd(tmp_path, texts, value):
    err = _refused(
        tmp_path, texts["published"], "published: '2026-04-01'\n", f"published: {value}\n"
    )
    assert err.field == "published"
    assert "expected a date YYYY-MM-DD" in err.message


@pytest.mark.parametrize("value", ["2026-13-01", "'2026-13-01'", "2026-02-30"])
def test_an_impossible_date_names_its_line(tmp_path, texts, value):
    err = _refused(
        tmp_path, texts["published"], "published: '2026-04-01'\n", f"published: {value}\n"
    )
    assert err.field == "published"
    assert f"'{value.strip(chr(39))}' is not a valid date" in err.message
    assert "\n" not in str(err)


def test_an_unquoted_date_reads(tmp_path, texts):
    path = tmp_path / "form-A.yaml"
    path.write_text(texts["published"].replace("published: '2026-04-01'", "published: 2026-04-01"))
    assert read_form(path).published == ON


def test_errors_say_the_field_once(tmp_path, texts):
    text = texts["proposal"]
    last = text[text.index("- position: 3\n") :]  # the last entry and the assembly record
    err = _refused(tmp_path, text, last, "- T-0002\nassembly: null\n")
    path = tmp_path / "form-A.yaml"
    assert str(err) == f"{path}:{err.line}: items[2]: expected a mapping, got 'T-0002'"
    err = _refused(
        tmp_path,
        texts["proposal"],
        "  scored: false\n",
        "  scored: 'no'\n",
        line_text="  scored: 'no'",
    )
    assert str(err).endswith(": items[2].scored: expected true or false, got 'no'")


FIELDS = {
    # case: (old, new, line text or None for line 1, field)
    "position-true": ("- position: 1\n", "- position: true\n", None, "items[0].position"),
    "position-text": ("- position: 2\n", "- position: '2'\n", None, "items[1].position"),
    "credential-missing": ("credential: test-cred\n", "", 1, "credential"),
    "credential-number": ("credential: test-cred\n", "credential: 7\n", None, "credential"),
    "status-missing": ("status: proposal\n", "", 1, "status"),
    "status-other": ("status: proposal\n", "status: draft\n", None, "status"),
    "dated-proposal": ("published: null\n", "published: '2026-04-01'\n", None, "published"),
    "outcome-list": (
        "  outcome: O1\n  key: B\n",
        "  outcome: [O1]\n  key: B\n",
        None,
        "items[0].outcome",
    ),
}


@pytest.mark.parametrize("case", list(FIELDS))
def test_fields_read_silently_before_are_errors(tmp_path, texts, case):
    old, new, where, field = FIELDS[case]
    if where == 1:
        path = tmp_path / "form-A.yaml"
        path.write_text(texts["proposal"].replace(old, new))
        assert texts["proposal"].count(old) == 1
        with pytest.raises(InputError) as info:
            read_form(path)
        err = info.value
        assert err.file == str(path) and err.line == 1
    else:
        err = _refused(tmp_path, texts["proposal"], old, new)
    assert err.field == field, str(err)
    if case == "dated-proposal":
        assert "a proposal has no publication date" in err.message


def test_a_yml_file_in_the_forms_folder_is_refused(tmp_path, texts):
    folder = tmp_path / "forms"
    folder.mkdir()
    (folder / "form-A.yaml").write_text(texts["proposal"])
    (folder / "form-B.yml").write_text(texts["proposal"].replace("form: form-A", "form: form-B"))
    with pytest.raises(InputError) as info:
        load_forms(folder)
    assert info.value.file == str(folder / "form-B.yml")
    assert "form files end in .yaml" in info.value.message


# ------------------------------------------------------------------ 11. credkit forms


def test_cli_publish_on_a_failing_disk_is_one_error_and_publishes_nothing(tmp_path, monkeypatch):
    _, spec, bank, folder = _program(tmp_path)
    write_form(_proposal(bank, "form-C", ["T-0001", "T-0003"]), folder)
    write_form(_proposal(bank, "form-D", ["T-0004", "T-0005"]), folder)
    before = _files(folder)
    real_replace = os.replace

    def failing_replace(src, dst, *args, **kwargs):
        if Path(dst).name == "form-D.yaml" and not str(src).endswith(".restore"):
            raise OSError(28, "No space left on device")
        return real_replace(src, dst, *args, **kwargs)

    monkeypatch.setattr(os, "replace", failing_replace)
    res = CliRunner().invoke(main, ["forms", "publish", str(spec)])
    monkeypatch.undo()
    assert res.exit_code == 1, res.output
    assert "Traceback" not in res.output
    [line] = res.stderr.strip().splitlines()
    assert line.startswith(f"credkit: error: {folder}")
    assert "No space left on device" in line and "none was published" in line
    assert _files(folder) == before


def test_cli_list_reads_no_bank_and_counts_scored_and_pretest_items(tmp_path):
    root, spec, bank, folder = _program(tmp_path)
    write_form(
        _proposal(bank, "form-A", ["T-0001", "T-0003", "T-0004"], pretest=["T-0002"]), folder
    )
    write_form(_proposal(bank, "form-B", ["T-0005", "T-0006"]), folder)
    # an item on neither form is broken: listing the forms does not need the bank
    (root / "item_bank" / "items" / "T-0024.yaml").write_text("id: T-0024\nstem: [unclosed\n")
    res = CliRunner().invoke(main, ["forms", "list", str(spec)])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [
        "form-A: proposal, 3 items + 1 pretest",
        "form-B: proposal, 2 items",
    ]


def test_cli_publish_prints_scored_and_pretest_items(tmp_path):
    _, spec, bank, folder = _program(tmp_path)
    write_form(
        _proposal(bank, "form-A", ["T-0001", "T-0003", "T-0004"], pretest=["T-0002"]), folder
    )
    res = CliRunner().invoke(main, ["forms", "publish", str(spec), "--date", "2026-04-01"])
    assert res.exit_code == 0, res.output
    assert res.stdout.splitlines() == [
        f"published form-A: 3 items + 1 pretest -> {folder / 'form-A.yaml'}"
    ]
    res = CliRunner().invoke(main, ["forms", "list", str(spec)])
    assert res.stdout.splitlines() == ["form-A: published 2026-04-01, 3 items + 1 pretest"]


@pytest.mark.parametrize("value", ["20260401", "2026-04-01T10:00", "2026-13-01"])
def test_cli_publish_date_must_be_yyyy_mm_dd(tmp_path, value):
    _, spec, bank, folder = _program(tmp_path)
    write_form(_proposal(bank, "form-A", ["T-0001", "T-0003"]), folder)
    res = CliRunner().invoke(main, ["forms", "publish", str(spec), "--date", value])
    assert res.exit_code == 1
    [line] = res.stderr.strip().splitlines()
    assert line in (
        f"credkit: error: --date: expected a date YYYY-MM-DD, got {value!r}",
        f"credkit: error: --date: {value!r} is not a valid date (month must be in 1..12)",
    )
    assert read_form(folder / "form-A.yaml").status == "proposal"
