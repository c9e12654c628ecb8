"""QTI import of real-shaped packages, one per defect of issue 18 (tests/data/qti/corpus.py)."""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from psychometrics.bank import lint_bank, load_bank
from psychometrics.bank.qti import export_qti, item_xml
from psychometrics.bank.qti_import import import_qti
from psychometrics.bank.qti_markup import markdown_to_xhtml
from psychometrics.cli import main
from psychometrics.errors import InputError

sys.path.insert(0, str(Path(__file__).resolve().parent / "data" / "qti"))
import corpus

QTI = "{http://www.imsglobal.org/xsd/imsqtiasi_v3p0}"


@pytest.fixture(scope="module")
def packages(tmp_path_factory):
    return corpus.build(tmp_path_factory.mktemp("corpus"))


@pytest.fixture(scope="module")
def imported(packages, tmp_path_factory):
    """Every well-formed package imported into its own new bank: name -> (result, bank dir)."""
    root = tmp_path_factory.mktemp("banks")
    return {
        name: (import_qti(packages[name], root / name, outcome="DA1"), root / name)
        for name in corpus.PACKAGES
    }


@pytest.mark.parametrize("name", list(corpus.EXPECTED))
def test_each_package_imports_what_it_should_and_skips_the_rest_with_reasons(imported, name):
    result, folder = imported[name]
    expected = corpus.EXPECTED[name]
    assert list(result.item_ids) == expected["imported"]
    reasons = dict(result.skipped)
    assert set(reasons) == set(expected["skipped"])
    for ident, words in expected["skipped"].items():
        assert words in reasons[ident]
    if result.item_ids:
        assert lint_bank(folder).ok
        assert load_bank(folder).items_dir == folder / "items"
    else:
        assert not folder.exists()  # nothing to write: no bank is created


def test_inline_feedback_is_feedback_not_option_text(imported):
    """Defect 3: 'the scientific study of behavior... Feedback for 1'."""
    result, folder = imported["cc-inline-feedback"]
    item = load_bank(folder)["cc-q1"]
    assert item.options["A"] == "the scientific study of behavior and mental processes"
    assert not any("Feedback" in text for text in item.options.values())
    feedback = item.data["feedback"]
    assert [(f["option"], f["identifier"], f["text"]) for f in feedback] == [
        (letter, letter, f"Feedback for {k}") for k, letter in enumerate("ABCD", start=1)
    ]
    assert result.changes == ()  # its rules (match, FEEDBACK = RESPONSE) are what credkit writes


def test_conditional_and_template_content_is_kept_apart_from_the_stem(imported):
    """Defect 4: a hint or a template variant is never permanent stem text."""
    item = load_bank(imported["conditional-content"][1])["cond-1"]
    assert item.stem == "The values are 3, 9, 4 and 100.\n\nWhat is the median?\n"
    kinds = [(f["kind"], f["identifier"], f.get("show", True)) for f in item.data["feedback"]]
    assert kinds == [
        ("block", "HINT", True),
        ("template", "B", True),
        ("modal", "correct", True),
        ("modal", "correct", False),
    ]
    assert item.data["feedback"][2]["title"] == "Right"


def test_items_with_other_or_several_interactions_are_skipped_never_cut_down(imported):
    """Defect 5: TAO's scaledscoring (choice + slider) used to become a choice item."""
    result, folder = imported["multi-interaction"]
    assert result.item_ids == ()
    reason = dict(result.skipped)["R1"]
    assert reason.startswith("interactions: choiceInteraction, sliderInteraction")
    hint = dict(imported["conditional-content"][0].skipped)["R2"]
    assert "endAttemptInteraction" in hint


def test_inline_text_in_a_div_stays_one_paragraph_with_its_emphasis(imported):
    """Defect 6: 'in order from / least / to / greatest / ?'."""
    bank = load_bank(imported["layout"][1])
    assert bank["order-numbers"].stem == (
        "Put the numbers in order from **least** to **greatest**?\n"
    )
    tables = bank["layout-tables"].stem
    assert tables.startswith("Use the table.\n\n| Year | Sales |")  # the empty layout table is gone
    assert "| Only | Header |\n|---|---|\n" in tables
    body = ET.fromstring(item_xml(bank["layout-tables"])).find(f".//{QTI}qti-item-body")
    for table in body.iter(f"{QTI}table"):  # defect 2: every table has a row in a tbody
        assert table.find(f"{QTI}tbody/{QTI}tr") is not None


