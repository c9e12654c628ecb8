"""Every QTI package credkit writes is valid against 1EdTech's QTI 3.0 XSDs (issue 18).

The schemas are shipped in psychometrics/data/qti (sources in SOURCES.md). A check that cannot
fail proves nothing, so the schema is first shown to reject what it must reject.
"""

from __future__ import annotations

import copy
import io
import xml.etree.ElementTree as ET
import zipfile
from pathlib import Path

import pytest
from test_bank_lint import BASE, OTHER, write_bank

from psychometrics.bank import load_bank
from psychometrics.bank.qti import export_qti, item_xml, write_test_package
from psychometrics.bank.qti_schema import package_errors, schema_errors

pytest.importorskip("xmlschema")

ROOT = Path(__file__).resolve().parent.parent
OLD_CSM = b"http://www.imsglobal.org/xsd/imsccv1p3/imscsmd_v1p0"
NEW_CSM = b"http://www.imsglobal.org/xsd/qti/qtiv3p0/imscsmd_v1p1"


def members(path) -> dict[str, bytes]:
    with zipfile.ZipFile(path) as zf:
        return {name: zf.read(name) for name in zf.namelist()}


@pytest.fixture(scope="module")
def example_package(tmp_path_factory):
    bank = load_bank(ROOT / "item_bank")
    return bank, export_qti(bank, tmp_path_factory.mktemp("qti") / "bank.zip")


def test_the_schema_rejects_what_it_must(example_package):
    _, pkg = example_package
    files = members(pkg)
    manifest = files["imsmanifest.xml"]
    assert schema_errors(manifest) == []
    # defect 1: the Common Cartridge namespace credkit used to write
    errors = schema_errors(manifest.replace(NEW_CSM, OLD_CSM))
    assert errors and "curriculumStandardsMetadataSet" in errors[0]
    item = files["items/DA-0001.xml"]
    assert schema_errors(item) == []
    assert schema_errors(item.replace(b"<qti-item-body>", b"<qti-item-body><tbody/>", 1))
    assert schema_errors(item.replace(b'cardinality="single"', b'cardinality="one"', 1))
    usage = files["usagedata/usagedata.xml"]
    assert schema_errors(usage) == []
    broken_usage = usage.replace(b"<value>", b"<valu>", 1).replace(b"</value>", b"</valu>", 1)
    assert schema_errors(broken_usage)
    assert schema_errors(b"<unknown/>") == ["document: no QTI 3.0 schema for <unknown>"]


def test_the_example_bank_export_is_schema_valid(example_package):
    bank, pkg = example_package
    files = members(pkg)
    assert len([n for n in files if n.startswith("items/")]) == len(bank) == 240
    assert any(n.startswith("stimuli/") for n in files)
    assert "usagedata/usagedata.xml" in files
    assert package_errors(pkg) == []
    qmd = "{http://www.imsglobal.org/xsd/imsqti_metadata_v3p0}"
    manifest = ET.fromstring(files["imsmanifest.xml"])
    kinds = {
        res.get("identifier"): res.find(f".//{qmd}interactionType").text
        for res in manifest.iter("{http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1}resource")
        if res.find(f".//{qmd}interactionType") is not None
    }
    rubric = {item.id for item in bank if item.type == "rubric"}
    assert {k for k, v in kinds.items() if v == "extendedTextInteraction"} == rubric
    assert len(kinds) == 240
    # the SBAC-profile ASI XSD differs from the base only in data-* attributes: none are written
    assert not any(b" data-" in data for name, data in files.items() if name.endswith(".xml"))


def test_the_assembled_test_package_is_schema_valid(tmp_path):
    bank = load_bank(ROOT / "item_bank")
    items = [i for i in bank if i.status == "operational"][:30]
    sections = [("First", items[:12]), ("Second", items[12:])]
    out = write_test_package(
        items, test_id="form-X", title="Form X", out_path=tmp_path / "t.zip", sections=sections
    )
    assert "tests/form-X.xml" in members(out)
    assert package_errors(out) == []


def test_header_only_table_is_valid_and_round_trips(tmp_path):
    """Defect 2: a table with only a header row had an empty <tbody/>."""
    stem = "Read the header.\n\n| Year | Sales |\n|---|---:|\n\nWhich column is numeric?\n"
    folder = write_bank(tmp_path / "b", {**copy.deepcopy(BASE), "stem": stem}, OTHER)
    item = load_bank(folder)["DA-0001"]
    xml = item_xml(item)
    assert b"<tbody/>" not in xml and schema_errors(xml) == []
    from psychometrics.bank.qti_import import import_qti

    pkg = export_qti(load_bank(folder), tmp_path / "p.zip")
    with zipfile.ZipFile(pkg) as zin, zipfile.ZipFile(tmp_path / "bare.zip", "w") as zout:
        for name in zin.namelist():
            if not name.startswith("credkit/"):  # the QTI content alone
                zout.writestr(name, zin.read(name))
    import_qti(tmp_path / "bare.zip", tmp_path / "dst")
    assert load_bank(tmp_path / "dst")["DA-0001"].stem == stem


def test_package_errors_reads_bytes_too(example_package):
    _, pkg = example_package
    data = Path(pkg).read_bytes()
    assert package_errors(data) == []
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr("imsmanifest.xml", members(pkg)["imsmanifest.xml"].replace(NEW_CSM, OLD_CSM))
    assert package_errors(buf.getvalue())[0].startswith("imsmanifest.xml: ")


def test_item_files_can_be_left_out(tmp_path):
    bank = load_bank(ROOT / "item_bank")
    items = [i for i in bank if i.status == "operational"][:5]
    out = write_test_package(
        items, test_id="F", title="F", out_path=tmp_path / "f.zip", item_files=False
    )
    files = members(out)
    assert not any(name.startswith("credkit/") for name in files)
    assert b"credkit/" not in files["imsmanifest.xml"]
    assert package_errors(out) == []
    with_files = members(write_test_package(items, test_id="F", title="F", out_path=tmp_path / "g"))
    assert sum(name.startswith("credkit/") for name in with_files) == 5
