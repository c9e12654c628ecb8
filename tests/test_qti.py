# ruff: noqa: E501 (verbatim QTI fixtures keep their long lines)
"""QTI 3.0 export, QTI 3.0/2.x import, test packages, CSV export and escaping of item text."""

from __future__ import annotations

import copy
import csv
import io
import json
import xml.etree.ElementTree as ET
import zipfile

import pytest
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from test_bank_lint import BASE, OTHER, write_bank

from psychometrics.bank import lint_bank, load_bank
from psychometrics.bank.csvio import bank_to_csv
from psychometrics.bank.qti import (
    CP_NS,
    CSM_NS,
    QTI_NS,
    USAGE_NS,
    export_qti,
    item_xml,
    write_test_package,
)
from psychometrics.bank.qti_import import import_qti
from psychometrics.bank.qti_markup import markdown_to_xhtml, xhtml_to_markdown
from psychometrics.cli import main
from psychometrics.errors import InputError

HOSTILE = {
    **copy.deepcopy(BASE),
    "stem": (
        "Hostile <script>alert('x')</script> & ]]> <!-- c --> &amp; **bold** and `a < b`\n\n"
        "Second *para*\nwith a break\n\n```sql\nSELECT * FROM t WHERE a < 3 AND b > 'x';\n```\n\n"
        "- one <i>\n- two & three\n"
    ),
    "options": {
        "A": '<b>Nominal</b> & "quoted"',
        "B": '=HYPERLINK("http://evil")',
        "C": "Interval ]]>",
        "D": "Ratio",
    },
}
MSQ = {
    **copy.deepcopy(BASE),
    "id": "DA-0004",
    "type": "msq",
    "key": ["A", "C"],
    "enemies": [],
    "outcome": "DA2",
    "stem": "Which of these are measures of spread?\n",
    "options": {"A": "Variance", "B": "Median", "C": "IQR", "D": "Mode"},
    "irt": {"model": "2pl", "a": 0.9, "b": 0.4, "se": {"a": 0.1, "b": 0.2}, "calibration": "c2"},
}
RUBRIC = {
    **{k: v for k, v in BASE.items() if k not in ("options", "key", "enemies")},
    "id": "DA-0003",
    "type": "rubric",
    "stem": "Explain why the mean is pulled by outliers.\n",
    "max_score": 2,
    "score_levels": {0: "nothing", 1: "partly", 2: "fully <right>"},
    "irt": {"model": "grm", "a": 0.9, "b1": -0.5, "b2": 0.7, "calibration": "cal-1"},
}


@pytest.fixture
def bank(tmp_path):
    return load_bank(write_bank(tmp_path / "src", HOSTILE, OTHER, MSQ, RUBRIC))


def empty_bank(tmp_path, name="dst"):
    folder = tmp_path / name / "items"
    folder.mkdir(parents=True)
    return folder.parent


def members(path):
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


# ----------------------------------------------------------------------------- export


def test_export_then_import_is_lossless_rubric_items_included(bank, tmp_path):
    pkg = export_qti(bank, tmp_path / "pkg.zip")
    dst = empty_bank(tmp_path)
    result = import_qti(pkg, dst)
    assert result.item_ids == ("DA-0001", "DA-0002", "DA-0003", "DA-0004")
    assert (result.skipped, result.changes) == ((), ())
    back = load_bank(dst)
    for item in bank:
        assert back[item.id] == item  # every parsed field (status, history, irt, ...)
        assert dict(back[item.id].data) == dict(item.data)  # and the file as written
    assert lint_bank(dst).ok


def test_import_status_option_overrides_the_recorded_status(bank, tmp_path):
    pkg = export_qti(bank, tmp_path / "pkg.zip")
    dst = empty_bank(tmp_path)
    import_qti(pkg, dst, status="review")
    assert {item.status for item in load_bank(dst)} == {"review"}
    assert {item.status for item in bank} != {"review"}