def test_ruby_sub_and_superscripts_stay_markup(imported):
    """Defect 7: ruby annotations were flattened into the text."""
    item = load_bank(imported["layout"][1])["ruby"]
    assert "<ruby>漢字<rt>かんじ</rt></ruby>" in item.stem and "H<sub>2</sub>O" in item.stem
    root = ET.fromstring(item_xml(item))
    ruby = root.find(f".//{QTI}ruby")
    assert ruby.text == "漢字" and ruby.find(f"{QTI}rt").text == "かんじ"
    assert root.find(f".//{QTI}sub").text == "2"


def test_true_false_and_two_option_items(imported):
    bank = load_bank(imported["true-false"][1])
    tf = bank["TF-choice"]
    assert dict(tf.options) == {"A": "True", "B": "False"} and tf.key == ("A",)
    assert bank["either-or"].key == ("A",)
    warnings = {f.rule for f in lint_bank(imported["true-false"][1]).findings}
    assert "two-options" in warnings


def test_partial_credit_mappings_are_item_scoring(imported):
    result, folder = imported["partial-credit"]
    bank = load_bank(folder)
    spread = bank["spread-partial"]
    assert spread.key == ("A", "C")
    assert spread.data["scoring"] == {
        "map": {"A": 1, "C": 1, "B": -0.5},
        "default": 0,
        "lower_bound": 0,
        "upper_bound": 2,
    }
    only = bank["map-only"]  # no correct response: scored by the mapping alone
    assert only.key == ("A",) and only.data["scoring"]["map"] == {"A": 2, "B": 1}
    changes = dict(result.changes)
    assert changes["map-only"] == "key derived from the response mapping"
    assert "not used" in changes["map-unused"] and "scoring" not in bank["map-unused"].data
    decl = ET.fromstring(item_xml(spread)).find(f"{QTI}qti-response-declaration")
    entries = {e.get("map-key"): e.get("mapped-value") for e in decl.iter(f"{QTI}qti-map-entry")}
    assert entries == {"A": "1", "C": "1", "B": "-0.5"}


def test_shuffle_fixed_options_and_unkept_accessibility_are_reported(imported):
    result, folder = imported["shuffle-catalog"]
    item = load_bank(folder)["shuffled"]
    assert item.data["shuffle"] is True and item.data["fixed"] == ["D"]
    inter = ET.fromstring(item_xml(item)).find(f".//{QTI}qti-choice-interaction")
    assert inter.get("shuffle") == "true"
    assert [c.get("fixed") for c in inter] == [None, None, None, "true"]
    assert dict(result.changes)["glossary"] == "accessibility catalog (qti-catalog-info) not kept"


def test_qti20_and_apip_packages_are_read(imported):
    result, folder = imported["qti20-apip"]
    bank = load_bank(folder)
    assert bank["qti20-item"].data["source"]["format"] == "qti2.0"
    assert bank["apip-item"].data["source"]["format"] == "apip-qti2.1"
    assert dict(result.changes)["apip-item"] == "APIP accessibility information not kept"


def test_images_mathml_and_objects_are_imported_with_their_media(imported, packages):
    result, folder = imported["media"]
    bank = load_bank(folder)
    assert "![a right-skewed histogram](media/histogram_1.png)" in bank["image-item"].stem
    with zipfile.ZipFile(packages["media"]) as zf:
        png = zf.read("items/images/histogram 1.png")
    assert (folder / "media" / "histogram_1.png").read_bytes() == png
    assert sorted(Path(p).name for p in result.media) == ["chart.svg", "histogram_1.png"]
    math = bank["mathml-item"].options["A"]
    assert math.startswith('<math xmlns="http://www.w3.org/1998/Math/MathML"><mfrac>')
    root = ET.fromstring(item_xml(bank["mathml-item"]))
    assert root.find(".//{http://www.w3.org/1998/Math/MathML}mfrac") is not None
    obj = ET.fromstring(item_xml(bank["object-item"])).find(f".//{QTI}object")
    assert obj.get("data") == "../media/chart.svg" and obj.text == "A bar chart"


