"""Real QTI 3.0 packages from 1EdTech's examples (tests/data/qti/1edtech, see SOURCE.md)."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from psychometrics.bank import lint_bank, load_bank
from psychometrics.bank.qti import export_qti
from psychometrics.bank.qti_import import import_qti

DATA = Path(__file__).resolve().parent / "data" / "qti" / "1edtech"


@pytest.mark.parametrize("name", ["BBQsTest.zip", "basicFeedbackTest.zip"])
def test_1edtech_documents_validate_against_the_shipped_schemas(name):
    """The schema is sound the other way too: 1EdTech's own documents pass."""
    pytest.importorskip("xmlschema")
    from psychometrics.bank.qti_schema import package_errors

    with zipfile.ZipFile(DATA / name) as zf:
        assert sum(n.endswith(".xml") for n in zf.namelist()) >= 6
    assert package_errors(DATA / name) == []


def test_bbqs_choice_items_are_imported_and_the_rest_skipped_with_reasons(tmp_path):
    result = import_qti(DATA / "BBQsTest.zip", tmp_path / "bank", outcome="DA1")
    assert result.item_ids == (
        "either-or-choice-root2",
        "Likert-choice-questionSet",
        "MultipleAnswer-choice-materials",
        "MultipleChoice-choice-polynomials",
        "TF-choice",
    )
    reasons = dict(result.skipped)
    assert len(reasons) == 17
    assert reasons["TheAnswer-001"].startswith("interactions: textEntryInteraction (")
    assert reasons["text_entry-Lycidas"].startswith("interactions: textEntryInteraction x2")
    assert reasons["QuizBowl-multi-geometry"].startswith(
        "interactions: inlineChoiceInteraction, textEntryInteraction"
    )
    assert reasons["SineRule-CalcFormQ-001"].startswith("template item")
    assert reasons["essay-vacation"].startswith("extended-text item without score levels")
    bank = load_bank(tmp_path / "bank")
    tf = bank["TF-choice"]
    assert (tf.stem, dict(tf.options), tf.key) == (
        "An octahedron has 12 faces.\n",
        {"A": "True", "B": "False"},
        ("B",),
    )
    assert [f["text"] for f in tf.data["feedback"]] == [
        "No, an octahedron has 8 faces.",
        "That's right, an octahedron has 8 faces.",
    ]
    materials = bank["MultipleAnswer-choice-materials"]
    assert materials.type == "msq" and materials.key == ("A", "I")
    assert materials.data["shuffle"] is True
    assert materials.data["scoring"] == {
        "map": {"A": 1, "I": 1},
        "default": 0,
        "lower_bound": 0,
        "upper_bound": 2,
    }
    # its rules set FEEDBACK from the score, which credkit does not write: reported
    assert (
        "MultipleAnswer-choice-materials",
        "custom response processing not kept (scored by key or mapping)",
    ) in result.changes
    assert ("TF-choice", "custom response processing not kept (scored by key or mapping)") not in (
        result.changes
    )
    assert lint_bank(tmp_path / "bank").ok


def test_1edtech_items_round_trip_through_credkit(tmp_path):
    import_qti(DATA / "basicFeedbackTest.zip", tmp_path / "a", outcome="DA1")
    bank = load_bank(tmp_path / "a")
    modal = bank["Example01-modalFeedback"].data["feedback"]
    assert [(f["kind"], f["identifier"], f["text"]) for f in modal] == [
        ("modal", "correct", "correct"),
        ("modal", "incorrect", "incorrect"),
    ]
    pkg = export_qti(bank, tmp_path / "again.zip")
    result = import_qti(pkg, tmp_path / "b")
    assert (result.skipped, result.changes) == ((), ())
    back = load_bank(tmp_path / "b")
    for item in bank:
        assert back[item.id] == item and dict(back[item.id].data) == dict(item.data)