def test_hostile_text_is_escaped_in_item_xml(bank):
    xml = item_xml(bank["DA-0001"])
    root = ET.fromstring(xml)  # well-formed
    assert root.tag == f"{{{QTI_NS}}}qti-assessment-item"
    assert not [el for el in root.iter() if el.tag.endswith(("script", "}b", "}i"))]
    assert b"<script>" not in xml and b"&lt;script&gt;" in xml
    text = "".join(root.itertext())
    assert "<script>alert('x')</script>" in text and "]]>" in text and "&amp;" in text
    choice_a = root.find(f".//{{{QTI_NS}}}qti-simple-choice[@identifier='A']")
    assert "".join(choice_a.itertext()) == '<b>Nominal</b> & "quoted"'
    body = root.find(f".//{{{QTI_NS}}}qti-item-body")
    stem = body.find(f"{{{QTI_NS}}}div")
    tags = [el.tag.split("}")[1] for el in stem]
    assert tags == ["p", "p", "pre", "ul"]
    assert stem.find(f"{{{QTI_NS}}}pre/{{{QTI_NS}}}code").get("class") == "language-sql"


def test_item_xml_structure_for_mcq_and_msq(bank):
    ns = {"q": QTI_NS}
    mcq = ET.fromstring(item_xml(bank["DA-0002"]))
    decl = mcq.find("q:qti-response-declaration", ns)
    assert decl.get("cardinality") == "single" and decl.get("base-type") == "identifier"
    assert [v.text for v in decl.findall("q:qti-correct-response/q:qti-value", ns)] == ["A"]
    inter = mcq.find(".//q:qti-choice-interaction", ns)
    assert inter.get("max-choices") == "1" and inter.get("shuffle") == "false"
    assert [c.get("identifier") for c in inter] == ["A", "B", "C", "D"]
    rp = mcq.find("q:qti-response-processing", ns)
    assert rp.get("template").endswith("/rptemplates/match_correct.xml")
    msq = ET.fromstring(item_xml(bank["DA-0004"]))
    decl = msq.find("q:qti-response-declaration", ns)
    assert decl.get("cardinality") == "multiple"
    assert [v.text for v in decl.findall(".//q:qti-value", ns)] == ["A", "C"]
    rubric = ET.fromstring(item_xml(bank["DA-0003"]))
    assert rubric.find(".//q:qti-extended-text-interaction", ns) is not None
    score = rubric.find("q:qti-outcome-declaration[@identifier='SCORE']", ns)
    assert score.get("normal-maximum") == "2"


def test_manifest_outcome_metadata_and_usage_data(bank, tmp_path):
    pkg = export_qti(
        bank,
        tmp_path / "p.zip",
        region="data-analytics-fundamentals",
        outcome_titles={"DA1": "Data"},
    )
    files = members(pkg)
    manifest = ET.fromstring(files["imsmanifest.xml"])
    assert manifest.tag == f"{{{CP_NS}}}manifest"
    res = {r.get("identifier"): r for r in manifest.iter(f"{{{CP_NS}}}resource")}
    assert res["DA-0001"].get("type") == "imsqti_item_xmlv3p0"
    assert res["USAGE_DATA"].get("type") == "qtiusagedata/xml"
    guid = res["DA-0004"].find(f".//{{{CSM_NS}}}GUID")
    assert guid.text == "DA2"
    label = res["DA-0001"].find(f".//{{{CSM_NS}}}label")
    assert label.text == "DA1 Data"
    for r in res.values():  # every href is in the zip
        assert r.get("href") in files
    usage = ET.fromstring(files["usagedata/usagedata.xml"])
    stats = {
        (s.find(f"{{{USAGE_NS}}}targetObject").get("identifier"), s.get("name")): s
        for s in usage.iter(f"{{{USAGE_NS}}}ordinaryStatistic")
    }
    c = stats[("DA-0001", "irt-c")]
    assert float(c.find(f"{{{USAGE_NS}}}value").text) == 0.18
    assert "model=3pl" in c.get("context") and "D=1" in c.get("context")
    assert c.get("caseCount") == "900"
    assert stats[("DA-0004", "irt-b")].get("stdError") == "0.2"
    assert ("DA-0003", "irt-b2") in stats and ("DA-0004", "irt-c") not in stats