def test_media_import_never_overwrites_a_different_bank_file(packages, tmp_path):
    folder = tmp_path / "bank"
    (folder / "media").mkdir(parents=True)
    (folder / "media" / "histogram_1.png").write_bytes(b"another picture")
    import_qti(packages["media"], folder, outcome="DA1")
    assert (folder / "media" / "histogram_1.png").read_bytes() == b"another picture"
    stem = load_bank(folder)["image-item"].stem
    renamed = stem.split("](media/")[1].split(")")[0]
    assert renamed.startswith("histogram_1-") and (folder / "media" / renamed).is_file()


def test_kept_markup_is_never_a_way_in():
    div = ET.Element("div")
    markdown_to_xhtml(
        '<math xmlns="http://www.w3.org/1998/Math/MathML" onclick="x()" href="http://e">'
        '<mi>x</mi></math> <object data="http://evil/x.swf">o</object> '
        "![x](media/../../etc/passwd) <script>alert(1)</script>",
        div,
    )
    math = div.find(".//math")
    assert math is not None and set(math.attrib) == {"xmlns"}
    assert div.find(".//object") is None and div.find(".//img") is None
    assert div.find(".//script") is None
    assert "<script>alert(1)</script>" in "".join(div.itertext())


@pytest.mark.parametrize("name", [*corpus.MALFORMED, "not-a-zip"])
def test_malformed_packages_stop_with_one_clear_error_and_write_nothing(packages, tmp_path, name):
    folder = tmp_path / "new-bank"
    message = corpus.MALFORMED[name][1] if name in corpus.MALFORMED else "not a zip package"
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")) as err:
        import_qti(packages[name], folder, outcome="DA1")
    assert str(err.value).startswith(str(packages[name]))
    assert not folder.exists()


def test_the_corpus_round_trips_through_credkit_and_validates(imported, tmp_path):
    from psychometrics.bank.qti_schema import package_errors

    pytest.importorskip("xmlschema")
    for name, (result, folder) in imported.items():
        if not result.item_ids:
            continue
        bank = load_bank(folder)
        pkg = export_qti(bank, tmp_path / f"{name}.zip")
        assert package_errors(pkg) == [], name
        again = import_qti(pkg, tmp_path / f"{name}-again")
        assert (again.skipped, again.changes) == ((), ()), name
        back = load_bank(tmp_path / f"{name}-again")
        for item in bank:
            assert back[item.id] == item and dict(back[item.id].data) == dict(item.data)


def test_import_summary_counts_imported_changed_and_skipped(imported):
    total = {"imported": 0, "changed": 0, "skipped": 0}
    for result, _ in imported.values():
        total["imported"] += len(result.item_ids) - len(result.changed_ids)
        total["changed"] += len(result.changed_ids)
        total["skipped"] += len(result.skipped)
    assert total == {"imported": 14, "changed": 4, "skipped": 9}


def test_cli_import_reports_changes_skips_and_the_summary(packages, tmp_path):
    runner = CliRunner()
    folder = tmp_path / "cli-bank"
    args = ["bank", "import", str(packages["partial-credit"]), "--into", str(folder)]
    result = runner.invoke(main, [*args, "--outcome", "DA1"])
    assert result.exit_code == 0, result.output
    assert "changed map-only: key derived from the response mapping" in result.stderr
    assert result.stderr.strip().endswith("3 items imported (2 with changes), 0 skipped")
    out = runner.invoke(
        main,
        [
            "bank",
            "import",
            str(packages["media"]),
            "--into",
            str(folder),
            "--json",
            "--outcome=DA1",
        ],
    )
    assert out.exit_code == 0, out.output
    data = json.loads(out.stdout)
    assert (data["imported"], data["imported_with_changes"], len(data["skipped"])) == (3, 0, 3)
    bad = runner.invoke(main, ["bank", "import", str(packages["doctype"]), "--into", str(folder)])
    assert bad.exit_code == 1 and "Traceback" not in bad.output and "DOCTYPE" in bad.output


