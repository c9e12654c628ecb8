"""QTI packages that used to end in a traceback get one line naming the package and member:
corrupt, encrypted or oddly compressed members, a non-UTF-8 member name, elements nested 1,000
deep, and entity definitions hidden in UTF-16 (issue 17)."""

from __future__ import annotations

import struct
import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner

from psychometrics.cli import main

MANIFEST = (
    '<?xml version="1.0"?><manifest xmlns="http://www.imsglobal.org/xsd/qti/qtiv3p0/imscp_v1p1"'
    ' identifier="m"><resources><resource identifier="X1" type="imsqti_item_xmlv3p0"'
    ' href="X1.xml"><file href="X1.xml"/></resource></resources></manifest>'
)
ITEM = (
    '<?xml version="1.0"?><qti-assessment-item xmlns="http://www.imsglobal.org/xsd/imsqtiasi_v3p0"'
    ' identifier="X1" title="t"><qti-item-body>{body}</qti-item-body></qti-assessment-item>'
)


def _package(path: Path, item: bytes | str, *, compression=zipfile.ZIP_STORED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as zf:
        zf.writestr("imsmanifest.xml", MANIFEST)
        zf.writestr("X1.xml", item)
    return path


def _patch_flags(path: Path, member: str, *, flags: int | None = None, method: int | None = None):
    """Rewrite a member's general-purpose flags or compression method in both of its headers."""
    data = bytearray(path.read_bytes())
    name = member.encode()
    for signature, flag_at, method_at, name_at in (
        (b"PK\x03\x04", 6, 8, 30),
        (b"PK\x01\x02", 8, 10, 46),
    ):
        start = 0
        while (k := data.find(signature, start)) >= 0:
            start = k + 4
            if data[k + name_at : k + name_at + len(name)] != name:
                continue
            if flags is not None:
                data[k + flag_at : k + flag_at + 2] = struct.pack("<H", flags)
            if method is not None:
                data[k + method_at : k + method_at + 2] = struct.pack("<H", method)
    path.write_bytes(bytes(data))
    return path


def _import(tmp_path: Path, package: Path):
    bank = tmp_path / "bank"
    result = CliRunner().invoke(main, ["bank", "import", str(package), "--into", str(bank)])
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exc_info
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert not (bank / "items").exists() or not any((bank / "items").iterdir())
    return result.output


def test_a_member_with_a_bad_crc(tmp_path):
    pkg = _package(tmp_path / "p.zip", ITEM.format(body="<p>" + "x" * 200 + "</p>"))
    data = bytearray(pkg.read_bytes())
    k = data.find(b"xxxxxxxx")
    data[k] = ord("y")  # stored, so the CRC no longer matches
    pkg.write_bytes(bytes(data))
    assert "p.zip!X1.xml: cannot read this member" in _import(tmp_path, pkg)


@pytest.mark.parametrize(
    ("flags", "method"), [(1, None), (None, 99)], ids=["encrypted", "method-99"]
)
def test_encrypted_or_unknown_compression(tmp_path, flags, method):
    pkg = _package(tmp_path / "p.zip", ITEM.format(body="<p>x</p>"))
    _patch_flags(pkg, "X1.xml", flags=flags, method=method)
    assert "p.zip" in _import(tmp_path, pkg)


def test_elements_nested_a_thousand_deep(tmp_path):
    pkg = _package(tmp_path / "p.zip", ITEM.format(body="<div>" * 1000 + "x" + "</div>" * 1000))
    assert "p.zip!X1.xml: elements nested more than 200 deep" in _import(tmp_path, pkg)


def test_an_entity_definition_in_utf16_is_refused(tmp_path):
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE a [<!ENTITY x "yyyy">]><a>&x;</a>'
    pkg = _package(tmp_path / "p.zip", text.encode("utf-16"))
    assert "DOCTYPE or entity definitions" in _import(tmp_path, pkg)