def test_export_is_reproducible(bank, tmp_path):
    a = export_qti(bank, tmp_path / "a.zip").read_bytes()
    b = export_qti(bank, tmp_path / "b.zip").read_bytes()
    assert a == b


def test_test_package_for_assembly(bank, tmp_path):
    items = [bank["DA-0002"], bank["DA-0001"], bank["DA-0004"]]
    out = write_test_package(
        items, test_id="form-A", title="Form A <1>", out_path=tmp_path / "form.zip"
    )
    files = members(out)
    test = ET.fromstring(files["tests/form-A.xml"])
    assert test.tag == f"{{{QTI_NS}}}qti-assessment-test" and test.get("title") == "Form A <1>"
    refs = list(test.iter(f"{{{QTI_NS}}}qti-assessment-item-ref"))
    assert [r.get("identifier") for r in refs] == ["DA-0002", "DA-0001", "DA-0004"]
    for ref in refs:  # hrefs are relative to the test file
        assert ref.get("href").replace("../", "") in files
    manifest = ET.fromstring(files["imsmanifest.xml"])
    test_res = next(
        r for r in manifest.iter(f"{{{CP_NS}}}resource") if r.get("type") == "imsqti_test_xmlv3p0"
    )
    deps = [d.get("identifierref") for d in test_res.iter(f"{{{CP_NS}}}dependency")]
    assert deps == ["DA-0002", "DA-0001", "DA-0004"]
    # the package imports back like any content package
    dst = empty_bank(tmp_path)
    assert len(import_qti(out, dst).item_ids) == 3
    with pytest.raises(ValueError, match="at least one item"):
        write_test_package([], test_id="x", title="x", out_path=tmp_path / "e.zip")
    with pytest.raises(ValueError, match="sections"):
        write_test_package(
            items, test_id="x", title="x", out_path=tmp_path / "s.zip", sections=[("A", items[:1])]
        )


# ----------------------------------------------------------------------------- TAO / QTI 2.x

TAO_MANIFEST = """<?xml version="1.0" encoding="UTF-8"?>
<manifest xmlns="http://www.imsglobal.org/xsd/imscp_v1p1"
  xmlns:imsmd="http://ltsc.ieee.org/xsd/LOM"
  xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  identifier="i61a7c0e2b9a8d36" xsi:schemaLocation="http://www.imsglobal.org/xsd/imscp_v1p1 http://www.imsglobal.org/xsd/qti/qtiv2p2/imscp_v1p1.xsd">
  <metadata><schema>QTIv2.2 Package</schema><schemaversion>1.0.0</schemaversion></metadata>
  <organizations/>
  <resources>
    <resource identifier="i61a7c0e2b9a8d36" type="imsqti_item_xmlv2p2" href="i61a7c0e2b9a8d36/qti.xml">
      <metadata><imsmd:lom><imsmd:general><imsmd:identifier>x</imsmd:identifier></imsmd:general></imsmd:lom></metadata>
      <file href="i61a7c0e2b9a8d36/qti.xml"/>
    </resource>
    <resource identifier="i61a7c0e2b9a8d37" type="imsqti_item_xmlv2p1" href="i61a7c0e2b9a8d37/qti.xml">
      <file href="i61a7c0e2b9a8d37/qti.xml"/>
    </resource>
    <resource identifier="i61a7c0e2b9a8d38" type="imsqti_item_xmlv2p1" href="i61a7c0e2b9a8d38/qti.xml">
      <file href="i61a7c0e2b9a8d38/qti.xml"/>
    </resource>
  </resources>
</manifest>
"""

