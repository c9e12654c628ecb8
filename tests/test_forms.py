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