def test_export_carries_the_bank_media_and_refuses_a_missing_file(imported, tmp_path):
    folder = imported["media"][1]
    pkg = export_qti(load_bank(folder), tmp_path / "media.zip")
    with zipfile.ZipFile(pkg) as zf:
        png = zf.read("media/histogram_1.png")
        manifest = zf.read("imsmanifest.xml").decode()
    assert png == (folder / "media" / "histogram_1.png").read_bytes()
    assert '<file href="media/histogram_1.png" />' in manifest
    import_qti(pkg, tmp_path / "again")
    again = tmp_path / "again" / "media"
    assert sorted(p.name for p in again.iterdir()) == ["chart.svg", "histogram_1.png"]
    broken = tmp_path / "broken"
    import_qti(pkg, broken)
    (broken / "media" / "chart.svg").unlink()
    with pytest.raises(InputError, match="media file 'media/chart.svg' not found") as err:
        export_qti(load_bank(broken), tmp_path / "out.zip")
    assert err.value.file.endswith("object-item.yaml")
    assert not (tmp_path / "out.zip").exists()


def test_import_layouts_and_a_bad_status(packages, tmp_path):
    flat = tmp_path / "flat"  # a bank that keeps its item files in the folder itself
    flat.mkdir()
    (flat / "X-0001.yaml").write_text("id: X-0001\n")
    result = import_qti(packages["true-false"], flat, outcome="DA1")
    assert sorted(p.name for p in flat.iterdir() if p.is_file()) == [
        "TF-choice.yaml",
        "X-0001.yaml",
        "either-or.yaml",
    ]
    assert len(result.item_ids) == 2
    empty = tmp_path / "empty"
    empty.mkdir()
    import_qti(packages["true-false"], empty, outcome="DA1")
    assert sorted(p.name for p in (empty / "items").iterdir()) == [
        "TF-choice.yaml",
        "either-or.yaml",
    ]
    with pytest.raises(InputError, match="unknown status 'live'"):
        import_qti(packages["true-false"], tmp_path / "x", outcome="DA1", status="live")
    assert not (tmp_path / "x").exists()


def test_enemies_outside_the_package_are_left_out_and_reported(tmp_path):
    """Enemies are mutual and in the bank (load_bank enforces it): a subset export keeps pairs."""
    import copy

    from test_bank_lint import BASE, OTHER, write_bank

    first = {**copy.deepcopy(BASE), "enemies": ["DA-0002"]}
    second = {**copy.deepcopy(OTHER), "enemies": ["DA-0001"]}
    third = {**copy.deepcopy(OTHER), "id": "DA-0003", "stem": "Another stem?\n", "enemies": []}
    bank = load_bank(write_bank(tmp_path / "src", first, second, third))
    pkg = export_qti(bank, tmp_path / "part.zip", items=[bank["DA-0001"], bank["DA-0003"]])
    result = import_qti(pkg, tmp_path / "dst")
    assert result.changes == (
        ("DA-0001", "enemy 'DA-0002' left out (not an enemy in this package)"),
    )
    back = load_bank(tmp_path / "dst")  # loads: no dangling enemy
    assert back["DA-0001"].enemies == ()
    whole = import_qti(export_qti(bank, tmp_path / "all.zip"), tmp_path / "all")
    assert whole.changes == () and load_bank(tmp_path / "all")["DA-0001"].enemies == ("DA-0002",)


@pytest.mark.parametrize(
    ("field", "value", "where"),
    [
        ("shuffle", "yes", "shuffle"),
        ("fixed", ["Z"], "fixed"),
        ("scoring", {"map": {"A": "one"}}, "scoring.map.A"),
        ("feedback", [{"kind": "popup", "text": "x"}], "feedback[0].kind"),
    ],
)
def test_lint_checks_the_interchange_fields(tmp_path, field, value, where):
    import copy

    from test_bank_lint import BASE, OTHER, write_bank

    folder = write_bank(tmp_path / "b", {**copy.deepcopy(BASE), field: value}, OTHER)
    errors = [f for f in lint_bank(folder).errors if f.rule == "bad-field"]
    assert [(f.field, Path(f.file).name) for f in errors] == [(where, "DA-0001.yaml")]
    with pytest.raises(InputError, match=where.replace("[", r"\[").replace("]", r"\]")):
        export_qti(load_bank(folder), tmp_path / "x.zip")