TAO_ITEM = """<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p2"
  xmlns:m="http://www.w3.org/1998/Math/MathML" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance"
  xsi:schemaLocation="http://www.imsglobal.org/xsd/imsqti_v2p2 http://www.imsglobal.org/xsd/qti/qtiv2p2/imsqti_v2p2.xsd"
  identifier="i61a7c0e2b9a8d36" title="Median question" label="Median question" xml:lang="en-US"
  adaptive="false" timeDependent="false" toolName="TAO" toolVersion="3.4.0-sprint146">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="identifier">
    <correctResponse><value><![CDATA[choice_3]]></value></correctResponse>
  </responseDeclaration>
  <outcomeDeclaration identifier="SCORE" cardinality="single" baseType="float"/>
  <itemBody>
    <div class="grid-row">
      <div class="col-12">
        <p>The values are 3, 9, 4 and <strong>100</strong>.</p>
        <choiceInteraction responseIdentifier="RESPONSE" shuffle="false" maxChoices="1" minChoices="0" orientation="vertical">
          <prompt>What is the median?</prompt>
          <simpleChoice identifier="choice_1" fixed="false" showHide="show">29</simpleChoice>
          <simpleChoice identifier="choice_2" fixed="false" showHide="show">4</simpleChoice>
          <simpleChoice identifier="choice_3" fixed="false" showHide="show">6.5</simpleChoice>
          <simpleChoice identifier="choice_4" fixed="false" showHide="show">9</simpleChoice>
        </choiceInteraction>
      </div>
    </div>
  </itemBody>
  <responseProcessing template="http://www.imsglobal.org/question/qti_v2p2/rptemplates/match_correct"/>
</assessmentItem>
"""

TAO_MSQ = """<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="i61a7c0e2b9a8d37"
  title="Spread" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="multiple" baseType="identifier">
    <correctResponse><value>choice_1</value><value>choice_3</value></correctResponse>
  </responseDeclaration>
  <itemBody>
    <choiceInteraction responseIdentifier="RESPONSE" shuffle="true" maxChoices="0">
      <prompt><p>Which are measures of spread?</p></prompt>
      <simpleChoice identifier="choice_1">Standard deviation</simpleChoice>
      <simpleChoice identifier="choice_2">Mean</simpleChoice>
      <simpleChoice identifier="choice_3">Range</simpleChoice>
    </choiceInteraction>
  </itemBody>
</assessmentItem>
"""

TAO_TEXT = """<?xml version="1.0" encoding="UTF-8"?>
<assessmentItem xmlns="http://www.imsglobal.org/xsd/imsqti_v2p1" identifier="i61a7c0e2b9a8d38"
  title="Open" adaptive="false" timeDependent="false">
  <responseDeclaration identifier="RESPONSE" cardinality="single" baseType="string"/>
  <itemBody><p>Define a median.</p><extendedTextInteraction responseIdentifier="RESPONSE"/></itemBody>
</assessmentItem>
"""


def write_zip(path, files, compression=zipfile.ZIP_DEFLATED):
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        for name, data in files.items():
            zf.writestr(name, data)
    return path


def tao_package(tmp_path):
    return write_zip(
        tmp_path / "tao.zip",
        {
            "imsmanifest.xml": TAO_MANIFEST,
            "i61a7c0e2b9a8d36/qti.xml": TAO_ITEM,
            "i61a7c0e2b9a8d37/qti.xml": TAO_MSQ,
            "i61a7c0e2b9a8d38/qti.xml": TAO_TEXT,
        },
    )


def test_import_tao_qti22_and_21_choice_items(tmp_path):
    dst = write_bank(tmp_path / "b", BASE, OTHER)
    pkg = tao_package(tmp_path)
    with pytest.raises(InputError, match="--outcome"):
        import_qti(pkg, dst)
    result = import_qti(pkg, dst, outcome="DA3", renumber=True)
    assert result.item_ids == ("DA-0003", "DA-0004")
    assert result.skipped[0][0] == "i61a7c0e2b9a8d38"
    bank = load_bank(dst)
    median = bank["DA-0003"]
    assert median.stem == "The values are 3, 9, 4 and **100**.\n\nWhat is the median?\n"
    assert dict(median.options) == {"A": "29", "B": "4", "C": "6.5", "D": "9"}
    assert median.key == ("C",) and median.type == "mcq" and median.outcome == "DA3"
    assert median.data["source"]["format"] == "qti2.2"
    assert median.data["source"]["identifier"] == "i61a7c0e2b9a8d36"
    spread = bank["DA-0004"]
    assert spread.type == "msq" and spread.key == ("A", "C")
    assert spread.stem == "Which are measures of spread?\n"
    assert lint_bank(dst).ok


def test_import_keeps_package_ids_and_refuses_conflicts(tmp_path):
    dst = empty_bank(tmp_path)
    pkg = tao_package(tmp_path)
    result = import_qti(pkg, dst, outcome="DA3")
    assert result.item_ids == ("i61a7c0e2b9a8d36", "i61a7c0e2b9a8d37")
    before = sorted(p.name for p in (dst / "items").iterdir())
    with pytest.raises(InputError, match="already in the bank"):
        import_qti(pkg, dst, outcome="DA3")
    assert sorted(p.name for p in (dst / "items").iterdir()) == before


@pytest.mark.parametrize(
    ("files", "message"),
    [
        ({"imsmanifest.xml": TAO_MANIFEST, "../evil.xml": "x"}, "unsafe path"),
        ({"imsmanifest.xml": TAO_MANIFEST, "/abs.xml": "x"}, "unsafe path"),
        ({"imsmanifest.xml": TAO_MANIFEST, "a\\b.xml": "x"}, "unsafe path"),
        (
            {
                "imsmanifest.xml": '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY a "aaaa">]>'
                "<manifest>&a;</manifest>"
            },
            "DOCTYPE",
        ),
        ({"imsmanifest.xml": "<manifest><resources>"}, "malformed XML"),
        ({"other.xml": "<x/>"}, "no file 'imsmanifest.xml'"),
        ({"imsmanifest.xml": "<manifest><resources/></manifest>"}, "no QTI item resources"),
        ({"imsmanifest.xml": "<manifest/>"}, "no <resources>"),
        (
            {
                "imsmanifest.xml": '<manifest><resources><resource type="imsqti_item_xmlv2p2" '
                'href="../../etc/passwd"/></resources></manifest>'
            },
            "outside the package",
        ),
    ],
)
def test_unsafe_or_broken_packages_are_refused(tmp_path, files, message):
    dst = empty_bank(tmp_path)
    pkg = write_zip(tmp_path / "bad.zip", files)
    with pytest.raises(InputError, match=message):
        import_qti(pkg, dst, outcome="DA1")
    assert list((dst / "items").iterdir()) == []


def test_zip_bomb_and_non_zip_are_refused(tmp_path):
    dst = empty_bank(tmp_path)
    bomb = write_zip(tmp_path / "bomb.zip", {"imsmanifest.xml": "<a/>", "big.xml": "0" * 5_000_000})
    with pytest.raises(InputError, match="compression ratio"):
        import_qti(bomb, dst)
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InputError, match="not a zip"):
        import_qti(junk, dst)


def test_invalid_imported_item_is_skipped(tmp_path):
    dst = empty_bank(tmp_path)
    one_choice = (
        TAO_ITEM.replace(
            '<simpleChoice identifier="choice_2" fixed="false" showHide="show">4</simpleChoice>',
            "",
        )
        .replace(
            '<simpleChoice identifier="choice_4" fixed="false" showHide="show">9</simpleChoice>', ""
        )
        .replace(
            '<simpleChoice identifier="choice_1" fixed="false" showHide="show">29</simpleChoice>',
            "",
        )
    )
    pkg = write_zip(
        tmp_path / "p.zip",
        {
            "imsmanifest.xml": TAO_MANIFEST,
            "i61a7c0e2b9a8d36/qti.xml": one_choice,
            "i61a7c0e2b9a8d37/qti.xml": TAO_MSQ,
            "i61a7c0e2b9a8d38/qti.xml": TAO_TEXT,
        },
    )
    result = import_qti(pkg, dst, outcome="DA1", renumber=True)
    assert result.item_ids == ("DA-0001",)  # the msq item; no id is used up by the skipped one
    reasons = dict(result.skipped)
    assert "at least 2" in reasons["i61a7c0e2b9a8d36"]
    assert sorted(p.name for p in (dst / "items").iterdir()) == ["DA-0001.yaml"]


def test_items_with_missing_media_are_skipped(tmp_path):
    dst = empty_bank(tmp_path)
    with_image = TAO_ITEM.replace(
        "<prompt>What is the median?</prompt>", '<prompt><img src="x.png" alt="x"/></prompt>'
    )
    pkg = write_zip(
        tmp_path / "m.zip",
        {
            "imsmanifest.xml": TAO_MANIFEST,
            "i61a7c0e2b9a8d36/qti.xml": with_image,
            "i61a7c0e2b9a8d37/qti.xml": TAO_MSQ,
            "i61a7c0e2b9a8d38/qti.xml": TAO_TEXT,
        },
    )
    result = import_qti(pkg, dst, outcome="DA1")
    reason = dict(result.skipped)["i61a7c0e2b9a8d36"]
    assert reason == "media file 'i61a7c0e2b9a8d36/x.png' is missing from the package"
    assert result.item_ids == ("i61a7c0e2b9a8d37",)


# ----------------------------------------------------------------------------- markup


_word = st.text(
    alphabet=st.sampled_from(list("abcXYZ019<>&\"'*`.,?;:!#[]()/")), min_size=1, max_size=8
)
_line = (
    st.lists(_word, min_size=1, max_size=6)
    .map(" ".join)
    .filter(lambda s: not s.startswith(("```", "- ")))
)
_para = st.lists(_line, min_size=1, max_size=3).map("\n".join)
_doc = st.lists(_para, min_size=1, max_size=3).map("\n\n".join)


# deadline and the too_slow health check are wall-clock checks: a loaded machine trips them
@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_doc)
def test_markdown_xhtml_round_trip_and_escaping(text):
    div = ET.Element("div")
    markdown_to_xhtml(text, div)
    xml = ET.tostring(div, encoding="unicode")
    parsed = ET.fromstring(xml)  # always well-formed, whatever the text
    allowed = {"div", "p", "br", "code", "strong", "em"}
    assert {el.tag for el in parsed.iter()} <= allowed
    assert xhtml_to_markdown(list(parsed)) == text


# ----------------------------------------------------------------------------- CSV and CLI


def test_csv_export_columns_and_formula_injection(bank):
    rows = list(csv.DictReader(io.StringIO(bank_to_csv(list(bank)))))
    by_id = {r["id"]: r for r in rows}
    assert by_id["DA-0001"]["option_B"] == '\'=HYPERLINK("http://evil")'
    assert by_id["DA-0001"]["key"] == "D" and by_id["DA-0004"]["key"] == "A;C"
    assert by_id["DA-0001"]["c"] == "0.18" and by_id["DA-0004"]["c"] == ""
    assert by_id["DA-0003"]["b1"] == "-0.5" and by_id["DA-0003"]["b"] == ""
    assert by_id["DA-0001"]["stem"].startswith("Hostile <script>")


def test_cli_export_import_round_trip(bank, tmp_path):
    runner = CliRunner()
    pkg = tmp_path / "cli.zip"
    result = runner.invoke(
        main, ["bank", "export", str(bank.root), "--format", "qti", "--out", str(pkg)]
    )
    assert result.exit_code == 0, result.output
    dst = empty_bank(tmp_path, "cli")
    result = runner.invoke(main, ["bank", "import", str(pkg), "--into", str(dst), "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["item_ids"] == ["DA-0001", "DA-0002", "DA-0003", "DA-0004"]
    out_csv = tmp_path / "b.csv"
    result = runner.invoke(
        main, ["bank", "export", str(bank.root), "--format", "csv", "--out", str(out_csv)]
    )
    assert result.exit_code == 0 and out_csv.read_text().startswith("id,version,status")
    bad = runner.invoke(main, ["bank", "import", str(tmp_path / "nope.zip"), "--into", str(dst)])
    assert bad.exit_code == 1 and "package not found" in bad.output
    assert "Traceback" not in bad.output


# ----------------------------------------------------------------------------- sets and tables

TABLE_STEM = (
    "Use the table below.\n\n| id | name | amount |\n|---|:---|---:|\n| 1 | *Ann* | 3.5 |\n"
    "| 2 | B & C | <4> |\n\nWhich row has the largest amount?\n"
)


def _set_bank(tmp_path):
    first = {**copy.deepcopy(OTHER), "id": "DA-0005", "set": "CASE-1", "enemies": []}
    second = {**copy.deepcopy(MSQ), "id": "DA-0006", "set": "CASE-1", "stem": TABLE_STEM}
    folder = write_bank(tmp_path / "src", BASE, OTHER, first, second)
    (folder / "sets").mkdir()
    (folder / "sets" / "CASE-1.yaml").write_text(
        "id: CASE-1\ntitle: Orders <table>\noutcomes: [DA1, DA2]\nitems: [DA-0005, DA-0006]\n"
        "stimulus: |\n  An analyst & a table:\n\n  | a | b |\n  |---|---|\n  | 1 | 2 |\n"
    )
    return folder


def test_set_stimulus_export_and_import(tmp_path):
    folder = _set_bank(tmp_path)
    assert lint_bank(folder).findings == ()
    bank = load_bank(folder)
    assert bank.sets["CASE-1"].items == ("DA-0005", "DA-0006")
    pkg = export_qti(bank, tmp_path / "p.zip")
    files = members(pkg)
    stim = ET.fromstring(files["stimuli/CASE-1.xml"])
    assert (
        stim.tag == f"{{{QTI_NS}}}qti-assessment-stimulus" and stim.get("title") == "Orders <table>"
    )
    assert stim.find(f".//{{{QTI_NS}}}table") is not None
    item = ET.fromstring(files["items/DA-0005.xml"])
    ref = item.find(f"{{{QTI_NS}}}qti-assessment-stimulus-ref")
    assert ref.get("href") == "../stimuli/CASE-1.xml"
    assert [el.tag.split("}")[1] for el in item].index("qti-assessment-stimulus-ref") < [
        el.tag.split("}")[1] for el in item
    ].index("qti-item-body")
    dst = empty_bank(tmp_path)
    import_qti(pkg, dst)
    back = load_bank(dst)
    assert back["DA-0006"].stem == TABLE_STEM and back["DA-0006"].set == "CASE-1"
    new_set = back.sets["CASE-1"]
    assert new_set.stimulus == bank.sets["CASE-1"].stimulus
    assert new_set.items == ("DA-0005", "DA-0006") and new_set.outcomes == ("DA1", "DA2")
    assert lint_bank(dst).ok


def test_set_file_consistency_rules(tmp_path):
    folder = _set_bank(tmp_path)
    set_file = folder / "sets" / "CASE-1.yaml"
    set_file.write_text(set_file.read_text().replace("[DA-0005, DA-0006]", "[DA-0005, DA-0404]"))
    rules = {f.rule for f in lint_bank(folder).errors}
    assert rules == {"set-item-missing", "set-mismatch"}
    set_file.unlink()
    (hit, _) = [f for f in lint_bank(folder).errors]
    assert hit.rule == "set-missing" and "sets/CASE-1.yaml" in hit.message


def test_table_markup_round_trip():
    div = ET.Element("div")
    markdown_to_xhtml(TABLE_STEM, div)
    table = div.find("table")
    assert [th.text for th in table.iter("th")] == ["id", "name", "amount"]
    assert table.find("tbody/tr/td[3]").get("class") == "qti-align-right"
    parsed = ET.fromstring(ET.tostring(div))
    assert xhtml_to_markdown(list(parsed)) + "\n" == TABLE_STEM


def test_example_bank_round_trips_through_qti(tmp_path):
    """All 240 example items, rubric items included: every field, and the QTI content alone."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "item_bank"
    if not (root / "items").is_dir():
        pytest.skip("no example bank")
    bank = load_bank(root)
    pkg = export_qti(bank, tmp_path / "bank.zip")
    result = import_qti(pkg, tmp_path / "new-bank")  # a folder that does not exist yet
    assert (len(result.item_ids), result.skipped, result.changes) == (len(bank), (), ())
    assert sum(item.type == "rubric" for item in bank) == 6
    back = load_bank(tmp_path / "new-bank")
    assert back.items_dir == tmp_path / "new-bank" / "items"
    for item in bank:
        assert back[item.id] == item and dict(back[item.id].data) == dict(item.data), item.id
    assert back.sets == {k: v for k, v in bank.sets.items()}
    # without credkit's copies of the item files, the QTI content alone gives the same items
    with zipfile.ZipFile(pkg) as zin, zipfile.ZipFile(tmp_path / "bare.zip", "w") as zout:
        for member in zin.namelist():
            if not member.startswith("credkit/"):
                zout.writestr(member, zin.read(member))
    result = import_qti(tmp_path / "bare.zip", tmp_path / "bare-bank")
    assert (len(result.item_ids), result.skipped, result.changes) == (len(bank), (), ())
    bare = load_bank(tmp_path / "bare-bank")
    fields = ("type", "stem", "options", "key", "max_score", "score_levels", "outcome", "set")
    for item in bank:
        new = bare[item.id]
        assert [getattr(new, f) for f in fields] == [getattr(item, f) for f in fields], item.id
        assert (new.irt, new.stats, new.status) == (item.irt, item.stats, "draft")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    cut=st.lists(st.tuples(st.integers(0, len(TAO_ITEM)), st.integers(0, 80)), max_size=3),
    junk=st.text(alphabet=st.sampled_from(list('<>/="&; ab')), max_size=20),
)
def test_mangled_item_xml_gives_inputerror_or_a_skip(tmp_path_factory, cut, junk):
    text = TAO_ITEM
    for start, length in cut:
        text = text[:start] + junk + text[start + length :]
    tmp = tmp_path_factory.mktemp("fuzz")
    dst = empty_bank(tmp)
    manifest = TAO_MANIFEST.split('<resource identifier="i61a7c0e2b9a8d37"')[0] + (
        "</resources></manifest>"
    )
    pkg = write_zip(tmp / "f.zip", {"imsmanifest.xml": manifest, "i61a7c0e2b9a8d36/qti.xml": text})
    try:
        result = import_qti(pkg, dst, outcome="DA1")
    except InputError as exc:
        assert str(exc)
        assert list((dst / "items").iterdir()) == []
    else:
        assert len(result.item_ids) + len(result.skipped) == 1
        assert lint_bank(dst).ok


def test_test_package_finds_the_stimuli_of_set_items(tmp_path):
    bank = load_bank(_set_bank(tmp_path))
    items = [bank["DA-0001"], bank["DA-0005"], bank["DA-0006"]]
    out = write_test_package(items, test_id="F", title="F", out_path=tmp_path / "f.zip")
    files = members(out)
    assert "stimuli/CASE-1.xml" in files
    manifest = ET.fromstring(files["imsmanifest.xml"])
    types = {r.get("identifier"): r.get("type") for r in manifest.iter(f"{{{CP_NS}}}resource")}
    assert types["CASE-1"] == "imsqti_stimulus_xmlv3p0"
